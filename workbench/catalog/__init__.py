"""Select recordings by exact tags, time and record id from a SQLite catalog.

``build_catalog(root)`` ingests a dataset folder (dwtk JSON sidecars, or bare videos
probed with PyAV) into ``<root>/catalog.db``; ``open_catalog(path)`` opens one;
``cat.select(tags=[...], record_id="016_*", between=(t0, t1))`` returns a
:class:`Selection` of :class:`Record` objects with a DataFrame underneath.

Examples
--------
>>> from workbench.catalog import open_catalog
>>> open_catalog("/no/such.db")
Traceback (most recent call last):
...
workbench.errors.CatalogNotFoundError: catalog '/no/such.db' does not exist; ...
"""

from __future__ import annotations

from workbench.catalog.catalog import Catalog, build_catalog, open_catalog
from workbench.catalog.ingest import IngestReport
from workbench.catalog.record import Record
from workbench.catalog.selection import Recording, Selection

__all__ = [
    "Catalog",
    "IngestReport",
    "Record",
    "Recording",
    "Selection",
    "build_catalog",
    "open_catalog",
]
