"""Optuna's ask/tell loop launching each trial as a konduktor job, as on the product page: the
loop asks Optuna for a learning rate, builds a task that trains with it (examples/lr_objective.py,
a real Python objective), launches it, and tells Optuna the job's val_loss, or FAIL when the job
failed (training diverged past the stability limit).

    pip install optuna ./python          # from a konduktor checkout, konduktor on PATH
    python examples/optuna_sweep.py --trials 30

Prints one line per trial on stderr and a JSON summary on stdout.
"""

import argparse
import json
import os
import sys

import optuna

import konduktor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lr_objective import DIVERGES_ABOVE  # noqa: E402  (re-exported for the tests)

__all__ = ["build_task", "DIVERGES_ABOVE"]


def build_task(lr: float) -> konduktor.Task:
    """One trial: train with learning rate ``lr`` and report {"val_loss": ..., "lr": ...}."""
    task = konduktor.Task(
        name="lr-trial",
        run="python3 lr_objective.py",
        workdir=HERE,
        envs={"LR": repr(lr)},
    )
    task.set_resources(konduktor.Resources(cpus=1, memory=1))
    return task


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    study = optuna.create_study(direction="minimize")
    for _ in range(args.trials):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
        task = build_task(lr=lr)
        job = konduktor.launch(task, detach_run=True)
        try:
            val_loss = job.result(timeout=3600)["val_loss"]
            study.tell(trial, val_loss)
            print(f"trial {trial.number} lr={lr:.3g} -> val_loss {val_loss:.6g} ({job})", file=sys.stderr)
        except konduktor.JobFailedError as err:
            trial.set_user_attr("job", str(job))
            trial.set_user_attr("fail_reason", err.reason)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            print(f"trial {trial.number} lr={lr:.3g} FAIL: {err.reason} ({job})", file=sys.stderr)

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    print(json.dumps({
        "n_trials": len(study.trials),
        "n_complete": len(complete),
        "n_fail": len(failed),
        "best_value": study.best_value if complete else None,
        "best_params": study.best_params if complete else None,
        "trials": [
            {"number": t.number, "lr": t.params["lr"], "state": t.state.name, "value": t.value,
             "job": t.user_attrs.get("job"), "fail_reason": t.user_attrs.get("fail_reason")}
            for t in study.trials
        ],
    }))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
