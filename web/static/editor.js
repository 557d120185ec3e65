// The scenario editor: live validation, the state diagram, lines played in the persona's
// voice, scripted runs, saving new versions.
"use strict";
(function () {
  const el = OPSIM.el;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let seq = 0;

  async function validate() {
    const mine = ++seq;
    let r;
    try { r = await OPSIM.api("POST", "/api/scenarios/validate", { yaml: $("yaml").value }); }
    catch (e) { $("verdict").textContent = `確認できません / cannot check: ${e.message}`; return; }
    if (mine !== seq) return; // a newer edit is being checked
    $("problems").textContent = "";
    if (!r.ok) {
      $("verdict").textContent = `${r.problems.length} 件の問題 / problem(s)`;
      $("verdict").className = "ng";
      for (const p of r.problems) $("problems").append(el("li", { class: "problem" }, p));
      return;
    }
    $("verdict").textContent = `OK — ${r.id} (${r.language}) ${r.title}`;
    $("verdict").className = "ok";
    // the diagram is SVG drawn by the server from the parsed scenario (every text escaped)
    const doc = new DOMParser().parseFromString(r.diagram, "image/svg+xml");
    $("diagram").replaceChildren(document.importNode(doc.documentElement, true));
    $("lines").textContent = "";
    for (const line of r.lines) {
      const b = el("button", { type: "button", class: "secondary play" }, "▶");
      b.addEventListener("click", () => play(line));
      $("lines").append(el("li", { "data-state": line.state }, b, " ", el("span", { class: "muted" }, `${line.state} · ${line.band}`), " ", line.text));
    }
  }

  async function play(line) {
    const r = await fetch("/api/scenarios/say", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": OPSIM.csrf() },
      body: JSON.stringify({ yaml: $("yaml").value, text: line.text, band: line.band }),
    });
    if (!r.ok) { $("verdict").textContent = `再生できません / cannot play (${r.status})`; return; }
    const player = $("player");
    player.src = URL.createObjectURL(await r.blob());
    player.hidden = false;
    player.play().catch(() => {});
  }

  async function save() {
    $("saved").textContent = "…";
    try {
      const r = await OPSIM.api("POST", "/api/scenarios", { yaml: $("yaml").value });
      $("saved").textContent = `保存しました / saved: ${r.id} (${r.language}) v${r.version}`;
    } catch (e) { $("saved").textContent = `保存できません / not saved: ${e.message}`; }
  }

  async function run() {
    const replies = $("replies").value.split("\n").filter((x) => x.trim());
    $("run-transcript").textContent = ""; $("run-card").textContent = "";
    try {
      const r = await OPSIM.api("POST", "/api/scenarios/run", { yaml: $("yaml").value, replies });
      for (const t of r.transcript) {
        $("run-transcript").append(el("li", { class: t.speaker }, el("span", { class: "who" }, t.speaker), el("span", { class: "text" }, t.text)));
      }
      OPSIM.renderCard($("run-card"), { scorecard: r.scorecard });
    } catch (e) { $("run-card").textContent = `実行できません / cannot run: ${e.message}`; }
  }

  $("yaml").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(validate, 400); });
  $("save").addEventListener("click", save);
  $("run").addEventListener("click", run);
  validate();
})();
