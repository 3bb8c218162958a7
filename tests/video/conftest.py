"""Shared media for the video tests: every hard case encoded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from video_support import CASES, Reference, make_case, sequential_decode


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video-media")


@pytest.fixture(scope="session")
def case_files(media_dir: Path) -> dict[str, Path]:
    return {name: make_case(media_dir, name) for name in CASES}


@pytest.fixture(scope="session")
def references(case_files: dict[str, Path]) -> dict[str, Reference]:
    return {name: sequential_decode(p) for name, p in case_files.items()}


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "index-cache"
