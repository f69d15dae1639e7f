"""The connection to konduktor's engine: one long-lived ``konduktor rpc`` process per Python
process, speaking JSON lines on its stdin/stdout (docs/python.md in the konduktor repository).

Requests from any number of threads share it: each carries an id and waits for the reply with
that id, so 50 threads waiting for 50 results cost one Node process. The task and every other
argument travel as JSON data; nothing is ever put in a shell command line.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import json
import os
import queue
import shlex
import shutil
import subprocess
import threading
from typing import Any, Deque, Dict, Iterator, List, Optional

from .errors import BackendError, KonduktorError, from_wire

#: The protocol this package speaks; ``konduktor rpc`` answers ``hello`` with its own.
PROTOCOL = 2

#: How long the engine may take to start and answer ``hello``, in seconds (a loaded machine).
START_TIMEOUT_S = 120.0

#: How long an engine that stopped reading its requests gets to exit and finish its stderr before
#: the error saying so is made, in seconds.
END_TIMEOUT_S = 10.0

_INSTALL_HINT = (
    "install the konduktor command from a konduktor checkout with `npm install && npm install -g .` "
    "(or `npm link`), or set KONDUKTOR_CLI to the command that runs it, e.g. "
    "KONDUKTOR_CLI='node /path/to/konduktor/bin/konduktor.js'"
)

_CLOSED = object()


def cli_command() -> List[str]:
    """The command that runs konduktor: ``$KONDUKTOR_CLI`` (split like a shell would, no shell
    involved), else ``konduktor`` on PATH.

    Raises:
        BackendError: neither is there; the message names both and how to install.
    """
    configured = os.environ.get("KONDUKTOR_CLI", "").strip()
    if configured:
        return shlex.split(configured)
    found = shutil.which("konduktor")
    if found is None:
        raise BackendError(
            "konduktor's command was not found: KONDUKTOR_CLI is not set and there is no "
            f"`konduktor` on PATH; {_INSTALL_HINT}"
        )
    return [found]


class Engine:
    """One ``konduktor rpc`` process and the requests in flight on it."""

    def __init__(self, command: List[str]) -> None:
        self.command = command
        try:
            # Its own session: a Ctrl+C at the terminal reaches this process only, which decides
            # what it means (stop waiting); the engine ends when its stdin closes.
            self._proc = subprocess.Popen(
                [*command, "rpc"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as err:
            source = "KONDUKTOR_CLI" if os.environ.get("KONDUKTOR_CLI", "").strip() else "PATH"
            raise BackendError(
                f"could not start konduktor ({shlex.join(command)}, from {source}): {err}; {_INSTALL_HINT}"
            ) from err
        self.pid = os.getpid()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._pending: Dict[int, "queue.Queue[Any]"] = {}
        self._pending_lock = threading.Lock()
        self._stderr: Deque[str] = collections.deque(maxlen=20)
        self._dead: Optional[str] = None
        self._readers = [
            threading.Thread(target=self._read_replies, name="konduktor-engine", daemon=True),
            threading.Thread(target=self._read_stderr, name="konduktor-engine-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        hello = self.call("hello", {}, timeout=START_TIMEOUT_S)
        if not isinstance(hello, dict) or hello.get("protocol") != PROTOCOL:
            self.close()
            raise BackendError(
                f"{shlex.join(command)} speaks protocol {hello!r}, this package speaks {PROTOCOL}: "
                "install the Python package from the same konduktor checkout as the command"
            )

    # --- the wire -----------------------------------------------------------------------------

    def _read_replies(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        # The reader owns the pipe: it closes it at EOF, so no open file outlives the engine.
        with stdout:
            for raw in stdout:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                with self._pending_lock:
                    inbox = self._pending.get(message.get("id"))
                if inbox is not None:
                    inbox.put(message)
        self._proc.wait()
        self._dead = self._end()
        with self._pending_lock:
            inboxes = list(self._pending.values())
        for inbox in inboxes:
            inbox.put(_CLOSED)

    def _read_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        with stderr:
            for raw in stderr:
                self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _end(self) -> str:
        """How the engine ended, once it has: its exit status."""
        status = self._proc.returncode
        how = f"exited with status {status}" if status is not None else "stopped reading its requests"
        return f"konduktor's engine ({shlex.join(self.command)} rpc) {how}"

    def _engine_gone(self) -> BackendError:
        """The error for a request the engine will never answer, saying how it ended and what it
        printed. A write can fail (EPIPE) before the readers have seen the engine's end: its exit
        and the end of its stderr are awaited here (a while), not taken from whatever the readers
        have got to so far."""
        try:
            self._proc.wait(timeout=END_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        stderr_reader = self._readers[1]
        if stderr_reader is not threading.current_thread():
            stderr_reader.join(timeout=END_TIMEOUT_S)
        tail = "\n".join(self._stderr)
        hint = "" if tail else f"; {_INSTALL_HINT}"
        return BackendError(f"{self._end()}{hint}" + (f":\n{tail}" if tail else ""))

    def _send(self, message: Dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode("utf-8")
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            with self._write_lock:
                stdin.write(data)
                stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as err:
            raise self._engine_gone() from err

    def _open(self, op: str, params: Dict[str, Any]) -> "tuple[int, queue.Queue[Any]]":
        if self._dead is not None:
            raise self._engine_gone()
        request_id = next(self._ids)
        inbox: "queue.Queue[Any]" = queue.Queue()
        with self._pending_lock:
            self._pending[request_id] = inbox
        try:
            self._send({**params, "id": request_id, "op": op})
        except BaseException:
            self._forget(request_id)
            raise
        return request_id, inbox

    def _forget(self, request_id: int) -> None:
        with self._pending_lock:
            self._pending.pop(request_id, None)

    def _cancel(self, request_id: int) -> None:
        """Stops request ``request_id`` in the engine (a wait or a log follow); never the job."""
        self._forget(request_id)
        try:
            self._send({"id": next(self._ids), "op": "cancel_request", "target": request_id})
        except KonduktorError:
            pass

    @staticmethod
    def _outcome(message: Any) -> Any:
        if message.get("ok"):
            return message.get("value")
        raise from_wire(message.get("error") or {})

    # --- requests -----------------------------------------------------------------------------

    def call(self, op: str, params: Dict[str, Any], timeout: Optional[float] = None) -> Any:
        """Sends one request and returns its value, or raises its typed error.

        ``timeout`` (seconds) bounds only the wait for the engine itself (start-up); waits for
        jobs carry their own timeout to the engine. A KeyboardInterrupt while waiting cancels
        the request in the engine (never the job) and propagates.
        """
        request_id, inbox = self._open(op, params)
        try:
            message = inbox.get(timeout=timeout) if timeout is not None else inbox.get()
        except queue.Empty:
            self._cancel(request_id)
            raise BackendError(
                f"konduktor's engine ({shlex.join(self.command)} rpc) did not answer within {timeout:g} s"
            ) from None
        except BaseException:
            self._cancel(request_id)
            raise
        self._forget(request_id)
        if message is _CLOSED:
            raise self._engine_gone()
        return self._outcome(message)

    def stream(self, op: str, params: Dict[str, Any]) -> Iterator[str]:
        """Sends one request whose reply is preceded by ``line`` messages; yields the lines.
        Closing the iterator early (or a KeyboardInterrupt) cancels the request in the engine."""
        request_id, inbox = self._open(op, params)
        finished = False
        try:
            while True:
                message = inbox.get()
                if message is _CLOSED:
                    raise self._engine_gone()
                if "line" in message:
                    yield message["line"]
                    continue
                finished = True
                self._outcome(message)
                return
        finally:
            if finished:
                self._forget(request_id)
            else:
                self._cancel(request_id)

    def close(self, wait_s: float = 10.0) -> None:
        """Closes the engine's stdin (it then ends; jobs keep running) and waits for it a while."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return
        # The readers reach EOF once the engine has ended and close their pipes; give them a
        # moment, so an interpreter exiting right after this leaves no unclosed file behind.
        for reader in self._readers:
            if reader is not threading.current_thread():
                reader.join(timeout=1.0)


_engine: Optional[Engine] = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """This process's engine, started on first use (and again in a forked child)."""
    global _engine
    with _engine_lock:
        current = _engine
        if current is None or current.pid != os.getpid() or current._dead is not None:
            current = Engine(cli_command())
            _engine = current
        return current


@atexit.register
def _close_engine() -> None:
    current = _engine
    if current is not None and current.pid == os.getpid():
        current.close()
