"""The site over real HTTP: health, login, roles, a typed call end to end, and every
refusal (no login, another trainee's session / audio / export, CSRF, throttling, body
size, escaping, audio outside the data folder)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from site_helpers import Site, csrf_of, login, prelogin, scripted_replies

from simulator.store import db, open_store
from simulator.store.accounts import Accounts

GOOD_CALL = [
    "お電話ありがとうございます。こもれび、佐藤でございます。",
    "大変申し訳ございません。ご不快な思いをおかけしました。",
    "恐れ入りますが、ご注文番号をお伺いしてもよろしいでしょうか。",
]


def _typed_call(c: httpx.Client, replies: list[str], scenario: str = "angry_complaint",
                seed: int = 3) -> dict:
    h = {"X-CSRF-Token": csrf_of(c)}
    r = c.post("/api/calls", json={"scenario": scenario, "language": "ja", "seed": seed}, headers=h)
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    assert r.json()["brief"]
    for text in replies:
        r = c.post(f"/api/calls/{sid}/reply", json={"text": text}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["customer"]["text"]
        if r.json()["ended"]:
            break
    r = c.post(f"/api/calls/{sid}/finish", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_health_and_unauthenticated_refusals(site: Site) -> None:
    c = site.client()
    assert c.get("/healthz").json() == {"status": "ok"}
    for path in ("/api/sessions", "/api/me", "/api/scenarios", "/api/sessions/1",
                 "/api/sessions/1/audio/0", "/api/export", "/api/users", "/api/assignments"):
        r = c.get(path)
        assert r.status_code == 401, path
        assert r.json() == {"detail": "login required"}
    r = c.post("/api/calls", json={"scenario": "angry_complaint"})
    assert r.status_code == 401
    r = c.get("/dashboard")  # pages send you to the login page
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/dashboard"
    page = c.get("/login")
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "ログイン" in page.text and "Log in" in page.text
    assert "content-security-policy" in page.headers


def test_login_cookie_is_httponly_samesite_and_roles_go_home(site: Site) -> None:
    c = site.client()
    r = login(c, "trainee", site.passwords["trainee"])
    assert r.status_code == 303 and r.headers["location"] == "/practice"
    cookie = r.headers["set-cookie"]
    assert "opsim_login=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert c.get("/api/me").json()["role"] == "trainee"
    c2 = site.client()
    assert login(c2, "supervisor", site.passwords["supervisor"]).headers["location"] == "/dashboard"
    # an open redirect is not followed
    c3 = site.client()
    token = prelogin(c3)
    r = c3.post("/login", data={"username": "trainee", "password": site.passwords["trainee"],
                                "csrf": token, "next": "//evil.example/"})
    assert r.headers["location"] == "/practice"
    # logging out ends the login (CSRF token needed for that too)
    assert c.post("/logout").status_code == 403
    key = c.cookies["opsim_login"]
    assert c.post("/logout", data={"csrf": csrf_of(c)}).status_code == 303
    replay = site.client()
    replay.cookies.set("opsim_login", key)
    assert replay.get("/api/me").status_code == 401


def test_wrong_password_then_throttled(site: Site) -> None:
    c = site.client()
    for _ in range(3):
        r = login(c, "trainee2", "wrong-password")
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = login(c, "trainee2", site.passwords["trainee2"])  # even the right one now waits
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # the login form without its double-submit token is refused
    r = site.client().post("/login", data={"username": "trainee", "password": "x", "csrf": "forged"})
    assert r.status_code == 403


def test_typed_call_end_to_end_and_the_supervisor_sees_it(site: Site) -> None:
    c = site.login("trainee")
    seed, replies = scripted_replies("angry_complaint", "good")
    session = _typed_call(c, replies, seed=seed)
    card = session["scorecard"]
    assert (session["trainee"], session["status"], session["outcome"]) == (
        "trainee", "complete", "completed")
    assert card["passed"] and card["checks"]
    assert [t["speaker"] for t in session["transcript"][:2]] == ["trainee", "customer"]
    # the same scorecard as the CLI's scripted run of the same call
    from scoring import score_call
    from simulator.engine import Call, play
    from simulator.scenarios import find_scenario

    sc = find_scenario("angry_complaint", "ja")
    cli_card = score_call(sc, play(Call(sc, seed=seed), replies).record)
    assert card["score"] == cli_card.score
    # a hung-up call is incomplete, scored, with advice on what was missed
    short = _typed_call(c, GOOD_CALL[:2])
    assert short["status"] == "incomplete" and short["scorecard"] is not None
    assert any(ch["advice"] for ch in short["scorecard"]["checks"] if ch["passed"] is False)
    mine = c.get("/api/sessions").json()
    assert [s["id"] for s in mine] == [session["id"], short["id"]]
    sup = site.login("supervisor")
    assert session["id"] in [s["id"] for s in sup.get("/api/sessions").json()]
    page = sup.get("/dashboard")
    assert page.status_code == 200 and "trainee" in page.text and "ダッシュボード" in page.text
    assert sup.get(f"/sessions/{session['id']}").status_code == 200


def test_trainee_a_cannot_see_or_hear_or_export_b(site: Site, tmp_path: Path) -> None:
    a = site.login("trainee")
    b = site.login("trainee2")
    sid = _typed_call(a, GOOD_CALL[:1])["id"]
    # give a turn a recording, as a spoken call would
    wav = site.home / "sessions" / "x.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF....WAVE")
    with open_store(home=site.home) as st, st.engine.begin() as conn:
        conn.execute(db.turns.update().where(db.turns.c.session_id == sid, db.turns.c.idx == 0)
                     .values(audio="sessions/x.wav"))
    assert a.get(f"/api/sessions/{sid}/audio/0").status_code == 200
    assert b.get(f"/api/sessions/{sid}").status_code == 404
    assert b.get(f"/api/sessions/{sid}/audio/0").status_code == 404
    assert b.get(f"/sessions/{sid}").status_code == 404
    assert b.get("/api/sessions").json() == []
    assert b.get("/api/sessions", params={"trainee": "trainee"}).json() == []  # filter ignored
    rows = list(csv.DictReader(io.StringIO(
        b.get("/api/export", params={"trainee": "trainee"}).content.decode("utf-8-sig"))))
    assert rows == []
    mine = a.get("/api/export").content
    assert mine.startswith(b"\xef\xbb\xbf") and b"trainee" in mine
    assert b.get("/dashboard").status_code == 403
    assert b.get("/api/users").status_code == 403
    # b cannot drive or finish a's call either
    h = {"X-CSRF-Token": csrf_of(a)}
    r = a.post("/api/calls", json={"scenario": "angry_complaint"}, headers=h)
    live = r.json()["session_id"]
    hb = {"X-CSRF-Token": csrf_of(b)}
    assert b.post(f"/api/calls/{live}/reply", json={"text": "x"}, headers=hb).status_code == 404
    assert b.post(f"/api/calls/{live}/finish", headers=hb).status_code == 404
    # comments are the supervisor's
    assert a.post(f"/api/sessions/{sid}/comments", json={"text": "hi"}, headers=h).status_code == 403


def test_audio_cannot_leave_the_data_folder(site: Site, tmp_path: Path) -> None:
    a = site.login("trainee")
    sid = _typed_call(a, GOOD_CALL[:1])["id"]
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"RIFF secret")
    for bad in (str(outside), "../secret.wav", "sessions/../../secret.wav"):
        with open_store(home=site.home) as st, st.engine.begin() as conn:
            conn.execute(db.turns.update().where(db.turns.c.session_id == sid,
                                                 db.turns.c.idx == 0).values(audio=bad))
        r = a.get(f"/api/sessions/{sid}/audio/0")
        assert r.status_code == 404 and b"secret" not in r.content, bad
    assert a.get(f"/api/sessions/{sid}/audio/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)


def test_csrf_is_checked_on_every_state_change(site: Site) -> None:
    c = site.login("trainee")
    r = c.post("/api/calls", json={"scenario": "angry_complaint"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = c.post("/api/calls", json={"scenario": "angry_complaint"}, headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    sup = site.login("supervisor")
    sid = _typed_call(c, GOOD_CALL[:1])["id"]
    assert sup.post(f"/sessions/{sid}/comments", data={"text": "good"}).status_code == 403
    assert sup.post("/assignments", data={"trainee": "trainee",
                                          "scenario": "ja/angry_complaint"}).status_code == 403
    # with the token the same requests work
    tok = csrf_of(sup)
    assert sup.post(f"/sessions/{sid}/comments", data={"text": "good", "csrf": tok}).status_code == 303
    # a bearer token needs no CSRF token (no cookie to ride on)
    with open_store(home=site.home) as st:
        token = Accounts(st).new_token("trainee")
    t = site.client()
    r = t.post("/api/calls", json={"scenario": "angry_complaint"},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    assert t.get("/api/sessions", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_names_and_texts_are_escaped(site: Site) -> None:
    evil = "<script>alert(1)</script>"
    with open_store(home=site.home) as st:
        Accounts(st).add(evil, "trainee", "evil-password")
    c = site.client()
    assert login(c, evil, "evil-password").status_code == 303
    sid = _typed_call(c, [evil])["id"]
    sup = site.login("supervisor")
    tok = csrf_of(sup)
    sup.post(f"/sessions/{sid}/comments", data={"text": evil, "csrf": tok})
    sup.post("/assignments", data={"trainee": evil, "scenario": "ja/angry_complaint",
                                   "note": evil, "csrf": tok})
    for page in (sup.get("/dashboard"), sup.get(f"/sessions/{sid}"), c.get("/practice"),
                 c.get("/history"), c.get(f"/sessions/{sid}")):
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;" in page.text


def test_body_size_and_field_limits(site: Site) -> None:
    c = site.login("trainee")
    h = {"X-CSRF-Token": csrf_of(c)}
    r = c.post("/api/calls", content=b"{" + b" " * 300_000 + b"}", headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    def chunks():  # no content-length: counted as it streams
        for _ in range(30):
            yield b" " * 10_000
    r = c.post("/api/calls", content=chunks(), headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    sid = c.post("/api/calls", json={"scenario": "angry_complaint"}, headers=h).json()["session_id"]
    r = c.post(f"/api/calls/{sid}/reply", json={"text": "あ" * 2001}, headers=h)
    assert r.status_code == 422
    r = c.post("/api/calls", json={"scenario": "angry_complaint", "extra": 1}, headers=h)
    assert r.status_code == 422
    r = c.post("/api/calls", json={"scenario": "no_such"}, headers=h)
    assert r.status_code == 404
    r = login(site.client(), "x" * 300, "y")
    assert r.status_code == 422


def test_closed_tab_leaves_an_incomplete_session_with_every_turn(site: Site) -> None:
    c = site.login("trainee")
    h = {"X-CSRF-Token": csrf_of(c)}
    sid = c.post("/api/calls", json={"scenario": "angry_complaint", "seed": 3},
                 headers=h).json()["session_id"]
    for text in GOOD_CALL[:2]:
        assert c.post(f"/api/calls/{sid}/reply", json={"text": text}, headers=h).status_code == 200
    assert c.get(f"/api/sessions/{sid}").json()["status"] == "in_progress"
    # the tab closes: no more heartbeats; the server notices within the timeout (6 s here)
    deadline = time.monotonic() + 20
    while c.get(f"/api/sessions/{sid}").json()["status"] == "in_progress":
        assert time.monotonic() < deadline, "the silent call was not abandoned"
        time.sleep(0.5)
    s = c.get(f"/api/sessions/{sid}").json()
    assert (s["status"], s["outcome"]) == ("incomplete", "incomplete")
    assert [t["text"] for t in s["transcript"] if t["speaker"] == "trainee"] == GOOD_CALL[:2]
    with open_store(home=site.home) as st, st.engine.connect() as conn:
        assert conn.execute(sa.select(db.sessions.c.lease_until)
                            .where(db.sessions.c.id == sid)).scalar_one() is not None


def test_heartbeats_keep_a_call_alive(site: Site) -> None:
    c = site.login("trainee")
    h = {"X-CSRF-Token": csrf_of(c)}
    sid = c.post("/api/calls", json={"scenario": "angry_complaint"}, headers=h).json()["session_id"]
    for _ in range(8):  # 8 s > the 6 s timeout, with a beat every second
        time.sleep(1)
        assert c.post(f"/api/calls/{sid}/heartbeat", headers=h).status_code == 200
    assert c.get(f"/api/sessions/{sid}").json()["status"] == "in_progress"


def test_assignments_and_openapi_page(site: Site) -> None:
    sup = site.login("supervisor")
    tok = csrf_of(sup)
    r = sup.post("/api/assignments", json={"trainee": "trainee", "scenario": "reservation",
                                          "language": "ja", "note": "予約の復唱"},
                 headers={"X-CSRF-Token": tok})
    assert r.status_code == 201
    t = site.login("trainee")
    assert [a["scenario_id"] for a in t.get("/api/assignments").json()] == ["reservation"]
    assert "予約の復唱" in t.get("/practice").text
    assert t.post("/api/assignments", json={"trainee": "trainee", "scenario": "reservation"},
                  headers={"X-CSRF-Token": csrf_of(t)}).status_code == 403
    docs = site.client().get("/docs")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert site.client().get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    spec = site.client().get("/openapi.json").json()
    assert "/api/calls/{session_id}/reply" in spec["paths"]


def test_opsim_serve_first_start_prints_random_passwords_once(tmp_path: Path) -> None:
    import os
    import re
    import subprocess
    import sys

    from site_helpers import free_port

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, OPSIM_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    env.pop("OPSIM_DB_URL", None)

    def start() -> tuple[subprocess.Popen[str], str, list[str]]:
        port = free_port()
        proc = subprocess.Popen([sys.executable, str(root / "cli.py"), "serve", "--port", str(port)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "opsim practice site: http://127.0.0.1:" in line:
                break
        return proc, f"http://127.0.0.1:{port}", lines

    proc, url, lines = start()
    try:
        text = "".join(lines)
        found = dict(re.findall(r"user: (\S+)\s+password: (\S+)", text))
        assert set(found) == {"supervisor", "trainee"} and len(set(found.values())) == 2
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        with httpx.Client(base_url=url) as c:
            assert login(c, "supervisor", found["supervisor"]).status_code == 303
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    proc, _url, lines = start()  # the second start creates nobody and prints no password
    proc.terminate()
    proc.wait(timeout=30)
    if proc.stdout is not None:
        proc.stdout.close()
    assert "password" not in "".join(lines)
