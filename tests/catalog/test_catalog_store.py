from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from pathlib import Path

import pytest
from catalog_support import sidecar

import workbench as wb


def test_open_missing_catalog_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    with pytest.raises(wb.CatalogNotFoundError, match=r"missing\.db") as info:
        wb.open_catalog(db)
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(FileNotFoundError):
        wb.open_catalog(db, readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_open_something_that_is_not_a_catalog(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(wb.CatalogError, match=r"junk\.db"):
        wb.open_catalog(junk)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(wb.CatalogError, match="not a workbench catalog"):
        wb.open_catalog(plain, readonly=True)


def test_catalog_uses_wal(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    assert cat._store.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cat._store.con.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_read_only_catalog_refuses_writes(dataset: Path) -> None:
    wb.build_catalog(dataset).close()
    cat = wb.open_catalog(dataset / "catalog.db", readonly=True)
    assert len(cat.select(tags="camera")) == 3  # reading works
    with pytest.raises(wb.ReadOnlyCatalogError, match="read-only") as info:
        cat.ingest()
    assert isinstance(info.value, PermissionError)
    with pytest.raises(wb.ReadOnlyCatalogError), cat._store.write():
        pass
    # even a raw SQL write through the connection is refused by SQLite itself
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        cat._store.con.execute("DELETE FROM contents")
    assert len(cat) == 7


def _ingest_worker(db: str, root: str, top: str, barrier: multiprocessing.Barrier) -> None:
    barrier.wait()
    cat = wb.Catalog(db, create=True)
    if cat.root is None:
        cat.ingest(root)
    cat.ingest(top)
    cat.close()


@pytest.mark.slow
def test_two_processes_ingesting_at_once_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for part in ("a", "b"):
        for i in range(120):
            d = root / part / f"{part}_{i:03d}"
            d.mkdir(parents=True)
            f = d / "log.csv"
            f.write_text("t,x\n0,1\n")
            sidecar(
                f,
                {
                    "record_id": f"{part}_{i:03d}",
                    "start_timestamp": i,
                    "end_timestamp": i + 1,
                    "contents": {"log": {"tags": [part, "log"]}},
                },
            )
    db = tmp_path / "catalog.db"  # does not exist yet: both race to create it
    # fork: the children start at once (no re-import); each opens its own connection
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_ingest_worker, args=(str(db), str(root), str(root / p), barrier))
        for p in ("a", "b")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    cat = wb.open_catalog(db)
    assert len(cat.select(tags="a")) == 120 and len(cat.select(tags="b")) == 120
    assert len(cat) == 240
    # the same whole root from two processes at once: still exactly one row per file
    shutil.rmtree(root / "b" / "b_000")
    procs = [
        ctx.Process(target=_ingest_worker, args=(str(db), str(root), str(root), barrier))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert len(cat) == 239
    assert cat.sql("SELECT count(DISTINCT path) AS n FROM contents")["n"][0] == 239
