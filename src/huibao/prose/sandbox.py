"""What a narrative template can reach: plain data only, checked at every step.

Jinja's sandbox blocks names starting with ``_`` but lets a template call any public method
of any object it is given. An ordinary ``Path`` in the context (``pack.folder``) therefore
let a template create, read and delete files; a pydantic model carries ``parse_file``; a
pandas frame ``to_csv``. Two layers close that:

* ``plain`` converts the context before rendering: scalars, strings, lists, tuples and
  dicts stay; pydantic models (the pack, its indicators and groups) become ``Record``\\ s
  holding their fields (paths dropped); dataclasses (``Metric``, ``Standing``…) are copied
  with their fields converted; functions become ``Call``\\ s whose results are converted in
  turn. Anything else (a path, a file, a frame, a module, a class) is refused.
* ``PlainSandbox`` checks at run time what the template gets from an attribute, an item or
  a call, and which callables it may call: ``Call``\\ s, the registered methods of the
  kit's own template objects, methods of built-in strings, lists and dicts, and Jinja's own
  helpers. Nothing with file-system access is ever handed out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import types
from collections.abc import Callable, Iterator, Mapping, MappingView
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import jinja2
import jinja2.runtime
import jinja2.utils
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from pydantic import BaseModel

from huibao.facts.metric import Metric
from huibao.packs.schema import Indicator, Pack
from huibao.prose.placement import OwnText

SCALARS = (str, bool, int, float, Decimal, dt.date, dt.datetime, dt.time, type(None))
CONTAINERS = (list, tuple, dict, set, frozenset)
# Never handed to a template, whatever holds them.
FORBIDDEN = (PurePath, io.IOBase, types.ModuleType, type, BaseModel)
BUILTIN_OWNERS = (str, list, tuple, dict, set, frozenset, int, float)


class Unplain(SecurityError):
    """A value that may not reach a template (a Jinja security error: the render fails)."""


class Record:
    """Read-only plain data: attributes (and items) fixed at creation, no methods."""

    __slots__ = ("_data",)

    def __init__(self, **data: Any) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return object.__getattribute__(self, "_data")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._data[name]

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("模板数据只读")

    def __dir__(self) -> list[str]:
        return list(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other._data == self._data

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._data.items())))

    def __repr__(self) -> str:
        return f"Record({', '.join(f'{k}={v!r}' for k, v in self._data.items())})"



def record_fields(record: Record) -> dict[str, Any]:
    """A record's fields (for Python code; templates read them one by one)."""
    return dict(object.__getattribute__(record, "_data"))


