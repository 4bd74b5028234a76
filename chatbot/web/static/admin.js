// The operator's page: asks for the admin token, keeps it in this tab only (sessionStorage),
// and fills each section from /api/admin/*. Data is only ever put in the page as text
// (textContent), never as HTML; the two charts are SVG drawn by the server, parsed as SVG.
"use strict";

const KEY = "sqa-admin-token";
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(KEY) || ""; }

async function get(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token() }, cache: "no-store" });
  if (r.status === 401 || r.status === 403) {
    sessionStorage.removeItem(KEY);
    throw new Error(r.status === 403 ? "That is not the admin token." : "Enter the admin token.");
  }
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r;
}

async function json(path) { return (await get(path)).json(); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function table(target, columns, rows) {
  const t = $(target);
  t.replaceChildren();
  const head = el("tr");
  columns.forEach(([label]) => head.appendChild(el("th", label)));
  t.appendChild(head);
  if (!rows.length) {
    const tr = el("tr");
    const td = el("td", "Nothing yet.");
    td.colSpan = columns.length;
    tr.appendChild(td);
    t.appendChild(tr);
  }
  rows.forEach((row) => {
    const tr = el("tr");
    columns.forEach(([, get, cls]) => {
      const value = get(row);
      const td = el("td", null, cls || "");
      if (value instanceof Node) td.appendChild(value); else td.textContent = value == null ? "" : String(value);
      tr.appendChild(td);
    });
    t.appendChild(tr);
  });
}

function fact(parent, value, label) {
  const box = el("div", null, "fact");
  box.appendChild(el("b", value));
  box.appendChild(el("span", label));
  parent.appendChild(box);
}

function chart(target, svgText) {
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  const box = $(target);
  box.replaceChildren();
  if (svg && svg.nodeName === "svg") box.appendChild(document.importNode(svg, true));
}

function groups(target, data) {
  const box = $(target);
  box.replaceChildren();
  if (data.waiting) {
    box.appendChild(el("p", data.waiting + " more question" + (data.waiting === 1 ? " is" : "s are") +
      " still being read for grouping; reload the page in a minute.", "note"));
  }
  if (!data.groups.length) {
    box.appendChild(el("p", data.questions_logged ? "None so far." :
      "Question texts are not kept (SQA_OPS__LOG_QUESTIONS is off), so there is nothing to group.", "note"));
    return;
  }
  data.groups.forEach((g) => {
    const div = el("div", null, "group");
    const h = el("h3", g.label);
    h.appendChild(el("span", "  · asked " + g.count + (g.count === 1 ? " time" : " times"), "count"));
    div.appendChild(h);
    const ul = el("ul");
    g.questions.slice(0, 8).forEach((q) => ul.appendChild(el("li", q)));
    if (g.questions.length > 8) ul.appendChild(el("li", "… and " + (g.questions.length - 8) + " more", "note"));
    div.appendChild(ul);
    box.appendChild(div);
  });
}

async function load() {
  const usage = await json("/api/admin/usage?days=30");
  $("usage-window").textContent = "(last " + usage.days + " days; rows are kept " + usage.retention_days + " days)";
  const facts = $("usage-facts");
  facts.replaceChildren();
  fact(facts, usage.questions, "questions");
  fact(facts, usage.latency_s.p50 == null ? "-" : usage.latency_s.p50 + " s", "latency p50");
  fact(facts, usage.latency_s.p95 == null ? "-" : usage.latency_s.p95 + " s", "latency p95");
  fact(facts, (usage.votes.up || 0) + " / " + (usage.votes.down || 0), "likes / dislikes");
  chart("chart-per-day", usage.charts.per_day);
  chart("chart-outcomes", usage.charts.outcomes);
  table("languages", [["Language", (r) => r[0]], ["Questions", (r) => r[1], "num"]], Object.entries(usage.languages));
  const docs = usage.documents.concat(usage.never_cited.map((d) => Object.assign({ cited: 0 }, d)));
  table("documents-table", [["Document", (d) => d.title || d.doc_id], ["Id", (d) => d.doc_id],
    ["Times cited", (d) => d.cited === 0 ? el("span", "never", "warn") : d.cited, "num"]], docs);

  const [unanswered, quoted] = await Promise.all([
    json("/api/admin/unanswered?kind=abstained"), json("/api/admin/unanswered?kind=quoted")]);
  $("unanswered-note").textContent = "Grouped by meaning across languages; each topic is named by its most telling words.";
  groups("unanswered-groups", unanswered);
  groups("quoted-groups", quoted);

  const fb = await json("/api/admin/feedback");
  table("feedback-table", [["When", (v) => v.time], ["Question", (v) => v.question == null ? "(not kept)" : v.question],
    ["Answer", (v) => v.answer], ["Cited", (v) => v.citations.map((c) => "[" + c.n + "] " + (c.title || c.doc_id)).join("; ")],
    ["Build", (v) => v.build_id]], fb.votes);

  const corpus = await json("/api/admin/corpus");
  const cf = $("corpus-facts");
  cf.replaceChildren();
  fact(cf, corpus.served_build || corpus.live_build || "none", "build served");
  if (corpus.counts) {
    fact(cf, corpus.counts.files, "files indexed");
    fact(cf, corpus.counts.documents, "documents");
    fact(cf, corpus.counts.chunks, "passages");
  }
  fact(cf, corpus.files.filter((f) => f.status === "failed").length, "files not read");
  table("files-table", [["File", (f) => f.file],
    ["Status", (f) => el("span", f.status, f.status === "failed" ? "failed" : ""), ""],
    ["Read as", (f) => f.parts == null ? "" : f.parts + " " + f.part_unit + (f.parts === 1 ? "" : "s")],
    ["Passages", (f) => f.chunks, "num"], ["Tables", (f) => f.tables, "num"],
    ["OCR pages", (f) => f.ocr_pages || "", "num"],
    ["OCR conf.", (f) => f.ocr_confidence == null ? "" : Math.round(f.ocr_confidence), "num"],
    ["Warnings", (f) => f.warnings.join("; "), "warn"]], corpus.files);
  $("rebuild").textContent = "How to rebuild: " + corpus.rebuild;
}

async function download(name) {
  try {
    const blob = await (await get("/api/admin/export/" + name + ".csv")).blob();
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = name + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (e) { $("status").textContent = e.message; }
}

async function open() {
  $("status").textContent = "Loading…";
  try {
    await load();
    $("views").hidden = false;
    $("logout").hidden = false;
    $("status").textContent = "";
  } catch (e) {
    $("views").hidden = true;
    $("status").textContent = e.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    open();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    $("views").hidden = true;
    $("logout").hidden = true;
  });
  document.querySelectorAll("button[data-csv]").forEach((b) =>
    b.addEventListener("click", () => download(b.dataset.csv)));
  if (token()) open();
});
