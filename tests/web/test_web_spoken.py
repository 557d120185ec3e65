"""Spoken calls through the site: a tool streams the demo trainee's recorded replies over
the WebSocket (the real protocol), the browser plays a whole call with a WAV as its
microphone, and every refusal of the audio socket."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from site_helpers import Site, browser, csrf_of, page_login, shot

from simulator.demo import demo_call, trainee_recordings
from simulator.demo_script import SCRIPTS
from simulator.store import open_store
from simulator.store.accounts import Accounts

# the spoken path reaches the database like the typed one (test_web_api runs on both);
# Whisper on every call is the cost here, so SQLite only
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

FRAME = 640  # 40 ms at 16 kHz


@pytest.fixture(autouse=True, scope="module")
def _whisper_vocabulary_read() -> None:
    """openai-whisper reads its vocabulary with an unclosed open(); read it here once (it
    is cached), so the warning does not fire later in the server's call threads."""
    import gc
    import warnings

    from whisper.tokenizer import get_encoding

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        get_encoding("multilingual", 99)
        gc.collect()


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), dtype=np.float32)


def frames(samples: np.ndarray) -> list[bytes]:
    data = pcm16(samples)
    return [data[i:i + 2 * FRAME] for i in range(0, len(data), 2 * FRAME)]


def wav_duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def demo(language: str = "ja") -> tuple[Any, list[tuple[str, np.ndarray]]]:
    script = SCRIPTS[language]
    return script, trainee_recordings(script, demo_call(script))


def token_for(site: Site, name: str) -> str:
    with open_store(home=site.home) as st:
        return Accounts(st).new_token(name)


def ws_url(site: Site, sid: int, query: str = "") -> str:
    return site.url.replace("http://", "ws://") + f"/api/calls/{sid}/audio{query}"


def start_call(c: Any, headers: dict[str, str], script: Any) -> int:
    r = c.post("/api/calls", json={"scenario": script.scenario, "language": script.language,
                                   "seed": 7, "variables": dict(script.pins)}, headers=headers)
    assert r.status_code == 201, r.text
    sid: int = r.json()["session_id"]
    return sid


def events_until(ws: Any, kind: str, timeout: float = 120) -> list[dict[str, Any]]:
    seen = []
    while True:
        e = json.loads(ws.recv(timeout=timeout))
        seen.append(e)
        if e["type"] in (kind, "closed", "error"):
            return seen


@pytest.mark.speech
def test_a_tool_plays_a_whole_spoken_call_over_the_websocket(site: Site) -> None:
    from websockets.sync.client import connect

    script, recordings = demo()
    token = token_for(site, "trainee")
    auth = {"Authorization": f"Bearer {token}"}
    c = site.client()
    sid = start_call(c, auth, script)
    turns = 0
    ended = False
    with connect(ws_url(site, sid), additional_headers=auth, open_timeout=30) as ws:
        assert events_until(ws, "ready")[-1]["type"] == "ready"
        for _text, samples in recordings:
            for f in frames(np.concatenate([silence(0.4), samples, silence(1.6)])):
                ws.send(f)
            got = events_until(ws, "turn")
            turn = got[-1]
            assert turn["type"] == "turn", got
            turns += 1
            assert turn["trainee"]["text"] and turn["customer"]["text"]
            audio = c.get(turn["customer"]["audio_url"], headers=auth)
            assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
            if turn["ended"]:
                ended = True
                break
            # the trainee listens to the customer's line before answering
            for f in frames(silence(wav_duration(audio.content) + 0.3)):
                ws.send(f)
        if not ended:
            ws.send(json.dumps({"type": "hangup"}))
        assert events_until(ws, "closed")[-1]["type"] == "closed"
    session = c.post(f"/api/calls/{sid}/finish", headers=auth).json()
    assert turns >= 5
    trainee = [t for t in session["transcript"] if t["speaker"] == "trainee"]
    assert len(trainee) == turns and all(t["audio_url"] for t in trainee)
    failed = {ch["id"] for ch in session["scorecard"]["checks"] if ch["passed"] is False}
    assert set(script.expected_failures) <= failed, failed
    # the customer's lines and the trainee's replies are stored recordings of that session
    r = c.get(trainee[0]["audio_url"], headers=auth)
    assert r.status_code == 200 and wav_duration(r.content) > 1.0


