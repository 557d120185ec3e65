// The call page: start a call, send typed replies, heartbeats, hang up, the scorecard.
"use strict";
(function () {
  const el = OPSIM.el;
  const root = document.getElementById("call");
  const $ = (id) => document.getElementById(id);
  const state = { sid: null, beat: null, busy: false, ws: null, audio: null, spoken: false };
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
      const pins = JSON.parse(root.dataset.variables || "{}");
      if (Object.keys(pins).length) body.variables = pins;
      const r = await OPSIM.api("POST", "/api/calls", body);
      state.sid = r.session_id;
      $("brief").textContent = r.brief;
      $("transcript").textContent = "";
      mood(r.mood, r.band);
      $("setup").hidden = true; $("result").hidden = true; $("live").hidden = false;
      document.body.classList.toggle("exam", $("exam").checked);
      say("着信 / Ringing", "（電話が鳴っています。応答してください） / The phone is ringing: answer it.", "system");
      state.beat = setInterval(() => OPSIM.api("POST", `/api/calls/${state.sid}/heartbeat`).catch(() => {}), heartbeatMs);
      state.spoken = $("mode-spoken").checked;
      $("reply-form").hidden = state.spoken; $("spoken-box").hidden = !state.spoken;
      if (state.spoken) await speak(); else $("reply-text").focus();
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

  // ---- the spoken call: microphone -> WebSocket -> turns; the customer through <audio>
  async function speak() {
    const sid = state.sid;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    } catch (e) { status(`マイクが使えません（入力モードをどうぞ） / no microphone (use typed mode): ${e.message}`); return; }
    const ctx = new AudioContext({ sampleRate: 16000 });
    await ctx.audioWorklet.addModule("/static/mic-worklet.js");
    const node = new AudioWorkletNode(ctx, "opsim-mic");
    ctx.createMediaStreamSource(stream).connect(node);
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/calls/${sid}/audio?csrf=${encodeURIComponent(OPSIM.csrf())}`);
    ws.binaryType = "arraybuffer";
    state.ws = ws; state.audio = { ctx, stream };
    node.port.onmessage = (ev) => {
      $("mic-level").value = ev.data.peak;
      if (ws.readyState === WebSocket.OPEN) ws.send(ev.data.pcm);
    };
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === "ready") { $("mic-state").textContent = "● どうぞお話しください / speak now"; root.dataset.ready = "1"; }
      else if (m.type === "stop") { $("customer-audio").pause(); }
      else if (m.type === "turn") {
        const t = m.trainee;
        say("あなた / You", t.silence ? "（無言） / (no answer)" : t.text, "trainee");
        for (const n of t.numbers || []) say("！", `${n.value}「${n.reading || "?"}」: ${n.advice || ""}`, "system hint");
        say("お客様 / Customer", m.customer.text, "customer");
        mood(m.customer.mood, m.customer.band);
        if (m.customer.audio_url) { const a = $("customer-audio"); a.src = m.customer.audio_url; a.play().catch(() => {}); }
        if (m.ended) status(`通話終了 / call ended: ${m.outcome}`);
      } else if (m.type === "error") { status(`エラー / error: ${m.detail}`); }
      else if (m.type === "closed") { ws.close(); }
    };
    ws.onclose = () => { stopMic(); if (state.sid === sid) finishAfterAudio(); };
  }
  function stopMic() {
    if (!state.audio) return;
    state.audio.stream.getTracks().forEach((t) => t.stop());
    state.audio.ctx.close().catch(() => {});
    state.audio = null;
  }
  function finishAfterAudio() {
    // let the customer's last line play out before the card replaces the call
    const a = $("customer-audio");
    if (!a.paused && !a.ended) a.addEventListener("ended", finish, { once: true }); else finish();
  }
  function hangupSpoken() {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify({ type: "hangup" })); $("mic-state").textContent = "…"; }
    else finish();
  }

  async function finish() {
    if (state.sid === null) return;
    clearInterval(state.beat);
    stopMic();
    const sid = state.sid; state.sid = null;
    try {
      const session = await OPSIM.api("POST", `/api/calls/${sid}/finish`);
      $("live").hidden = true; $("result").hidden = false;
      OPSIM.renderCard($("card"), session);
      $("recordings").textContent = "";
      for (const t of session.transcript) {
        const who = t.speaker === "customer" ? "お客様 / Customer" : "あなた / You";
        const li = el("li", { class: t.speaker }, el("span", { class: "who" }, who), el("span", { class: "text" }, t.text));
        if (t.audio_url) li.append(el("audio", { controls: "", preload: "none", src: t.audio_url }));
        $("recordings").append(li);
      }
      $("session-link").href = `/sessions/${sid}`;
    } catch (e) { status(`採点できません / cannot score: ${e.message}`); }
  }

  $("start").addEventListener("click", start);
  $("reply-form").addEventListener("submit", send);
  $("reply-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { send(e); } });
  $("hangup").addEventListener("click", finish);
  $("hangup-spoken").addEventListener("click", hangupSpoken);
  $("retry").addEventListener("click", () => { $("result").hidden = true; $("setup").hidden = false; $("start").disabled = false; start(); });
})();
