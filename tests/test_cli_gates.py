"""The gates CLI keeps the MCP tools' rules: design order, the review shown before the answer, and
approvals bound to what they approve (stale once it changes)."""

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
    films = cli(tmp_path, "approve", "table:Films")
    assert films.returncode == 0 and "Table `Films`" in films.stderr  # the review, beside the JSON on stdout
    approved = cli(tmp_path, "approve", "contract")
    assert approved.returncode == 0 and "Migration contract" in approved.stderr
    assert json.loads(approved.stdout)["state"] == "approved"
    sha = json.loads(cli(tmp_path, "list").stdout)["records"][-1]["artifact_sha256"]
    assert is_approved(ws, "contract", artifact_sha256=sha)
    rejected = cli(tmp_path, "reject", "contract", "--feedback", "rename Payments")
    assert rejected.returncode == 0 and not is_approved(ws, "contract", artifact_sha256=sha)
    cli(tmp_path, "approve", "contract")
    edited = ws.read_json("contract.json")
    edited["tables"][0]["estimated_item_size_bytes"] = 900
    ws.write_json("contract.json", edited)
    listed = json.loads(cli(tmp_path, "list").stdout)
    assert listed["states"]["contract"] == "stale" and listed["stale"] == ["table:Films", "contract"]  # Films lives in it too
