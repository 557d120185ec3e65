"""The HTML report: opens as HTML, has the charts (SVG with real Japanese text), an audio
player per recorded turn (embedded), failed checks highlighted."""

from __future__ import annotations

import base64
import io
import wave
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from store_helpers import GOOD, READBACK, WRONG, make_wav

from scoring import score_call
from simulator.engine import Call, Utterance
from simulator.readings import NumberReading
from simulator.schema import Scenario
from simulator.store import Store
from simulator.store.report import build_report, summarize


class Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: Counter[str] = Counter()
        self.ends: Counter[str] = Counter()
        self.audio: list[str] = []
        self.ids: list[str] = []
        self.svg_text: list[str] = []
        self.failed_rows: list[str] = []
        self._stack: list[str] = []
        self._row_failed = False
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.starts[tag] += 1
        self._stack.append(tag)
        if tag == "audio":
            self.audio.append(a.get("src") or "")
        if a.get("id"):
            self.ids.append(a["id"])
        for k in ("src", "href", "xlink:href"):
            if a.get(k) and tag != "audio":
                self.refs.append(a[k] or "")
        if tag == "tr":
            self._row_failed = "failed" in (a.get("class") or "").split()
            if self._row_failed:
                self.failed_rows.append("")

    def handle_endtag(self, tag: str) -> None:
        self.ends[tag] += 1
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
        if tag == "tr":
            self._row_failed = False

    def handle_data(self, data: str) -> None:
        if "text" in self._stack and "svg" in self._stack:
            self.svg_text.append(data)
        if self._row_failed:
            self.failed_rows[-1] += data


def _sessions(store: Store, scenario: Scenario, tmp_path: Path) -> list[int]:
    ids = []
    for n, (who, script) in enumerate([("山田", GOOD), ("佐藤", WRONG), ("山田", WRONG)]):
        call = Call(scenario, seed=n)
        with store.open_session(scenario, call, who) as w:
            for i, r in enumerate(script):
                clip = tmp_path / f"{n}-{i}.wav"
                clip.write_bytes(make_wav(1.0, rate=16000))
                nums = (NumberReading("7", "しち", ok=False, advice="7 は「なな」と読みましょう"),) \
                    if who == "佐藤" else ()
                call.reply(Utterance(r, audio=str(clip), numbers=nums))
                w.sync(call.record)
                w.attach_audio(call.record.turns[-1].index, make_wav(0.5, rate=22050))
            if not call.ended:
                call.abandon()
            w.finish(call.record, score_call(scenario, call.record))
            ids.append(w.id)
    return ids


