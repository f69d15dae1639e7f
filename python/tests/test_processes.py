"""Across processes: get_job re-attaches from a second process; Ctrl+C inside result() or while
launch() follows the log leaves the job running and raises KeyboardInterrupt; the engine ends
with the Python process; a missing konduktor command is named with how to install it."""

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import konduktor
from konduktor._engine import PROTOCOL
from conftest import run_python, wait_for_file, write_result


def test_get_job_re_attaches_from_a_second_process():
    job = konduktor.launch(konduktor.Task(name="first", run="sleep 1; " + write_result('{"n": 1}')), detach_run=True)
    other = run_python(
        f"""
        import konduktor
        job = konduktor.get_job({str(job)!r})
        print(job.result(timeout=120), job.wait(), job.status(), konduktor.Job({str(job)!r}).status())
        """
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == "{'n': 1} succeeded SUCCEEDED SUCCEEDED"
    # And the other way round: a job launched by a process that has ended.
    launched = run_python(
        """
        import konduktor
        print(konduktor.launch(konduktor.Task(name="second", run="sleep 1; echo 2 > $KONDUKTOR_OUTPUT_DIR/result.json"), detach_run=True))
        """
    )
    assert launched.returncode == 0, launched.stderr
    assert konduktor.get_job(launched.stdout.strip()).result(timeout=120) == 2


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


INTERRUPTED = {
    "result": """
        job = konduktor.launch(konduktor.Task(name="interrupted", run=os.environ["GATE"] + "; echo 7 > $KONDUKTOR_OUTPUT_DIR/result.json"), detach_run=True)
        print(job, engine()._proc.pid, flush=True)
        job.result(timeout=600)
    """,
    "launch": """
        task = konduktor.Task(name="interrupted", run="echo started; " + os.environ["GATE"] + "; echo 7 > $KONDUKTOR_OUTPUT_DIR/result.json")
        print("-", engine()._proc.pid, flush=True)
        konduktor.launch(task)
    """,
}


@pytest.mark.parametrize("where", ["result", "launch"])
def test_ctrl_c_stops_the_wait_not_the_job(where, tmp_path):
    script = "import os, konduktor\nfrom konduktor._engine import engine\n" + textwrap.dedent(INTERRUPTED[where])
    env = {**os.environ, "GATE": wait_for_file(tmp_path / "go")}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline().split()
    assert len(first) == 2, proc.stderr.read()
    engine_pid = int(first[1])
    if where == "launch":
        # Wait until launch() is following the log (the job printed its first line).
        deadline = time.monotonic() + 60
        line = ""
        while "started" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
    else:
        time.sleep(1)  # inside result()'s wait
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGINT, 130), stderr
    assert "KeyboardInterrupt" in stderr
    jobs = konduktor_jobs("interrupted-")
    job = jobs[-1]
    assert konduktor.get_job(job).status() in ("PENDING", "RUNNING"), "the job was stopped"
    (tmp_path / "go").touch()
    assert job.result(timeout=120) == 7
    if where == "launch":
        assert f"detached; job {job} keeps running" in stderr
    # The engine of the interrupted process ended with it.
    deadline = time.monotonic() + 30
    while _alive(engine_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(engine_pid)


def konduktor_jobs(prefix):
    from conftest import all_jobs

    names = [j["name"] for j in sorted(all_jobs(), key=lambda j: j["submittedAt"]) if j["name"].startswith(prefix)]
    return [konduktor.Job(n) for n in names]


# A command that answers hello (in this package's protocol), then stops reading its requests before
# it says why and exits: the next request's write fails (EPIPE) while the command still runs,
# before its exit and last words.
_STOPS_READING = textwrap.dedent(
    f"""
    import os, sys, time
    sys.stdin.readline()
    os.close(0)
    print('{{"id": 1, "ok": true, "value": {{"protocol": {PROTOCOL}}}}}', flush=True)
    time.sleep(0.5)
    sys.stderr.write("out of order\\n")
    sys.exit(3)
    """
)


@pytest.mark.parametrize(
    "cli, expected",
    [
        (None, ["KONDUKTOR_CLI is not set", "no `konduktor` on PATH", "npm install -g .", "npm link"]),
        ("/no/such/konduktor", ["could not start konduktor (/no/such/konduktor, from KONDUKTOR_CLI)", "npm install -g ."]),
        ("false", ["exited with status 1", "npm install -g ."]),
        (f"{sys.executable} -c 'import sys; sys.stderr.write(\"unknown command rpc\")'", ["unknown command rpc"]),
        (shlex.join([sys.executable, "-c", _STOPS_READING]), ["exited with status 3", "out of order"]),
    ],
)
def test_a_missing_or_wrong_konduktor_command_is_a_backend_error_that_says_how_to_install(cli, expected):
    env = {k: v for k, v in os.environ.items() if k != "KONDUKTOR_CLI"}
    if cli is not None:
        env["KONDUKTOR_CLI"] = cli
    env["PATH"] = os.path.dirname(sys.executable) + ":/usr/bin:/bin"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import konduktor\ntry:\n    konduktor.get_job('x')\nexcept konduktor.BackendError as e:\n    print(e.code); print(e)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("BACKEND_UNAVAILABLE\n"), proc.stdout
    for text in expected:
        assert text in proc.stdout, proc.stdout


def test_an_engine_that_dies_fails_the_waits_with_a_backend_error_and_the_next_call_starts_another(tmp_path):
    from konduktor._engine import engine

    gate = wait_for_file(tmp_path / "go")
    job = konduktor.launch(konduktor.Task(name="orphaned", run=gate + "; " + write_result("5")), detach_run=True)
    first = engine()
    errors = []

    def wait():
        try:
            job.result(timeout=600)
        except konduktor.KonduktorError as err:
            errors.append(err)

    import threading

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    os.kill(first._proc.pid, signal.SIGKILL)
    waiter.join(timeout=60)
    assert not waiter.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], konduktor.BackendError), errors
    assert "exited with status -9" in str(errors[0])
    # The job never depended on the engine; a new engine serves the next call.
    assert job.status() in ("PENDING", "RUNNING")
    (tmp_path / "go").touch()
    assert job.result(timeout=120) == 5
    assert engine() is not first
