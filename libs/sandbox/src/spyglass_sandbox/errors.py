"""Errors the sandbox raises: only for the sandbox's own trouble, never for user code.

A user's code that fails, raises or exceeds a limit is a :class:`~spyglass_sandbox.SandboxOutcome`
with a reason, not an exception. These two say the evaluation did not happen at all.
"""

from __future__ import annotations

from spyglass_core.errors import ConfigurationError, DependencyUnavailableError


class SandboxUnavailableError(DependencyUnavailableError):
    """The fork server died or could not start a child; the same evaluation may succeed later.

    The next ``Sandbox.run`` starts a new fork server, so a task that retries recovers.
    """


class SandboxSetupError(ConfigurationError):
    """This machine cannot confine code as asked (no libseccomp, no Landlock when required, an
    unwritable scratch root, a missing unprivileged user). Retrying does not help; the message
    says what to change."""
