"""The Python API's benchmark (run by bench/python.ts; prints one JSON object on stdout).

1. launch() + result() of a trivial job from Python, p50 of N, interleaved with
   `konduktor launch --wait -y TASK` of the same task run from the same Python process; and a
   script doing one launch() + result() in a fresh Python process, beside the CLI again.
2. 50 concurrent result() waits from 50 threads of one process: wall time, and every process
   konduktor starts (found by a marker variable they all inherit), sampled every 20 ms: peak
   count, peak count of Node processes, peak summed RSS. Then the same 50 waits as 50 concurrent
   `konduktor result JOB` processes, the one-Node-process-per-wait design, for comparison.
"""

import json
import os
import shlex
import subprocess
import sys
import threading
import time

import konduktor

RUN = 'echo \'{"v": 1}\' > "$KONDUKTOR_OUTPUT_DIR/result.json"'
MARK = "KONDUKTOR_BENCH_MARK"


def cli(*args):
    return subprocess.run([*shlex.split(os.environ["KONDUKTOR_CLI"]), *args], capture_output=True, check=True)


def p(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-q * len(ordered) // 100) - 1))]


def round_trip(n, task_file):
    first_start = time.perf_counter()
    konduktor.launch(konduktor.Task(name="warm", run=RUN), detach_run=True).result(timeout=600)
    first = time.perf_counter() - first_start
    api, command = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        job = konduktor.launch(konduktor.Task(name="bench", run=RUN), detach_run=True)
        assert job.result(timeout=600) == {"v": 1}
        api.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = cli("launch", "--wait", "-y", task_file)
        assert json.loads(out.stdout) == {"v": 1}
        command.append(time.perf_counter() - t0)
    # A script that launches one job and exits: a fresh Python process each time (its start-up,
    # the import, the engine's start-up, the round trip), interleaved with the CLI again.
    script = "import konduktor; konduktor.launch(konduktor.Task(name='cold', run=%r), detach_run=True).result(timeout=600)" % RUN
    cold, cold_cli = [], []
    for _ in range(max(3, n // 4)):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cli("launch", "--wait", "-y", task_file)
        cold_cli.append(time.perf_counter() - t0)
    return {
        "first_ms": first * 1000,
        "api_ms": [x * 1000 for x in api],
        "cli_ms": [x * 1000 for x in command],
        "cold_ms": [x * 1000 for x in cold],
        "cold_cli_ms": [x * 1000 for x in cold_cli],
    }


def marked_processes(me):
    """(pid, rss bytes, is node) of every process carrying this run's marker, but this one."""
    found = []
    tag = f"{MARK}={os.environ[MARK]}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if tag not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/statm") as f:
                rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{entry}/comm") as f:
                is_node = f.read().strip() == "node"
        except (OSError, IndexError, ValueError):
            continue
        found.append((int(entry), rss, is_node))
    return found


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = {"processes": 0, "node": 0, "rss_mb": 0.0, "node_rss_mb": 0.0}
        self.seen = set()

    def run(self):
        me = os.getpid()
        while not self.stop.is_set():
            found = marked_processes(me)
            self.seen.update(pid for pid, _, _ in found)
            peak = self.peak
            peak["processes"] = max(peak["processes"], len(found))
            peak["node"] = max(peak["node"], sum(1 for _, _, n in found if n))
            peak["rss_mb"] = max(peak["rss_mb"], sum(r for _, r, _ in found) / 2**20)
            peak["node_rss_mb"] = max(peak["node_rss_mb"], sum(r for _, r, n in found if n) / 2**20)
            time.sleep(0.02)


def launch_many(count, seconds):
    jobs = []
    for i in range(count):
        task = konduktor.Task(name="wait", run=f"sleep {seconds}; echo {i} > \"$KONDUKTOR_OUTPUT_DIR/result.json\"")
        task.set_resources(konduktor.Resources(cpus=0.01, memory=0.01))
        jobs.append(konduktor.launch(task, detach_run=True))
    return jobs


def concurrent_waits(count, seconds, use_cli):
    jobs = launch_many(count, seconds)
    values = [None] * count

    def wait(i):
        if use_cli:
            values[i] = json.loads(cli("result", jobs[i], "--timeout", "10m").stdout)
        else:
            values[i] = jobs[i].result(timeout=600)

    sampler = Sampler()
    sampler.start()
    threads = [threading.Thread(target=wait, args=(i,)) for i in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    assert values == list(range(count)), values
    return {"wall_ms": wall * 1000, **sampler.peak, "distinct": len(sampler.seen)}


def main():
    n, task_file, waits, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    report = {"round_trip": round_trip(n, task_file)}
    report["api_waits"] = concurrent_waits(waits, seconds, use_cli=False)
    report["cli_waits"] = concurrent_waits(waits, seconds, use_cli=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
