"""EventTable at the Python level: rows, thumbnails, and a selected row moving the player."""

from __future__ import annotations

import numpy as np
import pytest
from events_support import sample_catalog

import workbench as wb
from workbench.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    return sample_catalog(tmp_path_factory, "table", 30)


def test_a_selected_row_opens_its_record_at_the_event_with_in_and_out(catalog) -> None:
    ev = wb.find_events(catalog.select(), "brake > 0.5")
    table = wb.EventTable(ev)
    try:
        assert [r["record_id"] for r in table.list.rows] == ev.record_id.tolist()
        assert len(table.list.thumbnails) == len(ev)
        assert all(t[:2] == b"\xff\xd8" for t in table.list.thumbnails)  # JPEG
        assert "brake_max" in table.list.columns and "start" not in table.list.columns
        for row in (len(ev) - 1, 0):
            table.list.selected = row  # a click on the row
            s = table.scrubber
            event = ev.iloc[row]
            assert s.source.record_id == event.record_id
            t = s.frame_timestamps
            assert t[s.value] <= event.start < t[s.value] + 1 / 30 + 1e-9
            assert s.in_point == s.value and t[s.out_point] < event.end <= t[s.out_point] + 0.034
            assert table.timeline is not None and table.timeline.timestamp == s.timestamp
            assert table.map is not None and table.map.timestamp == s.timestamp
        first = table.scrubber
        table.show(-1)  # another record: the previous player is closed
        assert first.comm is None and table.selected == len(ev) - 1
    finally:
        table.close()


def test_a_labels_table_needs_the_catalog_and_a_linked_scrubber_keeps_its_record(catalog):
    rec = catalog.select(tags=["can"], content_type="text/csv")[0]
    catalog.labels.add(rec.record_id, rec.start_timestamp + 2, rec.start_timestamp + 3, "look")
    labels = catalog.labels.df
    bare = wb.EventTable(labels, thumbnails=False)
    bare.list.selected = 0
    assert "pass catalog=" in bare.list.status  # said in the panel, nothing raised
    with pytest.raises(InvalidArgumentError, match="pass catalog="):
        bare.show(0)
    bare.close()
    s = wb.VideoScrubber(catalog.select(content_type="video/*")[1])
    linked = wb.EventTable(labels, catalog=catalog, scrubber=s)
    linked.show(0)
    assert "linked scrubber shows" in linked.list.status and s.value == 0
    linked.close()
    assert s.comm is not None  # a linked scrubber is the caller's: not closed
    s.close()
    with pytest.raises(InvalidArgumentError, match=r"lacks columns \['end'\]"):
        wb.EventTable(labels.drop(columns="end"))
    with pytest.raises(InvalidArgumentError, match="not in the table"):
        wb.EventTable(labels, catalog=catalog).show(5)
    assert np.isfinite(labels.start).all()
