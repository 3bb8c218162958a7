"""The sample database the event tests search: two records, one small front camera."""

from __future__ import annotations

import pytest
from dataset_support import small_sample_database

import workbench as wb


def sample_catalog(
    tmp_path_factory: pytest.TempPathFactory, name: str, duration_seconds: float
) -> wb.Catalog:
    """Build the sample database (2 records of ``duration_seconds``) and its catalog."""
    root = small_sample_database(
        tmp_path_factory.mktemp(name) / "db", records=2, duration_seconds=duration_seconds
    )
    return wb.build_catalog(root)
