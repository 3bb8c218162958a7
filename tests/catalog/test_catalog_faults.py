"""Faults found when the catalog was attacked (issue 18 §2): each must be refused cleanly."""

from __future__ import annotations

import builtins
import html
import json
import math
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from catalog_support import sidecar

import workbench as wb
from workbench import sidecars as sidecars_module
from workbench.catalog import ingest as ingest_module
from workbench.catalog.schema import SCHEMA_VERSION

# -- symbolic links --------------------------------------------------------------------


def _paths(cat: wb.Catalog) -> list[str]:
    return sorted(cat.sql("SELECT path FROM contents")["path"])


def test_a_link_loop_catalogues_each_file_once(dataset: Path) -> None:
    os.symlink(".", dataset / "records" / "016_0001" / "data" / "l1")
    cat = wb.build_catalog(dataset)
    paths = _paths(cat)
    assert len(paths) == 7 == len(set(paths))
    assert not any("/l1/" in p for p in paths)
    (link, reason), *_ = [s for s in cat.last_report.skipped if "l1" in str(s[0])]
    assert link == dataset / "records/016_0001/data/l1" and "walked already" in reason


@pytest.mark.timeout(60)  # the code before the fix walked these two links for ever
def test_two_link_loops_end(dataset: Path) -> None:
    data = dataset / "records" / "016_0001" / "data"
    os.symlink(".", data / "l1")
    os.symlink("..", data / "l2")
    os.symlink(str(dataset), dataset / "records" / "up")
    cat = wb.build_catalog(dataset)
    assert len(cat) == 7
    assert len(cat.last_report.skipped) == 3


