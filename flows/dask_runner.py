"""prefect-dask's task runner, without three costs per task that a run does not need.

A submitted task cost the flow's process 40–90 ms of CPU (py-spy of a 2,000-repository
crawl on 2 workers: 0.78 s for 9 submits, while the workers scanned on the same two
cores). Most of it was spent twice over on Prefect's whole settings:

* ``serialize_context()`` dumps every Prefect setting for the worker, on every submit
  (~60 % of a submit). The settings do not change while the runner is open, so the
  runner enters a settings context equal to the flow's own whose ``serialize()`` is
  computed once. A ``temporary_settings`` block inside the runner enters its own
  context, which is serialized as usual.
* Dask then hashed (``tokenize``) every argument, that context included, to name the
  task (~30 %); the name only has to be unique, and each submit carries a new task-run
  id. The runner names each task itself, so nothing is hashed.

And on the worker, 90 % of an empty task's CPU (~45 ms, py-spy) was Prefect rebuilding
``Settings`` from that dump for every task: pydantic-settings reads the environment,
the profiles file and ``.env`` again each time. The dump now unpickles, on a worker, as
the ``Settings`` built from it the first time that worker saw it: built the same way,
in the same process, from the same values, once per run instead of once per task.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import uuid4

from prefect.context import SettingsContext
from prefect_dask import DaskTaskRunner
from prefect_dask.task_runners import PrefectDaskFuture
from pydantic import PrivateAttr


_built: OrderedDict[str, Any] = OrderedDict()  # on a worker: dump token -> Settings
_built_lock = threading.Lock()
_BUILT_KEPT = 4  # runs whose settings a long-lived worker keeps


def _in_dask_worker() -> bool:
    """Whether this process runs a Dask worker (tasks are unpickled outside the task's
    own context, where ``get_worker()`` does not answer)."""
    try:
        from distributed.worker import Worker
    except ImportError:
        return False
    return bool(getattr(Worker, "_instances", ()))  # else: the dump, as Prefect sends it


def settings_from_dump(token: str, values: dict[str, Any]):
    """The unpickler of :class:`SettingsDump`. In a Dask worker: the ``Settings`` of the
    dump, built on its first arrival in this process as ``SettingsContext(**dump)``
    builds it (with this process's environment filling what the dump leaves unset), then
    reused. Anywhere else, the dump again: the scheduler unpickles tasks too, and the
    settings must be built where the task runs."""
    if not _in_dask_worker():
        return SettingsDump(values, token)
    with _built_lock:
        settings = _built.get(token)
        if settings is not None:
            _built.move_to_end(token)
            return settings
    from prefect.settings import Settings

    settings = Settings(**values)
    with _built_lock:
        _built[token] = settings
        while len(_built) > _BUILT_KEPT:
            _built.popitem(last=False)
    return settings


class SettingsDump(dict):
    """Serialized settings: a plain dict here, the ``Settings`` it describes once
    unpickled in a Dask worker (see :func:`settings_from_dump`)."""

    def __init__(self, values: dict[str, Any], token: str | None = None):
        super().__init__(values)
        self.token = token or uuid4().hex

    def __reduce__(self):
        return settings_from_dump, (self.token, dict(self))


class SettingsOnce(SettingsContext):
    """A settings context that serializes its (unchanging) settings once."""

    _serialized: dict[bool, dict[str, Any]] = PrivateAttr(default_factory=dict)

    def serialize(self, include_secrets: bool = True) -> dict[str, Any]:
        if include_secrets not in self._serialized:
            out = super().serialize(include_secrets=include_secrets)
            if isinstance(out.get("settings"), dict):
                out["settings"] = SettingsDump(out["settings"])
            self._serialized[include_secrets] = out
        return self._serialized[include_secrets]


class ChipwatchDaskTaskRunner(DaskTaskRunner):
    """``DaskTaskRunner`` whose submits neither re-serialize the settings nor tokenize."""

    def __enter__(self):
        current = SettingsContext.get()
        self._settings_once = SettingsOnce(profile=current.profile, settings=current.settings) if current else None
        if self._settings_once is not None:
            self._settings_once.__enter__()
        try:
            return super().__enter__()
        except BaseException:
            self._leave_settings()
            raise

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            self._leave_settings()

    def _leave_settings(self) -> None:
        once, self._settings_once = getattr(self, "_settings_once", None), None
        if once is not None:
            once.__exit__()

    def submit(self, task, parameters: dict[str, Any], wait_for=None, dependencies=None) -> PrefectDaskFuture:
        # DaskTaskRunner.submit, with a key: Dask hashes no argument to make one.
        if not self._started:
            raise RuntimeError("The task runner must be started before submitting work.")
        parameters = self._optimize_futures(parameters)
        wait_for = self._optimize_futures(wait_for) if wait_for else None
        future = self.client.submit(
            task,
            key=f"{task.name}-{uuid4().hex}",
            parameters=parameters,
            wait_for=wait_for,
            dependencies=dependencies,
            return_type="state",
        )
        return PrefectDaskFuture(wrapped_future=future, task_run_id=future.task_run_id)
