"""The document-kind registry: which documents exist, for which scope, made by which notebook.

A row is one kind: a document type (工作总结, 汇报材料) for one scope — a ``unit`` (a county,
an agency, a practice station) or the ``area`` above them (the city office's roll-up).
It names the notebook that makes it, its title pattern and its keywords. The scope
(``Scope``) knows whom the kind is written for and how its content is built; the build
tail (``huibao.documents.build``) is shared by every kind.

The planner, the batch and the roll-up verb see documents only through this module.
Adding a document type is one ``register`` row here (or in a plugin) and one template per
pack (``templates/<campaign>/<document>.md.j2``; for the area ``templates/shared/area/``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from huibao import config
from huibao.errors import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd

    from huibao.facts.loader import Inputs
    from huibao.packs.schema import Pack
    from huibao.render.outline import Block


@dataclass(frozen=True)
class Kind:
    """One registry row."""

    scope: str          # "unit" or "area"
    document: str       # 工作总结, 汇报材料
    notebook: str       # notebooks/<notebook>.ipynb
    title: str          # pattern over {subject}, {year}, {name} (the pack's campaign name)
    keywords: str = ""  # appended to the .docx keywords (汇总 for the area)

    def notebook_path(self, root: Path) -> Path:
        return config.notebooks_dir(root) / f"{self.notebook}.ipynb"

    def title_for(self, subject: str, year: int, name: str) -> str:
        return self.title.format(subject=subject, year=year, name=name)


@dataclass(frozen=True)
class Planned:
    """What the planner needs of one subject: its warnings and what its documents read.

    ``data`` is fingerprinted as the subject's own input; ``peer_group`` names the group
    whose ``Scope.peers`` view the documents also print (other units' values in charts);
    ``members`` the units whose own documents this one is built from (``depends_on``);
    ``settings`` further parameters that shape the document (the area's settings).
    """

    warnings: tuple[str, ...]
    data: object
    peer_group: object = None
    members: tuple[str, ...] = ()
    settings: object = None
    templates: tuple[Path, ...] = ()    # template folders beyond the pack's own


class Subject(Protocol):
    """One unit or area made ready for one year and form: what the build tail reads."""

    name: str            # the subject in titles (示例县, 示例市)
    pack: Pack
    signatory: str
    default_date: object  # a date the settings give, else None (the year's 31 December)
    form: str

    def context(self) -> dict: ...
    def template(self, document: str) -> Path: ...
    def own_texts(self) -> list[str]: ...
    def exhibits(self, folder: Path, only: set[str]) -> dict[str, Block | None]: ...
    def key_table(self) -> pd.DataFrame: ...
    def headline(self) -> str: ...
    def numbers(self) -> dict[str, dict]: ...   # figures the text may quote (the record)
    def fallbacks(self) -> list[str]: ...       # parts written in generic words (after build)


class Scope(Protocol):
    """Whom a kind is written for: how to find them, plan them and prepare them."""

    name: str

    def targets(self, inputs: Inputs, year: int, root: Path) -> list[str]: ...
    def plan(self, inputs: Inputs, target: str, year: int, root: Path, *,
             allow_missing: bool, strict: bool = False) -> Planned: ...
    def peers(self, inputs: Inputs, year: int, group: object) -> object: ...
    def prepare(self, inputs: Inputs, target: str, year: int, root: Path,
                **options: object) -> Subject: ...


class Registry:
    """Kinds by (scope, document), scopes by name; lookups name what is known."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[str, str], Kind] = {}
        self._scopes: dict[str, Scope] = {}

    def register(self, kind: Kind) -> None:
        self._kinds[(kind.scope, kind.document)] = kind

    def register_scope(self, scope: Scope) -> None:
        self._scopes[scope.name] = scope

    def kind(self, scope: str, document: str) -> Kind:
        try:
            return self._kinds[(scope, document)]
        except KeyError:
            raise UnknownNameError("文档类型", document, self.documents(scope)) from None

    def scope(self, name: str) -> Scope:
        try:
            return self._scopes[name]
        except KeyError:
            raise UnknownNameError("文档范围", name, list(self._scopes)) from None

    def documents(self, scope: str) -> list[str]:
        return [d for s, d in self._kinds if s == scope]

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())


registry = Registry()

UNIT, AREA = "unit", "area"

# Document type → title pattern (documents.md §2, §3), for a unit and for the area.
for _scope, _notebook, _keywords in ((UNIT, "unit", ""), (AREA, "area", ";汇总")):
    registry.register(Kind(_scope, "工作总结", _notebook, "{subject}{year}年{name}工作总结",
                           _keywords))
    registry.register(Kind(_scope, "汇报材料", _notebook,
                           "关于{subject}{year}年{name}工作情况的汇报", _keywords))


def kind(scope: str, document: str) -> Kind:
    return registry.kind(scope, document)


# The modules that register the built-in scopes (imported on first use: they import this
# module). A worker imports them before its first task (``load_scopes``).
SCOPE_MODULES = ("huibao.documents.unit", "huibao.documents.area")


def load_scopes() -> None:
    for module in SCOPE_MODULES:
        importlib.import_module(module)


def scope(name: str) -> Scope:
    """The scope, its module imported on first use."""
    if name not in registry._scopes:
        load_scopes()
    return registry.scope(name)


def documents(scope_name: str) -> list[str]:
    return registry.documents(scope_name)
