"""Pictures as mermaid text: the analysis report's ER diagram carries the measured cardinalities
(checked against GROUP BY counts), and the data model document has, per table, an item-collection
layout and example items built from real rows. Each block is checked line by line against the
mermaid statements we write (header, nodes, edges, entity blocks; quotes and brackets balanced)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import SecretStr

from mysql2ddb.tools.analysis.schema_render import relationships_markdown
from mysql2ddb.tools.core.access import Caller
from mysql2ddb.tools.core.db import sync_connection
from mysql2ddb.tools.core.settings import Settings
from mysql2ddb.tools.core.workspace import Workspace
from mysql2ddb.tools.modeling.registry import save_registry
from mysql2ddb.tools.usecases import modeling_design
from mysql2ddb.tools.usecases.request import Request
from tests.recommend_support import schema_for
from tests.test_review_content import _registry

DATA = Path(__file__).parent / "data"
FLOW = [re.compile(r'^  \w+\["[^"]*"\]$'), re.compile(r"^  \w+ (-->|-\.->\|[^|\"]+\|) \w+$")]
ER = [re.compile(r"^    \w+ \{$"), re.compile(r'^        \w+ \w+( (PK|FK|UK)(, (PK|FK|UK))*)? "[^"]*"$'),
      re.compile(r"^    \}$"), re.compile(r'^    \w+ [|}][|o](--|\.\.)[o|][|{] \w+ : "[^"]*"$')]


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", text, re.S)


def assert_plausible(block: str) -> None:
    lines = block.splitlines()
    header, body = lines[0], lines[1:]
    assert header in ("flowchart LR", "erDiagram"), header
    patterns = FLOW if header.startswith("flowchart") else ER
    depth = 0
    for line in body:
        assert any(p.match(line) for p in patterns), line
        assert line.count('"') % 2 == 0, line
        outside = re.sub(r'"[^"]*"', "", line)
        if header.startswith("flowchart"):
            assert outside.count("[") == outside.count("]"), line
        elif outside.endswith("{") and " : " not in line:
            depth += 1
        elif outside.strip() == "}":
            depth -= 1
        assert depth in (0, 1), line
    assert depth == 0


def _children(dsn, child: str, column: str) -> tuple[int, float]:
    with sync_connection(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT MAX(n), AVG(n) FROM (SELECT COUNT(*) n FROM `{child}` GROUP BY `{column}`) g")
        most, mean = cur.fetchone()
    return int(most), float(mean)


def test_er_diagram_carries_measured_cardinalities(sakila_dsn):
    text = relationships_markdown(schema_for(sakila_dsn))
    blocks = mermaid_blocks(text)
    assert len(blocks) == 1
    assert_plausible(blocks[0])
    most, mean = _children(sakila_dsn, "rental", "customer_id")
    assert f'customer ||--o{{ rental : "customer_id, 1:N max {most} avg {mean:.1f}"' in blocks[0]
    assert 'rental ||--o| payment : "rental_id, 1:1"' in blocks[0]
    assert re.search(r'actor \}o--o\{ film : "via film_actor, M:N max \d+ avg [\d.]+"', blocks[0])
    assert "None" not in blocks[0]


async def test_data_model_has_a_layout_per_table_and_real_examples(workdir, sakila_dsn):
    ws = Workspace(workdir)
    ws.write_json("analysis/schema.json", schema_for(sakila_dsn))
    save_registry(ws, _registry())
    design = json.loads((DATA / "sakila_design.json").read_text())
    ws.write_json("design.json", design)
    dsn = SecretStr(f"mysql://root@{sakila_dsn.host}:{sakila_dsn.port}/{sakila_dsn.database}")
    req = Request(Settings(workdir=workdir, dsn=dsn), ws, Caller.CLI)
    await modeling_design.render_data_model(req)
    text = ws.read_text("dynamodb_data_model.md")
    blocks = mermaid_blocks(text)
    assert len(blocks) == len(design["tables"])
    for block in blocks:
        assert_plausible(block)
    rentals = next(b for b in blocks if "Table CustomerRentals" in b)
    assert 'pk["partition key PK (S)<br/>CUSTOMER#{customer_id}"]' in rentals
    assert 'sk1["sort key SK = RENTAL#{rental_date}#{rental_id}"]' in rentals
    assert "e1 -.->|indexed by| g0" in rentals and "e0 -.->" not in rentals  # a profile has no rental_id
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    assert len(examples) == 2 * len(design["tables"])
    films = [e for e in examples if "actors" in e]
    assert len(films) == 2
    with sync_connection(sakila_dsn) as conn, conn.cursor() as cur:
        for film in films:
            cur.execute("SELECT title FROM film WHERE film_id = %s", (film["film_id"],))
            assert cur.fetchone()[0] == film["title"]
