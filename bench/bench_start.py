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


def once(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process, which must exit 0."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], runs: int) -> tuple[float, str]:
    """The median wall time of `runs` fresh processes, and a line with it, the best one and the
    median CPU time (CPU time is what other processes on the machine disturb least)."""
    # as installed: bytecode cached (a sandbox may set PYTHONDONTWRITEBYTECODE), by the warm-up run
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "COLUMNS": "100"}
    once(cmd, env)  # warm-up: the OS page cache and the bytecode
    results = [once(cmd, env) for _ in range(runs)]
    walls = [w for w, _ in results]
    median = statistics.median(walls)
    return median, (f"median {median:.3f} s wall (best {min(walls):.3f} s), "
                    f"median {statistics.median(c for _, c in results):.3f} s CPU")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (the median is reported)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} (other processes slow every figure down)")
    print(f"python -c pass:    {timed([sys.executable, '-c', 'pass'], args.runs)[1]}")
    print(f"mysql2ddb version: {timed([*cli(), 'version'], args.runs)[1]}")
    median, shown = timed([*cli(), "--help"], args.runs)
    ok = median <= TARGET_S
    print(f"mysql2ddb --help:  {shown}; target <= {TARGET_S:g} s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
