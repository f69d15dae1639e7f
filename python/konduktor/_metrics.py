"""``report_metrics(step, values)``: a Python workload's progress (standard library only).

    from konduktor import report_metrics
    report_metrics(3, {"val_loss": 0.51})

does what ``echo '{"step": 3, "val_loss": 0.51}' >> "$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"`` does,
after the same checks as the TypeScript ``reportMetrics()``.
"""

from __future__ import annotations

import json
import math
import os
from typing import Mapping, Optional, Union

from .errors import ReportError

__all__ = ["report_metrics", "METRIC_LINE_LIMIT_BYTES"]

#: The largest metric line, in bytes of UTF-8 without its newline.
METRIC_LINE_LIMIT_BYTES = 4096


def report_metrics(
    step: int,
    values: Mapping[str, float],
    output_dir: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
) -> int:
    """Append one metric line ``{"step": step, **values}`` to ``$KONDUKTOR_OUTPUT_DIR/metrics.jsonl``
    in a single write, and return the number of bytes written (newline included). Only rank 0's
    lines count; calling it on other ranks is harmless.

    Args:
        step: an integer (an epoch, a batch count); not a bool.
        values: metric names and finite numbers (int or float, not bool); ``step`` is not a name.
        output_dir: the directory (default ``$KONDUKTOR_OUTPUT_DIR``).

    Raises:
        ReportError: KONDUKTOR_OUTPUT_DIR is unset; ``step`` is not an integer; a value is not a
            finite number; the line would be over 4096 bytes; the file cannot be written.
            Nothing is written then.
    """
    directory = os.fsdecode(output_dir) if output_dir is not None else os.environ.get("KONDUKTOR_OUTPUT_DIR", "")
    if not directory:
        raise ReportError(
            "KONDUKTOR_OUTPUT_DIR is not set: report_metrics() works inside a job launched by "
            "konduktor; to try it elsewhere, set KONDUKTOR_OUTPUT_DIR to a writable directory"
        )
    if isinstance(step, bool) or not isinstance(step, int) or abs(step) > 2**53 - 1:
        raise ReportError(f"step must be an integer, got {step!r}")
    if not isinstance(values, Mapping):
        raise ReportError("values must be a mapping of metric names and numbers")
    line = {"step": step}
    for key, value in values.items():
        if not isinstance(key, str):
            raise ReportError(f"metric names must be strings, got {key!r}")
        if key == "step":
            raise ReportError('"step" is not a metric name: pass the step as the first argument')
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ReportError(f"{json.dumps(key)} must be a finite number, got {value!r}")
        line[key] = value
    text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
    data = (text + "\n").encode("utf-8", "surrogatepass")
    if len(data) - 1 > METRIC_LINE_LIMIT_BYTES:
        raise ReportError(
            f"the metric line would be {len(data) - 1} bytes, over the limit of "
            f"{METRIC_LINE_LIMIT_BYTES}; nothing was written. Report fewer metrics per step"
        )
    path = os.path.join(directory, "metrics.jsonl")
    try:
        # One write of the whole line on an O_APPEND descriptor: readers never see half a line
        # followed by another writer's.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as err:
        raise ReportError(f"could not append to {path}: {err}") from err
    return len(data)
