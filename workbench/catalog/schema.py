"""The catalog's SQLite schema: tables, indexes, views and migrations.

One row of ``contents`` per data file and content (a video file with one camera
stream is one row; a CAN log with two message groups is two). Tags live in their own
``tags`` table, one row per (content, tag), indexed both ways so that exact-tag
selects never scan (``contents.tags`` keeps a display copy of the list). The
``meta_df`` view serves the old dwtk shape, tags joined by ``;``, so that dwtk
``where`` strings such as ``tags like "%camera%"`` keep working.

Examples
--------
>>> import sqlite3
>>> from workbench.catalog.schema import SCHEMA_VERSION, create_schema
>>> con = sqlite3.connect(":memory:")
>>> create_schema(con)
>>> con.execute("SELECT value FROM catalog_info WHERE key = 'schema_version'").fetchone()[0]
'3'
"""

from __future__ import annotations

import sqlite3

__all__ = [
    "COLUMNS",
    "DWTK_FIELDS",
    "MEDIA_COLUMNS",
    "SCHEMA_VERSION",
    "TAG_SEPARATOR",
    "create_schema",
    "normalise_tag",
    "schema_version",
]

#: bumped whenever the DDL changes; :func:`create_schema` migrates older files
SCHEMA_VERSION = 3

#: separator used internally to ship tag lists out of SQLite (never appears in a tag)
TAG_SEPARATOR = "\x1f"

#: the dwtk fields, in the order the dwtk seed tutorial printed them
DWTK_FIELDS: tuple[str, ...] = (
    "description",
    "database_id",
    "record_id",
    "data_type",
    "path",
    "start_timestamp",
    "end_timestamp",
    "content_type",
    "contents",
    "msg_type",
    "msg_md5sum",
    "count",
    "frequency",
    "tags",
)

#: facts probed from media files with PyAV
MEDIA_COLUMNS: tuple[str, ...] = ("width", "height", "fps", "num_frames", "duration", "codec")

#: every column of ``contents`` a query may filter or sort on (besides ``tags``)
COLUMNS: tuple[str, ...] = (
    "id",
    "record_id",
    "sub_record_id",
    "contents",
    "data_type",
    "content_type",
    "path",
    "start_timestamp",
    "end_timestamp",
    "description",
    "database_id",
    "msg_type",
    "msg_md5sum",
    "count",
    "frequency",
    *MEDIA_COLUMNS,
    "extra",
)

