"""Plan a batch: which unit-documents, with which parameters and input fingerprints.

Planning reads and writes nothing under outputs/. Each workbook is read once; each unit's
parameters are merged and its year checked by ``report.preflight``. A unit that cannot
make a document becomes a ``Refusal`` (shown as 数据有误) and the others go on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from huibao import config
from huibao.documents import unit as report
from huibao.errors import HuibaoError, UsageError
from huibao.facts import loader
from huibao.packs import params
from huibao.run import fingerprint
from huibao.run import task as runner
from huibao.run.manifest import NAME as MANIFEST
from huibao.run.manifest import entry_key

DEFAULT_DOCUMENT = "工作总结"


@dataclass(frozen=True)
class Job:
    """One unit-document to make (or skip if up to date)."""

    unit: str
    document: str
    parameters: dict           # injected into the notebook (output_dir added per task)
    notebook: Path
    inputs: dict[str, str]     # fingerprints, see ``manifest``
    warnings: tuple[str, ...]  # data warnings from preflight

    @property
    def key(self) -> str:
        return entry_key(self.unit, self.document)


@dataclass(frozen=True)
class Refusal:
    """A unit-document that cannot be made, and why."""

    unit: str
    document: str
    message: str


def units_with_data(inputs: loader.Inputs, year: int) -> list[str]:
    """Units of 单位信息, in workbook order, that have indicator data for ``year``."""
    have = set(inputs.facts.loc[inputs.facts["year"] == year, "unit"])
    return [u for u in inputs.workbook.units["unit"] if u in have]


def check_unit_name(unit: str) -> str:
    """``unit`` if it can name an output folder: no path characters, no reserved name."""
    config.safe_name(unit)
    if unit.startswith(".") or unit == MANIFEST:
        raise HuibaoError(f"单位名称“{unit}”不能用作输出目录名（不能以“.”开头，"
                          f"也不能是 {MANIFEST}）。")
    return unit


class Planner:
    """Plans the unit-documents of one year and campaign.

    ``overrides`` (including the batch's ``year``) win over the parameter files;
    ``documents`` (if given) replace each unit's ``document`` parameter.
    """

    def __init__(self, root: Path, year: int, campaign: str, *, documents: list[str],
                 overrides: dict, base_params: dict, allow_missing: bool) -> None:
        self.root, self.year, self.campaign = root, year, campaign
        self.documents, self.overrides = documents, overrides
        self.base_params, self.allow_missing = base_params, allow_missing
        self._loaded: dict[str, loader.Inputs | HuibaoError] = {}
        self._peers: dict[tuple[str, int], str] = {}

    def plan(self, units: list[str] | None) -> list[Job | Refusal]:
        """Jobs and refusals for ``units`` (None: every unit with data for the year)."""
        if units is None:
            inputs, _ = self.inputs(self._data_path(self.base_params))
            units = units_with_data(inputs, self.year)
            if not units:
                raise HuibaoError(f"工作簿中没有任何单位有{self.year}年的指标数据。")
        fixed = {"templates": fingerprint.templates_digest(self.campaign, self.root),
                 "kit": fingerprint.kit_digest()}
        notebooks: dict[str, str] = {}
        out: list[Job | Refusal] = []
        for unit in units:
            docs = self.documents or [self.base_params.get("document") or DEFAULT_DOCUMENT]
            try:
                check_unit_name(unit)
                p = params.merged(self.root / "params", self.campaign, unit, self.overrides)
                docs = self.documents or p.get("documents") or [p.get("document")
                                                                 or DEFAULT_DOCUMENT]
                inputs, key = self.inputs(self._data_path(p))
                warnings = tuple(w.text() for w in report.preflight(
                    inputs, unit, self.year, allow_missing=self.allow_missing) or ())
                for doc in docs:
                    notebooks.setdefault(doc, fingerprint.file_digest(
                        runner.notebook_for(doc, self.root)))
            except HuibaoError as exc:
                out += [Refusal(unit, doc, str(exc)) for doc in docs]
                continue
            tree = inputs.tree
            level = tree.levels.get(unit, 0)
            if (key, level) not in self._peers:
                self._peers[(key, level)] = fingerprint.digest(
                    fingerprint.peer_view(inputs, self.year, unit))
            data = fingerprint.digest(fingerprint.data_view(inputs, unit,
                                                            tree.descendants(unit)))
            for doc in docs:
                injected = {"unit": unit, "year": self.year, "campaign": self.campaign,
                            "data_path": p["data_path"], "doc_date": p.get("doc_date"),
                            "document": doc, "form": p.get("form") or "书面",
                            "addressee": p.get("addressee"), "sections": p.get("sections")}
                parts = {"data": data, "peers": self._peers[(key, level)],
                         "params": fingerprint.digest(injected), "notebook": notebooks[doc],
                         **fixed}
                out.append(Job(unit, doc, injected, runner.notebook_for(doc, self.root),
                               fingerprint.combine(doc, parts), warnings))
        return out

    def inputs(self, data_path: object) -> tuple[loader.Inputs, str]:
        """The workbook(s) at ``data_path``, read once per batch, and a key for caching."""
        key = json.dumps(data_path, ensure_ascii=False, default=str)
        if key not in self._loaded:
            try:
                self._loaded[key] = loader.load_inputs(self.campaign, data_path, self.root)
            except HuibaoError as exc:
                self._loaded[key] = exc
        got = self._loaded[key]
        if isinstance(got, HuibaoError):
            raise got
        return got, key

    def _data_path(self, p: dict) -> object:
        if not p.get("data_path"):
            raise UsageError(f"缺少数据文件：请用 --data 指定，或写入 "
                                  f"params/{self.campaign}/defaults.yaml。")
        return p["data_path"]
