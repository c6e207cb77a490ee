"""Hierarchy roll-ups: units linked by 上级单位 (中心 → 所 → 站; 街道 → 社区).

The 单位信息 column 上级单位 names each unit's parent. A unit with units below it gets
every indicator whose rule (``Indicator.rollup_rule``) is not ``own`` from its children,
bottom-up, year by year: sum, mean, weighted mean, max or min of the children's values
(already rolled up themselves, so a 中心 aggregates its 所, which aggregate their 站).
Derived rates are not aggregated at all: ``metrics.add_derived`` recomputes them from the
rolled-up numerator and denominator, so a rate is never an average of rates.

* A child without the value (a blank cell, a bad cell, no row that year) leaves the
  parent's value missing, so the parent's document prints 【待填】 rather than a partial
  sum presented as a total; the finding names the child and its cell.
* The parent's own figure for a rolled-up indicator, where the workbook has one, is
  checked against the aggregate (a warning when they differ beyond the indicator's
  decimals) and replaced by it.
* An aggregated value has no cell: its ``source`` says ``下级汇总（合计，2个下级单位）`` and
  its location fields are empty.

Units are compared with their own level only (ranks, the cross-unit bar chart, the count
of peers): the level is the depth in the tree (0 for units without 上级单位), see
``Tree.levels``. A workbook without 上级单位 is one level and nothing here changes it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from huibao.inputs.cells import fold, is_placeholder, text_of
from huibao.inputs.findings import Problem
from huibao.inputs.workbook import LOC, SHEET_UNITS, Workbook
from huibao.numbers import fmt_number
from huibao.packs.schema import ROLLUP_LABEL, Indicator, Pack

PARENT_HEADER = "上级单位"
SOURCE = "下级汇总"
NOT_AGGREGATED = frozenset({"own", "derived"})


def rule(ind: Indicator) -> str:
    """The indicator's roll-up rule: sum, mean, weighted_mean, max, min, own or derived."""
    return ind.rollup_rule


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Tree:
    """Units in roster order and their (checked) parents; problems of the 上级单位 column."""

    order: tuple[str, ...]
    parents: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def has_levels(self) -> bool:
        return bool(self.parents)

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for unit in self.order:
            parent = self.parents.get(unit)
            if parent is not None:
                out.setdefault(parent, []).append(unit)
        return out

    def children(self, unit: str) -> list[str]:
        return list(self._children.get(unit, []))

    def depth(self, unit: str) -> int:
        """0 for a unit without a parent (or not in the roster), 1 below it, …"""
        n, cur = 0, self.parents.get(unit)
        while cur is not None:
            n, cur = n + 1, self.parents.get(cur)
        return n

    @cached_property
    def levels(self) -> dict[str, int]:
        """Every roster unit's depth."""
        return {u: self.depth(u) for u in self.order}

    def descendants(self, unit: str) -> list[str]:
        """Every unit below ``unit``, depth first in roster order."""
        out: list[str] = []
        for child in self._children.get(unit, []):
            out += [child, *self.descendants(child)]
        return out

    def bottom_up(self) -> list[str]:
        """Units with children, deepest first (a 所 before its 中心)."""
        parents = [u for u in self.order if u in self._children]
        return sorted(parents, key=lambda u: -self.levels[u])


def _parent_name(raw: object) -> str | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or is_placeholder(raw):
        return None
    return fold(text_of(raw)) or None


def _where(row: Mapping, file: str | None) -> dict:
    def get(k: str) -> object:
        v = row.get(k)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    line = get("row")
    return {"file": get("file") or file, "sheet": get("sheet") or SHEET_UNITS,
            "row": None if line is None else int(line), "column": PARENT_HEADER}


