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

import numpy as np
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


def _loc(row: Mapping) -> dict:
    return {k: (None if pd.isna(row[k]) else row[k]) for k in LOC if k in row}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, for the few rows a check reports (``iterrows`` is slow)."""
    return frame.to_dict("records")


class _Cells:
    """(unit, year, key) → the value's location, indexed on the first problem only."""

    def __init__(self, wb: Workbook) -> None:
        self.values = wb.values
        self.index: dict[tuple, int] | None = None

    def __getitem__(self, at: tuple) -> dict:
        v = self.values
        if self.index is None:
            keys = zip(v["unit"], v["year"], v["key"], strict=True)
            self.index = {}
            for i, k in enumerate(keys):
                self.index.setdefault(k, i)
        return _loc(v.iloc[self.index[at]])


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


def _bad_name(unit: str, row: Mapping) -> Problem | None:
    problem = config.unit_name_problem(unit)
    if problem is None:
        return None
    return Problem("bad_unit_name", problem.rstrip("。"), unit=unit,
                   expected="不含控制字符和路径字符、不以“.”开头、不过长的单位名称",
                   **_loc(row))


def _units(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    roster = wb.units
    dup = roster[roster.duplicated("unit", keep="first")]
    for row in _records(dup):
        yield Problem("duplicate_unit", f"单位“{config.printable(row['unit'])}”在单位信息表中"
                      "出现了不止一次", unit=row["unit"], **_loc(row))
    named = roster if not roster.empty else wb.rows
    for row in _records(named.drop_duplicates("unit")):
        bad = _bad_name(row["unit"], row)
        if bad is not None:
            yield bad
    if roster.empty:
        if not wb.values.empty:
            yield Problem("no_roster", f"没有“{SHEET_UNITS}”表，无法核对单位名称，也无法生成"
                          "文档的署名", severity="warning", file=wb.file_label)
        return
    known = list(dict.fromkeys(roster["unit"]))
    seen: set[tuple] = set()
    close_to: dict[str, str] = {}
    listed = "、".join(known) if len(known) <= 30 else "、".join(known[:30]) + "等"
    for name in ("rows", "targets", "honours", "activities", "systems"):
        frame = getattr(wb, name)  # (values: the rows' cells, reported with their row)
        for row in _records(frame[~frame["unit"].isin(known)]):
            key = (row["file"], row["sheet"], row["row"])
            if key in seen:
                continue
            seen.add(key)
            unit = row["unit"]
            if unit not in close_to:  # once per name: difflib is slow on a long roster
                close = difflib.get_close_matches(unit, known, n=1, cutoff=0.5)
                close_to[unit] = (f"单位信息表中的单位（最接近的是“{close[0]}”）" if close
                                  else f"单位信息表中的单位（{listed}）")
            yield Problem("unknown_unit", f"单位“{config.printable(unit)}”不在单位信息表中",
                          unit=unit, expected=close_to[unit], **_loc(row))


def _peer_counts(wb: Workbook, levels: dict[str, int]) -> dict[tuple[int, int], int]:
    """(year, level) → how many units of that level have a data row that year (refused
    units apart, as in the documents)."""
    rows = wb.rows[~wb.rows["unit"].isin(refused_units(wb))]  # they are no peers
    if rows.empty:
        return {}
    rows = rows.assign(level=rows["unit"].map(levels).fillna(0).astype(int))
    return rows.groupby(["year", "level"])["unit"].nunique().to_dict()


def _ranges(wb: Workbook, pack: Pack, levels: dict[str, int] | None = None) -> Iterator[Problem]:
    """Values out of range; a rank beyond the number of units of its level that year.

    The tests are whole-column comparisons; only the rows they flag are visited.
    """
    levels = levels or {}
    v = wb.values
    if v.empty:
        return
    peers = _peer_counts(wb, levels)
    kind = v["key"].map({i.key: i.kind for i in pack.indicators})
    value = v["value"]
    n = pd.Series([peers.get((y, levels.get(u, 0))) for u, y in
                   zip(v["unit"], v["year"], strict=True)], index=v.index, dtype=float)
    n = n.fillna(value)
    rank, rate = kind == "rank", kind == "rate"
    flagged = (rank & ((value < 1) | (value > n))) | (~rank & (kind != "bool") & (value < 0)) \
        | (rate & ((value > 100) | ((value > 0) & (value < 1))))
    for row, peers_n in zip(_records(v[flagged]), n[flagged], strict=True):
        ind = pack.by_key[row["key"]]
        where = {"unit": row["unit"], "year": row["year"], "key": row["key"], **_loc(row)}
        val = row["value"]
        if ind.kind == "rank" and val < 1:
            yield Problem("negative", "排名应从1开始", value=fmt_number(val, 0),
                          expected="不小于1的整数", **where)
        elif ind.kind == "rank" and val > peers_n:
            count = int(peers_n)
            yield Problem("rank_over_peers", f"名次大于数据中{row['year']}年的单位数（{count}个）",
                          value=fmt_number(val, 0), expected=f"1到{count}之间的整数",
                          **where)
        elif ind.kind != "bool" and val < 0:
            yield Problem("negative", f"“{ind.name}”不能为负数", value=fmt_number(val, 2),
                          expected="不小于0的数值", **where)
        elif ind.kind == "rate" and val > 100:
            yield Problem("rate_over_100", "比率超过100%", value=fmt_number(val, 2),
                          expected="0到100之间的百分数（如 92.5 表示 92.5%）", **where)
        elif ind.kind == "rate" and 0 < val < 1:
            yield Problem("rate_fraction", "比率疑似以小数填写（0.85 应写作 85）",
                          severity="warning", value=fmt_number(val, 3),
                          expected="百分数的数值", **where)


def _wide(wb: Workbook) -> pd.DataFrame:
    return wb.values.pivot_table(index=["unit", "year"], columns="key", values="value",
                                 aggfunc="first")


def _parts(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.values.empty:
        return
    wide = _wide(wb)
    cells = _Cells(wb)
    for ind in pack.indicators:
        parent = pack.by_key.get(ind.parent) if ind.parent else None
        if parent is None or ind.key not in wide or parent.key not in wide:
            continue
        both = wide[[ind.key, parent.key]].dropna()
        for (unit, year), row in both[both[ind.key] > both[parent.key]].iterrows():
            yield Problem("part_exceeds_total",
                          f"“{ind.name}”（{_num(ind, row[ind.key])}）大于其总数“{parent.name}”"
                          f"（{_num(parent, row[parent.key])}）", unit=unit, year=year,
                          key=ind.key, value=fmt_number(row[ind.key], ind.decimals or 0),
                          expected=f"不大于“{parent.name}”", **cells[(unit, year, ind.key)])


def _rates(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.values.empty:
        return
    wide = _wide(wb)
    cells = _Cells(wb)
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
                              **cells[(unit, year, ind.key)])


def _totals(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    if wb.totals.empty or wb.values.empty:
        return
    by = ["file", "sheet", "year", "key"]
    groups = wb.values.groupby(by)["value"].agg(["sum", "count"])
    sums, counts = groups["sum"].to_dict(), groups["count"].to_dict()
    listed = wb.rows.groupby(["file", "sheet", "year"]).size().to_dict()
    for total in _records(wb.totals):
        ind = pack.by_key[total["key"]]
        if ind.kind not in ADDITIVE or ind.is_derived:
            continue
        at = tuple(total[k] for k in by)
        count = counts.get(at, 0)
        if not count or count < listed.get(at[:3], 0):
            continue  # a unit left this cell blank: the sum is not comparable
        expected = sums[at]
        decimals = ind.decimals or 0
        if abs(total["value"] - expected) > 0.5 * 10 ** -decimals + 1e-6:
            yield Problem("total_mismatch",
                          f"“{total['unit']}”行与各单位之和不符（各单位合计"
                          f"{fmt_number(expected, decimals)}）", year=total["year"],
                          key=total["key"], value=fmt_number(total["value"], decimals),
                          expected=fmt_number(expected, decimals), **_loc(total))


def _required(wb: Workbook, pack: Pack,
              rolled: AbstractSet[tuple[str, int]] = frozenset()) -> Iterator[Problem]:
    """Required values missing; a parent's rolled-up ones (``rolled``) come from below."""
    required = [i for i in pack.collected if i.required]
    if not required or wb.rows.empty:
        return
    blanks: dict[tuple, dict] = {}
    for cell in _records(wb.blanks):
        blanks.setdefault((cell["unit"], cell["year"], cell["key"]), cell)
    columns = ["unit", "year", "keys", "file", "sheet", "row"]
    for unit, year, keys, file, sheet, row in zip(*(wb.rows[c] for c in columns),
                                                  strict=True):
        from_below = (unit, int(year)) in rolled
        for ind in required:
            if from_below and ind.rollup_rule != "own":
                continue
            in_sheet = ind.key in keys
            cell = blanks.get((unit, year, ind.key)) if in_sheet else None
            if in_sheet and cell is None:
                continue
            where = {"unit": unit, "year": int(year), "key": ind.key, "file": file,
                     "sheet": sheet, "row": row}
            if not in_sheet:
                yield Problem("missing_required", f"缺少必填指标“{ind.name}”（表中没有这一列）",
                              column=ind.header, expected="填写该指标", **where)
            else:
                yield Problem("missing_required", f"必填指标“{ind.name}”未填写",
                              column=cell["column"], letter=cell["letter"],
                              expected=f"以“{ind.unit}”计的数值", **where)


def _facts(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    form = pack.form
    checks = (("honours", "level", form.honour_levels, "级别"),
              ("activities", "category", form.activity_categories, "类别"),
              ("systems", "action", form.system_actions, "方式"))
    for name, field_, allowed, label in checks:
        frame = getattr(wb, name)
        bad = frame[frame[field_].notna() & ~frame[field_].isin(list(allowed))]
        for row in _records(bad):
            yield Problem(f"bad_{field_}", f"{label}不在可选范围内", unit=row["unit"],
                          year=None if pd.isna(row["year"]) else int(row["year"]),
                          value=row[field_], expected="、".join(allowed),
                          **{**_loc(row), "column": label})


def _jumps(wb: Workbook, pack: Pack) -> Iterator[Problem]:
    """Implausible changes from the year before: whole-column tests, flagged rows visited."""
    v = wb.values
    if v.empty:
        return
    prev = v[["unit", "year", "key", "value"]].assign(year=v["year"] + 1)
    both = v.merge(prev, on=["unit", "year", "key"], suffixes=("", "_prev"))
    if both.empty:
        return
    c = pack.checks
    kind = both["key"].map({i.key: i.kind for i in pack.indicators})
    old, new = both["value_prev"], both["value"]
    ratio = (new / old.where(old > 0)).where(old > 0, np.where(new > 0, np.inf, 1.0))
    jump = ((kind == "rate") & ((new - old).abs() > c.rate_jump_points)) | (
        kind.isin(ADDITIVE) & ((ratio >= c.jump_ratio) | (ratio <= 1 / c.jump_ratio))
        & ((new - old).abs() >= c.jump_min))
    for row in _records(both[jump]):
        ind = pack.by_key[row["key"]]
        yield Problem("jump", f"较上年（{_num(ind, row['value_prev'])}）变化异常，请核实",
                      severity="warning", unit=row["unit"], year=int(row["year"]),
                      key=row["key"], value=fmt_number(row["value"], ind.decimals or 0),
                      **_loc(row))
