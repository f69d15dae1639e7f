"""report() writes the same bytes as the TypeScript report() for the same value, and refuses
what is not JSON data with a ReportError (never a raw exception)."""

import json
import os
import subprocess

import pytest

import konduktor
from conftest import ROOT

SAME_VALUES = [
    {"ckpt": os.fsdecode(b"/ckpt/run\xff.pt")},
    {os.fsdecode(b"key\xfe"): [os.fsdecode(b"\x80\x81"), "\ud800", "x\udfffy"]},
    {"plain": "é ✓ \u2028 \x00\x1f\x7f", "n": [1, -2.5, 0.1, True, None]},
]


def _ts_report(value, directory):
    """The TypeScript report() of the same value (it travels to node as escaped JSON)."""
    script = (
        "const { report } = await import(process.argv[1]);"
        "report(JSON.parse(process.argv[2]), { outputDir: process.argv[3] });"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script, str(ROOT / "dist" / "index.js"), json.dumps(value), str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return (directory / "result.json").read_bytes()


@pytest.mark.parametrize("value", SAME_VALUES)
def test_the_same_value_gives_the_same_document_as_typescript(value, tmp_path):
    (tmp_path / "py").mkdir()
    (tmp_path / "ts").mkdir()
    size = konduktor.report(value, output_dir=tmp_path / "py")
    written = (tmp_path / "py" / "result.json").read_bytes()
    assert size == len(written)
    assert written == _ts_report(value, tmp_path / "ts")
    written.decode("utf-8")  # valid UTF-8
    assert json.loads(written) == value


def test_a_job_reporting_an_undecodable_path_returns_it(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import os, konduktor\nkonduktor.report({'ckpt': os.fsdecode(b'/ckpt/run\\xff.pt')})\n")
    job = konduktor.launch(konduktor.Task(name="surrogate", run=f"python3 {script}"), detach_run=True)
    assert job.result(timeout=120) == {"ckpt": os.fsdecode(b"/ckpt/run\xff.pt")}


def _deep(n):
    value = []
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"x": float("inf")}, {1, 2}, object(), b"bytes", {(1, 2): 3}, _deep(100000)],
)
def test_what_is_not_json_data_is_a_report_error_and_nothing_is_written(value, tmp_path):
    with pytest.raises(konduktor.ReportError) as caught:
        konduktor.report(value, output_dir=tmp_path)
    assert caught.value.code == "REPORT_REFUSED"
    assert isinstance(caught.value, konduktor.KonduktorError)
    assert not (tmp_path / "result.json").exists()


def test_cyclic_values_over_the_limit_and_bad_places_are_report_errors(tmp_path, monkeypatch):
    cyclic = []
    cyclic.append(cyclic)
    for call in (
        lambda: konduktor.report(cyclic, output_dir=tmp_path),
        lambda: konduktor.report("x" * 5000, output_dir=tmp_path),
        lambda: konduktor.report(1, output_dir=tmp_path, limit=0),
        lambda: konduktor.report(1, output_dir=tmp_path / "missing"),
        lambda: konduktor.report(1, output_dir=os.fsencode(str(tmp_path / "missing"))),
    ):
        with pytest.raises(konduktor.ReportError):
            call()
    monkeypatch.delenv("KONDUKTOR_OUTPUT_DIR", raising=False)
    with pytest.raises(konduktor.ReportError, match="KONDUKTOR_OUTPUT_DIR is not set"):
        konduktor.report(1)
    assert konduktor.report("y" * 4093, output_dir=tmp_path) == 4096
