"""The time series of a whole selection as one Dask DataFrame (one partition per record).

Built with ``dask.dataframe.from_map``: each partition is one record's table (or one
window of it, with ``window_duration``), read on the worker through the segmented
readers, indexed by absolute ``timestamp`` seconds, with a ``record_id`` column. Video
and other non-tabular streams of the selection are left out.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> for i in range(2):
...     _ = (d / f"can{i}.csv").write_text("timestamp,speed\\n" + "".join(
...         f"{100 * i + k},{k}\\n" for k in range(5)))
>>> ddf = selection_to_dask([d / "can0.csv", d / "can1.csv"], columns=["speed"])
>>> ddf.npartitions, ddf.groupby("record_id").speed.mean().compute().to_dict()
(2, {'can0': 2.0, 'can1': 2.0})
"""

from __future__ import annotations

import functools
from typing import Any

from workbench.errors import InvalidArgumentError
from workbench.parallel.client import import_distributed
from workbench.parallel.records import RecordsLike, RecordSpec, as_specs, take_window_duration

__all__ = ["read_series", "selection_to_dask"]


def _is_series(spec: RecordSpec) -> bool:
    from workbench.content_types import guess_content_type
    from workbench.readers.registry import find_reader
    from workbench.readers.timeseries import TimeSeriesReader

    ctype = spec.content_type or guess_content_type(spec.name)
    try:
        return issubclass(find_reader(ctype, spec.name), TimeSeriesReader)
    except LookupError:
        return False


def read_series(spec: RecordSpec, columns: list[str] | None = None) -> Any:
    """One record's samples as a pandas DataFrame: ``timestamp`` index, ``record_id`` column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gps.csv"
    >>> _ = p.write_text("t,lat\\n1.0,35.0\\n2.0,35.1\\n")
    >>> read_series(as_specs([p])[0]).reset_index().values.tolist()
    [[1.0, 35.0, 'gps'], [2.0, 35.1, 'gps']]
    """
    batch = spec.read().read_all()
    df = batch.to_pandas()
    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InvalidArgumentError(
                f"{spec.path} has no column(s) {missing}; it has: {', '.join(df.columns)}"
            )
        df = df[list(columns)]
    df["record_id"] = spec.record_id
    return df


def selection_to_dask(
    records: RecordsLike,
    *,
    columns: list[str] | None = None,
    window_duration: float | None = None,
    storage_options: dict[str, Any] | None = None,
    **old_spellings: Any,
) -> Any:
    """Return the time series of ``records`` as one ``dask.dataframe.DataFrame``.

    Parameters
    ----------
    records : Selection, DataFrame, list of Record / dict / path / URL
        Streams to read; those that are not time series (video, images) are left out.
    columns : list of str, optional
        Columns to keep (default: those of the first record); every record must have them.
    window_duration : float, optional
        One partition per window of at most this many seconds instead of one per record
        (the old spelling ``segment_seconds`` still works, with a deprecation warning).
    storage_options : dict, optional
        fsspec options for URLs.

    Raises
    ------
    InvalidArgumentError
        No time-series stream in ``records``.
    MissingExtraError
        ``dask`` is not installed (the ``[dask]`` extra).
    """
    import_distributed()
    import dask.dataframe as dd

    window_duration = take_window_duration(window_duration, old_spellings, of=selection_to_dask)
    specs = as_specs(records, storage_options=storage_options, window_duration=window_duration)
    specs = [s for s in specs if _is_series(s)]
    if not specs:
        raise InvalidArgumentError(
            "the selection has no time-series streams (CSV / Parquet); select CAN, GPS or IMU "
            "streams, e.g. cat.select(content_type='text/csv')"
        )
    meta = read_series(specs[0], columns).iloc[:0]
    # the columns travel bound to the function: from_map claims a "columns" keyword itself
    reader = functools.partial(read_series, columns=columns)
    return dd.from_map(reader, specs, meta=meta, label="workbench-series", enforce_metadata=False)
