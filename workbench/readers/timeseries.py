"""Read CAN / GPS / IMU time series from CSV or Parquet, in bounded memory.

The time column is the one named ``timestamp`` / ``timestamps`` / ``time`` / ``stamp`` /
``t`` (any case), else the first column. Times are absolute seconds; a file whose times
are plainly relative (below 1e8 while the record starts at an epoch time above 1e8) is
shifted by the record's ``start_timestamp`` so it lines up with the video.

Only the time column is scanned up front (to count segments and rows); the values are
then read chunk by chunk (``chunk_rows`` rows at a time), so memory stays bounded by one
chunk plus one segment.

Examples
--------
>>> import tempfile, pathlib, workbench as wb
>>> p = pathlib.Path(tempfile.mkdtemp()) / "can.csv"
>>> _ = p.write_text("timestamp,speed\\n" + "".join(f"{i / 100},{i}\\n" for i in range(300)))
>>> reader = wb.read(p, segment_duration=1.0)
>>> len(reader), [len(b) for b in reader]
(3, [100, 100, 100])
>>> wb.read(p, target_frame_rate=2).read_all().to_pandas()["speed"].tolist()
[0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
"""

from __future__ import annotations

import contextlib
import io
import math
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np

from workbench.errors import (
    CorruptMediaError,
    InvalidArgumentError,
    SourceNotFoundError,
    WorkbenchError,
)
from workbench.options import ReadOptions
from workbench.readers.base import TIME_EPS, BaseReader
from workbench.readers.batches import ReadPlan, SeriesBatch
from workbench.readers.source import Source

__all__ = ["SeriesReader", "TimeSeriesReader", "plan_series_segments"]

_TIME_NAMES = ("timestamp", "timestamps", "time", "stamp", "t")
_EPOCH = 1e8


def plan_series_segments(
    reader: BaseReader, times: np.ndarray
) -> tuple[list[np.ndarray], float, float]:
    """Plan a series read: the row numbers of each non-empty segment, and the window used.

    ``times`` are the sorted absolute times of every row; the reader's window (``start``,
    ``end``), ``target_frame_rate`` (the row on screen at each instant) and
    ``segment_duration`` decide which rows and how they are cut. Shared by every series
    reader (CSV/Parquet, bag topics).

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.options import ReadOptions
    >>> reader = TimeSeriesReader.__new__(TimeSeriesReader)
    >>> reader.options = ReadOptions(segment_duration=1.0)
    >>> segments, start, end = plan_series_segments(reader, np.arange(0, 2.5, 0.5))
    >>> [s.tolist() for s in segments], start, end
    ([[0, 1], [2, 3], [4]], 0.0, 2.5)
    """
    if len(times) == 0:
        return [], 0.0, 0.0
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    start, end = reader._window(float(times[0]), float(times[-1]) + max(step, 1e-6))
    rate = reader.target_frame_rate
    if rate is None:
        lo, hi = np.searchsorted(times, [start - TIME_EPS, end - TIME_EPS], "left")
        rows = np.arange(lo, hi, dtype="int64")
        anchor = times[rows]
    else:
        n = max(0, math.ceil((end - start - TIME_EPS) * rate))
        anchor = start + np.arange(n) / rate
        rows = np.searchsorted(times, anchor + TIME_EPS, "right").astype("int64") - 1
        keep = rows >= 0
        rows, anchor = rows[keep], anchor[keep]
    seg = np.floor((anchor - start + TIME_EPS) / reader.segment_duration).astype("int64")
    cuts = np.flatnonzero(np.diff(seg)) + 1
    return [r for r in np.split(rows, cuts) if len(r)], start, end


class SeriesReader(BaseReader):
    """Shared logic of readers whose rows have known absolute times (CSV/Parquet tables,
    bag topics): the plan (:func:`plan_series_segments`), ``len()``, :meth:`plan` and
    :meth:`read_all`. Subclasses give :meth:`times`, :meth:`value_columns` and
    ``__iter__``."""

    kind = "series"
    _plan: tuple[list[np.ndarray], float, float] | None = None

    @abstractmethod
    def times(self) -> np.ndarray:
        """Absolute time of every row, ascending."""

    @abstractmethod
    def value_columns(self) -> list[str]:
        """The names of the value columns of a batch."""

    def _planned(self) -> tuple[list[np.ndarray], float, float]:
        """Row numbers of each non-empty segment, and the window used."""
        if self._plan is None:
            self._plan = plan_series_segments(self, self.times())
        return self._plan

    def __len__(self) -> int:
        return len(self._planned()[0])

    def plan(self) -> ReadPlan:
        segments, start, end = self._planned()
        cols = self.value_columns()
        items = int(sum(len(s) for s in segments))
        return ReadPlan(
            segments=len(segments),
            items=items,
            bytes=items * (len(cols) + 1) * 8,
            start=start,
            end=end,
            columns=tuple(cols),
        )

    def read_all(self) -> SeriesBatch:
        batches = list(self)
        cols = self.value_columns()
        if not batches:
            return SeriesBatch(np.zeros(0), np.zeros((0, len(cols))), cols, self.record_id)
        return SeriesBatch(
            np.concatenate([b.timestamps for b in batches]),
            np.concatenate([b.values for b in batches]),
            list(cols),
            record_id=self.record_id,
            metadata=batches[0].metadata,
        )