def build_tree(units: pd.DataFrame, file: str | None = None) -> Tree:
    """The tree of the roster ``units`` (columns unit, parent, optionally the locations).

    An unknown parent or a cycle is a located error (file, sheet 单位信息, row, column
    上级单位); the unit concerned is then treated as having no parent.
    """
    if units.empty or "parent" not in units.columns:
        return Tree(tuple(dict.fromkeys(units.get("unit", pd.Series(dtype=object)))))
    rows = {}
    for row in units.to_dict("records"):
        rows.setdefault(fold(text_of(row["unit"])), row)
    order = tuple(rows)
    parents: dict[str, str] = {}
    problems: list[Problem] = []
    for unit, row in rows.items():
        parent = _parent_name(row.get("parent"))
        if parent is None:
            continue
        if parent not in rows:
            close = difflib.get_close_matches(parent, list(rows), n=1, cutoff=0.5)
            hint = f"单位信息表中的单位（最接近的是“{close[0]}”）" if close else \
                "单位信息表中的单位名称，或留空（没有上级单位）"
            problems.append(Problem("unknown_parent", f"上级单位“{parent}”不在单位信息表中",
                                    unit=unit, value=parent, expected=hint,
                                    **_where(row, file)))
            continue
        parents[unit] = parent
    problems += _break_cycles(parents, rows, file)
    return Tree(order, parents, tuple(problems))


def _break_cycles(parents: dict[str, str], rows: Mapping[str, Mapping],
                  file: str | None) -> list[Problem]:
    """Remove (and report) the parent links of units whose chain of parents loops."""
    problems = []
    in_cycle: set[str] = set()
    for start in list(parents):
        path, cur = [start], parents.get(start)
        while cur is not None and cur not in path and cur not in in_cycle:
            path.append(cur)
            cur = parents.get(cur)
        if cur is None or cur in in_cycle or cur != start:
            continue
        loop = " → ".join([*path, start])
        for unit in path:
            in_cycle.add(unit)
            message = ("上级单位不能是本单位" if len(path) == 1
                       else f"上级单位形成循环：{loop}")
            problems.append(Problem("parent_cycle", message, unit=unit,
                                    value=parents[unit],
                                    expected="上一级单位的名称（最上一级留空）",
                                    **_where(rows[unit], file)))
    for unit in in_cycle:
        parents.pop(unit, None)
    return problems


# --------------------------------------------------------------------------- roll-up


@dataclass(frozen=True)
class RollUp:
    """Values with the parents' indicators rolled up, and what was found doing it."""

    values: pd.DataFrame
    problems: list[Problem]
    tree: Tree
    rolled: frozenset[tuple[str, int]]  # (parent, year) whose indicators come from below


def combine(how: str, values: list[float], weights: list[float] | None = None) -> float | None:
    """The aggregate of ``values`` by rule ``how``; None when weights sum to zero."""
    if how == "sum":
        return math.fsum(values)
    if how == "mean":
        return math.fsum(values) / len(values)
    if how == "weighted_mean":
        assert weights is not None
        total = math.fsum(weights)
        return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / total \
            if total > 0 else None
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    raise ValueError(f"unknown roll-up rule {how}")


def source_text(how: str, n: int, weight: Indicator | None = None) -> str:
    """``下级汇总（合计，2个下级单位）``: what key_table's 来源 column shows."""
    label = f"按“{weight.name}”{ROLLUP_LABEL[how]}" if weight else ROLLUP_LABEL[how]
    return f"{SOURCE}（{label}，{n}个下级单位）"


def _loc(record: Mapping) -> dict:
    out = {}
    for k in LOC:
        v = record.get(k)
        out[k] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    if out.get("row") is not None:
        out["row"] = int(out["row"])
    return out


