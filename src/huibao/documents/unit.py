"""One unit's document, end to end: inputs → facts → exhibits → narrative → outline.

The notebook calls these functions in order and shows the intermediate results; the
runner only executes the notebook. Nothing here knows about fonts or page layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd

from huibao.documents.exhibits import build_exhibits
from huibao.errors import DataError, HuibaoError, InvalidData, UnknownNameError
from huibao.facts.loader import Inputs, load_inputs  # noqa: F401  (load_inputs: public here for notebooks until the public face lands)
from huibao.facts.metric import Metric, metrics_for
from huibao.inputs.findings import Findings, Problem
from huibao.inputs.workbook import records
from huibao.packs.params import FORMS
from huibao.packs.schema import Pack
from huibao.packs.wording import boilerplate
from huibao.prose import narrative, phrasing
from huibao.prose.functions import date_of, problem, qty, target_level
from huibao.render.fonts import resolve_cjk_font
from huibao.render.outline import Document, Figure, Signature


def key_table(inputs: Inputs, unit: str, year: int) -> pd.DataFrame:
    """The unit-year's indicators as an analyst reads them (for the notebook)."""
    ms = metrics_for(inputs.facts, inputs.pack, unit, year)
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


def blocking(findings: Findings, unit: str, year: int, *,
             allow_missing: bool = False) -> list[Problem]:
    """The errors that stop ``unit``'s ``year`` document.

    Any error of the unit (in any year: its trend charts read them) or of no particular
    unit (an unknown column, a wrong 合计) stops it; the ``YEAR_SCOPED`` ones only in the
    document's year, and a missing required value not with ``allow_missing``.
    """
    out = []
    for p in findings.errors:
        if p.unit not in (None, unit):
            continue
        if p.rule in YEAR_SCOPED and p.year != year:
            continue
        if p.rule == "missing_required" and allow_missing:
            continue
        out.append(p)
    return out


def preflight(inputs: Inputs, unit: str, year: int, *,
              allow_missing: bool = False) -> list[Problem]:
    """Refuse, before any kernel starts, a unit-year whose data cannot make a document.

    Raises ``InvalidData`` listing every error (a ``DataError``). ``allow_missing`` lets
    absent required values through (they print as 【待填】); malformed values are always
    refused. Returns the unit's warnings.
    """
    errors = blocking(inputs.findings, unit, year, allow_missing=allow_missing)
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
    ms = metrics_for(inputs.facts, pack, unit, year)
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
    }


# Document type → title pattern (documents.md §2, §3).
TITLES = {"工作总结": "{unit}{year}年{name}工作总结",
          "汇报材料": "关于{unit}{year}年{name}工作情况的汇报"}


def build_document(inputs: Inputs, unit: str, year: int, figures_dir: Path, *,
                   document: str = "工作总结", doc_date: str | dt.date | None = None,
                   root: Path | None = None, form: str = "书面", addressee: str | None = None,
                   sections: list[str] | None = None) -> Document:
    """Render the pack's template for one unit-year into an outline with its exhibits.

    A 汇报材料 spoken to an inspection team (``form="迎检"``) has no signature; its date
    stands in brackets under the title instead.
    """
    pack = inputs.pack
    if document not in TITLES:
        raise UnknownNameError("文档类型", document, list(TITLES))
    ctx = context(inputs, unit, year, root, sections=sections, form=form, addressee=addressee)
    template = pack.template_path(document)
    text = narrative.render(template, ctx)
    narrative.check_leaks(text, str(template))
    # Only the exhibits the text places are drawn: charts are most of a document's cost.
    exhibits = build_exhibits(pack, inputs.facts, ctx["m"], unit, year, figures_dir,
                              resolve_cjk_font(), groups=set(ctx["groups"]),
                              only=narrative.exhibit_keys(text))
    date = date_of(doc_date, year)
    spoken = document == "汇报材料" and form == "迎检"
    signature = Signature(ctx["unit"].get("signatory") or unit, date)
    return Document(
        title=TITLES[document].format(unit=unit, year=year, name=pack.name),
        subtitle=f"（{phrasing.fmt_date(date)}）" if spoken else None,
        blocks=narrative.parse(text, exhibits),
        signature=None if spoken else signature,
        author=ctx["unit"].get("signatory") or unit,
        created=dt.datetime.combine(date, dt.time(9, 0)),
        keywords=f"{pack.name};{document};{year}",
    )


def headline(inputs: Inputs, unit: str, year: int) -> str:
    """Key numbers as lines of text (checked by nbval, so the format is stable)."""
    ms = metrics_for(inputs.facts, inputs.pack, unit, year)
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


def figures(doc: Document) -> list[Figure]:
    """The figures of a document, in order (for display in the notebook)."""
    return [b for b in doc.blocks if isinstance(b, Figure)]
