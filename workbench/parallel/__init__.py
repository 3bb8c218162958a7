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

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports, type_checking_imports

# ruff: noqa: F401  (the public names are imports under TYPE_CHECKING, exported via _LAZY)
if TYPE_CHECKING:  # the public names, imported on first use (see workbench._lazy)
    from workbench.parallel.client import local_cluster, resolve_client
    from workbench.parallel.mapping import map_records, run_tasks
    from workbench.parallel.records import RecordSpec, as_specs
    from workbench.parallel.series import selection_to_dask

_LAZY: dict[str, str] = type_checking_imports(__file__)
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
