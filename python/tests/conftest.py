"""Shared helpers of the Python API tests. They run against the real engine (the checkout's
``konduktor`` via KONDUKTOR_CLI) in the private KONDUKTOR_HOME the node test runner gives them
(test/python/python-api.test.ts runs them from ``npm test``)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: Any) -> None:
    for name in ("KONDUKTOR_CLI", "KONDUKTOR_HOME"):
        if not os.environ.get(name):
            raise pytest.UsageError(f"{name} must be set: run these tests through test/python/python-api.test.ts")


def write_result(document: str) -> str:
    """A bash line that writes ``document`` as the job's result (quoted for bash by json)."""
    return f"printf '%s' {sh_quote(document)} > \"$KONDUKTOR_OUTPUT_DIR/result.json\""


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_python(code: str, env: Dict[str, str] = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs ``code`` in a new Python process (the same interpreter and package)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def konduktor_cli(*args: str) -> subprocess.CompletedProcess:
    """Runs the konduktor CLI (as KONDUKTOR_CLI names it) with a list of arguments."""
    import shlex

    return subprocess.run(
        [*shlex.split(os.environ["KONDUKTOR_CLI"]), *args], capture_output=True, text=True, timeout=120
    )


def all_jobs() -> List[Dict[str, Any]]:
    proc = konduktor_cli("status", "--json", "--all")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def wait_for_file(path: Path) -> str:
    """A bash line that waits until ``path`` exists: a job the test releases when it is ready,
    so that no assertion depends on how fast a loaded machine runs it."""
    return f"until [ -e {sh_quote(str(path))} ]; do sleep 0.05; done"
