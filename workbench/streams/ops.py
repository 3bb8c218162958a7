"""Input/Output operations: map a function over input streams into output streams.

:func:`map_streams` is a pure function of (inputs, fn, outputs, rows): it reads the given
rows of the inputs lazily, calls ``fn`` on each row (or each batch of rows) and writes
what ``fn`` returns to the outputs, which are committed atomically only when the whole
run succeeds. That makes a row range the unit of work a scheduler (Dask) can distribute.

Examples
--------
>>> import tempfile, os
>>> from workbench.streams import PackedStream, map_streams
>>> d = tempfile.mkdtemp()
>>> src = PackedStream(os.path.join(d, "in.bin")).write([b"a", b"bc"])
>>> dst = PackedStream(os.path.join(d, "out.bin"))
>>> _ = map_streams(inputs=[src], fn=lambda b: b.upper() * 2, outputs=[dst])
>>> list(dst.load())
[b'AA', b'BCBC']
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError, WorkbenchDeprecationWarning
from workbench.options import ReadOptions, take_old_spellings

__all__ = ["map_streams", "run"]

#: rows read per step from each input when ``fn`` is called row by row
_READ_CHUNK = 32
#: rows per task when run on a cluster
_CLUSTER_ROWS = 256
#: map_streams' keyword options (named in the error that refuses another one)
_KEYWORDS = ("batch_size", "rows", "output_frame_rate", "resize_rate", "progress", "client")


def _as_list(streams: Any, what: str) -> list[Any]:
    out = list(streams) if isinstance(streams, (list, tuple)) else [streams]
    if not out:
        raise InvalidArgumentError(f"map_streams() needs at least one {what} stream")
    return out


def _chunks(
    stream: Any, rows: np.ndarray, size: int, load_options: dict[str, Any]
) -> Iterator[Any]:
    """Yield the rows of ``stream`` in chunks of up to ``size`` (arrays for videos)."""
    if hasattr(stream, "load_batches"):
        for batch in stream.load_batches(rows, batch_size=size, **load_options):
            yield batch.frames
        return
    items = stream.load(rows=rows.tolist())
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _outputs_of(result: Any, n_outputs: int, where: str) -> tuple[Any, ...]:
    if n_outputs == 1:
        return (result,)
    if not isinstance(result, tuple) or len(result) != n_outputs:
        raise InvalidArgumentError(
            f"fn must return a tuple of {n_outputs} values (one per output stream) {where}, "
            f"got {type(result).__name__}"
        )
    return result


def _open_writer(stream: Any, frame_rate: float | None) -> Any:
    if not hasattr(stream, "writer"):
        raise InvalidArgumentError(f"{stream!r} cannot be written: it is not an output stream")
    if hasattr(stream, "load_batches"):  # a video: needs a frame rate
        return stream.writer(frame_rate if frame_rate is not None else 30)
    return stream.writer()


def map_streams(
    inputs: Sequence[Any] | Any,
    fn: Callable[..., Any],
    outputs: Sequence[Any] | Any,
    *,
    batch_size: int | None = None,
    rows: Sequence[int] | range | None = None,
    output_frame_rate: float | None = None,
    resize_rate: float | None = None,
    progress: bool = False,
    client: Any = None,
    **old_spellings: Any,
) -> list[Any]:
    """Map ``fn`` over the rows of ``inputs`` and write the results to ``outputs``.

    Parameters
    ----------
    inputs : stream or list of streams
        Streams with the same number of rows (``NamedVideoStream``, ``FilesStream``,
        ``PackedStream``, ``TableStream``).
    fn : callable
        Called with one argument per input. Without ``batch_size``: one row each
        (a frame, an item), returning one value per output (a tuple when there are
        several outputs). With ``batch_size``: a batch each (an ``(N, H, W, C)`` array
        for videos, a list otherwise), returning per output a sequence of values
        (any length: a batch may be filtered or expanded).
    outputs : stream or list of streams
        Writable streams (``NamedVideoStream``, ``FilesStream``, ``PackedStream``);
        each is committed atomically when the run succeeds, and left untouched otherwise.
    batch_size : int, optional
        Rows per call of ``fn``; default one row per call.
    rows : sequence of int, optional
        The rows to process (default all): the unit of work to distribute.
    output_frame_rate : float, optional
        Frame rate of output videos (default: that of the first input video, else 30).
        It names the videos written; the inputs are read row by row, never resampled.
        The old spelling ``fps=`` still works, with a deprecation warning.
    resize_rate : float, optional
        Scale applied to input video frames as they are decoded (as in ``wb.read``).
    progress : bool
        Show a tqdm progress bar.
    client : None, "local", distributed.Client or str
        Compute ``fn`` over row ranges on a Dask cluster (see
        :func:`workbench.map_records`); ``fn`` and the inputs must pickle. The values come
        back and are written here, in row order, so the outputs stay one atomic commit.

    Returns
    -------
    list
        The output streams, written.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from workbench.streams import Datastore, NamedVideoStream, map_streams
    >>> store = Datastore(tempfile.mkdtemp())
    >>> src = NamedVideoStream.from_frames(store, "src", [np.zeros((32, 32, 3), np.uint8)] * 6, 6)
    >>> out = NamedVideoStream(store, "inverted")
    >>> _ = map_streams([src], lambda batch: 255 - batch, [out], batch_size=4)
    >>> len(out), int(next(out.load()).mean()) > 240
    (6, True)
    """
    read = ReadOptions.from_keywords(locals(), where="map_streams")
    renamed = take_old_spellings(
        old_spellings,
        {"fps": "output_frame_rate"},
        where="map_streams",
        allowed=_KEYWORDS,
        given={"output_frame_rate": output_frame_rate},
        defaults={"output_frame_rate": None},
    )
    frame_rate = renamed.get("output_frame_rate", output_frame_rate)
    ins = _as_list(inputs, "input")
    outs = _as_list(outputs, "output")
    if not callable(fn):
        raise InvalidArgumentError(f"fn must be callable, not {fn!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise InvalidArgumentError(f"batch_size must be a positive int or None, not {batch_size!r}")
    lengths = [len(s) for s in ins]
    if len(set(lengths)) != 1:
        raise InvalidArgumentError(
            f"input streams have different numbers of rows {lengths}; give streams of one "
            f"length or pass rows="
        )
    wanted = np.arange(lengths[0]) if rows is None else np.asarray(list(rows), dtype=np.int64)
    if frame_rate is None:
        frame_rate = next((s.fps for s in ins if hasattr(s, "load_batches")), None)
    load_options = {"resize_rate": read.resize_rate} if read.resize_rate is not None else {}
    size = batch_size or _READ_CHUNK

    if client is not None:
        _run_on_cluster(
            ins, fn, outs, wanted, batch_size, frame_rate, load_options, progress, client
        )
        return outs
    readers = [_chunks(s, wanted, size, load_options) for s in ins]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(wanted), unit="row", desc="map_streams")
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(_open_writer(s, frame_rate)) for s in outs]
        for n in _apply(readers, fn, wanted, batch_size, len(outs), writers):
            if bar is not None:
                bar.update(n)
    if bar is not None:
        bar.close()
    return outs


class _Collect:
    """Stands in for a writer on a worker: keeps the values to send back."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def append(self, value: Any) -> None:
        self.values.append(value)


