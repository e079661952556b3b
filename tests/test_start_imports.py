"""The CLI starts light: `--help` and `version` import typer and the command registry, never the
stage libraries (each command imports what it needs when it runs), and `analyze log` never pulls
in AWS or the MCP server. Checked on what a fresh process has imported when the command ends
(sys.modules), not on time: start-up time is measured by `make bench` (bench/bench_start.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# never needed to print help or the version
HEAVY = ("boto3", "botocore", "fastmcp", "mcp", "moto", "sqlglot", "aiomysql", "pymysql",
         "jinja2", "jsonschema", "starlette", "uvicorn", "s3transfer", "asyncio")
# what `analyze log` has no use for: AWS, the MCP server, the MySQL client, an event loop
NOT_FOR_LOGS = ("boto3", "botocore", "fastmcp", "mcp", "moto", "s3transfer", "starlette", "uvicorn", "jinja2",
                "pymysql", "aiomysql", "asyncio", "pydantic_settings", "rich")

LOG = (
    "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:\n"
    "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
    "Time\t\t    Id Command\tArgument\n"
    "261122 17:30:39\t    18 Connect\troot@localhost on sakila using TCP/IP\n"
    "\t\t    18 Query\tSELECT title FROM film WHERE film_id = 7\n"
    "\t\t    18 Query\tSELECT title FROM film WHERE film_id = 8\n"
    "261122 17:30:40\t    18 Query\tUPDATE film SET title = 'x' WHERE film_id = 7\n"
    "\t\t    18 Quit\t\n"
)


RUN = """import json, runpy, sys
sys.argv = ["mysql2ddb", *json.loads(sys.argv[1])]
try:
    runpy.run_module("mysql2ddb", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(OUT, "w") as fh:
    json.dump(sorted(sys.modules), fh)
sys.exit(code)
"""


def imported(args: list[str], cwd: Path) -> set[str]:
    """Top-level packages in sys.modules when a fresh `python -m mysql2ddb ARGS` ends (it must
    succeed)."""
    out = cwd / "modules.json"
    env = {**os.environ, "MYSQL2DDB_WORKDIR": str(cwd / "work")}
    code = RUN.replace("OUT", repr(str(out)))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = json.loads(out.read_text())
    names = {name.split(".")[0] for name in modules}
    assert "typer" in names and "mysql2ddb" in names
    return names | {m for m in modules if m.startswith("mysql2ddb.server.cli.")}


def test_help_and_version_import_no_stage_library(tmp_path):
    for args in (["--help"], ["version"], ["analyze", "--help"], ["model", "patterns", "--help"]):
        names = imported(args, tmp_path)
        assert not names & set(HEAVY), (args, sorted(names & set(HEAVY)))
    # rich renders typer's help, pydantic coerces typer's parameters; `--help` needs neither of ours
    assert "pydantic" not in imported(["--help"], tmp_path)
    assert "rich" not in imported(["version"], tmp_path)


def test_analyze_log_imports_no_aws_and_no_mcp(tmp_path):
    log = tmp_path / "general.log"
    log.write_text(LOG)
    names = imported(["analyze", "log", str(log), "--json"], tmp_path)
    assert not names & set(NOT_FOR_LOGS), sorted(names & set(NOT_FOR_LOGS))
    # only the analysis commands are registered (typer converts every registered command at start)
    cli = {m for m in names if m.startswith("mysql2ddb.server.cli.")}
    assert cli <= {"mysql2ddb.server.cli.main", "mysql2ddb.server.cli.common", "mysql2ddb.server.cli.analysis",
                   "mysql2ddb.server.cli.analyze_schema", "mysql2ddb.server.cli.analyze_log"}, sorted(cli)
    assert (tmp_path / "work" / "analysis" / "query_log.json").exists()


def test_demo_default_endpoint_is_the_embedded_one():
    from mysql2ddb.server.cli import demo
    from mysql2ddb.tools.core.endpoints import EMBEDDED

    assert demo.EMBEDDED == EMBEDDED
