"""A hostile client against the real stdio server (a child process, as Claude Desktop starts it).

Every class of abuse the trust issue names is tried through MCP tool calls with a configured
database password in the server's environment; none gets through: no program started from an
argument, no password sent to a host the caller chose, no file read outside the allowed places,
no hostile SQL fragment turned into a view, no write without consent, no item sent to a foreign
endpoint, no approved artifact replaced by an empty one, and no secret in any answer.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pymysql
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from fastmcp.exceptions import ToolError

from mysql2ddb.tools.usecases import corpora
from tests.conftest import dsn_for
from tests.hostile_mysql import HostileMySql
from tests.views_in import ddb_views

SECRET = "secret-xyz-4417"
DATABASE = "m2d_sec_stdio"
USER = "m2d_sec"
ANSWERS: list[str] = []  # every text the server sent back, checked for secrets at the end


def _user_with_password() -> None:
    """A MariaDB account whose password is the server's configured secret (fixed literals only)."""
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        for host in ("127.0.0.1", "localhost"):
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (USER, host, SECRET))
            cur.execute("GRANT ALL PRIVILEGES ON `m2d_sec_stdio`.* TO %s@%s", (USER, host))
    conn.close()


def _views() -> list[str]:
    return ddb_views(DATABASE)


@pytest.fixture(scope="module")
def server_env(tmp_path_factory, sakila_dir, moto_server):
    corpora.ensure_sakila(dsn_for(DATABASE))
    _user_with_password()
    work = tmp_path_factory.mktemp("hostile") / "work"
    work.mkdir()
    shutil.copy(sakila_dir / "contract.json", work / "contract.json")
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(work),
        "MYSQL2DDB_WORKDIR": str(work),
        "MYSQL2DDB_DSN": f"mysql://{USER}@127.0.0.1:3306/{DATABASE}",
        "MYSQL2DDB_MYSQL_PASSWORD": SECRET,
        "MYSQL2DDB_AWS_ENDPOINT_URL": moto_server.url,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }
    return work, env


@pytest.fixture(scope="module")
async def chat(server_env):
    _, env = server_env
    transport = StdioTransport(command=sys.executable, args=["-m", "mysql2ddb", "serve"], env=env)
    async with Client(transport) as client:
        yield client


async def refused(chat: Client, tool: str, args: dict) -> str:
    with pytest.raises(ToolError) as info:
        await chat.call_tool(tool, args)
    text = str(info.value)
    ANSWERS.append(text)
    return text


async def answered(chat: Client, tool: str, args: dict) -> dict:
    res = await chat.call_tool(tool, args)
    ANSWERS.append(json.dumps(res.structured_content, default=str))
    ANSWERS.extend(c.text for c in res.content if hasattr(c, "text"))
    return res.structured_content


async def test_a_downstream_command_in_an_argument_starts_nothing(chat, tmp_path):
    marker = tmp_path / "started"
    config = {"mcpServers": {"evil": {"command": "sh", "args": ["-c", f"touch {marker}"],
                                      "mysql2ddb": {"services": ["mysql"]}}}}
    await refused(chat, "validate_mcp_servers", {"config": config})
    await refused(chat, "validate_mcp_servers", {"config_path": str(tmp_path / "servers.json")})
    assert not marker.exists()


async def test_a_foreign_dsn_never_receives_the_configured_password(chat):
    with HostileMySql() as hostile:
        for dsn in (f"mysql://{USER}@127.0.0.1:{hostile.port}/{DATABASE}",  # same host and user, other port
                    f"mysql://root@127.0.0.1:{hostile.port}/{DATABASE}"):
            text = await refused(chat, "analyze_schema", {"dsn": dsn})
            assert SECRET not in text
        assert hostile.connections >= 2, "the calls never reached the hostile server"
        assert SECRET.encode() not in bytes(hostile.received)
    # the configured server and user, another database: the configured password is used (and works)
    schema = await answered(chat, "analyze_schema", {"dsn": f"mysql://{USER}@127.0.0.1:3306/{DATABASE}"})
    assert schema["tables"]