class Call:
    """A function a template may call; what it returns is converted by ``plain``."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[..., Any]) -> None:
        object.__setattr__(self, "_fn", fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return plain(self._fn(*args, **kwargs))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("模板函数只读")

    def __repr__(self) -> str:
        return f"Call({getattr(self._fn, '__qualname__', self._fn)!r})"


# Methods of the kit's own template objects a template may call (all pure, or, for
# ``OwnText``, recording only which of the unit's words were placed).
SAFE_METHODS: set[Callable[..., Any]] = {
    Metric.shown, OwnText.has, OwnText.practice, OwnText.case, OwnText.about, OwnText.items,
}
# Objects passed by identity: the template's calls on them are what the build reads back.
KEPT = (OwnText,)
# Jinja's own globals (range, dict, lipsum, cycler, joiner, namespace) and the wrapper it
# puts around ``str.format`` so that formatting is sandboxed too.
_JINJA_GLOBALS = tuple(SandboxedEnvironment().globals.values())
_FORMAT_WRAPPER = SandboxedEnvironment().wrap_str_format("".format).__code__  # type: ignore[union-attr]


def _jinja_object(value: object) -> bool:
    module = type(value).__module__ or ""
    return module == "jinja2" or module.startswith("jinja2.")


def _model_record(model: BaseModel) -> Record:
    data: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, PurePath) or (isinstance(value, (list, tuple))
                                           and any(isinstance(v, PurePath) for v in value)):
            continue  # where a pack lives is nobody's business in a template
        data[name] = plain(value)
    if isinstance(model, Indicator):
        data.update(rollup_rule=model.rollup_rule, word=model.word,
                    is_derived=model.is_derived, header=model.header)
    if isinstance(model, Pack):
        indicators = data["indicators"]
        by_key = {i.key: i for i in indicators}
        levels, peer_noun = tuple(model.levels), model.peer_noun

        def in_group(group: str) -> tuple[Record, ...]:
            return tuple(i for i in indicators if i.group == group)

        def level_noun(level: int) -> str:
            return levels[level] if 0 <= level < len(levels) else peer_noun

        def indicator(key: str) -> Record:
            return by_key[key]

        data.update(in_group=Call(in_group), level_noun=Call(level_noun),
                    indicator=Call(indicator),
                    collected=tuple(i for i in indicators if not i.is_derived))
    return Record(**data)


def plain(value: Any) -> Any:
    """``value`` as plain data a template may hold (see the module doc); ``Unplain`` else."""
    if isinstance(value, (*SCALARS, Record, Call, *KEPT)) or _jinja_object(value):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item") \
            and getattr(value, "ndim", 1) == 0:
        return plain(value.item())
    if isinstance(value, BaseModel):
        return _model_record(value)
    if isinstance(value, FORBIDDEN):
        raise Unplain(f"模板不能持有{type(value).__name__}对象")
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, (list, MappingView, Iterator, range)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return type(value)(plain(v) for v in value)
    if dataclasses.is_dataclass(value):
        changes = {f.name: plain(getattr(value, f.name))
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, (types.FunctionType, types.MethodType)):
        return Call(value)
    raise Unplain(f"模板不能持有{type(value).__name__}对象")


def safe_callable(obj: Any) -> bool:
    """May a template call ``obj``? (see the module doc)"""
    if isinstance(obj, Call) or _jinja_object(obj) or any(obj is g for g in _JINJA_GLOBALS):
        return True
    if isinstance(obj, types.FunctionType) and obj.__code__ is _FORMAT_WRAPPER:
        return True
    if isinstance(obj, types.BuiltinMethodType):  # "a".startswith, dict.items …
        owner = getattr(obj, "__self__", None)
        return isinstance(owner, BUILTIN_OWNERS) and not isinstance(owner, type)
    if isinstance(obj, types.MethodType):
        owner = obj.__self__
        if _jinja_object(owner):
            return True
        return obj.__func__ in SAFE_METHODS and not isinstance(owner, type)
    return False


def check(value: Any, _seen: set[int] | None = None) -> None:
    """Refuse (``Unplain``) a value that is not plain, looking inside containers."""
    seen = _seen if _seen is not None else set()
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (*SCALARS, *KEPT)) or _jinja_object(value):
        return
    if callable(value) and not isinstance(value, (type, Record)):
        if not safe_callable(value):
            raise Unplain(f"模板不能调用{value!r}")
        return
    if isinstance(value, FORBIDDEN):
        raise Unplain(f"模板不能持有{type(value).__name__}对象")
    if isinstance(value, Record):
        for v in record_fields(value).values():
            check(v, seen)
    elif isinstance(value, Mapping):
        for v in value.values():
            check(v, seen)
    elif isinstance(value, (*CONTAINERS, range)):
        for v in value:
            check(v, seen)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            check(getattr(value, f.name), seen)
    else:
        raise Unplain(f"模板不能持有{type(value).__name__}对象")


class PlainSandbox(SandboxedEnvironment):
    """Jinja's sandbox that hands templates plain data only (see the module doc)."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        try:
            check(value)
        except Unplain:
            return False
        return True

    def is_safe_callable(self, obj: Any) -> bool:
        return super().is_safe_callable(obj) and safe_callable(obj)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._checked(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._checked(obj, str(argument), super().getitem(obj, argument))

    def _checked(self, obj: Any, name: str, value: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            return value
        try:
            check(value)
        except Unplain:
            return self.unsafe_undefined(obj, name)
        return value

    def call(__self, __context: jinja2.runtime.Context, __obj: Any,
             *args: Any, **kwargs: Any) -> Any:
        result = super().call(__context, __obj, *args, **kwargs)
        try:
            return plain(result)
        except Unplain as exc:
            raise SecurityError(str(exc)) from None

