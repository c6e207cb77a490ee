"""Plan a batch: which documents, with which parameters and input fingerprints.

Planning writes nothing under outputs/; it reads only the plan cache there
(``plancache``: what unchanged workbooks said last time), which the batch writes under its
lock. Documents are seen only through the
document-kind registry (``huibao.documents.kinds``): a scope (the units, or the area
above them) names its subjects, plans each (its warnings, the data its documents read)
or refuses it (shown as 数据有误) while the others go on. Each workbook is read once
(``huibao.facts.loader``). What a notebook receives is its own parameters cell laid over
with the merged parameters (``notebook_params``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huibao import config
from huibao.documents import kinds
from huibao.errors import HuibaoError, UsageError
from huibao.facts import loader
from huibao.packs import params
from huibao.run import fingerprint, notebook_params
from huibao.run.manifest import entry_key
from huibao.run.plancache import NAME as PLAN_CACHE
from huibao.run.plancache import PlanCache

DEFAULT_DOCUMENT = "工作总结"
# The checks' rules that refuse a unit's rows whole (``inputs.checks.refused_units``).
REFUSING = ("unknown_unit", "bad_unit_name", "unit_name_control_char")
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


def data_key(data_path: object) -> str:
    """The key a batch files a ``data_path``'s reading under (planner, snapshots, bundle)."""
    return json.dumps(data_path, ensure_ascii=False, default=str)


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
                 strict: bool = False, on_read: Callable[[], None] | None = None) -> None:
        self.root, self.year, self.campaign = root, year, campaign
        # Called once, before the first workbook is read (a batch starts its workers'
        # forkserver then: the plan cache did not spare the reading, so work is coming).
        self._on_read = on_read
        self.documents, self.overrides = documents, overrides
        self.base_params, self.allow_missing = base_params, allow_missing
        self.strict = strict
        self._loaded: dict[str, loader.Inputs | HuibaoError] = {}
        self.snapshots: dict[str, loader.Snapshot] = {}   # by data key, for the workers
        self.cache = PlanCache(config.outputs_dir(root) / str(year) / campaign / PLAN_CACHE)
        self._readings: dict[str, _Reading] = {}
        self._fixed: dict | None = None
        self._peers: dict[tuple, str] = {}
        self._notebooks: dict[Path, str] = {}

    def plan(self, units: list[str] | None, *, scope: str = kinds.UNIT,
             documents: list[str] | None = None, extra: dict | None = None,
             after: list[Job | Refusal] = ()) -> list[Job | Refusal]:
        """Jobs and refusals for ``units`` of ``scope`` (None: every subject the scope
        finds for the year). ``documents`` and ``extra`` (parameters) override the
        planner's for this call; ``after``: jobs planned before, which an area depends on."""
        kinds.scope(scope)   # an unknown scope is refused here
        wanted = documents or self.documents
        fixed = self._fixed_parts()
        if units is None:
            units = self._reading(scope, self._data_path(self.base_params)).targets()
            if not units:
                raise HuibaoError(f"工作簿中没有任何单位有{self.year}年的指标数据。")
        out: list[Job | Refusal] = []
        for unit in units:
            docs = wanted or [self.base_params.get("document") or DEFAULT_DOCUMENT]
            try:
                check_unit_name(unit)
                p = {**self._values(scope, unit), **(extra or {})}
                docs = wanted or p.get("documents") or [p.get("document")
                                                                 or DEFAULT_DOCUMENT]
                chosen = [kinds.kind(scope, doc) for doc in docs]
                reading = self._reading(scope, self._data_path(p))
                planned = reading.plan(unit)
            except HuibaoError as exc:
                out += [Refusal(unit, doc, str(exc)) for doc in docs]
                continue
            group = (reading.data_key, scope, json.dumps(planned.peer_group, default=str))
            if group not in self._peers:
                self._peers[group] = reading.peers(planned.peer_group)
            data = planned.data
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
        for reading in self._readings.values():
            seen: set[str] = set()
            for unit, text in reading.refused():
                if unit in named | seen:
                    continue
                seen.add(unit)
                out.append(f"{text}这个单位的数据未计入任何文档（其他单位的单位数、"
                           "名次和对比图均不含它）。")
        return out

    def _fixed_parts(self) -> dict:
        if self._fixed is None:
            self._fixed = {"templates": fingerprint.templates_digest(self.campaign, self.root),
                           "kit": fingerprint.kit_digest()}
        return self._fixed

    def _reading(self, scope: str, data_path: object) -> _Reading:
        key = json.dumps([scope, data_path], ensure_ascii=False, default=str)
        if key not in self._readings:
            self._readings[key] = _Reading(self, scope, data_path)
        return self._readings[key]

    def inputs(self, data_path: object) -> tuple[loader.Inputs, str]:
        """The workbook(s) at ``data_path``, read once per batch, and a key for caching."""
        key = data_key(data_path)
        if key not in self._loaded:
            if self._on_read is not None:
                self._on_read, on_read = None, self._on_read
                on_read()
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


