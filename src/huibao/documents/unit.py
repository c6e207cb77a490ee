"""One unit's document, end to end: inputs → facts → exhibits → narrative → outline.

The notebook calls these functions in order and shows the intermediate results; the
runner only executes the notebook. Nothing here knows about fonts or page layout.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd

from huibao.documents import kinds
from huibao.documents.build import build
from huibao.documents.exhibits import CROSS_UNIT_CHARTS, build_exhibits
from huibao.errors import DataError, HuibaoError, InvalidData, UnknownNameError
from huibao.facts.loader import Inputs
from huibao.facts.metric import Metric
from huibao.inputs import texts
from huibao.inputs.findings import Findings, Problem
from huibao.inputs.workbook import records
from huibao.packs.params import FORMS
from huibao.packs.schema import Pack
from huibao.packs.wording import boilerplate
from huibao.prose import phrasing
from huibao.prose.functions import problem, qty, target_level
from huibao.prose.placement import OwnText
from huibao.render.fonts import resolve_cjk_font
from huibao.render.outline import Block, Document


def key_table(inputs: Inputs, unit: str, year: int) -> pd.DataFrame:
    """The unit-year's indicators as an analyst reads them (for the notebook)."""
    ms = inputs.metrics(unit, year)
    rows = []
    for m in ms.values():
        rows.append({
            "指标": m.name, "单位": m.ind.unit, f"{year - 1}年": m.prev, f"{year}年": m.value,
            "目标": m.target, "达标": None if m.met is None else ("是" if m.met else "否"),
            "排名": m.rank, "需关注": "是" if m.adverse else "", "来源": m.source,
        })
    return pd.DataFrame(rows)


def _next_targets(inputs: Inputs, unit: str, year: int) -> dict[str, float]:
    """Next year's targets for plans: the workbook's 年度目标 for year + 1, else pack standards.

    A unit's own target for this year is never carried forward as next year's.
    """
    t = inputs.workbook.targets
    rows = t[(t["unit"] == unit) & (t["year"] == year + 1)]
    out = {i.key: i.target for i in inputs.pack.indicators if i.target is not None}
    out.update(dict(zip(rows["key"], rows["target"], strict=True)))
    return out


def _problems(ms: dict[str, Metric], pack: Pack, next_targets: dict[str, float]) -> list[dict]:
    """Adverse metrics grouped by section, in pack order, with their gap sentences."""
    out = []
    for group in pack.groups:
        bad = [ms[i.key] for i in pack.in_group(group.key) if ms[i.key].adverse]
        if not bad:
            continue
        targets = []
        for m in bad:
            goal = next_targets.get(m.key)
            if goal is None or _already_there(m, goal):
                continue
            if m.relation == "cap" and goal == 0:
                targets.append(f"杜绝{m.name}发生")
            else:
                targets.append(f"{m.name}{target_level(replace(m, target=goal))}")
        out.append({"group": group.key, "metrics": bad,
                    "sentences": ["，".join(x for x in (m.ind.gap, problem(m)) if x) for m in bad],
                    "targets": targets})
    return out


def _already_there(m: Metric, goal: float) -> bool:
    """A goal the unit already meets is no plan (理论宣讲 35场 against 达到12场以上)."""
    if m.value is None:
        return False
    return m.value <= goal if m.relation == "cap" else m.value >= goal


def _zero_incidents(ms: dict[str, Metric]) -> str:
    names = [m.ind.zero_label or m.name for m in ms.values()
             if m.ind.higher_is_better is False and m.ind.kind == "count"
             and m.value == 0 and m.relation == "cap" and m.target == 0]
    return phrasing.zero_incident(names) if names else ""


def check_unit(inputs: Inputs, unit: str, year: int) -> dict[str, str]:
    """The unit's 单位信息 row; DataError when the unit or its year is not in the workbook."""
    info = inputs.workbook.unit_info(unit)
    if not ((inputs.facts["unit"] == unit) & (inputs.facts["year"] == year)).any():
        years = sorted(set(inputs.facts.loc[inputs.facts["unit"] == unit, "year"]))
        have = "、".join(f"{y}年" for y in years) or "无"
        raise DataError(f"单位“{unit}”没有{year}年的指标数据（已有：{have}）",
                        file=inputs.workbook.file_label, sheet="指标数据")
    return info