def test_report_html(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    _sessions(store, scenario, tmp_path)
    rep = build_report(store)
    doc = Doc()
    doc.feed(rep.html)
    doc.close()
    assert rep.html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in rep.html
    for tag in ("html", "body", "table", "section", "svg", "audio", "tr"):
        assert doc.starts[tag] == doc.ends[tag], tag
    # four charts, inline SVG, labels as text (not paths) including Japanese
    assert doc.starts["svg"] == 4 and doc.starts["section"] == 3
    text = " ".join(doc.svg_text)
    for words in ("山田", "佐藤", "スコア推移", "復唱", "readback.order_number", "しち"):
        assert words in text, words
    assert len(doc.ids) == len(set(doc.ids))  # ids made unique across the charts
    # one player per turn with audio, embedded as 8 kHz mono WAV
    turns_with_audio = sum(s.turn_count for s in store.sessions())
    assert len(doc.audio) == turns_with_audio == rep.audio_embedded == 2 * (4 + 3 + 3)
    head, b64 = doc.audio[0].split(",", 1)
    assert head == "data:audio/wav;base64"
    with wave.open(io.BytesIO(base64.b64decode(b64))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() - 8000 * 0.5) <= 2 or abs(w.getnframes() - 8000) <= 2
    # self-contained: nothing fetched from elsewhere (only in-document #refs)
    assert all(r.startswith("#") for r in doc.refs), doc.refs[:3]
    assert "<script" not in rep.html and "<link" not in rep.html
    # the turns failed checks point at are highlighted; the wrong read-back in both WRONG calls
    cards = [d.scorecard for d in store.details(store.sessions())]
    assert len(doc.failed_rows) == sum(
        len({c.turn for c in card.checks if not c.passed and c.turn is not None})
        for card in cards if card is not None)
    assert sum(1 for r in doc.failed_rows if "12345679" in r and READBACK in r) == 2
    assert "7 は「なな」と読みましょう" in rep.html


def test_summary_numbers(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    _sessions(store, scenario, tmp_path)
    s = summarize(store.details(store.sessions()))
    assert s.trainees.keys() == {"山田", "佐藤"}
    details = store.details(store.sessions())
    cards = [d.scorecard for d in details if d.scorecard is not None]
    assert sorted(p[1] for p in s.trainees["山田"]) == sorted(
        c.score for d, c in zip(details, cards, strict=True) if d.summary.trainee == "山田")
    [check] = [c for c in s.checks if c.check_id == READBACK]
    assert (check.times, check.passed, check.missed) == (3, 1, 2)
    assert check.trainees_missed == {"山田", "佐藤"}
    assert [c.check_id for c in s.checks] == sorted({c.id for card in cards for c in card.checks},
                                                     key=lambda i: (next(c.category for card in cards for c in card.checks if c.id == i), i))
    assert [m.missed for m in s.missed] == sorted((m.missed for m in s.missed), reverse=True)
    rb = [max(0.0, 100 * sum(c.points for c in card.checks if c.category == "readback")
              / sum(c.max_points for c in card.checks if c.category == "readback")) for card in cards]
    assert s.categories["readback"] == pytest.approx(sum(rb) / 3)
    [n] = s.numbers
    assert (n.value, n.reading, n.times, n.trainees) == ("7", "しち", 3, {"佐藤"})


def test_report_audio_budget_and_no_audio(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    _sessions(store, scenario, tmp_path)
    small = build_report(store, audio_budget_mb=0.1)  # ~6 s of telephone audio
    assert 0 < small.audio_embedded < 20 and small.audio_embedded + small.audio_skipped == 20
    assert f"{small.audio_skipped} left out" in small.html
    none = build_report(store, audio=False)
    assert none.audio_embedded == 0 and "<audio" not in none.html
    assert "sessions/" in none.html  # file paths instead
    assert len(none.html) < len(small.html)


def test_report_filters_and_empty(store: Store, scenario: Scenario, tmp_path: Path) -> None:
    empty = build_report(store)
    assert empty.sessions == 0 and empty.html.count("<svg") == 4
    _sessions(store, scenario, tmp_path)
    only = build_report(store, trainee="佐藤", audio=False)
    assert only.sessions == 1 and "trainee=佐藤" in only.html


def test_report_embeds_the_japanese_glyphs_it_uses(store: Store, scenario: Scenario,
                                                   tmp_path: Path) -> None:
    """Readable on a machine with no Japanese font: a subset of IPAexGothic is embedded."""
    import re

    from fontTools.ttLib import TTFont

    _sessions(store, scenario, tmp_path)
    html = build_report(store).html
    m = re.search(r'@font-face\{font-family:"opsim-ja";src:url\(data:font/woff;base64,'
                  r'([A-Za-z0-9+/=]+)\)', html)
    assert m is not None
    data = base64.b64decode(m.group(1))
    assert len(data) < 400_000  # a subset, not the 6 MB font
    font = TTFont(io.BytesIO(data))
    cmap = font.getBestCmap()
    visible = re.sub(r"data:[^\"')]+", "", html)  # glyphs on the page, not in data URIs
    japanese = {c for c in visible if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"}
    assert {"復", "唱", "し", "ち"} <= japanese
    assert not [c for c in japanese if ord(c) not in cmap]
    assert 'svg text{font-family:"opsim-ja"' in html  # the charts' labels use it too
