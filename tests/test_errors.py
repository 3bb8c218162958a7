"""Every workbench error is also the built-in a caller would catch."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench import errors

BUILTIN_OF = {
    "InvalidArgumentError": ValueError,
    "SourceNotFoundError": FileNotFoundError,
    "CorruptMediaError": ValueError,
    "NoVideoStreamError": ValueError,
    "DecodeTimeoutError": ValueError,
    "FrameIndexError": IndexError,
    "IndexCacheError": OSError,
    "CatalogNotFoundError": FileNotFoundError,
    "CatalogQueryError": ValueError,
    "ReadOnlyCatalogError": PermissionError,
    "CatalogPermissionError": PermissionError,
    "SelectionIndexError": IndexError,
    "UnknownContentTypeError": LookupError,
    "ExportError": OSError,
    "StorageError": OSError,
    "StreamNotFoundError": FileNotFoundError,
    "ObjectChangedError": OSError,
    "StorageUnreachableError": ConnectionError,
    "MissingExtraError": ImportError,
    "ClusterError": ConnectionError,
    "WorkbenchDeprecationWarning": DeprecationWarning,
}


@pytest.mark.parametrize("name", sorted(BUILTIN_OF))
def test_error_inherits_base_and_builtin(name):
    cls = getattr(errors, name)
    assert issubclass(cls, errors.WorkbenchError)
    assert issubclass(cls, BUILTIN_OF[name])
    assert getattr(wb, name) is cls


def test_every_exported_error_is_a_workbench_error():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.WorkbenchError), name


def test_unknown_public_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        wb.no_such_name  # noqa: B018
