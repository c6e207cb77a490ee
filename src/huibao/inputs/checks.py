"""Checks that need whole tables, run after reading; every problem located, all in one pass.

Errors: unknown or duplicated units, unit names that cannot name a folder; negative values;
rates above 100 %; a part (其中) larger than its total; a given rate that disagrees with its
numerator and denominator; 合计 rows that do not add up; required values missing;
enumerations outside their lists.
Warnings: implausible year-on-year jumps; a rate that looks like a fraction; no roster.
Hierarchy (上级单位, see ``hierarchy``): an unknown parent or a cycle is an error; a parent
whose rolled-up value cannot be computed because a unit below lacks it is a missing value
(an error for a required indicator, as a blank would be, else a warning); a parent's own
figure that differs from its units' aggregate is a warning. A parent's blank cells of
rolled-up indicators are not missing: the value comes from below.

``validate(workbook, pack, levels=…, rolled=…)`` returns the reading problems followed by
these; ``huibao.facts.loader.check_workbook`` adds the hierarchy's own problems, so callers
(``huibao check``, the planner's preflight) see one list.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from functools import partial

import pandas as pd

from huibao import config
from huibao.inputs.findings import Findings, Problem
from huibao.inputs.text_checks import check_texts
from huibao.inputs.workbook import LOC, SHEET_UNITS, Workbook
from huibao.numbers import fmt_number
from huibao.packs.schema import Indicator, Pack

ADDITIVE = ("count", "amount", "money")


def validate(wb: Workbook, pack: Pack, *, levels: Mapping[str, int] | None = None,
             rolled: AbstractSet[tuple[str, int]] = frozenset(),
             strict: bool = False) -> Findings:
    """The reading problems, then the checks of this module.

    ``levels`` (each unit's hierarchy level) and ``rolled`` (the (parent, year) pairs whose
    indicators come from the units below) are the workbook's roll-up, which the caller
    has made (``huibao.facts.loader.check_workbook``, which adds its problems too).
    ``strict``: a number in the 文字材料 that disagrees with the data is an error.
    """
    out = Findings(list(wb.findings))
    for check in (_units, partial(_ranges, levels=dict(levels or {})), _parts, _rates, _totals,
                  partial(_required, rolled=rolled), _facts, _jumps):
        out.extend(check(wb, pack))
    out.extend(check_texts(wb, pack, strict=strict))
    return out


def _loc(row: pd.Series) -> dict:
    return {k: (None if pd.isna(row[k]) else row[k]) for k in LOC if k in row}


def _num(ind: Indicator, value: float) -> str:
    return fmt_number(value, ind.decimals or 0) + ("%" if ind.kind == "rate" else ind.unit)


# The frames whose rows belong to a unit (the roster itself apart).
UNIT_FRAMES = ("rows", "values", "targets", "honours", "activities", "systems")


def refused_units(wb: Workbook) -> set[str]:
    """Units whose rows are refused whole: not in 单位信息 (when the workbook has one), or
    named so that no output folder can carry the name (``config.unit_name_problem``).

    ``_units`` reports each (``unknown_unit``, ``bad_unit_name``); the loader leaves their
    rows out of everything other units' documents are made from (counts, ranks, charts,
    roll-ups), so what ``huibao check`` refuses never feeds another unit's numbers.
    """
    known = set(wb.units["unit"])
    named = set(wb.units["unit"]).union(*(set(getattr(wb, f)["unit"]) for f in UNIT_FRAMES))
    return {u for u in named if isinstance(u, str)
            and ((known and u not in known) or config.unit_name_problem(u) is not None)}


def _bad_name(unit: str, row: pd.Series) -> Problem | None:
    problem = config.unit_name_problem(unit)
    if problem is None:
        return None
    return Problem("bad_unit_name", problem.rstrip("。"), unit=unit,
                   expected="不含控制字符和路径字符、不以“.”开头、不过长的单位名称",
                   **_loc(row))


def _units(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    roster = wb.units
    dup = roster[roster.duplicated("unit", keep="first")]
    for _, row in dup.iterrows():
        yield Problem("duplicate_unit", f"单位“{config.printable(row.unit)}”在单位信息表中"
                      "出现了不止一次", unit=row.unit, **_loc(row))
    named = roster if not roster.empty else wb.rows
    for _, row in named.drop_duplicates("unit").iterrows():
        bad = _bad_name(row.unit, row)
        if bad is not None:
            yield bad
    if roster.empty:
        if not wb.values.empty:
            yield Problem("no_roster", f"没有“{SHEET_UNITS}”表，无法核对单位名称，也无法生成"
                          "文档的署名", severity="warning", file=wb.file_label)
        return
    known = list(dict.fromkeys(roster["unit"]))
    seen: set[tuple] = set()
    for name in ("rows", "targets", "honours", "activities", "systems"):
        frame = getattr(wb, name)  # (values: the rows' cells, reported with their row)
        for _, row in frame[~frame["unit"].isin(known)].iterrows():
            key = (row.file, row.sheet, row.row)
            if key in seen:
                continue
            seen.add(key)
            close = difflib.get_close_matches(row.unit, known, n=1, cutoff=0.5)
            hint = (f"单位信息表中的单位（最接近的是“{close[0]}”）" if close
                    else f"单位信息表中的单位（{'、'.join(known)}）")
            yield Problem("unknown_unit", f"单位“{config.printable(row.unit)}”不在单位信息表中",
                          unit=row.unit,
                          expected=hint, **_loc(row))


def _with_ind(frame: pd.DataFrame, pack: Pack) -> Iterator[tuple[pd.Series, Indicator]]:
    for _, row in frame.iterrows():
        yield row, pack.by_key[row.key]


def _peer_counts(wb: Workbook, levels: dict[str, int]) -> dict[tuple[int, int], int]:
    """(year, level) → how many units of that level have a data row that year (refused
    units apart, as in the documents)."""
    rows = wb.rows[~wb.rows["unit"].isin(refused_units(wb))]  # they are no peers
    if rows.empty:
        return {}
    rows = rows.assign(level=rows["unit"].map(levels).fillna(0).astype(int))
    return rows.groupby(["year", "level"])["unit"].nunique().to_dict()


def _ranges(wb: Workbook, pack: Pack, levels: dict[str, int] | None = None) -> Iterator[Problem]:
    """Values out of range; a rank beyond the number of units of its level that year."""
    levels = levels or {}
    peers = _peer_counts(wb, levels)
    for row, ind in _with_ind(wb.values, pack):
        where = {"unit": row.unit, "year": row.year, "key": row.key, **_loc(row)}
        v = row.value
        n = peers.get((row.year, levels.get(row.unit, 0)), v)
        if ind.kind == "rank" and v < 1:
            yield Problem("negative", "排名应从1开始", value=fmt_number(v, 0),
                          expected="不小于1的整数", **where)
        elif ind.kind == "rank" and v > n:
            yield Problem("rank_over_peers", f"名次大于数据中{row.year}年的单位数（{n}个）",
                          value=fmt_number(v, 0), expected=f"1到{n}之间的整数",
                          **where)
        elif ind.kind != "bool" and v < 0:
            yield Problem("negative", f"“{ind.name}”不能为负数", value=fmt_number(v, 2),
                          expected="不小于0的数值", **where)
        elif ind.kind == "rate" and v > 100:
            yield Problem("rate_over_100", "比率超过100%", value=fmt_number(v, 2),
                          expected="0到100之间的百分数（如 92.5 表示 92.5%）", **where)
        elif ind.kind == "rate" and 0 < v < 1:
            yield Problem("rate_fraction", "比率疑似以小数填写（0.85 应写作 85）",
                          severity="warning", value=fmt_number(v, 3),
                          expected="百分数的数值", **where)


def _wide(wb: Workbook) -> pd.DataFrame:
    return wb.values.pivot_table(index=["unit", "year"], columns="key", values="value",
                                 aggfunc="first")


def _cell(wb: Workbook, unit: str, year: int, key: str) -> pd.Series:
    v = wb.values
    return v[(v.unit == unit) & (v.year == year) & (v.key == key)].iloc[0]


def _parts(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.values.empty:
        return
    wide = _wide(wb)
    for ind in pack.indicators:
        parent = pack.by_key.get(ind.parent) if ind.parent else None
        if parent is None or ind.key not in wide or parent.key not in wide:
            continue
        both = wide[[ind.key, parent.key]].dropna()
        for (unit, year), row in both[both[ind.key] > both[parent.key]].iterrows():
            cell = _cell(wb, unit, year, ind.key)
            yield Problem("part_exceeds_total",
                          f"“{ind.name}”（{_num(ind, row[ind.key])}）大于其总数“{parent.name}”"
                          f"（{_num(parent, row[parent.key])}）", unit=unit, year=year,
                          key=ind.key, value=fmt_number(row[ind.key], ind.decimals or 0),
                          expected=f"不大于“{parent.name}”", **_loc(cell))


def _rates(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.values.empty:
        return
    wide = _wide(wb)
    for ind in pack.indicators:
        d = ind.derive
        if d is None or not {ind.key, d.numerator, d.denominator} <= set(wide.columns):
            continue
        rows = wide[[ind.key, d.numerator, d.denominator]].dropna()
        for (unit, year), row in rows.iterrows():
            den = row[d.denominator] * d.denominator_scale
            if den == 0:
                continue
            expected = row[d.numerator] / den * 100
            given = row[ind.key]
            tolerance = 0.5 if float(given).is_integer() else 0.05
            if abs(given - expected) > tolerance + 1e-9:
                num, dnm = pack.by_key[d.numerator], pack.by_key[d.denominator]
                yield Problem("rate_mismatch",
                              f"“{ind.name}”与由“{num.name}”（{_num(num, row[d.numerator])}）"
                              f"和“{dnm.name}”（{_num(dnm, row[d.denominator])}）算出的"
                              f"{fmt_number(expected, 2)}%不符", unit=unit, year=year,
                              key=ind.key, value=fmt_number(given, 2),
                              expected=f"约{fmt_number(expected, ind.decimals or 1)}",
                              **_loc(_cell(wb, unit, year, ind.key)))


def _totals(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.totals.empty:
        return
    rows = wb.values
    for _, total in wb.totals.iterrows():
        ind = pack.by_key[total.key]
        if ind.kind not in ADDITIVE or ind.is_derived:
            continue
        same = rows[(rows.file == total.file) & (rows.sheet == total.sheet)
                    & (rows.year == total.year) & (rows.key == total.key)]
        listed = wb.rows[(wb.rows.file == total.file) & (wb.rows.sheet == total.sheet)
                         & (wb.rows.year == total.year)]
        if same.empty or len(same) < len(listed):
            continue  # a unit left this cell blank: the sum is not comparable
        expected = same["value"].sum()
        if abs(total.value - expected) > 0.5 * 10 ** -(ind.decimals or 0) + 1e-6:
            yield Problem("total_mismatch",
                          f"“{total.unit}”行与各单位之和不符（各单位合计"
                          f"{fmt_number(expected, ind.decimals or 0)}）", year=total.year,
                          key=total.key, value=fmt_number(total.value, ind.decimals or 0),
                          expected=fmt_number(expected, ind.decimals or 0), **_loc(total))


def _required(wb: Workbook, pack: Pack,
              rolled: frozenset[tuple[str, int]] = frozenset()) -> Iterator[Problem]:
    """Required values missing; a parent's rolled-up ones (``rolled``) come from below."""
    required = [i for i in pack.collected if i.required]
    blanks = wb.blanks.set_index(["unit", "year", "key"]) if not wb.blanks.empty else None
    for _, row in wb.rows.iterrows():
        from_below = (row.unit, int(row.year)) in rolled
        for ind in required:
            if from_below and ind.rollup_rule != "own":
                continue
            where = {"unit": row.unit, "year": int(row.year), "key": ind.key,
                     "file": row.file, "sheet": row.sheet, "row": row.row}
            if ind.key not in row["keys"]:
                yield Problem("missing_required", f"缺少必填指标“{ind.name}”（表中没有这一列）",
                              column=ind.header, expected="填写该指标", **where)
            elif blanks is not None and (row.unit, row.year, ind.key) in blanks.index:
                cell = blanks.loc[(row.unit, row.year, ind.key)]
                cell = cell.iloc[0] if isinstance(cell, pd.DataFrame) else cell
                yield Problem("missing_required", f"必填指标“{ind.name}”未填写",
                              column=cell.column, letter=cell.letter,
                              expected=f"以“{ind.unit}”计的数值", **where)


