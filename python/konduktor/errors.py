"""konduktor's errors: one base, :class:`KonduktorError`, with a stable ``code`` equal to the
TypeScript library's, and one class per outcome with the same fields in snake_case.

Branch on the class (or ``code``), never on the message, which is written for people::

    try:
        value = job.result(timeout=600)
    except konduktor.JobFailedError as err:
        print(err.exit_code, err.log_tail)
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Type

__all__ = [
    "KonduktorError",
    "TaskIssue",
    "TaskValidationError",
    "UsageError",
    "ConfigError",
    "StateConflictError",
    "InternalError",
    "JobFailedError",
    "NoResultReportedError",
    "MalformedResultError",
    "ResultTooLargeError",
    "ResultTimeoutError",
    "JobNotFoundError",
    "LogsUnavailableError",
    "RequestInterruptedError",
    "BackendError",
    "ReportError",
]


class KonduktorError(Exception):
    """The base of every konduktor error.

    Attributes:
        code: the stable error code, as in TypeScript (``"JOB_FAILED"``, ``"RESULT_TIMEOUT"``...).
        message: what happened and what to do.
    """

    #: The code of this class; an instance's ``code`` may be more specific.
    code: str = "KONDUKTOR_ERROR"

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UsageError(KonduktorError):
    """An argument has a bad value (a negative timeout, a rank that is not an integer...)."""

    code = "USAGE"


class ConfigError(UsageError):
    """konduktor's configuration (``config.yaml``, ``KONDUKTOR_BACKEND``) is invalid. A
    :class:`UsageError` too, so handlers written before it existed still catch it."""

    code = "CONFIG_INVALID"


class StateConflictError(UsageError):
    """The action does not fit the state it meets (``start``/``stop`` of a job that has ended, a
    sweep name stored with another configuration). A :class:`UsageError` too."""

    code = "STATE_CONFLICT"


class InternalError(KonduktorError):
    """A bug in konduktor's engine: an error nothing anticipated. Please report it."""

    code = "INTERNAL"


