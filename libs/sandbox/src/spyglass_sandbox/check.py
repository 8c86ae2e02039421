"""Static checks of evaluator code at save time: it compiles, and it defines the entry function.

Nothing here runs the code. Compiling untrusted source in the API process is safe as far as
CPython's compiler goes (it limits nesting and folds no unbounded constants); the size cap keeps
its time and memory small.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

EVALUATOR_FILENAME = "<evaluator>"
"""The file name user code is compiled under, in tracebacks and line lookups."""

MAX_CODE_BYTES = 256 * 1024
"""Evaluator code larger than this is refused before it is compiled."""


@dataclass(frozen=True, slots=True)
class CodeProblem:
    """One reason the code cannot be saved; ``line`` and ``column`` are 1-based when known."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = (
            f"line {self.line}"
            if self.column is None
            else f"line {self.line}, column {self.column}"
        )
        return f"{where}: {self.message}"


def check_code(code: str, entry: str = "evaluate") -> list[CodeProblem]:
    """Return why ``code`` cannot serve as an evaluator; an empty list means it can be saved.

    It must compile, and define a top-level ``def`` (or assignment) named ``entry``. An
    ``async def`` is refused: a confined child has no event loop to run it on.
    """
    if not entry.isidentifier():
        raise ValueError(f"entry must be a Python identifier, got {entry!r}")
    size = len(code.encode("utf-8", errors="surrogatepass"))
    if size > MAX_CODE_BYTES:
        return [CodeProblem(f"the code is {size} bytes; at most {MAX_CODE_BYTES} are allowed")]
    tree_or_problem = _compile(code)
    if isinstance(tree_or_problem, CodeProblem):
        return [tree_or_problem]
    return _entry_problems(tree_or_problem, entry)


def _compile(code: str) -> ast.Module | CodeProblem:
    """Parse and compile (the compiler finds errors the parser does not: ``return`` outside a
    function, say); compile warnings are not problems."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code, EVALUATOR_FILENAME)
            compile(tree, EVALUATOR_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as error:
        return syntax_problem(error)
    except (ValueError, RecursionError, MemoryError) as error:
        # Null bytes in the source, or nesting deeper than the compiler's own stack.
        return CodeProblem(f"the code cannot be compiled: {error}")
    return tree


def syntax_problem(error: SyntaxError) -> CodeProblem:
    """The problem a ``SyntaxError`` (or ``IndentationError``) describes, with its position."""
    message = error.msg or "invalid syntax"
    return CodeProblem(message, error.lineno, error.offset)


def _entry_problems(tree: ast.Module, entry: str) -> list[CodeProblem]:
    for statement in tree.body:
        if isinstance(statement, ast.AsyncFunctionDef) and statement.name == entry:
            return [
                CodeProblem(
                    f"{entry} must be a plain function (def), not async def",
                    statement.lineno,
                    statement.col_offset + 1,
                )
            ]
        if isinstance(statement, ast.FunctionDef) and statement.name == entry:
            return []
        if _assigns(statement, entry):
            return []
    return [CodeProblem(f"the code defines no top-level function named {entry!r}")]


def _assigns(statement: ast.stmt, name: str) -> bool:
    if isinstance(statement, ast.Assign):
        return any(
            isinstance(target, ast.Name) and target.id == name for target in statement.targets
        )
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and statement.target.id == name
    return False
