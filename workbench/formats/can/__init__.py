"""CAN bus logs decoded with a database (DBC, KCD, ARXML, SYM), vectorised.

python-can reads the log formats (a vectorised reader handles candump ``.log``),
cantools reads the database, asammdf (through python-can) reads MF4 bus logging, and
numpy decodes every signal of a message over all its frames at once.

Examples
--------
>>> from workbench.formats.can import decode_can, load_database
>>> callable(decode_can), callable(load_database)
(True, True)
"""

from __future__ import annotations

from workbench._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "decode_can": "workbench.formats.can.api",
    "CanDecode": "workbench.formats.can.api",
    "DecodeReport": "workbench.formats.can.decode",
    "load_database": "workbench.formats.can.database",
    "iter_frames": "workbench.formats.can.logs",
    "is_can_log": "workbench.formats.can.logs",
    "Frames": "workbench.formats.can.frames",
    "CanReader": "workbench.formats.can.reader",
    "catalog_rows": "workbench.formats.can.catalog",
    "find_database": "workbench.formats.can.database",
}
__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports("workbench.formats.can", _LAZY, globals(), __all__)
