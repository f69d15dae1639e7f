"""The Branin function as a sweep objective (standard library only).

Reads its parameters from the environment (X1 in [-5, 10], X2 in [0, 15]) and reports
{"value": f(x1, x2), ...} with konduktor's Python helper. The global minimum is 0.397887, at
(-pi, 12.275), (pi, 2.275) and (9.42478, 2.475).

Optional knobs, for tests and demos:
  SLEEP=seconds   sleep before reporting (a slower "training run")
  FAIL=1          exit with status 3 instead of reporting (a crashing trial)
  NOISE=sigma     add Gaussian noise to the value, seeded by SEED
  TRIAL_LOG=path  append one line per run to this file (to count how often trials ran)
"""
import math
import os
import random
import sys
import time

try:
    from konduktor import report
except ImportError:  # running from a checkout: use the helper next door without installing it
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    from konduktor import report


def branin(x1: float, x2: float) -> float:
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def main() -> None:
    x1 = float(os.environ["X1"])
    x2 = float(os.environ["X2"])
    log = os.environ.get("TRIAL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.environ.get('KONDUKTOR_TRIAL', '?')} {os.environ.get('KONDUKTOR_JOB_NAME', '?')}\n")
    time.sleep(float(os.environ.get("SLEEP", "0")))
    if os.environ.get("FAIL") == "1":
        print(f"simulated failure at x1={x1} x2={x2}", file=sys.stderr)
        sys.exit(3)
    value = branin(x1, x2)
    sigma = float(os.environ.get("NOISE", "0"))
    if sigma > 0:
        value += random.Random(os.environ.get("SEED", "0")).gauss(0, sigma)
    print(f"x1={x1:.4f} x2={x2:.4f} value={value:.6f}")
    report({"value": value, "x1": x1, "x2": x2})


if __name__ == "__main__":
    main()