@pytest.mark.parametrize("tool,args", [
    ("analyze_query_log", {"paths": ["/etc/passwd"]}),
    ("analyze_query_log", {"paths": ["../../../../etc/passwd"]}),
    ("validate_contract", {"path": "/etc/passwd"}),
    ("plan_migration", {"contract": "/etc/passwd"}),
    ("create_views", {"contract": "/etc/shadow"}),
])
async def test_files_outside_the_allowed_places_are_refused_unread(chat, tool, args):
    text = await refused(chat, tool, args)
    assert "root:" not in text and "daemon:" not in text
    assert "MYSQL2DDB_READ_DIRS" in text


async def test_a_symlink_out_of_the_workspace_is_refused(chat, server_env):
    work, _ = server_env
    link = work / "innocent.log"
    if not link.exists():
        link.symlink_to("/etc/passwd")
    text = await refused(chat, "analyze_query_log", {"paths": ["innocent.log"]})
    assert "root:" not in text


HOSTILE_FRAGMENTS = [
    "(SELECT authentication_string FROM mysql.user LIMIT 1)",
    "EXISTS (SELECT 1 FROM other_db.secrets)",
    "SLEEP(5)",
    "MASTER_POS_WAIT('bin.000001', 4)",
    "LOAD_FILE('/etc/passwd')",
]


@pytest.mark.parametrize("fragment", HOSTILE_FRAGMENTS)
async def test_hostile_contract_fragments_never_become_views(chat, server_env, sakila_dir, fragment):
    work, _ = server_env
    contract = json.loads((sakila_dir / "contract.json").read_text())
    index, table = next((i, t) for i, t in enumerate(contract["tables"]) if t["table"] == "Actors")
    model = next(a for a in table["attributes"] if a["name"] == "last_name_initial")
    table["attributes"].append({**model, "name": "evil", "calculation": {
        "type": "case", "cases": [{"when": "actor.actor_id > 0", "then": fragment}], "else": "'#'"}})
    (work / "evil.json").write_text(json.dumps(contract))
    checked = await answered(chat, "validate_contract", {"path": "evil.json"})
    assert checked["valid"] is False
    assert any(e["path"].startswith(f"/tables/{index}/attributes/{len(table['attributes']) - 1}")
               for e in checked["errors"]), checked["errors"]
    await refused(chat, "create_views", {"contract": "evil.json", "dry_run": False, "confirm": True})
    assert _views() == []


async def test_migrate_without_consent_writes_nothing(chat, moto_server):
    text = await refused(chat, "migrate", {})
    assert "confirm" in text
    text = await refused(chat, "create_views", {"dry_run": False})
    assert "confirm" in text
    assert _views() == []
    assert not _contract_tables_in(moto_server.url)


def _contract_tables_in(url: str) -> set[str]:
    import boto3

    names = {t["table"] for t in json.loads((corpora.shared_dir() / "corpora/sakila/contract.json").read_text())["tables"]}
    ddb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
    return names & set(ddb.list_tables()["TableNames"])


async def test_a_foreign_endpoint_is_refused_before_anything_is_written(chat, moto_server):
    text = await refused(chat, "migrate", {"endpoint_url": "https://collector.example.net", "confirm": True})
    assert "MYSQL2DDB_AWS_ENDPOINT_URL" in text
    assert _views() == []
    assert not _contract_tables_in(moto_server.url)


async def test_an_empty_design_is_refused(chat):
    await refused(chat, "submit_design", {"design": {"tables": []}})


def test_no_answer_carried_the_secret():
    assert ANSWERS, "the tests above sent nothing"
    assert not [a for a in ANSWERS if SECRET in a]


def test_the_server_never_wrote_the_secret(server_env):
    work, _ = server_env
    for path in Path(work).rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert SECRET not in path.read_text(errors="ignore"), path
