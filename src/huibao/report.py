"""One unit's document, end to end: inputs → facts → exhibits → narrative → outline.

The notebook calls these functions in order and shows the intermediate results; the
runner only executes the notebook. Nothing here knows about fonts or page layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import yaml

from huibao import config, narrative, phrasing
from huibao.errors import DataError, InvalidData, PackError
from huibao.exhibits import build_exhibits
from huibao.facts import Metric, metrics_for
from huibao.findings import Findings, Problem
from huibao.fonts import resolve_cjk_font
from huibao.intake import Workbook, read_workbook
from huibao.metrics import FACT_COLUMNS, compute_facts
from huibao.outline import Document, Figure, Signature
from huibao.schema import Pack, load_pack
from huibao.template_api import date_of, problem, qty, target_level
from huibao.validate import validate


@dataclass
class Inputs:
    """A campaign pack with one workbook's data and the facts computed from it."""

    pack: Pack
    workbook: Workbook
    facts: pd.DataFrame
    findings: Findings


def load_inputs(campaign: str, data_path: str | Path | list, root: Path | None = None) -> Inputs:
    """Read and validate the input files (a path, folder, glob or list; relative to root).

    Problems are kept in ``findings``, not raised: ``preflight`` decides per unit.
    """
    root = root or config.project_root()
    pack = load_pack(campaign, config.templates_dir(root))
    wb = read_workbook(data_path, pack, root)
    findings = validate(wb, pack)
    if wb.values.empty:
        facts = pd.DataFrame(columns=FACT_COLUMNS)
    else:
        facts = compute_facts(wb.values, wb.targets, pack)
    return Inputs(pack, wb, facts, findings)


def guiding_text(year: int, root: Path | None = None) -> str:
    """The year-keyed 指导思想 snippet from templates/boilerplate.yaml."""
    path = config.templates_dir(root) / "boilerplate.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8")).get("guiding", [])
    for e in entries:
        if e["from"] <= year and (e.get("to") is None or year <= e["to"]):
            return str(e["text"])
    raise PackError(str(path), f"没有适用于{year}年的指导思想表述（guiding）")


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
            if goal is None:
                continue
            if m.relation == "cap" and goal == 0:
                targets.append(f"杜绝{m.name}发生")
            else:
                targets.append(f"{m.name}{target_level(replace(m, target=goal))}")
        out.append({"group": group.key, "metrics": bad,
                    "sentences": ["，".join(x for x in (m.ind.gap, problem(m)) if x) for m in bad],
                    "targets": targets})
    return out


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


def context(inputs: Inputs, unit: str, year: int, root: Path | None = None) -> dict:
    """Everything a narrative template may read for one unit-year."""
    pack, wb = inputs.pack, inputs.workbook
    preflight(inputs, unit, year, allow_missing=True)  # malformed data never reaches prose
    info = wb.unit_info(unit)
    ms = metrics_for(inputs.facts, pack, unit, year)
    region = info.get("self_ref", "")[1:] or info.get("unit_type", "")
    honours = wb.honours[(wb.honours["unit"] == unit) & (wb.honours["year"] <= year)]
    n_units = int(inputs.facts.loc[inputs.facts["year"] == year, "unit"].nunique())
    return {
        "unit": {**info, "name": unit, "region": region},
        "year": year,
        "pack": pack,
        "m": ms,
        "groups": {g.key: g for g in pack.groups if g.key != "profile"},
        "n_units": n_units,
        "honours_all": honours.to_dict("records"),
        "guiding": guiding_text(year, root),
        "problems": _problems(ms, pack, _next_targets(inputs, unit, year)),
        "zero_incidents": _zero_incidents(ms),
    }


def build_document(inputs: Inputs, unit: str, year: int, figures_dir: Path, *,
                   document: str = "工作总结", doc_date: str | dt.date | None = None,
                   root: Path | None = None) -> Document:
    """Render the pack's template for one unit-year into an outline with its exhibits."""
    pack = inputs.pack
    ctx = context(inputs, unit, year, root)
    exhibits = build_exhibits(pack, inputs.facts, ctx["m"], unit, year, figures_dir,
                              resolve_cjk_font())
    template = pack.template_path(document)
    text = narrative.render(template, ctx)
    narrative.check_leaks(text, str(template))
    date = date_of(doc_date, year)
    title = f"{unit}{year}年{pack.name}{document}"
    return Document(
        title=title,
        blocks=narrative.parse(text, exhibits),
        signature=Signature(ctx["unit"].get("signatory") or unit, date),
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
