"""The one place the AWS endpoint of a call is decided.

The configured endpoint (MYSQL2DDB_AWS_ENDPOINT_URL) and region come from the user's environment.
An MCP caller may ask for `embedded`, the configured endpoint, or an endpoint on this machine
(127.0.0.1, localhost, ::1: moto, DynamoDB Local); any other URL is refused, so an argument can
never send the source data, or requests signed with the user's credentials, to a host of its
choosing. The CLI user may name any endpoint.

`embedded` is the workspace's local endpoint (tools/core/local_endpoint.py): the clients for it are
made where the call's workspace is known (tools/core/aws.py `aws_clients(..., workspace=)`, and
tools/usecases/local_endpoint.py for reads), which start it when none runs and leave it running.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.core.settings import Settings

EMBEDDED = "embedded"


def has_credentials() -> bool:
    import boto3  # imported when a call needs AWS, not at start

    return boto3.session.Session().get_credentials() is not None


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def resolve_endpoint(given: str | None, settings: Settings, caller: Caller, *, where: str = "endpoint_url") -> str | None:
    """The endpoint a call uses: the one given, else the configured one, else `embedded` (the
    workspace's local endpoint) when there are no AWS credentials, else real AWS (None)."""
    configured = settings.aws_endpoint_url
    if given and caller is Caller.MCP and given not in (EMBEDDED, configured) and not is_loopback(given):
        raise ConfigError(
            f"endpoint {given!r} is neither the configured endpoint, 'embedded', nor on this machine",
            where=where,
            remedy="leave endpoint_url out to use the configured one; the user sets MYSQL2DDB_AWS_ENDPOINT_URL "
                   "in the server's environment to change it",
        )
    endpoint = given or configured or (None if has_credentials() else EMBEDDED)
    if endpoint and endpoint != EMBEDDED and is_loopback(endpoint) and not has_credentials():
        # a local endpoint (a moto server, DynamoDB Local) accepts any key; botocore still wants one
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return endpoint


def resolve_region(given: str | None, settings: Settings) -> str:
    return given or settings.aws_region
