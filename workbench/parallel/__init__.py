"""Run the same jobs over many recordings: in this process, or on a Dask cluster.

- :func:`map_records`: ``fn(record)`` once per record, a DataFrame of results in order.
- :class:`RecordSpec` / :func:`as_specs`: the picklable description a worker gets.
- :func:`resolve_client`: ``None`` / ``"local"`` / a ``Client`` / an address -> a client.
- :func:`selection_to_dask`: time series of a selection as one Dask DataFrame.

This package sits under the catalog, export and streams layers (they call it); it
imports only the readers (a worker reads its record) and, when a cluster is used,
``dask.distributed`` (the ``[dask]`` extra).
"""

from __future__ import annotations

from workbench._lazy import lazy_exports

_LAZY = {
    "RecordSpec": "workbench.parallel.records",
    "as_specs": "workbench.parallel.records",
    "resolve_client": "workbench.parallel.client",
    "local_cluster": "workbench.parallel.client",
    "map_records": "workbench.parallel.mapping",
    "run_tasks": "workbench.parallel.mapping",
    "selection_to_dask": "workbench.parallel.series",
}
__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports("workbench.parallel", _LAZY, globals(), __all__)
