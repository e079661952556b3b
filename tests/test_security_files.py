"""A hostile MCP client against the real server (in memory): `analyze_query_log` reads only under the
workspace and MYSQL2DDB_READ_DIRS, refuses everything else before opening it, and never quotes a line
of a file in its errors; a DSN naming another server never receives the configured password."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from mysql2ddb.server.app import create_server
from mysql2ddb.tools.core.credentials import resolve_dsn
from mysql2ddb.tools.core.settings import Settings

PASSWD = Path("/etc/passwd")
SECRET = "secret-xyz"
CONFIGURED = "mysql://root@127.0.0.1:3306/m2d_sakila"
ELSEWHERE = "mysql://root@127.0.0.2:1/x"  # loopback, nothing listens: refused at once


@pytest.fixture(scope="module")
def small_log(tmp_path_factory, capture_dir) -> Path:
    """The first 2,000 lines of the shared general log: a real log that parses in milliseconds."""
    with gzip.open(capture_dir / "general.log.gz", "rt") as src:
        head = [next(src) for _ in range(2000)]
    path = tmp_path_factory.mktemp("small") / "general.log"
    path.write_text("".join(head))
    return path


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    work, logs = tmp_path / "work", tmp_path / "logs"
    work.mkdir()
    logs.mkdir()
    return {"work": work, "logs": logs}


@pytest.fixture
async def hostile(places):
    settings = Settings(workdir=places["work"], read_dirs=[places["logs"]])
    async with Client(create_server(settings)) as client:
        yield client


async def refused(client: Client, args: dict) -> dict:
    with pytest.raises(ToolError) as err:
        await client.call_tool("analyze_query_log", args)
    text = str(err.value)
    assert "root:" not in text and "/bin/" not in text and SECRET not in text
    if PASSWD.is_file():
        assert not any(line.strip() and line in text for line in PASSWD.read_text().splitlines())
    return json.loads(text)


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/shadow", "../../etc/passwd", "~/.ssh/id_rsa"])
async def test_paths_outside_the_allowed_places_are_refused(hostile, places, path):
    detail = await refused(hostile, {"paths": [path]})
    assert detail["code"] == "input" and detail["where"] == "analyze_query_log: paths[0]"
    assert "outside the places this server may read" in detail["why"] and str(places["logs"]) in detail["why"]
    assert "MYSQL2DDB_READ_DIRS" in detail["remedy"] and "workspace" in detail["remedy"]


async def test_symlinks_out_of_the_workspace_are_refused(hostile, places):
    (places["work"] / "innocent.log").symlink_to(PASSWD)
    (places["work"] / "etc").symlink_to("/etc")
    detail = await refused(hostile, {"paths": ["innocent.log"]})
    assert detail["where"] == "analyze_query_log: paths[0]" and "outside the places" in detail["why"]
    # every path is checked before any is opened: the allowed first one is not read either
    detail = await refused(hostile, {"paths": ["x.log", "etc/passwd"]})
    assert detail["where"] == "analyze_query_log: paths[1]" and "MYSQL2DDB_READ_DIRS" in detail["remedy"]


@pytest.mark.parametrize("fmt", ["auto", "general", "slow", "digest"])
async def test_a_file_that_is_no_log_is_named_never_quoted(hostile, places, fmt):
    copy = places["logs"] / "passwd.log"
    copy.write_text(PASSWD.read_text() if PASSWD.is_file() else "root:x:0:0:root:/root:/bin/bash\n")
    detail = await refused(hostile, {"paths": [str(copy)], "format": fmt})
    assert detail["code"] == "input" and detail["where"] == f"{copy}:1" and detail["remedy"]


async def test_a_binary_file_is_named_never_quoted(hostile, places):
    blob = places["logs"] / "ibdata1"
    blob.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n\x00\x01" * 64)
    detail = await refused(hostile, {"paths": [str(blob)]})
    assert detail["where"] == f"{blob}:1" and "mysqlbinlog" in detail["remedy"]


async def test_real_logs_in_read_dirs_and_the_workspace_still_work(hostile, places, small_log):
    shutil.copy(small_log, places["logs"] / "general.log")
    (places["work"] / "logs").mkdir()
    shutil.copy(small_log, places["work"] / "logs" / "general.log")
    for path, real in ((str(places["logs"] / "general.log"), places["logs"] / "general.log"),
                       ("logs/general.log", places["work"] / "logs" / "general.log")):  # workspace-relative
        data = (await hostile.call_tool("analyze_query_log", {"paths": [path]})).structured_content
        assert data["patterns"] and data["sources"][0]["file"] == str(real.resolve())


def test_resolve_dsn_keeps_the_configured_password_for_its_own_server():
    settings = Settings(dsn=CONFIGURED, mysql_password=SECRET)
    assert resolve_dsn("mysql://root@evil.example:3306/x", settings).password is None
    assert resolve_dsn(ELSEWHERE, settings).password is None
    assert resolve_dsn("mysql://other@127.0.0.1:3306/m2d_sakila", settings).password is None
    assert resolve_dsn("mysql://root@127.0.0.1:3306/other_db", settings).password == SECRET
    assert resolve_dsn(None, settings).password == SECRET


@pytest.mark.parametrize("tool", ["analyze_schema", "analyze_query_log"])
async def test_a_dsn_naming_another_server_gets_no_password(tmp_path, tool):
    settings = Settings(workdir=tmp_path / "work", dsn=CONFIGURED, mysql_password=SECRET)
    assert resolve_dsn(ELSEWHERE, settings).password is None  # what the tool connects with
    async with Client(create_server(settings)) as client:
        with pytest.raises(ToolError) as err:
            await client.call_tool(tool, {"dsn": ELSEWHERE})
    detail = json.loads(str(err.value))
    assert SECRET not in str(err.value) and "127.0.0.2:1" in detail["where"]
