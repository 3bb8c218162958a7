"""Fixtures shared by the bag tests: the sample recordings of every kind, made once per module."""

from __future__ import annotations

import pytest
from bags_support import make_bags


@pytest.fixture(scope="module")
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``{kind: path}`` of the sample recording of every kind, and ``"cache"``: a cache folder."""
    return make_bags(tmp_path_factory.mktemp("bags"))
