"""Many rows of values as one table in a statement (UPDATE ... FROM it), passed as ONE
JSON parameter.

The statement's text is then the same whatever the number of rows: SQLAlchemy compiles
it once and caches it, where a VALUES list of N rows is a new statement of N x columns
parameters every time (compiling those cost more than running them). SQLite reads the
JSON with json_each (3.38+ has it built in; every supported build has JSON1), PostgreSQL
with jsonb_to_recordset; integers stay exact in both (64-bit).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    FromClause,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    column,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any]]]
T = TypeVar("T")


def rowset(dialect: str, name: str, columns: Columns, param: str) -> FromClause:
    """A FROM clause named `name` with `columns`, read from the JSON array of objects
    bound later as `param` (see `rowset_param`)."""
    data = bindparam(param, type_=String)
    if dialect == "postgresql":
        return (
            func.jsonb_to_recordset(cast(data, JSONB))
            .table_valued(*(column(n, t) for n, t in columns), name=name)
            .render_derived(with_types=True)
        )
    if dialect == "sqlite":
        each = func.json_each(data).table_valued("value", name=f"{name}_json")
        return select(
            *(func.json_extract(each.c.value, f"$.{n}", type_=t).label(n) for n, t in columns)
        ).subquery(name)
    raise NotImplementedError(f"no rowset for dialect {dialect!r}")


def insert_from_rowset(
    dialect: str, table: Table, columns: Columns, constants: Sequence[str], param: str
) -> Any:  # the dialect's Insert (with on_conflict_do_nothing)
    """INSERT INTO `table` the rows of a rowset (`columns`, named as the table's) with
    the same `constants` (each bound once, as `constant_params` names it) in every row:
    SQLAlchemy then processes no value per row, the database reads them all from the one
    JSON parameter. Nothing in it varies between executions, so a caller builds it once
    per dialect (`per_dialect`). The dialect's INSERT, so ON CONFLICT can follow; the
    SELECT has a WHERE clause because SQLite needs one before an upsert's ON CONFLICT."""
    rows = rowset(dialect, "r", columns, param)
    names = [n for n, _ in columns] + list(constants)
    values = [rows.c[n] for n, _ in columns] + [
        bindparam(_constant(n), type_=table.c[n].type) for n in constants
    ]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).from_select(names, select(*values).where(true()))


def constant_params(**values: Any) -> dict[str, Any]:
    """The parameters of an `insert_from_rowset` statement's constants."""
    return {_constant(name): value for name, value in values.items()}


def _constant(name: str) -> str:
    return f"c_{name}"


def per_dialect(build: Callable[[str], T]) -> Callable[[str], T]:
    """`build(dialect)` once per dialect: a statement built again for every chunk costs
    more to put together (and to find in SQLAlchemy's compiled cache) than to run."""
    return cache(build)


def rowset_param(rows: Sequence[Mapping[str, Any]]) -> str:
    """The JSON text of `rows` for a `rowset` parameter (ints, strings, None, and
    JSON-able values for JSON columns)."""
    return json.dumps(list(rows), separators=(",", ":"), ensure_ascii=False)


BIGINT: TypeEngine[Any] = BigInteger()
BOOL: TypeEngine[Any] = Boolean()  # JSON true/false (SQLite reads them as 1/0, as it stores them)
INT: TypeEngine[Any] = Integer()
TEXT: TypeEngine[Any] = String()
JSON_VALUE: TypeEngine[Any] = JSON()

__all__ = [
    "BIGINT",
    "BOOL",
    "INT",
    "JSON_VALUE",
    "TEXT",
    "Columns",
    "constant_params",
    "insert_from_rowset",
    "per_dialect",
    "rowset",
    "rowset_param",
]
