"""The fork server's life: it restarts after being killed, takes its children with it when it
goes, fails in-flight evaluations with a retryable error, and refuses a configuration it cannot
honour with a message that says what to change."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import landlockpy
import psutil
import pytest

from spyglass_sandbox import (
    BlockingSandbox,
    Limits,
    Sandbox,
    SandboxSetupError,
    SandboxUnavailableError,
)

from .conftest import assert_healthy

SLEEPER = "import time\n\ndef evaluate():\n    time.sleep(60)\n"


async def _eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        await asyncio.sleep(0.02)


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children()
    except psutil.NoSuchProcess:
        return []


def _oom_score(pid: int) -> int:
    return int(Path(f"/proc/{pid}/oom_score_adj").read_text())


def _listing(directory: str | Path) -> list[str]:
    return sorted(os.listdir(directory))


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_a_killed_fork_server_is_replaced_on_the_next_evaluation() -> None:
    async with Sandbox() as sandbox:
        first = await sandbox.start()
        os.kill(first.pid, signal.SIGKILL)
        await _eventually(lambda: _gone(first.pid))
        await assert_healthy(sandbox)
        second = await sandbox.start()
        assert second.pid != first.pid


@pytest.fixture
def scratch_root() -> Iterator[Path]:
    """A scratch root of its own that children running as nobody can enter (pytest's tmp_path,
    under a root-only directory, is not one when the tests run as root)."""
    root = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


async def test_a_killed_servers_scratch_directories_are_removed_by_the_next(
    scratch_root: Path,
) -> None:
    async with Sandbox(scratch_root=str(scratch_root)) as sandbox:
        first = await sandbox.start()
        running = asyncio.create_task(sandbox.run(SLEEPER, limits=Limits(wall_seconds=60)))
        await _eventually(lambda: len(_children(first.pid)) == 1)
        os.kill(first.pid, signal.SIGKILL)
        with pytest.raises(SandboxUnavailableError):
            await running
        assert _listing(first.scratch_base) == ["1"]  # the child's, left behind
        second = await sandbox.start()
        assert _listing(scratch_root) == [Path(second.scratch_base).name]
    assert _listing(scratch_root) == []  # and a server that stops cleanly removes its own


async def test_an_evaluation_in_flight_when_the_server_dies_fails_retryably_and_its_child_too() -> (
    None
):
    async with Sandbox() as sandbox:
        server = await sandbox.start()
        running = asyncio.create_task(sandbox.run(SLEEPER, limits=Limits(wall_seconds=60)))
        await _eventually(lambda: len(_children(server.pid)) == 1)
        child = _children(server.pid)[0].pid
        os.kill(server.pid, signal.SIGKILL)
        with pytest.raises(SandboxUnavailableError) as raised:
            await running
        assert raised.value.retryable
        await _eventually(lambda: _gone(child))  # the parent-death signal took it
        await assert_healthy(sandbox)


async def test_children_are_the_oom_killers_first_choice_not_the_worker() -> None:
    async with Sandbox() as sandbox:
        server = await sandbox.start()
        running = asyncio.create_task(sandbox.run(SLEEPER, limits=Limits(wall_seconds=60)))
        await _eventually(lambda: len(_children(server.pid)) == 1)
        child = _children(server.pid)[0].pid
        try:
            await _eventually(lambda: _oom_score(child) == 1000)
            assert _oom_score(server.pid) == _oom_score(os.getpid())  # unchanged from ours
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


async def test_closing_the_sandbox_stops_the_server_and_its_children() -> None:
    sandbox = Sandbox()
    server = await sandbox.start()
    running = asyncio.create_task(sandbox.run(SLEEPER, limits=Limits(wall_seconds=60)))
    await _eventually(lambda: len(_children(server.pid)) == 1)
    child = _children(server.pid)[0].pid
    await sandbox.aclose()
    with pytest.raises(SandboxUnavailableError):
        await running
    assert _gone(server.pid)
    await _eventually(lambda: _gone(child))
    with pytest.raises(SandboxUnavailableError, match="closed"):
        await sandbox.run("def evaluate():\n    return 1\n")


async def test_a_cancelled_evaluation_kills_its_child() -> None:
    async with Sandbox() as sandbox:
        server = await sandbox.start()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await sandbox.run(SLEEPER, limits=Limits(wall_seconds=60))
        await _eventually(lambda: not _children(server.pid))
        await assert_healthy(sandbox)


async def test_an_unwritable_scratch_root_is_refused_naming_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-directory"
    with pytest.raises(SandboxSetupError, match="scratch_root") as raised:
        async with Sandbox(scratch_root=str(missing)):
            pass
    assert str(missing) in str(raised.value)
    assert not raised.value.retryable


async def test_a_scratch_root_children_cannot_enter_is_refused_at_start(tmp_path: Path) -> None:
    sandbox = Sandbox(scratch_root=str(tmp_path))
    try:
        if os.geteuid() == 0:  # pytest's tmp_path sits under a directory only root may enter
            with pytest.raises(SandboxSetupError, match="cannot pass through"):
                await sandbox.start()
        else:  # children share our uid: whatever we can enter, they can
            assert (await sandbox.run("def evaluate():\n    return 1\n")).value == 1
    finally:
        await sandbox.aclose()


async def test_a_module_that_cannot_be_preloaded_is_refused_naming_it() -> None:
    with pytest.raises(SandboxSetupError, match="cannot preload module 'no_such_module'"):
        async with Sandbox(modules=["json", "no_such_module"]):
            pass


async def test_an_unknown_unprivileged_user_is_refused_when_root() -> None:
    sandbox = Sandbox(user="no-such-user-here")
    try:
        if os.geteuid() == 0:
            with pytest.raises(SandboxSetupError, match="'no-such-user-here' does not exist"):
                await sandbox.start()
        else:  # not root: children keep our own unprivileged identity; the user is not needed
            assert (await sandbox.start()).child_uid == os.getuid()
    finally:
        await sandbox.aclose()


async def test_required_landlock_is_used_or_its_absence_refused() -> None:
    sandbox = Sandbox(landlock="require")
    try:
        if landlockpy.abi_version() == 0:
            with pytest.raises(SandboxSetupError, match="Landlock was required"):
                await sandbox.start()
            return
        assert (await sandbox.start()).landlock_abi >= 1
        code = "def evaluate():\n    open('f', 'w').write('x')\n    return open('f').read()\n"
        assert (await sandbox.run(code)).value == "x"
    finally:
        await sandbox.aclose()


def test_the_blocking_sandbox_serves_synchronous_callers() -> None:
    with BlockingSandbox() as sandbox:
        first = sandbox.run("def evaluate(a, b):\n    return a + b\n", arguments={"a": 1, "b": 2})
        second = sandbox.run("def evaluate():\n    return 1 / 0\n")
    assert first.value == 3
    assert second.reason == "raised ZeroDivisionError: division by zero (line 2)"
