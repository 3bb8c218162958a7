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

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports, type_checking_imports

# ruff: noqa: F401  (the public names are imports under TYPE_CHECKING, exported via _LAZY)
if TYPE_CHECKING:  # the public names, imported on first use (see workbench._lazy)
    from workbench.formats.can.api import CanDecode, decode_can
    from workbench.formats.can.catalog import catalog_rows
    from workbench.formats.can.database import find_database, load_database
    from workbench.formats.can.decode import DecodeReport
    from workbench.formats.can.frames import Frames
    from workbench.formats.can.logs import is_can_log, iter_frames
    from workbench.formats.can.reader import CanReader

_LAZY: dict[str, str] = type_checking_imports(__file__)
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
