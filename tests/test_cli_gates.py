"""The gates CLI keeps the MCP tools' rules: design order, and approvals bound to what they approve."""

from __future__ import annotations

import json
import subprocess
import sys

from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.core.approvals import is_approved


def cli(workdir, *args):
    return subprocess.run([sys.executable, "-m", "mysql2ddb", "--workdir", str(workdir), "gates", *args, "--json"],
                          capture_output=True, text=True, timeout=60)


def test_gates_cli_enforces_table_order_and_binds_the_contract(tmp_path, sakila_dir):
    ws = Workspace(tmp_path)
    ws.write_text("contract.json", (sakila_dir / "contract.json").read_text())
    second = cli(tmp_path, "approve", "table:CategoryFilms")
    assert second.returncode == 2 and "Films" in second.stderr
    assert cli(tmp_path, "approve", "table:Films").returncode == 0
    assert cli(tmp_path, "approve", "contract").returncode == 0
    sha = json.loads(cli(tmp_path, "list").stdout)["records"][-1]["artifact_sha256"]
    assert is_approved(ws, "contract", artifact_sha256=sha)
    rejected = cli(tmp_path, "reject", "contract", "--feedback", "rename Payments")
    assert rejected.returncode == 0 and not is_approved(ws, "contract", artifact_sha256=sha)
