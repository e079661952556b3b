"""Loop repetitions in the write cost: a transaction whose step runs N times (measured average
`repeats_avg` in the query-log analysis) reaches the registry's statements, the recommender's
requests (`items`) and the cost model, which multiplies that step's writes by N."""

from __future__ import annotations

import pytest

from mysql2ddb.tools.modeling.cost import estimate_cost
from mysql2ddb.tools.modeling.recommend import recommend_design
from mysql2ddb.tools.modeling.registry import Registry
from mysql2ddb.tools.modeling.registry_sources import merge_log_patterns
from tests.conftest import dsn_for
from tests.recommend_support import schema_for
from tests.unique_support import build


@pytest.fixture(scope="module")
def schema():
    return schema_for(build(dsn_for("mysql"), "m2d_unique_loop"))  # its own database: files may run in parallel


def _log(repeats: float) -> dict:
    """A query-log analysis with one transaction: a team, then its members in a loop."""
    team = "INSERT INTO teams (name) VALUES (?)"
    member = "INSERT INTO memberships (user_id, team_id, joined) VALUES (?, ?, ?)"
    return {"window": {"start": "2024-01-01T00:00:00", "end": "2024-01-01T00:01:40", "seconds": 100.0},
            "patterns": [{"id": "AP1", "fingerprint": f"{team}; {member}", "kind": "write", "transaction": True,
                          "count": 200, "tables": ["teams", "memberships"], "rps_avg": 2.0, "rps_peak": 5.0,
                          "statements": [
                              {"fingerprint": team, "kind": "write", "count": 200, "repeats_avg": 1.0,
                               "example": "INSERT INTO teams (name) VALUES ('red')"},
                              {"fingerprint": member, "kind": "write", "count": int(200 * repeats), "repeats_avg": repeats,
                               "example": "INSERT INTO memberships (user_id, team_id, joined) VALUES (1, 7, '2024-01-01')"}]}]}


def _write_units(schema, repeats: float) -> tuple[float, list[str]]:
    registry = merge_log_patterns(Registry(), _log(repeats))
    assert [s.repeats_avg for s in registry.patterns[0].statements] == [1.0, repeats]
    design = recommend_design(schema, registry)
    put = next(a for op in design.mapping("AP1").operations for a in op.leaves()
               if a.type == "PutItem" and a.table != "Teams")
    assert put.items == repeats
    cost = estimate_cost(design, registry.patterns, schema).patterns[0]
    return cost.write_units_per_call, cost.steps


def test_a_loop_multiplies_its_step_writes(schema):
    once, _ = _write_units(schema, 1.0)
    looped, steps = _write_units(schema, 4.5)
    # team put 2 WCU + one membership put 2 WCU (transactional), x4.5 for the loop's step
    assert once == 2 + 2 and looped == 2 + 2 * 4.5
    assert any("for 4.5 items" in s for s in steps)
