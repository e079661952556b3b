"""AWS access: one client factory for every stage, botocore errors mapped at the boundary,
and the embedded endpoint for users without AWS: the workspace's local endpoint (a moto server on
127.0.0.1 that outlives the call, tools/core/local_endpoint.py), or one moto server for a block
when no workspace is named (the demo).

boto3 clients are used from threads (moto's in-process mock does not patch aiobotocore, and
real AWS behaves the same either way); retries are botocore's `adaptive` mode.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from mysql2ddb.tools.core.errors import AwsError, ConfigError, ConflictError, NotFoundError, ThrottledError

from mysql2ddb.tools.core.endpoints import EMBEDDED, has_credentials  # noqa: F401  (re-exported)
_THROTTLE_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "Throttling", "TooManyRequestsException", "LimitExceededException",
}


@dataclass
class AwsClients:
    """Creates boto3 clients for one region and endpoint (None = real AWS)."""

    region: str = "us-east-1"
    endpoint_url: str | None = None
    max_attempts: int = 10
    local_kind: str | None = None  # the workspace's local endpoint: moto or dynamodb-local
    notes: list[str] = field(default_factory=list)  # what the endpoint lacked (features left out), for the report
    _session: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.local_kind and self._session is None:
            # a local endpoint takes any key: the user's own credentials never sign requests to it
            self._session = boto3.session.Session(region_name=self.region, aws_access_key_id="local",
                                                  aws_secret_access_key="local")

    def client(self, service: str, **config: Any) -> Any:
        if self._session is None:
            self._session = boto3.session.Session(region_name=self.region)
        cfg = Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            max_pool_connections=config.pop("max_pool_connections", 64),
            **config,
        )
        return self._session.client(service, endpoint_url=self.endpoint_url, config=cfg)

    @property
    def embedded(self) -> bool:
        if self.local_kind:
            return self.local_kind == "moto"
        return bool(self.endpoint_url and "127.0.0.1" in self.endpoint_url)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def map_aws_error(exc: BaseException, where: str) -> AwsError | NotFoundError | ConflictError | ConfigError:
    if isinstance(exc, NoCredentialsError):
        return ConfigError(
            "no AWS credentials",
            where=where,
            remedy="configure credentials (aws configure / AWS_PROFILE) or use --endpoint-url embedded",
        )
    if isinstance(exc, EndpointConnectionError):
        return AwsError(
            f"cannot reach the endpoint: {exc}",
            where=where,
            remedy="check --endpoint-url / the region, and the network path to AWS",
        )
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "?"), err.get("Message", str(exc))
        if code in _THROTTLE_CODES:
            return ThrottledError(
                f"{code}: {message}", where=where, remedy="retry later, or raise the table's capacity / use on-demand"
            )
        if code in ("NoSuchBucket", "NoSuchKey", "EntityNotFoundException"):
            return NotFoundError(f"{code}: {message}", where=where, remedy="create it first (or check its name and region)")
        if code == "ResourceNotFoundException":
            return NotFoundError(f"{code}: {message}", where=where, remedy="create it first, or check the name and region")
        if code in ("ResourceInUseException", "ConditionalCheckFailedException"):
            return ConflictError(f"{code}: {message}", where=where, remedy="it exists already; check its state")
        if code in ("AccessDeniedException", "UnrecognizedClientException", "AccessDenied"):
            return ConfigError(
                f"{code}: {message}", where=where, remedy="grant the IAM permission named above to these credentials"
            )
        return AwsError(f"{code}: {message}", where=where, remedy="read the AWS message above and fix its cause")
    if isinstance(exc, BotoCoreError):
        return AwsError(str(exc), where=where, remedy="check the endpoint, region and credentials")
    return AwsError(repr(exc), where=where, remedy="retry; report it if it persists")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """A moto server in its own process on 127.0.0.1: it keeps every item in memory, so one
    per run (or per test session), never a long-lived shared one.

    It runs moto one request at a time (tools/core/moto_serial.py): moto's own threaded server can
    lose acknowledged items when concurrent batches write the same new partition key. `serial=False`
    starts that plain server, only to compare against it (tests/test_moto_integrity.py, bench)."""

    def __init__(self, port: int | None = None, serial: bool = True):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.serial = serial
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "MotoServer":
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        module = "mysql2ddb.tools.core.moto_serial" if self.serial else "moto.server"
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AwsError("the moto server exited at start", where="embedded endpoint", remedy="pip install 'moto[server]'")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return self
            time.sleep(0.1)
        self.stop()
        raise AwsError("the moto server did not answer in time", where="embedded endpoint", remedy="retry; check free memory")

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
            if self._proc.poll() is None:
                self._proc.kill()

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def aws_clients(endpoint_url: str | None, region: str, say: Any = None,
                workspace: Path | None = None) -> Iterator[AwsClients]:
    """Yield clients for `endpoint_url`. `embedded` with a workspace is that workspace's local
    endpoint (started when none runs, left running afterwards); without one, a moto server for the
    block. Either way it says which."""
    if endpoint_url == EMBEDDED and workspace is not None:
        from mysql2ddb.tools.core.local_endpoint import ensure

        local, started = ensure(workspace)
        if say:
            say(local_note(local.label, local.url, started))
        yield AwsClients(region=region, endpoint_url=local.url, local_kind=local.kind)
        return
    if endpoint_url == EMBEDDED:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        with MotoServer() as server:
            if say:
                say(f"embedded AWS endpoint: moto server at {server.url} (in memory, gone when this run ends)")
            yield AwsClients(region=region, endpoint_url=server.url)
        return
    yield AwsClients(region=region, endpoint_url=endpoint_url)


def local_note(label: str, url: str, started: bool) -> str:
    return (f"embedded AWS endpoint: {label} at {url}, the workspace's local endpoint "
            f"({'started now' if started else 'already running'}); its tables and items stay in memory until "
            "`mysql2ddb local stop` (MCP: stop_local_endpoint)")
