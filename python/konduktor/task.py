"""Tasks built in Python: :class:`Task` and :class:`Resources`, with the task YAML's field names.

A task is validated by konduktor's engine with exactly the rules of task YAML when it is launched
(or by :meth:`Task.validate`): every problem at once, in a :class:`~konduktor.TaskValidationError`.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Dict, List, Mapping, Optional, Union

from ._engine import engine
from .errors import TaskIssue, TaskValidationError

__all__ = ["Task", "Resources"]

PathLike = Union[str, "os.PathLike[str]"]


def _refuse_unknown(unknown: Mapping[str, Any], document: Dict[str, Any], under: str) -> None:
    """Raises TaskValidationError for keyword arguments that are no field (``num_node=2``), with
    the engine's "did you mean" (the same hints as task YAML: ``gpus`` → ``accelerators``...).

    ``document`` is the task in YAML form with the unknown keys in place; ``under`` is where
    they are in it (``""`` or ``"resources."``). Only their problems are reported: the rest of
    the task is checked when it is validated or launched.
    """
    if not unknown:
        return
    paths = [under + key for key in unknown]
    issues: List[TaskIssue] = []
    try:
        engine().call("launch", {"task": document, "cwd": os.getcwd(), "validate_only": True})
    except TaskValidationError as err:
        issues = [i for i in err.issues if any(i.path == p or i.path.startswith(p + ".") for p in paths)]
    if not issues:
        issues = [TaskIssue(p, f"unknown field '{p.rsplit('.', 1)[-1]}'") for p in paths]
    count = "1 problem" if len(issues) == 1 else f"{len(issues)} problems"
    raise TaskValidationError(f"invalid task ({count}):\n" + "\n".join(f"  {i}" for i in issues), issues)


def _put(target: Dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = copy.deepcopy(value)


class Resources:
    """The resources of each node of a task (the YAML ``resources`` block).

    Args:
        cpus: CPUs per node, > 0 (``0.5`` = 500m).
        memory: memory per node in GiB, > 0.
        accelerators: ``"NAME"`` or ``"NAME:COUNT"``, e.g. ``"H100:8"``.
        image_id: the container image; required on Kubernetes, ignored locally.
        labels: labels put on the JobSet, e.g. ``{"kueue.x-k8s.io/queue-name": "user-queue"}``.
        job_config: ``{"max_restarts": N, "priority": P}``: restarts of the whole job after a
            failure (default 0), and the local queue's priority (higher first).

    Values are checked when the task is validated, so that every problem is reported at once.

    Raises:
        TaskValidationError: a keyword argument is no field (``cpu=2``): every such argument,
            each with a "did you mean" when there is a close field (``cpus``).
    """

    def __init__(
        self,
        cpus: Optional[float] = None,
        memory: Optional[float] = None,
        accelerators: Optional[str] = None,
        image_id: Optional[str] = None,
        labels: Optional[Mapping[str, str]] = None,
        job_config: Optional[Mapping[str, Any]] = None,
        **unknown: Any,
    ) -> None:
        self.cpus = cpus
        self.memory = memory
        self.accelerators = accelerators
        self.image_id = image_id
        self.labels = dict(labels) if labels is not None else None
        self.job_config = dict(job_config) if job_config is not None else None
        _refuse_unknown(unknown, {"resources": {**self.to_dict(), **unknown}}, "resources.")

    def to_dict(self) -> Dict[str, Any]:
        """The YAML form of these resources (fields left unset are absent)."""
        out: Dict[str, Any] = {}
        for key in ("cpus", "memory", "accelerators", "image_id", "labels", "job_config"):
            _put(out, key, getattr(self, key))
        return out

    def __repr__(self) -> str:
        return f"Resources({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"


class Task:
    """A task: what a job runs, on how many nodes, with which resources.

    Args:
        name: the job name prefix (lower-case letters, digits and ``-``, starting with a letter,
            at most 40 characters); required.
        run: the bash script run on every node; required. Its exit status is the node's.
        setup: a bash script run before ``run`` on every node.
        envs: environment variables ``{KEY: value}``; numbers and booleans become strings.
        workdir: a local directory the job runs in; relative to the current directory.
        num_nodes: the number of nodes (ranks), default 1.
        file_mounts: ``{remote_path: local_path}``; local paths relative to the current directory.

    Raises:
        TaskValidationError: a keyword argument is no field (``num_node=2``): every such
            argument, each with a "did you mean" when there is a close field (``num_nodes``).
            Values are checked when the task is validated or launched.

    Example::

        task = konduktor.Task(name="trial", run='echo \\'{"val_loss": 0.42}\\' > "$KONDUKTOR_OUTPUT_DIR/result.json"')
        task.set_resources(konduktor.Resources(cpus=1, memory=2, image_id="ubuntu"))
    """

    def __init__(
        self,
        name: Optional[str] = None,
        run: Optional[str] = None,
        setup: Optional[str] = None,
        envs: Optional[Mapping[str, Any]] = None,
        workdir: Optional[PathLike] = None,
        num_nodes: Optional[int] = None,
        file_mounts: Optional[Mapping[str, PathLike]] = None,
        **unknown: Any,
    ) -> None:
        self.name = name
        self.run = run
        self.setup = setup
        self.envs = dict(envs) if envs is not None else None
        self.workdir = os.fspath(workdir) if workdir is not None else None
        self.num_nodes = num_nodes
        self.file_mounts = (
            {k: os.fspath(v) for k, v in file_mounts.items()} if file_mounts is not None else None
        )
        self.resources: Optional[Resources] = None
        _refuse_unknown(unknown, {**self.to_dict(), **unknown}, "")

    @classmethod
    def from_yaml(cls, path: PathLike) -> "Task":
        """Reads and validates a task file (relative paths in it are relative to the file).

        Raises:
            TaskValidationError: the file is missing or invalid; every problem, with its
                ``file``, ``line`` and ``column``.
            BackendError: konduktor's engine could not be started.
        """
        data = engine().call("load_task", {"path": os.fspath(path), "cwd": os.getcwd()})
        return cls._from_dict(data)

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Task":
        task = cls(
            name=data.get("name"),
            run=data.get("run"),
            setup=data.get("setup"),
            envs=data.get("envs") or None,
            workdir=data.get("workdir"),
            num_nodes=data.get("num_nodes"),
            file_mounts=data.get("file_mounts") or None,
        )
        resources = data.get("resources")
        if isinstance(resources, Mapping):
            task.set_resources(Resources(**resources))
        return task

    def set_resources(self, resources: Resources) -> "Task":
        """Sets the resources of each node (replacing any set before); returns this task."""
        if not isinstance(resources, Resources):
            raise TypeError(f"set_resources() takes a konduktor.Resources, got {type(resources).__name__}")
        self.resources = resources
        return self

    def to_dict(self) -> Dict[str, Any]:
        """The YAML form of this task, as sent to the engine (fields left unset are absent)."""
        out: Dict[str, Any] = {}
        for key in ("name", "run", "setup", "envs", "workdir", "num_nodes", "file_mounts"):
            _put(out, key, getattr(self, key))
        if self.resources is not None:
            out["resources"] = self.resources.to_dict()
        return out

    def validate(self) -> None:
        """Validates the task with the YAML rules, launching nothing.

        Raises:
            TaskValidationError: with every problem.
        """
        engine().call("launch", {"task": self.to_dict(), "cwd": os.getcwd(), "validate_only": True})

    def __repr__(self) -> str:
        return f"Task({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"
