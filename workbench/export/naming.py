"""Safe output file names from a template such as ``"{record_id}-{timestamp:.3f}.jpg"``.

The template's own text may contain ``/`` to make sub-folders; the *values* put into it
never can. A value is made safe by replacing path separators, ``..``, control and
reserved characters, by avoiding reserved device names (``CON``, ``NUL`` ...) and by
shortening over-long values. Whenever a value had to change, ``~`` and a short hash of
the original value are appended; ``~`` itself is one of the characters replaced, so two
different values can never end up with the same name (``a/b`` -> ``a_b~<hash>``, while
``a_b`` stays ``a_b``).

Examples
--------
>>> t = NameTemplate("{record_id}-{timestamp:.3f}.jpg")
>>> t.render(record_id="016_0001", timestamp=1500000000.5)
'016_0001-1500000000.500.jpg'
>>> t.render(record_id="../etc/passwd", timestamp=0.0)
'__etc_passwd~e96c47ea-0.000.jpg'
>>> safe_value("a/b") != safe_value("a_b")
True

The default name (:func:`default_template`) adds the camera only when a record has
several frame sources, so a dump of one camera per record keeps its short names:

>>> one = [source_fields("r1", "/d/r1/camera_01.mp4"), source_fields("r2", "/d/r2/camera_01.mp4")]
>>> default_template("jpg", one).template
'{record_id}-{timestamp:.3f}.jpg'
>>> two = [*one, source_fields("r1", "/d/r1/camera_02.mp4")]
>>> default_template("jpg", two).template
'{record_id}-{camera}-{timestamp:.3f}.jpg'
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import PurePath, PurePosixPath
from typing import Any

from workbench.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_NAMES",
    "FIELDS",
    "NameTemplate",
    "default_template",
    "safe_value",
    "source_fields",
]

#: fields a template may use
FIELDS = {
    "record_id": "the record id",
    "timestamp": "absolute time of the frame in seconds (float)",
    "index": "frame index in the file (int)",
    "n": "position of the frame within the export of this record (int)",
    "stem": "file name of the source without its suffix",
    "camera": "the source file stem (alias of stem, e.g. camera_01)",
    "ext": "extension of the output format without the dot (jpg, png, webp)",
    "content": "the catalog's contents name of the source (e.g. camera/front-center), else stem",
    "source_id": "8 hex digits that differ for every source file (and content) of an export",
}

#: default names, tried in order: the first that gives every frame source its own names
DEFAULT_NAMES = (
    "{record_id}-{timestamp:.3f}.{ext}",
    "{record_id}-{camera}-{timestamp:.3f}.{ext}",
    "{record_id}-{content}-{timestamp:.3f}.{ext}",
    "{record_id}-{source_id}-{timestamp:.3f}.{ext}",
)

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|~]')
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
MAX_VALUE = 100  # characters kept from one value
MAX_COMPONENT = 200  # bytes of one path component (most file systems allow 255)
MAX_DEPTH = 32  # folders a template may nest (deeper paths break mkdir and PATH_MAX)
MAX_PATH = 1024  # bytes of a whole rendered name (PATH_MAX is 4096 with the output folder)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def safe_value(value: Any) -> str:
    """Return ``str(value)`` made safe to put inside one file name.

    Examples
    --------
    >>> safe_value("front/center")
    'front_center~8b62c7a9'
    >>> safe_value("CON")
    'CON_~7679a072'
    >>> safe_value("plain-id_01")
    'plain-id_01'
    """
    text = str(value)
    out = _UNSAFE.sub("_", text)
    out = out.strip(" ")
    if out in ("", ".", "..") or out.startswith("."):
        out = "_" + out.lstrip(".") if out.strip(".") else "_"
    head, dot, rest = out.partition(".")
    if head.strip().lower() in _RESERVED:
        out = f"{head}_{dot}{rest}"
    if len(out) > MAX_VALUE:
        out = out[:MAX_VALUE]
    if out != text:
        out = f"{out}~{_hash(text)}"
    return out


class NameTemplate:
    """A validated output-name template; :meth:`render` returns a safe relative path.

    Raises
    ------
    InvalidArgumentError
        The template is absolute, climbs out with ``..``, uses an unknown field or has
        no field that changes per frame (every frame would get the same name).
    """

    def __init__(self, template: str) -> None:
        if not isinstance(template, str) or not template.strip():
            raise InvalidArgumentError(f"name={template!r} must be a non-empty template")
        bad = _CONTROL.search(template)
        if bad:
            raise InvalidArgumentError(
                f"name={template!r} contains the control character {bad.group()!r} (a NUL "
                "byte, newline or tab cannot be part of a file name); remove it"
            )
        depth = template.replace("\\", "/").count("/")
        if depth > MAX_DEPTH:
            raise InvalidArgumentError(
                f"name={template[:60]!r}... nests {depth} folders; at most {MAX_DEPTH} are allowed"
            )
        literal = PurePosixPath(template.replace("\\", "/"))
        if literal.is_absolute() or re.match(r"^[A-Za-z]:", template):
            raise InvalidArgumentError(f"name={template!r} must be a relative file name")
        if ".." in literal.parts:
            raise InvalidArgumentError(f"name={template!r} must not contain '..'")
        used = []
        try:
            for _, field_name, spec, _ in string.Formatter().parse(template):
                if field_name is not None:
                    used.append(field_name.split(".")[0].split("[")[0])
                _check_spec(template, spec or "")
        except ValueError as exc:
            if isinstance(exc, InvalidArgumentError):
                raise
            raise InvalidArgumentError(f"name={template!r} is not a valid template: {exc}") from exc
        unknown = [f for f in used if f not in FIELDS]
        if unknown:
            raise InvalidArgumentError(
                f"name={template!r} uses unknown field(s) {unknown}; known fields: "
                + ", ".join(f"{{{k}}} ({v})" for k, v in FIELDS.items())
            )
        if not {"timestamp", "index", "n"} & set(used):
            raise InvalidArgumentError(
                f"name={template!r} must use {{timestamp}}, {{index}} or {{n}} so that "
                "each frame gets its own file"
            )
        self.template = template
        self.fields = used

    @property
    def suffix(self) -> str:
        """The template's file extension, lower case (``.jpg``), or ``""``."""
        return PurePosixPath(self.template).suffix.lower()

    def render(self, **values: Any) -> str:
        """Fill the template and return a safe relative POSIX path."""
        safe = {
            k: (v if isinstance(v, (int, float)) and not isinstance(v, bool) else safe_value(v))
            for k, v in values.items()
        }
        try:
            name = self.template.format(**safe)
        except (KeyError, ValueError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            raise InvalidArgumentError(
                f"name={self.template!r} cannot be filled ({exc}); check its format specs"
            ) from exc
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as exc:  # {index:c} of a surrogate code point
            raise InvalidArgumentError(
                f"name={self.template!r} renders {name!r}, which is not valid text ({exc.reason})"
            ) from exc
        if _CONTROL.search(name):  # a format spec can pad with any character, e.g. {n:\n>9}
            raise InvalidArgumentError(
                f"name={self.template!r} puts a control character into {name!r}; change the "
                "format spec"
            )
        parts = []
        for part in name.split("/"):  # not PurePosixPath: it keeps a leading "//"
            if part in ("", ".", ".."):
                continue
            if len(part.encode("utf-8")) > MAX_COMPONENT:
                stem, dot, ext = part.rpartition(".")
                keep = stem if dot else part
                ext = f".{ext}" if dot and len(ext) <= 10 else ""
                part = keep.encode("utf-8")[: MAX_COMPONENT - 20].decode("utf-8", "ignore")
                part = f"{part}~{_hash(name)}{ext}"
            parts.append(part)
        if not parts:
            raise InvalidArgumentError(f"name={self.template!r} renders to an empty name")
        rel = "/".join(parts)
        if len(rel.encode("utf-8")) > MAX_PATH:
            raise InvalidArgumentError(
                f"name={self.template[:60]!r}... renders to a name of "
                f"{len(rel.encode('utf-8'))} bytes; at most {MAX_PATH} are allowed"
            )
        return rel


def _check_spec(template: str, spec: str) -> None:
    """Refuse a format spec that could blow a name up (``{n:9999999999}`` asks Python
    for a 10 GB string) or take its width from a value (``{n:{index}}``)."""
    if "{" in spec:
        raise InvalidArgumentError(
            f"name={template!r}: a format spec may not contain another field ({spec!r})"
        )
    widths = [int(d) for d in re.findall(r"\d+", spec)]
    if any(w > MAX_COMPONENT for w in widths):
        raise InvalidArgumentError(
            f"name={template!r}: the format spec {spec!r} asks for more than "
            f"{MAX_COMPONENT} characters"
        )


def source_fields(record_id: str, path: str | PurePath, content: Any = None) -> dict[str, str]:
    """The name fields that describe one source: record_id, stem, camera, content, source_id.

    Examples
    --------
    >>> f = source_fields("r1", "/data/r1/camera_01.mp4", "camera/front-center")
    >>> f["camera"], f["content"], len(f["source_id"])
    ('camera_01', 'camera/front-center', 8)
    """
    stem = PurePath(str(path)).stem
    text = stem if content is None or isinstance(content, (dict, list)) else str(content)
    return {
        "record_id": str(record_id),
        "stem": stem,
        "camera": stem,
        "content": text,
        "source_id": _hash(f"{path}\0{text}"),
    }


def default_template(ext: str, sources: Iterable[Mapping[str, Any]]) -> NameTemplate:
    """Return the first of :data:`DEFAULT_NAMES` that gives every source its own names.

    ``sources`` are :func:`source_fields` of the frame sources of one export. A name
    keeps a source's frames apart by their timestamps; sources are kept apart by the
    fields before the timestamp, so a template fits when those render differently for
    every source. The last template contains ``{source_id}`` and always fits.
    """
    distinct = {s["source_id"]: s for s in sources}
    template = NameTemplate(DEFAULT_NAMES[0].replace("{ext}", ext))
    for text in DEFAULT_NAMES:
        template = NameTemplate(text.replace("{ext}", ext))
        heads = {
            template.render(**s, timestamp=0.0, index=0, n=0, ext=ext) for s in distinct.values()
        }
        if len(heads) == len(distinct):
            break
    return template
