"""The DynamoDB request a design maps a read pattern to, filled in from one statement and sent:
GetItem (one per key of an IN list), or Query on the table or a GSI with the key condition,
ScanIndexForward, the page Limit, the filter and Select=COUNT. Pages are followed the way an
application reads a LIMIT n OFFSET k: until k + n matching items came back (all of them for a
COUNT, or when the request has no Limit).

Read units per call: DynamoDB's ConsumedCapacity (ReturnConsumedCapacity=TOTAL) from AWS; a local
stand-in (moto reports a constant, DynamoDB Local its own figure) is measured from the item sizes
instead, by DynamoDB's rules: a GetItem 1 unit per started 4 KB of the item, a Query page per
started 4 KB of the items it read (before the filter: the same page read without the filter
tells), eventually consistent reads half."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from mysql2ddb.tools.execution.convert import item_size
from mysql2ddb.tools.modeling.cost import READ_UNIT_BYTES, read_units
from mysql2ddb.tools.modeling.design import KeyCondition, Operation, expression_attributes
from mysql2ddb.tools.replay.values import Unresolvable, Values

MAX_PAGES = 200  # a runaway paging loop stops here (far beyond any replayed statement)


class NotServable(Exception):
    """Why the request cannot be made at all (a sentence for the report)."""


@dataclass
class Answer:
    items: list[dict] = field(default_factory=list)
    count: int | None = None  # Select=COUNT
    units: float = 0.0
    requests: int = 0
    notes: list[str] = field(default_factory=list)


def _keys(kc: KeyCondition | None, values: Values, key_types: dict[str, str]) -> list[dict]:
    """Every full primary key a GetItem condition stands for (several for an IN list)."""
    if kc is None:
        raise NotServable("the GetItem names no key")
    pks = values.value(kc.pk_value, key_types.get(kc.pk_attribute))
    if not kc.sk_attribute:
        return [{kc.pk_attribute: pk} for pk in pks]
    if kc.sk_value is None:
        raise NotServable(f"the GetItem gives no value for the sort key {kc.sk_attribute}")
    sks = values.value(kc.sk_value, key_types.get(kc.sk_attribute))
    return [{kc.pk_attribute: pk, kc.sk_attribute: sk} for pk in pks for sk in sks]


def _one(found: list[dict], what: str) -> dict:
    if len(found) != 1:
        raise NotServable(f"{what} takes one value; the statement gives {len(found)} (an IN list on a Query key)")
    return found[0]


def _names(text: str, names: dict[str, str]) -> str:
    """Attribute names as #n placeholders (DynamoDB reserves hundreds of words: name, year, ...)."""
    for attr in expression_attributes(text):
        token = names.setdefault(attr, f"#n{len(names)}")
        text = re.sub(rf"(?<![:#\w]){re.escape(attr)}\b(?!\s*\()", token, text)
    return text


def query_request(op: Operation, values: Values, key_types: dict[str, str]) -> dict[str, Any]:
    kc = op.key_condition
    if kc is None:
        raise NotServable("the Query has no key condition")
    names: dict[str, str] = {kc.pk_attribute: "#pk"}
    found: dict[str, dict] = {":pk": _one(values.value(kc.pk_value, key_types.get(kc.pk_attribute)), "the Query key")}
    condition = "#pk = :pk"
    if kc.sk_attribute and kc.sk_operator:
        names[kc.sk_attribute] = "#sk"
        if kc.sk_value is None:
            raise NotServable(f"the sort-key condition on {kc.sk_attribute} has no value")
        found[":sk"] = _one(values.value(kc.sk_value, key_types.get(kc.sk_attribute)), "a sort-key condition")
        if kc.sk_operator == "begins_with":
            condition += " AND begins_with(#sk, :sk)"
        elif kc.sk_operator == "between":
            if kc.sk_value_to is None:
                raise NotServable("BETWEEN on the sort key has no upper bound")
            found[":sk2"] = _one(values.value(kc.sk_value_to, key_types.get(kc.sk_attribute)), "BETWEEN")
            condition += " AND #sk BETWEEN :sk AND :sk2"
        else:
            condition += f" AND #sk {kc.sk_operator} :sk"
    request: dict[str, Any] = {"TableName": op.table, "KeyConditionExpression": condition,
                               "ConsistentRead": op.consistent_read}
    if op.index:
        request["IndexName"] = op.index
    if op.scan_forward is not None:
        request["ScanIndexForward"] = op.scan_forward
    if op.limit:
        request["Limit"] = op.limit
    if op.filter:
        text = op.filter
        for name in dict.fromkeys(re.findall(r":([A-Za-z_][A-Za-z0-9_]*)", text)):
            found[f":{name}"] = _one(values.value(f":{name}", filter_text=op.filter), f"the filter's :{name}")
        request["FilterExpression"] = _names(text, names)
    if op.select == "COUNT":
        request["Select"] = "COUNT"
    request["ExpressionAttributeNames"] = {token: attr for attr, token in names.items()}
    request["ExpressionAttributeValues"] = found
    return request


