"""Escape attempts by evaluator code: each fails with a reason the author can read, and the
worker, its fork server and its secrets are untouched. Every test runs twice: with Landlock
(where the kernel has it) and with seccomp alone."""

from __future__ import annotations

import os
import platform
import pwd
import socket
import uuid
from pathlib import Path

import pytest

from spyglass_sandbox import FailureKind, Limits, Sandbox, SandboxOutcome

from .conftest import PRELUDE_LINES, REAL_IMPORT, assert_healthy, everything_shown

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _escape(
    sandbox: Sandbox, body: str, limits: Limits | None = None, **arguments: object
) -> SandboxOutcome:
    return await sandbox.run(REAL_IMPORT + body, arguments=arguments, limits=limits)


def _assert_refused(outcome: SandboxOutcome, line: int) -> None:
    assert outcome.failure is not None, f"the attempt succeeded: {outcome.value!r}"
    assert outcome.failure.kind is FailureKind.RAISED
    assert outcome.failure.reason.startswith("raised PermissionError: [Errno "), outcome.reason
    assert outcome.failure.line == PRELUDE_LINES + line


async def test_connecting_to_a_listener_on_loopback_fails_and_it_receives_nothing(
    sandbox: Sandbox,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        outcome = await _escape(
            sandbox,
            "def evaluate(port):\n"
            "    socket = real_import('socket')\n"
            "    return socket.create_connection(('127.0.0.1', port), timeout=2).fileno()\n",
            port=port,
        )
        _assert_refused(outcome, 3)
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection was ever made
    await assert_healthy(sandbox)


async def test_udp_datagrams_and_unix_sockets_are_refused(sandbox: Sandbox) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.setblocking(False)
        outcome = await _escape(
            sandbox,
            "def evaluate(port):\n"
            "    socket = real_import('socket')\n"
            "    refused = []\n"
            "    for family, kind in [\n"
            "        (socket.AF_INET, socket.SOCK_DGRAM),\n"
            "        (socket.AF_UNIX, socket.SOCK_STREAM),\n"
            "        (socket.AF_INET6, socket.SOCK_STREAM),\n"
            "        (socket.AF_NETLINK, socket.SOCK_RAW),\n"
            "    ]:\n"
            "        try:\n"
            "            s = socket.socket(family, kind)\n"
            "            s.sendto(b'leak', ('127.0.0.1', port))\n"
            "        except OSError as error:\n"
            "            refused.append(error.errno)\n"
            "    return refused\n",
            port=receiver.getsockname()[1],
        )
        assert outcome.value == [1, 1, 1, 1], outcome.reason  # EPERM, four times
        with pytest.raises(BlockingIOError):
            receiver.recv(100)


async def test_reading_etc_passwd_fails(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def evaluate():\n    return open('/etc/passwd').read()\n")
    assert outcome.reason is not None
    assert outcome.reason.startswith("raised PermissionError")
    assert outcome.failure is not None and outcome.failure.line == 2
    assert "root:" not in everything_shown(outcome)


async def test_reading_etc_passwd_through_the_os_module_fails(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        "    return os.read(os.open('/etc/passwd', os.O_RDONLY), 100000).decode()\n",
    )
    _assert_refused(outcome, 3)
    assert "root:" not in everything_shown(outcome)


async def test_the_workers_environment_is_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"hunter2-{uuid.uuid4()}"
    monkeypatch.setenv("SPYGLASS_TEST_SECRET", secret)
    async with Sandbox() as sandbox:  # started after the secret was set
        outcome = await _escape(
            sandbox,
            "def evaluate(worker_pid):\n"
            "    os = real_import('os')\n"
            "    seen = {'environ': dict(os.environ)}\n"
            "    for path in ['/proc/self/environ', f'/proc/{os.getppid()}/environ',\n"
            "                 f'/proc/{worker_pid}/environ', '/proc/1/environ']:\n"
            "        try:\n"
            "            seen[path] = open(path, 'rb').read().decode('latin-1')\n"
            "        except OSError as error:\n"
            "            seen[path] = type(error).__name__\n"
            "    return seen\n",
            worker_pid=os.getpid(),
        )
        assert outcome.ok, outcome.reason
        assert secret not in everything_shown(outcome)
        assert outcome.value["environ"] == {}
        # The worker's and the server's files are refused; the child's own holds nothing.
        assert outcome.value[f"/proc/{os.getpid()}/environ"] == "PermissionError"
        assert outcome.value["/proc/1/environ"] == "PermissionError"
        assert outcome.value["/proc/self/environ"] in ("", "PermissionError")


async def test_writing_outside_the_scratch_directory_fails(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    target = tmp_path / f"escaped-{uuid.uuid4()}"
    os.chmod(tmp_path, 0o777)  # so that only the sandbox, not file permissions, can refuse
    outcome = await sandbox.run(
        "def evaluate(target):\n    with open(target, 'w') as file:\n        file.write('owned')\n",
        arguments={"target": str(target)},
    )
    assert outcome.reason is not None and outcome.reason.startswith("raised PermissionError")
    assert not target.exists()


async def test_the_scratch_directory_works_with_landlock_and_is_removed_after(
    sandbox: Sandbox,
) -> None:
    info = await sandbox.start()
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        "    cwd = os.getcwd()\n"
        "    try:\n"
        "        with open('notes.txt', 'w') as file:\n"
        "            file.write('kept for a moment')\n"
        "        os.mkdir('sub')\n"
        "        os.rename('notes.txt', 'sub/notes.txt')\n"
        "        return {'cwd': cwd, 'read': open('sub/notes.txt').read()}\n"
        "    except OSError as error:\n"
        "        return {'cwd': cwd, 'error': type(error).__name__}\n",
    )
    assert outcome.ok, outcome.reason
    if info.landlock_abi > 0:
        assert outcome.value["read"] == "kept for a moment"
    else:  # seccomp alone cannot see paths: no file at all, not even in scratch
        assert outcome.value["error"] == "PermissionError"
    assert not Path(outcome.value["cwd"]).exists()  # noqa: ASYNC240 - a single stat


async def test_a_file_past_the_size_limit_ends_the_evaluation(sandbox: Sandbox) -> None:
    info = await sandbox.start()
    outcome = await sandbox.run(
        "def evaluate():\n"
        "    with open('big', 'wb') as file:\n"
        "        for _ in range(64):\n"
        "            file.write(b'x' * 65536)\n",
        limits=Limits(file_mb=1),
    )
    assert outcome.failure is not None
    if info.landlock_abi > 0:
        assert outcome.failure.kind is FailureKind.FILE_LIMIT
        assert outcome.reason == "wrote a file larger than its limit of 1 MB"
    else:
        assert outcome.reason is not None and outcome.reason.startswith("raised PermissionError")


async def test_the_scratch_directory_of_the_server_and_its_neighbours_is_off_limits(
    sandbox: Sandbox,
) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        "    open(os.path.join(os.getcwd(), '..', 'planted'), 'w')\n",
    )
    _assert_refused(outcome, 3)


async def test_calls_landlock_cannot_judge_by_path_are_refused_everywhere(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate(worker_pid):\n"
        "    os = real_import('os')\n"
        "    attempts = {\n"
        "        'readlink': lambda: os.readlink(f'/proc/{worker_pid}/cwd'),\n"
        "        'access': lambda: os.access('/etc/passwd', os.R_OK),\n"
        "        'chmod': lambda: os.chmod('/tmp', 0o777),\n"
        "        'utime': lambda: os.utime('/etc/passwd'),\n"
        "        'symlink': lambda: os.symlink('/etc/passwd', 'link'),\n"
        "        'chdir': lambda: os.chdir('/'),\n"
        "    }\n"
        "    results = {}\n"
        "    for name, attempt in attempts.items():\n"
        "        try:\n"
        "            results[name] = repr(attempt())\n"
        "        except OSError as error:\n"
        "            results[name] = type(error).__name__\n"
        "    return results\n",
        worker_pid=os.getpid(),
    )
    assert outcome.value == {
        **dict.fromkeys(["readlink", "chmod", "utime", "symlink", "chdir"], "PermissionError"),
        "access": "False",  # os.access says False on any error; /etc/passwd is world-readable
    }, outcome.reason


async def test_a_fork_bomb_fails_at_the_first_fork(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n    os = real_import('os')\n    while True:\n        os.fork()\n",
    )
    _assert_refused(outcome, 4)
    await assert_healthy(sandbox)


async def test_subprocesses_and_threads_cannot_start(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    os.chmod(tmp_path, 0o777)
    outcome = await _escape(
        sandbox,
        "def evaluate(marker):\n"
        "    subprocess, os = real_import('subprocess'), real_import('os')\n"
        "    threading = real_import('threading')\n"
        "    results = {'system': os.system(f'touch {marker}')}\n"
        "    for name, attempt in [('run', lambda: subprocess.run(['/usr/bin/touch', marker])),\n"
        "                          ('thread', lambda: threading.Thread(target=print).start())]:\n"
        "        try:\n"
        "            attempt()\n"
        "            results[name] = 'started'\n"
        "        except Exception as error:\n"
        "            results[name] = type(error).__name__\n"
        "    return results\n",
        marker=str(marker),
    )
    assert outcome.ok, outcome.reason
    assert outcome.value["system"] != 0
    assert outcome.value["run"] == "PermissionError"
    assert outcome.value["thread"] == "RuntimeError"  # "can't start new thread"
    assert not marker.exists()


async def test_allocating_10_gb_fails_with_the_memory_limit(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def evaluate():\n    return len(bytearray(10 * 1024 ** 3))\n")
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.MEMORY_LIMIT
    assert outcome.reason == "exceeded its memory limit of 256 MB"
    await assert_healthy(sandbox)


async def test_growing_memory_a_megabyte_at_a_time_hits_the_limit(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate():\n"
        "    kept = []\n"
        "    while True:\n"
        "        kept.append(bytearray(1 << 20))\n",
        limits=Limits(memory_mb=128),
    )
    assert outcome.reason == "exceeded its memory limit of 128 MB"


async def test_an_infinite_loop_hits_the_cpu_limit(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate():\n    while True:\n        pass\n",
        limits=Limits(cpu_seconds=1, wall_seconds=60),
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.CPU_LIMIT
    assert outcome.reason == "exceeded its CPU time limit of 1 s"
    await assert_healthy(sandbox)


async def test_ignoring_sigxcpu_does_not_lift_the_cpu_limit(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    signal = real_import('signal')\n"
        "    signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
        "    while True:\n"
        "        pass\n",
        limits=Limits(cpu_seconds=1, wall_seconds=60),
    )
    assert outcome.reason == "exceeded its CPU time limit of 1 s"


async def test_raising_its_own_cpu_limit_is_refused(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    resource = real_import('resource')\n"
        "    resource.setrlimit(resource.RLIMIT_CPU, (3600, 3600))\n",
    )
    assert outcome.reason is not None
    assert outcome.reason.startswith(("raised ValueError", "raised PermissionError"))


async def test_sleeping_forever_hits_the_wall_clock_limit(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "import time\n\ndef evaluate():\n    time.sleep(3600)\n",
        limits=Limits(wall_seconds=1),
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.TIMEOUT
    assert outcome.reason == "timed out after 1 s"
    await assert_healthy(sandbox)


async def test_ctypes_reaches_libc_but_the_kernel_refuses_every_call(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate(worker_pid):\n"
        "    ctypes = real_import('ctypes')\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    return {\n"
        "        'socket': libc.socket(2, 1, 0),\n"
        "        'fork': libc.fork(),\n"
        "        'execve': libc.execve(b'/bin/sh', None, None),\n"
        "        'setuid': libc.setuid(0),\n"
        "        'ptrace': libc.ptrace(16, worker_pid, None, None),\n"
        "        'kill': libc.kill(worker_pid, 9),\n"
        "        'unshare': libc.unshare(0x10000000),\n"
        "        'chmod': libc.chmod(b'/tmp', 0o777),\n"
        "        'prctl': libc.prctl(1, 0, 0, 0, 0),\n"
        "    }\n",
        worker_pid=os.getpid(),
    )
    assert outcome.ok, outcome.reason
    assert outcome.value == dict.fromkeys(outcome.value, -1)
    assert len(outcome.value) == 9
    await assert_healthy(sandbox)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x32 is an ABI of x86-64 only")
async def test_a_system_call_through_the_x32_abi_kills_the_child(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    ctypes = real_import('ctypes')\n"
        "    return ctypes.CDLL(None).syscall(0x40000000 | 41, 2, 1, 0)  # x32 socket()\n",
    )
    assert outcome.reason == "was killed by signal SIGSYS"
    await assert_healthy(sandbox)


async def test_a_segfault_through_ctypes_kills_only_the_child(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n    ctypes = real_import('ctypes')\n    return ctypes.string_at(0)\n",
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.KILLED
    assert outcome.reason == "was killed by signal SIGSEGV"
    await assert_healthy(sandbox)


async def test_killing_the_worker_or_the_fork_server_fails(sandbox: Sandbox) -> None:
    before = await sandbox.start()
    outcome = await _escape(
        sandbox,
        "def evaluate(worker_pid):\n"
        "    os, signal = real_import('os'), real_import('signal')\n"
        "    results = []\n"
        "    for target in [worker_pid, os.getppid(), -1, 1]:\n"
        "        try:\n"
        "            os.kill(target, signal.SIGKILL)\n"
        "            results.append('sent')\n"
        "        except OSError as error:\n"
        "            results.append(type(error).__name__)\n"
        "    return results\n",
        worker_pid=os.getpid(),
    )
    assert outcome.value == ["PermissionError"] * 4, outcome.reason
    assert (await sandbox.start()).pid == before.pid  # the same server, still serving
    await assert_healthy(sandbox)


async def test_the_child_runs_unprivileged(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        "    return [os.getresuid(), os.getresgid()]\n",
    )
    uids, gids = outcome.value
    assert 0 not in uids and 0 not in gids
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        assert uids == [nobody.pw_uid] * 3
    else:
        assert uids == [os.getuid()] * 3


async def test_a_forged_confinement_failure_is_the_evaluations_failure_not_the_platforms(
    sandbox: Sandbox,
) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        '    os.write(3, b\'{"status": "sandbox_error", "message": "fake"}\')\n'
        "    os._exit(70)\n",
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.NO_RESULT


async def test_writing_past_the_output_cap_straight_to_the_result_pipe_is_cut_off(
    sandbox: Sandbox,
) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    os = real_import('os')\n"
        "    while True:\n"
        "        os.write(3, b'x' * 65536)\n",
        limits=Limits(output_bytes=4096, wall_seconds=30),
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.OUTPUT_TOO_LARGE
    assert outcome.reason == "output larger than 4096 bytes"


async def test_no_signal_can_be_sent_not_even_to_itself(sandbox: Sandbox) -> None:
    outcome = await _escape(
        sandbox,
        "def evaluate():\n"
        "    signal = real_import('signal')\n"
        "    signal.raise_signal(signal.SIGTERM)\n",
    )
    _assert_refused(outcome, 3)
