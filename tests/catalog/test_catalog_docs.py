from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "workbench.catalog",
    "workbench.catalog.catalog",
    "workbench.catalog.ingest",
    "workbench.catalog.postings",
    "workbench.catalog.query",
    "workbench.catalog.record",
    "workbench.catalog.schema",
    "workbench.catalog.selection",
    "workbench.catalog.sql_guard",
    "workbench.catalog.store",
    "workbench.compat",
    "workbench.compat.dwtk",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
