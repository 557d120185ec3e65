"""mood_at_least sees the mood added by the "ignored" penalty in the same turn: a customer
pushed over the edge by being ignored hangs up now (escalated / hung_up), not one reply
later or never (incomplete)."""

from __future__ import annotations

from simulator.engine import run_script
from simulator.schema import scenario_from_document
from simulator.yamlio import parse_yaml

SCENARIO = """\
format: 1
id: ignored
language: ja
title: 無視
desk: inquiry
brief: テスト
persona: {name: 客, description: テスト, mood: "8.6"}
variables: {shop: {value: テスト商店}}
anywhere:
  - {mood_at_least: 9, goto: hung_up}
states:
  waiting:
    say: ["あの、聞いてます？"]
    repeat: ["聞いてます？"]
    on:
      - {intent: apology, goto: done}
  done:
    say: ["わかりました。"]
    end: completed
  hung_up:
    say: ["もういいです！"]
    end: hung_up
max_turns: 3
"""


def test_the_ignored_penalty_can_end_the_call_in_the_same_turn() -> None:
    sc = scenario_from_document(parse_yaml(SCENARIO, "ignored.yaml"), SCENARIO.encode())
    call = run_script(sc, ["もしもし", "えっと、天気がいいですね", "はあ"], seed=1)
    trainee = call.record.trainee_turns()
    assert call.record.outcome == "hung_up"
    assert len(trainee) == 2  # the first ignored reply (8.6 - 0.3 + 0.7 = 9.0) ended the call
    assert trainee[-1].mood == 9.0
    assert call.record.turns[-1].text == "もういいです！"
