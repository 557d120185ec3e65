"""The supervisor's report: one self-contained HTML file (charts as inline SVG, audio as
``data:`` URIs) that can be mailed around and opened in any browser.

Charts are drawn by matplotlib with ``svg.fonttype = none``: every label is real SVG
text (selectable, searchable, drawn by the browser's Japanese font).  Audio clips are
shrunk to telephone quality (8 kHz mono WAV); past the audio budget the remaining clips
are left out and the report says how many and where the files are.
"""

from __future__ import annotations

import base64
import html
import io
import re
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scoring.render import CATEGORY_TITLES
from scoring.scorecard import Scorecard
from simulator.store.audio import clip_for_report
from simulator.store.store import SessionDetail, Store

#: matplotlib measures the charts' text with the first installed one; the report embeds a
#: subset of IPAexGothic (package matplotlib-fontja) so the browser draws the same glyphs on
#: any machine, Japanese font installed or not
FONTS = ["IPAexGothic", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo",
         "Noto Sans CJK JP", "Noto Sans JP", "TakaoPGothic", "DejaVu Sans"]
EMBEDDED_FONT = "opsim-ja"
DEFAULT_AUDIO_BUDGET_MB = 15.0


# ----------------------------------------------------------------------------- aggregates


@dataclass
class CheckStats:
    check_id: str
    category: str
    times: int = 0
    passed: int = 0
    points: float = 0.0
    max_points: float = 0.0
    trainees_missed: set[str] = field(default_factory=set)

    @property
    def missed(self) -> int:
        return self.times - self.passed

    @property
    def pass_rate(self) -> float:
        return 100.0 * self.passed / self.times if self.times else 0.0

    @property
    def avg_points(self) -> float:
        return self.points / self.times if self.times else 0.0


@dataclass
class NumberStats:
    value: str
    reading: str | None
    times: int = 0
    trainees: set[str] = field(default_factory=set)
    advice: str = ""


@dataclass
class Summary:
    sessions: int
    trainees: dict[str, list[tuple[datetime, float]]]  # name -> (time, latest score)
    categories: dict[str, float]  # category -> average % of points
    checks: list[CheckStats]  # by check id
    missed: list[CheckStats]  # most often missed first
    numbers: list[NumberStats]  # most often wrong first


def _category_pct(card: Scorecard) -> dict[str, float]:
    won: dict[str, float] = defaultdict(float)
    top: dict[str, float] = defaultdict(float)
    for c in card.checks:
        won[c.category] += c.points
        top[c.category] += c.max_points
    return {k: max(0.0, 100.0 * won[k] / top[k]) for k in top if top[k] > 0}


def wrong_numbers(detail: SessionDetail) -> list[dict[str, Any]]:
    """Number readings judged wrong in a session: the scorecard's, plus the turns' own."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, Any]] = set()
    card_numbers = detail.scorecard.numbers if detail.scorecard else []
    turn_numbers = [dict(n, turn=t.index if n.get("turn") is None else n["turn"])
                    for t in detail.turns for n in t.numbers]
    for n in [*card_numbers, *turn_numbers]:
        key = (n.get("turn"), n.get("value"))
        if n.get("ok") is False and key not in seen:
            seen.add(key)
            out.append(n)
    return out


def summarize(details: Sequence[SessionDetail]) -> Summary:
    trainees: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    cat_values: dict[str, list[float]] = defaultdict(list)
    checks: dict[str, CheckStats] = {}
    numbers: dict[tuple[str, str | None], NumberStats] = {}
    for d in details:
        who = d.summary.trainee
        for n in wrong_numbers(d):
            key = (str(n.get("value")), n.get("reading"))
            ns = numbers.setdefault(key, NumberStats(*key))
            ns.times += 1
            ns.trainees.add(who)
            ns.advice = ns.advice or str(n.get("advice") or "")
        card = d.scorecard
        if card is None:
            continue
        trainees[who].append((d.summary.started_at, card.score))
        for cat, pct in _category_pct(card).items():
            cat_values[cat].append(pct)
        for c in card.checks:
            st = checks.setdefault(c.id, CheckStats(c.id, c.category))
            if c.passed is None:  # no chance in this call: neither passed nor missed
                continue
            st.times += 1
            st.passed += int(c.passed)
            st.points += c.points
            st.max_points += c.max_points
            if not c.passed:
                st.trainees_missed.add(who)
    by_id = sorted(checks.values(), key=lambda s: (s.category, s.check_id))
    missed = sorted((s for s in by_id if s.missed), key=lambda s: (-s.missed, s.check_id))
    return Summary(
        sessions=len(details), trainees=dict(sorted(trainees.items())),
        categories={k: sum(v) / len(v) for k, v in sorted(cat_values.items())},
        checks=by_id, missed=missed,
        numbers=sorted(numbers.values(), key=lambda n: (-n.times, n.value, n.reading or "")))


# ----------------------------------------------------------------------------- charts


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


def bundled_font() -> Path | None:
    """IPAexGothic as shipped by matplotlib-fontja (IPA Font License: embedding allowed)."""
    try:
        import matplotlib_fontja
    except ImportError:  # pragma: no cover - a base dependency
        return None
    path = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    return path if path.is_file() else None


def _register_font() -> None:
    """Let matplotlib measure (and name) the charts' text with the embedded font."""
    from matplotlib import font_manager

    path = bundled_font()
    if path is not None and "IPAexGothic" not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))


