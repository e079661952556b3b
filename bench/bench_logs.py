"""`make bench` (query-log part): `mysql2ddb analyze log` against `pt-query-digest`.

1. Speed and counts: both tools, in one run, on the same general log: the shared Sakila capture
   unpacked (4 MB) and the capture concatenated ten times (41 MB), `--copies`. Each runs as its
   own process, whole (start-up included), `--repeats` times alternately, the best run of each
   counted (the least disturbed by other processes); wall and CPU times, their ratios (targets,
   issue 15: at least 4x faster on 4 MB, 10x on 41 MB) and whether the per-pattern counts are
   identical: every pt-query-digest class whose example statement is an access pattern (not
   noise) is mapped through our fingerprint and must have our count, and we must have no
   fingerprint it lacks. pt-query-digest comes from the Debian package percona-toolkit
   (installed with apt-get when missing; a skip line is printed when that fails).
2. Memory: peak RSS of `analyze log` on a large generated log (`--big-mb`, default 1024:
   the issue's 1 GB), the capture repeated with shifted connection ids and timestamps, and
   its throughput in lines/s. Target: under 300 MB whatever the size; well over 100k lines/s.

    python -m bench.bench_logs [--copies 1,10] [--repeats 3] [--big-mb 1024] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEED_TARGETS = {1: 4.0, 10: 10.0}  # copies of the capture -> times faster than pt-query-digest
RSS_TARGET_MB = 300
RATE_TARGET = 100_000


def capture_dir() -> Path:
    from mysql2ddb.tools.usecases import corpora

    return corpora.shared_dir() / "corpora" / "sakila" / "workload-capture"


def ensure_pt_query_digest() -> str | None:
    found = shutil.which("pt-query-digest")
    if found:
        return found
    print("pt-query-digest missing: apt-get install -y percona-toolkit ...", flush=True)
    try:
        subprocess.run(["apt-get", "install", "-y", "-qq", "percona-toolkit"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"SKIP pt-query-digest comparison: percona-toolkit cannot be installed ({exc})")
        return None
    return shutil.which("pt-query-digest")


# Starts the measured process from a bare Python (-S): a child's peak RSS counts what its parent
# had at the fork, and this benchmark holds far more than a bare interpreter.
MEASURE = """import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as fh:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
               "code": os.waitstatus_to_exitcode(status)}, fh)
"""


def installed_env() -> dict[str, str]:
    """The environment of a CLI as installed: Python's compiled bytecode is cached (a sandbox that
    sets PYTHONDONTWRITEBYTECODE would recompile every changed module at every start)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_measured(cmd: list[str], stdout_path: Path) -> dict:
    """Wall time, CPU time (user+sys) and peak RSS of one child process."""
    report, errors = stdout_path.with_suffix(".measure.json"), stdout_path.with_suffix(".stderr")
    with open(stdout_path, "wb") as out, open(errors, "wb") as err:
        subprocess.run([sys.executable, "-S", "-c", MEASURE, str(report), *cmd], stdout=out, stderr=err, cwd=ROOT,
                       check=True, env=installed_env())
    run = json.loads(report.read_text())
    if run["code"] != 0:
        raise RuntimeError(f"{cmd[0]} failed ({run['code']}): {errors.read_text(errors='replace')[-2000:]}")
    return run


def ours_cmd(log: Path, work: Path) -> list[str]:
    return [sys.executable, "-m", "mysql2ddb", "--workdir", str(work), "analyze", "log", str(log), "--json"]


def compare_counts(ours_json: Path, pt_json: Path) -> tuple[bool, list[str]]:
    from mysql2ddb.tools.analysis.logs.fingerprint import Fingerprinter
    from mysql2ddb.tools.analysis.logs.model import LogAnalysis

    ours = LogAnalysis.model_validate_json(ours_json.read_text()).fingerprint_counts()
    fp = Fingerprinter()
    theirs: dict[str, int] = {}
    for cls in json.loads(pt_json.read_text())["classes"]:
        query = (cls.get("example") or {}).get("query", "")
        shape = fp.shape(query)
        if shape.kind in ("read", "write"):
            theirs[shape.fingerprint] = theirs.get(shape.fingerprint, 0) + int(cls["query_count"])
    diffs = [f"{fpr[:70]}: ours {ours.get(fpr)} pt {theirs.get(fpr)}"
             for fpr in sorted(set(ours) | set(theirs)) if ours.get(fpr) != theirs.get(fpr)]
    return not diffs, diffs


def best_of(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["wall"])


