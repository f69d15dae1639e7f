"""A real (small) training run for the Optuna example: linear regression fitted by gradient
descent with the learning rate LR (from the environment), 50 full-batch steps on a fixed synthetic
data set. It reports the validation loss with konduktor.report(); when the learning rate is past
the stability limit the loss grows instead of falling, and the run fails (exit status 1), as a
diverging training run would.

    LR=0.0002 KONDUKTOR_OUTPUT_DIR=/tmp python3 examples/lr_objective.py
"""

import math
import os
import random
import sys
from typing import List, Tuple


def _data(n: int, seed: int) -> Tuple[List[float], List[float]]:
    rng = random.Random(seed)
    xs = [rng.gauss(0.0, 1.0) * 44.7 for _ in range(n)]
    return xs, [3.0 * x + rng.gauss(0.0, 5.0) for x in xs]


TRAIN = _data(64, 0)
VALID = _data(64, 1)

#: Gradient descent on this loss diverges exactly above 2 / (its curvature).
DIVERGES_ABOVE = 2.0 / (2.0 * sum(x * x for x in TRAIN[0]) / len(TRAIN[0]))


class Diverged(Exception):
    """The loss grew: the learning rate is past the stability limit."""


def _loss(w: float, data: Tuple[List[float], List[float]]) -> float:
    xs, ys = data
    return sum((x * w - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


def train(lr: float, steps: int = 50) -> float:
    """Fits w by gradient descent; returns the validation loss. Raises Diverged."""
    xs, ys = TRAIN
    w = 0.0
    start = _loss(w, TRAIN)
    for _ in range(steps):
        gradient = sum(2.0 * x * (x * w - y) for x, y in zip(xs, ys)) / len(xs)
        w -= lr * gradient
    final = _loss(w, TRAIN)
    if not math.isfinite(final) or final > start:
        raise Diverged(f"training loss grew from {start:.4g} to {final:.4g} with lr={lr!r}")
    return _loss(w, VALID)


if __name__ == "__main__":
    try:
        from konduktor import report
    except ImportError:  # the job's python3 lacks the package: use the checkout's copy next door
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
        from konduktor import report

    learning_rate = float(os.environ["LR"])
    try:
        val_loss = train(learning_rate)
    except Diverged as err:
        print(f"diverged: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"lr={learning_rate!r} val_loss={val_loss:.6g}")
    report({"val_loss": val_loss, "lr": learning_rate})