class TimeSeriesReader(SeriesReader):
    """Segmented reader for tabular time series (CSV, Parquet).

    Parameters
    ----------
    chunk_rows : int
        Rows read from the file at a time (bounds memory); default 100 000.
    """

    def __init__(
        self, source: Source, *, options: ReadOptions | None = None, chunk_rows: int = 100_000
    ) -> None:
        super().__init__(source, options=options)
        if self.resize_rate is not None or self.size is not None:
            raise InvalidArgumentError(
                f"resize_rate/size apply to video and images, not to the time series "
                f"{source.name}; drop them"
            )
        if self.mode != "exact":
            raise InvalidArgumentError(
                f"mode={self.mode!r} applies to video only; time series are read exactly"
            )
        self.chunk_rows = int(chunk_rows)
        self._times: np.ndarray | None = None
        self._header: tuple[str, list[str]] | None = None

    # -- file access -------------------------------------------------------------------
    @property
    def _is_parquet(self) -> bool:
        return "parquet" in self.source.content_type or self.source.suffix in (".parquet", ".pq")

    def _load_frame(self) -> Any:
        """Return the whole table at once (None: stream chunks). Small-file readers override."""
        return None

    def _columns(self) -> tuple[str, list[str]]:
        if self._header is None:
            df = self._load_frame()
            if df is not None:
                names = [str(c) for c in df.columns]
            else:
                with self._opened() as fh:
                    if self._is_parquet:
                        import pyarrow.parquet as pq

                        names = list(pq.ParquetFile(fh).schema_arrow.names)
                    else:
                        import pandas as pd

                        names = [str(c) for c in pd.read_csv(fh, nrows=0).columns]
            if not names:
                raise CorruptMediaError(f"{self.source.path} has no columns")
            lower = {n.strip().lower(): n for n in names}
            tcol = next((lower[n] for n in _TIME_NAMES if n in lower), names[0])
            self._header = (tcol, [n for n in names if n != tcol])
        return self._header

    def _chunks(self, columns: list[str] | None = None) -> Iterator[Any]:
        df = self._load_frame()
        if df is not None:
            yield df if columns is None else df[columns]
            return
        path = self.source.path
        try:
            with self._opened() as fh:
                if self._is_parquet:
                    import pyarrow.parquet as pq

                    pf = pq.ParquetFile(fh)
                    for rb in pf.iter_batches(batch_size=self.chunk_rows, columns=columns):
                        yield rb.to_pandas()
                else:
                    import pandas as pd

                    yield from pd.read_csv(fh, usecols=columns, chunksize=self.chunk_rows)
        except WorkbenchError:
            raise
        except FileNotFoundError as exc:
            raise SourceNotFoundError(f"{path} disappeared while being read") from exc
        except (ValueError, OSError) as exc:
            raise CorruptMediaError(f"{path} cannot be parsed as a table ({exc})") from exc

    @contextlib.contextmanager
    def _opened(self) -> Iterator[Any]:
        """What the parsers read: the local path, or the remote file (fsspec, buffered)."""
        if not self.source.is_remote:
            yield self.source.path
            return
        with self.source.open() as raw:
            yield io.BufferedReader(raw, 2**20)

    def _to_seconds(self, values: Any) -> np.ndarray:
        import pandas as pd

        times = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
        if np.isnan(times).any():
            raise CorruptMediaError(
                f"{self.source.path} has non-numeric values in its time column "
                f"{self._columns()[0]!r}; fix the file"
            )
        return times

    def times(self) -> np.ndarray:
        """All absolute sample times (the one column scanned up front)."""
        if self._times is None:
            tcol, _ = self._columns()
            parts = [self._to_seconds(c[tcol]) for c in self._chunks([tcol])]
            times = np.concatenate(parts) if parts else np.zeros(0)
            start = self.source.start_timestamp
            if len(times) and start > _EPOCH and times[0] < _EPOCH:
                self._offset = start
            else:
                self._offset = 0.0
            times = times + self._offset
            if len(times) > 1 and (np.diff(times) < 0).any():
                raise CorruptMediaError(
                    f"{self.source.path} is not sorted by time; sort it by {tcol!r} first"
                )
            self._times = times
        return self._times

    def value_columns(self) -> list[str]:
        return self._columns()[1]

    # -- reading -----------------------------------------------------------------------
    def _batch(self, times: np.ndarray, frames: list[Any], cols: list[str]) -> SeriesBatch:
        import pandas as pd

        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        numeric = all(pd.api.types.is_numeric_dtype(df[c]) for c in cols)
        values = df[cols].to_numpy(dtype="float64" if numeric else object)
        return SeriesBatch(times, values, list(cols), record_id=self.record_id)

    def __iter__(self) -> Iterator[SeriesBatch]:
        segments, _, _ = self._planned()
        if not segments:
            return
        times = self.times()
        _, cols = self._columns()
        seg_no, parts = 0, []
        rows = segments[0]
        first_row = 0
        for chunk in self._chunks():
            n = len(chunk)
            while seg_no < len(segments):
                rows = segments[seg_no]
                mine = rows[(rows >= first_row) & (rows < first_row + n)]
                if len(mine):
                    parts.append(chunk.iloc[mine - first_row][cols])
                if rows[-1] >= first_row + n:
                    break  # the segment continues in the next chunk
                yield self._batch(times[rows], parts, cols)
                seg_no, parts = seg_no + 1, []
            first_row += n
            if seg_no >= len(segments):
                return
