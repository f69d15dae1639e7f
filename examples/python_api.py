"""konduktor's Python API, the first usage of the product page: one job launched and its result
awaited (timeouts are seconds).

    pip install ./python                 # from a konduktor checkout, konduktor on PATH
    python examples/python_api.py
"""

import konduktor

task = konduktor.Task(
    name="sweep-trial-0",
    run='echo "training..."; echo \'{"val_loss": 0.42}\' > "$KONDUKTOR_OUTPUT_DIR/result.json"',
)
task.set_resources(konduktor.Resources(cpus=1, memory=2, image_id="ubuntu"))

job = konduktor.launch(task)             # follows rank 0's log on stderr until the job ends
try:
    value = job.result(timeout=600)      # {"val_loss": 0.42}
except konduktor.JobFailedError as err:
    raise SystemExit(f"job {job} failed: {err.reason}\n" + "\n".join(err.log_tail))
print(f"job {job}: val_loss = {value['val_loss']}")
