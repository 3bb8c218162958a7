"""workbench.sidecars: one reading of the dwtk sidecars for the catalog and the readers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import fsspec
import pytest

import workbench as wb
from workbench import sidecars
from workbench.catalog.ingest import ingest
from workbench.catalog.store import Store
from workbench.errors import SidecarError
from workbench.readers.source import resolve_source
from workbench.samples import make_video
from workbench.sidecars import (
    SidecarWarning,
    find_timestamps,
    json_sidecar_of,
    load_camera_timestamps,
    read_sidecar,
)

T0 = 1_500_000_000.0


def _file_with_sidecar(folder: Path, sidecar_text: str, name: str = "gps.csv") -> Path:
    data = folder / name
    data.write_text("timestamp,lat\n0,35\n")
    json_sidecar_of(data).write_text(sidecar_text)
    return data


def _catalog_row(folder: Path) -> tuple[list[tuple], list[tuple]]:
    store = Store(folder / "catalog.db", create=True)
    report = ingest(store, folder)
    rows = store.execute("SELECT record_id, start_timestamp FROM contents").fetchall()
    return rows, report.skipped


def _memory_folder() -> str:
    return f"memory:///sidecars-{uuid.uuid4().hex}"


# -- one record-id rule, one parse: the catalog and a reader agree ------------------------


@pytest.mark.parametrize(
    "meta",
    [
        {"record_id": "016_0001", "start_timestamp": T0, "content-type": "text/csv"},
        {"start_timestamp": T0},  # no record id: the file's record (its stem at the root)
        {"record_id": 16, "start_timestamp": str(T0)},  # a number is text, "1.5e9" a number
    ],
)
def test_catalog_and_reader_read_a_sidecar_alike(tmp_path: Path, meta: dict) -> None:
    data = _file_with_sidecar(tmp_path, json.dumps(meta))
    rows, skipped = _catalog_row(tmp_path)
    src = resolve_source(data)
    assert skipped == []
    assert rows == [(src.record_id, src.start_timestamp)]
    assert src.start_timestamp == T0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{oops", "invalid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"record_id": ["016"]}', "'record_id' must be a string"),
        ('{"start_timestamp": "soon"}', "'start_timestamp' must be a number"),
        ('{"start_timestamp": 5, "end_timestamp": 1}', "before start_timestamp"),
        ('{"start_timestamp": Infinity}', "finite number"),
    ],
)
def test_a_bad_sidecar_is_reported_by_the_catalog_and_warned_about_by_a_reader(
    tmp_path: Path, text: str, reason: str
) -> None:
    data = _file_with_sidecar(tmp_path, text)
    rows, skipped = _catalog_row(tmp_path)
    assert rows == [] and skipped == [(json_sidecar_of(data), skipped[0][1])]
    assert reason in skipped[0][1]
    with pytest.warns(SidecarWarning, match=reason) as caught:
        src = resolve_source(data)
    assert str(json_sidecar_of(data)) in str(caught[0].message)
    # the file's own metadata instead: its name, no start time
    assert (src.record_id, src.start_timestamp, src.content_type) == ("gps", 0.0, "text/csv")


def test_a_nan_start_is_no_start_for_both(tmp_path: Path) -> None:
    """A reader took NaN as the start (every absolute time NaN); the catalog took none."""
    data = _file_with_sidecar(tmp_path, '{"record_id": "r", "start_timestamp": NaN}')
    rows, _ = _catalog_row(tmp_path)
    assert rows == [("r", None)]
    assert resolve_source(data).start_timestamp == 0.0


def test_one_size_limit_for_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sidecars, "MAX_SIDECAR_BYTES", 64)
    data = _file_with_sidecar(tmp_path, json.dumps({"record_id": "r", "pad": "x" * 100}))
    _, skipped = _catalog_row(tmp_path)
    assert "larger than 64 bytes" in skipped[0][1]
    with pytest.warns(SidecarWarning, match="larger than 64 bytes"):
        assert resolve_source(data).record_id == "gps"


def test_a_good_sidecar_gives_no_warning(tmp_path: Path) -> None:
    import warnings

    data = _file_with_sidecar(tmp_path, json.dumps({"record_id": "r1"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_source(data).record_id == "r1"


# -- remote sidecars (fsspec's memory filesystem) ----------------------------------------


def test_read_sidecar_through_fsspec() -> None:
    folder = _memory_folder()
    fs = fsspec.filesystem("memory")
    assert read_sidecar(f"{folder}/missing.csv.json") is None
    fs.pipe_file(f"{folder}/a.csv.json", b'{"record_id": "r", "start_timestamp": 3}')
    side = read_sidecar(f"{folder}/a.csv.json")
    assert side is not None and (side.record_id, side.start_timestamp) == ("r", 3.0)
    fs.pipe_file(f"{folder}/bad.csv.json", b"")
    with pytest.raises(SidecarError, match="invalid JSON") as info:
        read_sidecar(f"{folder}/bad.csv.json")
    assert info.value.location == f"{folder}/bad.csv.json"


def test_a_bad_remote_sidecar_warns_too() -> None:
    folder = _memory_folder()
    fs = fsspec.filesystem("memory")
    fs.pipe_file(f"{folder}/gps.csv", b"timestamp,lat\n0,35\n")
    fs.pipe_file(f"{folder}/gps.csv.json", b"{oops")
    with pytest.warns(SidecarWarning, match="invalid JSON"):
        src = resolve_source(f"{folder}/gps.csv")
    assert (src.record_id, src.start_timestamp) == ("gps", 0.0)


# -- the per-frame timestamps CSV ------------------------------------------------------------


@pytest.mark.parametrize("name", ["cam_timestamps.csv", "cam.mp4_timestamps.csv"])
def test_both_timestamps_spellings_are_found_locally_and_remotely(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / "cam.mp4").write_bytes(b"")
    (tmp_path / name).write_text(f"{T0 * 1000:.0f}\n{T0 * 1000 + 40:.0f}\n")
    assert find_timestamps(tmp_path / "cam.mp4") == tmp_path / name
    assert load_camera_timestamps(tmp_path / name).tolist() == pytest.approx([T0, T0 + 0.04])
    folder = _memory_folder()
    fsspec.filesystem("memory").pipe_file(f"{folder}/{name}", (tmp_path / name).read_bytes())
    assert find_timestamps(f"{folder}/cam.mp4") == f"{folder}/{name}"
    assert find_timestamps(f"{folder}/other.mp4") is None


def test_a_record_finds_its_timestamps_through_the_same_lookup(tmp_path: Path) -> None:
    folder = tmp_path / "records" / "016" / "data"
    folder.mkdir(parents=True)
    video = make_video(folder / "cam.mp4", size=(32, 16), fps=10, frames=3)
    (folder / "cam.mp4_timestamps.csv").write_text(f"{T0}\n{T0 + 0.1}\n{T0 + 0.2}\n")
    cat = wb.build_catalog(tmp_path)
    (rec,) = list(cat.select())
    assert rec.timestamps_csv == find_timestamps(video) == folder / "cam.mp4_timestamps.csv"
    assert (rec.record_id, rec.start_timestamp) == ("016", pytest.approx(T0))


def test_a_bag_sidecar_is_read_by_the_same_parse(tmp_path: Path) -> None:
    """The bag catalog had its own reading: tags of the wrong kind were dropped silently."""
    from workbench.samples.bags import write_sample_bag

    good = write_sample_bag(tmp_path / "good.bag", duration_seconds=1)
    json_sidecar_of(good).write_text(json.dumps({"tags": "bag", "start_timestamp": T0}))
    bad = write_sample_bag(tmp_path / "bad.bag", duration_seconds=1)
    json_sidecar_of(bad).write_text(json.dumps({"record_id": "r", "tags": {"bag": 1}}))
    cat = wb.build_catalog(tmp_path)
    assert set(cat.select(tags="bag").df["record_id"]) == {"good"}  # a string is one tag
    ((path, reason),) = cat.last_report.skipped
    assert path == json_sidecar_of(bad) and "'tags' must be a list of strings" in reason