@pytest.mark.speech
def test_audio_socket_refusals(site: Site) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    script, _ = demo()
    a = site.login("trainee")
    h = {"X-CSRF-Token": csrf_of(a)}
    sid = start_call(a, h, script)
    cookie = {"Cookie": f"opsim_login={a.cookies['opsim_login']}"}
    origin = {"Origin": site.url}
    refused = [
        ({}, ""),  # no login
        (cookie, ""),  # the cookie without Origin and CSRF token
        ({**cookie, "Origin": "http://evil.example"}, f"?csrf={csrf_of(a)}"),  # another site
        ({**cookie, **origin}, "?csrf=wrong"),
        ({"Authorization": f"Bearer {token_for(site, 'trainee2')}"}, ""),  # another trainee
    ]
    for headers, query in refused:
        with pytest.raises(InvalidStatus):
            connect(ws_url(site, sid, query), additional_headers=headers, open_timeout=10)
    # the page's own request works; a frame over 64 KB ends the stream
    with connect(ws_url(site, sid, f"?csrf={csrf_of(a)}"), additional_headers={**cookie, **origin},
                 max_size=1 << 20) as ws:
        ws.send(b"\0" * 70_000)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=60)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    # a second stream of the same call is refused; odd bytes are not 16-bit PCM
    sid2 = start_call(a, h, script)
    with connect(ws_url(site, sid2, f"?csrf={csrf_of(a)}"), additional_headers={**cookie, **origin}) as ws:
        with pytest.raises(InvalidStatus):
            connect(ws_url(site, sid2, f"?csrf={csrf_of(a)}"), additional_headers={**cookie, **origin})
        ws.send(b"\0\0\0")
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=60)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


def wav_seconds(path: Path) -> float:
    return wav_duration(path.read_bytes())


def mic_wav(path: Path, recordings: list[tuple[str, np.ndarray]], gap_s: float) -> Path:
    """The fake microphone: PCM WAV with only fmt and data chunks, led by silence."""
    parts = [silence(1.5)]
    for _text, samples in recordings:
        parts += [samples, silence(gap_s)]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm16(np.concatenate(parts)))
    return path


@pytest.mark.speech
def test_a_spoken_call_in_the_browser_then_the_supervisor_finds_it(site: Site, tmp_path: Path) -> None:
    from urllib.parse import quote

    script, recordings = demo()
    wav = mic_wav(tmp_path / "mic.wav", recordings, gap_s=7.0)
    query = "seed=7&" + "&".join(f"var={quote(k)}={quote(v)}" for k, v in script.pins.items())
    with browser(mic_wav=wav) as b:
        ctx = b.new_context(locale="ja-JP", viewport={"width": 1280, "height": 1000})
        ctx.grant_permissions(["microphone"], origin=site.url)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page_login(page, site.url, "trainee", site.passwords["trainee"])
        page.goto(f"{site.url}/practice/{script.language}/{script.scenario}?{query}")
        assert page.is_checked("#mode-spoken")
        page.click("#start")
        page.wait_for_selector("#call[data-ready='1']", timeout=120_000)
        # the customer answers every reply; the page plays each line through <audio>
        page.locator("#transcript li.customer").nth(2).wait_for(timeout=180_000)
        shot(page, tmp_path, "20-spoken-call")
        assert page.locator("#customer-audio").get_attribute("src").startswith("/api/sessions/")
        # the microphone file ends; the trainee hangs up unless the customer already did
        try:
            page.wait_for_selector("#result:not([hidden])", timeout=int(wav_seconds(wav) * 1000) + 60_000)
        except Exception:
            page.click("#hangup-spoken")
            page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        failed = {page.locator("li.check.fail").nth(i).get_attribute("data-check")
                  for i in range(page.locator("li.check.fail").count())}
        assert set(script.expected_failures) <= failed, failed
        assert page.locator("#recordings audio").count() >= 2 * 5  # each turn's audio
        shot(page, tmp_path, "21-spoken-scorecard")
        link = page.get_attribute("#session-link", "href")
        assert errors == [], errors
        sup = b.new_context(locale="ja-JP").new_page()
        page_login(sup, site.url, "supervisor", site.passwords["supervisor"])
        sup.goto(f"{site.url}{link}")
        assert sup.locator("ol.transcript audio").count() >= 2 * 5
        shot(sup, tmp_path, "22-spoken-session")
