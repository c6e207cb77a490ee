"""Sample workbooks for any pack, from the recipe in ``templates/<campaign>/sample.yaml``.

Called by ``scripts/make_sample_data.py --campaign <campaign>`` (the 文明城市 sample keeps
its own, older generator in that script). The recipe names the units, a series model per
indicator, per-unit targets, deliberate edge cases and the honours, activities and
systems; the format is described in ``templates/README.md``. Every (unit, indicator) pair
draws from its own seeded stream, so the output is identical between runs and adding an
indicator does not move any other value.

Units with a ``parent`` form a hierarchy (中心 → 所 → 站, 街道 → 社区). A unit with units
below it reports only the indicators it does not roll up (``rollup: own`` in
indicators.yaml): the cells of its rolled-up indicators are left empty, as huibao computes
them from below. Its per-unit targets are planned from its units' aggregate, computed here
by the same rules (sum, mean, weighted mean, max, min; a missing value below leaves the
aggregate missing), so that a target such as ``target_ratio`` means the same at every level.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from make_sample_data import header, number_format, save_deterministic, write_table
from openpyxl import Workbook

from huibao.facts.hierarchy import combine  # the kit's own rule: samples roll up as documents do

Value = int | float | str | None
Series = list[Value]

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "count": {"model": "growth", "lo": 10, "hi": 100, "g": [0.04, 0.15]},
    "amount": {"model": "growth", "lo": 10, "hi": 100, "g": [0.03, 0.12]},
    "money": {"model": "growth", "lo": 50, "hi": 500, "g": [0.05, 0.15]},
    "rate": {"model": "rate", "lo": 85, "hi": 98},
    "score": {"model": "rate", "lo": 75, "hi": 95},
    "bool": {"model": "bool"},
    "rank": {"model": "rank"},
}
DEFAULT_DECIMALS = {"rate": 1, "score": 1, "money": 2, "amount": 1}
# How a parent gets an indicator from its units when indicators.yaml does not say
# (templates/README.md, “汇总”): quantities add up, rates and scores average, ranks and
# other rules are the unit's own; yes/no holds only if it holds for every unit below.
DEFAULT_ROLLUP = {"count": "sum", "amount": "sum", "money": "sum", "rate": "mean",
                  "score": "mean", "rank": "own", "bool": "min"}


@dataclass(frozen=True)
class Unit:
    name: str
    type: str
    self_ref: str
    superior: str
    signatory: str
    size: float = 1.0
    strength: float = 0.5
    steady: bool = False
    parent: str | None = None


class Recipe:
    """A pack's sample.yaml with the pack's collected indicators."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.campaign = folder.name
        data = yaml.safe_load((folder / "sample.yaml").read_text(encoding="utf-8"))
        pack = yaml.safe_load((folder / "indicators.yaml").read_text(encoding="utf-8"))
        self.pack_name: str = pack["name"]
        self.indicators = [i for i in pack["indicators"] if "derive" not in i]
        self.by_key = {i["key"]: i for i in self.indicators}
        self.seed = data.get("seed", 1)
        first, last = data.get("years", [2021, 2025])
        self.years = list(range(int(first), int(last) + 1))
        self.title: str = data.get("title") or f"示例市{self.pack_name}指标数据"
        self.units = [Unit(**u) for u in data["units"]]
        self.series: dict[str, dict] = data.get("series") or {}
        self.targets: dict[str, float] = data.get("targets") or {}
        self.edges: list[dict] = data.get("edges") or []
        self.honours: list[list] = data.get("honours") or []
        self.activities: list[list] = data.get("activities") or []
        self.systems: list[list] = data.get("systems") or []
        unknown = (set(self.series) | set(self.targets)) - set(self.by_key)
        if unknown:
            raise SystemExit(f"{folder}/sample.yaml: 未知指标 {sorted(unknown)}")
        self.children: dict[str, list[str]] = {}
        for u in self.units:
            if u.parent:
                self.children.setdefault(u.parent, []).append(u.name)

    def rollup(self, ind: dict) -> str:
        return ind.get("rollup") or DEFAULT_ROLLUP[ind["kind"]]

    def depth(self, name: str) -> int:
        parent = {u.name: u.parent for u in self.units}
        n = 0
        while parent.get(name):
            n, name = n + 1, str(parent[name])
        return n

    def parents(self) -> list[Unit]:
        """Units with units below them, deepest first."""
        return sorted((u for u in self.units if u.name in self.children),
                      key=lambda u: -self.depth(u.name))

    def leaves(self) -> list[Unit]:
        return [u for u in self.units if u.name not in self.children]

    def spec(self, ind: dict) -> dict:
        if ind["key"] in self.series:
            return self.series[ind["key"]]
        if ind.get("parent"):
            return {"model": "part", "of": ind["parent"], "lo": 0.6, "hi": 0.95}
        if ind["kind"] == "count" and ind.get("higher_is_better") is False:
            return {"model": "rare", "hi": 3}
        return KIND_DEFAULTS.get(ind["kind"], KIND_DEFAULTS["count"])

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))


