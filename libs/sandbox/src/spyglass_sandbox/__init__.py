"""Run untrusted evaluator code (Python) confined: no network, no environment, no file outside a
scratch directory, and CPU, memory, wall-clock and output limits. See the README's threat model."""

from spyglass_sandbox._fork_client import ServerInfo
from spyglass_sandbox.check import CodeProblem, check_code
from spyglass_sandbox.errors import SandboxSetupError, SandboxUnavailableError
from spyglass_sandbox.limits import Limits
from spyglass_sandbox.modules import DEFAULT_MODULES
from spyglass_sandbox.outcome import FailureKind, SandboxFailure, SandboxOutcome
from spyglass_sandbox.sandbox import BlockingSandbox, Sandbox

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
