"""`make bench` = `python -m bench`: every benchmark in this folder (bench/bench_*.py with a
`main(argv) -> int`), one after the other; the exit status is non-zero when any target is missed.
`python -m bench copy` (or `schema`, ...) runs only the named ones."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    wanted = [f"bench_{a}" if not a.startswith("bench_") else a for a in argv] or names
    status = 0
    for name in wanted:
        if name not in names:
            print(f"no benchmark {name} (known: {', '.join(names)})", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        status |= importlib.import_module(f"bench.{name}").main([]) or 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
