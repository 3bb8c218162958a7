"""Fixtures for the widget tests: small sample videos encoded once per module."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from workbench.samples import make_video, read_frame_code


@pytest.fixture(scope="module")
def video_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s, 30 fps, 160x96, a keyframe every 15 frames."""
    root = tmp_path_factory.mktemp("widget-video")
    return make_video(root / "clip.mp4", size=(160, 96), fps=30, frames=90, gop=15)


class Frontend:
    """Stands in for the browser: captures what the widget sends, sends it requests."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        widget.send = self._capture

    def _capture(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.sent.append((content, list(buffers or [])))

    def request(self, msg: dict[str, Any]) -> None:
        self.widget._handle_message(self.widget, msg, [])

    def wait_for(self, seq: int, timeout: float = 20.0) -> tuple[dict[str, Any], list[bytes]]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for content, buffers in self.sent:
                if content.get("seq") == seq:
                    return content, buffers
            time.sleep(0.005)
        raise AssertionError(f"no reply with seq {seq}; got {[c for c, _ in self.sent]}")


def jpeg_code(data: bytes) -> int:
    """Frame code of a JPEG from the widget."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    return read_frame_code(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


@pytest.fixture
def frontend() -> type[Frontend]:
    """The :class:`Frontend` stand-in for the browser (``frontend(widget)``)."""
    return Frontend


@pytest.fixture(name="jpeg_code")
def jpeg_code_fixture() -> Any:
    """:func:`jpeg_code`: the frame code of JPEG bytes."""
    return jpeg_code


@pytest.fixture
def scrubber(video_path: Path) -> Iterator[Any]:
    from workbench.widgets import VideoScrubber

    s = VideoScrubber(video_path)
    yield s
    s.close()
