"""Launching tasks and handling their jobs: :func:`launch`, :func:`get_job` and :class:`Job`.

Timeouts are in **seconds** (an ``int`` or ``float``), or duration strings such as ``"90s"``,
``"10m"``, ``"1h30m"``; ``None`` waits as long as it takes.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import warnings
from typing import Any, Dict, Iterator, Optional, Union

from ._engine import engine
from .errors import UsageError
from .task import PathLike, Task

__all__ = ["Job", "launch", "get_job"]

Timeout = Union[int, float, str, None]


def _timeout_ms(timeout: Timeout) -> Union[float, str, None]:
    """Seconds to the engine's milliseconds; a duration string goes as it is (the engine parses
    it with the TypeScript rules)."""
    if timeout is None or isinstance(timeout, str):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise UsageError(
            f"timeout must be a number of seconds or a duration string such as '10m', got {timeout!r}"
        )
    if not math.isfinite(timeout) or timeout < 0:
        raise UsageError(f"timeout must be a non-negative number of seconds, got {timeout!r}")
    return timeout * 1000


def _where(backend: Optional[str], context: Optional[str], namespace: Optional[str]) -> Dict[str, Any]:
    where: Dict[str, Any] = {}
    if backend is not None:
        where["backend"] = backend
    if context is not None:
        where["context"] = context
    if namespace is not None:
        where["namespace"] = namespace
    return where


def _snake_case(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _snake_keys(data: Any) -> Any:
    """The engine's camelCase keys in snake_case, at every depth. Safe for a job's info: the
    reported document travels as a string (``text``), so no key of the user's is renamed."""
    if isinstance(data, dict):
        return {_snake_case(str(k)): _snake_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_snake_keys(v) for v in data]
    return data


