"""Optuna pruning konduktor jobs: each trial is a konduktor job launched with the Python API
(examples/curve_objective.py, a training run with a learning curve); its metric lines, followed
with ``job.metrics(follow=True)`` while it runs, go to ``trial.report(value, step)``; when
``trial.should_prune()`` says so, the job is cancelled and the trial raises ``optuna.TrialPruned``.

    pip install optuna ./python          # from a konduktor checkout, konduktor on PATH
    python examples/optuna_pruning.py --trials 30 --pruner median

Prints one line per trial on stderr and a JSON summary on stdout.
"""

import argparse
import json
import os
import sys

import optuna

import konduktor

HERE = os.path.dirname(os.path.abspath(__file__))


def build_task(x: float, steps: int, step_seconds: float) -> konduktor.Task:
    """One trial: a training run whose loss curve parameter ``x`` shapes."""
    task = konduktor.Task(
        name="curve-trial",
        run="python3 curve_objective.py",
        workdir=HERE,
        envs={"X": repr(x), "STEPS": str(steps), "STEP_SECONDS": repr(step_seconds)},
    )
    task.set_resources(konduktor.Resources(cpus=0.1, memory=0.1))
    return task


def objective(trial: optuna.Trial, steps: int, step_seconds: float) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    job = konduktor.launch(build_task(x, steps, step_seconds), detach_run=True)
    trial.set_user_attr("job", str(job))
    reported = 0
    for point in job.metrics(follow=True):
        value = point["values"].get("val_loss")
        if value is None:
            continue
        trial.report(value, point["step"])
        reported += 1
        trial.set_user_attr("steps", reported)
        if trial.should_prune():
            # The job stops now: the rest of its steps never run.
            job.cancel()
            print(f"trial {trial.number} x={x:.3f} pruned at step {point['step']} ({job})", file=sys.stderr)
            raise optuna.TrialPruned()
    val_loss = job.result(timeout=3600)["val_loss"]
    print(f"trial {trial.number} x={x:.3f} -> val_loss {val_loss:.6g} ({job})", file=sys.stderr)
    return val_loss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--step-seconds", type=float, default=0.1)
    parser.add_argument("--pruner", choices=["median", "asha"], default="median")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
        if args.pruner == "median"
        else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    )
    study = optuna.create_study(
        direction="minimize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=args.seed)
    )
    study.optimize(lambda t: objective(t, args.steps, args.step_seconds), n_trials=args.trials)

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    print(json.dumps({
        "n_trials": len(study.trials),
        "n_complete": len(complete),
        "n_pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "best_value": study.best_value if complete else None,
        "best_params": study.best_params if complete else None,
        "trials": [
            {"number": t.number, "x": t.params["x"], "state": t.state.name, "value": t.value,
             "steps": t.user_attrs.get("steps", 0), "job": t.user_attrs.get("job"),
             "last_step": max(t.intermediate_values) if t.intermediate_values else None}
            for t in study.trials
        ],
    }))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
