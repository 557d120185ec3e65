"""The demo scripts typed (no audio): the card says why it failed.

The spoken demo (tests/spoken/test_demo.py) checks that the mistakes are caught from the
audio; this checks, in a fraction of a second, that nothing else fails: a demo whose card
shows a failure the script did not mean (the customer leaving before the terms were told,
say) teaches the wrong thing.
"""

from __future__ import annotations

import pytest

from scoring.score import score_call
from simulator.demo import demo_call, trainee_lines
from simulator.demo_script import SCRIPTS

# typed, English "fifteen" is a quantity said in words, not confirmed digit by digit: the
# reading check fails (spoken, the recogniser cannot tell fifteen from fifty: unknown)
TYPED_ONLY = {"en": {"etiquette.number_readings"}}


@pytest.mark.parametrize("language", sorted(SCRIPTS))
def test_the_typed_demo_fails_only_its_mistakes(language: str) -> None:
    """The customer stays until the last line (thanks opening "Thank you. The total comes
    to ..." acknowledge, they are no goodbye) and the card fails exactly the script's
    mistakes."""
    script = SCRIPTS[language]
    call = demo_call(script)
    lines = trainee_lines(script, call.scenario, call.variables)
    for i, line in enumerate(lines):
        assert not call.ended, f"the customer ended the call before reply {i + 1}: {line!r}"
        call.reply(line)
    record = call.record
    assert record.outcome == "completed"
    card = score_call(call.scenario, record)
    failed = {c.id for c in card.checks if c.passed is False}
    assert failed == set(script.expected_failures) | TYPED_ONLY.get(language, set())


def test_the_fail_reasons_say_why_each_check_failed() -> None:
    """A size read back wrong and put right after the customer's correction is named as
    such on the card's first line, not as a detail never read back."""
    script = SCRIPTS["ja"]
    call = demo_call(script)
    for line in trainee_lines(script, call.scenario, call.variables):
        call.reply(line)
    reasons = score_call(call.scenario, call.record).fail_reasons
    assert "readback.size: 一度誤って復唱（お客様の訂正で直りました）" in reasons
    assert "etiquette.number_readings: 必須項目の不合格（数字の読み方）" in reasons