def _facts(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    form = pack.form
    checks = (("honours", "level", form.honour_levels, "级别"),
              ("activities", "category", form.activity_categories, "类别"),
              ("systems", "action", form.system_actions, "方式"))
    for name, field_, allowed, label in checks:
        frame = getattr(wb, name)
        for _, row in frame.iterrows():
            value = row[field_]
            if value is None or pd.isna(value) or value in allowed:
                continue
            yield Problem(f"bad_{field_}", f"{label}不在可选范围内", unit=row.unit,
                          year=None if pd.isna(row.year) else int(row.year), value=value,
                          expected="、".join(allowed), **{**_loc(row), "column": label})


def _jumps(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    v = wb.values
    if v.empty:
        return
    prev = v[["unit", "year", "key", "value"]].assign(year=v["year"] + 1)
    both = v.merge(prev, on=["unit", "year", "key"], suffixes=("", "_prev"))
    c = pack.checks
    for _, row in both.iterrows():
        ind = pack.by_key[row.key]
        old, new = row.value_prev, row.value
        if ind.kind == "rate":
            jump = abs(new - old) > c.rate_jump_points
        elif ind.kind in ADDITIVE:
            ratio = new / old if old > 0 else float("inf") if new > 0 else 1.0
            jump = (ratio >= c.jump_ratio or ratio <= 1 / c.jump_ratio) and \
                abs(new - old) >= c.jump_min
        else:
            continue
        if jump:
            yield Problem("jump", f"较上年（{_num(ind, old)}）变化异常，请核实",
                          severity="warning", unit=row.unit, year=int(row.year), key=row.key,
                          value=fmt_number(new, ind.decimals or 0), **_loc(row))
