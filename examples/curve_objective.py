"""A synthetic training run with a learning curve, for the pruning examples: the validation loss
falls from 2 towards a floor that the parameter X sets, ``(X - 0.3)**2 + 0.1`` (best at X = 0.3),
at a rate set by RATE (default 4: the loss is e^-1 of the way there after 4 steps). Each of STEPS
steps (default 20) sleeps STEP_SECONDS (default 0.1), then reports the step's loss with
``konduktor.report_metrics``; the last loss is the result.

    X=0.4 KONDUKTOR_OUTPUT_DIR=/tmp python3 examples/curve_objective.py
"""

import math
import os
import time

import konduktor


def loss_at(x: float, step: int, rate: float = 4.0) -> float:
    """The validation loss after ``step`` steps of a run with parameter ``x``."""
    floor = (x - 0.3) ** 2 + 0.1
    return floor + (2.0 - floor) * math.exp(-step / rate)


def main() -> None:
    x = float(os.environ["X"])
    rate = float(os.environ.get("RATE", "4"))
    steps = int(os.environ.get("STEPS", "20"))
    pause = float(os.environ.get("STEP_SECONDS", "0.1"))
    loss = loss_at(x, 0, rate)
    for step in range(1, steps + 1):
        time.sleep(pause)
        loss = loss_at(x, step, rate)
        konduktor.report_metrics(step, {"val_loss": loss})
    konduktor.report({"val_loss": loss, "x": x})


if __name__ == "__main__":
    main()
