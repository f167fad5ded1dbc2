"""Progress events: the flow reports, the command line listens (a rich progress bar).

A plain observer list, per process: listeners registered by ``chipwatch crawl`` see the
events the flow emits in the same process; nothing crosses to Dask workers.
"""
from __future__ import annotations

from typing import Callable

Listener = Callable[[str, int, int, str], None]  # (stage, done, total, message)
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def report(stage: str, done: int, total: int, message: str = "") -> None:
    for listener in list(_listeners):
        try:
            listener(stage, done, total, message)
        except Exception:  # a broken progress display must never break a crawl
            pass
