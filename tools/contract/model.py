"""The migration contract: one pydantic model, shared by the validator, the view compiler,
the copy engine, the verifier and the Glue job. Its JSON Schema in schemas/ is generated from
here (tests fail on drift).

It accepts every contract valid under shared/reference/modernizr/migration_contract_schema.json
(which allows extra properties, hence `extra="allow"`), and what it writes validates under that
schema. Meaning follows shared/reference/contract-semantics.md; the numbered § references below
point there.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

DynamoType = Literal["S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"]
CONTRACT_VERSION = "1.0"


class _Open(BaseModel):
    # The reference schema sets no additionalProperties: unknown fields are kept, not refused.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---- joins -------------------------------------------------------------------------------


class SelfJoin(_Open):
    type: Literal["self-join"]
    join_alias: str
    join_condition: str
    select_column: str
    null_value: str | None = None


class ForeignKeyJoin(_Open):
    type: Literal["foreign-key"]
    target_table: str
    join_condition: str
    select_column: str


class MultiColumnJoin(_Open):
    type: Literal["multi-column"]
    target_table: str
    join_conditions: list[str]
    select_column: str


class ConditionalJoin(_Open):
    type: Literal["conditional"]
    condition: str
    target_table: str
    join_condition: str
    select_column: str
    else_value: str


class ChainHop(_Open):
    target_table: str
    join_condition: str
    select_column: str


class ChainJoin(_Open):
    type: Literal["chain"]
    joins: list[ChainHop]
    chain_separator: str | None = None


class LookupTableJoin(_Open):
    type: Literal["lookup-table"]
    target_table: str
    join_condition: str
    select_column: str


class Construction(_Open):
    type: Literal["array", "object"]
    select_columns: dict[str, str]
    limit: float | None = None
    order_by: str | None = None


class JsonConstructionJoin(_Open):
    type: Literal["json-construction"]
    target_table: str
    join_condition: str
    construction: Construction


Join = Annotated[
    Union[SelfJoin, ForeignKeyJoin, MultiColumnJoin, ConditionalJoin, ChainJoin, LookupTableJoin, JsonConstructionJoin],
    Field(discriminator="type"),
]

# ---- calculations and transformations -----------------------------------------------------


class AggregateCalculation(_Open):
    type: Literal["aggregate"]
    target_table: str
    join_condition: str
    operation: Literal["SUM", "COUNT", "AVG", "MIN", "MAX"]
    select_column: str


class CaseWhen(_Open):
    when: str
    then: str


class CaseCalculation(_Open):
    type: Literal["case"]
    cases: list[CaseWhen] = Field(default_factory=list)
    else_: str | None = Field(None, alias="else")


class UndefinedCalculation(_Open):
    """`concat` and `date-math` have no defined fields in the reference schema: accepted as
    shape, refused by the validator with a remedy (§9)."""

    type: Literal["concat", "date-math"]


Calculation = Annotated[
    Union[AggregateCalculation, CaseCalculation, UndefinedCalculation], Field(discriminator="type")
]


class Transformation(_Open):
    type: Literal["date-format", "string-format", "number-format", "json-parse"]
    format: str | None = None
    source_format: str | None = None


# ---- attributes, entities, tables ----------------------------------------------------------


class Attribute(_Open):
    name: str
    type: DynamoType
    source_table: str
    source_column: str | list[str]
    join: Join | None = None
    calculation: Calculation | None = None
    transformation: Transformation | None = None
    denormalized: bool | None = None
    justification: str | None = None

    @property
    def source_columns(self) -> list[str]:
        return [self.source_column] if isinstance(self.source_column, str) else list(self.source_column)

    @property
    def is_plain(self) -> bool:
        return self.join is None and self.calculation is None and self.transformation is None


class Gsi(_Open):
    index_name: str
    pk: str
    sk: str | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    projected_attributes: list[str] | None = None


class Entity(_Open):
    entity_type: str
    source_table: str
    pk_template: str
    sk_template: str
    attributes: list[Attribute]


class ContractTable(_Open):
    table: str
    type: Literal["single-entity", "multi-entity"]
    source_table: str
    pk: str
    sk: str | None = None
    gsis: list[Gsi] | None = None
    entities: list[Entity] | None = None
    attributes: list[Attribute]
    satisfies: list[str]
    estimated_item_size_bytes: int | float

    @property
    def is_multi_entity(self) -> bool:
        return self.type == "multi-entity"

    @property
    def key_names(self) -> list[str]:
        return [self.pk] + ([self.sk] if self.sk else [])

    @property
    def view_name(self) -> str:
        return f"ddb_{self.table.lower()}_view"

    def iter_attributes(self) -> Iterator[tuple[Entity | None, Attribute]]:
        """Every attribute with the entity that declares it (None for single-entity tables)."""
        for attr in self.attributes:
            yield None, attr
        for entity in self.entities or []:
            for attr in entity.attributes:
                yield entity, attr

    def attribute_names(self) -> list[str]:
        """Item attribute names in view-column order: for multi-entity tables pk, sk, then the
        union of entity attributes by first appearance (§1)."""
        names: list[str] = []
        if self.is_multi_entity:
            names += self.key_names
        for _, attr in self.iter_attributes():
            if attr.name not in names:
                names.append(attr.name)
        return names

    def attribute(self, name: str) -> Attribute | None:
        for _, attr in self.iter_attributes():
            if attr.name == name:
                return attr
        return None


class Contract(_Open):
    tables: list[ContractTable]
    contract_version: str | None = None

    def table(self, name: str) -> ContractTable | None:
        return next((t for t in self.tables if t.table == name), None)

    def dump(self) -> dict[str, Any]:
        """JSON form that validates under the reference schema (no nulls where it wants objects)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
