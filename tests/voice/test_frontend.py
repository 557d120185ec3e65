"""The Japanese (and minimal English) text front-end, on scenario-style and bundled lines."""

from __future__ import annotations

import re

import pytest

from simulator import template
from simulator.scenarios import bundled_files
from simulator.schema import load_scenario
from simulator.variables import generate
from simulator.voice import frontend_en, frontend_ja
from simulator.voice.backends import openjtalk_reading

CASES = [
    ("サイズはMです。", "サイズはエムです。"),
    ("Mサイズでお願いします。", "エムサイズでお願いします。"),
    ("ＸＬを２枚ください", "エックスエルを2枚ください"),
    ("3Lはありますか？", "スリーエルはありますか?"),
    ("Tシャツの黒です", "ティーシャツの黒です"),
    ("OKです", "オーケーです"),
    ("電話番号は090-1234-5678です。",
     "電話番号は、ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチです。"),
    ("０３－９８７６－５４３２", "ゼロサン、キューハチナナロク、ゴーヨンサンニー"),
    ("09012345678です", "ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチです"),
    ("注文番号は20240917です", "注文番号は、ニーゼロニーヨン、ゼロキューイチナナです"),
    ("注文番号はA-1234-5678です", "注文番号はエー、イチニーサンヨン、ゴーロクナナハチです"),
    ("……はい、何を言えばいいですか？", "はい、何を言えばいいですか?"),
    ("えっと...Lです", "えっと、エルです"),
    ("〒150-0041", "イチゴーゼロ、ゼロゼロヨンイチ"),
    ("神宮前3-5-12です", "神宮前3の5の12です"),
    ("2,980円です。", "2980円です。"),
    ("合計12,490円", "合計12490円"),
    ("¥3,980でした", "3980円でした"),
    ("7枚お願いします", "7枚お願いします"),
    # a counter after a number in katakana readings, as read after a number
    ("エムサイズをナナ着ですね", "エムサイズをナナチャクですね"),
    ("靴下をク足、黒で", "靴下をクソク、黒で"), ("ジュウシチ組", "ジュウシチクミ"),
    ("スニーカー本体", "スニーカー本体"),  # a katakana word, not a number
    ("メールはab.c@ex.jpです", "メールはエービードットシーアットマークイーエックスドットジェーピーです"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalize(text: str, expected: str) -> None:
    assert frontend_ja.normalize(text) == expected


def test_digit_readings_callers_use() -> None:
    assert frontend_ja.read_digits("0123456789") == (
        "ゼロイチニーサンヨンゴーロクナナハチキュー")
    assert frontend_ja.group_digits("09012345678") == ["090", "1234", "5678"]
    assert frontend_ja.group_digits("0312345678") == ["03", "1234", "5678"]
    assert frontend_ja.group_digits("123456789") == ["1", "2345", "6789"]


def _kana_only(reading: str) -> bool:
    # katakana, the long-vowel mark and punctuation: no letter or digit left unread
    return re.fullmatch(r"[\u30a0-\u30ffー、。？！?!,.「」『』\s]*", reading) is not None


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_openjtalk_reads_every_character(text: str, expected: str) -> None:
    kana = openjtalk_reading(frontend_ja.normalize(text))
    assert _kana_only(kana), kana


def test_openjtalk_reads_prices_and_counts_naturally() -> None:
    def read(t: str) -> str:
        return openjtalk_reading(frontend_ja.normalize(t))

    assert read("2,980円です。") == "ニセンキューヒャクハチジューエンデス。"
    assert read("合計12,490円") == "ゴーケーイチマンニセンヨンヒャクキュージューエン"
    assert read("7枚お願いします") == "ナナマイオネガイシマス"
    assert read("ナナ着ですね") == "ナナチャクデスネ" and read("キュー足") == "キューソク"
    assert read("サイズはMです。") == "サイズワエムデス。"
    assert "ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチ" in read("090-1234-5678")


def _scenario_lines() -> list[str]:
    out: list[str] = []
    for path in bundled_files("ja"):
        sc = load_scenario(path)
        for seed in (1, 2, 3):
            values = generate(sc, seed)
            for st in sc.states.values():
                say = st.say
                lines = say if isinstance(say, list) else [
                    x for v in (say or {}).values() for x in v]
                for line in [*lines, *st.repeat]:
                    out.append(template.render(line, values))
    return out


def test_bundled_japanese_scenario_lines_read_completely() -> None:
    lines = _scenario_lines()
    assert len(lines) > 20, "no bundled Japanese scenarios found"
    for line in lines:
        spoken = frontend_ja.normalize(line)
        assert not re.search(r"[A-Za-z]", spoken), (line, spoken)
        assert not re.search(r"\d[-‐−]\d|\d{5,}", spoken), (line, spoken)
        kana = openjtalk_reading(spoken)
        assert _kana_only(kana), (line, spoken, kana)


def test_english_phone_and_order_numbers_digit_by_digit() -> None:
    assert frontend_en.normalize("Call me on 555-123-4567.") == (
        "Call me on five five five, one two three, four five six seven.")
    assert frontend_en.normalize("Order 12345678, please") == (
        "Order one two three four, five six seven eight, please")
    assert frontend_en.normalize("It was $29.99 for 2 shirts") == "It was $29.99 for 2 shirts"
