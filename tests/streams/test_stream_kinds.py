"""Packed binaries, file collections, SQL tables and the datastore table (both backends)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from workbench.errors import (
    CatalogQueryError,
    CorruptMediaError,
    CorruptStreamError,
    FrameIndexError,
    InvalidArgumentError,
    ReadOnlyCatalogError,
    SourceNotFoundError,
    StreamNotFoundError,
)
from workbench.streams import Datastore, FilesStream, PackedStream, TableStream
from workbench.streams.storage import FilesStorage

# -- packed binaries ------------------------------------------------------------------------


def test_packed_roundtrip_and_random_access(storage: FilesStorage) -> None:
    rows = [bytes([i]) * (i * 7) for i in range(30)]
    packed = PackedStream("p/rows.bin", storage=storage).write(rows)
    assert len(packed) == 30
    assert packed[0] == b"" and packed[29] == rows[29] and packed[-2] == rows[28]
    assert list(packed.load()) == rows
    assert list(packed.load(rows=[5, 4, 6, 29, 0])) == [rows[i] for i in (5, 4, 6, 29, 0)]
    assert list(packed.sizes) == [len(r) for r in rows]
    # a fresh object reads the same file from scratch
    assert list(PackedStream("p/rows.bin", storage=storage).load(rows=range(10, 13))) == rows[10:13]
    with pytest.raises(FrameIndexError, match="30 rows"):
        packed[30]


def test_packed_layout_is_count_sizes_payloads(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    PackedStream(path).write([b"ab", b"", b"cde"])
    raw = path.read_bytes()
    assert np.frombuffer(raw[:32], "<u8").tolist() == [3, 2, 0, 3]
    assert raw[32:] == b"abcde"


def test_packed_corrupt_files_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good.bin"
    PackedStream(good).write([b"12345", b"678"])
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(good.read_bytes()[:-2])
    with pytest.raises(CorruptStreamError, match=r"truncated\.bin.*add up"):
        len(PackedStream(truncated))
    huge = tmp_path / "huge.bin"
    huge.write_bytes(np.array([10**12], "<u8").tobytes())
    with pytest.raises(CorruptStreamError, match="claims"):
        PackedStream(huge)[0]
    tiny = tmp_path / "tiny.bin"
    tiny.write_bytes(b"abc")
    with pytest.raises(CorruptStreamError, match="fewer than"):
        list(PackedStream(tiny).load())


def test_packed_write_is_atomic_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "p.bin"
    packed = PackedStream(path).write([b"old"])

    def rows():
        yield b"new"
        raise RuntimeError("producer failed")

    with pytest.raises(RuntimeError):
        packed.write(rows())
    assert list(PackedStream(path).load()) == [b"old"]
    with pytest.raises(InvalidArgumentError, match=r"row 1.*str"):
        packed.write([b"ok", "text"])
    assert list(PackedStream(path).load()) == [b"old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.bin"]


def test_packed_missing_file(storage: FilesStorage) -> None:
    packed = PackedStream("nope.bin", storage=storage)
    assert not packed.exists()
    with pytest.raises(StreamNotFoundError, match=r"nope\.bin"):
        len(packed)


def test_packed_delete(storage: FilesStorage) -> None:
    packed = PackedStream("d.bin", storage=storage).write([b"1"])
    packed.delete()
    assert not packed.exists()


# -- file collections -------------------------------------------------------------------


def _image(value: int) -> np.ndarray:
    frame = np.zeros((12, 16, 3), np.uint8)
    frame[..., 0] = value
    frame[:, :8, 1] = 255 - value
    return frame


def test_files_stream_loads_by_type(storage: FilesStorage) -> None:
    paths = ["f/a.png", "f/b.txt", "f/c.bin", "f/d.json"]
    items = [_image(100), "héllo\n", b"\x00\xff", '{"a": 1}']
    stream = FilesStream(paths, storage=storage).write(items)
    loaded = stream.load()
    assert not isinstance(loaded, list)  # lazy: a generator
    first, text, raw, js = loaded
    np.testing.assert_array_equal(first, _image(100))
    assert (text, raw, js) == ("héllo\n", b"\x00\xff", '{"a": 1}')
    assert stream.kind_of_row(0) == "image" and len(stream) == 4 and stream.exists()
    assert FilesStream(paths, storage=storage, kind="bytes")[1] == "héllo\n".encode()
    jpeg = FilesStream(["f/e.jpg"], storage=storage).write([_image(50)])
    assert np.abs(jpeg[0].astype(int) - _image(50)).mean() < 8


def test_files_stream_errors(storage: FilesStorage) -> None:
    storage.put("bad.png", b"not an image")
    with pytest.raises(CorruptMediaError, match=r"bad\.png"):
        FilesStream(["bad.png"], storage=storage)[0]
    with pytest.raises(StreamNotFoundError, match=r"absent\.txt"):
        next(FilesStream(["absent.txt"], storage=storage).load())
    with pytest.raises(InvalidArgumentError, match="list"):
        FilesStream("one.txt")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="one per path"):
        FilesStream(["x.txt", "y.txt"], storage=storage).write(["only one"])
    with pytest.raises(InvalidArgumentError, match="image suffix"):
        FilesStream(["z.bin"], storage=storage).write([_image(1)])


def test_files_stream_bulk_delete_through_storage(storage: FilesStorage) -> None:
    a = FilesStream([f"a/{i}.txt" for i in range(5)], storage=storage).write(["x"] * 5)
    b = PackedStream("b.bin", storage=storage).write([b"1"])
    keep = FilesStream(["keep.txt"], storage=storage).write(["k"])
    storage.delete(None, [a, b])
    assert storage.ls() == ["keep.txt"] and keep.exists()


# -- SQL tables ------------------------------------------------------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE rec (id INTEGER, tag TEXT, v REAL)")
        conn.executemany(
            "INSERT INTO rec VALUES (?, ?, ?)",
            [(i, "odd" if i % 2 else "even", i / 2) for i in range(25)],
        )
    conn.close()
    return path


def test_table_rows_as_dicts_and_chunks(sqlite_file: Path) -> None:
    table = TableStream(
        sqlite_file, "SELECT id, v FROM rec WHERE tag = ? ORDER BY id", ["odd"], chunk_size=4
    )
    assert len(table) == 12 and table.columns == ["id", "v"]
    rows = table.load()
    assert next(rows) == {"id": 1, "v": 0.5}
    assert [r["id"] for r in rows] == list(range(3, 25, 2))
    chunks = list(table.load(format="dataframe", chunk_size=5))
    assert [len(c) for c in chunks] == [5, 5, 2]
    assert chunks[0].columns.tolist() == ["id", "v"] and chunks[2]["id"].tolist() == [21, 23]
    whole = TableStream(sqlite_file, "rec")
    assert len(whole) == 25


def test_table_params_are_bound_not_pasted(sqlite_file: Path) -> None:
    table = TableStream(sqlite_file, "SELECT id FROM rec WHERE tag = :t", {"t": "odd' OR '1'='1"})
    assert list(table.load()) == []


def test_table_is_read_only_and_errors_are_clear(sqlite_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ReadOnlyCatalogError, match="read-only"):
        list(TableStream(sqlite_file, "DELETE FROM rec").load())
    assert len(TableStream(sqlite_file, "rec")) == 25
    with pytest.raises(CatalogQueryError, match="no such column"):
        list(TableStream(sqlite_file, "SELECT nope FROM rec").load())
    with pytest.raises(SourceNotFoundError, match=r"missing\.db"):
        len(TableStream(tmp_path / "missing.db", "rec"))
    with pytest.raises(InvalidArgumentError, match="format"):
        TableStream(sqlite_file, "rec").load(format="xml")


def test_table_over_a_catalog_like_object(sqlite_file: Path) -> None:
    class FakeCatalog:
        path = sqlite_file

    assert len(TableStream(FakeCatalog(), "SELECT * FROM rec WHERE id < 3")) == 3


# -- datastore ---------------------------------------------------------------------------


def test_datastore_location_from_env_and_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    assert Datastore().path == tmp_path / "home" / "db"
    assert (tmp_path / "home" / "db" / "streams.sqlite").is_file()
    assert Datastore(tmp_path / "mine").path == tmp_path / "mine"


def test_datastore_register_list_delete(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "db")
    for name in ("b", "a"):
        sid = store.new_id()
        store.data_dir(sid).mkdir(parents=True)
        (store.data_dir(sid) / "x").write_bytes(b"1")
        store.register(name, kind="video", stream_id=sid, path=store.data_dir(sid) / "x", size=1)
    assert store.names() == ["a", "b"] and len(store) == 2 and "a" in store
    with pytest.raises(InvalidArgumentError, match="already exists"):
        store.register("a", kind="video", stream_id="zz", path="p")
    with pytest.raises(StreamNotFoundError, match=r"'c'.*'a', 'b'"):
        store.entry("c")
    data_dir = store.data_dir(store.entry("a").id)
    store.delete(["a", "b", "never"])
    assert store.names() == [] and not data_dir.exists()
    assert TableStream(store, "streams").columns[0] == "name"


def test_table_over_a_real_catalog(tmp_path: Path, sample_mp4: Path) -> None:
    import shutil

    import workbench as wb

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(sample_mp4, data / "front.mp4")
    shutil.copyfile(sample_mp4, data / "rear.mp4")
    catalog = wb.build_catalog(data)
    files = TableStream(
        catalog, "SELECT path, size FROM files WHERE path LIKE ? ORDER BY path", ["%.mp4"]
    )
    assert [row["path"] for row in files.load()] == ["front.mp4", "rear.mp4"]
    (chunk,) = files.load(format="dataframe")
    assert chunk["size"].tolist() == [sample_mp4.stat().st_size] * 2


# -- the shared surface (workbench.streams.protocols) ---------------------------------------


def test_every_stream_kind_offers_the_stream_protocol(tmp_path: Path, sample_mp4: Path) -> None:
    from workbench.streams import NamedVideoStream
    from workbench.streams.protocols import StorageStream, Stream, WritableStream

    storage = FilesStorage("posix", root=tmp_path / "root")
    store = Datastore(tmp_path / "store")
    files = FilesStream(["a.txt"], storage=storage).write(["x"])
    packed = PackedStream("p.bin", storage=storage).write([b"1"])
    video = NamedVideoStream(store, "v", path=str(sample_mp4))
    table = TableStream(store, "streams")
    assert all(isinstance(s, Stream) for s in (files, packed, video, table))
    assert all(isinstance(s, WritableStream) for s in (files, packed, video))
    assert [isinstance(s, StorageStream) for s in (files, packed, video, table)] == [
        True, True, False, False
    ]
    storage.delete(store, [files, packed, video])  # keys in bulk, the named one from its store
    assert storage.ls() == [] and store.names() == []
