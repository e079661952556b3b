"""Smoke test through the MCP Inspector CLI: a real third-party client starts `mysql2ddb serve`
over stdio (with the environment passed explicitly) and lists its tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

INSPECTOR = "@modelcontextprotocol/inspector@0.15.0"


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node's npx is not installed")
def test_inspector_lists_tools_with_annotations(tmp_path):
    cmd = ["npx", "-y", INSPECTOR, "--cli", "-e", f"MYSQL2DDB_WORKDIR={tmp_path}",
           sys.executable, "-m", "mysql2ddb", "serve", "--method", "tools/list"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "CI": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    tools = {t["name"]: t for t in json.loads(proc.stdout)["tools"]}
    assert "list_artifacts" in tools
    for name in ("analyze_schema", "analyze_query_log"):
        if name in tools:
            assert tools[name]["annotations"]["readOnlyHint"] is True
