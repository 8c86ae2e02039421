"""The one error of the filter language, and where in the expression it points."""

from __future__ import annotations

import ast
import re

from spyglass_core.errors import InvalidArgumentError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class FilterExpressionError(InvalidArgumentError):
    """An expression that is not valid in the filter language; says where and why."""

    def __init__(self, expression: str, line: int, column: int, reason: str) -> None:
        super().__init__(f"Invalid filter expression at line {line}, column {column}: {reason}")
        self.expression = expression
        self.line = line
        self.column = column
        self.reason = reason


class SourcePositions:
    """Turns a node of the parsed expression into the line and column a user reads (1-based).

    ``ast`` gives columns as UTF-8 byte offsets into the parsed text, and that text may have
    lost leading whitespace; the user counts characters of what they typed.
    """

    def __init__(self, expression: str, source: str) -> None:
        self.expression = expression
        self.lines = _LINE_BREAK.split(source)
        removed = expression[: len(expression) - len(source)]
        self.line_shift = len(_LINE_BREAK.findall(removed))
        last_break = max(removed.rfind("\n"), removed.rfind("\r"))
        self.column_shift = len(removed) - (last_break + 1)

    def error(self, node: ast.AST, reason: str) -> FilterExpressionError:
        """The error to raise for ``node``, placed at its first character."""
        line = getattr(node, "lineno", 1)
        byte_offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        column = len(text.encode()[:byte_offset].decode(errors="replace")) + 1
        return self.at(line, column, reason)

    def at(self, line: int, column: int, reason: str) -> FilterExpressionError:
        """The error to raise at ``line`` and ``column`` of the parsed text."""
        if line == 1:
            column += self.column_shift
        return FilterExpressionError(self.expression, line + self.line_shift, column, reason)