def font_face(text: str) -> str:
    """A CSS @font-face with the glyphs ``text`` needs, as an embedded WOFF subset ('' when
    the font is not installed).  A report of a few sessions needs a few hundred kanji:
    tens of KB instead of the 6 MB font."""
    path = bundled_font()
    if path is None:
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars = {c for c in text if ord(c) > 0x7F} | {chr(c) for c in range(0x20, 0x7F)}
    font = TTFont(str(path))
    options = subset.Options()
    options.flavor = "woff"
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'@font-face{{font-family:"{EMBEDDED_FONT}";src:url(data:font/woff;base64,{data}) '
            f'format("woff")}}body{{font-family:"{EMBEDDED_FONT}",{CSS_FONTS}}}'
            f'svg text{{font-family:"{EMBEDDED_FONT}",{CSS_FONTS} !important}}')


def _svg(fig: Any, prefix: str) -> str:
    """The figure as inline SVG text, ids made unique to this chart."""
    buf = io.StringIO()
    with warnings.catch_warnings():
        # without a Japanese font installed matplotlib measures CJK labels with a fallback
        # width; the text itself is written as text and drawn by the browser's font
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font",
                                category=UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def _rc() -> Any:  # the rcParams keys are Literal-typed in matplotlib's stubs
    _register_font()
    return {"svg.fonttype": "none", "svg.hashsalt": "opsim", "font.family": ["sans-serif"],
            "font.sans-serif": FONTS, "font.size": 10, "axes.titlesize": 12}


def _category_label(cat: str) -> str:
    ja = CATEGORY_TITLES["ja"].get(cat)
    return f"{ja} ({cat})" if ja else cat


def chart_trend(summary: Summary) -> str:
    import importlib

    import matplotlib
    from matplotlib.figure import Figure

    mdates: Any = importlib.import_module("matplotlib.dates")  # untyped in the stubs

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(8, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for name, points in summary.trainees.items():
            pts = sorted(points)
            xs = [float(mdates.date2num(p[0].astimezone())) for p in pts]
            ax.plot(xs, [p[1] for p in pts], marker="o", label=name)
        if summary.trainees:
            times = [p[0] for pts in summary.trainees.values() for p in pts]
            pad = max((max(times) - min(times)) * 0.05, timedelta(hours=1))
            ax.set_xlim(float(mdates.date2num(min(times) - pad)),
                        float(mdates.date2num(max(times) + pad)))
            tz = datetime.now().astimezone().tzinfo  # label in the reader's local time
            loc = mdates.AutoDateLocator(tz=tz)
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, tz=tz))
            ax.legend(title="研修生 / trainee", loc="best", fontsize=9)
        else:
            ax.text(0.5, 0.5, "採点済みのセッションなし / no scored sessions", ha="center",
                    transform=ax.transAxes)
        ax.set_ylim(-2, 102)
        ax.set_ylabel("スコア / score")
        ax.set_title("研修生ごとのスコア推移 / score trend per trainee")
        ax.grid(alpha=0.3)
        return _svg(fig, "trend")


