// The call page: start a call, send typed replies, heartbeats, hang up, the scorecard.
"use strict";
(function () {
  const el = OPSIM.el;
  const root = document.getElementById("call");
  const $ = (id) => document.getElementById(id);
  const state = { sid: null, beat: null, busy: false };
  const heartbeatMs = parseFloat(root.dataset.heartbeat) * 1000;

  function say(who, text, cls) {
    const li = el("li", { class: cls }, el("span", { class: "who" }, who), el("span", { class: "text" }, text));
    $("transcript").append(li);
    li.scrollIntoView({ block: "nearest" });
  }
  function mood(m, band) {
    $("mood").value = m;
    $("mood-text").textContent = `${m}/10 (${band})`;
  }
  function status(text) { $("status").textContent = text || ""; }

  async function start() {
    $("start").disabled = true;
    status("");
    try {
      const body = { scenario: root.dataset.scenario, language: root.dataset.language };
      if (root.dataset.seed !== "") body.seed = parseInt(root.dataset.seed, 10);
      const r = await OPSIM.api("POST", "/api/calls", body);
      state.sid = r.session_id;
      $("brief").textContent = r.brief;
      $("transcript").textContent = "";
      mood(r.mood, r.band);
      $("setup").hidden = true; $("result").hidden = true; $("live").hidden = false;
      document.body.classList.toggle("exam", $("exam").checked);
      say("📞", "（電話が鳴っています。応答してください） / The phone is ringing: answer it.", "system");
      state.beat = setInterval(() => OPSIM.api("POST", `/api/calls/${state.sid}/heartbeat`).catch(() => {}), heartbeatMs);
      $("reply-text").focus();
    } catch (e) { status(`開始できません / cannot start: ${e.message}`); $("start").disabled = false; }
  }

  async function send(ev) {
    ev.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || state.busy || state.sid === null) return;
    state.busy = true; $("send").disabled = true;
    say("あなた / You", text, "trainee");
    $("reply-text").value = "";
    try {
      const r = await OPSIM.api("POST", `/api/calls/${state.sid}/reply`, { text });
      say("お客様 / Customer", r.customer.text, "customer");
      mood(r.customer.mood, r.customer.band);
      if (r.ended) { status(`通話終了 / call ended: ${r.outcome}`); await finish(); }
    } catch (e) { status(`送信できません / not sent: ${e.message}`); }
    state.busy = false; $("send").disabled = false; $("reply-text").focus();
  }

  async function finish() {
    if (state.sid === null) return;
    clearInterval(state.beat);
    const sid = state.sid; state.sid = null;
    try {
      const session = await OPSIM.api("POST", `/api/calls/${sid}/finish`);
      $("live").hidden = true; $("result").hidden = false;
      OPSIM.renderCard($("card"), session);
      $("session-link").href = `/sessions/${sid}`;
    } catch (e) { status(`採点できません / cannot score: ${e.message}`); }
  }

  $("start").addEventListener("click", start);
  $("reply-form").addEventListener("submit", send);
  $("reply-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { send(e); } });
  $("hangup").addEventListener("click", finish);
  $("retry").addEventListener("click", () => { $("result").hidden = true; $("setup").hidden = false; $("start").disabled = false; start(); });
})();
