"""Slot comparison by kind (simulator.matching): tolerant of script and spelling, never of a
wrong digit."""

from __future__ import annotations

import pytest

from simulator.matching import find, phonetic, reading_of

PHONE = "090-1234-5678"


@pytest.mark.parametrize("said", [
    "090-1234-5678ですね", "０９０－１２３４－５６７８ですね", "〇九〇の一二三四の五六七八",
    "ゼロキューゼロのイチニーサンヨンのゴーロクナナハチですね", "090 1234 5678", "09012345678",
    "マルキューマル、イチニーサンヨン、ゴーロクナナハチ",
])
def test_phone_any_script_matches(said: str) -> None:
    assert find("phone", PHONE, said, "ja").status == "match"


@pytest.mark.parametrize("said,heard", [
    ("090-1234-5679ですね", "09012345679"),
    ("ゼロキューゼロのイチニーサンヨンのゴーロクナナキューですね", "09012345679"),
    ("〇九〇の一二三四の五六七九", "09012345679"),
])
def test_phone_one_wrong_digit_is_a_mismatch(said: str, heard: str) -> None:
    m = find("phone", PHONE, said, "ja")
    assert (m.status, m.heard) == ("mismatch", heard)


def test_english_digits_in_words() -> None:
    assert find("phone", "512-555-0147", "five one two, five five five, oh one four seven",
                "en").status == "match"
    assert find("phone", "512-555-0147", "five one two, five five five, oh one four eight",
                "en").status == "mismatch"


def test_names_by_writing_reading_and_family() -> None:
    kw = {"reading": "サトウハナコ", "family": "佐藤", "family_reading": "サトウ"}
    for said in ("佐藤花子様ですね", "左藤花子様ですね", "さとうはなこ様", "サトウハナコ様", "佐藤様ですね"):
        assert find("name", "佐藤花子", said, "ja", **kw).status == "match", said
    m = find("name", "佐藤花子", "佐藤葉子様ですね", "ja", **kw)
    assert (m.status, m.heard) == ("mismatch", "佐藤葉子")
    assert find("name", "佐藤花子", "ありがとうございます", "ja", **kw).status == "absent"


def test_kanji_variants_share_a_reading() -> None:
    assert reading_of("斉藤") == reading_of("斎藤") == phonetic("サイトウ")
    assert phonetic("サトー") == phonetic("さとう")


def test_english_names() -> None:
    assert find("name", "Anthony Houston", "for Mr. Houston", "en").status == "match"
    assert find("name", "Anthony Houston", "that's H-O-U-S-T-O-N", "en").status == "match"
    assert find("name", "Anthony Houston", "thank you Mr. Hudson", "en").status == "mismatch"


@pytest.mark.parametrize("said,status", [
    ("東京都千代田区丸の内1丁目2番3号ですね", "match"),
    ("東京都千代田区丸の内一丁目二番三号", "match"),
    ("東京都千代田区丸の内1-2-3", "match"),
    ("東京都千代田区丸の内1の2の3", "match"),
    ("東京都千代田区丸の内1丁目2番4号", "mismatch"),
    ("東京都千代田区丸の内ですね", "absent"),
    ("1丁目2番3号", "absent"),
])
def test_address_by_parts(said: str, status: str) -> None:
    assert find("address", "東京都千代田区丸の内1丁目2番3号", said, "ja").status == status


def test_sizes_are_whole_words() -> None:
    assert find("size", "M", "エムサイズですね", "ja").status == "match"
    assert find("size", "M", "Mですね", "ja").status == "match"
    assert find("size", "L", "お伝えします。考えてみます", "ja").status == "absent"
    assert find("size", "M", "Lサイズですね", "ja").heard == "L"
    assert find("size", "M", "I'm sorry, it's fine", "en").status == "absent"
    assert find("size", "M", "size M, medium", "en").status == "match"
    assert find("size", "M", "that's size L", "en").status == "mismatch"


def test_colours_and_payments_by_synonyms() -> None:
    assert find("colour", "紺", "ネイビーですね", "ja").status == "match"
    assert find("colour", "白", "こんにちは。面白いですね", "ja").status == "absent"
    assert find("colour", "黒", "紺ですね", "ja").status == "mismatch"
    assert find("payment", "代金引換", "代引きですね", "ja").status == "match"
    assert find("payment", "代金引換", "ポイントカードはお持ちですか", "ja").status == "absent"
    assert find("payment", "cash on delivery", "paid by COD", "en").status == "match"
    assert find("payment", "クレジットカード", "お支払いは代引きで", "ja").heard == "代金引換"


def test_quantity_money_date() -> None:
    assert find("quantity", "2", "二枚ですね", "ja").status == "match"
    assert find("quantity", "2", "3枚ですね", "ja").status == "mismatch"
    assert find("quantity", "2", "1丁目2番3号", "ja").status == "absent"
    assert find("quantity", "2", "two linen shirts", "en").status == "match"
    assert find("money", "6510", "合計6,510円です", "ja").status == "match"
    assert find("money", "6510", "六千五百十円です", "ja").status == "match"
    assert find("money", "6510", "合計6,000円です", "ja").status == "mismatch"
    assert find("date", "12月20日", "12月20日、土曜日まで", "ja").status == "match"
    assert find("date", "12月20日", "12月21日まで", "ja").status == "mismatch"
    assert find("date", "December 20", "by December 20th", "en").status == "match"


def test_digit_strings_do_not_leak_between_slots() -> None:
    phone_turn = "お電話番号は090-1234-5678ですね"
    assert find("code", "12345678", phone_turn, "ja").status == "absent"
    assert find("phone", PHONE, "ご注文番号12345678ですね", "ja").status == "absent"
    assert find("code", "12345678", "ご注文番号12345679ですね", "ja").status == "mismatch"


@pytest.mark.parametrize(("text", "pieces"), [
    ("ありがとうございます。ご注文番号をお願いできますか？", ["ありがとうございます。", "ご注文番号をお願いできますか？"]),
    ("合計は8,510円です。よろしいでしょうか", ["合計は8,510円です。", "よろしいでしょうか"]),
    ("Thank you. The total is 44.10 dollars. Is that right?",
     ["Thank you. ", "The total is 44.10 dollars. ", "Is that right?"]),
    ("Order number 48150962.", ["Order number 48150962."]),
    ("はい！！ 承知しました\n次に", ["はい！！ ", "承知しました\n", "次に"]),
    ("。はい", ["。", "はい"]),
    ("", []),
])
def test_sentences_cut_the_text_into_pieces_that_add_up(text: str, pieces: list[str]) -> None:
    from simulator.textnorm import sentences

    assert sentences(text) == pieces
    assert "".join(sentences(text)) == text  # offsets can be counted along them
