"""`make bench` (start-up part): how long `mysql2ddb --help` and `mysql2ddb version` take, each a
fresh process, against a bare `python -c pass` measured in the same run (the floor no CLI beats).

Median of `--runs` runs each (default 10), after one warm-up run that fills the OS page cache.
Target (issue 15): `mysql2ddb --help` in at most 0.2 s. What a command imports at start is guarded
by tests/test_start_imports.py; this measures only the time.

    python -m bench.bench_start [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.2


def cli() -> list[str]:
    """The installed `mysql2ddb` script next to this Python, or `python -m mysql2ddb`."""
    script = Path(sys.executable).with_name("mysql2ddb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mysql2ddb"]


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median, min) wall seconds of `runs` fresh processes; each must exit 0."""
    env = {**os.environ, "COLUMNS": "100"}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)  # warm-up: page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (the median is reported)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} (other processes slow every figure down)")
    floor, floor_min = timed([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass:      median {floor:.3f} s (min {floor_min:.3f} s)")
    version, version_min = timed([*cli(), "version"], args.runs)
    print(f"mysql2ddb version:   median {version:.3f} s (min {version_min:.3f} s)")
    help_, help_min = timed([*cli(), "--help"], args.runs)
    ok = help_ <= TARGET_S
    print(f"mysql2ddb --help:    median {help_:.3f} s (min {help_min:.3f} s); target <= {TARGET_S:g} s: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
