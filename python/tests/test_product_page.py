"""The two usages of the product page (spec §8), written in exactly its shape."""

import math
import sys

import optuna
import pytest

import konduktor
from conftest import ROOT, all_jobs

sys.path.insert(0, str(ROOT / "examples"))
from lr_objective import train  # noqa: E402
from optuna_sweep import DIVERGES_ABOVE, build_task  # noqa: E402


def test_one_job_launched_and_its_result_awaited(capfd):
    task = konduktor.Task(
        name="sweep-trial-0",
        run='echo "training"; echo \'{"val_loss": 0.42}\' > "$KONDUKTOR_OUTPUT_DIR/result.json"',
    )
    task.set_resources(konduktor.Resources(cpus=1, memory=2, image_id="ubuntu"))
    job = konduktor.launch(task)
    value = job.result(timeout=600)

    assert value == {"val_loss": 0.42}
    assert job.wait(timeout=600) == "succeeded"
    # launch() without detach_run followed rank 0's log on stderr until the job ended.
    assert "training" in capfd.readouterr().err
    # The handle is the job name, for code that treats it as one.
    assert isinstance(job, str) and job.startswith("sweep-trial-0-")
    assert job.status() == "SUCCEEDED"
    assert any(j["name"] == job for j in all_jobs())


def test_optuna_ask_tell_loop_with_50_trials_some_failing():
    study = optuna.create_study(direction="minimize")
    for _ in range(50):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
        task = build_task(lr=lr)
        job = konduktor.launch(task, detach_run=True)
        try:
            val_loss = job.result(timeout=3600)["val_loss"]
            study.tell(trial, val_loss)
        except konduktor.JobFailedError:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)

    trials = study.trials
    assert len(trials) == 50
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(complete) + len(failed) == 50
    # The objective really ran: training diverges exactly above the stability limit, and those
    # trials (and only those) failed; the others reported a finite loss that falls with lr.
    assert failed, "no trial diverged: the loop never saw a JobFailedError"
    assert complete
    assert all(t.params["lr"] > DIVERGES_ABOVE for t in failed)
    assert all(t.params["lr"] <= DIVERGES_ABOVE for t in complete)
    assert all(math.isfinite(t.value) for t in complete)
    # Each trial got its own job's value: the loss its own lr gives when trained here. (The loss
    # is not monotone in lr: close below the limit the oscillating descent has not converged.)
    for t in complete:
        assert t.value == pytest.approx(train(t.params["lr"]), rel=1e-9), t.params
    assert study.best_value == min(t.value for t in complete)
