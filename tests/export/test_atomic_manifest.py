"""Atomic writes and the resume manifest."""

from __future__ import annotations

import errno

import pytest

from workbench.errors import ExportError
from workbench.export import atomic
from workbench.export.manifest import MANIFEST_NAME, Manifest, job_key


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "a.jpg"
    atomic.write_bytes_atomic(target, b"old")

    def boom(fh, data):
        fh.write(data[:1])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write", boom)
    with pytest.raises(ExportError, match="disk is full") as exc:
        atomic.write_bytes_atomic(target, b"new content", fsync=True)
    assert exc.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]


def test_atomic_path_cleans_up_on_error(tmp_path):
    target = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []


def test_manifest_survives_a_torn_line_and_checks_sizes(tmp_path):
    key = job_key({"path": "/v.mp4", "size": 1}, {"fps": 2})
    assert key != job_key({"path": "/v.mp4", "size": 2}, {"fps": 2})
    m = Manifest(tmp_path)
    (tmp_path / "a.jpg").write_bytes(b"123")
    (tmp_path / "b.jpg").write_bytes(b"45")
    m.add(key, "a.jpg", 3)
    m.add(key, "b.jpg", 99)  # recorded size no longer matches the file
    with open(tmp_path / MANIFEST_NAME, "a") as fh:
        fh.write('{"key": "' + key + '", "file": "c.j')  # interrupted append
    again = Manifest(tmp_path)
    assert again.is_done(key, "a.jpg")
    assert not again.is_done(key, "b.jpg")
    assert not again.is_done("other", "a.jpg")
    (tmp_path / "a.jpg").unlink()
    assert not again.is_done(key, "a.jpg")
