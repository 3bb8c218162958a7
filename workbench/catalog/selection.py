"""``Selection``: the result of a catalog select, a pandas DataFrame underneath.

``sel.df`` is the frame (``path`` absolute, ``tags`` lists, ``extra`` JSON text);
``len(sel)`` counts streams; iterating yields :class:`~workbench.catalog.record.Record`;
``sel.recordings()`` groups the streams of each record (its cameras, CAN, GPS) into a
:class:`Recording`; in Jupyter a selection shows itself as a summary and a table.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"record_id": ["r1", "r1", "r2"], "contents": ["cam", "can", "cam"],
...                    "content_type": ["video/mp4", "text/csv", "video/mp4"],
...                    "path": ["/d/a.mp4", "/d/b.csv", "/d/c.mp4"],
...                    "start_timestamp": [0.0, 0.0, 5.0], "end_timestamp": [4.0, 4.0, 9.0],
...                    "tags": [["camera"], ["can"], ["camera"]]})
>>> sel = Selection(df)
>>> len(sel), [r.record_id for r in sel.recordings()]
(3, ['r1', 'r2'])
>>> sel.recordings()[0]["can"].path.name
'b.csv'
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.catalog.record import Record, is_remote
from workbench.errors import SelectionIndexError

__all__ = ["Recording", "Selection"]

_TABLE_COLUMNS = (
    "record_id",
    "contents",
    "content_type",
    "start_timestamp",
    "end_timestamp",
    "tags",
    "width",
    "height",
    "fps",
    "path",
)
_HTML_ROWS = 20


class Selection:
    """Streams selected from a catalog.

    Parameters
    ----------
    df
        One row per stream with at least ``record_id`` and ``path`` (absolute).
    description
        How it was selected, shown in the repr.
    hint
        Why an empty selection may be empty (e.g. known tags close to a misspelt one),
        shown in the repr and in the error of ``sel[0]``.
    storage_options
        fsspec options handed to every :class:`Record` (remote datasets).
    """

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        description: str = "",
        hint: str = "",
        storage_options: dict[str, Any] | None = None,
    ):
        self._df = df.reset_index(drop=True)
        self.description = description
        self.hint = hint
        self.storage_options: dict[str, Any] = dict(storage_options or {})

    def _like(self, df: pd.DataFrame) -> Selection:
        """A selection of ``df`` with this one's description and storage options."""
        return Selection(df, description=self.description, storage_options=self.storage_options)

    def _record(self, row: dict[str, Any]) -> Record:
        return Record(row, storage_options=self.storage_options)

    # core -----------------------------------------------------------------------------
    @property
    def df(self) -> pd.DataFrame:
        """The selection as a pandas DataFrame (one row per stream)."""
        return self._df

    def __len__(self) -> int:
        return len(self._df)

    def __bool__(self) -> bool:
        return len(self._df) > 0

    def __iter__(self) -> Iterator[Record]:
        for row in self._df.to_dict("records"):
            yield self._record(row)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._like(self._df.iloc[index])
        if isinstance(index, (int,)) or hasattr(index, "__index__"):
            i = int(index)
            n = len(self._df)
            if not -n <= i < n:
                why = f" ({self.description})" if self.description else ""
                more = f": {self.hint}" if self.hint else ""
                raise SelectionIndexError(
                    f"selection index {i} out of range for {n} streams{why}{more}"
                )
            return self._record(self._df.iloc[i].to_dict())
        raise TypeError(f"selection indices must be integers or slices, not {type(index).__name__}")

    # views ----------------------------------------------------------------------------
    @property
    def record_ids(self) -> list[str]:
        """Distinct record ids, in order of first appearance."""
        if "record_id" not in self._df:
            return []
        return list(dict.fromkeys(self._df["record_id"].tolist()))

    @property
    def paths(self) -> list[Path | str]:
        """Absolute paths of the selected files, one per stream (URL strings if remote)."""
        if "path" not in self._df:
            return []
        return [p if is_remote(p) else Path(p) for p in self._df["path"].tolist()]

    def missing(self) -> list[Path | str]:
        """Files of this selection that are no longer there (moved or deleted)."""
        paths = list(dict.fromkeys(self.paths))
        remote = [p for p in paths if isinstance(p, str)]
        gone: set[Path | str] = {p for p in paths if isinstance(p, Path) and not p.is_file()}
        if remote:
            import fsspec

            fs, _ = fsspec.core.url_to_fs(remote[0], **self.storage_options)
            gone |= {p for p in remote if not fs.exists(p)}
        return [p for p in paths if p in gone]

    def recordings(self) -> list[Recording]:
        """Group the streams by ``record_id``: one :class:`Recording` per record."""
        if not len(self._df):
            return []
        groups = self._df.groupby("record_id", sort=False, dropna=False)
        return [
            Recording(str(key), frame, storage_options=self.storage_options)
            for key, frame in groups
        ]

    def filter(self, mask: Any) -> Selection:
        """A new selection of the rows where the boolean ``mask`` (a Series) holds.

        Examples
        --------
        >>> sel = Selection(pd.DataFrame({"record_id": ["a", "b"], "path": ["/x", "/y"]}))
        >>> len(sel.filter(sel.df.record_id == "b"))
        1
        """
        return self._like(self._df[mask])

    def to_dask(
        self,
        columns: list[str] | None = None,
        *,
        window_duration: float | None = None,
        storage_options: dict[str, Any] | None = None,
        **old_spellings: Any,
    ) -> Any:
        """The selection's time series as one Dask DataFrame, one partition per stream
        (or per window of at most ``window_duration`` seconds of it).

        Indexed by absolute ``timestamp``, with a ``record_id`` column; video streams are
        left out. The old spelling ``segment_seconds`` of ``window_duration`` still works,
        with a deprecation warning. Details: :func:`workbench.parallel.selection_to_dask`.

        Examples
        --------
        >>> ddf = sel.to_dask(columns=["speed_kmh", "brake"])             # doctest: +SKIP
        >>> ddf[ddf.brake > 0.5].speed_kmh.mean().compute()                # doctest: +SKIP
        """
        from workbench.parallel.records import take_window_duration
        from workbench.parallel.series import selection_to_dask

        window_duration = take_window_duration(window_duration, old_spellings, of=Selection.to_dask)
        return selection_to_dask(
            self, columns=columns, window_duration=window_duration, storage_options=storage_options
        )

    # display --------------------------------------------------------------------------
    def _summary(self) -> str:
        n = len(self._df)
        parts = [f"{n} stream{'s' if n != 1 else ''}"]
        if n:
            records = len(self.record_ids)
            parts.append(f"from {records} record{'s' if records != 1 else ''}")
            if "start_timestamp" in self._df and self._df["start_timestamp"].notna().any():
                t0 = self._df["start_timestamp"].min()
                t1 = self._df["end_timestamp"].max()
                parts.append(f"spanning {t0:.3f} .. {t1:.3f} s")
        return ", ".join(parts)

    def __repr__(self) -> str:
        head = f"<{type(self).__name__}: {self._summary()}"
        if self.description:
            head += f" ({self.description})"
        if self.hint and not len(self._df):
            head += f"; {self.hint}"
        return head + ">"

    def _repr_html_(self) -> str:
        df = self._df
        esc = html.escape
        bits = [
            f"<div class='workbench-selection'><b>{esc(type(self).__name__)}</b>: "
            f"{esc(self._summary())}"
        ]
        if self.description:
            bits.append(f" <code>{esc(self.description)}</code>")
        if self.hint and not len(df):
            bits.append(f"<br>{esc(self.hint)}")
        if len(df):
            types = Counter(df["content_type"].fillna("?")) if "content_type" in df else {}
            tags = Counter(t for ts in df.get("tags", []) for t in (ts or []))
            if types:
                bits.append(
                    "<br>content types: "
                    + ", ".join(f"{esc(str(k))} ({v})" for k, v in types.most_common())
                )
            if tags:
                bits.append(
                    "<br>tags: "
                    + ", ".join(
                        f"<code>{esc(str(k))}</code> ({v})" for k, v in tags.most_common(15)
                    )
                )
            cols = [c for c in _TABLE_COLUMNS if c in df]
            shown = df[cols].head(_HTML_ROWS).copy()
            if "tags" in shown:
                shown["tags"] = shown["tags"].map(lambda ts: ", ".join(ts or []))
            bits.append(shown.to_html(index=False, na_rep="", escape=True, border=0))
            if len(df) > _HTML_ROWS:
                bits.append(f"<i>... {len(df) - _HTML_ROWS} more; see <code>.df</code></i>")
        bits.append("</div>")
        return "".join(bits)


