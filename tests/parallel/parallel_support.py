"""Helpers of the scale-out tests (a conftest cannot be imported by name: every test
folder has one)."""

from __future__ import annotations

from pathlib import Path


def frames_in(folder: Path) -> list[str]:
    """Relative names of the exported images under ``folder``, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))