class TaskIssue:
    """One problem found in a task.

    Attributes:
        path: the field, e.g. ``"resources.cpus"`` (``""`` for the document itself).
        message: what is wrong and how to fix it.
        file: the task file, when the task came from one.
        line: 1-based line in that file, when known.
        column: 1-based column, when known (``col`` is the same, as in TypeScript).
    """

    __slots__ = ("path", "message", "file", "line", "column")

    def __init__(
        self,
        path: str,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        self.path = path
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    @property
    def col(self) -> Optional[int]:
        """The column, under the TypeScript field's name."""
        return self.column

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{self.file or '<task>'}:{self.line}:{self.column or 1}"
        field = f"{self.path}: " if self.path else ""
        return f"{where + ': ' if where else ''}{field}{self.message}"

    def __repr__(self) -> str:
        return f"TaskIssue({self.path!r}, {self.message!r}, file={self.file!r}, line={self.line!r}, column={self.column!r})"


class TaskValidationError(KonduktorError):
    """The task is invalid; nothing was launched. ``issues`` lists every problem at once."""

    code = "TASK_INVALID"

    def __init__(self, message: str, issues: Sequence[TaskIssue] = ()) -> None:
        super().__init__(message)
        #: Every problem, in document order.
        self.issues: List[TaskIssue] = list(issues)


class JobFailedError(KonduktorError):
    """The job failed: a rank exited non-zero (after the restarts ran out), it was cancelled, or
    its supervision was lost.

    Attributes:
        job_name: the job.
        reason: why, in one sentence.
        exit_code: the failing rank's exit code, or None (e.g. killed by a signal).
        signal: the signal that ended the failing rank (``"SIGKILL"``), or None.
        rank: the rank that failed first, or None.
        phase: ``"setup"`` or ``"run"``, or None.
        attempt: the 0-based attempt that failed last.
        log_tail: the last lines of the failing rank's log.
        value: what rank 0 reported before the job failed (None when it reported nothing; see
            ``has_value``).
        has_value: whether rank 0 reported a valid value.
    """

    code = "JOB_FAILED"

    def __init__(
        self,
        message: str,
        job_name: str = "",
        reason: str = "",
        exit_code: Optional[int] = None,
        signal: Optional[str] = None,
        rank: Optional[int] = None,
        phase: Optional[str] = None,
        attempt: int = 0,
        log_tail: Sequence[str] = (),
        value: Any = None,
        has_value: bool = False,
    ) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.reason = reason
        self.exit_code = exit_code
        self.signal = signal
        self.rank = rank
        self.phase = phase
        self.attempt = attempt
        self.log_tail: List[str] = list(log_tail)
        self.value = value
        self.has_value = has_value


class NoResultReportedError(KonduktorError):
    """The job succeeded, but rank 0's ``result.json`` is missing, empty, whitespace, or not a
    file.

    Attributes:
        job_name: the job.
        detail: ``"missing"``, ``"empty"``, ``"whitespace"``, or ``"not_a_file"`` (something else
            stood at ``result.json``: see ``found``).
        found: with ``"not_a_file"``, what stood there: a dict with ``kind`` (``"directory"``,
            ``"fifo"``, ``"socket"``, ``"character-device"``, ``"block-device"``, ``"other"``,
            ``"dangling-link"``, ``"link-loop"`` or ``"unreadable"``), and when they apply
            ``link`` (the target of a symbolic link) and ``error`` (why an open or read failed);
            otherwise None.
        log_tail: the last lines of rank 0's log (empty when the backend could not read them).
    """

    code = "NO_RESULT_REPORTED"

    def __init__(
        self,
        message: str,
        job_name: str = "",
        detail: str = "missing",
        found: Optional[Mapping[str, Any]] = None,
        log_tail: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.detail = detail
        self.found: Optional[Dict[str, Any]] = dict(found) if found is not None else None
        self.log_tail: List[str] = list(log_tail)


class MalformedResultError(KonduktorError):
    """The job succeeded, but its result is not one JSON value (or not UTF-8).

    Attributes:
        job_name: the job.
        parse_error: why the document could not be parsed.
        head: the first bytes of the file, as text with unprintable bytes escaped.
    """

    code = "RESULT_MALFORMED"

    def __init__(self, message: str, job_name: str = "", parse_error: str = "", head: str = "") -> None:
        super().__init__(message)
        self.job_name = job_name
        self.parse_error = parse_error
        self.head = head


class ResultTooLargeError(KonduktorError):
    """The job succeeded, but its result is over the size limit.

    Attributes:
        job_name: the job.
        size: the result file's size in bytes.
        limit: the limit that applied, in bytes (4096).
    """

    code = "RESULT_TOO_LARGE"

    def __init__(self, message: str, job_name: str = "", size: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.size = size
        self.limit = limit


class ResultTimeoutError(KonduktorError):
    """A wait ran out of time. The job keeps running (or stays held, when ``last_status`` is
    ``"STOPPED"``); a later wait works.

    Attributes:
        job_name: the job.
        timeout: the timeout that ran out, in seconds.
        timeout_ms: the same in milliseconds (the TypeScript field).
        last_status: the job's status when the wait gave up (``"RUNNING"``, ``"PENDING"``...).
        waiting_reason: why the job was not running then, as the backend said it (e.g.
            ``"queued #2: waiting for 2 GPUs"``), or None when it said nothing.
    """

    code = "RESULT_TIMEOUT"

    def __init__(
        self,
        message: str,
        job_name: str = "",
        timeout_ms: float = 0,
        last_status: str = "",
        waiting_reason: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.timeout_ms = timeout_ms
        self.timeout = timeout_ms / 1000
        self.last_status = last_status
        self.waiting_reason = waiting_reason


class JobNotFoundError(KonduktorError):
    """No job of that name exists on the backend.

    Attributes:
        job_name: the name asked for.
        suggestions: existing job names close to it.
    """

    code = "JOB_NOT_FOUND"

    def __init__(self, message: str, job_name: str = "", suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.suggestions: List[str] = list(suggestions)


class LogsUnavailableError(KonduktorError):
    """The log asked for is gone: on Kubernetes a container's log lives only as long as its pod
    (deleted by ``cancel``, a restart of the job, or by hand). The job's result is kept.

    Attributes:
        job_name: the job.
        rank: the rank whose log was asked for.
        attempt: the 0-based attempt whose log was asked for.
    """

    code = "LOGS_UNAVAILABLE"

    def __init__(self, message: str, job_name: str = "", rank: int = 0, attempt: int = 0) -> None:
        super().__init__(message)
        self.job_name = job_name
        self.rank = rank
        self.attempt = attempt


class RequestInterruptedError(KonduktorError):
    """A request to konduktor's engine was cancelled before it ended (the TypeScript
    ``InterruptedError``; named apart from Python's built-in ``InterruptedError``). The job is not
    touched. A Ctrl+C in Python raises ``KeyboardInterrupt`` instead."""

    code = "INTERRUPTED"


class BackendError(KonduktorError):
    """The backend could not be used (the store, the cluster), or konduktor's engine (the
    ``konduktor`` command this package drives) could not be started or ended unexpectedly."""

    code = "BACKEND_UNAVAILABLE"


class ReportError(KonduktorError):
    """``report()`` refused a value; nothing was written."""

    code = "REPORT_REFUSED"


_BY_NAME: Dict[str, Type[KonduktorError]] = {
    cls.__name__: cls
    for cls in (
        TaskValidationError,
        UsageError,
        ConfigError,
        StateConflictError,
        InternalError,
        JobFailedError,
        NoResultReportedError,
        MalformedResultError,
        ResultTooLargeError,
        ResultTimeoutError,
        JobNotFoundError,
        LogsUnavailableError,
        RequestInterruptedError,
        BackendError,
        ReportError,
    )
}
# The TypeScript names of the classes named apart here.
_BY_NAME["InterruptedError"] = RequestInterruptedError
_BY_NAME["AbortError"] = RequestInterruptedError
_BY_CODE: Dict[str, Type[KonduktorError]] = {cls.code: cls for cls in _BY_NAME.values()}


def _optional_int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def from_wire(data: Mapping[str, Any]) -> KonduktorError:
    """The typed error for an error the engine sent (``name``, ``code``, ``message``, fields in
    camelCase)."""
    message = str(data.get("message", "konduktor failed"))
    code = str(data.get("code", BackendError.code))
    cls = _BY_NAME.get(str(data.get("name")), None) or _BY_CODE.get(code, KonduktorError)
    job = str(data.get("jobName", ""))
    if cls is TaskValidationError:
        issues = [
            TaskIssue(
                str(i.get("path", "")),
                str(i.get("message", "")),
                i.get("file"),
                _optional_int(i.get("line")),
                _optional_int(i.get("col")),
            )
            for i in data.get("issues", [])
            if isinstance(i, dict)
        ]
        return TaskValidationError(message, issues)
    if cls is JobFailedError:
        has_value = "valueText" in data or "value" in data
        value = json.loads(data["valueText"]) if "valueText" in data else data.get("value")
        return JobFailedError(
            message,
            job_name=job,
            reason=str(data.get("reason", "")),
            exit_code=_optional_int(data.get("exitCode")),
            signal=data.get("signal"),
            rank=_optional_int(data.get("rank")),
            phase=data.get("phase"),
            attempt=_optional_int(data.get("attempt")) or 0,
            log_tail=[str(line) for line in data.get("logTail", [])],
            value=value,
            has_value=has_value,
        )
    if cls is NoResultReportedError:
        found = data.get("found")
        return NoResultReportedError(
            message,
            job,
            str(data.get("detail", "missing")),
            found if isinstance(found, dict) else None,
            [str(line) for line in data.get("logTail", [])],
        )
    if cls is MalformedResultError:
        return MalformedResultError(message, job, str(data.get("parseError", "")), str(data.get("head", "")))
    if cls is ResultTooLargeError:
        return ResultTooLargeError(message, job, int(data.get("size", 0)), int(data.get("limit", 0)))
    if cls is ResultTimeoutError:
        waiting = data.get("waitingReason")
        return ResultTimeoutError(
            message,
            job,
            float(data.get("timeoutMs", 0)),
            str(data.get("lastStatus", "")),
            str(waiting) if waiting is not None else None,
        )
    if cls is JobNotFoundError:
        return JobNotFoundError(message, job, [str(s) for s in data.get("suggestions", [])])
    if cls is LogsUnavailableError:
        return LogsUnavailableError(
            message, job, _optional_int(data.get("rank")) or 0, _optional_int(data.get("attempt")) or 0
        )
    if cls is KonduktorError:
        return KonduktorError(message, code)
    return cls(message)
