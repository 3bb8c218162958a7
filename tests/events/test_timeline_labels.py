"""Labels and events on the Timeline: bands from the catalog, a marked range stored there,
refusals said in the widget."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.errors import InvalidArgumentError


@pytest.fixture
def cat(tmp_path: Path):
    folder = tmp_path / "data" / "r1"
    folder.mkdir(parents=True)
    t = 100.0 + np.arange(0, 60, 0.1)
    series = pd.DataFrame({"timestamp": t, "speed_kmh": 50 + np.sin(t)})
    series.to_csv(folder / "can.csv", index=False)
    (folder / "can.csv.json").write_text(
        json.dumps(
            {
                "record_id": "r1",
                "content-type": "text/csv",
                "start_timestamp": 100.0,
                "end_timestamp": float(t[-1]),
                "contents": {"can": {"tags": ["can"]}},
            }
        )
    )
    return wb.build_catalog(tmp_path / "data", db=tmp_path / "catalog.db")


def timeline(cat) -> wb.Timeline:
    rec = cat.select().recordings()[0]
    return wb.Timeline(rec)


def test_a_marked_range_is_stored_as_a_label_and_drawn(cat) -> None:
    cat.labels.add("r1", 110.0, 112.0, "old")
    tl = timeline(cat)
    tl.show_labels(cat, "r1")
    assert tl.labelling and [(b["label"], b["kind"]) for b in tl.bands] == [("old", "label")]
    # what the view sends after a Shift+drag and a name typed in its box
    tl._handle_custom_msg({"type": "label", "start": 120.5, "end": 124.0, "label": "near_miss"}, [])
    df = cat.labels.select(label="near_miss")
    assert df[["record_id", "start", "end"]].values.tolist() == [["r1", 120.5, 124.0]]
    assert [b["label"] for b in tl.bands] == ["old", "near_miss"]
    assert tl.label_name == "near_miss" and "saved" in tl.status
    # refused: said in the widget, nothing stored
    tl._handle_custom_msg({"type": "label", "start": 130.0, "end": 129.0, "label": "x"}, [])
    assert "label not saved" in tl.status and "end after it starts" in tl.status
    tl._handle_custom_msg({"type": "label", "start": "soon", "end": 129.0, "label": "x"}, [])
    assert "label not saved" in tl.status
    assert len(cat.labels) == 2
    tl.close()


def test_a_read_only_catalog_says_why_it_cannot_store(cat) -> None:
    ro = wb.open_catalog(cat.path, readonly=True)
    tl = timeline(ro)
    tl.show_labels(ro, "r1", editable=False)
    assert not tl.labelling
    tl._handle_custom_msg({"type": "label", "start": 110.0, "end": 111.0, "label": "x"}, [])
    assert "read-only" in tl.status and len(cat.labels) == 0
    tl.close()


def test_events_are_drawn_as_bands_of_their_record(cat) -> None:
    tl = timeline(cat)
    events = pd.DataFrame(
        {"record_id": ["r1", "r2"], "start": [105.0, 105.0], "end": [106.0, 107.0]}
    )
    tl.show_events(events)
    assert tl.bands == [
        {"start": 105.0, "end": 106.0, "label": "", "kind": "event"},
        {"start": 105.0, "end": 107.0, "label": "", "kind": "event"},
    ]  # no record given: every row
    tl.show_labels(cat, "r1")
    assert [b["end"] for b in tl.bands] == [106.0]  # the record's own events only
    with pytest.raises(InvalidArgumentError, match="events need columns"):
        tl.show_events(events.drop(columns="start"))
    with pytest.raises(InvalidArgumentError, match="no catalog"):
        timeline(cat).add_label(101.0, 102.0, "x")
    tl.close()
