"""Trainers in the browser: live validation with file:line:col, the state diagram, lines
in the persona's voice, scripted runs, versioned saves that trainees can practise; and the
same stored scenarios from the CLI (opsim scenarios, export, import, run)."""

from __future__ import annotations

import json
from pathlib import Path

from site_helpers import Site, browser, csrf_of, page_login, shot
from typer.testing import CliRunner

import cli

TEMPLATE = (Path(__file__).resolve().parents[2] / "simulator" / "templates" / "ja.yaml").read_text("utf-8")
MINE = TEMPLATE.replace("my_scenario", "gift_wrapping")
runner = CliRunner()


def test_validate_save_version_and_practise_a_stored_scenario(site: Site) -> None:
    t = site.login("trainer")
    h = {"X-CSRF-Token": csrf_of(t)}
    r = t.post("/api/scenarios/validate", json={"yaml": MINE}, headers=h).json()
    assert r["ok"] and r["id"] == "gift_wrapping" and "<svg" in r["diagram"] and r["lines"]
    broken = MINE.replace("goto: done", "goto: doen", 1)
    r = t.post("/api/scenarios/validate", json={"yaml": broken}, headers=h).json()
    assert not r["ok"]
    assert any(p.startswith("scenario.yaml:") and "doen" in p and "did you mean" in p
               for p in r["problems"]), r["problems"]
    # a bundled id cannot be shadowed
    clash = TEMPLATE.replace("my_scenario", "angry_complaint")
    r = t.post("/api/scenarios", json={"yaml": clash}, headers=h)
    assert r.status_code == 400 and "bundled" in r.json()["detail"]
    assert t.post("/api/scenarios", json={"yaml": MINE}, headers=h).json()["version"] == 1
    assert t.post("/api/scenarios", json={"yaml": MINE}, headers=h).json()["version"] == 1  # same text
    v2 = MINE.replace("問い合わせ対応（雛形）", "ギフト包装の問い合わせ")
    assert t.post("/api/scenarios", json={"yaml": v2}, headers=h).json()["version"] == 2
    vs = t.get("/api/scenarios/ja/gift_wrapping/versions").json()
    assert [v["version"] for v in vs] == [1, 2] and vs[0]["author"] == "trainer"
    # a trainee sees it, practises it; the session keeps the version's text
    tr = site.login("trainee")
    assert "ギフト包装の問い合わせ" in tr.get("/practice").text
    ht = {"X-CSRF-Token": csrf_of(tr)}
    sid = tr.post("/api/calls", json={"scenario": "gift_wrapping"}, headers=ht).json()["session_id"]
    tr.post(f"/api/calls/{sid}/reply", json={"text": "お電話ありがとうございます。"}, headers=ht)
    assert tr.post(f"/api/calls/{sid}/finish", headers=ht).json()["title"] == "ギフト包装の問い合わせ"
    # trainees cannot write scenarios
    assert tr.post("/api/scenarios", json={"yaml": MINE}, headers=ht).status_code == 403
    assert tr.get("/scenarios").status_code == 403
    # scripted run against the text
    r = t.post("/api/scenarios/run", json={"yaml": v2, "replies": ["お電話ありがとうございます。"]},
               headers=h).json()
    assert r["transcript"][0]["speaker"] == "trainee" and "scorecard" in r
    # the CLI sees the stored scenario: list, export, run
    res = runner.invoke(cli.app, ["scenarios", "--json"], env={"OPSIM_HOME": str(site.home)})
    rows = {x["id"]: x for x in json.loads(res.stdout)}
    assert rows["gift_wrapping"]["stored"]["version"] == 2 and rows["angry_complaint"]["file"]
    res = runner.invoke(cli.app, ["scenarios", "export", "gift_wrapping", "--version", "1"],
                        env={"OPSIM_HOME": str(site.home)})
    assert res.stdout == MINE


def test_scenarios_import_export_and_run_from_the_cli(home_cli: Path, tmp_path: Path) -> None:
    f = tmp_path / "gift.yaml"
    f.write_text(MINE, encoding="utf-8")
    res = runner.invoke(cli.app, ["scenarios", "import", str(f), "--author", "佐藤"])
    assert res.exit_code == 0 and "stored gift_wrapping (ja) version 1" in res.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINE.replace("goto: done", "goto: doen", 1), encoding="utf-8")
    res = runner.invoke(cli.app, ["scenarios", "import", str(bad)])
    assert res.exit_code == 3 and f"{bad}:" in res.output and "doen" in res.output
    res = runner.invoke(cli.app, ["scenarios", "import", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 4
    replies = tmp_path / "r.json"
    replies.write_text(json.dumps(["お電話ありがとうございます。"], ensure_ascii=False), "utf-8")
    res = runner.invoke(cli.app, ["run", "gift_wrapping", "--replies", str(replies), "--json",
                                  "--no-voice"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["scenario"] == "gift_wrapping"
    out = tmp_path / "back.yaml"
    res = runner.invoke(cli.app, ["scenarios", "export", "gift_wrapping", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text("utf-8") == MINE
    res = runner.invoke(cli.app, ["scenarios", "export", "ghost"])
    assert res.exit_code == 4 and "no stored scenario" in res.output
    res = runner.invoke(cli.app, ["run", "ghost_scenario", "--replies", str(replies)])
    assert res.exit_code == 4 and "unknown scenario" in res.output


def test_the_editor_in_a_browser(site: Site, tmp_path: Path) -> None:
    with browser() as b:
        page = b.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000}).new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page_login(page, site.url, "trainer", site.passwords["trainer"])
        assert page.url.endswith("/scenarios")
        page.click("#new-ja")
        page.wait_for_selector("#verdict.ok")
        assert page.locator("#diagram svg g.state").count() >= 2
        assert page.locator("#lines li").count() >= 1
        page.fill("#yaml", MINE.replace("goto: done", "goto: doen", 1))
        page.wait_for_selector("#problems li.problem")
        problem = page.locator("#problems li.problem").first.inner_text()
        assert problem.startswith("scenario.yaml:") and "doen" in problem
        shot(page, tmp_path, "10-editor-problem")
        page.fill("#yaml", MINE)
        page.wait_for_selector("#verdict.ok")
        page.locator("#lines button.play").first.click()
        page.wait_for_selector("#player:not([hidden])")
        page.fill("#replies", "お電話ありがとうございます。ギフトショップ、佐藤でございます。")
        page.click("#run")
        page.wait_for_selector("#run-card #score")
        page.click("#save")
        page.wait_for_selector("#saved:has-text('v1')")
        shot(page, tmp_path, "11-editor")
        page.goto(f"{site.url}/scenarios")
        assert page.locator("tr[data-scenario='ja/gift_wrapping']").count() == 1
        assert errors == []
