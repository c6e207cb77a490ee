"""Plan a batch: which documents, with which parameters and input fingerprints.

Planning reads and writes nothing under outputs/. Documents are seen only through the
document-kind registry (``huibao.documents.kinds``): a scope (the units, or the area
above them) names its subjects, plans each (its warnings, the data its documents read)
or refuses it (shown as 数据有误) while the others go on. Each workbook is read once
(``huibao.facts.loader``). What a notebook receives is its own parameters cell laid over
with the merged parameters (``notebook_params``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from huibao import config
from huibao.documents import kinds
from huibao.errors import HuibaoError, UsageError
from huibao.facts import loader
from huibao.packs import params
from huibao.run import fingerprint, notebook_params
from huibao.run.manifest import entry_key

DEFAULT_DOCUMENT = "工作总结"
# The checks' rules that refuse a unit's rows whole (``inputs.checks.refused_units``).
REFUSING = ("unknown_unit", "bad_unit_name")
# The manifest's word for each scope (its format predates the registry).
MANIFEST_KIND = {kinds.UNIT: "unit", kinds.AREA: "rollup"}


@dataclass(frozen=True)
class Job:
    """One document to make (or skip if up to date)."""

    unit: str                  # the subject: a unit, or the area
    document: str
    parameters: dict           # injected into the notebook (output_dir added per task)
    notebook: Path
    inputs: dict[str, str]     # fingerprints, see ``manifest``
    warnings: tuple[str, ...]  # data warnings from preflight
    kind: str = "unit"         # manifest kind: unit, or rollup for the area
    depends_on: tuple[str, ...] = ()   # entries whose units this document is built from

    @property
    def key(self) -> str:
        return entry_key(self.unit, self.document)


@dataclass(frozen=True)
class Refusal:
    """A document that cannot be made, and why."""

    unit: str
    document: str
    message: str


def check_unit_name(unit: str) -> str:
    """``unit`` if it can name an output folder (``config.unit_name_problem``)."""
    return config.check_unit_name(unit)


class Planner:
    """Plans the documents of one year and campaign.

    ``overrides`` (including the batch's ``year``) win over the parameter files;
    ``documents`` (if given) replace each unit's ``document`` parameter.
    """

    def __init__(self, root: Path, year: int, campaign: str, *, documents: list[str],
                 overrides: dict, base_params: dict, allow_missing: bool,
                 strict: bool = False) -> None:
        self.root, self.year, self.campaign = root, year, campaign
        self.documents, self.overrides = documents, overrides
        self.base_params, self.allow_missing = base_params, allow_missing
        self.strict = strict
        self._loaded: dict[str, loader.Inputs | HuibaoError] = {}
        self.snapshots: dict[str, loader.Snapshot] = {}   # by data key, for the workers
        self._peers: dict[tuple, str] = {}
        self._notebooks: dict[Path, str] = {}

    def plan(self, units: list[str] | None, *, scope: str = kinds.UNIT,
             documents: list[str] | None = None, extra: dict | None = None,
             after: list[Job | Refusal] = ()) -> list[Job | Refusal]:
        """Jobs and refusals for ``units`` of ``scope`` (None: every subject the scope
        finds for the year). ``documents`` and ``extra`` (parameters) override the
        planner's for this call; ``after``: jobs planned before, which an area depends on."""
        sc = kinds.scope(scope)
        wanted = documents or self.documents
        if units is None:
            inputs, _ = self.inputs(self._data_path(self.base_params))
            units = sc.targets(inputs, self.year, self.root)
            if not units:
                raise HuibaoError(f"工作簿中没有任何单位有{self.year}年的指标数据。")
        fixed = {"templates": fingerprint.templates_digest(self.campaign, self.root),
                 "kit": fingerprint.kit_digest()}
        out: list[Job | Refusal] = []
        for unit in units:
            docs = wanted or [self.base_params.get("document") or DEFAULT_DOCUMENT]
            try:
                check_unit_name(unit)
                p = {**self._values(scope, unit), **(extra or {})}
                docs = wanted or p.get("documents") or [p.get("document")
                                                                 or DEFAULT_DOCUMENT]
                chosen = [kinds.kind(scope, doc) for doc in docs]
                inputs, key = self.inputs(self._data_path(p))
                planned = sc.plan(inputs, unit, self.year, self.root,
                                  allow_missing=self.allow_missing, strict=self.strict)
            except HuibaoError as exc:
                out += [Refusal(unit, doc, str(exc)) for doc in docs]
                continue
            group = (key, scope, planned.peer_group)
            if group not in self._peers:
                self._peers[group] = fingerprint.digest(sc.peers(inputs, self.year,
                                                                 planned.peer_group))
            data = fingerprint.digest(planned.data)
            templates = fixed["templates"]
            if planned.templates:
                templates = fingerprint.digest([templates, fingerprint.tree_digest(
                    list(planned.templates), config.templates_dir(self.root))])
            depends = tuple(j.key for j in after
                            if isinstance(j, Job) and j.unit in planned.members)
            for kind in chosen:
                notebook = kind.notebook_path(self.root)
                injected = notebook_params.inject(notebook, {
                    **p, "unit": unit, "year": self.year, "campaign": self.campaign,
                    "document": kind.document}, exclude={"output_dir"})
                shaping = injected if planned.settings is None else {
                    **injected, "area": planned.settings}
                parts = {"data": data, "peers": self._peers[group],
                         "params": fingerprint.digest(shaping),
                         "notebook": self._notebook_digest(notebook),
                         "templates": templates, "kit": fixed["kit"]}
                out.append(Job(unit, kind.document, injected, notebook,
                               fingerprint.combine(kind.document, parts), planned.warnings,
                               kind=MANIFEST_KIND[scope], depends_on=depends))
        return out

    def refused_rows(self, planned: list[Job | Refusal]) -> list[str]:
        """What the checks refused of units no document of ``planned`` names (rows of a
        unit not in 单位信息, or whose name has a control character): left out of every
        document, said once per unit in the summary."""
        named = {item.unit for item in planned}
        out: list[str] = []
        for got in self._loaded.values():
            if isinstance(got, HuibaoError):
                continue
            seen: set[str] = set()
            for p in got.findings.errors:
                refusing = p.rule in REFUSING or (  # a row not read for its unit's name
                    p.rule == "control_char" and p.message.startswith("单位名称"))
                if not refusing or p.unit is None or p.unit in named | seen:
                    continue
                seen.add(p.unit)
                out.append(f"{p.text()}这个单位的数据未计入任何文档（其他单位的单位数、"
                           "名次和对比图均不含它）。")
        return out

    def inputs(self, data_path: object) -> tuple[loader.Inputs, str]:
        """The workbook(s) at ``data_path``, read once per batch, and a key for caching."""
        key = json.dumps(data_path, ensure_ascii=False, default=str)
        if key not in self._loaded:
            try:
                self._loaded[key] = loader.load_inputs(self.campaign, data_path, self.root)
            except HuibaoError as exc:
                self._loaded[key] = exc
            else:
                shot = loader.snapshot(self.campaign, data_path, self.root)
                if shot is not None:
                    self.snapshots[key] = shot
        got = self._loaded[key]
        if isinstance(got, HuibaoError):
            raise got
        return got, key

    def _values(self, scope: str, unit: str) -> dict:
        """A unit's merged parameter files; for the area, the batch's own settings (its
        document settings live in ``params/<c>/rollup.yaml``, read by the area kind)."""
        if scope == kinds.UNIT:
            return params.merged(self.root / "params", self.campaign, unit, self.overrides)
        return {"data_path": self.base_params.get("data_path"),
                **{k: v for k, v in self.overrides.items() if v is not None}}

    def _notebook_digest(self, notebook: Path) -> str:
        if notebook not in self._notebooks:
            self._notebooks[notebook] = fingerprint.file_digest(notebook)
        return self._notebooks[notebook]

    def _data_path(self, p: dict) -> object:
        if not p.get("data_path"):
            raise UsageError(f"缺少数据文件：请用 --data 指定，或写入 "
                                  f"params/{self.campaign}/defaults.yaml。")
        return p["data_path"]