class _Aggregator:
    """One pass over the tree, bottom-up; keeps the current value of every cell."""

    def __init__(self, values: pd.DataFrame, pack: Pack, tree: Tree,
                 blanks: pd.DataFrame | None) -> None:
        self.pack, self.tree = pack, tree
        records = values.to_dict("records")
        self.cells = {(r["unit"], int(r["year"]), r["key"]): float(r["value"]) for r in records}
        self.locs = {(r["unit"], int(r["year"]), r["key"]): _loc(r) for r in records}
        blank_records = [] if blanks is None else blanks.to_dict("records")
        self.blank_at = {(r["unit"], int(r["year"]), r["key"]): _loc(r) for r in blank_records}
        self.present = {(u, y) for u, y, _ in self.cells} | {(u, y) for u, y, _ in self.blank_at}
        self.sources: dict[tuple[str, int, str], str] = {}
        self.replaced: set[tuple[str, int, str]] = set()
        self.rolled: set[tuple[str, int]] = set()
        # (parent, year, key) of a missing aggregate → the units at the bottom lacking the
        # value, and the first one's empty cell: a 中心's finding names the 站 concerned.
        self.causes: dict[tuple[str, int, str], tuple[list[str], dict]] = {}
        self.problems: list[Problem] = []
        self.aggregated = [i for i in pack.indicators if i.rollup_rule not in NOT_AGGREGATED]
        self.derived = [i for i in pack.indicators if i.is_derived]

    def run(self) -> None:
        for parent in self.tree.bottom_up():
            kids = self.tree.children(parent)
            for year in sorted({y for u, y in self.present if u in set(kids)}):
                self.rolled.add((parent, year))
                self.present.add((parent, year))
                for ind in self.aggregated:
                    self.one(parent, kids, year, ind)
                for ind in self.derived:
                    self.derived_rate(parent, year, ind)

    def one(self, parent: str, kids: list[str], year: int, ind: Indicator) -> None:
        cell = (parent, year, ind.key)
        own = self.cells.pop(cell, None)
        self.replaced.add(cell)
        got = self.of(kids, year, ind)
        weight = self.pack.by_key[ind.rollup_weight] if ind.rollup_weight else None
        weights = self.of(kids, year, weight) if weight is not None else None
        missing = [c for c, v in zip(kids, got, strict=True) if v is None]
        if not missing and weight is not None and weights is not None:
            missing = [c for c, w in zip(kids, weights, strict=True) if w is None]
            short_of = weight
        else:
            short_of = None
        if missing:
            self.problems.append(self.missing(parent, year, ind, missing, own, short_of))
            return
        value = combine(ind.rollup_rule, got, weights)  # type: ignore[arg-type]
        if value is None:
            self.problems.append(self.missing(parent, year, ind, [], own, weight))
            return
        self.cells[cell] = value
        self.sources[cell] = source_text(ind.rollup_rule, len(kids), weight)
        if own is not None:
            self.compare(parent, year, ind, own, value)

    def of(self, kids: list[str], year: int, ind: Indicator) -> list[float | None]:
        return [self.cells.get((c, year, ind.key)) for c in kids]

    def derived_rate(self, parent: str, year: int, ind: Indicator) -> None:
        """Drop a parent's own rate whose parts are rolled up: add_derived recomputes it
        from them; a given rate that disagrees with them is a warning."""
        d = ind.derive
        assert d is not None
        parts = [self.pack.by_key[d.numerator], self.pack.by_key[d.denominator]]
        if all(p.rollup_rule == "own" for p in parts):
            return
        cell = (parent, year, ind.key)
        own = self.cells.pop(cell, None)
        self.replaced.add(cell)
        num, den = (self.cells.get((parent, year, p.key)) for p in parts)
        if own is None or num is None or den is None or den == 0:
            return
        self.compare(parent, year, ind, own, num / (den * d.denominator_scale) * 100)

    def missing(self, parent: str, year: int, ind: Indicator, kids: list[str],
                own: float | None, weight: Indicator | None) -> Problem:
        """Why the parent's value is missing: units below without it (or without the
        weight), or weights that sum to zero. Located at the first empty cell below."""
        lacking = weight or ind
        leaves, loc = self.cause(kids, year, lacking)
        self.causes[(parent, year, ind.key)] = (leaves, loc)
        if kids:
            names = "、".join(f"“{c}”" for c in leaves)
            what = f"加权所用的“{weight.name}”" if weight else "这一数值"
            reason = f"下级单位{names}没有{what}"
            expected = f"由下级单位{names}补填“{lacking.name}”后自动汇总"
        else:
            reason = f"各下级单位的“{lacking.name}”之和为0，无法加权"
            expected = f"核实各下级单位的“{lacking.name}”"
        message = (f"“{parent}”{year}年的“{ind.name}”由下级单位{ROLLUP_LABEL[ind.rollup_rule]}"
                   f"得出，{reason}，汇总值按缺失处理（不以部分下级单位的数值代替）")
        if own is not None:
            message += f"；本单位填写的{self.fmt(ind, own)}未采用"
        rule_ = "missing_required" if ind.required else "rollup_missing"
        return Problem(rule_, message, "error" if ind.required else "warning", unit=parent,
                       year=year, key=ind.key, expected=expected, **loc)

    def cause(self, kids: list[str], year: int, ind: Indicator) -> tuple[list[str], dict]:
        """The units at the bottom that lack ``ind`` (a unit below whose own aggregate is
        missing stands for the units below it that caused that) and the first empty cell."""
        leaves: list[str] = []
        locs: list[dict] = []
        for kid in kids:
            below = self.causes.get((kid, year, ind.key))
            if below is not None:
                leaves += below[0]
                locs.append(below[1])
            else:
                leaves.append(kid)
                locs.append(self.blank_at.get((kid, year, ind.key), {}))
        return list(dict.fromkeys(leaves)), next((loc for loc in locs if loc), {})

    def compare(self, parent: str, year: int, ind: Indicator, own: float, value: float) -> None:
        """A warning where the parent's own figure differs from its units' aggregate
        beyond the indicator's decimals (the aggregate is used)."""
        tolerance = 0.5 * 10 ** -(ind.decimals or 0) + 1e-9
        if abs(own - value) <= tolerance:
            return
        how = "汇总后的比率" if ind.is_derived else ROLLUP_LABEL[ind.rollup_rule]
        agg = self.fmt(ind, value)
        self.problems.append(Problem(
            "rollup_mismatch",
            f"“{parent}”{year}年填写的“{ind.name}”与下级单位{how}（{agg}）不符，"
            f"文档采用下级单位{how}", "warning", unit=parent, year=year, key=ind.key,
            value=self.fmt(ind, own), expected=f"与下级单位{how}一致（{agg}），或留空由下级汇总",
            **self.locs.get((parent, year, ind.key), {})))

    @staticmethod
    def fmt(ind: Indicator, v: float) -> str:
        if ind.kind == "bool":
            return "“是”" if v else "“否”"
        return fmt_number(v, ind.decimals or 0) + ("%" if ind.kind == "rate" else ind.unit)

    def frame(self, values: pd.DataFrame) -> pd.DataFrame:
        keys = zip(values["unit"], values["year"].astype(int), values["key"], strict=True)
        kept = values[[k not in self.replaced for k in keys]]
        rows = [{"unit": u, "year": y, "key": k, "value": self.cells[(u, y, k)], "source": s}
                for (u, y, k), s in self.sources.items() if (u, y, k) in self.cells]
        added = pd.DataFrame(rows, columns=list(values.columns))
        if added.empty:
            return kept.reset_index(drop=True)
        return pd.concat([kept, added.astype({"year": values["year"].dtype})],
                         ignore_index=True)


