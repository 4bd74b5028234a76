// The embeddable widget (/embed): asks /api/ask/stream and shows the streamed answer with its
// cited passages. Every string from the server or the URL is put in the page with textContent,
// never as HTML, so document text cannot inject markup or script.
//
// Options come from the URL fragment (the launcher, chatbot/web/static/launcher.js, sets them from
// its data-* attributes; a portal framing /embed itself may too), never from the server's logs:
//   title=...  accent=#1a5fb4  on_accent=#ffffff  lang=en|id|ja|zh  examples=["q1","q2"]
// The conversation is kept in this origin's sessionStorage, so it survives a reload of the
// portal page (in the same tab) and is gone when the tab closes. Stop aborts the running answer.
"use strict";

(function () {
  const MAX_HISTORY = 20;
  const MAX_EXAMPLES = 6;
  const STORE_KEY = "sqa-conversation";
  const STRINGS = {
    en: {
      title: "Ask the documents", fullChat: "Full chat ↗", label: "Your question",
      placeholder: "Ask about the documents (English, Indonesia, 日本語, 中文)",
      ask: "Ask", stop: "Stop", clear: "Clear",
      loading: "The model is loading… answers start in a few seconds.",
      foot: "Answers come only from the indexed documents; [n] marks the supporting passage.",
      searching: "Searching the documents…", stopped: "Stopped.", failed: "Answering failed.",
      unreachable: "The server could not be reached.", empty: "Please type a question first.",
      tooLong: "The question is too long ({n} characters); the limit is {max}.",
      status: "The server answered {status}.", viewSource: "view source",
    },
    id: {
      title: "Tanya dokumen", fullChat: "Obrolan lengkap ↗", label: "Pertanyaan Anda",
      placeholder: "Tanyakan tentang dokumen (English, Indonesia, 日本語, 中文)",
      ask: "Tanya", stop: "Berhenti", clear: "Hapus",
      loading: "Model sedang dimuat… jawaban dimulai dalam beberapa detik.",
      foot: "Jawaban hanya berasal dari dokumen yang diindeks; [n] menandai bagian pendukungnya.",
      searching: "Mencari di dokumen…", stopped: "Dihentikan.", failed: "Gagal menjawab.",
      unreachable: "Server tidak dapat dihubungi.", empty: "Silakan ketik pertanyaan dahulu.",
      tooLong: "Pertanyaan terlalu panjang ({n} karakter); batasnya {max}.",
      status: "Server menjawab {status}.", viewSource: "lihat sumber",
    },
    ja: {
      title: "文書に質問する", fullChat: "全画面で開く ↗", label: "質問",
      placeholder: "文書について質問してください（English, Indonesia, 日本語, 中文）",
      ask: "質問", stop: "停止", clear: "クリア",
      loading: "モデルを読み込んでいます… まもなく回答できます。",
      foot: "回答は索引済みの文書だけに基づきます。[n] は根拠の箇所を示します。",
      searching: "文書を検索しています…", stopped: "停止しました。", failed: "回答に失敗しました。",
      unreachable: "サーバーに接続できません。", empty: "先に質問を入力してください。",
      tooLong: "質問が長すぎます（{n} 文字）。上限は {max} 文字です。",
      status: "サーバーの応答: {status}", viewSource: "原文を見る",
    },
    zh: {
      title: "向文档提问", fullChat: "完整聊天 ↗", label: "您的问题",
      placeholder: "就文档提问（English, Indonesia, 日本語, 中文）",
      ask: "提问", stop: "停止", clear: "清除",
      loading: "模型正在加载……几秒钟后即可回答。",
      foot: "答案只来自已索引的文档；[n] 标出支持该说法的段落。",
      searching: "正在检索文档……", stopped: "已停止。", failed: "回答失败。",
      unreachable: "无法连接服务器。", empty: "请先输入问题。",
      tooLong: "问题太长（{n} 个字符）；上限为 {max}。",
      status: "服务器返回 {status}。", viewSource: "查看原文",
    },
  };

  const $ = (id) => document.getElementById(id);
  const log = $("sqa-log");
  const form = $("sqa-form");
  const box = $("sqa-question");
  const askButton = $("sqa-ask");
  const stopButton = $("sqa-stop");
  const status = $("sqa-status");
  const loading = $("sqa-loading");
  const examplesBox = $("sqa-examples");
  let turns = []; // finished turns: {question, answer, abstained, citations, stopped}
  let maxChars = 500;
  let controller = null; // AbortController of the running answer
  let epoch = 0; // bumped by Clear: a stopped answer from before it is not kept

  // --- options from the URL fragment -------------------------------------------------------
  function options() {
    const params = new URLSearchParams(location.hash.slice(1));
    const out = { examples: null };
    const lang = (params.get("lang") || navigator.language || "en").slice(0, 2).toLowerCase();
    out.lang = STRINGS[lang] ? lang : "en";
    const title = (params.get("title") || "").trim();
    if (title) out.title = title.slice(0, 80);
    for (const [key, name] of [["accent", "--accent"], ["on_accent", "--on-accent"]]) {
      const value = (params.get(key) || "").trim();
      // A colour only (#rgb, #rrggbb, rgb(...), a name): nothing else reaches the style sheet.
      if (value && value.length <= 40 && /^[#(),.%\w\s]+$/.test(value) && CSS.supports("color", value)) {
        out[name] = value;
      }
    }
    const examples = params.get("examples");
    if (examples) {
      try {
        const list = JSON.parse(examples);
        if (Array.isArray(list)) out.examples = list.filter((q) => typeof q === "string");
      } catch (_) {
        out.examples = examples.split("|");
      }
    }
    return out;
  }

  const opts = options();
  const T = STRINGS[opts.lang];
  const t = (key, values) =>
    (T[key] || STRINGS.en[key]).replace(/\{(\w+)\}/g, (_, k) => String(values ? values[k] : ""));

  function applyOptions() {
    document.documentElement.lang = opts.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    if (opts.title) $("sqa-title").textContent = opts.title;
    document.title = $("sqa-title").textContent;
    for (const name of ["--accent", "--on-accent"]) {
      if (opts[name]) document.documentElement.style.setProperty(name, opts[name]);
    }
  }

  // --- rendering (textContent only) ------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Answer text with its [n] markers as separate (styled) elements.
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

  // The passage in its document, as the chat UI links it (chatbot.web.source_view.source_url).
  // The sha (which part of a passage split in several) needs WebCrypto, which browsers give
  // only to secure pages; without it the viewer shows the passage's first part.
  async function sourceLink(c) {
    const query = new URLSearchParams({ doc: c.doc_id, variant: c.variant, loc: c.location });
    if (window.crypto && crypto.subtle) {
      try {
        const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(c.text));
        query.set("sha", Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""));
      } catch (_) {
        /* no sha: the first part */
      }
    }
    const link = el("a", "sqa-view-source", t("viewSource"));
    link.href = `source?${query}`;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  // The final citations replace the streamed ones: a source the reader opened meanwhile stays open.
  function renderSources(node, citations) {
    const opened = new Set(Array.from(node.querySelectorAll("details[open]"), (d) => d.dataset.key));
    node.replaceChildren();
    for (const c of citations || []) {
      const item = el("details", "sqa-source");
      item.dataset.key = `${c.n}|${c.doc_id}|${c.variant}|${c.location}`;
      item.open = opened.has(item.dataset.key);
      const summary = el("summary");
      summary.append(el("span", "sqa-mark", `[${c.n}]`));
      summary.append(document.createTextNode(` ${c.title} — ${c.variant}, ${c.location}`));
      item.append(summary, el("blockquote", "sqa-passage", c.text));
      for (const v of c.variants || []) item.append(el("p", "sqa-variant", variantNote(v)));
      const where = el("p", "sqa-source-link");
      item.append(where);
      sourceLink(c).then((link) => where.append(link));
      node.append(item);
    }
  }

  function setStatus(message) {
    status.textContent = message || "";
  }

  function addTurn(question) {
    const item = el("li", "sqa-turn");
    item.append(el("p", "sqa-q", question));
    const answer = el("p", "sqa-a", t("searching"));
    answer.classList.add("sqa-pending");
    const sources = el("div", "sqa-sources");
    item.append(answer, sources);
    log.append(item);
    item.scrollIntoView({ block: "end" });
    return { answer, sources };
  }

  function showFinished(view, turn) {
    view.answer.classList.remove("sqa-pending");
    view.answer.classList.toggle("sqa-abstained", Boolean(turn.abstained));
    if (turn.stopped) {
      renderAnswer(view.answer, turn.answer ? `${turn.answer} …` : "");
      view.answer.append(el("span", "sqa-stopped", ` ${t("stopped")}`));
    } else {
      renderAnswer(view.answer, turn.answer || "");
    }
    renderSources(view.sources, turn.citations);
  }

  // --- the conversation, kept across reloads ---------------------------------------------------
  function save() {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-MAX_HISTORY)));
    } catch (_) {
      /* storage full or off: the conversation just does not survive a reload */
    }
  }

  function restore() {
    let saved = [];
    try {
      saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]");
    } catch (_) {
      saved = [];
    }
    if (!Array.isArray(saved)) return;
    for (const turn of saved) {
      if (!turn || typeof turn.question !== "string") continue;
      turns.push(turn);
      showFinished(addTurn(turn.question), turn);
    }
    examplesBox.hidden = turns.length > 0;
  }

  // --- asking ---------------------------------------------------------------------------------
  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
    } catch (_) {
      /* not JSON */
    }
    return t("status", { status: response.status });
  }

  // Parse a text/event-stream body: yields {event, data} objects.
  async function* events(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
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

  function setBusy(busy) {
    askButton.disabled = busy;
    askButton.hidden = busy;
    stopButton.hidden = !busy;
  }

  async function ask(question) {
    question = question.trim();
    if (!question) return setStatus(t("empty"));
    if (question.length > maxChars) return setStatus(t("tooLong", { n: question.length, max: maxChars }));
    if (controller) return;
    controller = new AbortController();
    const signal = controller.signal;
    const asked = epoch;
    setBusy(true);
    setStatus("");
    examplesBox.hidden = true;
    const view = addTurn(question);
    let streamed = "";
    let citations = [];
    const history = turns.filter((x) => !x.stopped).map((x) => [x.question, x.abstained ? null : x.answer]);
    try {
      const response = await fetch("api/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, history: history.slice(-MAX_HISTORY) }),
        signal,
      });
      if (!response.ok) {
        view.answer.parentElement.remove();
        setStatus(await errorMessage(response));
        if (response.status === 422 || response.status === 429) box.value = question;
        return;
      }
      for await (const { event, data } of events(response)) {
        if (event === "citations") {
          citations = data.citations;
          renderSources(view.sources, citations);
        } else if (event === "token") {
          streamed += data.text;
          view.answer.classList.remove("sqa-pending");
          renderAnswer(view.answer, streamed);
        } else if (event === "done") {
          // The final text replaces the streamed one (bad markers may have been removed).
          const turn = { question, answer: data.answer, abstained: data.abstained, citations: data.citations };
          showFinished(view, turn);
          turns.push(turn);
          save();
        } else if (event === "error") {
          throw new Error(data.detail);
        }
      }
    } catch (err) {
      if (signal.aborted && asked !== epoch) {
        view.answer.parentElement.remove();
      } else if (signal.aborted) {
        const turn = { question, answer: streamed, abstained: false, citations, stopped: true };
        showFinished(view, turn);
        turns.push(turn);
        save();
      } else {
        view.answer.classList.remove("sqa-pending");
        view.answer.textContent = t("failed");
        setStatus(err && err.message && !(err instanceof TypeError) ? err.message : t("unreachable"));
      }
    } finally {
      controller = null;
      setBusy(false);
      view.answer.scrollIntoView({ block: "nearest" });
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
      if (health.status === "failed") setStatus(health.detail || t("unreachable"));
    } catch (_) {
      setTimeout(watchHealth, 5000);
    }
  }

  function showExamples(list) {
    examplesBox.replaceChildren();
    const seen = new Set();
    for (const raw of list || []) {
      const q = String(raw).trim().slice(0, maxChars);
      if (!q || seen.has(q) || seen.size >= MAX_EXAMPLES) continue;
      seen.add(q);
      const button = el("button", "sqa-example", q);
      button.type = "button";
      button.addEventListener("click", () => ask(q));
      examplesBox.append(button);
    }
  }

  async function loadExamples() {
    if (opts.examples) return showExamples(opts.examples);
    try {
      const response = await fetch("api/examples");
      if (response.ok) showExamples((await response.json()).examples);
    } catch (_) {
      /* no examples */
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
  stopButton.addEventListener("click", () => {
    if (controller) controller.abort();
  });
  $("sqa-clear").addEventListener("click", () => {
    epoch += 1;
    if (controller) controller.abort();
    turns = [];
    save();
    log.replaceChildren();
    setStatus("");
    examplesBox.hidden = false;
    box.focus();
  });
  applyOptions();
  restore();
  loadExamples();
  watchHealth();
  // Tell a launcher that framed us that the chat is shown (it names no answer or document text;
  // a portal the server does not allow never gets this page, so never this message).
  if (window.parent !== window) window.parent.postMessage({ sqa: "ready" }, "*");
})();
