"""Let a connection compile only statements that read, for ``Catalog.sql``.

``PRAGMA query_only`` is not enough: it still lets ``PRAGMA foreign_keys=OFF`` and
``PRAGMA journal_mode=DELETE`` through, which break later ingests (orphan rows) and
take the catalog out of WAL. SQLite's authorizer sees every action a statement would
take while it is compiled; here it allows reading tables, calling functions, and the
pragmas that only report (with no value to set, or the introspection pragmas whose
argument is a table or index name). Anything else is refused before it runs.

Examples
--------
>>> import sqlite3
>>> con = sqlite3.connect(":memory:")
>>> _ = con.execute("CREATE TABLE t (x)")
>>> with read_only_statements(con) as refused:
...     con.execute("SELECT count(*) FROM t").fetchone()[0]
...     try:
...         con.execute("DELETE FROM t")
...     except sqlite3.DatabaseError as exc:
...         print(exc, "-", refused[0])
0
not authorized - delete rows from 't'
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

__all__ = ["read_only_statements"]

#: actions a reading statement takes
_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
#: pragmas whose argument names a table or index to describe
_DESCRIBING_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
    }
)
#: pragmas that only report when given no value
_REPORTING_PRAGMAS = frozenset(
    {
        "application_id",
        "collation_list",
        "compile_options",
        "data_version",
        "database_list",
        "encoding",
        "foreign_keys",
        "freelist_count",
        "function_list",
        "integrity_check",
        "journal_mode",
        "module_list",
        "page_count",
        "page_size",
        "pragma_list",
        "query_only",
        "quick_check",
        "schema_version",
        "user_version",
    }
)
_ACTION_WORDS = {
    sqlite3.SQLITE_INSERT: "insert rows into",
    sqlite3.SQLITE_UPDATE: "update",
    sqlite3.SQLITE_DELETE: "delete rows from",
    sqlite3.SQLITE_DROP_TABLE: "drop table",
    sqlite3.SQLITE_CREATE_TABLE: "create table",
    sqlite3.SQLITE_ATTACH: "attach database",
}


@contextlib.contextmanager
def read_only_statements(con: sqlite3.Connection) -> Iterator[list[str]]:
    """Inside the block ``con`` compiles only reading statements.

    Yields a list that receives, for each refused action, a few words saying what the
    statement would have done (for the caller's error message). A refused statement
    raises ``sqlite3.DatabaseError('not authorized')`` from ``execute``.
    """
    refused: list[str] = []

    def authorize(
        action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
    ) -> int:
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in _DESCRIBING_PRAGMAS or (name in _REPORTING_PRAGMAS and arg2 is None):
                return sqlite3.SQLITE_OK
            value = "" if arg2 is None else f" = {arg2}"
            refused.append(f"change the setting 'PRAGMA {name}{value}'")
            return sqlite3.SQLITE_DENY
        words = _ACTION_WORDS.get(action, "change the catalog (or its transaction state)")
        refused.append(f"{words} {arg1!r}" if arg1 and action in _ACTION_WORDS else words)
        return sqlite3.SQLITE_DENY

    con.set_authorizer(authorize)
    try:
        yield refused
    finally:
        con.set_authorizer(None)
