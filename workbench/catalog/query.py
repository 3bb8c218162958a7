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


class _Binder:
    """Collects bound values and hands out their placeholders: ``?`` in order, or
    generated ``:name`` s next to a user's named ``params``.

    Examples
    --------
    >>> b = _Binder(where="x = :_wb0", params={"_wb0": 1})
    >>> b.bind(5), b.params
    (':_wb_1', {'_wb0': 1, '_wb_1': 5})
    """

    def __init__(self, where: str | None, params: Sequence[Any] | dict[str, Any] | None):
        self.named = isinstance(params, dict)
        self.by_name: dict[str, Any] = dict(params) if isinstance(params, dict) else {}
        self.in_order: list[Any] = []
        self.prefix = _internal_prefix(where, self.by_name)

    def bind(self, value: Any) -> str:
        """Bind ``value``; return its placeholder."""
        if self.named:
            key = f"{self.prefix}{len(self.by_name)}"
            self.by_name[key] = value
            return f":{key}"
        self.in_order.append(value)
        return "?"

    def bind_all(self, values: Sequence[Any]) -> str:
        """Bind each of ``values`` once; return their placeholders joined by commas."""
        return ", ".join(self.bind(v) for v in dict.fromkeys(values))

    @property
    def params(self) -> list[Any] | dict[str, Any]:
        """What to pass to ``execute`` with the SQL."""
        return self.by_name if self.named else self.in_order


def _tag_clauses(b: _Binder, all_of: list[str], any_of: list[str], none_of: list[str]) -> list[str]:
    """Exact tags through the ``tags`` table (by content id)."""
    has = "SELECT 1 FROM tags t WHERE t.content_id = c.id AND t.tag"
    clauses = [f"EXISTS ({has} = {b.bind(tag)})" for tag in dict.fromkeys(all_of)]
    if any_of:
        clauses.append(f"EXISTS ({has} IN ({b.bind_all(any_of)}))")
    if none_of:
        clauses.append(f"NOT EXISTS ({has} IN ({b.bind_all(none_of)}))")
    return clauses


def _label_clauses(b: _Binder, labels: list[str]) -> list[str]:
    """Records carrying every one of ``labels``."""
    return [
        f"EXISTS (SELECT 1 FROM labels l WHERE l.label = {b.bind(name)} "
        "AND l.record_id = c.record_id)"
        for name in dict.fromkeys(labels)
    ]


def _glob_clauses(b: _Binder, column: str, globs: list[str]) -> list[str]:
    """``column`` matching any of ``globs`` (none when there are no globs)."""
    if not globs:
        return []
    return ["(" + " OR ".join(f"c.{column} GLOB {b.bind(g)}" for g in globs) + ")"]


def _check_between(between: Any) -> tuple[float, float]:
    """``between`` as two ordered numbers of seconds, or an error saying what is wrong."""
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
    return t0, t1


def _between_clauses(b: _Binder, between: Any, max_span: float | None) -> list[str]:
    """Rows whose ``[start, end]`` overlaps ``between``: an index range on the start when
    the catalog's longest span is known."""
    if between is None:
        return []
    t0, t1 = _check_between(between)
    if max_span is not None:
        # start <= t1 and start >= t0 - max_span: one index range on start_timestamp
        return [
            f"c.start_timestamp BETWEEN {b.bind(t0 - max_span)} AND {b.bind(t1)} "
            f"AND c.end_timestamp >= {b.bind(t0)}"
        ]
    return [f"c.start_timestamp <= {b.bind(t1)} AND c.end_timestamp >= {b.bind(t0)}"]


def _where_clauses(
    b: _Binder, where: str | None, params: Sequence[Any] | dict[str, Any] | None
) -> list[str]:
    """The user's raw SQL, its positional ``params`` bound in order."""
    if where is None:
        if params:
            raise InvalidArgumentError("params were given without a where clause to bind them to")
        return []
    if not isinstance(where, str) or not where.strip():
        raise InvalidArgumentError(f"where must be a non-empty SQL expression, got {where!r}")
    if params is not None and not b.named:
        b.in_order.extend(params)  # positional params belong to `where`: bound in order
    return [f"({where})"]


def _limit_sql(b: _Binder, limit: int | None) -> str:
    if limit is None:
        return ""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _INT64_MAX:
        raise InvalidArgumentError(
            f"limit must be an integer from 0 to {_INT64_MAX} (SQLite's largest), got {limit!r}"
        )
    return f" LIMIT {b.bind(limit)}"


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

    The clauses are built in the order of the placeholders: ids, tags, labels, globs,
    time, the user's ``where``; then ORDER BY and LIMIT.

    Examples
    --------
    >>> sql, p = build_select(between=(10.0, 20.0), max_span=5.0)
    >>> p
    [5.0, 20.0, 10.0]
    """
    b = _Binder(where, params)
    clauses: list[str] = []
    if ids is not None:
        # ids already matched by the in-memory tag postings (workbench.catalog.postings)
        clauses.append(f"c.id IN (SELECT value FROM json_each({b.bind(_json_ids(ids))}))")
    clauses += _tag_clauses(
        b,
        _as_list(tags, "tags"),
        _as_list(any_tags, "any_tags"),
        _as_list(exclude_tags, "exclude_tags"),
    )
    clauses += _label_clauses(b, _as_list(labels, "labels"))
    clauses += _glob_clauses(b, "record_id", _as_list(record_id, "record_id"))
    clauses += _glob_clauses(b, "content_type", _as_list(content_type, "content_type"))
    clauses += _between_clauses(b, between, max_span)
    clauses += _where_clauses(b, where, params)

    sql = f"SELECT {', '.join(f'c.{col}' for col in columns)} FROM {view} AS c"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {parse_order_by(order_by)}"
    sql += _limit_sql(b, limit)
    return sql, b.params
