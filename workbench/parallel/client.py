"""Turn ``client=`` into a running ``distributed.Client`` (or ``None``: run in this process).

- ``None``: no Dask at all; the work runs in the calling process.
- ``"local"``: a ``LocalCluster`` of worker processes sized to this machine (one worker
  per core, one thread each), started for the call and closed when it ends.
- a ``distributed.Client`` (or a ``LocalCluster`` / ``SpecCluster``): used as it is, left open.
- a scheduler address (``"tcp://10.0.0.5:8786"``): connected within ``connect_timeout``
  seconds, closed when the call ends.

Scripts without ``if __name__ == "__main__":``: worker processes are started with the
``spawn`` method, which re-runs the parent's ``__main__`` file in every worker (and so
would start the user's whole job again, recursively). While a cluster we started is
alive, the parent's ``__main__`` is made to look like an interactive session (no
``__file__`` / ``__spec__``, as in Jupyter), so workers start clean; functions defined in
the script travel by value (cloudpickle), so nothing needs the script in the worker.

Examples
--------
>>> with resolve_client(None) as client:
...     client is None
True
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from workbench.errors import ClusterError, InvalidArgumentError, MissingExtraError

__all__ = ["CONNECT_TIMEOUT", "import_distributed", "local_cluster", "resolve_client"]

#: seconds to wait for a scheduler address to answer
CONNECT_TIMEOUT = 10.0


def import_distributed() -> Any:
    """Import ``dask.distributed``, or raise :class:`MissingExtraError` naming the extra."""
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(
            "running on a Dask cluster needs the [dask] extra: pip install 'workbench[dask]' "
            f"({exc}); or pass client=None to run in this process"
        ) from exc
    return distributed


@contextlib.contextmanager
def _main_not_reimported() -> Iterator[None]:
    """Hide ``__main__``'s file from ``multiprocessing``'s spawn while workers start."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main and k in main.__dict__}
    if main is not None and main.__dict__.get("__file__") is not None:
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextlib.contextmanager
def local_cluster(
    n_workers: int | None = None, *, memory_limit: str | int = "auto", **kwargs: Any
) -> Iterator[Any]:
    """A ``Client`` on a ``LocalCluster`` of worker processes on 127.0.0.1, closed on exit.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: one per usable core), one thread each.
    memory_limit : str or int
        Per worker (``"auto"``: the machine's memory shared out), passed to Dask.
    **kwargs
        Passed to ``distributed.LocalCluster``.
    """
    distributed = import_distributed()
    n = n_workers or _usable_cpus()
    options: dict[str, Any] = {
        "n_workers": n,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:0",
        "memory_limit": memory_limit,
        **kwargs,
    }
    import dask

    with _main_not_reimported():  # for the cluster's whole life: nannies restart workers
        # a worker death counts at once: map_records resubmits (up to its ``retries``) itself
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = distributed.LocalCluster(**options)
        try:
            client = distributed.Client(cluster, set_as_default=False)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()


@contextlib.contextmanager
def resolve_client(
    client: Any, *, connect_timeout: float = CONNECT_TIMEOUT, announce: bool = True
) -> Iterator[Any]:
    """Yield the ``distributed.Client`` that ``client=`` names (``None`` for in-process).

    Raises
    ------
    MissingExtraError
        ``dask.distributed`` is not installed.
    ClusterError
        A scheduler address did not answer within ``connect_timeout`` seconds.
    InvalidArgumentError
        ``client`` is none of the accepted kinds.
    """
    if client is None:
        yield None
        return
    if isinstance(client, str) and client == "local":
        with local_cluster() as c:
            _announce(c, announce)
            yield c
        return
    distributed = import_distributed()
    if isinstance(client, distributed.Client):
        _announce(client, announce)
        yield client
        return
    if hasattr(client, "scheduler_address") and hasattr(client, "close"):  # a cluster object
        with distributed.Client(client, set_as_default=False) as c:
            _announce(c, announce)
            yield c
        return
    if isinstance(client, str):
        try:
            c = distributed.Client(client, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"no Dask scheduler answered at {client!r} within {connect_timeout:g} s "
                f"({exc}); check the address and that the scheduler is running, or pass "
                "client='local' / client=None"
            ) from exc
        try:
            _announce(c, announce)
            yield c
        finally:
            c.close()
        return
    raise InvalidArgumentError(
        f"client={client!r} must be None (this process), 'local' (a LocalCluster), a "
        "distributed.Client, a cluster object or a scheduler address such as "
        "'tcp://host:8786'"
    )


def _announce(client: Any, announce: bool) -> None:
    if announce:
        n = len(client.scheduler_info().get("workers", {}))
        print(f"Dask cluster: {n} worker(s), dashboard {client.dashboard_link}")


def decoder_threads_by_host(client: Any) -> dict[str, int]:
    """Worker threads per host, so a worker can give each task ``cores // threads``."""
    counts: dict[str, int] = {}
    for info in client.scheduler_info(n_workers=-1).get("workers", {}).values():
        host = str(info.get("host", ""))
        counts[host] = counts.get(host, 0) + int(info.get("nthreads", 1) or 1)
    return counts