def _apply(
    readers: list[Iterator[Any]],
    fn: Callable[..., Any],
    wanted: np.ndarray,
    batch_size: int | None,
    n_outputs: int,
    writers: Sequence[Any],
) -> Iterator[int]:
    """Call ``fn`` over the chunks and append its results to ``writers``; yield rows done."""
    done = 0
    for chunks in zip(*readers, strict=True):
        n = len(chunks[0])
        if batch_size is None:
            for k in range(n):
                result = fn(*(chunk[k] for chunk in chunks))
                where = f"for row {wanted[done + k]}"
                for writer, value in zip(
                    writers, _outputs_of(result, n_outputs, where), strict=True
                ):
                    writer.append(value)
        else:
            result = fn(*chunks)
            where = f"for rows from {wanted[done]}"
            for writer, values in zip(writers, _outputs_of(result, n_outputs, where), strict=True):
                for value in values:
                    writer.append(value)
        done += n
        yield n


def _compute_piece(
    ins: list[Any],
    fn: Callable[..., Any],
    n_outputs: int,
    batch_size: int | None,
    load_options: dict[str, Any],
    rows: np.ndarray,
) -> list[list[Any]]:
    """On a worker: read ``rows`` of the inputs, apply ``fn``, return the values per output."""
    size = batch_size or _READ_CHUNK
    readers = [_chunks(s, rows, size, load_options) for s in ins]
    collected = [_Collect() for _ in range(n_outputs)]
    for _ in _apply(readers, fn, rows, batch_size, n_outputs, collected):
        pass
    return [c.values for c in collected]


def _run_on_cluster(
    ins: list[Any],
    fn: Callable[..., Any],
    outs: list[Any],
    wanted: np.ndarray,
    batch_size: int | None,
    frame_rate: float | None,
    load_options: dict[str, Any],
    progress: bool,
    client: Any,
) -> None:
    """Row ranges are computed on the workers; their values come back and are written
    here, in row order, so each output is still one atomic commit."""
    from workbench.errors import WorkbenchError
    from workbench.parallel.mapping import run_tasks

    step = max(batch_size or _READ_CHUNK, _CLUSTER_ROWS)
    pieces = [wanted[i : i + step] for i in range(len(wanted))[::step]]
    compute = functools.partial(_compute_piece, ins, fn, len(outs), batch_size, load_options)
    ready: dict[int, list[list[Any]]] = {}
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(_open_writer(s, frame_rate)) for s in outs]
        next_piece = 0

        def write_ready(i: int, outcome: Any) -> int:
            nonlocal next_piece
            if not outcome.ok:
                failures.append(f"rows {pieces[i][0]}..{pieces[i][-1]}: {outcome.error}")
                return len(pieces[i])
            ready[i] = outcome.value
            while not failures and next_piece in ready:
                for writer, values in zip(writers, ready.pop(next_piece), strict=True):
                    for value in values:
                        writer.append(value)
                next_piece += 1
            return len(pieces[i])

        run_tasks(
            compute,
            pieces,
            client=client,
            progress=progress,
            desc="map_streams",
            unit="row",
            on_done=write_ready,
            keep_values=False,
            what="fn (with the input streams)",
        )
        if failures:
            raise WorkbenchError(
                f"map_streams() failed on the cluster ({len(failures)} piece(s)); the outputs were "
                f"not written. First failure: {failures[0]}"
            )


def run(*args: Any, **kwargs: Any) -> list[Any]:
    """Deprecated name of :func:`map_streams` (same arguments); warns, then calls it."""
    warnings.warn(
        "workbench.streams.run is deprecated, use map_streams (same arguments)",
        WorkbenchDeprecationWarning,
        stacklevel=2,
    )
    return map_streams(*args, **kwargs)
