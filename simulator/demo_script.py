"""The synthetic trainee of ``opsim demo``: what they say, with two realistic mistakes.

The trainee of the demo reads the phone number with one 7 as しち (the recogniser's number
readings must catch it) and reads one slot back wrong (the size), then corrects it when
the customer objects.  The details are pinned so that the call shows exactly these two
mistakes; the lines are templates over the call's variables plus ``phone_spoken`` (the
phone number as the trainee pronounces it).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.numbers import DIGIT_KANA, DIGIT_WORDS


@dataclass(frozen=True)
class DemoScript:
    language: str
    scenario: str
    pins: dict[str, str]
    replies: tuple[str, ...]
    #: the voice of the synthetic trainee (different from the customer's)
    trainee_backend: str
    trainee_voice: str | None
    #: the mistakes the scorecard must show (check ids)
    expected_failures: tuple[str, ...]
    trainee_pitch: float = 0.0  # semitones
    trainee_speed: float = 1.0


# katakana digit readings, as a careful operator says them; the demo's mistake is one シチ
_KANA = {d: r[0] for d, r in DIGIT_KANA.items()}
_EN = {d: w[0] for d, w in DIGIT_WORDS.items()}


def spoken_phone(phone: str, language: str, *, shichi: bool = False) -> str:
    """``090-7215-3948`` -> ゼロキューゼロ、シチニーイチゴー、サンキューヨンハチ (one シチ)."""
    groups = phone.split("-")
    said: list[str] = []
    used = False
    for g in groups:
        words: list[str] = []
        for d in g:
            if language == "ja" and d == "7" and shichi and not used:
                words.append("シチ")
                used = True
            else:
                words.append(_KANA[d] if language == "ja" else _EN[d])
        said.append("".join(words) if language == "ja" else ", ".join(words))
    return "、".join(said) if language == "ja" else ", ".join(said)


JA = DemoScript(
    language="ja",
    scenario="order_with_sizes",
    pins={"item": "リネンシャツ", "color": "ネイビー", "size": "M", "quantity": "2",
          "price": "3980", "customer_name": "佐藤花子", "customer_name_reading": "サトウハナコ",
          "address": "東京都渋谷区神南1丁目2番3号", "phone": "090-7215-3948",
          "payment": "代金引換"},
    replies=(
        "お電話ありがとうございます。{shop}、担当の山田でございます。",
        "かしこまりました。お色はいかがなさいますか？",
        "ありがとうございます。サイズはいかがなさいますか？",
        "何枚ご用意いたしましょうか？",
        "恐れ入りますが、お名前をお伺いしてもよろしいでしょうか？",
        "ありがとうございます。恐れ入りますが、ご住所をお伺いできますか？",
        "お手数ですが、お電話番号を教えていただけますでしょうか？",
        "お支払い方法はいかがなさいますか？",
        # mistake 1: the size is read back wrong (L for M); the customer objects
        "ご注文内容を復唱いたします。{item}、{color}、エルサイズを2枚でよろしいでしょうか？",
        "大変失礼いたしました。エムサイズを2枚でございますね。",
        "お名前は{customer_name}様、ご住所は{address}でよろしいでしょうか？",
        # mistake 2: one 7 of the phone number is read しち
        "お電話番号は、{phone_spoken}ですね。",
        "お支払いは代金引換でよろしいでしょうか？",
        "合計金額は{total}円でございます。送料{shipping}円を含んでおります。",
        "キャンセルは発送前まで、返品・交換はお届けから1週間以内に承ります。",
        "ご注文ありがとうございました。山田が承りました。失礼いたします。",
    ),
    # the customer speaks with OpenJTalk's default voice; the trainee with a lower, faster
    # one (measured: Whisper base mishears Kokoro's and mei_deep's digits more often)
    trainee_backend="openjtalk",
    trainee_voice=None,
    trainee_pitch=-3.0,
    trainee_speed=1.1,
    expected_failures=("readback.size", "etiquette.number_readings"),
)

EN = DemoScript(
    language="en",
    scenario="order_with_sizes",
    pins={"item": "linen shirt", "color": "navy", "size": "M", "quantity": "15",
          "price": "29", "customer_name": "Emily Carter", "customer_name_reading": "Emily Carter",
          "address": "1200 Market Street, San Francisco, CA", "phone": "415-555-0172",
          "payment": "credit card"},
    replies=(
        "Thank you for calling {shop}, this is Alex speaking. How may I help you?",
        "Certainly. Which colour would you like?",
        "Thank you. And which size would you like?",
        "How many would you like?",
        "May I have your full name, please?",
        "Thank you. Could you tell me the delivery address, please?",
        "And may I have your phone number, please?",
        "How would you like to pay?",
        # mistakes: the size is read back wrong, and fifteen is not confirmed as one-five
        # (the recogniser often cannot tell fifteen from fifty in the audio: it then says
        # "unknown" and the reading is not judged)
        "Let me read that back: the {item} in {color}, size large, and the quantity is "
        "fifteen. Is that correct?",
        "I'm so sorry. Size medium, fifteen pieces. Your name is {customer_name}, and the "
        "address is {address}. Is that right?",
        "The phone number is {phone_spoken}. And you will pay by {payment}. Is that correct?",
        "Thank you. The total comes to {total} dollars, including {shipping} dollars shipping.",
        "You can cancel before it ships, and unworn items can be returned within 30 days. "
        "Thank you for your order, and have a great day. Goodbye.",
    ),
    # the customer is Piper's joe raised 3 semitones (the persona); the trainee is joe
    # lowered and a little faster: espeak-ng (the system voice) was measured far less
    # intelligible to Whisper (WER 0.28 vs 0.07)
    trainee_backend="piper",
    trainee_voice="joe",
    expected_failures=("readback.size",),
    trainee_pitch=-2.0,
    trainee_speed=1.05,
)

SCRIPTS = {"ja": JA, "en": EN}
