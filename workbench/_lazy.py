"""Lazy re-exports: a package names its public objects, imported on first use.

Examples
--------
>>> ns = {}
>>> getattr_, dir_ = lazy_exports("pkg", {"sqrt": "math"}, ns, ["sqrt"])
>>> getattr_("sqrt")(9.0), ns["sqrt"] is getattr_("sqrt"), dir_()
(3.0, True, ['sqrt'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


def lazy_exports(
    package: str, modules: dict[str, str], namespace: dict[str, Any], exported: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` for lazily imported names.

    Parameters
    ----------
    package
        The package's dotted name, for the ``AttributeError`` message.
    modules
        Public name -> dotted name of the module that defines it.
    namespace
        The package's ``globals()``; a name is cached there once imported.
    exported
        The names ``dir()`` lists (the package's ``__all__``).
    """
    listed = sorted(exported)

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__
