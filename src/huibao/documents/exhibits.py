"""Build a pack's exhibits for one unit-year: chart PNGs and indicator tables.

The pack's ``charts.yaml`` says which exhibits exist and from which indicators; this module
turns each spec into an outline block (``Figure`` or ``Table``). Chart drawing itself is
``huibao.documents.charts``; numbers in tables are formatted by ``huibao.prose.phrasing``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from huibao.documents import charts
from huibao.facts.metric import Metric
from huibao.packs.schema import ChartSpec, Pack, TableSpec
from huibao.prose import phrasing
from huibao.render.fonts import FontChoice
from huibao.render.outline import Block, Figure, Table

TABLE_MISSING = "【待填】"
NOT_COLLECTED = "—"  # the year lies outside the workbook: nothing was to be filled
MIN_TREND_YEARS = 2


# Chart kinds that draw every unit's value for the year: a unit's document changes when
# another unit's value of these indicators does (``unit.peer_view``).
CROSS_UNIT_CHARTS = frozenset({"bar_compare"})


def _caption(spec: ChartSpec | TableSpec, **fields: object) -> str:
    """The caption with its fields: {unit}, {year}, {first}, {last}; {peers} (the peer noun
    of the unit's level) in cross-unit charts."""
    return spec.caption.format(**fields)


def trend_frame(facts: pd.DataFrame, pack: Pack, unit: str, keys: list[str],
                last: int) -> pd.DataFrame:
    """Years × indicator names for one unit, years up to ``last`` (NaN where missing)."""
    rows = facts[(facts["unit"] == unit) & facts["key"].isin(keys) & (facts["year"] <= last)]
    wide = rows.pivot_table(index="year", columns="key", values="value", aggfunc="first")
    wide = wide.reindex(columns=keys)
    wide.columns = [pack.indicator(k).name for k in keys]
    return wide.sort_index()


def _trend(spec: ChartSpec, pack: Pack, facts: pd.DataFrame, unit: str, year: int,
           folder: Path, font: FontChoice) -> Figure | None:
    frame = trend_frame(facts, pack, unit, spec.indicators, year)
    if len(frame.index) < MIN_TREND_YEARS:
        return None  # a single year is not a trend
    path = charts.trend_chart(frame, folder / f"{spec.key}.png", ylabel=spec.ylabel, font=font,
                              decimals=pack.indicator(spec.indicators[0]).decimals)
    first, last = int(frame.index.min()), int(frame.index.max())
    return Figure(path, _caption(spec, unit=unit, year=year, first=first, last=last))


def level_of(facts: pd.DataFrame, unit: str) -> int:
    """The unit's level in the hierarchy (0 at the top, or without one)."""
    if "level" not in facts.columns:
        return 0
    rows = facts.loc[facts["unit"] == unit, "level"]
    return int(rows.iloc[0]) if not rows.empty else 0


def same_level(facts: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The facts of the units of ``unit``'s level: units are compared within a level."""
    if "level" not in facts.columns:
        return facts
    return facts[facts["level"] == level_of(facts, unit)]


def _compare(spec: ChartSpec, pack: Pack, facts: pd.DataFrame, unit: str, year: int,
             folder: Path, font: FontChoice) -> Figure | None:
    """Every unit of the unit's level that year, one bar each; None for a unit alone at a
    level of a hierarchy (a 中心 has no peer to compare with)."""
    key = spec.indicators[0]
    level = level_of(facts, unit)
    peers = same_level(facts, unit)
    rows = peers[(peers["year"] == year) & (peers["key"] == key)]
    units = sorted(set(peers.loc[peers["year"] == year, "unit"]))
    if len(units) < 2 and "level" in facts.columns and facts["level"].nunique() > 1:
        return None
    values = rows.set_index("unit")["value"].reindex(units)
    own = rows[rows["unit"] == unit]["target"]
    target = float(own.iloc[0]) if not own.empty and pd.notna(own.iloc[0]) else None
    path = charts.bar_compare(units, [None if pd.isna(v) else float(v) for v in values],
                              folder / f"{spec.key}.png", ylabel=spec.ylabel, highlight=unit,
                              target=target, decimals=pack.indicator(key).decimals, font=font)
    return Figure(path, _caption(spec, unit=unit, year=year, peers=pack.level_noun(level)))


def _completion(spec: ChartSpec, pack: Pack, facts: pd.DataFrame, unit: str, year: int,
                folder: Path, font: FontChoice) -> Figure | None:
    rows = facts[(facts["unit"] == unit) & (facts["year"] == year)].set_index("key")
    labels, ratios = [], []
    for key in spec.indicators:
        if pack.indicator(key).kind in ("rate", "score"):
            continue  # rates compare in points, not as a share of their target
        if key in rows.index and pd.notna(rows.at[key, "completion"]):
            labels.append(pack.indicator(key).name)
            ratios.append(float(rows.at[key, "completion"]))
    if not labels:
        return None
    path = charts.completion_chart(labels, ratios, folder / f"{spec.key}.png", font=font)
    return Figure(path, _caption(spec, unit=unit, year=year))


_CHARTS = {"trend": _trend, "bar_compare": _compare, "completion": _completion}


def _cell(value: float | None, m: Metric) -> str:
    if value is None:
        return TABLE_MISSING
    if m.ind.kind == "bool":
        return "是" if value else "否"
    return phrasing.fmt_number(value, m.ind.decimals or 0)


def change_cell(m: Metric) -> str:
    """Year-on-year column: +1.2 (points) for rates, +12.3% for amounts, 新增 from zero."""
    if m.value is None or m.prev is None:
        return "—"
    delta = m.shown(m.value) - m.shown(m.prev)
    if m.ind.kind in ("rate", "score", "rank"):
        unit = "位" if m.ind.kind == "rank" else ""  # rate points, score points: table note
        text = phrasing.fmt_number(abs(delta), m.ind.decimals or 0)
    elif m.prev == 0:
        return f"+{phrasing.fmt_number(m.value, m.ind.decimals or 0)}" if m.value > 0 else "持平"
    else:
        unit = "%"
        text = phrasing.fmt_number(abs(delta) / m.prev * 100, 1)
    if float(text) == 0:
        return "持平"
    return f"{'+' if delta > 0 else '-'}{text}{unit}"


def status_cell(m: Metric) -> str:
    if m.met is None:
        return "—"
    return "达到目标" if m.met else "未达目标"


def target_table(spec: TableSpec, metrics: dict[str, Metric], unit: str, year: int,
                 has_prev_year: bool = True) -> Table:
    """指标完成情况表: indicator, unit, last year, this year, change, target, status."""
    columns = ["指标", "单位", f"{year - 1}年", f"{year}年", "较上年", "目标值", "完成情况"]
    rows = []
    for key in spec.indicators:
        m = metrics[key]
        target = "—" if m.target is None else phrasing.fmt_number(m.target, m.ind.decimals or 0)
        if m.target is not None and m.relation == "cap" and m.target != 0:
            target = f"≤{target}"
        prev = _cell(m.prev, m) if has_prev_year else NOT_COLLECTED
        rows.append([m.name, m.ind.unit, prev, _cell(m.value, m), change_cell(m),
                     target, status_cell(m)])
    notes = ["注：比率类指标的“较上年”为百分点差，得分类为分差，其他指标为增减百分比；"
             "“—”表示无对应数据或未设目标。"]
    return Table(_caption(spec, unit=unit, year=year), columns, rows, notes=notes)


def build_exhibits(pack: Pack, facts: pd.DataFrame, metrics: dict[str, Metric], unit: str,
                   year: int, folder: Path, font: FontChoice,
                   groups: set[str] | None = None,
                   only: set[str] | None = None) -> dict[str, Block | None]:
    """Render every chart of the pack into ``folder`` and build its tables.

    An exhibit that does not apply (a trend over one year, no quantity with a target,
    only indicators of sections the unit does not write: ``groups``) maps to None, and
    the narrative leaves it out. Exhibits keep only the indicators of ``groups``; with
    ``only``, exhibits not named there are not drawn (None).
    """
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Block | None] = {}

    def kept(keys: list[str]) -> list[str]:
        if groups is None:
            return keys
        return [k for k in keys if pack.indicator(k).group in groups | {"profile"}]

    for spec in pack.exhibits.charts:
        keys = kept(spec.indicators) if only is None or spec.key in only else []
        out[spec.key] = _CHARTS[spec.kind](spec.model_copy(update={"indicators": keys}), pack,
                                           facts, unit, year, folder, font) if keys else None
    has_prev = bool((facts["year"] == year - 1).any())
    for tspec in pack.exhibits.tables:
        keys = kept(tspec.indicators) if only is None or tspec.key in only else []
        out[tspec.key] = target_table(tspec.model_copy(update={"indicators": keys}), metrics,
                                      unit, year, has_prev) if keys else None
    return out
