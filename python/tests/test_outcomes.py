"""One test per row of the outcome table (spec §1.7), each raising the right class with its
fields, plus waits that run out of time."""

import json

import pytest

import konduktor
from conftest import ROOT, run_python, wait_for_file, write_result


def launched(name, run, **task):
    return konduktor.launch(konduktor.Task(name=name, run=run, **task), detach_run=True)


def test_a_value_comes_back_with_every_digit():
    job = launched("value", write_result('{"seed": 12345678901234567891, "run_id": 9007199254740993, "lr": 1e-400, "s": "é"}'))
    value = job.result(timeout=120)
    assert value == {"seed": 12345678901234567891, "run_id": 9007199254740993, "lr": 0.0, "s": "é"}
    assert job.wait() == "succeeded"


@pytest.mark.parametrize(
    "run, detail",
    [("true", "missing"), (': > "$KONDUKTOR_OUTPUT_DIR/result.json"', "empty"), (write_result(" \n\t "), "whitespace")],
)
def test_no_result_reported(run, detail):
    job = launched("no-result", run)
    with pytest.raises(konduktor.NoResultReportedError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert (err.code, err.job_name, err.detail) == ("NO_RESULT_REPORTED", job, detail)
    assert isinstance(err, konduktor.KonduktorError)
    assert job.wait() == "succeeded"


def test_no_result_where_result_json_is_a_directory_says_what_was_found():
    job = launched("no-result-dir", 'echo "epoch 1 done"; mkdir "$KONDUKTOR_OUTPUT_DIR/result.json"')
    with pytest.raises(konduktor.NoResultReportedError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert (err.code, err.job_name, err.detail, err.found) == ("NO_RESULT_REPORTED", job, "not_a_file", {"kind": "directory"})
    assert err.log_tail == ["epoch 1 done"]
    assert "result.json is a directory" in str(err)


@pytest.mark.parametrize(
    "run",
    [
        '(echo "epoch 1"; echo "Traceback: CUDA out of memory" >&2; false) 2>&1 | tee /dev/null',
        'python3 -c \'import sys; print("epoch 1"); sys.exit("Traceback: CUDA out of memory")\' 2>&1 | tee /dev/null',
    ],
)
def test_no_result_of_a_run_whose_failure_a_pipe_hid_carries_the_log_tail(run):
    # `false | tee log` exits 0: the job succeeds without a result, and the log says why.
    job = launched("no-result-tee", run)
    with pytest.raises(konduktor.NoResultReportedError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert (err.detail, err.found) == ("missing", None)
    assert err.log_tail == ["epoch 1", "Traceback: CUDA out of memory"]
    assert "  | Traceback: CUDA out of memory" in str(err)


def test_info_has_snake_case_keys_at_every_depth():
    job = launched("info", 'echo oops; exit 3', num_nodes=2)
    assert job.wait(timeout=120) == "failed"
    info = job.info()
    assert (info["name"], info["status"], info["num_nodes"], info["attempt"]) == (job, "FAILED", 2, 0)
    for key in ("submitted_at", "started_at", "ended_at"):
        assert isinstance(info[key], str) and info[key].endswith("Z"), info
    assert info["outcome"]["kind"] == "failed"
    assert (info["outcome"]["exit_code"], info["outcome"]["log_tail"]) == (3, ["oops"])

    def keys(data):
        if isinstance(data, dict):
            return [k for key, value in data.items() for k in (key, *keys(value))]
        return [k for value in data for k in keys(value)] if isinstance(data, list) else []

    assert all(key == key.lower() for key in keys(info)), info
    value = launched("info-value", write_result('{"camelCase": 1}'))
    value.wait(timeout=120)
    assert value.info()["outcome"] == {"kind": "value", "attempt": 0, "text": '{"camelCase": 1}'}


def test_info_resources_are_per_node_numbers_not_a_summary_text(tmp_path):
    # The local backend's defaults (1 CPU, 1 GiB) count for what the task leaves out; what it
    # sets comes back as given, per node, whatever num_nodes is.
    default = launched("res-default", "true")
    assert default.info()["resources"] == {"cpus": 1, "memory": 1}
    task = konduktor.Task(name="res-fraction", run="true", num_nodes=2)
    task.set_resources(konduktor.Resources(cpus=0.5, memory=0.25))
    job = konduktor.launch(task, detach_run=True)
    info = job.info()
    assert (info["num_nodes"], info["resources"]) == (2, {"cpus": 0.5, "memory": 0.25})
    assert isinstance(info["resources"]["cpus"], float)
    # Accelerators as a name and a count per node (a private home with two GPUs to give).
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("local:\n  capacity: { cpus: 4, memory: 8, gpus: [0, 1] }\n")
    proc = run_python(
        """
        import json, konduktor
        task = konduktor.Task(name="res-gpu", run="true")
        task.set_resources(konduktor.Resources(cpus=2, accelerators="H100:2"))
        job = konduktor.launch(task, detach_run=True)
        print(json.dumps(job.info()["resources"]))
        job.wait(timeout=120)
        """,
        env={"KONDUKTOR_HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"cpus": 2, "memory": 1, "accelerators": {"name": "H100", "count": 2}}


def test_a_timeout_on_a_queued_job_says_what_it_waits_for(tmp_path):
    # A private home whose capacity holds one 1-CPU job: the second one queues.
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("local:\n  capacity: { cpus: 1, memory: 8 }\n")
    proc = run_python(
        f"""
        import konduktor
        task = lambda name: konduktor.Task(name=name, run={wait_for_file(tmp_path / "go")!r})
        first = konduktor.launch(task("first"), detach_run=True)
        second = konduktor.launch(task("second"), detach_run=True)
        try:
            second.result(timeout=1)
        except konduktor.ResultTimeoutError as err:
            print(err.last_status, "|", err.waiting_reason, "|", err)
        for job in (first, second):
            job.cancel()
        """,
        env={"KONDUKTOR_HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    status, reason, message = proc.stdout.strip().split(" | ", 2)
    assert status == "PENDING"
    assert reason.startswith("queued #1: ") and "CPU" in reason, reason
    assert reason in message


def test_malformed_result():
    job = launched("malformed", write_result('{"val_loss": NaN}'))
    with pytest.raises(konduktor.MalformedResultError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert err.code == "RESULT_MALFORMED" and err.job_name == job
    assert err.parse_error
    assert err.head.startswith('{"val_loss": NaN}')


def test_result_too_large_and_exactly_the_limit():
    over = launched("too-large", "head -c 4097 /dev/zero | tr '\\0' 7 > \"$KONDUKTOR_OUTPUT_DIR/result.json\"")
    with pytest.raises(konduktor.ResultTooLargeError) as caught:
        over.result(timeout=120)
    assert (caught.value.code, caught.value.size, caught.value.limit) == ("RESULT_TOO_LARGE", 4097, 4096)
    exact = launched("exact", "head -c 4096 /dev/zero | tr '\\0' 7 > \"$KONDUKTOR_OUTPUT_DIR/result.json\"")
    assert exact.result(timeout=120) == int("7" * 4096)


def test_failed_job_with_exit_code_log_tail_and_reported_value():
    run = write_result('{"val_loss": 12345678901234567891}') + "; echo 'epoch 1 nan'; exit 3"
    job = launched("failed", run)
    with pytest.raises(konduktor.JobFailedError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert (err.code, err.job_name, err.exit_code, err.signal, err.rank, err.phase, err.attempt) == (
        "JOB_FAILED", job, 3, None, 0, "run", 0,
    )
    assert "exited with code 3" in err.reason
    assert err.log_tail == ["epoch 1 nan"]
    assert err.has_value and err.value == {"val_loss": 12345678901234567891}
    assert job.wait() == "failed"


def test_failed_job_killed_by_a_signal_in_setup_on_rank_1_after_a_restart():
    # Rank 1 dies only once rank 0's result of the same attempt is written (its directory is a
    # sibling: attempt-K/rank-R/output), so the value is there whichever rank's setup runs first.
    run = (
        'if [ "$RANK" = 1 ]; then r0="$KONDUKTOR_OUTPUT_DIR/../../rank-0/output/result.json"; '
        'for _ in $(seq 600); do [ -s "$r0" ] && break; sleep 0.1; done; kill -KILL $$; fi; '
        + write_result("1")
    )
    task = konduktor.Task(name="signal", setup=run, run="true", num_nodes=2)
    task.set_resources(konduktor.Resources(cpus=0.1, memory=0.1, job_config={"max_restarts": 1}))
    job = konduktor.launch(task, detach_run=True)
    with pytest.raises(konduktor.JobFailedError) as caught:
        job.result(timeout=120)
    err = caught.value
    assert (err.signal, err.exit_code, err.rank, err.phase, err.attempt) == ("SIGKILL", 137, 1, "setup", 1)
    # Rank 0 had reported before rank 1 was killed: the value comes with the error.
    assert err.has_value and err.value == 1


def test_cancelled_job_is_a_failed_job():
    job = launched("cancelled", "sleep 120")
    job.cancel()
    with pytest.raises(konduktor.JobFailedError) as caught:
        job.result(timeout=120)
    assert "cancel" in caught.value.reason
    assert not caught.value.has_value and caught.value.value is None
    assert job.status() == "CANCELLED"
    assert job.wait() == "failed"


@pytest.mark.parametrize("timeout, seconds", [(1, 1.0), (0.5, 0.5), ("1s", 1.0), ("500ms", 0.5)])
def test_a_timeout_leaves_the_job_running_and_a_later_wait_works(timeout, seconds, tmp_path):
    job = launched("slow", wait_for_file(tmp_path / "go") + "; " + write_result('{"done": true}'))
    with pytest.raises(konduktor.ResultTimeoutError) as caught:
        job.result(timeout=timeout)
    err = caught.value
    assert (err.code, err.job_name, err.timeout, err.timeout_ms) == ("RESULT_TIMEOUT", job, seconds, seconds * 1000)
    assert err.last_status in ("PENDING", "RUNNING")
    with pytest.raises(konduktor.ResultTimeoutError):
        job.wait(timeout=timeout)
    assert job.status() in ("PENDING", "RUNNING")
    (tmp_path / "go").touch()
    assert job.result(timeout=120) == {"done": True}


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf"), True, "soon", "10 minutes", [1]])
def test_a_bad_timeout_is_a_usage_error(timeout):
    job = launched("bad-timeout", write_result("1"))
    with pytest.raises(konduktor.UsageError) as caught:
        job.result(timeout=timeout)
    assert caught.value.code == "USAGE"


def test_an_unknown_job():
    known = launched("known", write_result("1"))
    known.wait(timeout=120)
    with pytest.raises(konduktor.JobNotFoundError) as caught:
        konduktor.get_job(known[:-1] + "x")
    err = caught.value
    assert (err.code, err.job_name) == ("JOB_NOT_FOUND", known[:-1] + "x")
    assert known in err.suggestions
    for call in (lambda j: j.result(timeout=5), lambda j: j.status(), lambda j: list(j.logs())):
        with pytest.raises(konduktor.JobNotFoundError):
            call(konduktor.Job("no-such-job-0000"))


def test_logs_of_a_rank_with_a_tail_and_following():
    job = launched("logs", 'for i in 1 2 3 4 5; do echo "line $i rank $RANK"; done; sleep 1; echo last', num_nodes=2)
    assert list(job.logs(follow=True, rank=1)) == [f"line {i} rank 1" for i in range(1, 6)] + ["last"]
    assert list(job.logs(tail=2)) == ["line 5 rank 0", "last"]
    with pytest.raises(konduktor.UsageError):
        list(job.logs(rank=2))


def test_50_concurrent_waits_from_threads_share_one_engine_process():
    import os
    import threading

    from konduktor._engine import engine

    jobs = []
    for i in range(50):
        task = konduktor.Task(name=f"many-{i}", run="sleep 1; " + write_result(json.dumps({"i": i})))
        task.set_resources(konduktor.Resources(cpus=0.01, memory=0.01))
        jobs.append(konduktor.launch(task, detach_run=True))
    values = [None] * 50

    def wait(i):
        values[i] = jobs[i].result(timeout=300)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    children = _children(os.getpid())
    for t in threads:
        t.join()
    assert values == [{"i": i} for i in range(50)]
    # One engine serves every wait: this process has no other child.
    assert children == [engine()._proc.pid], children


def _children(pid):
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def test_errors_only_kubernetes_or_a_cancelled_request_raise_map_every_typescript_field():
    # Built by the engine's own classes and wire form (no cluster here: LogsUnavailableError
    # comes from Kubernetes, InterruptedError from a cancelled request, which Python forgets).
    import subprocess

    from konduktor.errors import from_wire

    script = f"""
        import * as e from {json.dumps(str(ROOT / "dist" / "errors.js"))};
        import {{ errorJson }} from {json.dumps(str(ROOT / "dist" / "cli" / "output.js"))};
        const wire = (err) => ({{ name: err.name, ...errorJson(err) }});
        console.log(JSON.stringify([
          wire(new e.LogsUnavailableError('trial-1', 1, 2, 'its pod was deleted')),
          wire(new e.InterruptedError('interrupted (Ctrl+C)')),
          wire(new e.ResultTimeoutError('trial-1', 1500, 'PENDING', 'queued #2: waiting for 2 GPUs')),
          wire(new e.NoResultReportedError('trial-1', {{ detail: 'not_a_file', found: {{ kind: 'dangling-link', link: 'x' }}, logTail: ['a'] }})),
        ]));
    """
    proc = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    logs, interrupted, timeout, no_result = (from_wire(d) for d in json.loads(proc.stdout))
    assert isinstance(logs, konduktor.LogsUnavailableError)
    assert (logs.code, logs.job_name, logs.rank, logs.attempt) == ("LOGS_UNAVAILABLE", "trial-1", 1, 2)
    assert "its pod was deleted" in str(logs)
    assert isinstance(interrupted, konduktor.RequestInterruptedError) and interrupted.code == "INTERRUPTED"
    assert (timeout.timeout, timeout.last_status, timeout.waiting_reason) == (1.5, "PENDING", "queued #2: waiting for 2 GPUs")
    assert (no_result.detail, no_result.found, no_result.log_tail) == ("not_a_file", {"kind": "dangling-link", "link": "x"}, ["a"])
