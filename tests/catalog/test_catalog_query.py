from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest
from catalog_support import T0

import workbench as wb


def _ids(sel: wb.Selection) -> list[tuple[str, str]]:
    return sorted(zip(sel.df.record_id, sel.df.contents, strict=True))


def test_tags_match_exactly_and_all_of(built: wb.Catalog) -> None:
    cams = built.select(tags=["camera"])
    assert _ids(cams) == [
        ("016_0001", "camera/front-center"),
        ("016_0001", "camera/rear"),
        ("016_0002", "camera/front-center"),
    ]  # 'camera_raw' is not 'camera'
    assert _ids(built.select(tags=["camera", "front"])) == [
        ("016_0001", "camera/front-center"),
        ("016_0002", "camera/front-center"),
    ]
    assert len(built.select(tags=["camera", "front", "rear"])) == 0
    assert len(built.select(tags="camera_raw")) == 1
    assert len(built.select(tags=["camera", "camera"])) == 3  # duplicates do not matter


def test_any_and_exclude_tags(built: wb.Catalog) -> None:
    assert _ids(built.select(any_tags=["gps", "can"])) == [
        ("016_0001", "can"),
        ("016_0002", "gps"),
    ]
    sel = built.select(tags="camera", exclude_tags=["rear"])
    assert [c for _, c in _ids(sel)] == ["camera/front-center"] * 2
    assert len(built.select(exclude_tags=["camera", "camera_raw", "video"])) == 2


def test_record_id_and_content_type_globs(built: wb.Catalog) -> None:
    assert set(built.select(record_id="016_*").df.record_id) == {"016_0001", "016_0002"}
    assert set(built.select(record_id="01[7]_*").df.record_id) == {"017_0001"}
    assert set(built.select(record_id=["017_*", "loose"]).df.record_id) == {"017_0001", "loose"}
    assert len(built.select(record_id="016%")) == 0  # GLOB, not LIKE
    assert set(built.select(content_type="video/*").df.contents) == {
        "camera/front-center",
        "camera/rear",
        "camera/raw",
        "clip",
    }
    assert set(built.select(content_type="text/csv").df.contents) == {"can", "gps"}


def test_between_is_an_overlap_test(built: wb.Catalog) -> None:
    # 016_0002 spans [T0+100, T0+102]
    assert set(built.select(between=(T0 + 101, T0 + 101.5)).df.record_id) == {"016_0002"}
    assert set(built.select(between=(T0 + 102, T0 + 200)).df.record_id) == {"016_0002"}
    assert set(built.select(between=(T0 + 95, T0 + 100)).df.record_id) == {"016_0002"}
    assert len(built.select(between=(T0 + 102.01, T0 + 499))) == 0
    both = built.select(tags="camera", between=(T0, T0 + 1000))
    assert set(both.df.record_id) == {"016_0001", "016_0002"}
    with pytest.raises(wb.InvalidArgumentError, match="t1 must not be before t0"):
        built.select(between=(5, 1))
    with pytest.raises(wb.InvalidArgumentError, match="pair"):
        built.select(between=5)


