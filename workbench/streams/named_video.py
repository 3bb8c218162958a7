"""Named videos in a datastore: ingested (copied) or indexed in place, read lazily.

A :class:`NamedVideoStream` is a video known to a :class:`~workbench.streams.Datastore`
by name, with its persisted index (built once by the indexed decoder), so any frame is
a frame-accurate random read. It is also an *output*: frames written to it are encoded
to H.264 with PyAV and indexed before the stream becomes visible.

Examples
--------
>>> import tempfile, numpy as np
>>> from workbench.streams import Datastore, NamedVideoStream
>>> store = Datastore(tempfile.mkdtemp())
>>> frames = (np.full((64, 96, 3), 8 * i, np.uint8) for i in range(10))
>>> out = NamedVideoStream.from_frames(store, "ramp", frames, fps=10)
>>> len(out), next(out.load(rows=[3])).shape
(10, (64, 96, 3))
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import InvalidArgumentError, StorageError
from workbench.remote import is_url, refuse_local_options
from workbench.streams.datastore import Datastore, StreamEntry, check_name
from workbench.video.encode import H264Settings, check_even_size, open_h264

if TYPE_CHECKING:
    from workbench.streams.storage import FilesStorage
    from workbench.video import FrameBatch, Video

__all__ = ["INPLACE_SUFFIXES", "NamedVideoStream", "VideoWriter"]

#: containers that can be indexed in place (their index is at a known place, seekable)
INPLACE_SUFFIXES = (".mp4", ".mov")
#: storage option keys never written to the datastore table (secrets)
_SECRET_KEYS = frozenset(
    {
        "key",
        "secret",
        "token",
        "password",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "session",
    }
)


def _public_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` without credentials, for the datastore table."""
    clean: dict[str, Any] = {}
    for key, value in options.items():
        if key in _SECRET_KEYS:
            continue
        clean[key] = _public_options(value) if isinstance(value, dict) else value
    return clean


