"""Run every benchmark: ``python -m bench`` (or one: ``python -m bench turn_latency``).

Each benchmark prints its table with the machine and records it in docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"machine", "__main__"}


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    if argv:  # one benchmark with its own options
        return int(importlib.import_module(f"bench.{argv[0]}").main(argv[1:]))
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)
    failed = 0
    for name in names:
        print(f"\n######## bench.{name}", flush=True)
        failed += 1 if importlib.import_module(f"bench.{name}").main([]) else 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
