"""Optuna drives konduktor: Optuna's ask/tell loop chooses the parameters, konduktor runs each
trial as an ordinary job and hands back its result.

Each trial is `konduktor launch TASK --wait --json -y --env X1=... --env X2=...`, run as a
subprocess with its arguments as a list (never a shell string). The JSON envelope on stdout gives
the result (`outcome: "value"`) or why there is none; failed trials are told to Optuna as FAIL,
with the reason kept in the trial's user attributes.

    pip install optuna
    python examples/optuna_sweep.py --trials 20
    python examples/optuna_sweep.py --trials 10 --fail-trial 3   # one trial crashes on purpose

The konduktor command is `konduktor` on PATH, or KONDUKTOR_CLI (e.g. "node bin/konduktor.js").
Prints a JSON summary on stdout; progress goes to stderr.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import optuna

HERE = os.path.dirname(os.path.abspath(__file__))

# What konduktor's exit codes mean (README, "Exit codes").
EXIT_REASONS = {
    1: "job failed",
    2: "invalid task or usage",
    3: "no result reported",
    4: "malformed result",
    5: "result too large",
    6: "backend unavailable",
    124: "timed out",
    130: "interrupted",
}


def konduktor_command():
    return shlex.split(os.environ.get("KONDUKTOR_CLI", "konduktor"))


def run_trial(task, name, env, timeout):
    """Runs one trial; returns (result document, None) or (None, reason)."""
    command = [*konduktor_command(), "launch", task, "--wait", "--json", "-y", "--name", name]
    for key, value in env.items():
        command += ["--env", f"{key}={value}"]
    if timeout:
        command += ["--timeout", timeout]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    envelope = None
    lines = proc.stdout.strip().splitlines()
    if lines:
        try:
            envelope = json.loads(lines[-1])
        except json.JSONDecodeError:
            envelope = None
    if proc.returncode == 0 and envelope and envelope.get("outcome") == "value":
        return envelope["value"], None
    reason = EXIT_REASONS.get(proc.returncode, f"exit status {proc.returncode}")
    error = (envelope or {}).get("error") or {}
    detail = error.get("reason") or error.get("message") or proc.stderr.strip().splitlines()[-1:] or ""
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    job = (envelope or {}).get("job")
    return None, f"{reason}: {detail}" + (f" (job {job})" if job else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=os.path.join(HERE, "sweep-branin-task.yaml"))
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--objective", default="value", help="the result field to minimize")
    parser.add_argument("--timeout", default=None, help="per-trial wait limit, e.g. 10m")
    parser.add_argument("--fail-trial", type=int, action="append", default=[],
                        help="make this trial number crash (FAIL=1), to show failure handling")
    args = parser.parse_args()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=args.seed))
    for _ in range(args.trials):
        trial = study.ask()
        x1 = trial.suggest_float("x1", -5, 10)
        x2 = trial.suggest_float("x2", 0, 15)
        env = {"X1": repr(x1), "X2": repr(x2)}
        if trial.number in args.fail_trial:
            env["FAIL"] = "1"
        value, reason = run_trial(args.task, f"optuna-{trial.number}", env, args.timeout)
        objective = value.get(args.objective) if isinstance(value, dict) else value
        if reason is None and not isinstance(objective, (int, float)):
            reason = f"the result has no number at '{args.objective}': {json.dumps(value)[:80]}"
        if reason is not None:
            trial.set_user_attr("fail_reason", reason)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            print(f"trial {trial.number} FAIL: {reason}", file=sys.stderr)
        else:
            study.tell(trial, float(objective))
            print(f"trial {trial.number} x1={x1:.4f} x2={x2:.4f} -> {objective:.6f}", file=sys.stderr)

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    summary = {
        "n_trials": len(study.trials),
        "n_complete": len(complete),
        "n_fail": len(failed),
        "best_value": study.best_value if complete else None,
        "best_params": study.best_params if complete else None,
        "best_trial": study.best_trial.number if complete else None,
        "values": {t.number: t.value for t in complete},
        "failures": [{"trial": t.number, "reason": t.user_attrs.get("fail_reason")} for t in failed],
    }
    print(json.dumps(summary))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
