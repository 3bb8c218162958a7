"""Safe file names from templates."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidArgumentError
from workbench.export.naming import NameTemplate, safe_value


@pytest.mark.parametrize(
    "value",
    [
        "../../etc/passwd",
        "/abs/path",
        "a\\b",
        "x:y",
        "CON",
        "nul.txt",
        ".hidden",
        "..",
        "",
        "tab\there",
        "a~b",
    ],
)
def test_values_never_escape_or_hit_reserved_names(value):
    out = safe_value(value)
    assert "/" not in out and "\\" not in out and out not in ("", ".", "..")
    assert not out.startswith(".")
    assert out.split(".")[0].split("~")[0].lower() not in ("con", "nul")


def test_values_that_sanitize_alike_do_not_collide():
    values = ["a/b", "a_b", "a:b", "a\\b", "a~b", "a_b~" + safe_value("a/b").split("~")[1]]
    assert len({safe_value(v) for v in values}) == len(values)
    assert safe_value("a_b") == "a_b"


def test_long_values_are_shortened_with_a_hash():
    a, b = safe_value("x" * 300 + "1"), safe_value("x" * 300 + "2")
    assert len(a) < 120 and a != b


def test_template_renders_relative_safe_paths():
    t = NameTemplate("{record_id}/{camera}-{index:06d}.jpg")
    assert t.render(record_id="r/1", camera="camera_01", index=7, timestamp=0.0).startswith("r_1~")
    assert t.render(record_id="r1", camera="c", index=7) == "r1/c-000007.jpg"
    long = NameTemplate("{record_id}-{timestamp:.3f}.jpg").render(
        record_id="y" * 99 + "é" * 80, timestamp=1.0
    )
    assert len(long.encode()) <= 255 and long.endswith(".jpg")


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("/tmp/{timestamp}.jpg", "relative"),
        ("../{timestamp}.jpg", r"\.\."),
        ("{record_id}.jpg", "each frame"),
        ("{who}-{timestamp}.jpg", "unknown field"),
        ("{timestamp", "not a valid template"),
        ("", "non-empty"),
    ],
)
def test_bad_templates(template, match):
    with pytest.raises(InvalidArgumentError, match=match):
        NameTemplate(template)
