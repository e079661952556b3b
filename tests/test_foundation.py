"""The foundation: packaging, DSNs, errors, SQL rendering, workspace, server factory."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sqlglot import exp

from mysql2ddb.tools.core.errors import ConfigError, NotFoundError, PrivilegeError, DatabaseUnavailable
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import Dsn, sync_connection

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_installed_under_mysql2ddb():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"mysql2ddb"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and rel.parts[0] in ("server", "tools", "prompts", "schemas"):
            found.add(".".join(("mysql2ddb", *rel.parts)))
    assert found <= declared, f"add to pyproject packages: {sorted(found - declared)}"


# The one MCP *client* of the cores: it talks to the user's own MySQL/AWS servers, it serves nothing.
MCP_CLIENTS = {ROOT / "tools" / "downstream" / "mcp_client.py"}


def test_cores_never_import_fastmcp():
    for path in (ROOT / "tools").rglob("*.py"):
        if path in MCP_CLIENTS:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in ("fastmcp", "mcp") for n in names), f"{path} imports {names}"


def test_dsn_parses_and_never_leaks_the_password():
    dsn = Dsn.parse("mysql://app:s%40cret@db.example:3307/shop")
    assert (dsn.user, dsn.password, dsn.host, dsn.port, dsn.database) == ("app", "s@cret", "db.example", 3307, "shop")
    assert "s@cret" not in repr(dsn) and "cret" not in dsn.redacted()


@pytest.mark.parametrize(
    "text,remedy",
    [("postgres://x@h/db", "mysql://"), ("mysql://root@127.0.0.1:3306", "append the database"), ("mysql://r@h:xx/d", "port")],
)
def test_bad_dsn_says_what_to_do(text, remedy):
    with pytest.raises(ConfigError) as info:
        Dsn.parse(text)
    assert remedy in info.value.remedy or remedy in info.value.why


def test_wrong_password_unknown_db_and_closed_port_are_mapped(sakila_dsn):
    with pytest.raises(PrivilegeError) as info:
        with sync_connection(Dsn.parse("mysql://nobody:wrong@127.0.0.1:3306/m2d_sakila")):
            pass
    assert "wrong" not in str(info.value)
    with pytest.raises(NotFoundError):
        with sync_connection(sakila_dsn.with_database("m2d_no_such_db")):
            pass
    with pytest.raises(DatabaseUnavailable) as info:
        with sync_connection(Dsn.parse("mysql://root@127.0.0.1:1/x")):
            pass
    assert info.value.transient and "127.0.0.1:1" in info.value.where


def test_driver_sql_quotes_identifiers_and_keeps_literal_percent():
    query = exp.select(sql.col("a`b")).from_(sql.table("t")).where(
        sql.col("x").eq(sql.param()).and_(exp.Like(this=sql.col("y"), expression=exp.Literal.string("50%?")))
    )
    text = sql.driver_sql(query)
    assert text == "SELECT `a``b` FROM `t` WHERE `x` = %s AND `y` LIKE '50%%?'"


def test_driver_sql_runs_against_the_database(sakila_dsn):
    query = exp.select(sql.col("title")).from_(sql.table("film")).where(sql.col("film_id").eq(sql.param()))
    with sync_connection(sakila_dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.driver_sql(query), (1,))
        assert cur.fetchone() == ("ACADEMY DINOSAUR",)


def test_workspace_writes_atomically_and_stays_inside(tmp_path):
    ws = Workspace(tmp_path)
    ws.write_json("analysis/x.json", {"a": 1})
    assert json.loads((tmp_path / "analysis/x.json").read_text()) == {"a": 1}
    assert ws.list() == ["analysis/x.json"]
    with pytest.raises(Exception):
        ws.write_text("../escape.txt", "no")


async def test_server_lists_tools_and_reads_workspace_resources(mcp_client, settings):
    Workspace(settings.workdir).write_text("notes/hello.md", "hi")
    tools = {t.name for t in await mcp_client.list_tools()}
    assert "list_artifacts" in tools
    contents = await mcp_client.read_resource("mysql2ddb://workspace/notes/hello.md")
    assert contents[0].text == "hi"


def test_stdio_server_stdout_is_json_rpc_only(tmp_path):
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    proc = subprocess.run(
        [sys.executable, "-m", "mysql2ddb", "--workdir", str(tmp_path), "serve"],
        input=json.dumps(request) + "\n", capture_output=True, text=True, timeout=60,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, proc.stderr
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0"


async def test_tool_results_carry_structured_content_and_markdown(mcp_client, settings):
    Workspace(settings.workdir).write_text("a.md", "x")
    res = await mcp_client.call_tool("list_artifacts", {})
    assert res.structured_content["artifacts"][0]["uri"] == "mysql2ddb://workspace/a.md"
    assert "a.md" in res.content[0].text
