"""The HTTP transport as a hostile client sees it: one real `mysql2ddb serve --transport http` process
for the module, spoken to over raw HTTP so every header (Host, Origin, Authorization) is ours to forge.

A browser page can POST to 127.0.0.1 (cross-site) or reach it under a foreign name (DNS rebinding):
both are refused with 403 before any tool runs, even with the right token. A client without the
right token gets 401 with `WWW-Authenticate: Bearer` and a body saying what to send."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time

import pytest

from mysql2ddb.server.http_auth import token_matches
from mysql2ddb.server.http_guard import bind_warning
from mysql2ddb.tools.core.aws import free_port
from mysql2ddb.tools.core.errors import ConfigError

TOKEN = "s3cret-token-for-the-security-tests"
TRUSTED = "https://trusted.example"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}}


class Answer:
    def __init__(self, resp: http.client.HTTPResponse):
        self.status = resp.status
        self.headers = {k.lower(): v for k, v in resp.getheaders()}
        self.text = resp.read().decode()

    def json(self) -> dict:
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in self.text.splitlines() if line.startswith("data:")]
            return json.loads(data[-1])
        return json.loads(self.text)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "MYSQL2DDB_HTTP_TOKEN": TOKEN, "MYSQL2DDB_HTTP_ALLOWED_ORIGINS": f"{TRUSTED}, http://x.test:1",
           "MYSQL2DDB_WORKDIR": str(tmp_path_factory.mktemp("work"))}
    proc = subprocess.Popen([sys.executable, "-m", "mysql2ddb", "serve", "--transport", "http", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _send(port, INIT, {})
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _send(port: int, body: dict, headers: dict[str, str]) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", "/mcp", body=json.dumps(body), headers={
            "content-type": "application/json", "accept": "application/json, text/event-stream", **headers})
        return Answer(conn.getresponse())
    finally:
        conn.close()


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _session(port: int) -> dict[str, str]:
    """An initialized MCP session opened the honest way; its headers for the next requests."""
    answer = _send(port, INIT, _bearer())
    assert answer.status == 200, answer.text
    headers = {**_bearer(), "mcp-session-id": answer.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
    assert _send(port, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers).status == 202
    return headers


def _call(tool: str, arguments: dict, call_id: int) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}


def _patterns(port: int, headers: dict[str, str]) -> str:
    answer = _send(port, _call("list_access_patterns", {}, 99), headers)
    assert answer.status == 200, answer.text
    return json.dumps(answer.json()["result"])


def test_foreign_origin_with_a_valid_token_is_refused_and_no_tool_runs(server):
    headers = _session(server)
    hostile = _send(server, _call("add_access_pattern", {"description": "planted-by-evil-page"}, 2),
                    {**headers, "origin": "http://evil.example"})
    assert hostile.status == 403
    body = hostile.json()
    assert body["code"] == "forbidden_origin" and "evil.example" in body["why"]
    assert "MYSQL2DDB_HTTP_ALLOWED_ORIGINS" in body["remedy"]
    assert "planted-by-evil-page" not in _patterns(server, headers)
    # the same call from our own origin does run: the check above could have seen it
    own = _send(server, _call("add_access_pattern", {"description": "added-by-own-page"}, 3),
                {**headers, "origin": f"http://127.0.0.1:{server}"})
    assert own.status == 200, own.text
    assert "added-by-own-page" in _patterns(server, headers)


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:1", "https://127.0.0.1:{port}", "http://evil.example"])
def test_origins_that_are_not_ours_get_403(server, origin):
    answer = _send(server, INIT, {**_bearer(), "origin": origin.format(port=server)})
    assert answer.status == 403 and answer.json()["code"] == "forbidden_origin"


def test_foreign_host_is_refused_even_with_the_token(server):
    answer = _send(server, INIT, {**_bearer(), "host": f"rebound.evil.example:{server}"})
    assert answer.status == 403
    body = answer.json()
    assert body["code"] == "forbidden_host" and "rebound.evil.example" in body["why"]
    assert f"http://127.0.0.1:{server}/mcp" in body["remedy"]
    assert _send(server, INIT, {**_bearer(), "host": "127.0.0.1:1"}).status == 403  # our name, another port


def test_missing_token_gets_401_saying_what_to_send(server):
    answer = _send(server, INIT, {})
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    body = answer.json()
    assert body["code"] == "missing_token"
    assert "Authorization: Bearer <MYSQL2DDB_HTTP_TOKEN>" in body["remedy"]


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer wrong", f"Basic {TOKEN}"])
def test_wrong_token_gets_401(server, authorization):
    answer = _send(server, INIT, {"authorization": authorization})
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <MYSQL2DDB_HTTP_TOKEN>" in answer.json()["remedy"]


@pytest.mark.parametrize("extra", [
    {},
    {"origin": "http://127.0.0.1:{port}"},
    {"origin": "http://localhost:{port}", "host": "localhost:{port}"},
    {"origin": TRUSTED},  # listed in MYSQL2DDB_HTTP_ALLOWED_ORIGINS
])
def test_right_token_from_an_allowed_place_initializes(server, extra):
    answer = _send(server, INIT, {**_bearer(), **{k: v.format(port=server) for k, v in extra.items()}})
    assert answer.status == 200, answer.text
    assert answer.json()["result"]["serverInfo"]["name"] == "mysql2ddb"


def test_token_comparison_is_constant_time():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN[:-1], TOKEN) and not token_matches("", TOKEN) and not token_matches(TOKEN + "x", TOKEN)
    assert "compare_digest" in token_matches.__code__.co_names  # hmac's, not ==, which stops at the first difference


def test_non_loopback_bind_needs_an_explicit_host_and_warns():
    assert bind_warning("127.0.0.1", explicit=False) is None
    assert bind_warning("::1", explicit=True) is None
    assert "WARNING" in bind_warning("0.0.0.0", explicit=True)
    with pytest.raises(ConfigError) as exc:
        bind_warning("0.0.0.0", explicit=False)
    assert "--host" in exc.value.remedy
