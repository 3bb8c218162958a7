"""What an export did: counts, bytes, time, and every skipped or failed item.

Examples
--------
>>> r = ExportResult(out_dir="dump", written=3, bytes=3000, seconds=0.5)
>>> r.ok, r.total
(True, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ExportFailure", "ExportResult", "SkippedItem"]


@dataclass(frozen=True)
class ExportFailure:
    """A source (or one file) that could not be exported, and why."""

    record_id: str
    source: str
    error: str
    kind: str

    def __str__(self) -> str:
        return f"{self.record_id} ({self.source}): {self.kind}: {self.error}"


@dataclass(frozen=True)
class SkippedItem:
    """A source that was left out on purpose (not frames, outside the window ...)."""

    record_id: str
    source: str
    reason: str


@dataclass
class ExportResult:
    """Summary of :func:`workbench.export_frames` (and the other exports).

    Attributes
    ----------
    out_dir : pathlib.Path
        Where the files went.
    written : int
        Files written by this call.
    skipped : int
        Files already complete from an earlier run (found in the manifest), not redone.
    bytes : int
        Bytes written by this call.
    seconds : float
        Wall time of the call.
    first_file_seconds : float or None
        Time from the call until the first file was on disk.
    files : list of pathlib.Path
        The files written by this call.
    skipped_sources : list of SkippedItem
        Sources that were not exported on purpose, with the reason.
    failed : list of ExportFailure
        Sources or files that failed; files written before a failure are kept.
    """

    out_dir: Path | str
    written: int = 0
    skipped: int = 0
    bytes: int = 0
    seconds: float = 0.0
    first_file_seconds: float | None = None
    files: list[Path] = field(default_factory=list)
    skipped_sources: list[SkippedItem] = field(default_factory=list)
    failed: list[ExportFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    @property
    def total(self) -> int:
        """Files now complete: written by this call plus found done."""
        return self.written + self.skipped

    def __repr__(self) -> str:
        first = "-" if self.first_file_seconds is None else f"{self.first_file_seconds:.3f}s"
        return (
            f"ExportResult(written={self.written}, skipped={self.skipped}, "
            f"bytes={self.bytes}, seconds={self.seconds:.3f}, first_file={first}, "
            f"skipped_sources={len(self.skipped_sources)}, failed={len(self.failed)})"
        )
