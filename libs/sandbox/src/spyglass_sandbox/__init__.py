"""Run untrusted evaluator code (Python) confined: no network, no environment, no file outside a
scratch directory, and CPU, memory, wall-clock and output limits. See the README's threat model.

The public names load on first use: the fork server imports this package too, and must not pay
for asyncio and structlog (a quarter of a second at start, and address space in every child).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spyglass_sandbox._fork_client import ServerInfo
    from spyglass_sandbox.check import CodeProblem, check_code
    from spyglass_sandbox.errors import SandboxSetupError, SandboxUnavailableError
    from spyglass_sandbox.limits import Limits
    from spyglass_sandbox.modules import DEFAULT_MODULES
    from spyglass_sandbox.outcome import FailureKind, SandboxFailure, SandboxOutcome
    from spyglass_sandbox.sandbox import BlockingSandbox, Sandbox

_HOMES = {
    "BlockingSandbox": "sandbox",
    "CodeProblem": "check",
    "DEFAULT_MODULES": "modules",
    "FailureKind": "outcome",
    "Limits": "limits",
    "Sandbox": "sandbox",
    "SandboxFailure": "outcome",
    "SandboxOutcome": "outcome",
    "SandboxSetupError": "errors",
    "SandboxUnavailableError": "errors",
    "ServerInfo": "_fork_client",
    "check_code": "check",
}

__all__ = [
    "DEFAULT_MODULES",
    "BlockingSandbox",
    "CodeProblem",
    "FailureKind",
    "Limits",
    "Sandbox",
    "SandboxFailure",
    "SandboxOutcome",
    "SandboxSetupError",
    "SandboxUnavailableError",
    "ServerInfo",
    "check_code",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'spyglass_sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"spyglass_sandbox.{home}"), name)
    globals()[name] = value
    return value
