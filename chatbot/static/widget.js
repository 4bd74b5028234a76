// The embeddable widget (/embed): asks /api/ask/stream and shows the streamed answer with its
// cited passages. Every string from the server is put in the page with textContent, never as
// HTML, so document text cannot inject markup or script.
"use strict";

(function () {
  const MAX_HISTORY = 20;
  const $ = (id) => document.getElementById(id);
  const log = $("sqa-log");
  const form = $("sqa-form");
  const box = $("sqa-question");
  const askButton = $("sqa-ask");
  const status = $("sqa-status");
  const loading = $("sqa-loading");
  let history = []; // [[question, answer or null], ...] of finished turns
  let maxChars = 500;
  let busy = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Answer text with its [n] markers as separate (styled) elements; all via textContent.
  function renderAnswer(node, text) {
    node.replaceChildren();
    const parts = text.split(/(\[\d{1,2}\])/);
    for (const part of parts) {
      if (/^\[\d{1,2}\]$/.test(part)) node.append(el("span", "sqa-mark", part));
      else if (part) node.append(document.createTextNode(part));
    }
  }

  function variantNote(v) {
    const missing = v.only_in_original || [];
    const extra = v.only_in_variant || [];
    const where = `The ${v.variant} variant (${v.location})`;
    if (!missing.length && !extra.length) return `${where} says the same.`;
    const parts = [];
    if (missing.length) parts.push("lacks " + missing.map((m) => `“${m}”`).join(", "));
    if (extra.length) parts.push("has " + extra.map((m) => `“${m}”`).join(", "));
    return `${where} differs: it ${parts.join(" and ")}.`;
  }

  function renderSources(node, citations) {
    node.replaceChildren();
    for (const c of citations) {
      const item = el("details", "sqa-source");
      const summary = el("summary");
      summary.append(el("span", "sqa-mark", `[${c.n}]`));
      summary.append(document.createTextNode(` ${c.title} — ${c.variant}, ${c.location}`));
      item.append(summary, el("blockquote", "sqa-passage", c.text));
      for (const v of c.variants || []) item.append(el("p", "sqa-variant", variantNote(v)));
      node.append(item);
    }
  }

  function setStatus(message) {
    status.textContent = message || "";
  }

  function addTurn(question) {
    const item = el("li", "sqa-turn");
    item.append(el("p", "sqa-q", question));
    const answer = el("p", "sqa-a", "Searching the documents…");
    answer.classList.add("sqa-pending");
    const sources = el("div", "sqa-sources");
    item.append(answer, sources);
    log.append(item);
    item.scrollIntoView({ block: "end" });
    return { answer, sources };
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
    } catch (_) {
      /* not JSON */
    }
    return `The server answered ${response.status}.`;
  }

  // Parse a text/event-stream body: yields {event, data} objects.
  async function* events(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  async function ask(question) {
    question = question.trim();
    if (!question) return setStatus("Please type a question first.");
    if (question.length > maxChars) {
      return setStatus(`The question is too long (${question.length} characters); the limit is ${maxChars}.`);
    }
    if (busy) return;
    busy = true;
    askButton.disabled = true;
    setStatus("");
    $("sqa-examples").hidden = true;
    const turn = addTurn(question);
    let streamed = "";
    try {
      const response = await fetch("api/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, history: history.slice(-MAX_HISTORY) }),
      });
      if (!response.ok) {
        turn.answer.parentElement.remove();
        setStatus(await errorMessage(response));
        if (response.status === 422 || response.status === 429) box.value = question;
        return;
      }
      for await (const { event, data } of events(response)) {
        if (event === "citations") renderSources(turn.sources, data.citations);
        else if (event === "token") {
          streamed += data.text;
          turn.answer.classList.remove("sqa-pending");
          renderAnswer(turn.answer, streamed);
        } else if (event === "done") {
          // The final text replaces the streamed one (bad markers may have been removed).
          turn.answer.classList.remove("sqa-pending");
          turn.answer.classList.toggle("sqa-abstained", data.abstained);
          renderAnswer(turn.answer, data.answer);
          renderSources(turn.sources, data.citations);
          history.push([question, data.abstained ? null : data.answer]);
        } else if (event === "error") {
          throw new Error(data.detail);
        }
      }
    } catch (err) {
      turn.answer.classList.remove("sqa-pending");
      turn.answer.textContent = "Answering failed.";
      setStatus(err && err.message ? err.message : "The server could not be reached.");
    } finally {
      busy = false;
      askButton.disabled = false;
      turn.answer.scrollIntoView({ block: "nearest" });
    }
  }

  async function watchHealth() {
    try {
      const response = await fetch("api/health");
      const health = await response.json();
      if (typeof health.max_question_chars === "number") maxChars = health.max_question_chars;
      box.maxLength = maxChars + 1; // one over, so the too-long message can still show
      if (health.status === "loading") {
        loading.hidden = false;
        setTimeout(watchHealth, 2000);
        return;
      }
      loading.hidden = true;
      if (health.status === "failed") setStatus(health.detail || "The server could not load its index.");
    } catch (_) {
      setTimeout(watchHealth, 5000);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = box.value;
    box.value = "";
    ask(question);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $("sqa-clear").addEventListener("click", () => {
    history = [];
    log.replaceChildren();
    setStatus("");
    $("sqa-examples").hidden = false;
    box.focus();
  });
  for (const button of document.querySelectorAll(".sqa-example")) {
    button.addEventListener("click", () => ask(button.textContent));
  }
  watchHealth();
})();
