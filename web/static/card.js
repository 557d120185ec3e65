// Drawing a scorecard with DOM nodes (textContent only: nothing the trainee or a scenario
// wrote is ever parsed as HTML).
"use strict";
const OPSIM = window.OPSIM || (window.OPSIM = {});

OPSIM.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
};

OPSIM.csrf = function () {
  return document.querySelector('meta[name="csrf-token"]').content;
};

OPSIM.api = async function (method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": OPSIM.csrf() }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.detail ? String(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : r.statusText);
  return data;
};

OPSIM.renderCard = function (box, session) {
  const el = OPSIM.el;
  box.textContent = "";
  const card = session.scorecard;
  if (!card) { box.append(el("p", {}, "採点なし / not scored")); return; }
  const verdict = card.passed ? "合格 / PASS" : "不合格 / FAIL";
  box.append(el("h2", { class: card.passed ? "ok" : "ng", id: "score" },
    `スコア ${Math.round(card.score)} / 100 — ${verdict}`,
    el("small", {}, ` (合格点 pass mark ${Math.round(card.pass_mark)})`)));
  if ((card.fail_reasons || []).length) {
    const reasons = el("ul", { class: "fail-reasons" });
    for (const r of card.fail_reasons) reasons.append(el("li", {}, r));
    box.append(reasons);
  }
  const rank = (c) => (c.passed === false ? 0 : c.passed === null ? 1 : 2);
  const checks = [...card.checks].sort((a, b) => rank(a) - rank(b));
  const list = el("ul", { class: "checks" });
  for (const c of checks) {
    const li = el("li", { class: c.passed ? "check pass" : (c.passed === false ? "check fail" : "check unknown"), "data-check": c.id },
      el("span", { class: "mark" }, c.passed ? "✓" : (c.passed === false ? (c.hard_fail ? "✗!" : "✗") : "—")),
      el("strong", {}, c.id), ` ${c.points}/${c.max_points}`);
    if (c.passed === null && c.evidence) li.append(el("div", { class: "muted" }, c.evidence));
    if (c.passed === false) {
      const dl = el("dl", {});
      const add = (ja, en, v) => { if (v) dl.append(el("dt", {}, `${ja} / ${en}`), el("dd", {}, String(v))); };
      add("正しくは", "expected", c.expected);
      add("聞き取り", "heard", c.heard);
      add("根拠", "evidence", c.evidence);
      add("アドバイス・模範フレーズ", "advice and model phrase", c.advice);
      li.append(dl);
    }
    list.append(li);
  }
  box.append(list);
  const wrong = (card.numbers || []).filter((n) => n.ok === false);
  if (wrong.length) {
    const nl = el("ul", { class: "numbers" });
    for (const n of wrong) nl.append(el("li", {}, `${n.value}「${n.reading || "?"}」: ${n.advice || ""}`));
    box.append(el("h3", {}, "数字の読み方 / Number readings"), nl);
  }
};
