"""The contract's identity: the hash an approval binds to and a resume compares."""

from __future__ import annotations

from typing import Any

from mysql2ddb.tools.core.approvals import artifact_sha256


def contract_sha256(contract: Any) -> str:
    """sha256 of the contract's canonical JSON (Contract.dump(), keys sorted)."""
    from mysql2ddb.tools.contract.model import Contract

    if isinstance(contract, dict):
        contract = Contract.model_validate(contract)
    return artifact_sha256(contract.dump())
