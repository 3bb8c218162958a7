"""Select recordings by exact tags, time and record id from a SQLite catalog.

``build_catalog(root)`` ingests a dataset folder (dwtk JSON sidecars, or bare videos
probed with PyAV) into ``<root>/catalog.db``; ``open_catalog(path)`` opens one;
``cat.select(tags=[...], record_id="016_*", between=(t0, t1))`` returns a
:class:`Selection` of :class:`Record` objects with a DataFrame underneath.

The dataset may also live in a bucket: ``build_catalog("s3://bucket/data/",
db="catalog.db", storage_options={...})`` lists it through fsspec and writes the
catalog locally. Its records carry the full URL in ``rec.path`` and the options in
``rec.storage_options`` (given again to ``open_catalog(path, storage_options=...)``:
credentials are never written into the catalog file).

Bad input is refused, never half-taken: malformed or oversized sidecars and symbolic
links that leave the dataset are skipped and listed in ``cat.last_report``; a file
that is not a catalog is never written into; ``Catalog.sql`` only reads; an empty
selection names the known tags close to a misspelt one.

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
