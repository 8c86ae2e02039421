"""How a forked child is confined before it reads any user code. Runs inside the fork server.

The layers, in the order a child applies them (each one alone stops part of an attack; the
README's threat model says which):

1. rlimits: CPU seconds, address space, file size, open files, no core dumps, no new processes;
   and the highest OOM score, so that a full memory cgroup loses an evaluation, not the worker;
2. identity: when the server runs as root, the child becomes an unprivileged user (``nobody``);
3. a parent-death signal, so no child outlives its fork server;
4. Landlock (when the kernel has it): no file access outside the child's scratch directory, no
   TCP bind or connect, no signals or abstract sockets outside the child;
5. seccomp: an allow-list of system calls; everything else fails with EPERM. File system calls
   are on the list only when Landlock restricts their paths.

Every step either succeeds or raises: a child that cannot be confined never runs user code.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import pwd
import resource
import signal
from dataclasses import dataclass

import landlockpy
import pyseccomp

PR_SET_PDEATHSIG = 1


class ConfinementError(Exception):
    """A confinement step failed; the child must not run user code."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The unprivileged user a root fork server's children run as."""

    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class ChildLimits:
    """The rlimits of one child, as the fork server received them."""

    cpu_seconds: int
    memory_bytes: int
    file_bytes: int
    open_files: int


def resolve_identity(user: str) -> Identity | None:
    """The identity children take when the server is root; None when it is not (children then keep
    the server's own unprivileged identity)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ConfinementError(
            f"the fork server runs as root and must drop children to an unprivileged user, but "
            f"user {user!r} does not exist; create it or pass Sandbox(user=...)"
        ) from None
    if entry.pw_uid == 0:
        raise ConfinementError(f"user {user!r} is root; children need an unprivileged user")
    return Identity(entry.pw_uid, entry.pw_gid)


def landlock_abi(mode: str) -> int:
    """The Landlock ABI children will use: 0 when off or unavailable.

    ``mode`` is ``"auto"`` (use it when the kernel has it), ``"require"`` or ``"off"``.
    """
    if mode == "off":
        return 0
    try:
        abi = landlockpy.abi_version()
    except landlockpy.LandlockError:  # a container's own seccomp profile may refuse the call
        abi = 0
    if abi == 0 and mode == "require":
        raise ConfinementError(
            "Landlock was required but this kernel does not offer it (Linux 5.13+ with landlock "
            "in the lsm= boot list)"
        )
    return abi


def set_limits(limits: ChildLimits) -> None:
    """Lower soft and hard limits together, so the child cannot raise them back.

    The CPU hard limit is one second above the soft one: at the soft limit the kernel sends
    SIGXCPU (which code may catch), at the hard limit SIGKILL.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    # CPython ignores SIGXFSZ (a write past the limit would be a mere EFBIG the code can catch);
    # restored, the kernel ends the child and the reason names the file-size limit.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def drop_identity(identity: Identity | None) -> None:
    """Become the unprivileged user (root servers only), then forbid new processes.

    ``RLIMIT_NPROC`` of 0 makes every fork fail with EAGAIN for a non-root user; it is set after
    the switch because root ignores it.
    """
    if identity is not None:
        os.setgroups([])
        os.setgid(identity.gid)
        os.setuid(identity.uid)
        if 0 in os.getresuid() or 0 in os.getresgid():
            raise ConfinementError("the child still holds root after setuid")
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def volunteer_for_oom_killer() -> None:
    """Make this child the kernel's first choice when memory runs out (``oom_score_adj`` 1000).

    Address-space limits bound each child, not their sum: if the pod's memory cgroup fills, the
    OOM killer should take an evaluation, never the worker or the fork server. Raising one's own
    score needs no privilege. Best effort: without a writable /proc the child still runs.
    """
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as file:
        file.write("1000")