def _page_units(items: list[dict], consistent: bool) -> float:
    units = max(1, math.ceil(sum(item_size(i) for i in items) / READ_UNIT_BYTES))
    return units * (1.0 if consistent else 0.5)


def _reported(response: dict) -> float:
    return float((response.get("ConsumedCapacity") or {}).get("CapacityUnits") or 0.0)


def get_items(client: Any, op: Operation, values: Values, key_types: dict[str, str], sized: bool) -> Answer:
    answer = Answer()
    for key in _keys(op.key_condition, values, key_types):
        response = client.get_item(TableName=op.table, Key=key, ConsistentRead=op.consistent_read,
                                   ReturnConsumedCapacity="TOTAL")
        item = response.get("Item")
        answer.requests += 1
        answer.units += read_units(item_size(item) if item else 0, consistent=op.consistent_read) if sized \
            else _reported(response)
        if item is not None:
            answer.items.append(item)
    return answer


def query(client: Any, op: Operation, values: Values, key_types: dict[str, str], sized: bool,
          offset: int) -> Answer:
    request = query_request(op, values, key_types)
    counting = request.get("Select") == "COUNT"
    want = None if counting or not op.limit else offset + op.limit
    answer, start = Answer(count=0 if counting else None), None
    while answer.requests < MAX_PAGES:
        page = {**request, **({"ExclusiveStartKey": start} if start else {})}
        response = client.query(**page, ReturnConsumedCapacity="TOTAL")
        answer.requests += 1
        if counting:
            answer.count = (answer.count or 0) + int(response.get("Count", 0))
        else:
            answer.items += response.get("Items", [])
        answer.units += _sized_page(client, page, response, op) if sized else _reported(response)
        start = response.get("LastEvaluatedKey")
        if start is None or (want is not None and len(answer.items) >= want):
            break
    if not counting:
        answer.items = answer.items[offset:offset + op.limit] if op.limit else answer.items[offset:]
    return answer


def _sized_page(client: Any, page: dict, response: dict, op: Operation) -> float:
    """A page's units from what it read: with a filter or a COUNT the items read are not the items
    returned, so the same page is read again without them to see their sizes."""
    if "FilterExpression" not in page and page.get("Select") != "COUNT":
        return _page_units(response.get("Items", []), op.consistent_read)
    plain = {k: v for k, v in page.items() if k not in ("FilterExpression", "Select")}
    plain["ExpressionAttributeNames"] = {k: v for k, v in page["ExpressionAttributeNames"].items()
                                         if k in ("#pk", "#sk")}
    plain["ExpressionAttributeValues"] = {k: v for k, v in page["ExpressionAttributeValues"].items()
                                          if k in (":pk", ":sk", ":sk2")}
    return _page_units(client.query(**plain).get("Items", []), op.consistent_read)


def run_request(client: Any, op: Operation, values: Values, key_types: dict[str, str], *, sized: bool,
                offset: int) -> Answer:
    """Send the request `op` stands for; NotServable when it cannot be made."""
    try:
        if op.type == "GetItem":
            return get_items(client, op, values, key_types, sized)
        if op.type == "BatchGetItem" and len(op.actions) == 1 and op.actions[0].type == "GetItem":
            return get_items(client, op.actions[0], values, key_types, sized)
        if op.type == "Query":
            return query(client, op, values, key_types, sized, offset)
    except Unresolvable as exc:
        raise NotServable(str(exc)) from None
    if op.type == "Scan":
        raise NotServable(f"it needs a Scan of {op.table}" + (f".{op.index}" if op.index else ""))
    raise NotServable(f"a {op.type} is not replayed (GetItem, BatchGetItem of GetItems and Query are)")
