"""A small training-like objective: reads its parameters from the environment and reports
its loss through konduktor's result contract (standard library only)."""
import json
import math
import os
import random

lr = float(os.environ.get("LR", "0.1"))
width = int(os.environ.get("WIDTH", "64"))
seed = int(os.environ.get("SEED", "0"))
random.seed(seed)

# A noisy quadratic with its optimum at lr = 0.03, width = 128.
loss = (math.log10(lr) - math.log10(0.03)) ** 2 + ((width - 128) / 128) ** 2
loss += random.gauss(0, 0.01)
print(f"lr={lr} width={width} loss={loss:.4f}")

with open(os.path.join(os.environ["KONDUKTOR_OUTPUT_DIR"], "result.json"), "w") as f:
    json.dump({"val_loss": round(loss, 6), "lr": lr, "width": width}, f)
