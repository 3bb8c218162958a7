"""Time-range labels, kept in the catalog's SQLite file beside the streams they name.

A label is a stretch ``[start, end)`` of absolute seconds in one record, with a name
(``"hard_brake"``), an optional note and author. Labels are stored in their own table
(keyed by record id, not by file), so re-ingesting a dataset keeps them. Every write is
one SQLite transaction: two processes labelling at once lose nothing.

Examples
--------
>>> import json, tempfile, pathlib, workbench as wb
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "can.csv").write_text("timestamp,speed\\n100,1\\n160,2\\n")
>>> _ = (root / "can.csv.json").write_text(json.dumps({"record_id": "r1",
...     "content-type": "text/csv", "start_timestamp": 100, "end_timestamp": 160,
...     "contents": {"can": {"tags": ["can"]}}}))
>>> cat = wb.build_catalog(root)
>>> label_id = cat.labels.add("r1", 110.0, 112.5, "hard_brake", note="lead car cut in")
>>> cat.labels.df[["record_id", "start", "end", "label"]].values.tolist()
[['r1', 110.0, 112.5, 'hard_brake']]
>>> len(cat.select(labels=["hard_brake"]))
1
>>> cat.labels.add("r1", 150.0, 170.0, "late")
Traceback (most recent call last):
...
workbench.errors.InvalidArgumentError: label end=170.0 is outside record 'r1' (100.0 .. 160.0)
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.catalog.schema import schema_version
from workbench.errors import CatalogError, InvalidArgumentError

if TYPE_CHECKING:
    from workbench.catalog.catalog import Catalog

__all__ = ["LABEL_COLUMNS", "Labels"]

#: columns of ``Labels.df`` (``start``/``end`` are absolute seconds, as in an events table)
LABEL_COLUMNS = (
    "label_id",
    "record_id",
    "start",
    "end",
    "duration",
    "label",
    "note",
    "author",
    "created",
)
#: the schema version that added the labels table
_LABELS_SINCE = 3
#: seconds a label may reach past its record's catalogued span (float noise of epoch times)
_SPAN_SLACK = 1e-3
_SELECT = (
    "SELECT label_id, record_id, start_timestamp, end_timestamp, "
    "end_timestamp - start_timestamp, label, note, author, created FROM labels"
)


class Labels:
    """The labels of a catalog: ``cat.labels``.

    Attributes
    ----------
    df : pandas.DataFrame
        Every label, :data:`LABEL_COLUMNS`, sorted by record and start.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __len__(self) -> int:
        return len(self.select())

    def __repr__(self) -> str:
        return f"<Labels of {self._catalog.path}: {len(self)}>"

    # ---- reading --------------------------------------------------------------------------
    @property
    def df(self) -> pd.DataFrame:
        """Every label as a DataFrame (:data:`LABEL_COLUMNS`)."""
        return self.select()

    def select(
        self,
        *,
        label: str | Sequence[str] | None = None,
        record_id: str | Sequence[str] | None = None,
        between: tuple[float, float] | None = None,
    ) -> pd.DataFrame:
        """The labels with one of these names, of these records, overlapping ``between``.

        Parameters
        ----------
        label, record_id : str or list of str, optional
            Exact names / record ids (any of them).
        between : (float, float), optional
            Absolute seconds: labels whose ``[start, end)`` overlaps it.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (("label", label), ("record_id", record_id)):
            if values is None:
                continue
            items = [values] if isinstance(values, str) else list(values)
            clauses.append(f"{column} IN ({', '.join('?' * len(items))})")
            params.extend(str(v) for v in items)
        if between is not None:
            t0, t1 = (_seconds(v, "between") for v in between)
            clauses.append("start_timestamp < ? AND end_timestamp > ?")
            params.extend([t1, t0])
        if schema_version(self._catalog._store.con) < _LABELS_SINCE:
            rows: list[Any] = []  # an older catalog opened read-only: it has no labels yet
        else:
            sql = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
            order = " ORDER BY record_id, start_timestamp, label_id"
            rows = self._catalog._execute(sql + order, params).fetchall()
        return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))

    # ---- writing --------------------------------------------------------------------------
    def add(
        self,
        record_id: str,
        start: float,
        end: float,
        label: str,
        *,
        note: str = "",
        author: str | None = None,
    ) -> int:
        """Label ``[start, end)`` of ``record_id``; return the new label's id.

        Raises
        ------
        InvalidArgumentError
            ``end <= start``, a time outside the record's span, an unknown record or an
            empty label (each named in the message).
        ReadOnlyCatalogError
            The catalog was opened read-only.
        """
        return self._insert([(record_id, start, end, label, note, author)])[0]

    def add_events(
        self, events: pd.DataFrame, label: str, *, note: str = "", author: str | None = None
    ) -> list[int]:
        """Label every row of an events table (``record_id``, ``start``, ``end``) at once."""
        missing = [c for c in ("record_id", "start", "end") if c not in events.columns]
        if missing:
            raise InvalidArgumentError(
                f"the events table lacks columns {missing}; it has {list(events.columns)}"
            )
        rows = [
            (r.record_id, r.start, r.end, label, note, author)
            for r in events[["record_id", "start", "end"]].itertuples(index=False)
        ]
        return self._insert(rows)

    def remove(self, label_id: int | Iterable[int]) -> None:
        """Delete labels by id (all or none: an unknown id changes nothing and raises)."""
        ids = [label_id] if isinstance(label_id, (int,)) else [int(i) for i in label_id]
        with self._catalog._store.write() as con:
            marks = ", ".join("?" * len(ids))
            query = f"SELECT label_id FROM labels WHERE label_id IN ({marks})"
            found = {row[0] for row in con.execute(query, ids)}
            unknown = [i for i in ids if i not in found]
            if unknown:
                raise InvalidArgumentError(f"no label with id {unknown} in this catalog")
            con.execute(f"DELETE FROM labels WHERE label_id IN ({marks})", ids)

    # ---- exchange -------------------------------------------------------------------------
    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write every label to a CSV file (atomically); return its path."""
        return _write_atomic(Path(path), self.df.to_csv(index=False))

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write every label to a JSON file (a list of objects, atomically)."""
        return _write_atomic(Path(path), self.df.to_json(orient="records", indent=1))

    def load(self, path: str | os.PathLike[str]) -> list[int]:
        """Add the labels of a CSV or JSON file written by :meth:`to_csv`/:meth:`to_json`.

        Label ids in the file are not kept (they are this catalog's); all rows are
        checked first and added in one transaction, or none is.
        """
        path = Path(path)
        try:
            if path.suffix.lower() == ".json":
                table = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
            else:
                text = {c: str for c in ("record_id", "label", "note", "author")}
                table = pd.read_csv(path, dtype=text, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"cannot read labels from {path}: {exc}") from exc
        missing = [c for c in ("record_id", "start", "end", "label") if c not in table.columns]
        if missing:
            raise InvalidArgumentError(f"{path} lacks label columns {missing}")
        rows = [
            (
                str(r["record_id"]),
                r["start"],
                r["end"],
                str(r["label"]),
                _text(r.get("note")) or "",
                _text(r.get("author")),
            )
            for r in table.to_dict("records")
        ]
        return self._insert(rows)

    def _insert(self, rows: list[tuple[Any, ...]]) -> list[int]:
        checked = [self._checked(*row) for row in rows]
        ids: list[int] = []
        now = time.time()
        with self._catalog._store.write() as con:
            for rid, start, end, label, note, author in checked:
                cur = con.execute(
                    "INSERT INTO labels(record_id, start_timestamp, end_timestamp, label, note,"
                    " author, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (rid, start, end, label, note, author, now),
                )
                ids.append(int(cur.lastrowid))
        return ids

    def _checked(
        self, record_id: Any, start: Any, end: Any, label: Any, note: Any, author: Any
    ) -> tuple[str, float, float, str, str, str | None]:
        rid = str(record_id)
        t0, t1 = _seconds(start, "label start"), _seconds(end, "label end")
        if not t1 > t0:
            raise InvalidArgumentError(
                f"a label must end after it starts: start={t0}, end={t1} (record {rid!r})"
            )
        if not isinstance(label, str) or not label.strip():
            raise InvalidArgumentError(f"label must be a non-empty name, got {label!r}")
        span = self._catalog._execute(
            "SELECT min(start_timestamp), max(end_timestamp), count(*) FROM contents "
            "WHERE record_id = ?",
            (rid,),
        ).fetchone()
        if not span[2]:
            raise InvalidArgumentError(
                f"record {rid!r} is not in the catalog; labels name a catalogued record"
            )
        lo, hi = span[0], span[1]
        for name, value in (("start", t0), ("end", t1)):
            outside = (lo is not None and value < lo - _SPAN_SLACK) or (
                hi is not None and value > hi + _SPAN_SLACK
            )
            if outside:
                raise InvalidArgumentError(
                    f"label {name}={value} is outside record {rid!r} ({lo} .. {hi})"
                )
        return rid, t0, t1, label.strip(), str(note or ""), None if author is None else str(author)


def _text(value: Any) -> str | None:
    """A text field read back from CSV/JSON: None for empty, NaN or missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return str(value)


def _seconds(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what}={value!r} is not a number of seconds") from None
    if not math.isfinite(number):
        raise InvalidArgumentError(f"{what}={value!r} must be a finite number of seconds")
    return number


def _write_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CatalogError(f"cannot write labels to {path}: {exc.strerror or exc}") from exc
    return path
