"""`make bench` (verification part): proof as fast as the copy, on the same endpoint.

Source: Sakila in the local MariaDB (`m2d_bench_verify`, loaded once) with the shared contract
(/work/shared/corpora/sakila/contract.json: 7 tables, 39,475 items), its views created by the
real path. On each endpoint the contract's tables are created, copied by the copy engine (its
defaults for that endpoint) and verified (tools/execution/verify.py, its defaults); both are timed
in this process, one after the other, best of `--repeat` rounds (a fresh, empty endpoint each
round), so the machine's other load weighs on both alike. Endpoints:
  moto     - our moto server (tools/core/moto_serial.py), the embedded endpoint
  latency  - bench/latency_store.py: a region 10 ms away that keeps the items and serves Scan
Target (issue 17): verify time / copy time <= 1.0 on both, and every verification ok.

    python -m bench.bench_verify [--endpoints moto,latency] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from mysql2ddb.tools.core.aws import AwsClients, MotoServer
from mysql2ddb.tools.core.db import Dsn

DATABASE = "m2d_bench_verify"
MYSQL_URL = os.environ.get("MYSQL2DDB_BENCH_MYSQL", "mysql://root@127.0.0.1:3306")
ROOT = Path(__file__).resolve().parent.parent


def prepare() -> tuple[Dsn, Any, Any, dict[str, dict]]:
    """Sakila, the shared contract, its views, the catalog and the conversion specs."""
    from mysql2ddb.tools.contract.catalog import read_catalog_sync
    from mysql2ddb.tools.contract.load import load_contract
    from mysql2ddb.tools.execution.spec import contract_specs
    from mysql2ddb.tools.execution.views import apply_views
    from mysql2ddb.tools.usecases import corpora

    dsn = Dsn.parse(f"{MYSQL_URL}/{DATABASE}")
    corpora.ensure_sakila(dsn)
    contract = load_contract(corpora.shared_dir() / "corpora" / "sakila" / "contract.json")
    asyncio.run(apply_views(contract, dsn))
    catalog = read_catalog_sync(dsn)
    return dsn, contract, catalog, contract_specs(contract, catalog)


def one_round(dsn: Dsn, contract: Any, catalog: Any, specs: dict[str, dict], url: str) -> dict[str, Any]:
    """Create the tables, copy, verify: seconds of the copy and of the verification."""
    from mysql2ddb.tools.execution.copy_engine import copy_tables
    from mysql2ddb.tools.execution.rundir import RunDir
    from mysql2ddb.tools.execution.tables import TableOptions, ensure_tables
    from mysql2ddb.tools.execution.verify import verify_specs

    aws = AwsClients(region="us-east-1", endpoint_url=url)
    ensure_tables(contract, catalog, aws, TableOptions())
    run = RunDir.create(tempfile.mkdtemp(prefix="m2d-bench-verify-"), contract)
    names = [t.table for t in contract.tables]
    started, cpu = time.perf_counter(), time.process_time()
    stats = asyncio.run(copy_tables(specs, dsn, aws, run, tables=names))
    copy_s, copy_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    result = verify_specs([specs[n] for n in names], dsn, aws, run=run)
    verify_s, verify_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"copy_s": round(copy_s, 2), "verify_s": round(verify_s, 2), "copy_cpu_s": round(copy_cpu, 2),
            "verify_cpu_s": round(verify_cpu, 2), "items": sum(s.written for s in stats), "verified": result.ok,
            "summary": result.summary()}


def _start_store(moto_url: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.latency_store", "--moto", moto_url, "--delay-ms", "10"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = (proc.stdout.readline() if proc.stdout else "").split()
    if not line or line[0] != "READY":
        proc.kill()
        raise SystemExit("the latency store did not start")
    return proc, line[1]


def run_bench(endpoints: list[str], repeat: int) -> dict[str, Any]:
    dsn, contract, catalog, specs = prepare()
    results: list[dict[str, Any]] = []
    with MotoServer() as moto:
        store, store_url = _start_store(moto.url)
        try:
            for endpoint in endpoints:
                rounds = []
                for _ in range(repeat):
                    moto.reset()
                    if endpoint == "latency":
                        urllib.request.urlopen(urllib.request.Request(store_url + "/__reset", data=b"",
                                                                      method="POST"), timeout=60).close()
                    url = store_url if endpoint == "latency" else moto.url
                    print(f"copy + verify -> {endpoint} ...", file=sys.stderr, flush=True)
                    rounds.append(one_round(dsn, contract, catalog, specs, url))
                    print(f"  {rounds[-1]}", file=sys.stderr, flush=True)
                copy_s = min(r["copy_s"] for r in rounds)
                verify_s = min(r["verify_s"] for r in rounds)
                results.append({"endpoint": endpoint, "items": rounds[0]["items"], "copy_s": copy_s,
                                "verify_s": verify_s, "ratio": round(verify_s / copy_s, 2),
                                "verified": all(r["verified"] for r in rounds)})
        finally:
            store.kill()
    return {"results": results}


def print_report(report: dict[str, Any]) -> bool:
    print("\nverify benchmark: Sakila, shared contract (best of each)")
    print(f"{'endpoint':8} {'items':>7} {'copy s':>7} {'verify s':>9} {'verify/copy':>11} {'verified':>9}")
    ok = True
    for r in report["results"]:
        print(f"{r['endpoint']:8} {r['items']:>7,} {r['copy_s']:>7.2f} {r['verify_s']:>9.2f} {r['ratio']:>11.2f} "
              f"{'yes' if r['verified'] else 'NO':>9}")
    for r in report["results"]:
        passed = r["ratio"] <= 1.0 and r["verified"]
        ok &= passed
        print(f"  [{'PASS' if passed else 'FAIL'}] {r['endpoint']}: verify time / copy time <= 1.0 "
              f"(every table verified): {r['ratio']:.2f}")
    return ok


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")  # local endpoints only: moto and the latency store
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    parser = argparse.ArgumentParser(description="verification against copy benchmark")
    parser.add_argument("--endpoints", default="moto,latency")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    report = run_bench(args.endpoints.split(","), max(1, args.repeat))
    return 0 if print_report(report) else 1


if __name__ == "__main__":
    sys.exit(main())
