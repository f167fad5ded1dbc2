"""Three fixes to Great Expectations 1.x's cost per expectation, same results.

GX spends a few milliseconds per expectation planning a validation whatever the rows:
the 94 expectations of a crawl's tables took 0.54 s for 500 repositories, and an
unchanged crawl's repos and runs rows 0.117 s. Nearly half of it went to three things:

* **Kwargs lookups.** ``Expectation._get_domain_kwargs``, ``_get_success_kwargs``,
  ``_get_success_kwarg`` and ``_get_runtime_kwargs`` evaluate ``self.configuration``
  once per key they read (and the runtime lookup twice more through the other two).
  That property is not a field: it rebuilds an ``ExpectationConfiguration`` from a
  pydantic dump of the whole expectation, value sets included, every time: 7,700
  rebuilds for those tables. The replacements read one configuration per call; each
  call still builds a fresh one, so nothing is shared between calls, nor with code that
  changes what it is given.
* **Metric ids.** Every ``MetricConfiguration`` hashes its kwargs through
  ``IDDict.to_id``, which converts them with ``convert_to_json_serializable``: a chain
  of isinstance checks (a pydantic one among them) and, for ``None``, four numpy dtype
  checks, run on every element of every value set. The replacement converts values of
  the exact built-in types (str, int, bool, None, float, and dicts, lists, tuples and
  sets of them) as GX's function does, and hands any other value to GX's function.
* **Expectation type names.** ``Expectation.configuration`` turns the class name into
  the expectation type with two regular expressions each time; the replacement
  remembers the answer per class name (a pure function of a string).

Together: the tables of a 500-repository crawl validate in 0.30 s instead of 0.54 s,
an unchanged crawl's rows in 0.063 s instead of 0.117 s. Applied on GX 1.x when the
patched names are all GX's own (as in 1.24); otherwise GX is left as it is.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
from typing import Any, Callable

_gx_log = logging.getLogger("great_expectations.expectations.expectation")
_original: dict[str, tuple[Any, Callable[..., Any]]] = {}  # name: (owner, GX's own)


def _kwarg(self, kwargs: dict[str, Any], key: str, default: Any = None) -> Any:
    # Expectation._get_success_kwarg's lookup, on kwargs already read.
    if key in kwargs:
        return kwargs[key]
    field = self.__fields__.get(key)
    if field is not None:
        return field.default if not field.required else default
    _gx_log.warning(f'_get_success_kwarg called with key "{key}", but it is not a known field of {type(self).__name__}')
    return default


def _get_success_kwarg(self, key: str, default: Any = None) -> Any:
    return _kwarg(self, self.configuration.kwargs, key, default)


def _domain(self, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}


def _success(self, kwargs: dict[str, Any]) -> dict[str, Any]:
    success_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
    success_kwargs.update(_domain(self, kwargs))
    return success_kwargs


def _get_domain_kwargs(self) -> dict[str, Any]:
    return _domain(self, self.configuration.kwargs)


def _get_success_kwargs(self) -> dict[str, Any]:
    return _success(self, self.configuration.kwargs)


def _get_runtime_kwargs(self, runtime_configuration: dict | None = None) -> dict[str, Any]:
    # GX's own reads the configuration once per key here and twice more through the
    # success and domain kwargs; one read serves all three.
    from great_expectations.expectations.expectation import parse_result_format

    runtime_configuration = runtime_configuration or {}
    kwargs = self.configuration.kwargs
    runtime_kwargs = {key: runtime_configuration.get(key, _kwarg(self, kwargs, key)) for key in self.runtime_keys}
    runtime_kwargs.update(_success(self, kwargs))
    runtime_kwargs["result_format"] = parse_result_format(runtime_kwargs["result_format"])
    return runtime_kwargs


_KWARGS = {
    "_get_success_kwarg": _get_success_kwarg,
    "_get_domain_kwargs": _get_domain_kwargs,
    "_get_success_kwargs": _get_success_kwargs,
    "_get_runtime_kwargs": _get_runtime_kwargs,
}


def _json_value(data: Any) -> Any:
    """``convert_to_json_serializable(data)`` by a short way for the exact built-in types
    (where GX's function returns str, int and bool values as they are, ``None`` for a
    NaN float and for ``None``, string keys, and lists for tuples and sets); anything
    else, subclasses included, goes to GX's function."""
    t = type(data)
    if t is str or t is int or t is bool or data is None:
        return data
    if t is float:
        return None if data != data else data
    if t is dict:
        return {str(k): _json_value(v) for k, v in data.items()}
    if t is list or t is tuple or t is set:
        return [_json_value(v) for v in data]
    from great_expectations.util import convert_to_json_serializable

    return convert_to_json_serializable(data)


def _to_id(self, id_keys=None, id_ignore_keys=None):
    # IDDict.to_id of GX 1.x, converting with _json_value.
    if id_keys is None:
        id_keys = self.keys()
    if id_ignore_keys is None:
        id_ignore_keys = self._id_ignore_keys
    id_keys = set(id_keys) - set(id_ignore_keys)
    if len(id_keys) == 0:
        return ()
    if len(id_keys) == 1:
        key = list(id_keys)[0]
        return f"{key}={self[key]!s}"
    as_json = _json_value({k: self[k] for k in id_keys})
    return hashlib.md5(json.dumps(as_json, sort_keys=True).encode("utf-8"), usedforsecurity=False).hexdigest()


def _targets() -> list[tuple[Any, str, str, Callable[[Callable[..., Any]], Callable[..., Any]]]]:
    """(owner, name, the module GX defines it in, its replacement given GX's own)."""
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations import expectation

    out: list = [(expectation.Expectation, name, expectation.__name__, lambda _, fn=fn: fn)
                 for name, fn in _KWARGS.items()]
    out.append((IDDict, "to_id", IDDict.__module__, lambda _: _to_id))
    out.append((expectation, "camel_to_snake", "great_expectations.util", functools.lru_cache(maxsize=1024)))
    return out


def apply() -> bool:
    """Install the fixes (idempotent). False, and GX unchanged, when GX is not a 1.x
    whose patched names are all its own."""
    import great_expectations

    if _original:
        return True
    if not great_expectations.__version__.startswith("1."):
        return False
    targets = _targets()
    found = [vars(owner).get(name) for owner, name, _, _ in targets]
    if any(f is None or getattr(f, "__module__", "") != module for f, (_, _, module, _) in zip(found, targets)):
        return False
    for f, (owner, name, _, replace) in zip(found, targets):
        _original[name] = (owner, f)
        setattr(owner, name, replace(f))
    return True


def undo() -> None:
    """Put GX's own back (tests compare both)."""
    for name, (owner, f) in _original.items():
        setattr(owner, name, f)
    _original.clear()


def original(name: str) -> Callable[..., Any]:
    """GX's own ``name`` (a method of ``Expectation`` or ``IDDict``, or
    ``camel_to_snake``), whether or not the fixes are installed."""
    if name in _original:
        return _original[name][1]
    return next(vars(owner)[n] for owner, n, _, _ in _targets() if n == name)
