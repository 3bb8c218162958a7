"""Build the catalog's SELECT: every value a bound parameter, never pasted into SQL.

Tags match exactly through the indexed ``tags`` table (``camera`` never matches
``camera_raw``); ``record_id`` and ``content_type`` are globs (``GLOB``: ``*``, ``?``,
``[...]``, case-sensitive); ``between=(t0, t1)`` keeps rows whose
``[start_timestamp, end_timestamp]`` overlaps ``[t0, t1]`` and is answered from the
``start_timestamp`` index, bounded below by the longest span in the catalog (itself
read from an index). ``where`` is raw SQL for power users, with its own ``params``.

Examples
--------
>>> sql, params = build_select(tags=["camera", "front"], record_id="016_*", limit=10)
>>> params
['camera', 'front', '016_*', 10]
>>> "'camera'" in sql
False
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from workbench.catalog.schema import COLUMNS
from workbench.errors import InvalidArgumentError

__all__ = ["SELECT_COLUMNS", "build_select", "parse_order_by"]

#: the columns a select returns, in DataFrame order: the table's columns with ``tags``
#: (a list in the frame) after the time span
_TAGS_AT = COLUMNS.index("end_timestamp") + 1
SELECT_COLUMNS: tuple[str, ...] = (*COLUMNS[:_TAGS_AT], "tags", *COLUMNS[_TAGS_AT:])

#: the largest integer SQLite stores
_INT64_MAX = 2**63 - 1
_DEFAULT_ORDER = "c.record_id, c.path, c.contents, c.id"
_ORDER_RE = re.compile(r"^\s*(-?)\s*([A-Za-z_]+)\s*(asc|desc)?\s*$", re.IGNORECASE)


def _as_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    out = []
    for item in value:
        if not isinstance(item, str):
            raise InvalidArgumentError(f"{name} must be strings, got {item!r}")
        out.append(item)
    return out


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be a number of seconds, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name} must be a number of seconds, got {value!r}") from None


def parse_order_by(order_by: str | Sequence[str] | None) -> str:
    """Validate ``order_by`` against the known columns and return the ORDER BY text.

    Accepts ``"col"``, ``"col desc"``, ``"-col"`` (descending) or a list of them.

    Examples
    --------
    >>> parse_order_by(["record_id", "-start_timestamp"])
    'c.record_id ASC, c.start_timestamp DESC'
    >>> parse_order_by("start_timestamp; DROP TABLE contents")
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: order_by 'start_timestamp; DROP TABLE contents' ...
    """
    if order_by is None:
        return _DEFAULT_ORDER
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    parts = []
    for item in items:
        for piece in str(item).split(","):
            match = _ORDER_RE.match(piece)
            if not match or match.group(2) not in COLUMNS:
                raise InvalidArgumentError(
                    f"order_by {item!r} is not a known column; use one of "
                    f"{', '.join(COLUMNS)} (optionally '-col' or 'col desc')"
                )
            minus, column, direction = match.groups()
            descending = bool(minus) or (direction or "").lower() == "desc"
            parts.append(f"c.{column} {'DESC' if descending else 'ASC'}")
    return ", ".join(parts) if parts else _DEFAULT_ORDER


def _internal_prefix(where: str | None, params: dict[str, Any]) -> str:
    """A name prefix for generated parameters that neither ``where`` nor ``params`` uses.

    Examples
    --------
    >>> _internal_prefix("record_id = :_wb1", {"_wb1": "a"})
    '_wb_'
    >>> _internal_prefix(None, {})
    '_wb'
    """
    text = (where if isinstance(where, str) else "") + " ".join(map(str, params))
    prefix = "_wb"
    while prefix in text:
        prefix += "_"
    return prefix


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def build_select(
    *,
    tags: str | Sequence[str] | None = None,
    any_tags: str | Sequence[str] | None = None,
    exclude_tags: str | Sequence[str] | None = None,
    record_id: str | Sequence[str] | None = None,
    content_type: str | Sequence[str] | None = None,
    between: tuple[float, float] | None = None,
    labels: str | Sequence[str] | None = None,
    max_span: float | None = None,
    where: str | None = None,
    params: Sequence[Any] | dict[str, Any] | None = None,
    order_by: str | Sequence[str] | None = None,
    limit: int | None = None,
    ids: Sequence[int] | None = None,
    columns: Sequence[str] = SELECT_COLUMNS,
    view: str = "contents",
) -> tuple[str, list[Any] | dict[str, Any]]:
    """Return ``(sql, params)`` for a catalog select; see :meth:`Catalog.select`.

    ``max_span`` is the longest ``end_timestamp - start_timestamp`` in the catalog; with
    it ``between`` becomes an index range on ``start_timestamp``. ``ids`` restricts the
    rows to content ids already matched elsewhere (the catalog's tag postings), bound as
    one JSON array.
    Named ``params`` (a dict) are allowed with ``where``: the other filters then use
    generated names ``:_wb0``, ``:_wb1``... (more underscores when ``where`` or
    ``params`` already use that spelling, so a user's name is never overwritten).

    Examples
    --------
    >>> sql, p = build_select(between=(10.0, 20.0), max_span=5.0)
    >>> p
    [5.0, 20.0, 10.0]
    """
    tags_all = _as_list(tags, "tags")
    tags_any = _as_list(any_tags, "any_tags")
    tags_none = _as_list(exclude_tags, "exclude_tags")
    record_globs = _as_list(record_id, "record_id")
    type_globs = _as_list(content_type, "content_type")
    label_names = _as_list(labels, "labels")

    named = isinstance(params, dict)
    out_named: dict[str, Any] = dict(params) if named else {}  # type: ignore[arg-type]
    out_pos: list[Any] = []
    prefix = _internal_prefix(where, out_named)

    def bind(value: Any) -> str:
        if named:
            key = f"{prefix}{len(out_named)}"
            out_named[key] = value
            return f":{key}"
        out_pos.append(value)
        return "?"

    clauses: list[str] = []
    if ids is not None:
        # ids already matched by the in-memory tag postings (workbench.catalog.postings)
        clauses.append(f"c.id IN (SELECT value FROM json_each({bind(_json_ids(ids))}))")
    if tags_all:
        for tag in dict.fromkeys(tags_all):
            clauses.append(
                f"EXISTS (SELECT 1 FROM tags t WHERE t.tag = {bind(tag)} AND t.content_id = c.id)"
            )
    if tags_any:
        marks = ", ".join(bind(t) for t in dict.fromkeys(tags_any))
        clauses.append(
            f"EXISTS (SELECT 1 FROM tags t WHERE t.content_id = c.id AND t.tag IN ({marks}))"
        )
    if tags_none:
        marks = ", ".join(bind(t) for t in dict.fromkeys(tags_none))
        clauses.append(
            f"NOT EXISTS (SELECT 1 FROM tags t WHERE t.content_id = c.id AND t.tag IN ({marks}))"
        )
    for name in dict.fromkeys(label_names):  # records carrying every one of these labels
        clauses.append(
            f"EXISTS (SELECT 1 FROM labels l WHERE l.label = {bind(name)} "
            "AND l.record_id = c.record_id)"
        )
    if record_globs:
        clauses.append("(" + " OR ".join(f"c.record_id GLOB {bind(g)}" for g in record_globs) + ")")
    if type_globs:
        clauses.append(
            "(" + " OR ".join(f"c.content_type GLOB {bind(g)}" for g in type_globs) + ")"
        )
    if between is not None:
        try:
            t0, t1 = between
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"between must be a pair (t0, t1) of seconds, got {between!r}"
            ) from None
        t0, t1 = _number(t0, "between t0"), _number(t1, "between t1")
        if math.isnan(t0) or math.isnan(t1):
            raise InvalidArgumentError(
                f"between=({t0}, {t1}): NaN is not a time; give two numbers of seconds "
                "(use -inf or inf for an open end)"
            )
        if t1 < t0:
            raise InvalidArgumentError(f"between=({t0}, {t1}): t1 must not be before t0")
        if max_span is not None:
            # start <= t1 and start >= t0 - max_span: one index range on start_timestamp
            clauses.append(
                f"c.start_timestamp BETWEEN {bind(t0 - max_span)} AND {bind(t1)} "
                f"AND c.end_timestamp >= {bind(t0)}"
            )
        else:
            clauses.append(f"c.start_timestamp <= {bind(t1)} AND c.end_timestamp >= {bind(t0)}")
    if where is not None:
        if not isinstance(where, str) or not where.strip():
            raise InvalidArgumentError(f"where must be a non-empty SQL expression, got {where!r}")
        if params is not None and not named:
            out_pos.extend(params)  # positional params belong to `where`: bound in order
        clauses.append(f"({where})")
    elif params:
        raise InvalidArgumentError("params were given without a where clause to bind them to")

    select = ", ".join(f"c.{col}" for col in columns)
    sql = f"SELECT {select} FROM {view} AS c"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {parse_order_by(order_by)}"
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _INT64_MAX:
            raise InvalidArgumentError(
                f"limit must be an integer from 0 to {_INT64_MAX} (SQLite's largest), got {limit!r}"
            )
        sql += f" LIMIT {bind(limit)}"
    return sql, (out_named if named else out_pos)
