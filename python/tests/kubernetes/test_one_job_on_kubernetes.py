"""The product page's first usage against the real cluster (test/k8s/python.test.ts runs it, with
KONDUKTOR_BACKEND=kubernetes and the namespace in the home's config.yaml, so the code is the
page's own): one job launched, its result awaited, on Kubernetes."""

import os

import pytest

import konduktor

IMAGE = os.environ["KONDUKTOR_TEST_IMAGE"]


def test_one_job_launched_and_its_result_awaited_on_kubernetes(capfd):
    task = konduktor.Task(
        name="sweep-trial-0",
        run='echo "training"; echo \'{"val_loss": 0.42}\' > "$KONDUKTOR_OUTPUT_DIR/result.json"',
    )
    task.set_resources(konduktor.Resources(cpus=0.1, memory=0.1, image_id=IMAGE))
    job = konduktor.launch(task)
    value = job.result(timeout=600)

    assert value == {"val_loss": 0.42}
    assert job.wait(timeout=600) == "succeeded"
    assert "training" in capfd.readouterr().err
    assert isinstance(job, str) and job.startswith("sweep-trial-0-")
    info = job.info()
    assert info["backend"] == "kubernetes"
    # Per node, as the task asked: Kubernetes adds no default (the same shape as locally).
    assert info["resources"] == {"cpus": 0.1, "memory": 0.1}


def test_a_failed_job_on_kubernetes_raises_job_failed_error_with_its_fields():
    task = konduktor.Task(name="fails", run="echo 'last words'; exit 7")
    task.set_resources(konduktor.Resources(cpus=0.1, memory=0.1, image_id=IMAGE))
    job = konduktor.launch(task, detach_run=True)
    with pytest.raises(konduktor.JobFailedError) as caught:
        job.result(timeout=600)
    err = caught.value
    assert (err.code, err.exit_code, err.rank, err.attempt) == ("JOB_FAILED", 7, 0, 0)
    assert "last words" in err.log_tail


def test_kubernetes_needs_an_image():
    with pytest.raises(konduktor.TaskValidationError) as caught:
        konduktor.launch(konduktor.Task(name="no-image", run="true"), dryrun=True)
    assert any("image" in issue.path or "image" in issue.message for issue in caught.value.issues)
