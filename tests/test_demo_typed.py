"""The demo scripts typed (no audio): the card says why it failed.

The spoken demo (tests/spoken/test_demo.py) checks that the mistakes are caught from the
audio; this checks, in a fraction of a second, that nothing else fails: a demo whose card
shows a failure the script did not mean (the customer leaving before the terms were told,
say) teaches the wrong thing.
"""

from __future__ import annotations

from scoring.score import score_call
from simulator.demo import demo_call, trainee_lines
from simulator.demo_script import SCRIPTS


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