def test_between_uses_an_index(built: wb.Catalog) -> None:
    from workbench.catalog.query import build_select

    sql, params = build_select(
        between=(T0, T0 + 1), max_span=built._max_span(), columns=("id",), view="contents"
    )
    plan = " ".join(r[3] for r in built._store.con.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX contents_by_start (start_timestamp>? AND start_timestamp<?)" in plan
    span_plan = built._store.con.execute(
        "EXPLAIN QUERY PLAN SELECT max(end_timestamp - start_timestamp) FROM contents"
    ).fetchall()
    assert "contents_by_span" in span_plan[0][3]


@pytest.mark.parametrize(
    "evil",
    ["a' OR 1=1 --", "camera' OR '1'='1", '" OR 1=1 --', "camera); DROP TABLE tags; --", "%"],
)
def test_values_are_bound_never_pasted(built: wb.Catalog, evil: str) -> None:
    assert len(built.select(tags=[evil])) == 0
    assert len(built.select(any_tags=[evil])) == 0
    assert len(built.select(record_id=evil)) == 0
    assert len(built.select(exclude_tags=[evil])) == len(built)
    assert len(built.select(tags="camera")) == 3  # nothing was dropped


def test_where_with_params_and_sql_errors(built: wb.Catalog) -> None:
    sel = built.select(where="frequency >= ? AND record_id = ?", params=(50, "016_0001"))
    assert sel.df.contents.tolist() == ["can"]
    named = built.select(tags="camera", where="width = :w", params={"w": 64})
    assert len(named) == 3
    with pytest.raises(wb.CatalogQueryError, match="no such column: bogus") as info:
        built.select(where="bogus = 1")
    assert isinstance(info.value, ValueError)
    with pytest.raises(wb.CatalogQueryError, match="syntax error"):
        built.select(where="record_id = = 'x'")
    with pytest.raises(wb.CatalogQueryError, match="syntax error"):
        built.select(where="1; DELETE FROM contents")
    assert len(built) == 7
    with pytest.raises(wb.InvalidArgumentError, match="params were given without a where"):
        built.select(params=(1,))


def test_order_by_and_limit(built: wb.Catalog) -> None:
    sel = built.select(order_by="-start_timestamp", limit=2)
    assert sel.df.record_id.tolist() == ["017_0001", "016_0002"]
    sel = built.select(order_by=["record_id", "contents desc"], content_type="video/*")
    assert sel.df.contents.tolist()[:2] == ["camera/rear", "camera/front-center"]
    with pytest.raises(wb.InvalidArgumentError, match="not a known column"):
        built.select(order_by="start_timestamp; DROP TABLE contents")
    with pytest.raises(wb.InvalidArgumentError, match="limit"):
        built.select(limit=-1)
    assert len(built.select(limit=0)) == 0


def test_selection_dataframe_and_records(built: wb.Catalog) -> None:
    sel = built.select(tags=["camera", "front"])
    df = sel.df
    assert isinstance(df, pd.DataFrame) and len(sel) == len(df) == 2
    for column in (
        "record_id",
        "path",
        "start_timestamp",
        "end_timestamp",
        "tags",
        "content_type",
        "contents",
        "width",
        "height",
        "fps",
        "num_frames",
        "duration",
        "codec",
        "extra",
    ):
        assert column in df.columns
    assert df.tags.tolist() == [["camera", "front", "center"]] * 2
    recs = list(sel)
    assert all(isinstance(r, wb.Record) for r in recs)
    rec = recs[0]
    assert rec.record_id == rec["record_id"] == "016_0001"
    assert rec.path.is_absolute() and rec.path.is_file() and rec.path.name == "camera_01.mp4"
    assert rec.tags == ["camera", "front", "center"]
    assert rec.width == 64 and isinstance(rec.width, int)
    assert rec["content-type"] == "video/mp4"  # dwtk key spelling
    assert rec["weather"] == "rain" and rec.extra == {
        "weather": "rain",
        "sidecar_path": "/opt/elsewhere/016_0001/data/camera_01.mp4",
    }
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = rec.nope
    with pytest.raises(AttributeError, match="read-only"):
        rec.record_id = "x"
    assert pickle.loads(pickle.dumps(rec)) == rec
    assert sel[-1].record_id == "016_0002"
    with pytest.raises(IndexError):
        sel[5]


def test_recordings_group_the_streams_of_a_record(built: wb.Catalog) -> None:
    groups = built.select(record_id="016_*").recordings()
    assert [g.record_id for g in groups] == ["016_0001", "016_0002"]
    first = groups[0]
    assert sorted(first.streams) == ["camera/front-center", "camera/rear", "can"]
    assert first["can"].msg_type == "can_frame"
    assert sorted(first.cameras.df.contents) == ["camera/front-center", "camera/rear"]
    assert first.start_timestamp == pytest.approx(T0)
    with pytest.raises(KeyError, match="has no stream 'gps'"):
        first["gps"]


def test_reprs(built: wb.Catalog) -> None:
    sel = built.select(tags="camera")
    assert "3 streams, from 2 records" in repr(sel)
    html = sel._repr_html_()
    assert "016_0001" in html and "camera/front-center" in html and "<table" in html
    assert "<b>Catalog</b>" in built._repr_html_()
    empty = built.select(tags="<script>")
    assert "&lt;script&gt;" in empty._repr_html_() and "<script>" not in empty._repr_html_()


def test_tags_with_counts(built: wb.Catalog) -> None:
    counts = dict(built.tags().itertuples(index=False))
    assert counts["camera"] == 3 and counts["front"] == 3 and counts["camera_raw"] == 1
    assert counts["video"] == 1 and counts["gps"] == 1
    assert built.tags().iloc[0]["tag"] in {"camera", "front"}


def test_reading_a_moved_file_names_it(built: wb.Catalog, tmp_path: Path) -> None:
    rec = built.select(tags="can")[0]
    moved = tmp_path / "can.csv"
    shutil.move(rec.path, moved)
    try:
        with pytest.raises(wb.SourceNotFoundError, match=r"can\.csv") as info:
            rec.read()
        assert str(rec.path) in str(info.value) and "016_0001" in str(info.value)
        assert built.select(record_id="016_0001").missing() == [rec.path]
    finally:
        shutil.move(moved, rec.path)


def test_sql_is_read_only(built: wb.Catalog) -> None:
    df = built.sql("SELECT record_id, tags FROM meta_df WHERE contents = ?", ("can",))
    assert df.to_dict("records") == [{"record_id": "016_0001", "tags": "can;vehicle"}]
    with pytest.raises(wb.ReadOnlyCatalogError):
        built.sql("DELETE FROM contents")
    with pytest.raises(wb.CatalogError):
        built.sql("WITH x AS (SELECT 1) DELETE FROM contents")
    assert len(built) == 7


def test_sql_tag_clauses_agree_with_the_postings(built: wb.Catalog) -> None:
    from workbench.catalog.query import build_select

    for kwargs in (
        {"tags": ["camera", "front"]},
        {"any_tags": ["gps", "rear"]},
        {"tags": "camera", "exclude_tags": "rear"},
        {"any_tags": ["front", "can"], "exclude_tags": ["camera_raw"]},
    ):
        sql, params = build_select(**kwargs, columns=("id",))
        via_sql = sorted(r[0] for r in built._store.con.execute(sql, params))
        assert via_sql == sorted(built.select(**kwargs).df.id.tolist()), kwargs


def test_other_connections_see_new_tags(dataset: Path) -> None:
    writer = wb.build_catalog(dataset)
    reader = wb.open_catalog(dataset / "catalog.db", readonly=True)
    assert len(reader.select(tags="obd")) == 0  # caches the (empty) posting
    new = dataset / "records/016_0002/data/obd.csv"
    new.write_text("t,x\n1,2\n")
    (dataset / "records/016_0002/data/obd.csv.json").write_text(
        '{"record_id": "016_0002", "contents": {"obd": {"tags": ["obd", "camera"]}}}'
    )
    writer.ingest()
    assert len(writer.select(tags="obd")) == 1
    assert len(reader.select(tags="obd")) == 1  # another connection's commit is noticed
    assert len(reader.select(tags="camera")) == 4


def test_many_tag_matches_with_a_narrowing_filter_agree(
    built: wb.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.catalog.catalog as catalog_module

    queries = [
        {"tags": "camera", "between": (T0, T0 + 1)},
        {"any_tags": ["gps", "rear"], "record_id": "016_*"},
        {"tags": "front", "exclude_tags": "camera_raw", "content_type": "video/*"},
    ]
    expected = [built.select(**q).df.id.tolist() for q in queries]
    monkeypatch.setattr(catalog_module, "_MAX_BOUND_IDS", 0)  # force the SQL tag clauses
    assert [built.select(**q).df.id.tolist() for q in queries] == expected
    assert all(expected)
