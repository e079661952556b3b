"""Bearer-token check for the streamable HTTP transport (bound to 127.0.0.1 by default)."""

from __future__ import annotations

import hmac

from fastmcp.server.auth.providers.debug import DebugTokenVerifier


def bearer_verifier(token: str) -> DebugTokenVerifier:
    expected = token.encode()

    def valid(candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), expected)  # constant time

    return DebugTokenVerifier(validate=valid, client_id="mysql2ddb-http")
