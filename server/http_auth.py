"""Bearer-token check for the streamable HTTP transport (bound to 127.0.0.1 by default)."""

from __future__ import annotations

import hmac

from fastmcp.server.auth.providers.debug import DebugTokenVerifier


def token_matches(candidate: str, expected: str) -> bool:
    """Constant time: how long the comparison takes tells nothing about how much of the token was right."""
    return hmac.compare_digest(candidate.encode(), expected.encode())


def bearer_verifier(token: str) -> DebugTokenVerifier:
    return DebugTokenVerifier(validate=lambda candidate: token_matches(candidate, token), client_id="mysql2ddb-http")
