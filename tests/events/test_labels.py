"""Labels in the catalog: add, select, remove, refuse bad ranges, survive concurrent writers,
read-only catalogs and old schemas, and travel as CSV/JSON."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench.errors import InvalidArgumentError, ReadOnlyCatalogError


def series(root: Path, record_id: str, t0: float, t1: float) -> None:
    folder = root / record_id
    folder.mkdir(parents=True)
    (folder / "can.csv").write_text(f"timestamp,speed\n{t0},1\n{t1},2\n")
    (folder / "can.csv.json").write_text(
        json.dumps(
            {
                "record_id": record_id,
                "content-type": "text/csv",
                "start_timestamp": t0,
                "end_timestamp": t1,
                "contents": {"can": {"tags": ["can"]}},
            }
        )
    )


@pytest.fixture
def cat(tmp_path: Path):
    series(tmp_path / "data", "r1", 100.0, 200.0)
    series(tmp_path / "data", "r2", 300.0, 400.0)
    return wb.build_catalog(tmp_path / "data", db=tmp_path / "catalog.db")


def test_add_select_and_remove(cat) -> None:
    a = cat.labels.add("r1", 110.0, 120.0, "hard_brake", note="cut in", author="ana")
    b = cat.labels.add("r2", 310.0, 311.0, "lane_change")
    c = cat.labels.add("r1", 150.0, 160.0, "lane_change")
    df = cat.labels.df
    assert df.label_id.tolist() == [a, c, b]
    assert df.loc[0, ["record_id", "start", "end", "duration", "note", "author"]].tolist() == [
        "r1", 110.0, 120.0, 10.0, "cut in", "ana"
    ]  # fmt: skip
    assert cat.labels.select(label="lane_change").record_id.tolist() == ["r1", "r2"]
    assert cat.labels.select(record_id="r1", between=(115, 151)).label_id.tolist() == [a, c]
    assert cat.labels.select(between=(120, 150)).empty  # [start, end) touching is no overlap
    assert set(cat.select(labels=["lane_change"]).df.record_id) == {"r1", "r2"}
    assert set(cat.select(labels=["hard_brake", "lane_change"]).df.record_id) == {"r1"}
    assert len(cat.select(labels="nothing")) == 0
    cat.labels.remove(c)
    assert set(cat.select(labels=["lane_change"]).df.record_id) == {"r2"}
    with pytest.raises(InvalidArgumentError, match=rf"no label with id \[{c}\]"):
        cat.labels.remove([a, c])
    assert len(cat.labels) == 2  # all or nothing: a was kept


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("r1", 120.0, 110.0, "x"), r"end after it starts: start=120.0, end=110.0"),
        (("r1", 120.0, 120.0, "x"), "end after it starts"),
        (("r1", 90.0, 110.0, "x"), r"start=90.0 is outside record 'r1' \(100.0 .. 200.0\)"),
        (("r1", 150.0, 250.0, "x"), "end=250.0 is outside"),
        (("r9", 150.0, 160.0, "x"), "record 'r9' is not in the catalog"),
        (("r1", float("nan"), 160.0, "x"), "finite"),
        (("r1", "soon", 160.0, "x"), "not a number"),
        (("r1", 150.0, 160.0, "  "), "non-empty name"),
    ],
)
def test_bad_labels_are_refused_with_the_values_named(cat, args, match) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        cat.labels.add(*args)
    assert len(cat.labels) == 0


def test_events_become_labels_in_one_transaction(cat) -> None:
    events = pd.DataFrame(
        {"record_id": ["r1", "r2"], "start": [101.0, 301.0], "end": [102.0, 302.0]}
    )
    ids = cat.labels.add_events(events, "hard_brake", author="script")
    assert cat.labels.df.label_id.tolist() == ids and len(ids) == 2
    bad = pd.concat([events, pd.DataFrame({"record_id": ["r2"], "start": [500.0], "end": [501.0]})])
    with pytest.raises(InvalidArgumentError, match="outside record 'r2'"):
        cat.labels.add_events(bad, "more")
    assert len(cat.labels) == 2  # none of the bad batch was added
    with pytest.raises(InvalidArgumentError, match=r"lacks columns \['end'\]"):
        cat.labels.add_events(events.drop(columns="end"), "x")


def test_csv_and_json_round_trip_into_another_catalog(cat, tmp_path: Path) -> None:
    cat.labels.add("r1", 110.0, 120.0, "hard_brake", note='says "hi", ok', author="ana")
    cat.labels.add("r2", 310.0, 320.5, "rain")
    other = wb.build_catalog(tmp_path / "data", db=tmp_path / "other.db")
    other.labels.load(cat.labels.to_csv(tmp_path / "labels.csv"))
    other.labels.load(cat.labels.to_json(tmp_path / "labels.json"))
    got = other.labels.df.drop(columns=["label_id", "created"])
    want = cat.labels.df.drop(columns=["label_id", "created"])
    pd.testing.assert_frame_equal(got.iloc[::2].reset_index(drop=True), want, check_dtype=False)
    pd.testing.assert_frame_equal(got.iloc[1::2].reset_index(drop=True), want, check_dtype=False)


def test_two_processes_labelling_at_once_lose_nothing(cat, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, workbench as wb
        cat = wb.open_catalog({str(cat.path)!r})
        for k in range(40):
            cat.labels.add("r1", 100 + k, 100.5 + k, sys.argv[1])
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, name]) for name in ("left", "right")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    df = cat.labels.df
    assert len(df) == 80 and df.label_id.is_unique
    assert df.label.value_counts().to_dict() == {"left": 40, "right": 40}


def test_a_read_only_catalog_reads_labels_and_refuses_to_write(cat) -> None:
    cat.labels.add("r1", 110.0, 120.0, "hard_brake")
    ro = wb.open_catalog(cat.path, readonly=True)
    assert ro.labels.df.label.tolist() == ["hard_brake"]
    with pytest.raises(ReadOnlyCatalogError, match="read-only"):
        ro.labels.add("r1", 130.0, 140.0, "x")


def test_an_older_catalog_is_migrated_in_place(cat) -> None:
    path = cat.path
    cat.close()
    con = sqlite3.connect(path)
    con.execute("DROP TABLE labels")
    con.execute("UPDATE catalog_info SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert wb.open_catalog(path, readonly=True).labels.df.empty  # readable before migration
    migrated = wb.open_catalog(path)
    assert len(migrated.select()) == 2  # the streams are kept
    migrated.labels.add("r2", 350.0, 351.0, "kept")
    version = migrated.sql("SELECT value FROM catalog_info WHERE key = 'schema_version'")
    assert version.iloc[0, 0] == "3"