def die_with_parent(server_pid: int) -> None:
    """Ask the kernel to SIGKILL this child when the fork server dies (set after the identity
    switch, which clears it), and stop now if the server is already gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise ConfinementError(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")
    if os.getppid() != server_pid:
        raise ConfinementError("the fork server exited before the child was confined")


SCRATCH_RIGHTS = (
    landlockpy.AccessFS.READ_FILE
    | landlockpy.AccessFS.WRITE_FILE
    | landlockpy.AccessFS.READ_DIR
    | landlockpy.AccessFS.REMOVE_DIR
    | landlockpy.AccessFS.REMOVE_FILE
    | landlockpy.AccessFS.MAKE_DIR
    | landlockpy.AccessFS.MAKE_REG
    | landlockpy.AccessFS.TRUNCATE
    | landlockpy.AccessFS.REFER
)
"""What a child may do beneath its scratch directory: ordinary files and directories; no
executing, no devices, sockets, FIFOs or symlinks."""


def warm_up_landlock(directory: str) -> None:
    """Build (and drop, unenforced) the ruleset a child will build, in the fork server.

    landlockpy composes its flags on first use; a warm server spares each child about a
    millisecond and the page copies that work would cause.
    """
    scope = landlockpy.Scope.ABSTRACT_UNIX_SOCKET | landlockpy.Scope.SIGNAL
    with landlockpy.Ruleset(scoped=scope) as ruleset:
        ruleset.allow_path(directory, SCRATCH_RIGHTS)


def apply_landlock(scratch: str) -> None:
    """Deny every file system right the kernel knows outside ``scratch``, every TCP/UDP bind and
    connect, and signals or abstract UNIX sockets that leave the child (scoped, ABI 6+).

    Rights the running kernel does not know are left out (best effort); seccomp still refuses
    the system calls that would use them.
    """
    scope = landlockpy.Scope.ABSTRACT_UNIX_SOCKET | landlockpy.Scope.SIGNAL
    with landlockpy.Ruleset(scoped=scope) as ruleset:
        ruleset.allow_path(scratch, SCRATCH_RIGHTS)
        ruleset.restrict()


BASE_SYSCALLS = (
    # I/O on descriptors the child already holds (its request pipe, result pipe, /dev/null).
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "fstat",
    "newfstatat", "statx", "dup", "dup2", "dup3", "poll", "ppoll", "select", "pselect6",
    # Memory.
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
    # Signals delivered to itself (SIGXCPU handlers, say), and returning from them.
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
    # Time, randomness, identity queries.
    "clock_gettime", "clock_getres", "gettimeofday", "time", "clock_nanosleep", "nanosleep",
    "getrandom", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
    "getresuid", "getresgid", "getrusage", "uname", "getcwd", "sched_yield", "futex",
    # Leaving.
    "exit", "exit_group",
)  # fmt: skip
"""What CPython needs to compute, allocate, sleep and write its result: nothing that reaches
another process, the network, or (without Landlock) the file system."""

FILE_SYSCALLS = (
    "open", "openat", "openat2", "creat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "getdents64", "ftruncate", "fsync", "fdatasync",
)  # fmt: skip
"""Path-based calls, allowed only under Landlock, which checks every path they resolve.
Those Landlock does not govern stay refused (chmod, chown, utime, xattrs, access, readlink,
links, chdir): they would work on any path. Only ``stat`` is left, since ``fstat`` needs it."""


FCNTL_COMMANDS = (
    fcntl.F_DUPFD,
    fcntl.F_DUPFD_CLOEXEC,
    fcntl.F_GETFD,
    fcntl.F_SETFD,
    fcntl.F_GETFL,
    fcntl.F_SETFL,
)
"""The fcntl commands CPython uses. F_SETOWN, F_SETSIG and F_NOTIFY stay refused: with them a
child could have the kernel signal (SIGIO kills by default) a process it may not signal itself."""


def build_seccomp_filter(*, files: bool, landlock_abi: int) -> pyseccomp.SyscallFilter:
    """The child's system-call filter: allow-listed calls pass, every other one fails with EPERM.

    Built once in the fork server and loaded by each child. Calls of another architecture's ABI
    (x32, i386 through ``int 0x80``) kill the process (libseccomp's default for a foreign arch).
    ``prlimit64`` may only name the calling process (pid 0): with any other pid it could lower a
    sibling's limits. ``fcntl`` is limited to :data:`FCNTL_COMMANDS`.
    """
    syscall_filter = pyseccomp.SyscallFilter(pyseccomp.ERRNO(errno.EPERM))
    names = list(BASE_SYSCALLS)
    if files:
        names += FILE_SYSCALLS
        if landlock_abi >= 3:
            names.append("truncate")  # LANDLOCK_ACCESS_FS_TRUNCATE governs it from ABI 3 on
    for name in names:
        number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
        if number >= 0:  # not every architecture has every call (open, time, select on arm64)
            syscall_filter.add_rule(pyseccomp.ALLOW, number)
    syscall_filter.add_rule(pyseccomp.ALLOW, "prlimit64", pyseccomp.Arg(0, pyseccomp.EQ, 0))
    for command in FCNTL_COMMANDS:
        syscall_filter.add_rule(pyseccomp.ALLOW, "fcntl", pyseccomp.Arg(1, pyseccomp.EQ, command))
    return syscall_filter


def confine(
    limits: ChildLimits,
    scratch: str,
    identity: Identity | None,
    landlock: bool,
    syscall_filter: pyseccomp.SyscallFilter,
    server_pid: int,
) -> None:
    """Apply every layer, in order, to the calling (forked, single-threaded) process."""
    try:
        volunteer_for_oom_killer()
        set_limits(limits)
        os.chdir(scratch)
        drop_identity(identity)
        die_with_parent(server_pid)
        os.environ.clear()
        if landlock:
            apply_landlock(scratch)
        syscall_filter.load()  # sets no_new_privs first (libseccomp's default)
    except ConfinementError:
        raise
    except Exception as error:
        raise ConfinementError(f"{type(error).__name__}: {error}") from error
