from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from catalog_support import make_dataset, make_tiny_mp4

import workbench as wb


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small H.264 file, encoded once per session and copied where needed."""
    return make_tiny_mp4(tmp_path_factory.mktemp("media") / "template.mp4")


@pytest.fixture(scope="session")
def dataset_template(tmp_path_factory: pytest.TempPathFactory, tiny_mp4: Path) -> Path:
    return make_dataset(tmp_path_factory.mktemp("dataset_template"), tiny_mp4)


@pytest.fixture
def dataset(tmp_path: Path, dataset_template: Path) -> Path:
    """A fresh, writable copy of the small dwtk-style dataset."""
    root = tmp_path / "data"
    shutil.copytree(dataset_template, root)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dataset_template: Path) -> wb.Catalog:
    """A catalog of the dataset, built once per module (do not modify it)."""
    root = tmp_path_factory.mktemp("built") / "data"
    shutil.copytree(dataset_template, root)
    cat = wb.build_catalog(root)
    yield cat
    cat.close()