class NamedVideoStream:
    """A video stored in (or indexed by) a datastore, known by name.

    Parameters
    ----------
    store : Datastore
        The datastore.
    name : str
        The stream's name.
    path : str or Path, optional
        A video to ingest. Without it the stream is reopened by name (or, if no such
        stream exists yet, can be written as an output; reading it raises
        :class:`~workbench.errors.StreamNotFoundError` listing the stored names).
    inplace : bool
        Index an MP4/MOV where it lies instead of copying it into the datastore.
        :meth:`delete` then removes only the entry and the index, never the file.
    storage : FilesStorage, optional
        Where ``path`` lives when it is a key (e.g. in an S3 bucket).
    storage_options : dict, optional
        fsspec options for a URL ``path`` (``s3://bucket/key.mp4``). Options without
        credentials are remembered, so the stream reopens by name.
    overwrite : bool
        Replace an existing stream of the same name ingested from another file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from workbench.streams import Datastore, NamedVideoStream
    >>> store = Datastore(tempfile.mkdtemp())
    >>> cam = NamedVideoStream(store, "cam")
    >>> cam.exists()
    False
    """

    def __init__(
        self,
        store: Datastore,
        name: str,
        path: str | os.PathLike[str] | None = None,
        inplace: bool = False,
        *,
        storage: FilesStorage | None = None,
        storage_options: dict[str, Any] | None = None,
        overwrite: bool = False,
    ) -> None:
        if not isinstance(store, Datastore):
            raise InvalidArgumentError(
                f"NamedVideoStream needs a Datastore as first argument, not {store!r}"
            )
        self.store = store
        self.name = check_name(name)
        self._storage_options = dict(storage_options) if storage_options else None
        if storage is not None:
            self._storage_options = {**storage.storage_options, **(self._storage_options or {})}
        self._video: Video | None = None
        self._entry: StreamEntry | None = None
        if path is not None:
            source = storage.url(os.fspath(path)) if storage is not None else os.fspath(path)
            self._ingest(source, inplace=inplace, overwrite=overwrite)
        elif inplace:
            raise InvalidArgumentError("inplace=True needs path= (the video to index in place)")

    def __repr__(self) -> str:
        entry = self.store.get(self.name)
        state = "missing" if entry is None else ("inplace" if entry.inplace else "stored")
        return f"NamedVideoStream({self.name!r}, {state}, store={str(self.store.path)!r})"

    # -- the entry ---------------------------------------------------------------------------
    @property
    def entry(self) -> StreamEntry:
        """The datastore row; raises StreamNotFoundError (listing known names) if absent."""
        if self._entry is None:
            entry = self.store.entry(self.name)
            if entry.kind != "video":
                raise InvalidArgumentError(
                    f"stream {self.name!r} is a {entry.kind!r} stream, not a video"
                )
            self._entry = entry
        return self._entry

    def exists(self) -> bool:
        """Whether the datastore holds a stream of this name."""
        return self.store.get(self.name) is not None

    @property
    def path(self) -> str:
        """Where the video lies: inside the datastore, or the user's file (``inplace``)."""
        entry = self.entry
        if entry.inplace or is_url(entry.path):
            return entry.path
        return str(self.store.path / entry.path)

    @property
    def inplace(self) -> bool:
        """Whether the video was indexed where it lies instead of copied in."""
        return self.entry.inplace

    @property
    def video(self) -> Video:
        """The opened video (index loaded from the datastore)."""
        if self._video is None:
            from workbench.video import open_video

            entry = self.entry
            options = self._storage_options
            if options is None and is_url(entry.path):
                options = entry.meta.get("storage_options") or None
            self._video = open_video(
                self.path, cache=self.store.index_dir(entry.id), storage_options=options
            )
        return self._video

    def __len__(self) -> int:
        return len(self.video)

    @property
    def metadata(self) -> Any:
        """The video's metadata (width, height, fps, num_frames, codec ...)."""
        return self.video.metadata

    @property
    def fps(self) -> float:
        """Average frames per second."""
        return float(self.video.metadata["fps"])

    def close(self) -> None:
        """Release the decoder (the stream stays stored)."""
        if self._video is not None:
            self._video.close()
            self._video = None

    # -- ingest ------------------------------------------------------------------------------
    def _ingest(self, source: str, *, inplace: bool, overwrite: bool) -> None:
        from workbench.video import open_video

        options = self._storage_options
        refuse_local_options(source, options)
        if not is_url(source):
            source = str(Path(source).expanduser().absolute())
        suffix = PurePosixPath(source).suffix.lower()
        if inplace and suffix not in INPLACE_SUFFIXES:
            raise InvalidArgumentError(
                f"inplace=True indexes MP4/MOV files ({', '.join(INPLACE_SUFFIXES)}); "
                f"{source!r} is not one: ingest it with inplace=False (a copy)"
            )
        existing = self.store.get(self.name)
        if existing is not None:
            if (
                existing.meta.get("source") == source
                and existing.inplace == inplace
                and existing.meta.get("source_size") == self._source_size(source)
            ):
                self._entry = existing  # the same ingest again (a re-run cell): reuse it
                return
            if not overwrite:
                raise InvalidArgumentError(
                    f"a stream named {self.name!r} already exists in {str(self.store.path)!r} "
                    f"(from {existing.meta.get('source', existing.path)!r}); pass "
                    f"overwrite=True, delete it first, or pick another name"
                )
        stream_id = self.store.new_id()
        index_dir = self.store.index_dir(stream_id)
        data_dir = self.store.data_dir(stream_id)
        try:
            if inplace:
                stored, location = source, source
            else:
                stored = f"streams/{stream_id}/video{suffix or '.mp4'}"
                location = str(self.store.path / stored)
                self._copy(source, Path(location))
                options = None
            video = open_video(location, cache=index_dir, storage_options=options)
            meta = {
                "source": source,
                "source_size": video.source.size,
                "fps": float(video.metadata["fps"]),
                "num_frames": len(video),
                "width": int(video.metadata["width"]),
                "height": int(video.metadata["height"]),
                "codec": str(video.metadata["codec"]),
            }
            if inplace and options:
                meta["storage_options"] = _public_options(options)
            self._entry = self.store.register(
                self.name,
                kind="video",
                stream_id=stream_id,
                path=stored,
                inplace=inplace,
                size=video.source.size,
                meta=meta,
                replace=overwrite,
            )
            self._video = video
        except BaseException:
            shutil.rmtree(data_dir, ignore_errors=True)
            shutil.rmtree(index_dir, ignore_errors=True)
            raise
        if existing is not None and existing.id != stream_id:
            self.store.remove_files(existing.id)

    def _source_size(self, source: str) -> int | None:
        try:
            if is_url(source):
                import fsspec

                fs, fs_path = fsspec.core.url_to_fs(source, **(self._storage_options or {}))
                return int(fs.info(fs_path)["size"])
            return os.stat(source).st_size
        except (OSError, ValueError):
            return None

    def _copy(self, source: str, target: Path) -> None:
        """Copy ``source`` (local path or URL) to ``target`` atomically."""
        from workbench.errors import SourceNotFoundError
        from workbench.streams.storage.posix import atomic_write_path

        try:
            with atomic_write_path(target) as tmp:
                if is_url(source):
                    import fsspec

                    fs, fs_path = fsspec.core.url_to_fs(source, **(self._storage_options or {}))
                    fs.get_file(fs_path, tmp)
                else:
                    shutil.copyfile(source, tmp)
        except FileNotFoundError as exc:
            raise SourceNotFoundError(f"video {source!r} does not exist; check the path") from exc
        except OSError as exc:
            raise StorageError(
                f"could not copy {source!r} into datastore {str(self.store.path)!r}: {exc}"
            ) from exc

    # -- reading -----------------------------------------------------------------------------
    def load_batches(
        self,
        rows: Sequence[int] | range | np.ndarray | None = None,
        *,
        resize_rate: float | None = None,
        format: str = "rgb24",
        batch_size: int = 32,
    ) -> Iterator[FrameBatch]:
        """Yield :class:`~workbench.video.FrameBatch` es of up to ``batch_size`` frames.

        ``rows=None`` reads the whole video in one forward pass; otherwise the rows are
        read in the order given, ``batch_size`` at a time, each batch with one seek per
        keyframe group.
        """
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be a positive int, not {batch_size!r}")
        video = self.video
        wanted = np.arange(len(video)) if rows is None else np.asarray(rows, dtype=np.int64)
        if wanted.ndim != 1:
            raise InvalidArgumentError(
                f"rows must be a 1-D sequence of ints, not shape {wanted.shape}"
            )
        for start in range(0, len(wanted), batch_size):
            yield video.get_frames_at(
                wanted[start : start + batch_size], resize_rate=resize_rate, format=format
            )

    def load(
        self,
        rows: Sequence[int] | range | np.ndarray | None = None,
        *,
        resize_rate: float | None = None,
        format: str = "rgb24",
        batch_size: int = 32,
    ) -> Iterator[np.ndarray]:
        """Yield frames as ``(H, W, C)`` uint8 arrays, lazily, through the indexed decoder.

        Parameters
        ----------
        rows : sequence of int, optional
            Frame indices (any order, negative allowed); default every frame.
        resize_rate : float, optional
            Scale factor (0.25 = quarter size), applied in the same pass as the
            colour conversion.
        format : {"rgb24", "bgr24", "gray"}
            Pixel layout.
        batch_size : int
            Frames decoded per step (memory holds at most one batch).

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from workbench.streams import Datastore, NamedVideoStream
        >>> store = Datastore(tempfile.mkdtemp())
        >>> frames = [np.zeros((32, 48, 3), np.uint8)] * 4
        >>> v = NamedVideoStream.from_frames(store, "v", frames, fps=4)
        >>> [f.shape for f in v.load(rows=[0, -1], resize_rate=0.5)]
        [(16, 24, 3), (16, 24, 3)]
        """
        for batch in self.load_batches(
            rows, resize_rate=resize_rate, format=format, batch_size=batch_size
        ):
            yield from batch.frames

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.load()

    # -- life cycle --------------------------------------------------------------------------
    def delete(self) -> None:
        """Delete the stream: its entry, index and copied data (never an inplace file)."""
        self.close()
        self.store.delete([self.name])
        self._entry = None

    # -- writing -----------------------------------------------------------------------------
    def writer(
        self,
        fps: float | Fraction = 30,
        *,
        crf: int = 20,
        gop: int | None = None,
        preset: str = "veryfast",
        overwrite: bool = False,
    ) -> VideoWriter:
        """A context manager whose ``append(frame)`` encodes H.264; committed on exit.

        The stream becomes visible (with its index) only when the block ends without an
        exception; otherwise nothing is left behind.
        """
        return VideoWriter(self, fps, crf=crf, gop=gop, preset=preset, overwrite=overwrite)

    def write(
        self,
        frames: Iterable[np.ndarray],
        fps: float | Fraction = 30,
        *,
        crf: int = 20,
        gop: int | None = None,
        overwrite: bool = False,
    ) -> NamedVideoStream:
        """Encode ``frames`` (uint8 RGB ``(H, W, 3)``) as this stream, atomically; return self."""
        with self.writer(fps, crf=crf, gop=gop, overwrite=overwrite) as w:
            for frame in frames:
                w.append(frame)
        return self

    @classmethod
    def from_frames(
        cls,
        store: Datastore,
        name: str,
        frames: Iterable[np.ndarray],
        fps: float | Fraction = 30,
        **kwargs: Any,
    ) -> NamedVideoStream:
        """Create stream ``name`` in ``store`` from ``frames`` (see :meth:`write`)."""
        return cls(store, name).write(frames, fps, **kwargs)


