"""Shared fixtures: the local MariaDB (127.0.0.1:3306, root, empty password) with Sakila and
Chinook loaded once per session, a moto server on 127.0.0.1, a workspace, and an in-memory
FastMCP client over our real server. Nothing is mocked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.core.aws import AwsClients, MotoServer
from mysql2ddb.tools.core.db import Dsn

MYSQL_URL = os.environ.get("MYSQL2DDB_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def dsn_for(database: str) -> Dsn:
    return Dsn.parse(f"{MYSQL_URL}/{database}")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return corpora.shared_dir()


@pytest.fixture(scope="session")
def sakila_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpora" / "sakila"


@pytest.fixture(scope="session")
def capture_dir(sakila_dir: Path) -> Path:
    return sakila_dir / "workload-capture"


@pytest.fixture(scope="session")
def sakila_dsn() -> Dsn:
    """A fresh Sakila (read-only for tests: nothing may write to it)."""
    dsn = dsn_for("m2d_sakila")
    corpora.ensure_sakila(dsn)
    return dsn


@pytest.fixture(scope="session")
def mp_dsn() -> Dsn:
    """Our own Sakila copy for migrations: views are created here, never in the read-only m2d_sakila."""
    dsn = dsn_for("m2d_mp_sakila")
    corpora.ensure_sakila(dsn)
    return dsn


@pytest.fixture(scope="session")
def contract(sakila_dir: Path) -> str:
    """The shared Sakila contract's path."""
    return str(sakila_dir / "contract.json")


@pytest.fixture(scope="session")
def chinook_dsn() -> Dsn:
    dsn = dsn_for("m2d_chinook")
    corpora.ensure_chinook(dsn)
    return dsn


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws(moto_server: MotoServer) -> AwsClients:
    """Clients against the session's moto server, reset before each test that uses it."""
    moto_server.reset()
    return AwsClients(region="us-east-1", endpoint_url=moto_server.url)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"


@pytest.fixture
def settings(workdir: Path):
    from mysql2ddb.tools.core.settings import Settings

    return Settings(workdir=workdir)


@pytest.fixture
async def mcp_client(settings):
    """An in-memory FastMCP client connected to a fresh server over `settings`."""
    from fastmcp import Client

    from mysql2ddb.server.app import create_server

    async with Client(create_server(settings)) as client:
        yield client