def chart_categories(summary: Summary) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    cats = list(summary.categories)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(8, 0.5 * max(len(cats), 2) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        labels = [_category_label(c) for c in cats]
        vals = [summary.categories[c] for c in cats]
        bars = ax.barh(labels, vals, color="#4a7ab5")
        ax.bar_label(bars, labels=[f"{v:.0f}%" for v in vals], padding=3)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("得点率の平均 / average % of points")
        ax.set_title("カテゴリ別の平均 / average per category")
        return _svg(fig, "categories")


def _count_chart(labels: Sequence[str], counts: Sequence[int], bar_labels: Sequence[str], *,
                 color: str, xlabel: str, title: str, prefix: str) -> str:
    """Horizontal bars of whole-number counts, largest first ("none" when empty)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(8, 0.45 * max(len(labels), 2) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        bars = ax.barh(list(labels), list(counts), color=color)
        ax.bar_label(bars, labels=list(bar_labels), padding=3)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        if not labels:
            ax.text(0.5, 0.5, "なし / none", ha="center", transform=ax.transAxes)
        return _svg(fig, prefix)


def chart_missed(summary: Summary, top: int = 12) -> str:
    rows = summary.missed[:top]
    return _count_chart([r.check_id for r in rows], [r.missed for r in rows],
                        [f"{r.missed}/{r.times}" for r in rows], color="#c0504d",
                        xlabel="不合格の回数 / times missed",
                        title="チーム全体で多い不合格項目 / most often missed checks",
                        prefix="missed")


def chart_numbers(summary: Summary, top: int = 10) -> str:
    rows = summary.numbers[:top]
    return _count_chart([f"{n.value} →「{n.reading or '?'}」" for n in rows],
                        [n.times for n in rows], [str(n.times) for n in rows],
                        color="#d08a2c", xlabel="回数 / times",
                        title="間違いの多い数字の読み方 / number readings most often wrong",
                        prefix="numbers")


# ----------------------------------------------------------------------------- HTML


CSS_FONTS = '"Hiragino Sans","Yu Gothic","Meiryo","Noto Sans CJK JP",sans-serif'
CSS = "body{font-family:" + CSS_FONTS + """;margin:2em;color:#222;max-width:70em}
h1{font-size:1.6em}h2{border-bottom:2px solid #4a7ab5;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eef2f8}.num{text-align:right}.ok{color:#2e7d32}.ng{color:#c62828;font-weight:bold}
tr.failed{background:#fde8e8}tr.failed td.text{border-left:4px solid #c62828}.check{color:#c62828;font-size:.9em}
.customer td.who{color:#555}.note{background:#fff6d5;padding:.5em;border:1px solid #e0c060}
section.session{border:1px solid #ddd;padding:.5em 1em;margin:1em 0}audio{height:2em;width:16em}
svg{max-width:100%;height:auto}.muted{color:#777;font-size:.9em}
"""


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _local(dt: datetime | None) -> str:
    return "" if dt is None else dt.astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass
class AudioBudget:
    limit: int  # bytes of base64 text allowed
    used: int = 0
    embedded: int = 0
    skipped_budget: int = 0
    missing: int = 0


@dataclass(frozen=True)
class Report:
    html: str
    sessions: int
    audio_embedded: int
    audio_skipped: int  # left out for the size budget
    audio_missing: int  # referenced but the file is gone


def _audio_cell(detail: SessionDetail, turn_audio: str | None, index: int,
                budget: AudioBudget | None) -> str:
    if not turn_audio:
        return ""
    path = detail.audio_path(detail.turns[index])
    if path is None or not path.is_file():
        if budget is not None:
            budget.missing += 1
        return f'<span class="muted">音声ファイルなし / missing: {_e(turn_audio)}</span>'
    if budget is None:
        return f'<span class="muted">{_e(path)}</span>'
    data, mime = clip_for_report(path)
    b64 = base64.b64encode(data).decode("ascii")
    if budget.used + len(b64) > budget.limit:
        budget.skipped_budget += 1
        return (f'<span class="muted">音声は容量制限のため省略 / left out (size limit): '
                f'{_e(path)}</span>')
    budget.used += len(b64)
    budget.embedded += 1
    return f'<audio controls preload="none" src="data:{mime};base64,{b64}"></audio>'


def _session_html(d: SessionDetail, budget: AudioBudget | None) -> str:
    s = d.summary
    card = d.scorecard
    failed = card.failed_checks() if card else []
    by_turn: dict[int, list[str]] = defaultdict(list)
    for c in failed:
        if c.turn is not None:
            by_turn[c.turn].append(c.id)
    score = "未採点 / not scored" if card is None else (
        f'{card.score:.0f} <span class="{"ok" if card.passed else "ng"}">'
        f'{"合格 PASS" if card.passed else "不合格 FAIL"}</span> (rubric {_e(card.rubric_version)})')
    parts = [f'<section class="session" id="session-{s.id}">',
             f"<h3>#{s.id} {_e(s.trainee)} — {_e(s.title)} <span class=muted>[{_e(s.scenario_id)}, "
             f"{_e(s.language)}]</span></h3>",
             f"<p>{_e(_local(s.started_at))} · {_e(s.status)} · {_e(s.outcome or '-')} · "
             f"スコア {score}</p>"]
    if len(d.history) > 1:
        parts.append("<p class=muted>履歴 / score history: " + ", ".join(
            f"{h.score:.0f} ({_e(h.reason)}, rubric {_e(h.rubric_version)}, {_e(_local(h.scored_at))})"
            for h in d.history) + "</p>")
    if failed:
        parts.append("<table><tr><th>不合格の項目 / failed check</th><th>正 / expected</th>"
                     "<th>聞こえた / heard</th><th>アドバイス / advice</th><th>turn</th></tr>")
        for c in failed:
            parts.append(f'<tr><td class=ng>{_e(c.id)}{" !" if c.hard_fail else ""}</td>'
                         f"<td>{_e(c.expected)}</td><td>{_e(c.heard)}</td><td>{_e(c.advice)}</td>"
                         f"<td class=num>{_e(c.turn)}</td></tr>")
        parts.append("</table>")
    parts.append("<table><tr><th>#</th><th>話者</th><th>発話 / transcript</th><th>気分 mood</th>"
                 "<th>音声 / audio</th></tr>")
    for i, t in enumerate(d.turns):
        who = "客 customer" if t.speaker == "customer" else "研修生 trainee"
        marks = by_turn.get(t.index, [])
        cls = [t.speaker] + (["failed"] if marks else [])
        note = "".join(f'<div class="check">✗ {_e(m)}</div>' for m in marks)
        parts.append(f'<tr class="{" ".join(cls)}"><td class=num>{t.index}</td>'
                     f'<td class="who">{who}</td><td class="text">{_e(t.text)}{note}</td>'
                     f"<td class=num>{t.mood:g}</td><td>{_audio_cell(d, t.audio, i, budget)}</td></tr>")
    parts.append("</table></section>")
    return "\n".join(parts)


def render_report(details: Sequence[SessionDetail], *, title: str = "opsim report",
                  filters: str = "", audio: bool = True,
                  audio_budget_mb: float = DEFAULT_AUDIO_BUDGET_MB) -> Report:
    summary = summarize(details)
    budget = AudioBudget(int(audio_budget_mb * 1024 * 1024)) if audio else None
    sessions_html = [_session_html(d, budget) for d in reversed(details)]  # newest first
    out: list[str] = [
        "<!DOCTYPE html>", '<html lang="ja"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class=muted>作成 / generated {_e(_local(datetime.now(UTC)))} · "
        f"{summary.sessions} セッション / sessions · {len(summary.trainees)} 研修生 / trainees"
        f"{' · ' + _e(filters) if filters else ''}</p>",
    ]
    if budget is not None and (budget.skipped_budget or budget.missing):
        out.append(f'<p class="note">音声: {budget.embedded} 件を埋め込み、{budget.skipped_budget} 件は'
                   f"容量制限（{audio_budget_mb:g} MB）のため省略、{budget.missing} 件はファイルなし。 / "
                   f"Audio: {budget.embedded} clips embedded, {budget.skipped_budget} left out to "
                   f"keep the file under the {audio_budget_mb:g} MB audio budget (their file paths "
                   f"are shown), {budget.missing} missing.</p>")
    elif budget is None:
        out.append('<p class="note">音声は埋め込まれていません（ファイルのパスのみ）。 / '
                   "Audio not embedded (file paths only).</p>")
    out.append("<h2>スコア推移 / score trend</h2>")
    out.append(chart_trend(summary))
    out.append("<table><tr><th>研修生 / trainee</th><th>回数</th><th>平均 avg</th><th>最高 best</th>"
               "<th>最新 last</th></tr>")
    for name, pts in summary.trainees.items():
        scores = [p[1] for p in sorted(pts)]
        out.append(f"<tr><td>{_e(name)}</td><td class=num>{len(scores)}</td>"
                   f"<td class=num>{sum(scores) / len(scores):.1f}</td>"
                   f"<td class=num>{max(scores):.0f}</td><td class=num>{scores[-1]:.0f}</td></tr>")
    out.append("</table>")
    out.append("<h2>カテゴリ別・項目別 / per category and per check</h2>")
    out.append(chart_categories(summary))
    out.append("<table><tr><th>項目 / check</th><th>カテゴリ</th><th>回数</th><th>合格率 pass rate</th>"
               "<th>平均点 avg points</th></tr>")
    for c in summary.checks:
        out.append(f"<tr><td>{_e(c.check_id)}</td><td>{_e(_category_label(c.category))}</td>"
                   f"<td class=num>{c.times}</td><td class=num>{c.pass_rate:.0f}%</td>"
                   f"<td class=num>{c.avg_points:.2f} / {c.max_points / max(c.times, 1):.2f}</td></tr>")
    out.append("</table>")
    out.append("<h2>多い不合格項目 / most often missed checks</h2>")
    out.append(chart_missed(summary))
    out.append("<table><tr><th>項目 / check</th><th>不合格</th><th>研修生 / trainees</th></tr>")
    for c in summary.missed:
        out.append(f"<tr><td>{_e(c.check_id)}</td><td class=num>{c.missed}/{c.times}</td>"
                   f"<td>{_e(', '.join(sorted(c.trainees_missed)))}</td></tr>")
    out.append("</table>")
    out.append("<h2>数字の読み方 / number readings most often wrong</h2>")
    out.append(chart_numbers(summary))
    out.append("<table><tr><th>数字 / value</th><th>読み方 / reading</th><th>回数</th>"
               "<th>研修生 / trainees</th><th>アドバイス / advice</th></tr>")
    for n in summary.numbers:
        out.append(f"<tr><td>{_e(n.value)}</td><td>{_e(n.reading)}</td><td class=num>{n.times}</td>"
                   f"<td>{_e(', '.join(sorted(n.trainees)))}</td><td>{_e(n.advice)}</td></tr>")
    out.append("</table>")
    out.append("<h2>セッション / sessions</h2>")
    out.extend(sessions_html)
    out.append("</body></html>")
    page = "\n".join(out)
    page = page.replace("</style>", font_face(page) + "</style>", 1)
    return Report(page, summary.sessions,
                  budget.embedded if budget else 0, budget.skipped_budget if budget else 0,
                  budget.missing if budget else 0)


def build_report(store: Store, *, trainee: str | None = None, scenario: str | None = None,
                 since: datetime | None = None, audio: bool = True,
                 audio_budget_mb: float = DEFAULT_AUDIO_BUDGET_MB) -> Report:
    details = store.details(store.sessions(trainee=trainee, scenario=scenario, since=since))
    filters = ", ".join(f"{k}={v}" for k, v in (("trainee", trainee), ("scenario", scenario),
                                                ("since", _local(since) if since else None)) if v)
    return render_report(details, filters=filters, audio=audio, audio_budget_mb=audio_budget_mb)


def write_report(report: Report, path: Path) -> None:
    from simulator.files import write_file

    write_file(path, report.html)