# Errors that matter only for the document's own year: other years' required values are
# not stated, and a published rank is phrased against the units of the document's year.
YEAR_SCOPED = frozenset({"missing_required", "rank_over_peers"})


# Warnings that ``strict`` turns into errors: the unit's words disagree with its data.
STRICT = frozenset({"text_number"})


def blocking(findings: Findings, unit: str, year: int, *,
             allow_missing: bool = False, strict: bool = False) -> list[Problem]:
    """The errors that stop ``unit``'s ``year`` document.

    Any error of the unit (in any year: its trend charts read them) or of no particular
    unit (an unknown column, a wrong 合计) stops it; the ``YEAR_SCOPED`` ones only in the
    document's year, and a missing required value not with ``allow_missing``; with
    ``strict``, also a number in the unit's 文字材料 that disagrees with its data.
    """
    out = []
    for p in findings.items:
        if p.severity != "error" and not (strict and p.rule in STRICT):
            continue
        if p.unit not in (None, unit):
            continue
        if p.rule in YEAR_SCOPED and p.year != year:
            continue
        if p.rule == "missing_required" and allow_missing:
            continue
        out.append(p)
    return out


def preflight(inputs: Inputs, unit: str, year: int, *,
              allow_missing: bool = False, strict: bool = False) -> list[Problem]:
    """Refuse, before any kernel starts, a unit-year whose data cannot make a document.

    Raises ``InvalidData`` listing every error (a ``DataError``). ``allow_missing`` lets
    absent required values through (they print as 【待填】); malformed values are always
    refused. Returns the unit's warnings.
    """
    errors = blocking(inputs.findings, unit, year, allow_missing=allow_missing, strict=strict)
    if errors:
        raise InvalidData(f"单位“{unit}”", [p.text() for p in errors])
    check_unit(inputs, unit, year)
    return [p for p in inputs.findings.warnings if p.unit in (None, unit)]


def _records(frame: pd.DataFrame, unit: str, year: int, *, upto: bool = False) -> list[dict]:
    """A text sheet's rows of ``unit`` for ``year`` (or up to it), without locations."""
    if frame.empty:
        return []
    years = frame["year"] <= year if upto else frame["year"] == year
    return records(frame[(frame["unit"] == unit) & years])


def selected_groups(pack: Pack, sections: list[str] | None) -> dict:
    """The document's sections: all of the pack's (but ``profile``), or those chosen.

    A 五城联创 county chooses its sub-campaigns with the ``sections`` parameter; the
    order stays the pack's.
    """
    known = {g.key: g for g in pack.groups if g.key != "profile"}
    if sections is None:
        return known
    unknown = [s for s in sections if s not in known]
    if unknown:
        raise UnknownNameError("章节", unknown[0], list(known))
    return {k: g for k, g in known.items() if k in sections}


def context(inputs: Inputs, unit: str, year: int, root: Path | None = None, *,
            sections: list[str] | None = None, form: str = "书面",
            addressee: str | None = None) -> dict:
    """Everything a narrative template may read for one unit-year."""
    pack, wb = inputs.pack, inputs.workbook
    preflight(inputs, unit, year, allow_missing=True)  # malformed data never reaches prose
    if form not in FORMS:
        raise HuibaoError(f"汇报形式“{form}”无法识别，应为{'或'.join(FORMS)}。")
    info = wb.unit_info(unit)
    ms = inputs.metrics(unit, year)
    region = info.get("self_ref", "")[1:] or info.get("unit_type", "")
    facts = inputs.facts[inputs.facts["year"] == year]
    level = int(facts.loc[facts["unit"] == unit, "level"].iloc[0])
    n_units = int(facts.loc[facts["level"] == level, "unit"].nunique())  # peers of its level
    honours = _records(wb.honours, unit, year, upto=True)
    boiler = boilerplate(year, pack, root)
    groups = selected_groups(pack, sections)
    chosen = {i.key for i in pack.indicators if i.group in groups or i.group == "profile"}
    return {
        "unit": {**info, "name": unit, "region": region},
        "year": year,
        "pack": pack,
        "m": ms,
        "groups": groups,
        "n_units": n_units,
        "peer_noun": pack.level_noun(level),
        "honours_all": honours,
        "honours_year": [h for h in honours if h["year"] == year],
        "activities": _records(wb.activities, unit, year),
        "systems": _records(wb.systems, unit, year),
        "boiler": boiler,
        "guiding": boiler.get("guiding", ""),
        "problems": [p for p in _problems(ms, pack, _next_targets(inputs, unit, year))
                     if p["group"] in groups],
        "zero_incidents": _zero_incidents({k: m for k, m in ms.items() if k in chosen}),
        "doc": {"form": form,
                "addressee": addressee or pack.addressee or info.get("superior") or ""},
        "own": own_text(inputs, unit, year),
    }