class VideoWriter:
    """Encodes frames to H.264 (PyAV) into a datastore; commits stream and index on exit."""

    def __init__(
        self,
        stream: NamedVideoStream,
        fps: float | Fraction,
        *,
        crf: int = 20,
        gop: int | None = None,
        preset: str = "veryfast",
        overwrite: bool = False,
    ) -> None:
        try:
            rate = Fraction(fps).limit_denominator(1001)
        except (TypeError, ValueError):
            rate = Fraction(0)
        if rate <= 0:
            raise InvalidArgumentError(f"fps must be a positive number, not {fps!r}")
        if stream.exists() and not overwrite:
            raise InvalidArgumentError(
                f"a stream named {stream.name!r} already exists in "
                f"{str(stream.store.path)!r}; pass overwrite=True or delete it first"
            )
        self.stream = stream
        self.rate = rate
        self.crf = crf
        self.gop = gop if gop is not None else max(1, round(float(rate)))
        self.preset = preset
        self.overwrite = overwrite
        self.count = 0
        self.keyframes = 0
        self._container: Any = None
        self._vstream: Any = None
        self._shape: tuple[int, ...] | None = None

    def __enter__(self) -> VideoWriter:
        store = self.stream.store
        self.stream_id = store.new_id()
        self.relpath = f"streams/{self.stream_id}/video.mp4"
        self.target = store.path / self.relpath
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(".video.mp4.part")
        return self

    def _open(self, height: int, width: int) -> None:
        import av

        # the frames are the user's: an odd size is refused, never cropped (open_h264)
        check_even_size(width, height)
        self._container = av.open(str(self.tmp), "w", format="mp4")
        self._vstream = open_h264(
            self._container,
            rate=self.rate,
            width=width,
            height=height,
            settings=H264Settings(self.crf, self.preset, gop=self.gop, max_b_frames=0),
        )

    def append(self, frame: Any) -> None:
        """Encode one frame: a uint8 ``(H, W, 3)`` RGB or ``(H, W)`` gray array."""
        import av

        array = np.asarray(frame)
        if (
            array.dtype != np.uint8
            or array.ndim not in (2, 3)
            or (array.ndim == 3 and array.shape[2] != 3)
        ):
            raise InvalidArgumentError(
                f"frame {self.count} for stream {self.stream.name!r} must be a uint8 (H, W, 3) "
                f"RGB or (H, W) gray array, not {array.dtype} {array.shape}"
            )
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        if self._shape is None:
            self._open(array.shape[0], array.shape[1])
            self._shape = array.shape
        elif array.shape != self._shape:
            raise InvalidArgumentError(
                f"frame {self.count} for stream {self.stream.name!r} is {array.shape}, but "
                f"the first frame was {self._shape}; all frames must have one size"
            )
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
        video_frame.pts = self.count
        self._mux(self._vstream.encode(video_frame))
        self.count += 1

    def _mux(self, packets: list[Any]) -> None:
        for packet in packets:
            self.keyframes += bool(packet.is_keyframe)
        self._container.mux(packets)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._abort()
            return
        try:
            self._commit()
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
        store = self.stream.store
        store.remove_files(self.stream_id)

    def _commit(self) -> None:
        from workbench.video import open_video

        if self.count == 0:
            raise InvalidArgumentError(
                f"no frames were written to stream {self.stream.name!r}; a video needs at "
                f"least one frame"
            )
        self._mux(self._vstream.encode(None))
        self._container.close()
        self._container = None
        os.replace(self.tmp, self.target)
        store = self.stream.store
        # index the finished file now, so the stream never exists without its index
        video = open_video(self.target, cache=store.index_dir(self.stream_id))
        if len(video) != self.count or len(video.keyframe_indices) != self.keyframes:
            raise StorageError(
                f"stream {self.stream.name!r}: wrote {self.count} frames ({self.keyframes} "
                f"keyframes) but the file indexes as {len(video)} ({len(video.keyframe_indices)}"
                f" keyframes); nothing was stored"
            )
        old = store.get(self.stream.name)
        self.stream.close()
        self.stream._entry = store.register(
            self.stream.name,
            kind="video",
            stream_id=self.stream_id,
            path=self.relpath,
            size=self.target.stat().st_size,
            meta={
                "source": None,
                "written": True,
                "fps": float(self.rate),
                "num_frames": self.count,
                "width": int(self._shape[1]) if self._shape else 0,
                "height": int(self._shape[0]) if self._shape else 0,
                "codec": "h264",
            },
            replace=self.overwrite,
        )
        self.stream._video = video
        if old is not None and old.id != self.stream_id:
            store.remove_files(old.id)
