"""Memory: peak resident memory of whole calls, each in a fresh process.

    python -m bench memory

* a spoken call: ``opsim demo --no-save`` (recogniser, voices, engine, scoring);
* a typed call: ``opsim run order_with_sizes --replies ... --no-save --no-voice``.

Peak RSS is the child process's ``ru_maxrss``.  There is no target for a whole call; the
recogniser's own budget (1 GB, issue 4) is checked by ``bench.recognition``.  The spoken
call adds the voices (OpenJTalk with its Sudachi dictionary) to the recogniser.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe, record, table

REPLIES = """\
- お電話ありがとうございます。ファッション通販ミドリ、山田でございます。
- 恐れ入りますが、お色はいかがなさいますか？
- サイズはいかがなさいますか？
"""


def child_peak(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one command run in a fresh child process."""
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        os.execvpe(cmd[0], cmd, env)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return usage.ru_maxrss / 1024, time.perf_counter() - t


def main(argv: list[str]) -> int:
    opsim = str(Path(sys.executable).with_name("opsim"))
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, OPSIM_HOME=home)
        replies = Path(home) / "replies.yaml"
        replies.write_text(REPLIES, encoding="utf-8")
        spoken, spoken_s = child_peak([opsim, "demo", "--no-save"], env)
        typed, typed_s = child_peak([opsim, "run", "order_with_sizes", "--replies", str(replies),
                                     "--no-save", "--no-voice"], env)
    rows.append(["spoken call (`opsim demo --no-save`, ja)", f"{spoken:.0f}", f"{spoken_s:.1f}"])
    rows.append(["typed call (`opsim run --no-voice`)", f"{typed:.0f}", f"{typed_s:.1f}"])
    body = "\n".join([
        describe(),
        "",
        "`python -m bench memory`: each call in a fresh process; peak RSS = the child's "
        "ru_maxrss.",
        "",
        table(["call", "peak RSS MB", "wall s"], rows),
    ])
    print(body)
    record("Memory", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
