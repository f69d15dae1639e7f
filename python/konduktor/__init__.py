"""konduktor's result helper for Python workloads (standard library only).

    from konduktor import report
    report({"val_loss": 0.42})

does what ``echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`` does, after checking
the value exactly like the TypeScript ``report()``.
"""

import json
import os

__all__ = ["report", "ReportError", "RESULT_LIMIT_BYTES"]

#: The default size limit of a result document, in bytes (the kubelet's termination-message cap).
RESULT_LIMIT_BYTES = 4096


class ReportError(Exception):
    """``report()`` refused a value; nothing was written."""

    code = "REPORT_REFUSED"


def _limit_from_environment():
    raw = os.environ.get("KONDUKTOR_RESULT_LIMIT")
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        value = 0
    return value if value > 0 else RESULT_LIMIT_BYTES


def report(value, output_dir=None, limit=None):
    """Write ``value`` as this job's result and return the number of bytes written.

    Raises ReportError when KONDUKTOR_OUTPUT_DIR is unset, when the value is not JSON data (NaN,
    Infinity, or anything ``json`` cannot encode), or when the document would be over the limit
    (``KONDUKTOR_RESULT_LIMIT``, default 4096 bytes). Nothing is written then.
    """
    directory = output_dir if output_dir is not None else os.environ.get("KONDUKTOR_OUTPUT_DIR", "")
    if not directory:
        raise ReportError(
            "KONDUKTOR_OUTPUT_DIR is not set: report() works inside a job launched by konduktor; "
            "to try it elsewhere, set KONDUKTOR_OUTPUT_DIR to a writable directory"
        )
    size_limit = limit if limit is not None else _limit_from_environment()
    try:
        # allow_nan=False: NaN and Infinity are not JSON; compact separators match JSON.stringify.
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as err:
        raise ReportError(f"the value is not JSON: {err}; report null or a string instead") from err
    except TypeError as err:
        raise ReportError(f"the value cannot be written as JSON: {err}") from err
    document = (text + "\n").encode("utf-8")
    if len(document) > size_limit:
        raise ReportError(
            f"the result would be {len(document)} bytes, over the limit of {size_limit} bytes; "
            "nothing was written. Report a smaller document, for example a path to a file "
            "holding the large data"
        )
    path = os.path.join(directory, "result.json")
    try:
        # "wb" truncates and writes the same inode: never write-temp-then-rename (bind mounts).
        with open(path, "wb") as f:
            f.write(document)
    except OSError as err:
        raise ReportError(f"could not write {path}: {err}") from err
    return len(document)