def own_text(inputs: Inputs, unit: str, year: int) -> OwnText:
    """The unit's 文字材料 for ``year`` by part (blocks of unknown parts are refused by the
    checks and left out here)."""
    pack, frame = inputs.pack, inputs.workbook.texts
    rows = frame[(frame["unit"] == unit) & (frame["year"] == year)] if not frame.empty else frame
    blocks = []
    for b in records(rows):
        part = texts.canonical(str(b.get("part") or ""), pack)
        if part is not None and b.get("body"):
            blocks.append({**b, "part": part})
    names = {i.key: [i.name, *i.aliases] for i in pack.indicators}
    return OwnText(blocks, names, {g.key: g.title for g in pack.groups})


def build_document(inputs: Inputs, unit: str, year: int, figures_dir: Path, *,
                   document: str = "工作总结", doc_date: str | dt.date | None = None,
                   root: Path | None = None, form: str = "书面", addressee: str | None = None,
                   sections: list[str] | None = None) -> Document:
    """The unit's ``document`` as an outline (the shared build tail, ``build.build``)."""
    kind = kinds.kind(kinds.UNIT, document)
    subject = UnitSubject(inputs, unit, year, root, form=form, addressee=addressee,
                          sections=sections)
    return build(kind, subject, year, figures_dir, doc_date=doc_date)


class UnitSubject:
    """One unit-year made ready for the build tail (``kinds.Subject``)."""

    default_date = None

    def __init__(self, inputs: Inputs, unit: str, year: int, root: Path | None = None, *,
                 form: str = "书面", addressee: str | None = None,
                 sections: list[str] | None = None) -> None:
        self.inputs, self.name, self.year, self.root = inputs, unit, year, root
        self.pack, self.form = inputs.pack, form
        self._options = {"sections": sections, "form": form, "addressee": addressee}
        self._context: dict | None = None

    def context(self) -> dict:
        if self._context is None:
            self._context = context(self.inputs, self.name, self.year, self.root,
                                    **self._options)
        return self._context

    @property
    def signatory(self) -> str:
        return self.context()["unit"].get("signatory") or self.name

    def template(self, document: str) -> Path:
        return self.pack.template_path(document)

    def own_texts(self) -> list[str]:
        return self.context()["own"].texts

    def exhibits(self, folder: Path, only: set[str]) -> dict[str, Block | None]:
        ctx = self.context()
        return build_exhibits(self.pack, self.inputs.facts, ctx["m"], self.name, self.year,
                              folder, resolve_cjk_font(), groups=set(ctx["groups"]), only=only)

    def key_table(self) -> pd.DataFrame:
        return key_table(self.inputs, self.name, self.year)

    def numbers(self) -> dict[str, dict]:
        """Indicator key → name, value and the text the document prints for it."""
        return {m.key: {"name": m.name, "value": m.value, "text": qty(m)}
                for m in self.context()["m"].values() if m.value is not None}

    def headline(self) -> str:
        return headline(self.inputs, self.name, self.year)

    def fallbacks(self) -> list[str]:
        """The parts the unit supplied no 文字材料 for (after the text is rendered)."""
        return list(dict.fromkeys(self.context()["own"].fallbacks))


