"""The condition of an event search: a pandas expression or a callable, checked before use.

A string condition is evaluated with :meth:`pandas.DataFrame.eval` over the aligned
series of one record (``"brake > 0.5 and speed_kmh > 60"``; backticks quote names that
are not identifiers). Its syntax is checked once, up front, and every name it uses must
be a column of the record: a typo gets an error listing the columns there are, not an
empty result.

Examples
--------
>>> import pandas as pd
>>> cond = Condition("brake > 0.5 and speed_kmh > 60")
>>> cond.names
('brake', 'speed_kmh')
>>> df = pd.DataFrame({"brake": [0, 1, 1], "speed_kmh": [70, 70, 50]})
>>> cond.evaluate(df, record_id="r1").tolist()
[False, True, False]
>>> Condition("brake >> > 1")
Traceback (most recent call last):
...
workbench.errors.InvalidArgumentError: condition syntax error at column 10 (invalid syntax):
    brake >> > 1
             ^
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidArgumentError

__all__ = ["Condition", "ConditionLike"]

#: what ``find_events`` accepts as a condition
ConditionLike = str | Callable[[pd.DataFrame], Any]

_BACKTICKED = re.compile(r"`([^`]+)`")
_NOT_NAMES = frozenset({"True", "False", "None", "and", "or", "not", "in"})


class Condition:
    """A validated event condition.

    Parameters
    ----------
    condition : str or callable
        A pandas expression over column names, or a function taking the record's
        aligned DataFrame and returning a boolean Series/array of the same length.
    signals : sequence of str, optional
        Columns to summarise (min/max/mean) per event; default: the names a string
        condition uses (a callable names none).

    Attributes
    ----------
    names : tuple of str
        Columns the condition (or ``signals``) refers to, in order of appearance.
    """

    def __init__(self, condition: ConditionLike, *, signals: Sequence[str] | None = None):
        if isinstance(condition, str):
            self.expression: str | None = condition.strip()
            self.function: Callable[[pd.DataFrame], Any] | None = None
            names = _names_in(self.expression)
        elif callable(condition):
            self.expression, self.function = None, condition
            names = ()
        else:
            raise InvalidArgumentError(
                f"condition must be a pandas expression such as 'brake > 0.5 and "
                f"speed_kmh > 60' or a function of a DataFrame, got {type(condition).__name__}"
            )
        if signals is not None:
            if isinstance(signals, str):
                signals = [signals]
            names = tuple(dict.fromkeys(str(s) for s in signals))
        self.names: tuple[str, ...] = names

    def __repr__(self) -> str:
        what = self.expression if self.expression is not None else repr(self.function)
        return f"Condition({what!r})"

    def check_columns(self, columns: Sequence[str], *, record_id: str) -> None:
        """Raise when a name the condition uses is not among ``columns``.

        Raises
        ------
        InvalidArgumentError
            Naming the missing columns, the record, and the columns it has.
        """
        missing = [n for n in self.names if n not in columns]
        if missing:
            raise InvalidArgumentError(
                f"the condition {self.expression or self.function!r} uses {missing}, which no "
                f"stream of record {record_id!r} has; its columns are {sorted(columns)}"
            )

    def evaluate(self, df: pd.DataFrame, *, record_id: str) -> np.ndarray:
        """Return the condition over ``df`` as a boolean array (NaN comparisons are False)."""
        try:
            function = self.function or (lambda frame: frame.eval(self.expression))
            result = function(df)
        except InvalidArgumentError:
            raise
        except Exception as exc:
            what = self.expression or self.function
            raise InvalidArgumentError(
                f"the condition {what!r} failed on record {record_id!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        mask = np.asarray(result)
        if mask.shape != (len(df),):
            raise InvalidArgumentError(
                f"the condition must give one truth value per sample ({len(df)}), "
                f"got shape {mask.shape}"
            )
        if mask.dtype != bool:
            if mask.dtype.kind not in "biuf":
                raise InvalidArgumentError(
                    f"the condition must give true/false per sample, got {mask.dtype} values"
                )
            mask = np.nan_to_num(mask.astype(np.float64), nan=0.0) != 0
        return mask


def _names_in(expression: str) -> tuple[str, ...]:
    """Column names used by a pandas expression, checking its syntax on the way."""
    if not expression:
        raise InvalidArgumentError("the condition is empty; write e.g. 'brake > 0.5'")
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"_wb_q{len(quoted)}_"
        quoted[key] = match.group(1)
        return key.ljust(len(match.group(0)))  # keep columns in error messages right

    python = _BACKTICKED.sub(placeholder, expression)
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        col = max(1, exc.offset or 1)
        raise InvalidArgumentError(
            f"condition syntax error at column {col} ({exc.msg}):\n"
            f"    {expression}\n    {' ' * (col - 1)}^"
        ) from None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in _NOT_NAMES:
            names.append(quoted.get(node.id, node.id))
        elif isinstance(node, ast.Call):
            raise InvalidArgumentError(
                f"the condition {expression!r} calls a function; use comparisons and "
                "arithmetic over columns, or pass a Python function as the condition"
            )
    # ast.walk is breadth-first: order names as they appear in the text
    return tuple(sorted(dict.fromkeys(names), key=lambda n: _position(expression, n)))


def _position(expression: str, name: str) -> int:
    at = expression.find(name)
    return at if at >= 0 else len(expression)
