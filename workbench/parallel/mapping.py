"""``map_records``: call a function once per record, here or on a Dask cluster.

The result is a pandas DataFrame in input order, one row per record: ``record_id``,
``path``, ``ok``, ``result``, ``error`` (``"Type: message"`` or ``""``), ``seconds`` and
``attempts``. A record whose function raises is a row with ``ok=False``; it never stops
the others. On a cluster, results stream back as they finish (``as_completed``) under a
tqdm bar; a record whose worker dies (killed, out of memory) is submitted again, up to
``retries`` more times, then reported with the reason. Each record gets exactly one row.

:func:`run_tasks` is the engine underneath, also used by the exports: it maps a
function over arbitrary picklable payloads and calls back as each one finishes.

Examples
--------
>>> import workbench as wb
>>> df = wb.map_records(lambda rec: rec.record_id.upper(), ["/d/a.mp4", "/d/b.mp4"],
...                     progress=False)
>>> df[["record_id", "ok", "result"]].values.tolist()
[['a', True, 'A'], ['b', True, 'B']]
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.errors import InvalidArgumentError
from workbench.parallel.client import decoder_threads_by_host, resolve_client
from workbench.parallel.records import RecordsLike, as_specs, take_window_duration

__all__ = ["TaskOutcome", "check_picklable", "map_records", "run_tasks"]

#: decoder-thread knob (read by workbench.video.decoder); kept here as text, not imported,
#: so that this module does not load the video layer on the client
_THREADS_ENV = "WORKBENCH_DECODER_THREADS"


@dataclass
class TaskOutcome:
    """What became of one payload: ``ok``, its value or error text, time and attempts."""

    ok: bool
    value: Any = None
    error: str = ""
    seconds: float = 0.0
    attempts: int = 1


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def check_picklable(fn: Any, what: str = "fn") -> None:
    """Raise :class:`InvalidArgumentError` unless ``fn`` can be sent to a worker.

    Examples
    --------
    >>> import threading
    >>> check_picklable(threading.Lock())
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: fn cannot be pickled to send it to the Dask workers ...
    """
    from distributed.protocol import pickle

    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise InvalidArgumentError(
            f"{what} cannot be pickled to send it to the Dask workers ({_error_text(exc)}); "
            "define it at module level and do not let it capture open files, locks, "
            "clients or widgets (nothing was run)"
        ) from exc


def _cap_decoder_threads(host_threads: dict[str, int]) -> None:
    """On a worker: one decoder thread per core this worker's threads may use."""
    if os.environ.get(_THREADS_ENV):
        return  # set by the operator (or by an earlier task on this worker)
    try:
        from distributed import get_worker

        worker = get_worker()
        host = worker.address.split("://")[-1].rsplit(":", 1)[0]
        threads = host_threads.get(host) or worker.state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    cores = os.cpu_count() or 1
    os.environ[_THREADS_ENV] = str(max(1, cores // max(1, threads)))


def _call(payload: Any, fn: Callable[[Any], Any], host_threads: dict[str, int]) -> TaskOutcome:
    """Run ``fn(payload)`` on a worker; an exception becomes a failed outcome."""
    _cap_decoder_threads(host_threads)
    t0 = time.perf_counter()
    try:
        value = fn(payload)
    except Exception as exc:
        return TaskOutcome(False, None, _error_text(exc), time.perf_counter() - t0)
    return TaskOutcome(True, value, "", time.perf_counter() - t0)


def _call_batch(
    payloads: list[Any], fn: Callable[[Any], Any], host_threads: dict[str, int]
) -> list[TaskOutcome]:
    """Run ``fn`` over a batch of payloads on a worker (one task, many cheap records)."""
    return [_call(payload, fn, host_threads) for payload in payloads]


def _batch_size(n: int, client: Any) -> int:
    """Records per task: enough tasks to balance the workers (16 per thread), no more,
    so that thousands of cheap records do not pay Dask's per-task cost each."""
    threads = sum(decoder_threads_by_host(client).values()) or 1
    return max(1, n // (16 * threads))


def _death_reason(client: Any, exc: BaseException) -> str:
    """Why the worker running a task died: out of memory when its nanny said so."""
    worker = getattr(getattr(exc, "last_worker", None), "address", None)
    try:
        events = client.get_events("worker-restart-memory")
    except Exception:  # an old scheduler, or the cluster is going away
        events = ()
    for _, event in reversed(list(events)):
        if isinstance(event, dict) and event.get("worker") == worker:
            rss = int(event.get("rss", 0)) / 2**20
            return (
                f"WorkerMemoryError: the worker {worker} ran out of memory on this record "
                f"({rss:.0f} MiB, above its memory limit) and was restarted"
            )
    return f"KilledWorker: the worker {worker} died while running this record ({exc})"


def _progress_bar(total: int, desc: str, unit: str, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress)


def run_tasks(
    fn: Callable[[Any], Any],
    payloads: Sequence[Any],
    *,
    client: Any = None,
    retries: int = 2,
    progress: bool = True,
    desc: str = "records",
    unit: str = "record",
    on_done: Callable[[int, TaskOutcome], int | None] | None = None,
    keep_values: bool = True,
    what: str = "fn",
) -> list[TaskOutcome]:
    """Call ``fn(payload)`` for every payload; return one :class:`TaskOutcome` each, in order.

    ``client`` as in :func:`map_records` (already resolved or not). ``on_done(i, outcome)``
    is called once per payload as it finishes, in the calling thread; it may return how
    many units to advance the bar by (default 1). With ``keep_values=False`` the
    returned outcomes drop their values once ``on_done`` has seen them (bounded memory).
    ``what`` names ``fn`` in the error raised when it cannot be pickled.
    """
    if not callable(fn):
        raise InvalidArgumentError(f"fn must be callable, not {fn!r}")
    if not isinstance(retries, int) or retries < 0:
        raise InvalidArgumentError(f"retries={retries!r} must be a non-negative integer")
    if client is not None and not payloads:
        check_picklable(fn, what)
        return []
    with resolve_client(client, announce=progress) as c:
        if c is not None:
            check_picklable(fn, what)
        with _progress_bar(len(payloads), desc, unit, progress) as bar:
            report = _Report(bar, on_done, keep_values)
            if c is None:
                return _run_here(fn, payloads, report)
            return _run_on(c, fn, payloads, retries, desc, report)


@dataclass
class _Report:
    """What happens when a payload's task finishes: ``on_done`` sees it, its value is
    dropped unless kept, the progress bar advances."""

    bar: Any
    on_done: Callable[[int, TaskOutcome], int | None] | None
    keep_values: bool

    def finished(self, i: int, outcome: TaskOutcome) -> None:
        step = self.on_done(i, outcome) if self.on_done else None
        if not self.keep_values:
            outcome.value = None
        self.bar.update(1 if step is None else step)


def _run_here(
    fn: Callable[[Any], Any], payloads: Sequence[Any], report: _Report
) -> list[TaskOutcome]:
    out: list[TaskOutcome] = []
    for i, payload in enumerate(payloads):
        outcome = _call(payload, fn, {})
        out.append(outcome)
        report.finished(i, outcome)
    return out


def _run_on(
    client: Any,
    fn: Callable[[Any], Any],
    payloads: Sequence[Any],
    retries: int,
    desc: str,
    report: _Report,
) -> list[TaskOutcome]:
    from distributed import as_completed

    prefix = f"wb-{desc.replace(' ', '_')}-{uuid.uuid4().hex[:8]}"
    host_threads = decoder_threads_by_host(client)
    attempts = [1] * len(payloads)
    groups: dict[str, list[int]] = {}
    submitted: list[Any] = []

    def submit(batches: list[list[int]]) -> list[Any]:
        """One graph update for many tasks (a submit per task is a round trip each)."""
        keys = [f"{prefix}-{b[0]}-{len(b)}-{attempts[b[0]]}" for b in batches]
        groups.update(zip(keys, batches, strict=True))
        futures = client.map(
            _call_batch,
            [[payloads[i] for i in b] for b in batches],
            fn=fn,
            host_threads=host_threads,
            key=keys,
            pure=False,
        )
        submitted.extend(futures)
        return futures

    results: dict[int, TaskOutcome] = {}
    size = _batch_size(len(payloads), client)
    first = [list(range(k, min(k + size, len(payloads)))) for k in range(0, len(payloads), size)]
    # results travel back in batches as tasks finish (a result() per future would be a
    # round trip each); errors come back as the exception instead of being raised
    done = as_completed(submit(first), loop=client.loop, with_results=True, raise_errors=False)
    try:
        for future, value in done:
            batch = groups.pop(future.key)
            if future.status == "finished" and isinstance(value, list):
                outcomes = value
            else:
                if isinstance(value, tuple) and len(value) == 3:  # (type, exc, traceback)
                    value = value[1]
                exc = value if isinstance(value, BaseException) else None
                killed = type(exc).__name__ == "KilledWorker"
                if killed and (len(batch) > 1 or attempts[batch[0]] <= retries):
                    for i in batch:
                        attempts[i] += 1
                    # the worker died: each record again on its own, so that one
                    # record that kills workers (out of memory) fails alone
                    done.update(submit([[i] for i in batch]))
                    future.release()
                    continue
                if killed:
                    error = _death_reason(client, exc)
                elif exc is not None:
                    error = _error_text(exc)
                else:
                    error = f"CancelledError: the cluster lost this task ({future.status})"
                outcomes = [TaskOutcome(False, None, error) for _ in batch]
            future.release()
            for i, outcome in zip(batch, outcomes, strict=True):
                if i in results:
                    continue  # never count a record twice
                outcome.attempts = attempts[i]
                results[i] = outcome
                report.finished(i, outcome)
    except BaseException:
        client.cancel(submitted, force=True)
        raise
    return [results[i] for i in range(len(payloads))]


def map_records(
    fn: Callable[[Any], Any],
    records: RecordsLike,
    *,
    client: Any = None,
    retries: int = 2,
    progress: bool = True,
    window_duration: float | None = None,
    storage_options: dict[str, Any] | None = None,
    **old_spellings: Any,
) -> Any:
    """Call ``fn(record)`` once per record; return a DataFrame of results in input order.

    Parameters
    ----------
    fn : callable
        Called with one :class:`~workbench.parallel.records.RecordSpec` (``.record_id``,
        ``.path``, ``.start`` / ``.end``, ``.read(...)``, ``.open()``). Its return value
        goes to the ``result`` column; on a cluster it must be picklable, as must ``fn``.
    records : Selection, DataFrame, list of Record / dict / path / URL
        What to run over (one call per row / item).
    client : None, "local", distributed.Client or str
        ``None`` (default): in this process, no Dask needed. ``"local"``: a
        ``LocalCluster`` of worker processes sized to this machine, closed afterwards.
        A ``distributed.Client`` or a scheduler address: that cluster.
    retries : int
        How many more times a record is tried when the worker running it dies (default
        2). A record whose ``fn`` raises is not retried: it is a row with ``ok=False``.
    progress : bool
        Show a tqdm bar (and, on a cluster, print the dashboard link).
    window_duration : float, optional
        Cut every record with known start/end into windows of at most this many seconds
        (one call per window: ``rec.start`` / ``rec.end``), so long files spread out.
        (Not ``segment_duration``, the length of the batches a read yields; the old
        spelling ``segment_seconds`` still works, with a deprecation warning.)
    storage_options : dict, optional
        fsspec options for records given as URLs.

    Returns
    -------
    pandas.DataFrame
        ``record_id``, ``path``, ``start``, ``end``, ``ok``, ``result``, ``error``,
        ``seconds``, ``attempts``; one row per record (or window), in input order.

    Raises
    ------
    InvalidArgumentError
        ``fn`` is not callable or cannot be pickled for the cluster (before anything runs).
    MissingExtraError
        A cluster was asked for without the ``[dask]`` extra.
    ClusterError
        The scheduler address did not answer within the connect timeout.

    Examples
    --------
    >>> import workbench as wb
    >>> sel = wb.open_catalog("data/catalog.db").select(tags=["camera"])   # doctest: +SKIP
    >>> df = wb.map_records(lambda r: len(r.read(target_frame_rate=1).read_all()), sel,
    ...                     client="local")                                # doctest: +SKIP
    >>> df[~df.ok]                                                          # doctest: +SKIP
    """
    import pandas as pd

    window_duration = take_window_duration(window_duration, old_spellings, of=map_records)
    specs = as_specs(records, storage_options=storage_options, window_duration=window_duration)
    outcomes = run_tasks(fn, specs, client=client, retries=retries, progress=progress)
    return pd.DataFrame(
        {
            "record_id": [s.record_id for s in specs],
            "path": [s.path for s in specs],
            "start": [s.start for s in specs],
            "end": [s.end for s in specs],
            "ok": pd.Series([o.ok for o in outcomes], dtype=bool),
            "result": pd.Series([o.value for o in outcomes], dtype=object),
            "error": [o.error for o in outcomes],
            "seconds": [o.seconds for o in outcomes],
            "attempts": [o.attempts for o in outcomes],
        }
    )
