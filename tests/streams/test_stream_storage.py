"""The conformance suite every storage backend passes (posix and S3 on a moto server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import (
    InvalidArgumentError,
    ObjectChangedError,
    StorageError,
    StreamNotFoundError,
)
from workbench.streams.storage import FilesStorage
from workbench.streams.storage.posix import PosixStorage
from workbench.streams.storage.s3 import S3Storage


def test_put_get_roundtrip(storage: FilesStorage) -> None:
    storage.put("a/b/c.bin", b"\x00\x01payload")
    assert storage.get("a/b/c.bin") == b"\x00\x01payload"
    assert storage.size("a/b/c.bin") == 9
    storage.put("a/b/c.bin", b"new")  # overwrite replaces
    assert storage.get("a/b/c.bin") == b"new"


def test_put_file_and_get_file(storage: FilesStorage, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 10)
    storage.put_file(str(src), "up/src.bin")
    out = tmp_path / "out.bin"
    storage.get_file("up/src.bin", str(out))
    assert out.read_bytes() == src.read_bytes()


def test_ranged_read(storage: FilesStorage) -> None:
    storage.put("r.bin", bytes(range(100)))
    assert storage.read_range("r.bin", 10, 20) == bytes(range(10, 20))
    assert storage.read_range("r.bin", 95, 100) == bytes(range(95, 100))
    assert storage.read_range("r.bin", 5, 5) == b""
    with pytest.raises(InvalidArgumentError):
        storage.read_range("r.bin", 20, 10)


def test_open_reads_with_seek(storage: FilesStorage) -> None:
    storage.put("o.bin", bytes(range(200)))
    with storage.open("o.bin") as handle:
        handle.seek(150)
        assert handle.read(5) == bytes(range(150, 155))
        assert handle.tell() == 155


def test_ls_lists_keys_relative_and_sorted(storage: FilesStorage) -> None:
    assert storage.ls() == []
    for key in ["z.txt", "d/y.txt", "d/e/x.txt"]:
        storage.put(key, b"1")
    assert storage.ls() == ["d/e/x.txt", "d/y.txt", "z.txt"]
    assert storage.ls("d") == ["d/e/x.txt", "d/y.txt"]
    assert storage.ls("nothing-here") == []


def test_exists(storage: FilesStorage) -> None:
    assert not storage.exists("e.bin")
    storage.put("e.bin", b"")
    assert storage.exists("e.bin")
    assert storage.size("e.bin") == 0


def test_delete_one_and_missing_is_ignored(storage: FilesStorage) -> None:
    storage.put("d.bin", b"1")
    storage.rm("d.bin")
    assert not storage.exists("d.bin")
    storage.rm("d.bin")  # deleting twice is fine


def test_bulk_delete(storage: FilesStorage) -> None:
    keys = [f"many/{i:03d}.bin" for i in range(25)]
    for key in keys:
        storage.put(key, b"x")
    storage.put("keep.bin", b"k")
    storage.delete(None, [*keys, "never-existed.bin"])
    assert storage.ls() == ["keep.bin"]


def test_missing_key_raises_naming_it(storage: FilesStorage) -> None:
    for call in (
        lambda: storage.get("missing/key.bin"),
        lambda: storage.read_range("missing/key.bin", 0, 4),
        lambda: storage.size("missing/key.bin"),
        lambda: storage.open("missing/key.bin").read(),
    ):
        with pytest.raises(StreamNotFoundError, match=r"missing/key\.bin") as info:
            call()
        assert isinstance(info.value, FileNotFoundError)


def test_bad_keys_rejected(storage: FilesStorage) -> None:
    with pytest.raises(InvalidArgumentError):
        storage.put("", b"1")
    with pytest.raises(InvalidArgumentError):
        storage.get(None)  # type: ignore[arg-type]


def test_factory_dispatch_and_errors(tmp_path: Path) -> None:
    assert isinstance(FilesStorage("posix", root=tmp_path), PosixStorage)
    s3 = FilesStorage("s3", bucket="some-bucket", endpoint_url="http://127.0.0.1:1")
    assert isinstance(s3, S3Storage) and isinstance(s3, FilesStorage)
    assert s3.url("k/v.mp4") == "s3://some-bucket/k/v.mp4"
    with pytest.raises(InvalidArgumentError, match="posix"):
        FilesStorage("gcs")
    with pytest.raises(InvalidArgumentError, match="bucket"):
        FilesStorage("s3")
    with pytest.raises(InvalidArgumentError, match="root"):
        FilesStorage("posix", bucket="b")


def test_posix_put_is_atomic_on_failure(tmp_path: Path) -> None:
    storage = FilesStorage("posix", root=tmp_path)
    storage.put("a.bin", b"old")

    class Boom:
        def __bytes__(self) -> bytes:
            raise RuntimeError("boom")

    with pytest.raises(StorageError):
        storage.put("a.bin", Boom())  # type: ignore[arg-type]
    assert storage.get("a.bin") == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


@pytest.mark.s3
def test_s3_missing_bucket_is_named(s3_endpoint: str) -> None:
    storage = FilesStorage("s3", bucket="no-such-bucket-here", endpoint_url=s3_endpoint, retries=1)
    for call in (lambda: storage.get("k.bin"), storage.ls, lambda: storage.size("k.bin")):
        with pytest.raises(
            StreamNotFoundError, match="bucket 'no-such-bucket-here' does not exist"
        ):
            call()


@pytest.mark.s3
def test_s3_object_overwritten_during_read(s3_storage: FilesStorage) -> None:
    s3_storage.put("big.bin", bytes(4_000_000))
    handle = s3_storage.open("big.bin", block_size=1 << 20, cache_type="readahead")
    assert handle.read(10) == bytes(10)
    s3_storage.put("big.bin", b"\x01" * 4_000_000)
    handle.seek(3_000_000)
    with pytest.raises(ObjectChangedError, match=r"big\.bin.*overwritten"):
        handle.read(10)
    # a new handle reads the new version
    with s3_storage.open("big.bin") as fresh:
        fresh.seek(3_000_000)
        assert fresh.read(3) == b"\x01\x01\x01"


@pytest.mark.s3
def test_s3_server_gone_fails_after_bounded_retries(aws_env: None) -> None:
    from streams_support import start_moto

    server, endpoint = start_moto()
    storage = FilesStorage(
        "s3",
        bucket="gone-bucket",
        endpoint_url=endpoint,
        retries=2,
        connect_timeout=1,
        read_timeout=2,
    )
    storage.fs.mkdir("gone-bucket")
    storage.put("k.bin", b"1234")
    server.stop()  # type: ignore[attr-defined]
    with pytest.raises(StorageError, match=r"k\.bin.*gone-bucket.*attempt") as info:
        storage.get("k.bin")
    assert not isinstance(info.value, StreamNotFoundError)


def test_backend_satisfies_the_storage_protocol(storage: FilesStorage) -> None:
    from workbench.streams.storage import StorageBackend

    assert isinstance(storage, StorageBackend)
    assert not isinstance(object(), StorageBackend)


def test_a_backend_must_implement_the_abstract_methods() -> None:
    class Incomplete(FilesStorage):
        storage_type = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()
    assert FilesStorage.__abstractmethods__ == {
        "fs", "storage_options", "full_path", "url", "ls", "_rm_keys"
    }
