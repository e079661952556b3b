"""What a contract's SQL fragment may contain. A contract may come from a confused or steered
assistant, and its fragments become views run with the migration user's rights, so a fragment
reads only the row in front of it, through the contract's joins, and nothing else:

* Names: columns and tables of the source database, never qualified with a database
  (`other_db.t.c`, `mysql.user`, `information_schema.TABLES`, `sys.x`, `performance_schema.x`):
  the views live in the source database, so unqualified names are its own.
* Functions: only the deterministic built-in scalar functions listed here. Anything else is
  refused: stored or loadable functions (`db.f(x)`, `` `f`(x) ``, any unknown name), aggregates
  and window functions (aggregates are the `aggregate` calculation's `operation`: the view compiler
  writes SUM/COUNT/... and the JSON_ARRAYAGG of json-construction itself), functions that wait,
  lock or burn time (SLEEP, BENCHMARK, GET_LOCK, RELEASE_LOCK, IS_FREE_LOCK, ...), touch replication
  (MASTER_POS_WAIT, SOURCE_POS_WAIT, MASTER_GTID_WAIT, WAIT_FOR_EXECUTED_GTID_SET, ...), read files
  (LOAD_FILE), read session or server state (USER, DATABASE, VERSION, CONNECTION_ID,
  LAST_INSERT_ID, ROW_COUNT, FOUND_ROWS, sequences) or differ from one read to the next (NOW,
  SYSDATE, CURDATE, CURRENT_TIMESTAMP, UTC_*, RAND, UUID, UNIX_TIMESTAMP()): a copy, its resume and
  its verification must read the same values.
* Subqueries: none in a value (select_column, then, else, select_columns, order_by): no scalar
  subqueries, no ANY/ALL, no derived tables. A predicate (join_condition, join_conditions, a
  conditional join's condition, a case's when) may hold a semi-join test, the form a link table
  or an "open child row" needs: `[NOT] EXISTS (SELECT ... FROM t [WHERE ...])` or
  `x [NOT] IN (SELECT c FROM t [WHERE ...])` (a tuple `(x, y)` with as many columns), where `t` is
  ONE table of the source database (no join, no second FROM table: no cartesian product), with no
  GROUP BY/HAVING/ORDER BY/LIMIT/UNION/WITH, and no subquery inside it.
* No variables (`@x`, `@@x`), placeholders, assignments, comments, hints or second statements
  (fragments.py refuses those while reading the text).

The allowed functions (MySQL/MariaDB names, case-insensitive):

  control flow:  IF, IFNULL, NULLIF, COALESCE, ISNULL, GREATEST, LEAST (and CASE ... END)
  conversion:    CAST, CONVERT (and BINARY x, x COLLATE c)
  string:        ASCII, BIT_LENGTH, CHAR, CHAR_LENGTH, CHARACTER_LENGTH, CONCAT, CONCAT_WS, ELT,
                 FIELD, FIND_IN_SET, FORMAT, FROM_BASE64, HEX, INSERT, INSTR, LCASE, LEFT, LENGTH,
                 LOCATE, LOWER, LPAD, LTRIM, MID, OCTET_LENGTH, ORD, POSITION, QUOTE, REGEXP_INSTR,
                 REGEXP_REPLACE, REGEXP_SUBSTR, REPEAT, REPLACE, REVERSE, RIGHT, RPAD, RTRIM, SOUNDEX,
                 SPACE, STRCMP, SUBSTR, SUBSTRING, SUBSTRING_INDEX, TO_BASE64, TRIM, UCASE, UNHEX,
                 UPPER (and LIKE, REGEXP, RLIKE, SOUNDS LIKE)
  hashing:       CRC32, MD5, SHA, SHA1, SHA2
  numeric:       ABS, BIN, BIT_COUNT, CEIL, CEILING, CONV, DEGREES, EXP, FLOOR, LN, LOG, LOG10,
                 LOG2, MOD, OCT, POW, POWER, RADIANS, ROUND, SIGN, SQRT, TRUNCATE
  date and time: ADDDATE, ADDTIME, CONVERT_TZ, DATE, DATE_ADD, DATE_FORMAT, DATE_SUB, DATEDIFF,
                 DAY, DAYNAME, DAYOFMONTH, DAYOFWEEK, DAYOFYEAR, EXTRACT, FROM_DAYS, FROM_UNIXTIME,
                 HOUR, LAST_DAY, MAKEDATE, MAKETIME, MICROSECOND, MINUTE, MONTH, MONTHNAME,
                 PERIOD_ADD, PERIOD_DIFF, QUARTER, SEC_TO_TIME, SECOND, STR_TO_DATE, SUBDATE, SUBTIME,
                 TIME, TIME_FORMAT, TIME_TO_SEC, TIMEDIFF, TIMESTAMP, TIMESTAMPADD, TIMESTAMPDIFF,
                 TO_DAYS, TO_SECONDS, UNIX_TIMESTAMP (with an argument), WEEK, WEEKDAY, WEEKOFYEAR,
                 YEAR, YEARWEEK (and `d + INTERVAL n unit`)
  JSON:          JSON_ARRAY, JSON_CONTAINS, JSON_EXTRACT, JSON_KEYS, JSON_LENGTH, JSON_OBJECT,
                 JSON_QUOTE, JSON_TYPE, JSON_UNQUOTE, JSON_VALID, JSON_VALUE (and `->`, `->>`)
  spatial:       ST_ASGEOJSON, ST_ASTEXT, ST_ASWKT, ST_SRID, ST_X, ST_Y
  network:       INET_ATON, INET_NTOA, INET6_ATON, INET6_NTOA

`ALLOWED_FUNCTIONS` holds one sample call per name; sqlglot's reading of the samples decides which
parsed nodes pass, so a name sqlglot maps onto a typed node (IFNULL -> Coalesce) and one it keeps
by name (MID -> Anonymous) are both recognised, whatever the sqlglot version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ErrorLevel

SYSTEM_SCHEMAS = frozenset({"mysql", "information_schema", "performance_schema", "sys"})

ALLOWED_FUNCTIONS: dict[str, str] = {
    # control flow
    "IF": "IF(a, b, c)", "IFNULL": "IFNULL(a, b)", "NULLIF": "NULLIF(a, b)", "COALESCE": "COALESCE(a, b)",
    "ISNULL": "ISNULL(a)", "GREATEST": "GREATEST(a, b)", "LEAST": "LEAST(a, b)",
    # conversion
    "CAST": "CAST(a AS CHAR)", "CONVERT": "CONVERT(a USING utf8mb4)",
    # string
    "ASCII": "ASCII(a)", "BIT_LENGTH": "BIT_LENGTH(a)", "CHAR": "CHAR(65 USING utf8mb4)", "CHAR_LENGTH": "CHAR_LENGTH(a)",
    "CHARACTER_LENGTH": "CHARACTER_LENGTH(a)", "CONCAT": "CONCAT(a, b)", "CONCAT_WS": "CONCAT_WS(',', a, b)",
    "ELT": "ELT(1, a, b)", "FIELD": "FIELD(a, 1, 2)", "FIND_IN_SET": "FIND_IN_SET(a, b)", "FORMAT": "FORMAT(a, 2)",
    "FROM_BASE64": "FROM_BASE64(a)", "HEX": "HEX(a)", "INSERT": "INSERT(a, 1, 2, 'x')", "INSTR": "INSTR(a, 'x')",
    "LCASE": "LCASE(a)", "LEFT": "LEFT(a, 1)", "LENGTH": "LENGTH(a)", "LOCATE": "LOCATE('x', a)", "LOWER": "LOWER(a)",
    "LPAD": "LPAD(a, 5, '0')", "LTRIM": "LTRIM(a)", "MID": "MID(a, 1, 2)", "OCTET_LENGTH": "OCTET_LENGTH(a)",
    "ORD": "ORD(a)", "POSITION": "POSITION('x' IN a)", "QUOTE": "QUOTE(a)", "REGEXP_INSTR": "REGEXP_INSTR(a, 'x')",
    "REGEXP_REPLACE": "REGEXP_REPLACE(a, 'x', 'y')", "REGEXP_SUBSTR": "REGEXP_SUBSTR(a, 'x')",
    "REPEAT": "REPEAT(a, 2)", "REPLACE": "REPLACE(a, 'x', 'y')", "REVERSE": "REVERSE(a)", "RIGHT": "RIGHT(a, 1)",
    "RPAD": "RPAD(a, 5, ' ')", "RTRIM": "RTRIM(a)", "SOUNDEX": "SOUNDEX(a)", "SPACE": "SPACE(2)",
    "STRCMP": "STRCMP(a, b)", "SUBSTR": "SUBSTR(a, 1, 2)", "SUBSTRING": "SUBSTRING(a FROM 1 FOR 2)",
    "SUBSTRING_INDEX": "SUBSTRING_INDEX(a, ',', 1)", "TO_BASE64": "TO_BASE64(a)",
    "TRIM": "TRIM(LEADING 'x' FROM a)", "UCASE": "UCASE(a)", "UNHEX": "UNHEX(a)", "UPPER": "UPPER(a)",
    # hashing
    "CRC32": "CRC32(a)", "MD5": "MD5(a)", "SHA": "SHA(a)", "SHA1": "SHA1(a)", "SHA2": "SHA2(a, 256)",
    # numeric
    "ABS": "ABS(a)", "BIN": "BIN(a)", "BIT_COUNT": "BIT_COUNT(a)", "CEIL": "CEIL(a)", "CEILING": "CEILING(a)",
    "CONV": "CONV(a, 10, 16)", "DEGREES": "DEGREES(a)", "EXP": "EXP(a)", "FLOOR": "FLOOR(a)", "LN": "LN(a)",
    "LOG": "LOG(a)", "LOG10": "LOG10(a)", "LOG2": "LOG2(a)", "MOD": "MOD(a, 2)", "OCT": "OCT(a)", "POW": "POW(a, 2)",
    "POWER": "POWER(a, 2)", "RADIANS": "RADIANS(a)", "ROUND": "ROUND(a, 2)", "SIGN": "SIGN(a)", "SQRT": "SQRT(a)",
    "TRUNCATE": "TRUNCATE(a, 2)",
    # date and time
    "ADDDATE": "ADDDATE(a, 1)", "ADDTIME": "ADDTIME(a, b)", "CONVERT_TZ": "CONVERT_TZ(a, '+00:00', '+01:00')",
    "DATE": "DATE(a)", "DATE_ADD": "DATE_ADD(a, INTERVAL 1 DAY)", "DATE_FORMAT": "DATE_FORMAT(a, '%Y-%m')",
    "DATE_SUB": "DATE_SUB(a, INTERVAL 1 DAY)", "DATEDIFF": "DATEDIFF(a, b)", "DAY": "DAY(a)", "DAYNAME": "DAYNAME(a)",
    "DAYOFMONTH": "DAYOFMONTH(a)", "DAYOFWEEK": "DAYOFWEEK(a)", "DAYOFYEAR": "DAYOFYEAR(a)",
    "EXTRACT": "EXTRACT(YEAR FROM a)", "FROM_DAYS": "FROM_DAYS(a)", "FROM_UNIXTIME": "FROM_UNIXTIME(a)",
    "HOUR": "HOUR(a)", "LAST_DAY": "LAST_DAY(a)", "MAKEDATE": "MAKEDATE(a, 1)", "MAKETIME": "MAKETIME(a, 2, 3)",
    "MICROSECOND": "MICROSECOND(a)", "MINUTE": "MINUTE(a)", "MONTH": "MONTH(a)", "MONTHNAME": "MONTHNAME(a)",
    "PERIOD_ADD": "PERIOD_ADD(a, 1)", "PERIOD_DIFF": "PERIOD_DIFF(a, b)", "QUARTER": "QUARTER(a)",
    "SEC_TO_TIME": "SEC_TO_TIME(a)", "SECOND": "SECOND(a)", "STR_TO_DATE": "STR_TO_DATE(a, '%Y-%m-%d')",
    "SUBDATE": "SUBDATE(a, 1)", "SUBTIME": "SUBTIME(a, b)", "TIME": "TIME(a)", "TIME_FORMAT": "TIME_FORMAT(a, '%H')",
    "TIME_TO_SEC": "TIME_TO_SEC(a)", "TIMEDIFF": "TIMEDIFF(a, b)", "TIMESTAMP": "TIMESTAMP(a)",
    "TIMESTAMPADD": "TIMESTAMPADD(DAY, 1, a)", "TIMESTAMPDIFF": "TIMESTAMPDIFF(DAY, a, b)", "TO_DAYS": "TO_DAYS(a)",
    "TO_SECONDS": "TO_SECONDS(a)", "UNIX_TIMESTAMP": "UNIX_TIMESTAMP(a)", "WEEK": "WEEK(a)", "WEEKDAY": "WEEKDAY(a)",
    "WEEKOFYEAR": "WEEKOFYEAR(a)", "YEAR": "YEAR(a)", "YEARWEEK": "YEARWEEK(a)",
    # JSON
    "JSON_ARRAY": "JSON_ARRAY(a, b)", "JSON_CONTAINS": "JSON_CONTAINS(a, '1')", "JSON_EXTRACT": "JSON_EXTRACT(a, '$.x')",
    "JSON_KEYS": "JSON_KEYS(a)", "JSON_LENGTH": "JSON_LENGTH(a)", "JSON_OBJECT": "JSON_OBJECT('k', a)",
    "JSON_QUOTE": "JSON_QUOTE(a)", "JSON_TYPE": "JSON_TYPE(a)", "JSON_UNQUOTE": "JSON_UNQUOTE(a)",
    "JSON_VALID": "JSON_VALID(a)", "JSON_VALUE": "JSON_VALUE(a, '$.x')",
    # spatial
    "ST_ASGEOJSON": "ST_AsGeoJSON(a)", "ST_ASTEXT": "ST_AsText(a)", "ST_ASWKT": "ST_AsWKT(a)", "ST_SRID": "ST_SRID(a)",
    "ST_X": "ST_X(a)", "ST_Y": "ST_Y(a)",
    # network
    "INET_ATON": "INET_ATON(a)", "INET_NTOA": "INET_NTOA(a)", "INET6_ATON": "INET6_ATON(a)", "INET6_NTOA": "INET6_NTOA(a)",
}
# Operators sqlglot reads as function nodes: allowed along with the functions.
ALLOWED_SYNTAX = (
    "CASE WHEN a THEN b ELSE c END", "CASE a WHEN 1 THEN b END", "BINARY a", "a COLLATE utf8mb4_bin",
    "CONVERT(a, CHAR)", "a->'$.x'", "a->>'$.x'", "a REGEXP 'x'", "a RLIKE 'x'", "a SOUNDS LIKE b", "a XOR b",
    "DATE '2020-01-01'", "TIMESTAMP '2020-01-01 00:00:00'", "'a' 'b'",
)
# Functions that need an argument: without one they read the clock.
NEEDS_ARGUMENT = frozenset({"UNIX_TIMESTAMP"})
# Functions MySQL also calls without parentheses: an unquoted bare name is the function, not a column.
BARE_FUNCTIONS = frozenset({"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "CURRENT_ROLE",
                            "LOCALTIME", "LOCALTIMESTAMP", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP"})

_WAITS = "waits, locks or burns server time"
_REPLICATION = "waits on replication"
_STATE = "reads session or server state, not the row"
_MOVING = "returns a different value on every read (a copy, its resume and its verification would disagree)"
REFUSED_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(("SLEEP", "BENCHMARK", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK",
                     "IS_USED_LOCK"), _WAITS),
    **dict.fromkeys(("MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
                     "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "BINLOG_GTID_POS", "GTID_SUBSET", "GTID_SUBTRACT"),
                    _REPLICATION),
    "LOAD_FILE": "reads a file on the database server",
    **dict.fromkeys(("USER", "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "CURRENT_ROLE", "DATABASE", "SCHEMA",
                     "CURRENT_SCHEMA", "VERSION", "CURRENT_VERSION", "CONNECTION_ID", "LAST_INSERT_ID", "ROW_COUNT",
                     "FOUND_ROWS", "NEXTVAL", "LASTVAL", "SETVAL", "VALUES", "NAME_CONST", "DEFAULT", "SYS_EXEC",
                     "SYS_EVAL", "PASSWORD", "ENCRYPT", "DES_ENCRYPT", "DES_DECRYPT", "AES_DECRYPT"), _STATE),
    **dict.fromkeys(("NOW", "SYSDATE", "CURDATE", "CURTIME", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP",
                     "LOCALTIME", "LOCALTIMESTAMP", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "RAND", "RANDOM", "UUID",
                     "UUID_SHORT", "SYS_GUID", "RANDOM_BYTES"), _MOVING),
}
_SEMI_JOIN_ARGS = {"expressions", "from_", "from", "where", "distinct"}


@dataclass(frozen=True)
class Problem:
    why: str
    remedy: str


@lru_cache(maxsize=1)
def _allowed(parse: Callable[[str], exp.Expression]) -> tuple[frozenset[type], frozenset[str]]:
    """(node classes, Anonymous names) that the allowed samples parse into."""
    classes: set[type] = set()
    names: set[str] = set()
    for sample in [*ALLOWED_FUNCTIONS.values(), *ALLOWED_SYNTAX]:
        for node in parse(sample).walk():
            if isinstance(node, exp.Anonymous):
                names.add(node.name.upper())
            elif isinstance(node, exp.Func):
                classes.add(type(node))
    return frozenset(classes), frozenset(names)


def _called(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name
    text = node.sql(dialect="mysql", unsupported_level=ErrorLevel.IGNORE)
    return text.split("(")[0].strip() or type(node).__name__.upper()


def _function(node: exp.Func, classes: frozenset[type], names: frozenset[str]) -> Problem | None:
    if isinstance(node, (exp.Exists,)):
        return None  # judged with its subquery
    name = _called(node)
    upper = name.upper()
    if isinstance(node.parent, exp.Dot) and node.parent.expression is node:
        return Problem(f"`{node.parent.this.sql(dialect='mysql')}.{name}(...)` calls a stored function",
                       "use built-in functions only; compute the value in the source data, not in a routine")
    if isinstance(node, exp.Anonymous) and isinstance(node.this, exp.Identifier) and node.this.quoted:
        return Problem(f"`{name}`(...) is a quoted function name: a stored or user-defined function",
                       "use built-in functions only, unquoted (see tools/contract/fragment_policy.py)")
    if upper in REFUSED_FUNCTIONS:
        return Problem(f"{upper}() {REFUSED_FUNCTIONS[upper]}", "remove the call; a fragment reads only the row's columns")
    if isinstance(node, exp.AggFunc) or upper in {"JSON_ARRAYAGG", "JSON_OBJECTAGG", "GROUP_CONCAT"}:
        return Problem(f"{upper}() is an aggregate: a fragment is computed per row",
                       "use an `aggregate` calculation (operation SUM, COUNT, AVG, MIN or MAX) or a json-construction join")
    if isinstance(node, exp.Anonymous):
        if upper in names and not (upper in NEEDS_ARGUMENT and not node.expressions):
            return None
        if upper in NEEDS_ARGUMENT:
            return Problem(f"{upper}() without an argument reads the clock", f"pass the column: {upper}(t.column)")
    elif type(node) in classes:
        return None
    return Problem(f"{name}() is not on the allow-list of deterministic built-in functions "
                   "(it may be a stored, loadable or nondeterministic function)",
                   "use the built-ins listed in tools/contract/fragment_policy.py (string, numeric, date, JSON, CASE/IF/COALESCE...)")


def _qualified(node: exp.Expression) -> Problem | None:
    """A column or table qualified with a database (or a name with too many parts); a bare
    CURRENT_TIMESTAMP-like keyword that sqlglot reads as a column."""
    if (isinstance(node, exp.Column) and not node.table and isinstance(node.this, exp.Identifier)
            and not node.this.quoted and node.name.upper() in BARE_FUNCTIONS):
        name = node.name.upper()
        return Problem(f"{name} {REFUSED_FUNCTIONS[name]}", "remove it; a fragment reads only the row's columns")
    schema = node.args.get("catalog") or node.args.get("db")
    if schema is None:
        return None
    name = schema.name if isinstance(schema, exp.Expression) else str(schema)
    system = name.lower() in SYSTEM_SCHEMAS
    kind = "the system schema" if system else "database"
    return Problem(f"`{node.sql(dialect='mysql')}` is qualified with {kind} `{name}`: a fragment names tables "
                   "without a database and reads only the source database",
                   "drop the database name and use a table of the source database joined by the contract"
                   + ("" if not system else "; system schemas are never readable from a contract"))


def _semi_join(select: exp.Select) -> list[Problem]:
    """A subquery in a predicate: `EXISTS (SELECT ... FROM t WHERE ...)` or `x IN (SELECT c FROM t WHERE ...)`."""
    problems: list[Problem] = []
    shape = "EXISTS (SELECT ... FROM one_table WHERE ...) or x IN (SELECT column FROM one_table WHERE ...)"
    parent = select.parent
    holder = parent.parent if isinstance(parent, exp.Subquery) else parent
    in_exists = isinstance(parent, exp.Exists)
    in_in = isinstance(parent, exp.Subquery) and isinstance(holder, exp.In) and holder.args.get("query") is parent
    if not (in_exists or in_in):
        problems.append(Problem("the fragment holds a subquery that is not an EXISTS or IN test "
                                "(a scalar subquery, ANY/ALL or a derived table)",
                                "join the table through the contract (a join, an aggregate calculation or a "
                                f"json-construction); a predicate may only use {shape}"))
        return problems
    extra = sorted(k for k, v in select.args.items() if v and k not in _SEMI_JOIN_ARGS)
    if extra:
        problems.append(Problem(f"the subquery uses {', '.join(k.rstrip('_').upper() for k in extra)}",
                                f"keep the subquery to {shape}"))
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        problems.append(Problem("the subquery does not read one table", f"write {shape}"))
    else:
        table_extra = sorted(k for k, v in table.args.items() if v and k not in ("this", "alias", "db", "catalog"))
        if table_extra:
            problems.append(Problem(f"the subquery's table uses {', '.join(table_extra)}", f"write {shape}"))
    if in_in:
        target = holder.this
        width = len(target.expressions) if isinstance(target, exp.Tuple) else 1
        if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
               for e in select.expressions) or len(select.expressions) != width:
            problems.append(Problem(f"the IN subquery must select exactly {width} column(s)",
                                    "select the column(s) compared, e.g. x IN (SELECT link.x_id FROM link WHERE ...)"))
    return problems


def policy_problems(node: exp.Expression, kind: str, parse: Callable[[str], exp.Expression]) -> list[Problem]:
    """Every way the parsed fragment breaks the policy (kind: 'predicate' may hold semi-joins)."""
    classes, names = _allowed(parse)
    problems: list[Problem] = []
    for sub in node.walk():
        if isinstance(sub, exp.Func) and not isinstance(sub, exp.Connector):  # AND/OR/XOR are operators
            problem = _function(sub, classes, names)
        elif isinstance(sub, (exp.Column, exp.Table)):
            problem = _qualified(sub)
        elif isinstance(sub, exp.Dot) and not isinstance(sub.expression, exp.Func):
            problem = Problem(f"`{sub.sql(dialect='mysql')}` is not a column: a name has at most table.column",
                              "write table.column with a table of the source database")
        elif isinstance(sub, exp.Window):
            problem = Problem("a window function (OVER ...) reads other rows", "use an aggregate calculation")
        elif isinstance(sub, (exp.Union, exp.Intersect, exp.Except, exp.With, exp.CTE, exp.Values, exp.Lateral)):
            problem = Problem(f"the fragment holds {sub.key.upper()}", "a fragment is one expression over the row")
        elif isinstance(sub, exp.Select):
            if kind != "predicate":
                problem = Problem("a value may not hold a subquery (SELECT ...)",
                                  "join the table through the contract (a foreign-key join, an aggregate calculation "
                                  "or a json-construction); only predicates may test EXISTS/IN (SELECT ...)")
            elif sub.find_ancestor(exp.Select) is not None:
                problem = Problem("a subquery inside a subquery", "keep one level: EXISTS/IN (SELECT ... FROM one_table ...)")
            else:
                problems.extend(_semi_join(sub))
                continue
        else:
            continue
        if problem is not None:
            problems.append(problem)
    return list(dict.fromkeys(problems))
