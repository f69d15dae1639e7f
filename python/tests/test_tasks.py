"""Tasks from Python: validated with the task YAML's rules, every problem at once, nothing
launched; Task.from_yaml with file:line:column; dryrun."""

import pytest

import konduktor
from conftest import ROOT, all_jobs


def test_an_invalid_task_raises_every_problem_and_launches_nothing():
    before = len(all_jobs())
    task = konduktor.Task(
        name="Bad_Name",
        run="",
        num_nodes=0,
        envs={"RANK": "1", "bad-key": "x", "EMPTY": None},
        workdir="/no/such/dir",
    )
    task.set_resources(
        konduktor.Resources(cpus=-1, memory="lots", accelerators="H100:x", job_config={"max_restart": 1})
    )
    for call in (lambda: konduktor.launch(task), lambda: konduktor.launch(task, dryrun=True), task.validate):
        with pytest.raises(konduktor.TaskValidationError) as caught:
            call()
        err = caught.value
        assert err.code == "TASK_INVALID"
        paths = [issue.path for issue in err.issues]
        for expected in (
            "name",
            "run",
            "num_nodes",
            "envs.RANK",
            "envs.bad-key",
            "envs.EMPTY",
            "workdir",
            "resources.cpus",
            "resources.memory",
            "resources.accelerators",
            "resources.job_config.max_restart",
        ):
            assert expected in paths, (expected, paths)
        assert "unknown field 'max_restart'; did you mean" in str(err)
        assert f"invalid task ({len(err.issues)} problems)" in str(err)
        assert all(issue.line is None for issue in err.issues)
    assert len(all_jobs()) == before


def test_a_task_file_with_problems_gives_their_lines_and_columns(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: ok\nrun: echo hi\nnum_nodes: two\nresources:\n  cpus: 0\n  gpu: 1\n")
    with pytest.raises(konduktor.TaskValidationError) as caught:
        konduktor.Task.from_yaml(path)
    where = {issue.path: (issue.file, issue.line, issue.column, issue.col) for issue in caught.value.issues}
    assert where["num_nodes"] == (str(path), 3, 12, 12)
    assert where["resources.cpus"] == (str(path), 5, 9, 9)
    assert where["resources.gpu"][1:3] == (6, 3)
    with pytest.raises(konduktor.TaskValidationError) as missing:
        konduktor.Task.from_yaml(tmp_path / "missing.yaml")
    assert "not found" in str(missing.value)


def test_a_task_file_loads_into_a_task_and_runs(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "score.py").write_text("from konduktor import report\nreport({'score': 7})\n")
    (tmp_path / "task.yaml").write_text(
        "name: from-file\nworkdir: work\nrun: python3 score.py\nenvs: {A: 1}\nresources: {cpus: 0.5, job_config: {max_restarts: 1}}\n"
    )
    monkeypatch.chdir(ROOT)  # the file's relative workdir is relative to the file, not the cwd
    task = konduktor.Task.from_yaml(str(tmp_path / "task.yaml"))
    assert (task.name, task.run, task.envs, task.workdir) == ("from-file", "python3 score.py", {"A": "1"}, str(tmp_path / "work"))
    assert task.resources is not None and task.resources.cpus == 0.5
    assert task.resources.job_config["max_restarts"] == 1
    assert konduktor.launch(task, detach_run=True).result(timeout=120) == {"score": 7}
    # A path works as the task too.
    assert konduktor.launch(tmp_path / "task.yaml", detach_run=True).result(timeout=120) == {"score": 7}


def test_relative_paths_of_a_task_built_in_code_are_relative_to_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "here.txt").write_text("42")
    monkeypatch.chdir(tmp_path)
    task = konduktor.Task(name="cwd", workdir=".", run='cp here.txt "$KONDUKTOR_OUTPUT_DIR/result.json"')
    assert konduktor.launch(task, detach_run=True).result(timeout=120) == 42


def test_dryrun_validates_and_returns_none():
    before = len(all_jobs())
    assert konduktor.launch(konduktor.Task(name="dry", run="true"), dryrun=True) is None
    too_big = konduktor.Task(name="dry", run="true").set_resources(konduktor.Resources(cpus=100000))
    with pytest.raises(konduktor.TaskValidationError):
        konduktor.launch(too_big, dryrun=True)
    assert len(all_jobs()) == before


def test_set_resources_takes_resources():
    with pytest.raises(TypeError):
        konduktor.Task(name="x", run="true").set_resources({"cpus": 1})


def test_an_unknown_backend_is_a_usage_error_and_launches_nothing():
    before = len(all_jobs())
    with pytest.raises(konduktor.UsageError, match="unknown backend"):
        konduktor.launch(konduktor.Task(name="where", run="true"), backend="nomad")
    assert len(all_jobs()) == before


def test_a_job_handle_survives_pickling_for_worker_processes():
    import pickle

    job = konduktor.launch(konduktor.Task(name="pickled", run="echo 3 > $KONDUKTOR_OUTPUT_DIR/result.json"), detach_run=True)
    copy = pickle.loads(pickle.dumps(job))
    assert type(copy) is konduktor.Job and copy == job
    assert copy.result(timeout=120) == 3


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: konduktor.Task(name="bad", run="true", num_node=2), {"num_node": "did you mean 'num_nodes'"}),
        (
            lambda: konduktor.Task(name="bad", run="true", nodes=2, env={"A": "1"}),
            {"nodes": "did you mean 'num_nodes'", "env": "did you mean 'envs'"},
        ),
        (lambda: konduktor.Task(runn="true"), {"runn": "did you mean 'run'"}),
        (lambda: konduktor.Resources(cpu=2), {"resources.cpu": "did you mean 'resources.cpus'"}),
        (
            lambda: konduktor.Resources(cpus=1, gpus="H100:1", zzzqq=1),
            {"resources.gpus": "did you mean 'resources.accelerators'", "resources.zzzqq": "unknown field 'zzzqq'"},
        ),
    ],
)
def test_a_misspelt_keyword_argument_is_a_task_validation_error_with_a_suggestion(make, expected):
    before = len(all_jobs())
    with pytest.raises(konduktor.TaskValidationError) as caught:
        make()
    err = caught.value
    assert err.code == "TASK_INVALID" and isinstance(err, konduktor.KonduktorError)
    # Only the unknown arguments: the rest of the task is checked at validation or launch.
    assert {issue.path: issue.message for issue in err.issues}.keys() == expected.keys(), err.issues
    for issue in err.issues:
        assert expected[issue.path] in issue.message, issue
        assert str(issue) in str(err)
    assert len(all_jobs()) == before
