"""``report()``: a Python workload's result (standard library only).

    from konduktor import report
    report({"val_loss": 0.42})

does what ``echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`` does, after checking
the value exactly like the TypeScript ``report()``, and writes the same bytes for the same value.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Optional, Union

from .errors import ReportError

__all__ = ["report", "RESULT_LIMIT_BYTES"]

#: The default size limit of a result document, in bytes (the kubelet's termination-message cap).
RESULT_LIMIT_BYTES = 4096

# A lone surrogate (os.fsdecode of undecodable bytes gives one per byte) has no UTF-8 form.
# JSON.stringify writes it as a \uXXXX escape, so report() in TypeScript writes the same value as
# valid UTF-8 JSON; so does this. Outside strings JSON text holds no such character.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    return _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def _limit_from_environment() -> int:
    raw = os.environ.get("KONDUKTOR_RESULT_LIMIT")
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        value = 0
    return value if value > 0 else RESULT_LIMIT_BYTES


def report(
    value: Any,
    output_dir: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
    limit: Optional[int] = None,
) -> int:
    """Write ``value`` as this job's result and return the number of bytes written.

    Args:
        value: JSON data: dict, list, str, int, float, bool or None, nested.
        output_dir: the directory (default ``$KONDUKTOR_OUTPUT_DIR``).
        limit: the size limit in bytes (default ``$KONDUKTOR_RESULT_LIMIT``, else 4096).

    Raises:
        ReportError: KONDUKTOR_OUTPUT_DIR is unset; the value is not JSON data (NaN, Infinity,
            a set, an object, a cycle, nesting too deep for ``json``); the document would be
            over the limit; the file cannot be written. Nothing is written then. Strings that
            hold lone surrogates (``os.fsdecode`` of undecodable bytes) are written as ``\\uXXXX``
            escapes, exactly as the TypeScript ``report()`` writes them.
    """
    directory = os.fsdecode(output_dir) if output_dir is not None else os.environ.get("KONDUKTOR_OUTPUT_DIR", "")
    if not directory:
        raise ReportError(
            "KONDUKTOR_OUTPUT_DIR is not set: report() works inside a job launched by konduktor; "
            "to try it elsewhere, set KONDUKTOR_OUTPUT_DIR to a writable directory"
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
        raise ReportError(f"limit must be a positive number of bytes, got {limit!r}")
    size_limit = limit if limit is not None else _limit_from_environment()
    try:
        # allow_nan=False: NaN and Infinity are not JSON; compact separators match JSON.stringify.
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as err:
        raise ReportError(f"the value is not JSON: {err}; report null or a string instead") from err
    except (TypeError, RecursionError) as err:
        raise ReportError(f"the value cannot be written as JSON: {err}") from err
    document = (_escape_surrogates(text) + "\n").encode("utf-8")
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
