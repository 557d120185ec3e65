"""The site in a real browser: a trainee practises a typed call and reads the scorecard,
the supervisor finds the session on the dashboard and opens it."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import Site, browser, page_login, scripted_replies, shot


# what the browser shows does not depend on the database: the API tests run on both
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_typed_practice_then_the_supervisor_reviews(site: Site, tmp_path: Path) -> None:
    seed, replies = scripted_replies("angry_complaint", "wrong_readback")
    with browser() as b:
        ctx = b.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page_login(page, site.url, "trainee", site.passwords["trainee"])
        assert page.url.endswith("/practice")
        assert page.locator("text=練習するシナリオを選ぶ").count() == 1
        shot(page, tmp_path, "01-practice-list")
        page.goto(f"{site.url}/practice/ja/angry_complaint?seed={seed}")
        page.check("#mode-typed")  # a machine without a microphone
        page.click("#start")
        page.wait_for_selector("#live:not([hidden])")
        assert page.locator("#brief").inner_text().strip()
        for text in replies:
            before = page.locator("#transcript li.customer").count()
            page.fill("#reply-text", text)
            page.click("#send")
            # the customer's answer appears (the page's CSP forbids eval: wait on nodes)
            page.locator("#transcript li.customer").nth(before).wait_for()
            if page.locator("#result:not([hidden])").count():
                break
            if before == 2:
                shot(page, tmp_path, "02-call-transcript")
        try:  # the customer may have ended the call (the card is on its way)
            page.wait_for_selector("#result:not([hidden])", timeout=5000)
        except Exception:
            page.click("#hangup")
            page.wait_for_selector("#result:not([hidden])")
        score = page.locator("#score").inner_text()
        assert "スコア" in score
        failed = page.locator("li.check.fail")
        assert failed.count() >= 1
        assert "readback" in page.locator("li.check.fail").first.get_attribute("data-check")
        assert page.locator("li.check.fail dd").count() >= 2  # evidence, advice
        shot(page, tmp_path, "03-scorecard")
        link = page.get_attribute("#session-link", "href")
        assert link and link.startswith("/sessions/")
        session_id = link.rsplit("/", 1)[1]
        page.goto(f"{site.url}/history")
        assert page.locator(f"tr[data-session='{session_id}']").count() == 1
        assert page.locator(".chart svg").count() == 1
        shot(page, tmp_path, "04-history")
        assert errors == []
        ctx.close()

        sup = b.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
        page_login(sup, site.url, "supervisor", site.passwords["supervisor"])
        assert sup.url.endswith("/dashboard")
        assert sup.locator(f"tr[data-session='{session_id}']").count() == 1
        assert sup.locator(".chart svg").count() == 3
        shot(sup, tmp_path, "05-dashboard")
        sup.click(f"tr[data-session='{session_id}'] a")
        sup.wait_for_load_state("networkidle")
        assert sup.locator("ol.transcript li").count() >= 4
        sup.fill("textarea[name=text]", "復唱の前に、メモを見直しましょう。")
        sup.click("#comments button[type=submit]")
        sup.wait_for_load_state("networkidle")
        assert sup.locator("text=復唱の前に、メモを見直しましょう。").count() == 1
        shot(sup, tmp_path, "06-session")