class Recording(Selection):
    """The streams of one record: its cameras, CAN, GPS...

    ``recording["camera/front-center"]`` is the stream with that content name (the
    video, when its timestamps CSV shares the name); integer indices work as for any
    selection.
    """

    def __init__(
        self,
        record_id: str,
        df: pd.DataFrame,
        *,
        description: str = "",
        storage_options: dict[str, Any] | None = None,
    ):
        super().__init__(df, description=description, storage_options=storage_options)
        self.record_id = record_id

    def _like(self, df: pd.DataFrame) -> Recording:
        return Recording(
            self.record_id, df, description=self.description, storage_options=self.storage_options
        )

    def __getitem__(self, index: int | slice | str) -> Any:  # type: ignore[override]
        if isinstance(index, str):
            names = self._df["contents"].tolist() if "contents" in self._df else []
            if index not in names:
                raise KeyError(
                    f"record {self.record_id!r} has no stream {index!r}; it has: "
                    f"{', '.join(map(str, names))}"
                )
            # the video and its timestamps CSV share a content name: prefer the video
            rows = [i for i, name in enumerate(names) if name == index]
            types = (
                self._df["content_type"].fillna("").tolist() if "content_type" in self._df else []
            )
            best = next((i for i in rows if types and types[i].startswith("video/")), rows[0])
            return self._record(self._df.iloc[best].to_dict())
        return super().__getitem__(index)

    def filter(self, mask: Any) -> Recording:
        return self._like(self._df[mask])

    @property
    def streams(self) -> list[str]:
        """Content names of the streams, e.g. ``['camera/front-center', 'can']``."""
        return self._df["contents"].tolist() if "contents" in self._df else []

    @property
    def cameras(self) -> Selection:
        """The video streams of this record."""
        return self.filter(self._df["content_type"].fillna("").str.startswith("video/"))

    @property
    def start_timestamp(self) -> float | None:
        """Earliest start over the record's streams (absolute seconds)."""
        value = self._df["start_timestamp"].min() if len(self._df) else None
        return None if value is None or pd.isna(value) else float(value)

    @property
    def end_timestamp(self) -> float | None:
        """Latest end over the record's streams (absolute seconds)."""
        value = self._df["end_timestamp"].max() if len(self._df) else None
        return None if value is None or pd.isna(value) else float(value)

    def __repr__(self) -> str:
        return f"<Recording {self.record_id!r}: {', '.join(map(str, self.streams))}>"
