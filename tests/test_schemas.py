"""Committed JSON Schemas are generated from the models: fail on drift."""

from __future__ import annotations

import pytest

from mysql2ddb.schemas import HERE, MODELS, render


@pytest.mark.parametrize("name", sorted(MODELS))
def test_schema_file_matches_its_model(name):
    committed = (HERE / name).read_text()
    assert committed == render(MODELS[name]), f"schemas/{name} drifted: run `make schemas` and commit"