class UnitScope:
    """Units: every unit of 单位信息 with data for the year, each its own documents."""

    name = kinds.UNIT

    def targets(self, inputs: Inputs, year: int, root: Path) -> list[str]:
        """Roster units with data for the year; those refused whole (a name no folder can
        carry) too, since they have rows, so that the batch lists them as 数据有误."""
        have = set(inputs.facts.loc[inputs.facts["year"] == year, "unit"])
        rows = inputs.workbook.rows
        have |= inputs.refused & set(rows.loc[rows["year"] == year, "unit"])
        return [u for u in inputs.workbook.units["unit"] if u in have]

    def plan(self, inputs: Inputs, target: str, year: int, root: Path, *,
             allow_missing: bool, strict: bool = False) -> kinds.Planned:
        warnings = tuple(w.text() for w in preflight(inputs, target, year,
                                                     allow_missing=allow_missing,
                                                     strict=strict))
        return kinds.Planned(warnings, data_view(inputs, target), peer_group=inputs.level(target))

    def peers(self, inputs: Inputs, year: int, group: object) -> dict:
        return peer_view(inputs, year, level=group)  # type: ignore[arg-type]

    def prepare(self, inputs: Inputs, target: str, year: int, root: Path,
                **options: object) -> UnitSubject:
        return UnitSubject(inputs, target, year, root, **options)  # type: ignore[arg-type]


def data_view(inputs: Inputs, unit: str) -> dict:
    """The rows a unit's document is made from: its own (``Workbook.rows_for``) and, for a
    unit with units below it, theirs too, since its rolled-up figures come from them."""
    own = inputs.workbook.rows_for(unit)
    below = inputs.tree.descendants(unit)
    if not below:
        return own
    return {"unit": own, "below": {u: inputs.workbook.rows_for(u) for u in below}}


def peer_view(inputs: Inputs, year: int, unit: str | None = None, *,
              level: int | None = None) -> dict:
    """What a ``year`` document shows of the other units of its level (``unit``'s, or
    ``level``; without either, all levels).

    The list of units of that level with data that year (they are counted and named in
    charts) and their values of the indicators drawn in cross-unit charts
    (``exhibits.CROSS_UNIT_CHARTS``). Other units' values that a document does not print
    (computed ranks shown only in the notebook) are left out, so correcting one county's
    number re-runs only the documents that print it. Units of a hierarchy are compared
    within their level (a 站 with the other 站).
    """
    facts = inputs.facts[inputs.facts["year"] == year]
    if unit is not None and "level" in facts.columns:
        mine = facts.loc[facts["unit"] == unit, "level"]
        level = int(mine.iloc[0]) if not mine.empty else 0
    if level is not None and "level" in facts.columns:
        facts = facts[facts["level"] == level]
    keys = sorted({key for spec in inputs.pack.exhibits.charts
                   if spec.kind in CROSS_UNIT_CHARTS for key in spec.indicators})
    shown = facts[facts["key"].isin(keys)].sort_values(["key", "unit"])
    values: dict[str, dict[str, float | None]] = {}
    for row in shown.itertuples():
        value = float(row.value)
        values.setdefault(row.key, {})[row.unit] = None if math.isnan(value) else value
    return {"units": sorted(set(facts["unit"])), "values": values}


def headline(inputs: Inputs, unit: str, year: int) -> str:
    """Key numbers as lines of text (checked by nbval, so the format is stable)."""
    ms = inputs.metrics(unit, year)
    lines = [f"{unit}{year}年"]
    for m in ms.values():
        if not (m.required or m.target is not None):
            continue
        line = f"{m.name}：{qty(m)}"
        if m.target is not None and m.value is not None:
            status = "达标" if m.met else "未达标"
            unit = "%" if m.ind.kind == "rate" else m.ind.word
            target = phrasing.fmt_number(m.target, m.ind.decimals or 0)
            line += f"（目标{target}{unit}，{status}）"
        lines.append(line)
    return "\n".join(lines)


kinds.registry.register_scope(UnitScope())