class Job(str):
    """A launched job. It *is* its name (a ``str``), so code that treats the return value of
    :func:`launch` as a name keeps working; ``Job(name)`` re-attaches to an existing job from any
    process (see also :func:`get_job`, which checks that the job exists).

    Args:
        name: the job name, e.g. ``"trial-3f2a"``.
        backend: ``"local"`` or ``"kubernetes"``; default: ``$KONDUKTOR_BACKEND``, else
            ``backend:`` in ``$KONDUKTOR_HOME/config.yaml``, else local.
        context: Kubernetes: the kubeconfig context (default: the current one).
        namespace: Kubernetes: the namespace (default: the context's). ``context`` or
            ``namespace`` with the local backend raises :class:`UsageError` at the first call
            (they would otherwise be dropped and the job looked up elsewhere than asked).
    """

    _where: Dict[str, Any]

    def __new__(
        cls,
        name: str,
        backend: Optional[str] = None,
        context: Optional[str] = None,
        namespace: Optional[str] = None,
    ) -> "Job":
        job = super().__new__(cls, name)
        job._where = _where(backend, context, namespace)
        return job

    def __reduce__(self) -> Any:
        return (Job, (str(self), self._where.get("backend"), self._where.get("context"), self._where.get("namespace")))

    def __repr__(self) -> str:
        return f"Job({str(self)!r})"

    @property
    def name(self) -> str:
        """The job name."""
        return str(self)

    def _params(self, **extra: Any) -> Dict[str, Any]:
        params: Dict[str, Any] = {"job": str(self), **self._where, **extra}
        # Read at each call, like the CLI reads it at each command.
        home = os.environ.get("KONDUKTOR_HOME")
        if home:
            params["home"] = home
        return params

    def result(self, timeout: Timeout = None) -> Any:
        """Waits until the job ends and returns the JSON document rank 0 wrote to
        ``$KONDUKTOR_OUTPUT_DIR/result.json`` in the final attempt, parsed (``dict``, ``list``,
        ``str``, ``int``, ``float``, ``bool`` or ``None``; numbers keep every digit).

        Args:
            timeout: seconds (or a duration string such as ``"10m"``); None waits as long as it
                takes.

        Raises:
            JobFailedError: the job failed (the value it reported, if any, is ``.value``).
            NoResultReportedError: it succeeded without a result.
            MalformedResultError: its result is not JSON.
            ResultTooLargeError: its result is over the size limit.
            ResultTimeoutError: the timeout ran out; the job keeps running.
            JobNotFoundError: there is no such job.
            BackendError: the backend or konduktor's engine cannot be used.
            KeyboardInterrupt: Ctrl+C stops the wait; the job keeps running.
        """
        reply = engine().call("result", self._params(timeout=_timeout_ms(timeout)))
        return json.loads(reply["text"])

    def wait(self, timeout: Timeout = None) -> str:
        """Waits until the job ends; returns ``"succeeded"`` or ``"failed"`` (a cancelled job
        counts as failed) without reading the result.

        Args:
            timeout: seconds (or a duration string); None waits as long as it takes.

        Raises:
            ResultTimeoutError: the timeout ran out; the job keeps running.
            JobNotFoundError, BackendError: as for :meth:`result`.
            KeyboardInterrupt: Ctrl+C stops the wait; the job keeps running.
        """
        return str(engine().call("wait", self._params(timeout=_timeout_ms(timeout))))

    def info(self) -> Dict[str, Any]:
        """Everything the backend knows about the job, with snake_case keys like the rest of
        this package (and the errors' fields)::

            {"name": "trial-3f2a", "backend": "local", "status": "SUCCEEDED", "num_nodes": 1,
             "resources": {"cpus": 1, "memory": 2}, "attempt": 0,
             "submitted_at": "2026-01-01T00:00:00.000Z", "started_at": ..., "ended_at": ...,
             "reason": ..., "outcome": {"kind": "value", "attempt": 0, "text": "..."}}

        ``status``: as :meth:`status`. ``resources``: what *each* node asked for (``num_nodes``
        says how many): ``cpus`` (CPUs, a float or int, ``0.5`` = 500m), ``memory`` (GiB) and
        ``accelerators`` (``{"name": "H100", "count": 2}``: that many per node); a key is absent
        when the task set none and the backend applies no default (the local backend counts 1 CPU
        and 1 GiB; Kubernetes sets none), ``accelerators`` when none were asked for.
        ``attempt``: the current (or final) 0-based attempt.
        Times are ISO 8601 UTC strings; ``started_at``, ``ended_at``, ``reason`` (why the job is
        in its state) and ``outcome`` are absent until they apply. ``outcome`` (once the job
        ended) has ``kind`` (``"value"``, ``"no_result"``, ``"malformed"``, ``"too_large"``,
        ``"failed"``) and the fields of the matching error in snake_case (``detail``,
        ``found``, ``log_tail``, ``parse_error``, ``exit_code``...); ``text``/``value_text``
        are the reported document as written.

        Raises:
            JobNotFoundError: there is no such job.
        """
        return _snake_keys(engine().call("get", self._params()))

    def status(self) -> str:
        """The job's status: ``"PENDING"``, ``"RUNNING"``, ``"STOPPED"``, ``"SUCCEEDED"``,
        ``"FAILED"`` or ``"CANCELLED"``.

        Raises:
            JobNotFoundError: there is no such job.
        """
        return str(self.info()["status"])

    def logs(self, follow: bool = False, rank: int = 0, tail: Optional[int] = None) -> Iterator[str]:
        """The log lines (without their newline) of one rank of the latest attempt.

        Args:
            follow: keep yielding lines until the job ends.
            rank: the rank (0-based).
            tail: start with only the last ``tail`` lines.

        Raises (when iterated: the request is sent on the first ``next()``):
            JobNotFoundError: there is no such job.
            UsageError: ``rank`` or ``tail`` is not a non-negative integer, or there is no such rank.
            KeyboardInterrupt: Ctrl+C stops the reading; the job keeps running.
        """
        return engine().stream("logs", self._params(follow=bool(follow), rank=rank, tail=tail))

    def metrics(self, follow: bool = False, attempt: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Rank 0's metric points: the lines the job appended to ``$KONDUKTOR_OUTPUT_DIR/metrics.jsonl``,
        of the latest attempt (or ``attempt``), each as ``{"step": int, "values": {name: number},
        "time": ISO 8601 str or None, "attempt": int}`` (``time``: when the line was seen arriving; None for
        a local line already in the file when the reading began). A malformed line is
        skipped with a :class:`RuntimeWarning` (``warnings.warn``) naming its line and what is wrong.

        Args:
            follow: keep yielding points as they are written until the job ends.
            attempt: the attempt (``RESTART_ATTEMPT``) to read; with ``follow``, the first.

        Raises (when iterated: the request is sent on the first ``next()``):
            JobNotFoundError: there is no such job.
            UsageError: ``attempt`` is not a non-negative integer, or after the latest attempt.
            LogsUnavailableError: on Kubernetes, when rank 0's pod of that attempt is gone.
            KeyboardInterrupt: Ctrl+C stops the reading; the job keeps running.
        """
        for item in engine().stream("metrics", self._params(follow=bool(follow), attempt=attempt)):
            if isinstance(item, dict) and "point" in item:
                yield item["point"]
            elif isinstance(item, dict) and "warning" in item:
                w = item["warning"]
                warnings.warn(
                    f"skipped line {w.get('line')} of metrics.jsonl of job {self.name} "
                    f"(attempt {w.get('attempt')}): {w.get('reason')}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def cancel(self) -> None:
        """Stops the job; it ends ``CANCELLED``, and its result is a :class:`JobFailedError`.
        Harmless on a job that has ended.

        Raises:
            JobNotFoundError: there is no such job.
        """
        engine().call("cancel", self._params())


def launch(
    task: Union[Task, PathLike],
    dryrun: bool = False,
    detach_run: bool = False,
    backend: Optional[str] = None,
    *,
    context: Optional[str] = None,
    namespace: Optional[str] = None,
) -> Optional[Job]:
    """Validates ``task`` and starts it as a job.

    Args:
        task: a :class:`Task`, or the path of a task YAML file.
        dryrun: validate only (with the backend's own checks too) and return None.
        detach_run: return as soon as the job is submitted. Without it, rank 0's log is printed
            on stderr until the job ends, as ``konduktor launch`` does, and then the handle is
            returned (whether the job succeeded or failed: ask :meth:`Job.result`).
        backend: ``"local"`` or ``"kubernetes"``; default: ``$KONDUKTOR_BACKEND``, else the
            ``backend:`` of ``$KONDUKTOR_HOME/config.yaml``, else local.
        context: Kubernetes: the kubeconfig context.
        namespace: Kubernetes: the namespace.

    Returns:
        the :class:`Job` (a ``str``: its name), or None with ``dryrun``.

    Raises:
        TaskValidationError: the task is invalid (every problem at once); nothing was launched.
        UsageError: ``context`` or ``namespace`` given for the local backend; nothing was launched.
        BackendError: the backend or konduktor's engine cannot be used.
        KeyboardInterrupt: Ctrl+C while following the log; the job keeps running.
    """
    if not isinstance(task, Task):
        task = Task.from_yaml(task)
    where = _where(backend, context, namespace)
    home = os.environ.get("KONDUKTOR_HOME")
    params: Dict[str, Any] = {"task": task.to_dict(), "cwd": os.getcwd(), "dryrun": bool(dryrun), **where}
    if home:
        params["home"] = home
    reply = engine().call("launch", params)
    if dryrun:
        return None
    job = Job(reply["job"], backend, context, namespace)
    if not detach_run:
        try:
            for line in job.logs(follow=True):
                print(line, file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            print(f"detached; job {job} keeps running. Follow it: konduktor logs -f {job}", file=sys.stderr)
            raise
    return job


def get_job(
    name: str,
    backend: Optional[str] = None,
    *,
    context: Optional[str] = None,
    namespace: Optional[str] = None,
) -> Job:
    """Re-attaches to an existing job by name, from any process.

    Raises:
        JobNotFoundError: there is no such job (with ``suggestions``).
        BackendError: the backend or konduktor's engine cannot be used.
    """
    job = Job(name, backend, context, namespace)
    job.info()
    return job
