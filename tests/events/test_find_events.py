"""find_events: the events found are exactly the sample generator's braking, whole across
segments, with merge/pad/min-duration, aligned streams, and errors that say what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dataset_support import write_series
from events_support import sample_catalog

import workbench as wb
from workbench.errors import InvalidArgumentError
from workbench.samples import simulate_drive

DURATION = 45.0


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    return sample_catalog(tmp_path_factory, "events", DURATION)


def truth(catalog, record_index: int) -> list[tuple[float, float]]:
    """The braking times the generator used for a record, in absolute seconds."""
    rec = catalog.select(tags=["can"], content_type="text/csv")[record_index]
    drive = simulate_drive(DURATION, seed=record_index)  # seed * 1000 + r, with seed 0
    return [(rec.start_timestamp + a, rec.start_timestamp + b) for a, b in drive.brake_events]


def test_hard_brakes_are_exactly_the_generators_braking(catalog) -> None:
    ev = wb.find_events(catalog.select(), "brake > 0.5")
    assert sorted(ev.record_id.unique()) == sorted(catalog.record_ids())
    for r, rid in enumerate(catalog.select(tags=["can"], content_type="text/csv").df.record_id):
        want = truth(catalog, r)
        got = ev[ev.record_id == rid]
        assert len(got) == len(want) >= 2
        # CAN samples every 10 ms: an event starts and ends within one sample of the truth
        np.testing.assert_allclose(got.start, [a for a, _ in want], atol=0.0101)
        np.testing.assert_allclose(got.end, [b for _, b in want], atol=0.0101)
    assert list(ev.columns[:4]) == ["record_id", "start", "end", "duration"]
    assert (ev.brake_min == 1).all() and (ev.brake_mean == 1).all()


def test_events_crossing_segment_boundaries_come_out_whole(catalog) -> None:
    cond = "brake > 0.5 and speed_kmh > 20"
    whole = wb.find_events(catalog.select(), cond, segment_duration=600)
    pieces = wb.find_events(catalog.select(), cond, segment_duration=0.7)
    pd.testing.assert_frame_equal(pd.DataFrame(whole), pd.DataFrame(pieces))
    # the statistics agree with the samples themselves
    rec = catalog.select(tags=["can"], content_type="text/csv")[0]
    can = pd.read_csv(rec.path, index_col="timestamp")
    row = pieces[pieces.record_id == rec.record_id].iloc[0]
    inside = can[(can.index >= row.start) & (can.index < row.end)]
    inside = inside[(inside.brake > 0.5) & (inside.speed_kmh > 20)]
    assert row.speed_kmh_max == pytest.approx(inside.speed_kmh.max())
    assert row.speed_kmh_mean == pytest.approx(inside.speed_kmh.mean())


def test_streams_of_different_rates_are_aligned_as_of_each_sample(tmp_path: Path) -> None:
    t = 1000.0 + np.arange(0, 10, 0.01)
    can = pd.DataFrame({"brake": (t >= 1003).astype(int)}, index=t)
    write_series(tmp_path / "r1", "can", "r1", can)
    tg = 1000.0 + np.arange(0, 10, 0.5)  # 2 Hz
    imu = pd.DataFrame({"ax": np.where(tg >= 1005, -4.0, 0.0)}, index=tg)
    write_series(tmp_path / "r1", "imu", "r1", imu)
    cat = wb.build_catalog(tmp_path)
    ev = wb.find_events(cat.select(), "brake == 1 and ax < -3")
    assert ev[["start", "end"]].to_numpy().tolist() == [[1005.0, pytest.approx(1010.0)]]


def test_min_duration_merge_gap_and_pad(tmp_path: Path) -> None:
    t = np.round(np.arange(0, 20, 0.1), 1)
    on = np.zeros(t.size, bool)
    for a, b in ((2.0, 3.0), (3.3, 4.0), (10.0, 10.2), (15.0, 16.0)):
        on |= (t >= a) & (t < b - 1e-9)
    write_series(tmp_path / "r", "can", "r", pd.DataFrame({"flag": on.astype(float)}, index=t))
    sel = wb.build_catalog(tmp_path).select()
    spans = lambda ev: np.round(ev[["start", "end"]].to_numpy(), 6).tolist()  # noqa: E731
    assert spans(wb.find_events(sel, "flag > 0")) == [
        [2.0, 3.0], [3.3, 4.0], [10.0, 10.2], [15.0, 16.0]
    ]  # fmt: skip
    assert spans(wb.find_events(sel, "flag > 0", merge_gap=0.5)) == [
        [2.0, 4.0], [10.0, 10.2], [15.0, 16.0]
    ]  # fmt: skip
    assert spans(wb.find_events(sel, "flag > 0", merge_gap=0.5, min_duration=0.5)) == [
        [2.0, 4.0], [15.0, 16.0]
    ]  # fmt: skip
    # padding widens within the record's span and joins what then overlaps
    assert spans(wb.find_events(sel, "flag > 0", pad=3.0, min_duration=0.5)) == [
        [0.0, 7.0], [12.0, 19.0]
    ]  # fmt: skip
    fn = wb.find_events(sel, lambda df: df["flag"] > 0, signals=["flag"])
    assert spans(fn) == spans(wb.find_events(sel, "flag > 0"))
    assert fn.flag_max.tolist() == [1.0] * 4


def test_a_missing_column_lists_the_columns_there_are(catalog) -> None:
    with pytest.raises(InvalidArgumentError, match=r"uses \['brakes'\].*'speed_kmh'"):
        wb.find_events(catalog.select(), "brakes > 0.5")


@pytest.mark.parametrize(
    ("condition", "kwargs", "match"),
    [
        ("brake > > 1", {}, "syntax error at column"),
        ("", {}, "empty"),
        ("abs(brake) > 1", {}, "calls a function"),
        (42, {}, "pandas expression"),
        ("brake > 0", {"pad": -1}, "pad must be"),
        ("brake > 0", {"min_duration": float("nan")}, "min_duration must be"),
        ("brake > 0", {"start": 5.0, "end": 1.0}, "start=5.0 must be before"),
        ("brake > 0", {"segment_duration": 0}, "segment_duration"),
    ],
)
def test_bad_conditions_and_options_are_refused(catalog, condition, kwargs, match) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        wb.find_events(catalog.select(), condition, **kwargs)


def test_a_record_without_series_says_so(catalog) -> None:
    with pytest.raises(InvalidArgumentError, match="no time-series stream"):
        wb.find_events(catalog.select(content_type="video/*"), "brake > 0")


def test_the_notebook_view_shows_keyframe_thumbnails(catalog) -> None:
    ev = wb.find_events(catalog.select(), "brake > 0.5")
    page = ev._repr_html_()
    assert page.count("<img src='data:image/jpeg;base64,") == min(len(ev), 6)
    assert f"{len(ev)} events in 2 records" in page
    picked = ev[["record_id", "duration"]]  # still Events: shown as a plain table
    assert "<img" not in picked._repr_html_() and "duration" in picked._repr_html_()
    empty = wb.find_events(catalog.select(), "speed_kmh > 1000")
    assert len(empty) == 0 and list(empty.columns[:4]) == ["record_id", "start", "end", "duration"]


def test_conditions_work_element_wise_like_pandas_eval() -> None:
    from workbench.events import Condition

    df = pd.DataFrame(
        {"speed_kmh": [10.0, 40.0, 70.0, np.nan], "brake": [1, 0, 1, 1], "lane id": [1, 2, 2, 1]}
    )
    cases = [
        "30 < speed_kmh < 80",
        "not brake == 1 or speed_kmh * 2 > 130",
        "`lane id` == 2 and ~(brake > 0)",
        "speed_kmh > 5 & (brake == 1)",
        "brake",
    ]
    for expr in cases:
        want = df.eval(expr).fillna(False).to_numpy(dtype=bool)
        got = Condition(expr).evaluate(df, record_id="r")
        assert got.tolist() == want.tolist(), expr
    assert Condition("`lane id` == 2 and speed_kmh > 1").names == ("lane id", "speed_kmh")
    with pytest.raises(InvalidArgumentError, match="uses Attribute"):
        Condition("df.brake > 1")
    with pytest.raises(InvalidArgumentError, match=r"uses \['flag'\]"):
        Condition("brake > 0", signals=["flag"]).check_columns(["brake"], record_id="r")


@pytest.mark.dask
def test_the_same_events_on_a_local_cluster(catalog) -> None:
    import pickle

    from workbench.events import Condition

    cond = Condition("brake > 0.5 and speed_kmh > 20", signals=["speed_kmh"])
    again = pickle.loads(pickle.dumps(cond))
    assert again.names == ("speed_kmh",) and again.expression == cond.expression
    from distributed import Client, LocalCluster

    here = wb.find_events(catalog.select(), "brake > 0.5", pad=0.5)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster, Client(cluster, set_as_default=False) as client:  # fmt: skip
        there = wb.find_events(catalog.select(), "brake > 0.5", pad=0.5, client=client)
        with pytest.raises(InvalidArgumentError, match=r"failed on 2 of 2 records: .*brakes"):
            wb.find_events(catalog.select(), "brakes > 0.5", client=client)
    pd.testing.assert_frame_equal(pd.DataFrame(here), pd.DataFrame(there))


def test_only_the_streams_the_condition_names_are_read(catalog, monkeypatch) -> None:
    from workbench.formats.can.reader import CanReader
    from workbench.readers.timeseries import TimeSeriesReader

    read: list[str] = []
    for cls in (TimeSeriesReader, CanReader):
        real = cls.__iter__

        def spy(self, real=real):
            read.append(Path(str(self.source.path)).name)
            return real(self)

        monkeypatch.setattr(cls, "__iter__", spy)
    rid = catalog.record_ids()[0]
    wb.find_events(catalog.select(record_id=rid), "brake > 0.5 and speed_kmh > 20")
    assert read == ["can.csv"]  # not gps.csv, not the five messages of the CAN log
    read.clear()
    wb.find_events(catalog.select(record_id=rid), "brake > 0.5", signals=["lat"])
    assert sorted(read) == ["can.csv", "gps.csv"]  # a summarised signal is read too
