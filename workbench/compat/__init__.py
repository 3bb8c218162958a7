"""Compatibility layers that let notebooks written for older tools run unchanged.

- :mod:`workbench.compat.dwtk`: ``DBHandler`` and ``BaseFileReader`` of the Driving
  Behavior Database toolkit (dwtk / pydtk), served from a workbench catalog.

Examples
--------
>>> from workbench.compat.dwtk import BaseFileReader, DBHandler
>>> DBHandler(db_class="meta", db_host="/no/such/catalog.db")
Traceback (most recent call last):
...
workbench.errors.CatalogNotFoundError: catalog '/no/such/catalog.db' does not exist; ...
"""