def test_links_outside_the_root_are_skipped_unless_allowed(dataset: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("t,x\n0,1\n")
    sidecar(secret, {"record_id": "x", "contents": {"s": {"tags": ["secret"]}}})
    data = dataset / "records" / "016_0002" / "data"
    os.symlink(secret, data / "linked.csv")  # a file link, with its own sidecar
    sidecar(data / "linked.csv", {"record_id": "016_0002", "contents": {"l": {"tags": ["l"]}}})
    os.symlink(outside, dataset / "records" / "outside")  # a folder link
    cat = wb.build_catalog(dataset)
    assert len(cat) == 7 and len(cat.select(any_tags=["secret", "l"])) == 0
    skipped = dict(cat.last_report.skipped)
    for link in (data / "linked.csv", dataset / "records" / "outside"):
        assert "outside the dataset root" in skipped[link]
        assert "follow_external_links=True" in skipped[link]
    cat.close()
    cat = wb.build_catalog(dataset, follow_external_links=True)
    assert len(cat) == 9
    assert [r.path for r in cat.select(tags="secret")] == [dataset / "records/outside/secret.csv"]


# -- sidecars ---------------------------------------------------------------------------

BAD_SIDECARS = {
    "deep nesting": (
        '{"contents": {"c": {"tags": ' + "[" * 100_000 + "]" * 100_000 + "}}}",
        "nested too deeply",
    ),
    "count Infinity": ('{"contents": {"c": {"count": Infinity}}}', "finite number"),
    "count 1e400": ('{"contents": {"c": {"count": 1e400}}}', "finite number"),
    "count 10**30": (
        '{"contents": {"c": {"count": ' + str(10**30) + "}}}",
        "integer SQLite can store",
    ),
    "start 10**400": ('{"start_timestamp": ' + str(10**400) + "}", "finite number"),
    "start -Infinity": ('{"start_timestamp": -Infinity}', "finite number"),
    "5000 digits": ('{"record_id": ' + "9" * 5000 + "}", "invalid JSON"),
    "empty contents": ('{"contents": {}}', "'contents' is empty"),
    "lone surrogate": ('{"record_id": "\\ud800"}', "not valid Unicode"),
    "surrogate tag": ('{"contents": {"c": {"tags": ["\\udfff"]}}}', "not valid Unicode"),
}


@pytest.mark.parametrize("name", sorted(BAD_SIDECARS))
def test_one_bad_sidecar_never_stops_the_ingest(dataset: Path, name: str) -> None:
    text, reason = BAD_SIDECARS[name]
    bad = dataset / "records/016_0001/data/imu.csv"
    bad.write_text("t,a\n0,1\n")
    bad.with_name("imu.csv.json").write_text(text)
    cat = wb.build_catalog(dataset)
    report = cat.last_report
    assert len(report.added) == 7 and len(cat) == 7  # everything else went in
    assert report.skipped == [(bad.with_name("imu.csv.json"), report.skipped[0][1])]
    assert reason in report.skipped[0][1]


def test_a_sidecar_over_the_size_limit_is_skipped_unread(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ingest_module.MAX_SIDECAR_BYTES == 16 * 2**20
    monkeypatch.setattr(sidecars_module, "MAX_SIDECAR_BYTES", 4096)
    big = dataset / "records/016_0001/data/big.csv"
    big.write_text("t,a\n0,1\n")
    meta = {"record_id": "016_0001", "contents": {"c": {"tags": ["big"]}}, "pad": "x" * 5000}
    side = sidecar(big, meta)
    opened: list[str] = []
    real_open = builtins.open

    def watch(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(sidecars_module, "open", watch, raising=False)
    cat = wb.build_catalog(dataset)
    assert len(cat.select(tags="big")) == 0 and len(cat) == 7
    ((path, reason),) = cat.last_report.skipped
    assert path == side and "larger than 4096 bytes" in reason
    assert str(side) not in opened  # refused from its size, never read


def test_a_value_sqlite_refuses_at_write_time_skips_only_that_file(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write phase has its own safety net: one file's failed insert keeps the rest."""
    monkeypatch.setattr(ingest_module, "_check_values", lambda values: None)
    bad = dataset / "records/016_0001/data/imu.csv"
    bad.write_text("t,a\n0,1\n")
    bad.with_name("imu.csv.json").write_text('{"record_id": "\\ud800"}')
    cat = wb.build_catalog(dataset)
    assert len(cat) == 7
    assert [p.name for p, _ in cat.last_report.skipped] == ["imu.csv.json"]


# -- read-only folders and permissions ----------------------------------------------------


def test_read_only_catalog_on_a_read_only_folder(dataset: Path, tmp_path: Path) -> None:
    """A folder SQLite cannot create ``catalog.db-shm`` in, as on a read-only mount.

    Tests run as root, for whom ``chmod`` stops nothing; so the check runs in a child
    process without the capabilities that let root ignore file modes (setpriv), where
    the folder really is unwritable: ``mode=ro`` then fails and ``immutable=1`` must be
    used. A bind mount would need privileges this machine does not give.
    """
    from catalog_support import run_without_file_override

    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copytree(dataset, folder / "data")
    wb.build_catalog(folder / "data", db=folder / "catalog.db").close()
    locked = tmp_path / "locked"
    locked.mkdir()
    unreadable = tmp_path / "unreadable.db"
    shutil.copy(folder / "catalog.db", unreadable)
    os.chmod(folder, 0o555)
    os.chmod(locked, 0o000)
    os.chmod(unreadable, 0o000)
    try:
        out = run_without_file_override(
            f"""
import workbench as wb
from pathlib import Path
folder = Path({str(folder)!r})
try:
    (folder / "probe").write_text("x")
except PermissionError:
    print("folder unwritable")
cat = wb.open_catalog(folder / "catalog.db", readonly=True)
print("cameras", len(cat.select(tags="camera")), "immutable", cat._store.immutable)
try:
    cat.ingest()
except wb.ReadOnlyCatalogError as exc:
    print("ingest refused:", exc)
try:
    wb.open_catalog(folder / "catalog.db")
except wb.ReadOnlyCatalogError as exc:
    print("write refused:", exc)
try:
    wb.open_catalog(Path({str(locked)!r}) / "catalog.db")
except wb.CatalogPermissionError as exc:
    print("locked:", type(exc).__name__, isinstance(exc, PermissionError), exc)
for readonly in (True, False):
    try:
        wb.open_catalog(Path({str(unreadable)!r}), readonly=readonly)
    except wb.CatalogPermissionError as exc:
        print("unreadable:", readonly, exc)
"""
        )
    finally:
        os.chmod(folder, 0o755)
        os.chmod(locked, 0o755)
    assert "folder unwritable" in out
    assert "cameras 3 immutable True" in out
    assert "write refused:" in out and "readonly=True" in out and "not writable" in out
    assert "ingest refused:" in out and "read-only mount" in out
    assert "locked: CatalogPermissionError True" in out and "permission denied" in out
    assert "unreadable: True" in out and "unreadable: False" in out
    assert sorted(p.name for p in folder.iterdir()) == ["catalog.db", "data"]


# -- Catalog.sql -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "PRAGMA foreign_keys=OFF",
        "PRAGMA journal_mode=DELETE",
        "PRAGMA query_only=OFF",
        "PRAGMA user_version=3",
        "WITH x AS (SELECT 1) DELETE FROM contents",
        "WITH x AS (SELECT 1) INSERT INTO tags SELECT 'a', 1, 0 FROM x",
        "SELECT 1; DELETE FROM contents",
    ],
)
def test_sql_runs_only_statements_that_read(dataset: Path, statement: str) -> None:
    cat = wb.build_catalog(dataset)
    with pytest.raises((wb.ReadOnlyCatalogError, wb.CatalogQueryError)):
        cat.sql(statement)
    assert cat.sql("PRAGMA journal_mode")["journal_mode"][0] == "wal"
    assert cat.sql("PRAGMA foreign_keys")["foreign_keys"][0] == 1
    assert cat.sql("PRAGMA user_version")["user_version"][0] == 0
    assert len(cat) == 7 and len(cat.select(tags="camera")) == 3
    # the catalog is still writable by ingest afterwards, and still cascades deletes
    shutil.rmtree(dataset / "records" / "016_0002")
    cat.ingest()
    assert len(cat) == 5
    assert (
        cat.sql(
            "SELECT count(*) AS n FROM tags t LEFT JOIN contents c "
            "ON c.id = t.content_id WHERE c.id IS NULL"
        )["n"][0]
        == 0
    )


def test_sql_refusal_says_what_the_statement_would_do(built: wb.Catalog) -> None:
    with pytest.raises(wb.ReadOnlyCatalogError, match="PRAGMA foreign_keys = OFF") as info:
        built.sql("PRAGMA foreign_keys=OFF")
    assert isinstance(info.value, PermissionError)
    with pytest.raises(wb.ReadOnlyCatalogError, match="delete rows from 'contents'"):
        built.sql("WITH x AS (SELECT 1) DELETE FROM contents")
    # reading pragmas and introspection still work
    assert "record_id" in built.sql("PRAGMA table_info(contents)")["name"].tolist()
    assert built.sql("SELECT count(*) AS n FROM meta_df")["n"][0] == 7


# -- parameters, limits, between, tags ----------------------------------------------------


def test_user_parameter_named_like_an_internal_one(dataset: Path) -> None:
    odd = dataset / "records" / "a'b"
    odd.mkdir()
    (odd / "log.csv").write_text("t,x\n0,1\n")
    sidecar(odd / "log.csv", {"record_id": "a'b", "contents": {"log": {"tags": ["log"]}}})
    cat = wb.build_catalog(dataset)
    for name in ("_wb0", "_wb1", "_wb_1"):
        sel = cat.select(
            tags=["log"],
            content_type="text/*",
            record_id="a*",
            where=f"record_id = :{name}",
            params={name: "a'b"},
        )
        assert sel.df.record_id.tolist() == ["a'b"], name


def test_bad_limits_and_times_are_refused(built: wb.Catalog) -> None:
    for limit in (10**30, 2**63, -1):
        with pytest.raises(wb.InvalidArgumentError, match="limit"):
            built.select(limit=limit)
    assert len(built.select(limit=2**63 - 1)) == 7
    for between in ((math.nan, 1), (0, math.nan), (math.nan, math.nan)):
        with pytest.raises(wb.InvalidArgumentError, match="NaN"):
            built.select(between=between)
    assert len(built.select(between=(-math.inf, math.inf))) == 7


def test_tags_are_normalised_the_same_way_on_both_sides(dataset: Path) -> None:
    side = dataset / "records/016_0002/data/gps.csv.json"
    meta = json.loads(side.read_text())
    meta["contents"]["gps"]["tags"] = [" lead ", "gps"]
    side.write_text(json.dumps(meta))
    cat = wb.build_catalog(dataset)
    for asked in (["lead"], [" lead"], ["lead\t"], "  lead"):
        assert len(cat.select(tags=asked)) == 1, asked
        assert len(cat.select(any_tags=asked)) == 1, asked
        assert len(cat.select(exclude_tags=asked)) == 6, asked
    assert len(cat.select(tags=[" camera", "front "])) == 2
    with pytest.raises(wb.InvalidArgumentError, match="empty"):
        cat.select(tags=["  "])


@pytest.mark.parametrize("typo", ["camra", "Camera", "CAMERA "])
def test_an_empty_selection_names_the_close_tags(built: wb.Catalog, typo: str) -> None:
    sel = built.select(tags=[typo, "front"])
    assert len(sel) == 0
    assert "did you mean 'camera'" in repr(sel)
    assert "did you mean 'camera'" in html.unescape(sel._repr_html_())
    with pytest.raises(wb.SelectionIndexError, match="did you mean 'camera'") as info:
        sel[0]
    assert isinstance(info.value, IndexError)
    # a tag that exists: no hint; a selection that is not empty: no hint either
    assert "did you mean" not in repr(built.select(tags=["camera", "gps"]))
    assert "did you mean" not in repr(built.select(any_tags=[typo, "front"]))


# -- files that are not catalogs, damaged catalogs -----------------------------------------


def test_a_file_that_is_not_a_catalog_is_never_written(tmp_path: Path, dataset: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE x (a)").connection.close()
    before = plain.read_bytes()
    for path in (empty, plain):
        for call in (
            lambda p: wb.open_catalog(p),
            lambda p: wb.open_catalog(p, readonly=True),
            lambda p: wb.build_catalog(dataset, db=p),
            lambda p: wb.Catalog(p, create=True),
        ):
            with pytest.raises(wb.CatalogError, match="not a workbench catalog") as info:
                call(path)
            assert str(path) in str(info.value)
    assert empty.stat().st_size == 0
    assert plain.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "empty.db", "plain.db"]


def test_a_new_catalog_appears_whole(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    cat = wb.Catalog(db, create=True)
    assert len(cat) == 0 and cat.sql("PRAGMA journal_mode")["journal_mode"][0] == "wal"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    cat.close()
    assert len(wb.open_catalog(db)) == 0


def test_a_damaged_catalog_raises_a_catalog_error(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    page = cat.sql("PRAGMA page_size")["page_size"][0]
    cat.close()
    db = dataset / "catalog.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 2 * page
    data[page:] = b"\xa5" * (len(data) - page)  # everything past the first page
    db.write_bytes(bytes(data))
    with pytest.raises(wb.CatalogError, match=r"catalog\.db.*damaged") as info:
        cat = wb.open_catalog(db, readonly=True)
        len(cat.select(tags="camera"))
        len(cat)
        cat.tags()
    assert not isinstance(info.value, sqlite3.Error)
    with pytest.raises(wb.CatalogError, match="damaged"):
        wb.build_catalog(dataset)  # ingest into it: refused the same way


def test_a_catalog_of_the_previous_schema_is_migrated(dataset: Path) -> None:
    wb.build_catalog(dataset).close()
    db = dataset / "catalog.db"
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE files DROP COLUMN stamp")
    con.execute("ALTER TABLE files DROP COLUMN sidecar_stamp")
    con.execute("DROP TABLE labels")  # version 1 had neither stamps nor labels
    con.execute("UPDATE catalog_info SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert len(wb.open_catalog(db, readonly=True).select(tags="camera")) == 3  # as it is
    cat = wb.open_catalog(db)
    version = cat.sql("SELECT value FROM catalog_info WHERE key = 'schema_version'")["value"][0]
    assert version == str(SCHEMA_VERSION)  # migrated to the current schema
    report = cat.ingest()  # local files keep their identity: nothing is re-read
    assert report.unchanged == 7 and report.updated == [] and len(cat) == 7
    assert cat.sql("SELECT count(*) AS n FROM files WHERE stamp IS NULL")["n"][0] == 7
