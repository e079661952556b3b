"""The HTTP transport binds 127.0.0.1, refuses requests without the bearer token, and will not start
without a token or on a non-loopback address taken from the environment (tests/test_security_http.py
probes the running server as a hostile client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from mysql2ddb.tools.core.aws import free_port

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def _post(url: str, token: str | None) -> int:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(INIT).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_http_requires_bearer_token(tmp_path):
    port = free_port()
    env = {**os.environ, "MYSQL2DDB_HTTP_TOKEN": "t0ken-for-tests", "MYSQL2DDB_WORKDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "mysql2ddb", "serve", "--transport", "http", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status = _post(url, None)
                break
            except OSError:
                time.sleep(0.2)
        assert status == 401
        assert _post(url, "wrong") == 401
        assert _post(url, "t0ken-for-tests") == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_http_without_a_token_refuses_to_start(tmp_path):
    env = {**os.environ, "MYSQL2DDB_HTTP_TOKEN": ""}
    proc = subprocess.run([sys.executable, "-m", "mysql2ddb", "serve", "--transport", "http"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "MYSQL2DDB_HTTP_TOKEN" in proc.stderr


def test_http_refuses_a_non_loopback_bind_from_the_environment(tmp_path):
    env = {**os.environ, "MYSQL2DDB_HTTP_TOKEN": "t0ken-for-tests", "MYSQL2DDB_HTTP_HOST": "0.0.0.0",
           "MYSQL2DDB_WORKDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "mysql2ddb", "serve", "--transport", "http"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "MYSQL2DDB_HTTP_HOST" in proc.stderr and "--host" in proc.stderr