# --------------------------------------------------------------------------- models


def _setback(rng: random.Random, unit: Unit, chance: float) -> bool:
    return rng.random() < chance and not unit.steady  # always draws: streams stay aligned


def m_stable(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    lo, hi = spec["lo"] * unit.size, spec["hi"] * unit.size
    value = lo + (hi - lo) * (0.15 + 0.5 * unit.strength) * rng.uniform(0.9, 1.1)
    out: Series = [value]
    for _ in range(n - 1):
        out.append(min(float(out[-1]) * (1 + rng.uniform(0, 0.04)), hi))
    return out


def m_growth(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    lo, hi = spec["lo"] * unit.size, spec["hi"] * unit.size
    g = spec.get("g", [0.04, 0.15])
    value = (lo + (hi - lo) * (0.1 + 0.4 * unit.strength)) * rng.uniform(0.85, 1.15)
    out: Series = [value]
    for _ in range(n - 1):
        step = rng.uniform(-0.15, -0.05) if _setback(rng, unit, 0.15) else rng.uniform(*g)
        out.append(min(float(out[-1]) * (1 + step), hi))
    return out


def m_rate(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    lo, hi = spec["lo"], spec["hi"]
    allow_100 = spec.get("allow_100", False)
    cap = min(hi, 100.0) if allow_100 else min(hi, 100.0) - (0.2 if hi >= 100 else 0)
    step = spec.get("step", [0.3, 1.8])
    value = lo + (hi - lo) * (0.15 + 0.45 * unit.strength) + rng.uniform(-1.5, 1.5)
    out: Series = [min(max(value, lo), cap)]
    for _ in range(n - 1):
        move = -rng.uniform(0.3, 1.5) if _setback(rng, unit, 0.18) else rng.uniform(*step)
        out.append(min(max(float(out[-1]) + move, lo - 2), cap))
    if allow_100:
        out = [100.0 if float(v) >= 99.5 else v for v in out]
    return out


def m_share(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    base = ctx[spec["of"]]
    share = spec["lo"] + (spec["hi"] - spec["lo"]) * (0.2 + 0.5 * unit.strength)
    share *= rng.uniform(0.95, 1.05)
    out: Series = []
    for i, b in enumerate(base):
        if i:
            share = min(share * (1 + rng.uniform(0, 0.03)), spec["hi"])
        out.append(None if b is None else float(b) * share * spec.get("scale", 1))
    return out


def m_part(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    out = m_share(rng, unit, spec, n, ctx)
    base = ctx[spec["of"]]
    return [None if v is None else min(math.floor(float(v)), int(float(b)))
            for v, b in zip(out, base, strict=True)]


def m_zero(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    return [0] * n


def m_rare(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    out: Series = []
    for i in range(n):
        p = 0.45 - 0.08 * i - 0.2 * unit.strength
        out.append(rng.randint(1, int(spec.get("hi", 3))) if rng.random() < p else 0)
    return out


def m_bool(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    return ["是"] * n


def m_fixed(rng: random.Random, unit: Unit, spec: dict, n: int, ctx: dict) -> Series:
    return [spec["value"]] * n


MODELS = {"stable": m_stable, "growth": m_growth, "rate": m_rate, "share": m_share,
          "part": m_part, "zero": m_zero, "rare": m_rare, "bool": m_bool, "fixed": m_fixed}


def _decimals(ind: dict) -> int:
    return int(ind.get("decimals", DEFAULT_DECIMALS.get(ind["kind"], 0)))


def _rounded(ind: dict, v: Value) -> Value:
    if v is None or isinstance(v, str):
        return v
    d = _decimals(ind)
    return round(float(v), d) if d else round(float(v))


# --------------------------------------------------------------------------- generation

Data = dict[str, dict[int, dict[str, Value]]]


def _order(recipe: Recipe) -> list[dict]:
    """Indicators with the series they depend on (``of``) first."""
    done: list[dict] = []
    pending = list(recipe.indicators)
    while pending:
        for ind in pending:
            dep = recipe.spec(ind).get("of")
            if dep is None or dep in {d["key"] for d in done}:
                done.append(ind)
                pending.remove(ind)
                break
        else:
            raise SystemExit(f"sample.yaml: 循环依赖或未知的 of：{[i['key'] for i in pending]}")
    return done


def generate(recipe: Recipe) -> tuple[Data, Data, Data]:
    """The values written (a parent's rolled-up cells empty), the targets, and the values
    with every parent's aggregates filled in (what the documents show)."""
    n = len(recipe.years)
    data: Data = {u.name: {y: {} for y in recipe.years} for u in recipe.units}
    ranks = []
    for unit in recipe.units:
        ctx: dict[str, Series] = {}
        for ind in _order(recipe):
            spec = recipe.spec(ind)
            if spec["model"] == "rank":
                ranks.append(ind)
                continue
            try:
                model = MODELS[spec["model"]]
            except KeyError:
                raise SystemExit(f"sample.yaml: {ind['key']} 的 model 未知：{spec['model']}"
                                 f"（可用：{'、'.join(MODELS)}、rank）") from None
            series = [_rounded(ind, v) for v in model(recipe.rng(unit.name, ind["key"]),
                                                        unit, spec, n, ctx)]
            ctx[ind["key"]] = series
            for year, v in zip(recipe.years, series, strict=True):
                data[unit.name][year][ind["key"]] = v
    targets = make_targets(recipe, data)
    apply_edges(recipe, data)
    full = data
    if recipe.children:
        full = roll_up(recipe, data)
        targets.update(make_targets(recipe, full, recipe.parents()))
        data = {name: {y: {k: (None if name in recipe.children and
                               recipe.rollup(recipe.by_key[k]) != "own" else v)
                           for k, v in row.items()} for y, row in years.items()}
                for name, years in data.items()}
    apply_target_edges(recipe, targets, full)
    for ind in {i["key"]: i for i in ranks}.values():
        assign_ranks(recipe, data, ind["key"])
        assign_ranks(recipe, full, ind["key"])
    return data, targets, full


def roll_up(recipe: Recipe, data: Data) -> Data:
    """``data`` with each parent's rolled-up indicators aggregated from its units,
    bottom-up; a value missing below leaves the parent's missing."""
    full: Data = {u: {y: dict(row) for y, row in years.items()} for u, years in data.items()}
    for parent in recipe.parents():
        kids = recipe.children[parent.name]
        for year in recipe.years:
            for ind in recipe.indicators:
                how = recipe.rollup(ind)
                if how == "own":
                    continue
                got = [full[k][year].get(ind["key"]) for k in kids]
                weights = None
                if ind.get("rollup_weight"):
                    weights = [full[k][year].get(ind["rollup_weight"]) for k in kids]
                if any(v is None for v in [*got, *(weights or [])]):
                    full[parent.name][year][ind["key"]] = None
                    continue
                nums = [1.0 if v == "是" else 0.0 if v == "否" else float(v) for v in got]
                value = combine(how, nums, [float(w) for w in weights] if weights else None)
                if ind["kind"] == "bool" and value is not None:
                    full[parent.name][year][ind["key"]] = "是" if value else "否"
                else:
                    full[parent.name][year][ind["key"]] = value
    return full


def make_targets(recipe: Recipe, data: Data, units: list[Unit] | None = None) -> Data:
    out: Data = {u.name: {} for u in units or recipe.units}
    for unit in units or recipe.units:
        for year in recipe.years:
            row: dict[str, Value] = {}
            for key, step in recipe.targets.items():
                rng = recipe.rng(unit.name, key, year, "target")
                ref_year = year - 1 if year > recipe.years[0] else year
                ref = data[unit.name][ref_year][key]
                if ref is None:
                    continue
                factor = rng.uniform(1.06, 1.14) if year > recipe.years[0] else \
                    rng.uniform(0.92, 1.08)
                plan = max(round(float(ref) * factor / step) * step, step)
                row[key] = _rounded(recipe.by_key[key], plan) if step < 1 else int(plan)
            out[unit.name][year] = row
    return out


def apply_edges(recipe: Recipe, data: Data) -> None:
    names = {u.name for u in recipe.units}
    for e in recipe.edges:
        unit, key = e["unit"], e["key"]
        if unit not in names or key not in recipe.by_key:
            raise SystemExit(f"sample.yaml edges: 未知的单位或指标 {unit} / {key}")
        if "values" in e:
            for year, v in zip(recipe.years, e["values"], strict=True):
                data[unit][year][key] = v
        if "value" in e:
            data[unit][e["year"]][key] = e["value"]


def apply_target_edges(recipe: Recipe, targets: Data, full: Data) -> None:
    """Per-unit targets set by hand: ``target`` (a figure), or ``target_ratio`` (a share of
    the unit's own value that year, rounded to the target step of ``targets:``)."""
    for e in recipe.edges:
        unit, key, year = e["unit"], e["key"], e.get("year")
        if "target" in e:
            targets[unit][year][key] = e["target"]
        if "target_ratio" in e:
            step = recipe.targets.get(key, 1)
            value = float(full[unit][year][key]) * e["target_ratio"]  # type: ignore[arg-type]
            plan = round(value / step) * step
            targets[unit][year][key] = _rounded(recipe.by_key[key], plan) if step < 1 \
                else int(plan)


def assign_ranks(recipe: Recipe, data: Data, key: str) -> None:
    """Rank each year by the mean of the unit's ↑ rates plus survey noise (1 = best)."""
    rates = [i["key"] for i in recipe.indicators
             if i["kind"] in ("rate", "score") and i.get("higher_is_better")]
    for year in recipe.years:
        scores = {}
        for unit in recipe.leaves():  # a published rank ranks the reporting units only
            row = data[unit.name][year]
            present = [float(row[k]) for k in rates if row.get(k) is not None]
            mean = sum(present) / len(present) if present else 0.0
            scores[unit.name] = mean + recipe.rng(unit.name, key, year).uniform(-0.7, 0.7)
        order = sorted(scores, key=lambda name: -scores[name])
        for i, name in enumerate(order):
            data[name][year][key] = i + 1


def check(recipe: Recipe, data: Data) -> None:
    """Consistency the documents rely on: rates within 0–100, parts within totals (at
    every level: ``data`` with the parents' aggregates)."""
    for unit in recipe.units:
        for year in recipe.years:
            row = data[unit.name][year]
            for key, v in row.items():
                ind = recipe.by_key[key]
                if v is None or isinstance(v, str):
                    continue
                assert float(v) >= 0, (unit.name, year, key, v)
                if ind["kind"] == "rate":
                    assert float(v) <= 100, (unit.name, year, key, v)
                parent = ind.get("parent")
                if parent and row.get(parent) is not None:
                    assert float(v) <= float(row[parent]), (unit.name, year, key, parent)


# --------------------------------------------------------------------------- workbook


def build_workbook(recipe: Recipe, data: Data, targets: Data, fixed: dt.datetime) -> Workbook:
    inds = recipe.indicators
    wb = Workbook()
    ws = wb.active
    ws.title = "单位信息"
    has_parent = any(u.parent for u in recipe.units)
    cols = ["单位", "类型", "自称", "上级党委政府", "署名"] + (["上级单位"] if has_parent else [])
    write_table(ws, cols,
                [[u.name, u.type, u.self_ref, u.superior, u.signatory]
                 + ([u.parent] if has_parent else []) for u in recipe.units],
                [None] * len(cols))
    span = f"{recipe.years[0]}—{recipe.years[-1]}年"
    ws = wb.create_sheet("指标数据")
    write_table(ws, ["单位", "年度"] + [header(i) for i in inds],
                [[u.name, y] + [data[u.name][y].get(i["key"]) for i in inds]
                 for u in recipe.units for y in recipe.years],
                [None, "0"] + [number_format(i) for i in inds],
                title=f"{recipe.title}（{span}）")
    tkeys = list(recipe.targets) + [e["key"] for e in recipe.edges
                                    if "target" in e and e["key"] not in recipe.targets]
    tinds = [recipe.by_key[k] for k in dict.fromkeys(tkeys)]
    if tinds:
        ws = wb.create_sheet("年度目标")
        write_table(ws, ["单位", "年度"] + [header(i) for i in tinds],
                    [[u.name, y] + [targets[u.name][y].get(i["key"]) for i in tinds]
                     for u in recipe.units for y in recipe.years],
                    [None, "0"] + [number_format(i) for i in tinds],
                    title=f"{recipe.title.replace('指标数据', '')}年度目标（{span}）")
    order = {u.name: i for i, u in enumerate(recipe.units)}
    for sheet, cols, rows, formats in (
        ("荣誉", ["单位", "年度", "级别", "称号", "授予单位"], recipe.honours,
         [None, "0", None, None, None]),
        ("重点活动", ["单位", "年度", "活动名称", "类别", "开展次数", "参与人次", "简要说明"],
         recipe.activities, [None, "0", None, None, "0", "0", None]),
        ("制度", ["单位", "年度", "制度名称", "方式", "印发时间"], recipe.systems,
         [None, "0", None, None, None]),
    ):
        for r in rows:
            if r[0] not in order:
                raise SystemExit(f"sample.yaml {sheet}: 未知单位 {r[0]}")
        ordered = sorted(rows, key=lambda r: (order[r[0]], r[1]))
        width = len(cols)
        write_table(wb.create_sheet(sheet), cols,
                    [[*(str(c) if isinstance(c, dt.date) else c for c in r),
                      *[None] * (width - len(r))] for r in ordered], formats)
    props = wb.properties
    props.creator = "huibao scripts/make_sample_data.py"
    props.title = f"{recipe.title}样例数据（虚构）"
    props.created = props.modified = fixed
    return wb


def make(folder: Path, output: Path, fixed: dt.datetime) -> Path:
    recipe = Recipe(folder)
    data, targets, full = generate(recipe)
    check(recipe, full)
    save_deterministic(build_workbook(recipe, data, targets, fixed), output)
    return output
