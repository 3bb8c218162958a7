"""File collections: one row per file, decoded by type, on any storage backend.

Images (``.jpg``, ``.png`` ...) load as ``(H, W, 3)`` uint8 RGB arrays through Pillow,
text files (``.txt``, ``.json``, ``.csv`` ...) as ``str``, anything else as ``bytes``.
Files are read one at a time, only when ``load()`` reaches them.

Examples
--------
>>> import tempfile
>>> from workbench.streams import FilesStream, FilesStorage
>>> storage = FilesStorage("posix", root=tempfile.mkdtemp())
>>> stream = FilesStream(["a.txt", "b.bin"], storage=storage).write(["hi", b"\\x00"])
>>> list(stream.load())
['hi', b'\\x00']
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, FrameIndexError, InvalidArgumentError
from workbench.streams.storage import FilesStorage

__all__ = ["IMAGE_SUFFIXES", "KINDS", "TEXT_SUFFIXES", "FilesStream", "kind_of"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
TEXT_SUFFIXES = frozenset(
    {".txt", ".json", ".csv", ".tsv", ".md", ".yaml", ".yml", ".xml", ".log", ".jsonl"}
)
#: how a file can be loaded
KINDS = ("auto", "image", "text", "bytes")


def kind_of(path: str) -> str:
    """``"image"``, ``"text"`` or ``"bytes"`` from the file's suffix.

    Examples
    --------
    >>> kind_of("frame.JPG"), kind_of("notes.json"), kind_of("blob.bin")
    ('image', 'text', 'bytes')
    """
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "bytes"


class FilesStream:
    """A collection of files, one row each, loaded lazily as arrays, text or bytes.

    Parameters
    ----------
    paths : sequence of str
        Keys of the files on ``storage`` (local paths by default).
    storage : FilesStorage, optional
        Where the files live; default local files.
    kind : {"auto", "image", "text", "bytes"}
        How to load every file; ``"auto"`` decides per file from its suffix.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from workbench.streams import FilesStream, FilesStorage
    >>> storage = FilesStorage("posix", root=tempfile.mkdtemp())
    >>> images = FilesStream(["0.png", "1.png"], storage=storage)
    >>> _ = images.write(np.full((4, 6, 3), v, np.uint8) for v in (0, 255))
    >>> [frame.shape for frame in images.load()], int(images[1].max())
    ([(4, 6, 3), (4, 6, 3)], 255)
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        storage: FilesStorage | None = None,
        kind: str = "auto",
    ) -> None:
        if isinstance(paths, (str, os.PathLike)):
            raise InvalidArgumentError(
                f"FilesStream takes a list of paths, not one path {os.fspath(paths)!r}; "
                f"wrap it in a list"
            )
        if kind not in KINDS:
            raise InvalidArgumentError(f"kind must be one of {KINDS}, not {kind!r}")
        self.paths = [os.fspath(p) for p in paths]
        self.storage = storage if storage is not None else FilesStorage("posix")
        self.kind = kind

    def __repr__(self) -> str:
        return f"FilesStream({len(self.paths)} files, storage={self.storage!r})"

    def __len__(self) -> int:
        return len(self.paths)

    def exists(self) -> bool:
        """Whether every file exists."""
        return all(self.storage.exists(p) for p in self.paths)

    def _row(self, row: int) -> int:
        n = len(self.paths)
        if not isinstance(row, (int, np.integer)) or isinstance(row, bool):
            raise InvalidArgumentError(f"a row must be an int, not {row!r}")
        if not -n <= row < n:
            raise FrameIndexError(f"row {row} is out of range for a FilesStream of {n} files")
        return int(row) % n

    def kind_of_row(self, row: int) -> str:
        """How row ``row`` is loaded: ``"image"``, ``"text"`` or ``"bytes"``."""
        path = self.paths[self._row(row)]
        return kind_of(path) if self.kind == "auto" else self.kind

    def __getitem__(self, row: int) -> Any:
        i = self._row(row)
        return self._decode(self.paths[i], self.storage.get(self.paths[i]), self.kind_of_row(i))

    def load(self, rows: Sequence[int] | range | None = None) -> Iterator[Any]:
        """Yield each file's content (array, str or bytes), reading one file at a time."""
        for row in range(len(self.paths)) if rows is None else rows:
            yield self[row]

    def __iter__(self) -> Iterator[Any]:
        return self.load()

    def _decode(self, path: str, data: bytes, kind: str) -> Any:
        if kind == "bytes":
            return data
        if kind == "text":
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorruptMediaError(
                    f"{self.storage.describe(path)} is not UTF-8 text ({exc}); load it with "
                    f"kind='bytes'"
                ) from exc
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                return np.asarray(image.convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise CorruptMediaError(
                f"{self.storage.describe(path)} is not an image Pillow can decode ({exc}); "
                f"check the file or load it with kind='bytes'"
            ) from exc

    # -- writing ---------------------------------------------------------------------------
    def _encode(self, path: str, item: Any) -> bytes:
        if isinstance(item, (bytes, bytearray, memoryview)):
            return bytes(item)
        if isinstance(item, str):
            return item.encode("utf-8")
        if isinstance(item, np.ndarray):
            from PIL import Image

            suffix = PurePosixPath(path).suffix.lower()
            if suffix not in IMAGE_SUFFIXES:
                raise InvalidArgumentError(
                    f"cannot store an array in {path!r}: give it an image suffix "
                    f"({', '.join(sorted(IMAGE_SUFFIXES))})"
                )
            array = np.ascontiguousarray(item)
            if array.dtype != np.uint8 or array.ndim not in (2, 3):
                raise InvalidArgumentError(
                    f"an image for {path!r} must be a uint8 (H, W) or (H, W, 3) array, "
                    f"not {array.dtype} {array.shape}"
                )
            buffer = io.BytesIO()
            image_format = {".jpg": "JPEG", ".tif": "TIFF"}.get(suffix, suffix[1:].upper())
            Image.fromarray(array).save(buffer, format=image_format)
            return buffer.getvalue()
        raise InvalidArgumentError(
            f"cannot store {type(item).__name__} in {path!r}: give bytes, str or a uint8 array"
        )

    def writer(self) -> _FilesWriter:
        """A context manager whose ``append(item)`` writes the next path (each atomically)."""
        return _FilesWriter(self)

    def write(self, items: Iterable[Any]) -> FilesStream:
        """Write one item per path: arrays as images (by suffix), str as UTF-8, bytes as is.

        Each file is written atomically; the number of items must equal the number of paths.
        """
        with self.writer() as w:
            for item in items:
                w.append(item)
        return self

    def delete(self) -> None:
        """Delete all the files in one bulk request."""
        self.storage.rm(self.paths)

    def storage_keys(self) -> list[str]:
        """The keys this stream occupies on its storage (for bulk delete)."""
        return list(self.paths)


class _FilesWriter:
    def __init__(self, stream: FilesStream) -> None:
        self.stream = stream
        self.count = 0

    def __enter__(self) -> _FilesWriter:
        return self

    def append(self, item: Any) -> None:
        paths = self.stream.paths
        if self.count >= len(paths):
            raise InvalidArgumentError(
                f"more items than paths: the FilesStream has {len(paths)} paths"
            )
        path = paths[self.count]
        self.stream.storage.put(path, self.stream._encode(path, item))
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None and self.count != len(self.stream.paths):
            raise InvalidArgumentError(
                f"got {self.count} items for {len(self.stream.paths)} paths; give one per path"
            )