def aggregate(values: pd.DataFrame, pack: Pack, tree: Tree, *,
              blanks: pd.DataFrame | None = None) -> RollUp:
    """Roll ``values`` up ``tree`` (see the module docstring); problems are not raised."""
    if not tree.has_levels:
        return RollUp(values, list(tree.problems), tree, frozenset())
    agg = _Aggregator(values, pack, tree, blanks)
    agg.run()
    return RollUp(agg.frame(values), [*tree.problems, *agg.problems], tree,
                  frozenset(agg.rolled))


def roll_up(values: pd.DataFrame, pack: Pack, units: pd.DataFrame, *,
            blanks: pd.DataFrame | None = None) -> pd.DataFrame:
    """``values`` (unit, year, key, value, source [+ locations]) with every parent's
    rolled-up indicators computed from its children, per year (``units``: the roster's
    unit and parent columns). A workbook without parents comes back unchanged."""
    return aggregate(values, pack, build_tree(units), blanks=blanks).values


def roll_up_workbook(wb: Workbook, pack: Pack) -> RollUp:
    """The workbook's values rolled up its 单位信息 tree, with the problems found."""
    return aggregate(wb.values, pack, build_tree(wb.units, wb.file_label), blanks=wb.blanks)


def levels(units: pd.DataFrame) -> dict[str, int]:
    """Each roster unit's level: 0 without 上级单位, 1 below such a unit, …"""
    return build_tree(units).levels
