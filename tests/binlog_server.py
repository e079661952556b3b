"""A private MariaDB with a row binlog, for the live-migration tests: its own data directory in a
temporary folder, a free port on 127.0.0.1, started in about 4 s and stopped at the end. The shared
server on 3306 is never reconfigured."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pymysql

from mysql2ddb.tools.core.aws import free_port

ROW_BINLOG = ("--log-bin={d}/binlog", "--binlog-format=ROW", "--binlog-row-image=FULL",
              "--binlog-row-metadata=FULL", "--server-id=7")


def available() -> str | None:
    """Why a private server cannot start here, or None."""
    for tool in ("mariadb-install-db", "mariadbd"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            return f"{tool} is not installed"
    return None


class PrivateMariaDb:
    def __init__(self, *extra: str, binlog: tuple[str, ...] = ROW_BINLOG):
        self.dir = Path(tempfile.mkdtemp(prefix="m2d-binlog-"))
        self.port = free_port()
        self._args = [a.format(d=self.dir) for a in binlog] + list(extra)
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}"

    def connect(self, database: str | None = None, **kw) -> pymysql.connections.Connection:
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="", database=database,
                               autocommit=True, **kw)

    def start(self, timeout: float = 60.0) -> "PrivateMariaDb":
        data = self.dir / "data"
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}",
                        "--auth-root-authentication-method=normal", "--skip-test-db", "--user=root"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self._proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={self.dir}/sock", f"--port={self.port}",
             "--bind-address=127.0.0.1", "--user=root", f"--pid-file={self.dir}/pid", *self._args],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "err.log", "wb"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {(self.dir / 'err.log').read_text()[-2000:]}")
            with contextlib.suppress(pymysql.err.OperationalError):
                self.connect().close()
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the private MariaDB did not answer in time")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivateMariaDb":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def private_mariadb(*extra: str, binlog: tuple[str, ...] = ROW_BINLOG) -> Iterator[PrivateMariaDb]:
    server = PrivateMariaDb(*extra, binlog=binlog)
    try:
        yield server.start()
    finally:
        server.stop()

