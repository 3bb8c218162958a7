"""Lazy re-exports: a package names its public objects, imported on first use.

A package lists its public names once, as imports under ``if TYPE_CHECKING:`` (so type
checkers and editors see every signature); :func:`type_checking_imports` reads that block
from the package's source at import time, and :func:`lazy_exports` imports each name when
it is first used. A name that moved elsewhere keeps working for a while: it is listed in
``moved`` (old name -> the module that has it now) and warns with
:class:`~workbench.errors.WorkbenchDeprecationWarning` naming the new place.

Examples
--------
>>> ns = {}
>>> getattr_, dir_ = lazy_exports("pkg", {"sqrt": "math"}, ns, ["sqrt"])
>>> getattr_("sqrt")(9.0), ns["sqrt"] is getattr_("sqrt"), dir_()
(3.0, True, ['sqrt'])
>>> import warnings
>>> getattr_, _ = lazy_exports("pkg", {}, {}, [], moved={"sqrt": "math"})
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     root = getattr_("sqrt")(16.0)
>>> root, str(caught[0].message)
(4.0, 'pkg.sqrt has moved: use math.sqrt')
"""

from __future__ import annotations

import ast
import importlib
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def lazy_exports(
    package: str,
    modules: dict[str, str],
    namespace: dict[str, Any],
    exported: Iterable[str],
    *,
    moved: dict[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` for lazily imported names.

    Parameters
    ----------
    package
        The package's dotted name, for the ``AttributeError`` message.
    modules
        Public name -> dotted name of the module that defines it. A name whose module is
        ``package`` itself is a subpackage (``from workbench import samples``), imported
        as ``package.name``.
    namespace
        The package's ``globals()``; a name is cached there once imported.
    exported
        The names ``dir()`` lists (the package's ``__all__``).
    moved
        Old name -> module that defines it now: still importable, with a
        ``WorkbenchDeprecationWarning``; not listed by ``dir()``, never cached.
    """
    listed = sorted(exported)

    moved = moved or {}

    def __getattr__(name: str) -> Any:
        if name in moved:
            from workbench.errors import WorkbenchDeprecationWarning

            new_home = moved[name]
            warnings.warn(
                f"{package}.{name} has moved: use {new_home}.{name}",
                WorkbenchDeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(new_home), name)
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module == package:  # a subpackage, e.g. ``wb.samples``
            value = importlib.import_module(f"{package}.{name}")
        else:
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__


def type_checking_imports(path: str | Path) -> dict[str, str]:
    """Return ``{name: module}`` for the ``from module import name`` lines under
    ``if TYPE_CHECKING:`` in the Python file ``path`` (read, not executed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "pkg.py"
    >>> _ = src.write_text("from typing import TYPE_CHECKING\\n"
    ...                    "if TYPE_CHECKING:\\n    from math import sqrt, pi\\n")
    >>> type_checking_imports(src)
    {'sqrt': 'math', 'pi': 'math'}
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        names[alias.asname or alias.name] = stmt.module
    return names
