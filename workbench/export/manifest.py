"""Remember which export outputs are complete, so a rerun does only the missing ones.

The manifest is an append-only JSON-lines file in the output folder
(``.workbench-manifest.jsonl``). Each line records one finished file: the job key (a
hash of the source's identity - path, size, mtime - and every export parameter), the
file's relative name and its size. A file counts as done only if its line is present
*and* the file still exists with that size; a torn last line (a crash while appending)
is ignored. Changing the source or any parameter changes the key, so stale outputs are
redone rather than trusted.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> m = Manifest(d)
>>> key = job_key({"path": "/a.mp4", "size": 10}, {"fps": 2})
>>> _ = (d / "x.jpg").write_bytes(b"abc")
>>> m.add(key, "x.jpg", 3)
>>> Manifest(d).is_done(key, "x.jpg")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock

__all__ = ["MANIFEST_NAME", "Manifest", "job_key", "merge_parts", "part_name"]

MANIFEST_NAME = ".workbench-manifest.jsonl"
_PARTS = ".workbench-manifest.*.jsonl"


def part_name() -> str:
    """This process's manifest part tag: ``<host>-<pid>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def merge_parts(folder: str | os.PathLike[str]) -> int:
    """Fold the per-worker parts of ``folder``'s manifest into its main file; return lines.

    The merged file is written under a temp name and renamed (a crash leaves the old file
    and the parts, both still read), then the parts are deleted. Call it when no worker
    writes to the folder any more.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> Manifest(d, part="w1").add("k", "a.jpg", 1)
    >>> Manifest(d).add("k", "b.jpg", 1)
    >>> merge_parts(d), sorted(p.name for p in d.glob(".workbench-manifest*.jsonl"))
    (2, ['.workbench-manifest.jsonl'])
    """
    from workbench.export.atomic import write_bytes_atomic

    folder = Path(folder)
    main = folder / MANIFEST_NAME
    with FileLock(str(main) + ".lock"):
        parts = sorted(folder.glob(_PARTS))
        if not parts:
            return len(_lines(main))
        lines = [line for p in [main, *parts] for line in _lines(p) if line.strip()]
        write_bytes_atomic(main, "".join(f"{line}\n" for line in lines).encode("utf-8"))
        for p in parts:
            p.unlink(missing_ok=True)
    return len(lines)


def job_key(identity: dict[str, Any], params: dict[str, Any]) -> str:
    """Hash a source identity and export parameters into a short stable key."""
    blob = json.dumps({"source": identity, "params": params}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


class Manifest:
    """The done-list of one output folder (thread-safe appends)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        keys: Iterable[str] | None = None,
        part: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        main = self.folder / MANIFEST_NAME
        #: where :meth:`add` appends: the main file, or this worker's part
        self.path = main if part is None else self.folder / f".workbench-manifest.{part}.jsonl"
        self._lock = threading.Lock()
        self._done: dict[tuple[str, str], int] = {}
        self._load(None if keys is None else set(keys))

    def _load(self, keys: set[str] | None) -> None:
        files = [self.folder / MANIFEST_NAME, *sorted(self.folder.glob(_PARTS))]
        for line in (line for f in files for line in _lines(f)):
            if keys is not None and not any(k in line for k in keys):
                continue  # another source's line (cheap test before parsing)
            try:
                entry = json.loads(line)
                self._done[(entry["key"], entry["file"])] = int(entry["size"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn line from an interrupted append

    def is_done(self, key: str, name: str) -> bool:
        """True when ``name`` was finished for ``key`` and is still there, same size."""
        size = self._done.get((key, name))
        if size is None:
            return False
        try:
            return (self.folder / name).stat().st_size == size
        except OSError:
            return False

    def add(self, key: str, name: str, size: int) -> None:
        """Record that ``name`` is complete (call after its rename)."""
        line = json.dumps({"key": key, "file": name, "size": int(size)}) + "\n"
        with self._lock:
            self._done[(key, name)] = int(size)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)

    def __len__(self) -> int:
        return len(self._done)
