// The one-script-tag widget. A portal adds
//
//   <script src="https://qa.example.org/embed/launcher.js" defer
//           data-title="Ask the policy library" data-accent="#0b6e4f" data-accent-text="#fff"
//           data-position="bottom-left" data-lang="id"
//           data-examples="First question?|Second question?"></script>
//
// and gets a round button in a corner that opens the chat (the server's /embed page) in an
// iframe above it. This script runs in the portal's page, so it stays small and inert: it adds
// two elements styled through the CSSOM (no inline <style>, so a strict portal CSP is fine),
// never fetches from the server and never puts any answer or document text into the portal's
// page. Everything the chat shows lives inside the iframe, on the chatbot's own origin, where
// the server's frame-ancestors allowlist decides whether this portal may show it at all.
// Options reach the iframe in its URL fragment (never sent to any server). Whether the chat was
// open is remembered in the portal tab's sessionStorage; the conversation itself is kept by
// the iframe in the chatbot origin's sessionStorage, so both survive a reload.
"use strict";

(function () {
  const script = document.currentScript;
  if (!script || !script.src || window.__sqaLauncher) return;
  window.__sqaLauncher = true;
  const OPEN_KEY = "sqa-launcher-open";
  // After the frame's load event, how long its "ready" message may take (it is posted as the
  // page starts, so it normally comes before or with the load event).
  const READY_GRACE_MS = 1500;
  const LABELS = {
    en: ["Open the chat about the documents", "Close the chat", "Ask the documents",
      "The chat cannot be shown on this site."],
    id: ["Buka obrolan tentang dokumen", "Tutup obrolan", "Tanya dokumen",
      "Obrolan tidak dapat ditampilkan di situs ini."],
    ja: ["文書についてのチャットを開く", "チャットを閉じる", "文書に質問する",
      "このサイトではチャットを表示できません。"],
    zh: ["打开文档问答", "关闭聊天", "向文档提问", "此网站无法显示聊天。"],
  };
  const data = script.dataset;
  const lang = (data.lang || navigator.language || "en").slice(0, 2).toLowerCase();
  const [openLabel, closeLabel, defaultTitle, refusedLabel] = LABELS[lang] || LABELS.en;
  const colour = (value, fallback) =>
    value && value.length <= 40 && /^[#(),.%\w\s]+$/.test(value) && CSS.supports("color", value)
      ? value
      : fallback;
  const accent = colour(data.accent, "#1a5fb4");
  const onAccent = colour(data.accentText, "#ffffff");
  const left = data.position === "bottom-left";
  const title = (data.title || defaultTitle).slice(0, 80);
  let examples = [];
  if (data.examples) {
    const raw = data.examples.trim();
    try {
      examples = raw.startsWith("[") ? JSON.parse(raw) : raw.split("|");
    } catch (_) {
      examples = [];
    }
    examples = examples.filter((q) => typeof q === "string" && q.trim()).slice(0, 6);
  }

  const embed = new URL("../embed", script.src);
  const fragment = new URLSearchParams({ title, accent, on_accent: onAccent, lang });
  if (examples.length) fragment.set("examples", JSON.stringify(examples));
  embed.hash = fragment.toString();

  function style(node, rules) {
    for (const [name, value] of Object.entries(rules)) node.style.setProperty(name, value);
  }

  const side = left ? "left" : "right";
  const button = document.createElement("button");
  button.type = "button";
  button.id = "sqa-launcher";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "sqa-launcher-panel");
  button.setAttribute("aria-label", openLabel);
  button.title = title;
  button.textContent = "?";
  style(button, {
    position: "fixed", bottom: "20px", [side]: "20px", "z-index": "2147483000",
    width: "56px", height: "56px", "border-radius": "50%", border: "none", cursor: "pointer",
    background: accent, color: onAccent, font: "600 26px/56px system-ui, sans-serif",
    "box-shadow": "0 4px 14px rgba(0,0,0,.28)", padding: "0", margin: "0",
  });

  const panel = document.createElement("div");
  panel.id = "sqa-launcher-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.hidden = true;
  style(panel, {
    position: "fixed", bottom: "88px", [side]: "20px", "z-index": "2147483000",
    width: "min(400px, calc(100vw - 40px))", height: "min(620px, calc(100vh - 110px))",
    background: "#fff", "border-radius": "12px", overflow: "hidden",
    "box-shadow": "0 8px 32px rgba(0,0,0,.3)", border: `2px solid ${accent}`,
  });

  // A site the server does not allow gets the browser's error page in the frame (frame-ancestors),
  // which posts nothing: say so in the panel, and tell the site's operator what to change.
  let ready = false;
  window.addEventListener("message", (event) => {
    if (frame && event.source === frame.contentWindow && event.origin === embed.origin) {
      ready = ready || (event.data && event.data.sqa === "ready");
    }
  });
  function refused() {
    const operator =
      `strategy-qa: ${location.origin} may not show the chat of ${embed.origin}. ` +
      `Its operator adds this origin to the server's SQA_ALLOWED_ORIGINS.`;
    console.warn(operator);
    const note = document.createElement("p");
    note.id = "sqa-launcher-refused";
    note.setAttribute("role", "alert");
    note.textContent = refusedLabel;
    const detail = document.createElement("small");
    detail.textContent = operator;
    style(note, { margin: "0", padding: "16px", font: "15px/1.45 system-ui, sans-serif",
      color: "#1d2330" });
    style(detail, { display: "block", "margin-top": "8px", color: "#555" });
    note.append(detail);
    frame.replaceWith(note);
  }

  let frame = null;
  function setOpen(open) {
    if (open && !frame) {
      // Made on first open: a closed launcher costs the portal nothing.
      frame = document.createElement("iframe");
      frame.id = "sqa-launcher-frame";
      frame.title = title;
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups");
      frame.src = embed.href;
      style(frame, { width: "100%", height: "100%", border: "0", display: "block" });
      frame.addEventListener("load", () => {
        setTimeout(() => { if (!ready && frame.isConnected) refused(); }, READY_GRACE_MS);
      }, { once: true });
      panel.append(frame);
    }
    panel.hidden = !open;
    panel.style.setProperty("display", open ? "block" : "none");
    button.textContent = open ? "×" : "?";
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", open ? closeLabel : openLabel);
    try {
      if (open) sessionStorage.setItem(OPEN_KEY, "1");
      else sessionStorage.removeItem(OPEN_KEY);
    } catch (_) {
      /* storage off: the launcher starts closed after a reload */
    }
  }

  button.addEventListener("click", () => setOpen(panel.hidden));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      setOpen(false);
      button.focus();
    }
  });

  function mount() {
    document.body.append(panel, button);
    let wasOpen = false;
    try {
      wasOpen = sessionStorage.getItem(OPEN_KEY) === "1";
    } catch (_) {
      wasOpen = false;
    }
    setOpen(wasOpen);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
