"""What the ``opsim`` review commands print (the CLI only parses options and echoes)."""

from __future__ import annotations

from collections.abc import Sequence

from scoring.scorecard import Scorecard
from simulator.engine import CallRecord
from simulator.schema import Scenario
from simulator.store import open_store
from simulator.store.store import Rescored, SessionDetail, SessionSummary, Store


def _local(s: SessionSummary) -> str:
    return s.started_at.astimezone().strftime("%Y-%m-%d %H:%M")


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def history_table(rows: Sequence[SessionSummary]) -> str:
    if not rows:
        return "no sessions"
    head = ["id", "started", "trainee", "scenario", "lang", "status", "outcome", "score"]
    body = [[str(s.id), _local(s), s.trainee, s.scenario_id, s.language, s.status,
             s.outcome or "-",
             "-" if s.score is None else f"{s.score:.0f}{'' if s.passed else ' ✗'}"]
            for s in rows]
    widths = [max(_width(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [head, *body]]
    return "\n".join(lines)


def session_text(d: SessionDetail) -> str:
    from scoring.render import render_text

    s = d.summary
    ja = s.language == "ja"
    out = [f"session {s.id}  {s.trainee}  {s.title} [{s.scenario_id}, {s.language}]",
           f"started {_local(s)}  status {s.status}  outcome {s.outcome or '-'}  seed {s.seed}",
           f"scenario hash {s.scenario_hash[:12]}  uid {s.uid}", ""]
    for t in d.turns:
        who = ("客" if t.speaker == "customer" else "あなた") if ja else t.speaker
        out.append(f"[{t.index:>2}] {who}: {t.text}")
        path = d.audio_path(t)
        if path is not None:
            missing = "" if path.is_file() else "  (missing)"
            out.append(f"      audio: {path}{missing}")
    out.append("")
    if d.scorecard is None:
        out.append("not scored")
    else:
        out.append(render_text(d.scorecard, s.language))
    if len(d.history) > 1:
        out.append("")
        out.append("score history:")
        for h in d.history:
            out.append(f"  {h.scored_at.astimezone():%Y-%m-%d %H:%M}  {h.score:>5.1f}  "
                       f"{'pass' if h.passed else 'fail'}  rubric {h.rubric_version}  ({h.reason})")
    return "\n".join(out)


def rescore_text(results: Sequence[Rescored]) -> str:
    if not results:
        return "no finished sessions to re-score"
    lines = []
    for r in results:
        before = "-" if r.before is None else f"{r.before:.1f}"
        if r.after is None:
            lines.append(f"#{r.session_id}: {r.note}")
        else:
            note = f"  ({r.note})" if r.note else ""
            lines.append(f"#{r.session_id}: {before} -> {r.after:.1f} (rubric {r.rubric_version}){note}")
    done = sum(1 for r in results if r.after is not None)
    lines.append(f"re-scored {done} of {len(results)} session(s); earlier scores kept in history")
    return "\n".join(lines)


def save_run(store: Store, scenario: Scenario, record: CallRecord, scorecard: Scorecard,
             trainee: str | None) -> int:
    from simulator.store.paths import default_trainee

    return store.save_call(scenario, record, scorecard, default_trainee(store.home) if trainee is None else trainee)


def open_for_run(db: str | None, save: bool) -> Store | None:
    """Open the store before a scripted call so a bad ``--db`` fails before the call."""
    return open_store(db) if save else None