def speed(tmp: Path, copies: int, repeats: int) -> bool:
    log = tmp / f"general_x{copies}.log"
    with gzip.open(capture_dir() / "general.log.gz", "rb") as fh:
        data = fh.read()
    with open(log, "wb") as out:  # copy by copy: this process stays small (see MEASURE)
        for _ in range(copies):
            out.write(data)
    lines = data.count(b"\n") * copies
    target = SPEED_TARGETS.get(copies, SPEED_TARGETS[max(SPEED_TARGETS)])
    print(f"input: the Sakila capture's general log x{copies}: {log.stat().st_size / 1e6:.1f} MB, {lines:,} lines; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    pt = ensure_pt_query_digest()
    pt_cmd = [pt, "--type", "genlog", "--output", "json", "--limit", "100%", str(log)] if pt else None
    mine: list[dict] = []
    theirs: list[dict] = []
    run_measured(ours_cmd(log, tmp / f"work-x{copies}-warm-up"), tmp / "ours.json")  # bytecode cached, files read
    for i in range(repeats):  # alternately, so that a busy spell of the machine hits both
        mine.append(run_measured(ours_cmd(log, tmp / f"work-x{copies}-{i}"), tmp / "ours.json"))
        if pt_cmd:
            theirs.append(run_measured(pt_cmd, tmp / "pt.json"))
    ours = best_of(mine)
    print(f"mysql2ddb analyze log: {ours['wall']:.2f} s wall, {ours['cpu']:.2f} s CPU, "
          f"{lines / ours['wall']:,.0f} lines/s, peak RSS {ours['rss_mb']:.0f} MB (best of {repeats})")
    if pt is None:
        return True
    pt_run = best_of(theirs)
    print(f"pt-query-digest:       {pt_run['wall']:.2f} s wall, {pt_run['cpu']:.2f} s CPU, "
          f"{lines / pt_run['wall']:,.0f} lines/s (best of {repeats})")
    ratio, cpu_ratio = pt_run["wall"] / ours["wall"], pt_run["cpu"] / ours["cpu"]
    same, diffs = compare_counts(tmp / "ours.json", tmp / "pt.json")
    ok = same and ratio >= target
    print(f"speed ratio x{copies}: {ratio:.1f}x faster (wall), {cpu_ratio:.1f}x (CPU); target {target:g}x: "
          f"{'PASS' if ratio >= target else 'FAIL'}")
    print(f"per-pattern counts identical to pt-query-digest: {'yes' if same else 'NO'}")
    for line in diffs[:10]:
        print(f"  differs: {line}")
    return ok


def shifted_copy(text: str, copy: int) -> str:
    """The capture again, later and on other connections: ids 18/19 -> 18+k*10, timestamps +k*10 s
    (MariaDB writes a time only when the second changes, so only those lines change)."""
    if copy == 0:
        return text
    out = text.replace("    18 ", f"{18 + copy * 10:6d} ").replace("    19 ", f"{19 + copy * 10:6d} ")
    base = datetime(2026, 11, 22, 17, 30, 30)
    for s in range(19, -1, -1):  # latest first: a shifted time never meets a later replacement
        old = (base + timedelta(seconds=s)).strftime("%y%m%d %H:%M:%S")
        new = (base + timedelta(seconds=s + copy * 10)).strftime("%y%m%d %H:%M:%S")
        out = out.replace(old + "\t", new + "\t")
    return out


def memory(tmp: Path, big_mb: int) -> bool:
    with gzip.open(capture_dir() / "general.log.gz", "rt") as fh:
        text = fh.read()
    body = text[text.index("Argument\n") + len("Argument\n"):]
    log = tmp / "big_general.log"
    copies = max(1, int(big_mb * 1e6 // len(body.encode())))
    with open(log, "w") as out:
        out.write(text[: len(text) - len(body)])
        for k in range(copies):
            out.write(shifted_copy(body, k))
    size = log.stat().st_size
    lines = body.count("\n") * copies
    print(f"large log: {size / 1e6:,.0f} MB, {lines:,} lines (the capture x{copies}, shifted ids and times)")
    run = run_measured(ours_cmd(log, tmp / "work-big"), tmp / "big.json")
    result = json.loads((tmp / "big.json").read_text())
    counts = sorted((p["count"] for p in result["patterns"]), reverse=True)
    rate = lines / run["wall"]
    print(f"analyze log: {run['wall']:.1f} s wall, {rate:,.0f} lines/s; peak RSS {run['rss_mb']:.0f} MB "
          f"(target < {RSS_TARGET_MB} MB: {'PASS' if run['rss_mb'] < RSS_TARGET_MB else 'FAIL'}; "
          f"rate target > {RATE_TARGET:,}/s: {'PASS' if rate > RATE_TARGET else 'FAIL'})")
    print(f"patterns: {len(counts)}, counts {counts}")
    log.unlink()
    return run["rss_mb"] < RSS_TARGET_MB and len(counts) == 9


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,10", help="concatenations of the capture to time, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each tool per size (the best counts)")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the generated log for peak RSS")
    parser.add_argument("--keep", type=Path, default=None, help="keep inputs and outputs in this directory")
    args = parser.parse_args(argv)
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="m2d-bench-logs-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        ok = True
        for copies in (int(c) for c in args.copies.split(",") if c.strip()):
            ok = speed(tmp, copies, args.repeats) and ok
        ok = memory(tmp, args.big_mb) and ok
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
