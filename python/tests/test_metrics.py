"""report_metrics() and job.metrics(): a job's progress lines, checked like the TypeScript
reportMetrics() and read back through the engine, malformed lines skipped with a warning."""

import json
import math

import pytest

import konduktor


def test_a_job_s_metric_lines_come_back_with_malformed_ones_skipped_and_warned(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import os, konduktor\n"
        "for step in range(3):\n"
        "    konduktor.report_metrics(step, {'loss': 1 / (step + 1), 'acc': step})\n"
        "with open(os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'metrics.jsonl'), 'a') as f:\n"
        "    f.write('not json\\n')\n"
        "konduktor.report_metrics(3, {'loss': 0.2})\n"
        "konduktor.report({'loss': 0.2})\n"
    )
    job = konduktor.launch(konduktor.Task(name="metrics", run=f"python3 {script}"), detach_run=True)
    assert job.result(timeout=120) == {"loss": 0.2}
    with pytest.warns(RuntimeWarning, match=r"skipped line 4 of metrics.jsonl .*not JSON"):
        points = list(job.metrics())
    assert [(p["step"], p["values"], p["attempt"]) for p in points] == [
        (0, {"loss": 1.0, "acc": 0}, 0),
        (1, {"loss": 0.5, "acc": 1}, 0),
        (2, {"loss": 1 / 3, "acc": 2}, 0),
        (3, {"loss": 0.2}, 0),
    ]
    # Read after they were written: the local backend does not know when, and says so.
    assert all(p["time"] is None for p in points)
    # Following an ended job reads the same points and ends.
    with pytest.warns(RuntimeWarning):
        assert [p["step"] for p in job.metrics(follow=True)] == [0, 1, 2, 3]
    with pytest.raises(konduktor.UsageError, match="no attempt 2"):
        list(job.metrics(attempt=2))


@pytest.mark.parametrize(
    "step, values, message",
    [
        (1.5, {"a": 1}, "integer"),
        (True, {"a": 1}, "integer"),
        (1, {"a": math.nan}, "finite"),
        (1, {"a": math.inf}, "finite"),
        (1, {"a": "x"}, "finite"),
        (1, {"a": True}, "finite"),
        (1, {"step": 2}, "not a metric name"),
        (1, {f"metric_{i}": i for i in range(600)}, "over the limit of 4096"),
        (1, [("a", 1)], "mapping"),
    ],
)
def test_report_metrics_refuses_what_the_contract_refuses_and_writes_nothing(tmp_path, step, values, message):
    with pytest.raises(konduktor.ReportError, match=message):
        konduktor.report_metrics(step, values, output_dir=tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


def test_report_metrics_appends_lines_the_reader_accepts(tmp_path, monkeypatch):
    monkeypatch.delenv("KONDUKTOR_OUTPUT_DIR", raising=False)
    with pytest.raises(konduktor.ReportError, match="not set"):
        konduktor.report_metrics(0, {"a": 1})
    size = konduktor.report_metrics(0, {"loss": 0.5, "é": 1}, output_dir=tmp_path)
    konduktor.report_metrics(1, {"loss": 0.25}, output_dir=tmp_path)
    data = (tmp_path / "metrics.jsonl").read_bytes()
    assert size == len(data.split(b"\n")[0]) + 1
    assert [json.loads(line) for line in data.decode().splitlines()] == [
        {"step": 0, "loss": 0.5, "é": 1},
        {"step": 1, "loss": 0.25},
    ]
