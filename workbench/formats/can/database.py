"""Load a CAN database (DBC, KCD, ARXML, SYM) with cantools and refuse inconsistent ones.

cantools parses the file; ``strict=True`` makes it check, per message, that no two
signals that can be present together overlap and that every signal fits in the frame.
Its errors are re-raised as :class:`~workbench.errors.CorruptMediaError` naming the file
(and, for syntax errors, cantools' line and column).

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "car.dbc"
>>> _ = p.write_text('''VERSION ""
... BU_:
... BO_ 256 Speed: 8 Vector__XXX
...  SG_ speed_kmh : 0|16@1+ (0.01,0) [0|655.35] "km/h" Vector__XXX
... ''')
>>> db = load_database(p)
>>> [m.name for m in db.messages], db.messages[0].signals[0].unit
(['Speed'], 'km/h')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.errors import CorruptMediaError, InvalidArgumentError, SourceNotFoundError

__all__ = ["DATABASE_SUFFIXES", "find_database", "load_database"]

#: database formats cantools reads
DATABASE_SUFFIXES: tuple[str, ...] = (".dbc", ".kcd", ".arxml", ".sym")


def load_database(database: Any) -> Any:
    """Return a validated ``cantools.database.can.Database``.

    Parameters
    ----------
    database : str, os.PathLike or cantools Database
        A ``.dbc``, ``.kcd``, ``.arxml`` or ``.sym`` file, or a database already loaded
        with cantools (it is checked the same way).

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    CorruptMediaError
        A syntax error (the message names the file and line), or signals that overlap or
        do not fit in their frame (the message names the message and the signals).
    InvalidArgumentError
        ``database`` is neither a path nor a cantools CAN database.
    """
    import cantools

    if isinstance(database, cantools.database.can.Database):
        _check(database, "the given database")
        return database
    if not isinstance(database, (str, os.PathLike)):
        raise InvalidArgumentError(
            f"database={database!r} must be a path to a {'/'.join(DATABASE_SUFFIXES)} file "
            "or a cantools database"
        )
    path = Path(database)
    if not path.is_file():
        raise SourceNotFoundError(f"CAN database {path} does not exist")
    if path.suffix.lower() not in DATABASE_SUFFIXES:
        raise InvalidArgumentError(
            f"{path} is not a CAN database; supported: {', '.join(DATABASE_SUFFIXES)}"
        )
    try:
        db = cantools.database.load_file(path, strict=False)
    except cantools.database.UnsupportedDatabaseFormatError as exc:
        # cantools wraps the parser's own error: 'DBC: "Invalid syntax at line 5, column 1"'
        raise CorruptMediaError(
            f"{path} cannot be parsed as a CAN database: {_first_line(exc)}; fix the file"
        ) from None
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise CorruptMediaError(f"{path} cannot be read as a CAN database: {exc}") from None
    if not isinstance(db, cantools.database.can.Database):
        raise CorruptMediaError(f"{path} is a diagnostics database, not a CAN database")
    _check(db, str(path))
    return db


def find_database(
    log: str | os.PathLike[str], sidecar: dict[str, Any] | None = None
) -> Path | None:
    """Return the database that describes ``log``, or None when nothing names one.

    In order: the sidecar's ``"database"`` (relative to the log's folder, or absolute);
    ``<log stem>.dbc`` (or .kcd/.arxml/.sym) next to the log; the only database file in
    the log's folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "vehicle.dbc").write_text("")
    >>> find_database(folder / "bus.log").name
    'vehicle.dbc'
    >>> find_database(folder / "bus.log", {"database": "other.dbc"}).name
    'other.dbc'
    """
    log = Path(log)
    named = (sidecar or {}).get("database")
    if isinstance(named, str) and named:
        return log.parent / named
    for suffix in DATABASE_SUFFIXES:
        candidate = log.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    try:
        found = [p for p in log.parent.iterdir() if p.suffix.lower() in DATABASE_SUFFIXES]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


def _check(db: Any, where: str) -> None:
    """Raise CorruptMediaError for overlapping or out-of-frame signals (cantools' strict check)."""
    import cantools

    for message in db.messages:
        try:
            message.refresh(strict=True)
        except cantools.database.Error as exc:
            raise CorruptMediaError(
                f"{where}: message {message.name!r} (id 0x{message.frame_id:X}): {exc} "
                "Fix the signal layout in the database."
            ) from None
