"""A task parameter that Prefect hands over without walking it.

On every submit Prefect visits each parameter recursively, twice in the flow's process
(futures to resolve, task inputs to record) and once more on the worker. A batch of
units is a tree of dataclasses: visiting it cost ~0.2 s per submitted batch of 58 units
in the flow's process, while the workers waited for their first batch. A plain object
is a leaf to Prefect (``prefect.utilities.collections.visit_collection``) and pickles
as one value for Dask. (``prefect.utilities.annotations.quote`` does the same for
Prefect, but it is a tuple, which Dask's task specs unpack.)
"""
from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Parcel(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T):
        self.value = value

    def __getstate__(self) -> T:
        return self.value

    def __setstate__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Parcel({type(self.value).__name__})"