def _refusing(p) -> bool:   # a finding that refuses a unit's rows whole
    return p.rule in REFUSING


class _Reading:
    """What the planner needs of one data path's workbook(s) for one scope: computed from
    the inputs, or, for units, taken from the plan cache while the files are unchanged."""

    def __init__(self, planner: Planner, scope: str, data_path: object) -> None:
        self.planner, self.scope, self.data_path = planner, scope, data_path
        self.data_key = data_key(data_path)
        self.sc = kinds.scope(scope)
        self.entry: dict | None = None
        if scope == kinds.UNIT:   # the area's settings live in files the key does not name
            try:
                stamp = loader.stamp(planner.campaign, data_path, planner.root)
            except (HuibaoError, OSError):
                stamp = None
            if stamp is not None:
                fixed = planner._fixed_parts()
                self.entry = planner.cache.get(planner.cache.key(
                    fixed["kit"], fixed["templates"], planner.campaign, planner.year, scope,
                    planner.allow_missing, planner.strict, self.data_key,
                    [list(s) for s in stamp]))

    def inputs(self) -> loader.Inputs:
        return self.planner.inputs(self.data_path)[0]

    def targets(self) -> list[str]:
        if self.entry is None:
            return self.sc.targets(self.inputs(), self.planner.year, self.planner.root)
        if self.entry["targets"] is None:
            self.entry["targets"] = self.sc.targets(self.inputs(), self.planner.year,
                                                    self.planner.root)
        return list(self.entry["targets"])

    def plan(self, unit: str) -> kinds.Planned:
        """The unit's ``Planned``, its ``data`` already fingerprinted."""
        kept = None if self.entry is None else self.entry["units"].get(unit)
        if isinstance(kept, dict):
            if kept.get("refusal") is not None:
                raise HuibaoError(str(kept["refusal"]))
            return kinds.Planned(tuple(kept["warnings"]), kept["data"], kept["peer_group"])
        p = self.planner
        inputs = self.inputs()   # a file that cannot be read now: nothing is kept
        try:
            planned = self.sc.plan(inputs, unit, p.year, p.root,
                                   allow_missing=p.allow_missing, strict=p.strict)
        except HuibaoError as exc:
            if self.entry is not None:
                self.entry["units"][unit] = {"refusal": str(exc)}
            raise
        made = dataclasses.replace(planned, data=fingerprint.digest(planned.data))
        cacheable = not (planned.members or planned.settings or planned.templates)
        if self.entry is not None and cacheable:
            self.entry["units"][unit] = {"warnings": list(made.warnings), "data": made.data,
                                         "peer_group": made.peer_group}
        return made

    def peers(self, group: object) -> str:
        name = json.dumps(group, default=str)
        if self.entry is not None and name in self.entry["peers"]:
            return self.entry["peers"][name]
        digest = fingerprint.digest(self.sc.peers(self.inputs(), self.planner.year, group))
        if self.entry is not None:
            self.entry["peers"][name] = digest
        return digest

    def refused(self) -> list[tuple[str, str]]:
        """(unit, message) of the rows the checks refused whole."""
        if self.entry is not None and self.entry.get("refused") is not None:
            return [tuple(r) for r in self.entry["refused"]]
        try:
            got = self.inputs()
        except HuibaoError:
            return []
        out = [(p.unit, p.text()) for p in got.findings.errors
               if _refusing(p) and p.unit is not None]
        if self.entry is not None:
            self.entry["refused"] = [list(r) for r in out]
        return out
