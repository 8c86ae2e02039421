"""The standard-library modules evaluator code may import.

The fork server imports each of them once, before it forks any child: a confined child may not
open files (Landlock or seccomp refuse it), so it could not import a module it does not already
have. The same list is what the import guard in a child lets user code name; anything else is
refused with a message that lists these.
"""

from __future__ import annotations

DEFAULT_MODULES: tuple[str, ...] = (
    "base64",
    "bisect",
    "calendar",
    "cmath",
    "collections",
    "collections.abc",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "html",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "pprint",
    "random",
    "re",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "time",
    "typing",
    "unicodedata",
    "urllib.parse",
    "uuid",
    "zlib",
)
"""What evaluators may ``import``: pure computation, no I/O. ``Sandbox(modules=...)`` extends it."""

IMPORTED_FROM_C: tuple[str, ...] = ("_strptime",)
"""Modules that allowed C modules import on first use (``datetime.strptime`` imports
``_strptime``). Such an import goes through the *calling frame's* ``__import__``, which in user
code is the guard, so the guard lets these through as well."""

SUPPORT_MODULES: tuple[str, ...] = (
    *IMPORTED_FROM_C,
    # str.encode / bytes.decode look a codec up by importing its module on first use.
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8",
    "encodings.utf_8_sig",
    "encodings.utf_16",
    "encodings.utf_16_le",
    "encodings.utf_16_be",
    "encodings.utf_32",
    "encodings.cp1252",
    "encodings.idna",
    "encodings.unicode_escape",
    "encodings.raw_unicode_escape",
    # The child formats the user's traceback and binds arguments by parameter name.
    "inspect",
    "linecache",
    "traceback",
)
"""Imported up front too, because the allowed modules (or the child itself) load them lazily."""
