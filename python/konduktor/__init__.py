"""konduktor for Python: launch batch jobs on this machine or on Kubernetes and get each job's
small JSON result back, driving konduktor's TypeScript engine (the ``konduktor`` command).

One job::

    import konduktor

    task = konduktor.Task(name="trial", run='echo \\'{"val_loss": 0.42}\\' > "$KONDUKTOR_OUTPUT_DIR/result.json"')
    task.set_resources(konduktor.Resources(cpus=1, memory=2, image_id="ubuntu"))
    job = konduktor.launch(task)            # a str: the job name
    value = job.result(timeout=600)         # {"val_loss": 0.42}; timeouts are seconds

Inside a job, :func:`report` writes the result. Every error is a :class:`KonduktorError` with the
TypeScript library's ``code``.
"""

from ._metrics import report_metrics
from ._report import RESULT_LIMIT_BYTES, report
from .errors import (
    BackendError,
    ConfigError,
    InternalError,
    StateConflictError,
    JobFailedError,
    JobNotFoundError,
    KonduktorError,
    LogsUnavailableError,
    MalformedResultError,
    NoResultReportedError,
    ReportError,
    RequestInterruptedError,
    ResultTimeoutError,
    ResultTooLargeError,
    TaskIssue,
    TaskValidationError,
    UsageError,
)
from .job import Job, get_job, launch
from .task import Resources, Task

__version__ = "0.1.0"

__all__ = [
    "Task",
    "Resources",
    "launch",
    "get_job",
    "Job",
    "report",
    "report_metrics",
    "RESULT_LIMIT_BYTES",
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