_DDL = f"""
CREATE TABLE IF NOT EXISTS catalog_info (
    key   TEXT PRIMARY KEY,
    value TEXT
);

-- one row per data file seen by ingest: its identity decides whether to re-read it
CREATE TABLE IF NOT EXISTS files (
    file_id          INTEGER PRIMARY KEY,
    path             TEXT NOT NULL UNIQUE,  -- relative to the dataset root, '/' separated
    size             INTEGER,
    mtime_ns         INTEGER,
    sidecar_size     INTEGER,
    sidecar_mtime_ns INTEGER,
    stamp            TEXT,  -- remote stores: the object's ETag (or modification time)
    sidecar_stamp    TEXT
);

CREATE TABLE IF NOT EXISTS contents (
    id              INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL REFERENCES files(file_id) ON DELETE CASCADE,
    record_id       TEXT,
    sub_record_id   TEXT,
    contents        TEXT,
    data_type       TEXT,
    content_type    TEXT,
    path            TEXT NOT NULL,
    start_timestamp REAL,
    end_timestamp   REAL,
    description     TEXT,
    database_id     TEXT,
    msg_type        TEXT,
    msg_md5sum      TEXT,
    count           INTEGER,
    frequency       REAL,
    width           INTEGER,
    height          INTEGER,
    fps             REAL,
    num_frames      INTEGER,
    duration        REAL,
    codec           TEXT,
    extra           TEXT,  -- JSON object: every other sidecar key
    tags            TEXT   -- the tags in sidecar order, joined by 0x1f, for display only:
                           -- matching always goes through the indexed `tags` table
);

CREATE TABLE IF NOT EXISTS tags (
    tag        TEXT NOT NULL,
    content_id INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,  -- order of the tag in its sidecar
    PRIMARY KEY (tag, content_id)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS tags_by_content ON tags(content_id, position);
CREATE INDEX IF NOT EXISTS contents_by_file ON contents(file_id);
CREATE INDEX IF NOT EXISTS contents_by_record ON contents(record_id);
CREATE INDEX IF NOT EXISTS contents_by_type ON contents(content_type);
CREATE INDEX IF NOT EXISTS contents_by_start ON contents(start_timestamp);
-- lets `max(end_timestamp - start_timestamp)` come from the index, which bounds the
-- start_timestamp range scanned by an overlap (`between`) query
CREATE INDEX IF NOT EXISTS contents_by_span ON contents(end_timestamp - start_timestamp);

-- time-range labels (schema 3): keyed by record id, not by file, so re-ingest keeps them
CREATE TABLE IF NOT EXISTS labels (
    label_id        INTEGER PRIMARY KEY,
    record_id       TEXT NOT NULL,
    start_timestamp REAL NOT NULL,
    end_timestamp   REAL NOT NULL CHECK (end_timestamp > start_timestamp),
    label           TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    author          TEXT,
    created         REAL NOT NULL  -- unix seconds
);
CREATE INDEX IF NOT EXISTS labels_by_record ON labels(record_id, start_timestamp);
CREATE INDEX IF NOT EXISTS labels_by_label ON labels(label, record_id);

-- the dwtk shape: tags joined by ';' as dwtk stored them, so old `where` strings work
CREATE VIEW IF NOT EXISTS meta_df AS
SELECT c.id, c.description, c.database_id, c.record_id, c.sub_record_id, c.data_type,
       c.path, c.start_timestamp, c.end_timestamp, c.content_type, c.contents,
       c.msg_type, c.msg_md5sum, c.count, c.frequency,
       replace(c.tags, char({ord(TAG_SEPARATOR)}), ';') AS tags
FROM contents c;
"""


def normalise_tag(tag: str) -> str:
    """The one spelling of a tag, used at ingest and in selects: surrounding space removed.

    Examples
    --------
    >>> normalise_tag(" lead\\t")
    'lead'
    """
    return tag.strip()


def schema_version(con: sqlite3.Connection) -> int:
    """Return the schema version stored in the catalog, 0 for an empty file.

    Examples
    --------
    >>> import sqlite3
    >>> schema_version(sqlite3.connect(":memory:"))
    0
    """
    try:
        row = con.execute("SELECT value FROM catalog_info WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def create_schema(con: sqlite3.Connection) -> None:
    """Create (or migrate to) the current schema inside the caller's transaction.

    Idempotent: running it on an up-to-date catalog changes nothing.

    Examples
    --------
    >>> import sqlite3
    >>> con = sqlite3.connect(":memory:")
    >>> create_schema(con); create_schema(con)
    >>> schema_version(con) == SCHEMA_VERSION
    True
    """
    found = schema_version(con)
    if found > SCHEMA_VERSION:
        from workbench.errors import CatalogError

        raise CatalogError(
            f"catalog schema version {found} is newer than this workbench understands "
            f"({SCHEMA_VERSION}); upgrade workbench to open it"
        )
    statement = ""
    for line in _DDL.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            con.execute(statement)
            statement = ""
    if 0 < found < 2:  # version 1 had no stamps for objects in remote stores
        con.execute("ALTER TABLE files ADD COLUMN stamp TEXT")
        con.execute("ALTER TABLE files ADD COLUMN sidecar_stamp TEXT")
    # version 3 added the labels table: the DDL above creates it in place
    # future migrations go here: `if 0 < found < 4: ...`
    con.execute(
        "INSERT OR REPLACE INTO catalog_info(key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
