"""The condition of an event search: a pandas expression or a callable, checked before use.

A string condition is a pandas-style expression over the aligned series of one record
(``"brake > 0.5 and speed_kmh > 60"``; backticks quote names that are not identifiers;
``and``/``or``/``not`` work element-wise, as in :meth:`pandas.DataFrame.eval`). Its syntax
is checked once, up front, and every name it uses must be a column of the record: a typo
gets an error listing the columns there are, not an empty result.

It is compiled once into numpy operations over the columns: ``DataFrame.eval`` parses
the text again on every call (about 20 ms), which dominated a scan that evaluates the
condition once per segment of every record.

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
import io
import re
import tokenize
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
            names, self._code, self._identifiers = _compile(self.expression)
        elif callable(condition):
            self.expression, self.function = None, condition
            names, self._code, self._identifiers = (), None, {}
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

    def __reduce__(self) -> tuple[Any, ...]:
        # compiled code does not pickle: a worker compiles the expression again
        return (Condition, (self.expression or self.function,), {"names": self.names})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.names = state["names"]

    def __repr__(self) -> str:
        what = self.expression if self.expression is not None else repr(self.function)
        return f"Condition({what!r})"

    @property
    def columns_used(self) -> tuple[str, ...] | None:
        """Every column the condition needs (its own and the summarised ``names``); None
        for a callable, which may read any column."""
        if self.function is not None:
            return None
        return tuple(dict.fromkeys([*self._identifiers, *self.names]))

    def check_columns(self, columns: Sequence[str], *, record_id: str) -> None:
        """Raise when a name the condition uses is not among ``columns``.

        Raises
        ------
        InvalidArgumentError
            Naming the missing columns, the record, and the columns it has.
        """
        missing = [n for n in dict.fromkeys([*self._identifiers, *self.names]) if n not in columns]
        if missing:
            raise InvalidArgumentError(
                f"the condition {self.expression or self.function!r} uses {missing}, which no "
                f"stream of record {record_id!r} has; its columns are {sorted(columns)}"
            )

    def evaluate(self, df: pd.DataFrame, *, record_id: str) -> np.ndarray:
        """Return the condition over ``df`` as a boolean array (NaN comparisons are False)."""
        try:
            if self.function is not None:
                result = self.function(df)
            else:
                columns = {ident: df[n].to_numpy() for n, ident in self._identifiers.items()}
                result = eval(self._code, {"__builtins__": {}}, columns)
                result = np.broadcast_to(np.asarray(result), (len(df),))
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


class _ElementWise(ast.NodeTransformer):
    """``and``/``or``/``not`` and chained comparisons as element-wise numpy operations."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        values = [self.visit(v) for v in node.values]
        out = values[0]
        for value in values[1:]:
            out = ast.BinOp(left=out, op=op, right=value)
        return out

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Invert(), operand=operand)
        return ast.UnaryOp(op=node.op, operand=operand)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        left = self.visit(node.left)
        parts = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right)
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        out: ast.AST = parts[0]
        for part in parts[1:]:
            out = ast.BinOp(left=out, op=ast.BitAnd(), right=part)
        return out


_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Load,
    ast.Constant, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip


def _compile(expression: str) -> tuple[tuple[str, ...], Any, dict[str, str]]:
    """Column names a pandas-style expression uses, its compiled element-wise form, and the
    identifier standing for each column in that code (backticked names get placeholders)."""
    if not expression:
        raise InvalidArgumentError("the condition is empty; write e.g. 'brake > 0.5'")
    local: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"_wb_q{len(local)}_"
        local[key] = match.group(1)
        return key.ljust(len(match.group(0)))  # keep columns in error messages right

    python = _BACKTICKED.sub(placeholder, expression)
    try:
        tree = ast.parse(_bitwise_as_boolean(python), mode="eval")
    except SyntaxError as exc:
        col = max(1, exc.offset or 1)
        raise InvalidArgumentError(
            f"condition syntax error at column {col} ({exc.msg}):\n"
            f"    {expression}\n    {' ' * (col - 1)}^"
        ) from None
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            raise InvalidArgumentError(
                f"the condition {expression!r} calls a function; use comparisons and "
                "arithmetic over columns, or pass a Python function as the condition"
            )
        if not isinstance(node, _ALLOWED):
            raise InvalidArgumentError(
                f"the condition {expression!r} uses {type(node).__name__}, which is not a "
                "comparison, arithmetic or and/or/not over columns"
            )
        if isinstance(node, ast.Name) and node.id not in _NOT_NAMES:
            names[local.get(node.id, node.id)] = node.id
    tree = ast.fix_missing_locations(_ElementWise().visit(tree))
    code = compile(tree, "<condition>", "eval")
    # ast.walk is breadth-first: order names as they appear in the text
    ordered = tuple(sorted(names, key=lambda n: _position(expression, n)))
    return ordered, code, {n: names[n] for n in ordered}


def _bitwise_as_boolean(text: str) -> str:
    """``&``/``|`` as ``and``/``or``, binding looser than comparisons, as pandas.eval reads them.

    Python reads ``a > 5 & b`` as ``a > (5 & b)``; pandas reads it as ``(a > 5) and b``.
    (A syntax error's column then counts the words put in; the message shows the text.)
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text  # ast.parse reports the error with its position
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    out = text
    for tok in reversed(tokens):  # from the end: earlier offsets stay valid
        if tok.type == tokenize.OP and tok.string in ("&", "|"):
            at = line_starts[tok.start[0] - 1] + tok.start[1]
            out = out[:at] + (" and " if tok.string == "&" else " or ") + out[at + 1 :]
    return out


def _position(expression: str, name: str) -> int:
    at = expression.find(name)
    return at if at >= 0 else len(expression)
