"""Ray tasks running the same trials as konduktor's local benchmarks: each trial writes
{"v": 1} to its own result file and the driver reads it back. Prints one JSON line of timings (ms).

Usage: python ray_trials.py WORKDIR LATENCY_RUNS THROUGHPUT_COUNT
"""
import json
import os
import sys
import time

t0 = time.perf_counter()
import ray  # noqa: E402  (the import itself is part of the start-up cost)

work, latency_runs, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
init_ms = (time.perf_counter() - t0) * 1000


@ray.remote
def trial(path):
    with open(path, "w") as f:
        f.write('{"v": 1}\n')
    return path


def read(path):
    with open(path) as f:
        return json.load(f)


ray.get(trial.remote(os.path.join(work, "warm.json")))  # start the worker processes
latencies = []
for i in range(latency_runs + 3):
    s = time.perf_counter()
    read(ray.get(trial.remote(os.path.join(work, f"lat-{i}.json"))))
    if i >= 3:
        latencies.append((time.perf_counter() - s) * 1000)
s = time.perf_counter()
paths = ray.get([trial.remote(os.path.join(work, f"tp-{i}.json")) for i in range(count)])
for p in paths:
    read(p)
throughput_ms = (time.perf_counter() - s) * 1000
ray.shutdown()
latencies.sort()
print(json.dumps({
    "init_ms": init_ms,
    "latency_p50_ms": latencies[len(latencies) // 2],
    "throughput_ms": throughput_ms,
    "count": count,
    "ray_version": ray.__version__,
}))
