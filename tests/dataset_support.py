"""Small datasets the tests of every layer build: the sample database at the tests' size,
and one CSV series with its dwtk sidecar."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import workbench as wb


def small_sample_database(
    root: Path, *, records: int = 1, duration_seconds: float, cameras: Sequence[str] = ("front",)
) -> Path:
    """:func:`workbench.samples.make_sample_database` at the tests' size: 160x96 cameras,
    encoded in this process. Returns the database root."""
    return wb.samples.make_sample_database(
        root, records=records, duration_seconds=duration_seconds, cameras=tuple(cameras),
        size=(160, 96), workers=1,
    )  # fmt: skip


def write_series(folder: Path, name: str, record_id: str, df: pd.DataFrame) -> None:
    """Write ``df`` (absolute-time index) as ``folder/<name>.csv`` with its sidecar: one
    content ``name`` tagged ``name``, spanning the index."""
    folder.mkdir(parents=True, exist_ok=True)
    df.rename_axis("timestamp").to_csv(folder / f"{name}.csv")
    (folder / f"{name}.csv.json").write_text(
        json.dumps(
            {
                "record_id": record_id,
                "content-type": "text/csv",
                "start_timestamp": float(df.index[0]),
                "end_timestamp": float(df.index[-1]),
                "contents": {name: {"tags": [name]}},
            }
        )
    )
