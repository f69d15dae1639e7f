"""The engine's newer error codes reach Python as their own classes: invalid configuration
(``CONFIG_INVALID``), a state conflict (``STATE_CONFLICT``) and a bug (``INTERNAL``)."""

import json
import subprocess

import konduktor
from conftest import ROOT, run_python


def test_an_invalid_konduktor_backend_is_a_config_error_and_still_a_usage_error():
    proc = run_python(
        """
        import konduktor
        try:
            konduktor.launch(konduktor.Task(name="where", run="true"))
        except konduktor.ConfigError as err:
            print(err.code, isinstance(err, konduktor.UsageError), "nomad" in str(err))
        """,
        env={"KONDUKTOR_BACKEND": "nomad"},
    )
    assert proc.stdout.split() == ["CONFIG_INVALID", "True", "True"], proc.stderr


def test_the_engine_classes_map_to_python_ones():
    from konduktor.errors import from_wire

    script = f"""
        import * as e from {json.dumps(str(ROOT / "dist" / "errors.js"))};
        import {{ errorJson }} from {json.dumps(str(ROOT / "dist" / "cli" / "output.js"))};
        const wire = (err) => ({{ name: e.asKonduktorError(err).name, ...errorJson(err) }});
        console.log(JSON.stringify([
          wire(new e.ConfigError('invalid konduktor configuration')),
          wire(new e.StateConflictError('job x has already ended (SUCCEEDED)')),
          wire(new TypeError('undefined is not a function')),
        ]));
    """
    proc = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    config, conflict, bug = (from_wire(d) for d in json.loads(proc.stdout))
    assert isinstance(config, konduktor.ConfigError) and config.code == "CONFIG_INVALID"
    assert isinstance(conflict, konduktor.StateConflictError) and conflict.code == "STATE_CONFLICT"
    assert isinstance(conflict, konduktor.UsageError)
    assert isinstance(bug, konduktor.InternalError) and bug.code == "INTERNAL"
    assert "TypeError: undefined is not a function" in str(bug)


def test_a_context_or_namespace_on_the_local_backend_is_refused_in_python_words_and_launches_nothing():
    """The engine resolves where jobs are like every CLI command: a Kubernetes-only option on the
    local backend is refused (not dropped, which would run the job somewhere not asked for)."""
    from conftest import all_jobs

    before = len(all_jobs())
    proc = run_python(
        """
        import konduktor
        task = konduktor.Task(name="where", run="true")
        for call in (
            lambda: konduktor.launch(task, context="prod"),
            lambda: konduktor.launch(task, namespace="team-a"),
            lambda: konduktor.launch(task, context="prod", namespace="team-a"),
            lambda: konduktor.get_job("where-0000", namespace="team-a").status(),
        ):
            try:
                call()
                print("accepted")
            except konduktor.UsageError as err:
                print(err.code, "|", err)
        """,
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, proc.stdout + proc.stderr
    for line in lines:
        assert line.startswith("USAGE |"), line
        assert 'add backend="kubernetes"' in line, line
        assert "--" not in line, line
    assert "context= applies to the kubernetes backend" in lines[0]
    assert "namespace= applies" in lines[1]
    assert "context= and namespace= apply" in lines[2]
    assert "namespace= applies" in lines[3]
    assert len(all_jobs()) == before
