"""Generate ``data/wenming_city_sample.xlsx``: fictional 创文 data for 示例市, 2021—2025.

Usage::

    .venv/bin/python scripts/make_sample_data.py            # writes data/wenming_city_sample.xlsx
    .venv/bin/python scripts/make_sample_data.py -o x.xlsx  # elsewhere

The workbook follows ``data/README.md``: sheets 单位信息, 指标数据, 年度目标, 荣誉. Indicator
columns come from ``templates/wenming_city/indicators.yaml`` (every indicator without
``derive``), so a new indicator added there gets a column on the next run: known keys use the
sample ranges of ``shared/domain/campaigns.md`` §1 (table ``SPECS`` below), unknown ones a
default by ``kind``. Every (unit, indicator) pair draws from its own ``random.Random`` seeded
with a string built from ``SEED``, so adding an indicator does not change any other value, and
the output is byte-for-byte identical between runs (fixed workbook properties, fixed zip
timestamps).

Units: 示例县 (the demo unit, complete 2021—2025), 云溪区, 桐山县, 白鹭县, 堃湖区 (堃 is outside
GB2312, to test font coverage), 松岭县, 玉泉区, 梅江县. Rows are sorted by unit in that order,
then by year.

Consistency (campaigns.md §9): counties 20—80 万人, districts 10—60 万人; year-over-year changes
of counts/money within ±25 % (counts under 20 can jump further because of integer steps),
mostly improving; 已完成任务 ≤ 测评体系分解任务 (80—100 %); 检查评比获第一名 ≤ 上级检查评比;
注册志愿者 8—20 % of 常住人口; rates ≤ 100; 全市年度综合排名 a permutation of 1..8 each year,
derived from a composite of the unit's rates, except one tie in ``TIE_YEAR``;
重大安全事故、刑事案件 0 for every unit and year. ``check()`` asserts all of this on each run.

示例县 has no random setbacks (``Unit.steady``): apart from the edge cases below, its values
improve or hold from year to year, so the documented adverse changes stand out.

Deliberate edge cases (also commented where they are set, see ``apply_edge_cases`` and
``make_targets``); values in brackets are those of the current SPECS and SEED:

* 示例县 2025 群众满意度 88.6 (2024: 87.3), below its default target 90 → target missed
  although improving; every earlier year is below 90 too.
* 示例县 2025 新命名文明单位 31 (2024: 28) against a per-unit target of 35 → target missed.
* 示例县 2025 注册志愿者 above its per-unit target, set ~3 % under the actual value and
  rounded down to 1000 [66298 vs target 64000; 2024: 62503] → target exceeded.
* 示例县 2025 拆除违章搭建 82 % of 2024 [207 vs 253] → a higher-is-better indicator declined.
* 示例县 2025 越级、集体上访 2 (2024: 0, target 0) → a lower-is-better indicator rose from zero.
* 示例县 2025 检查评比获第一名 2 of 5 (2024: 0 of 4) → a count growing from a zero base.
* 示例县 重大安全事故、刑事案件 0 in every year (一票否决 indicator, zero is a real value).
* 云溪区 2025 创建知晓率 (required) and 推荐“身边好人”、道德模范 (optional) are empty cells.
* 全市年度综合排名 in 2023: the 4th and 5th units share rank 4, rank 5 is skipped
  [示例县 and 堃湖区].
* 示例县 荣誉 全市创建全国文明城市工作先进县（区） in 2021, 2022 and 2024: a streak with a gap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "templates" / "wenming_city" / "indicators.yaml"
OUTPUT = ROOT / "data" / "wenming_city_sample.xlsx"

SEED = 20251231
YEARS = list(range(2021, 2026))
CITY = "示例市"
CAMPAIGN = "创建全国文明城市"
DEMO = "示例县"
TIE_YEAR = 2023
FIXED_TIME = dt.datetime(2025, 12, 31, 9, 0, 0)  # workbook properties and zip entry times

Value = int | float | str | None
Data = dict[str, dict[int, dict[str, Value]]]  # unit -> year -> key -> value


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str  # 县 | 区
    population: float  # 万人 in 2021
    strength: float  # 0..1, how well the unit does the campaign (drives rates and rank)
    steady: bool = False  # no random setbacks: only the documented edge cases go backwards

    @property
    def self_ref(self) -> str:
        return f"我{self.kind}"

    @property
    def superior(self) -> str:
        return f"{self.kind}委、{self.kind}政府"

    @property
    def signatory(self) -> str:
        return f"{self.name}{CAMPAIGN}工作指挥部办公室"


UNITS = [
    Unit(DEMO, "县", 46.8, 0.62, steady=True),
    Unit("云溪区", "区", 38.5, 0.80),
    Unit("桐山县", "县", 62.3, 0.42),
    Unit("白鹭县", "县", 29.7, 0.55),
    Unit("堃湖区", "区", 21.4, 0.66),  # 堃: outside GB2312 on purpose (font coverage)
    Unit("松岭县", "县", 24.9, 0.30),
    Unit("玉泉区", "区", 52.6, 0.74),
    Unit("梅江县", "县", 71.2, 0.38),
]

# Per-unit annual targets (年度目标 sheet): key -> rounding step of the planned figure.
TARGET_STEPS: dict[str, float] = {
    "registered_volunteers": 500,
    "civil_units_named": 1,
    "public_ads": 10,
    "creation_investment": 50,
    "rectification_drives": 1,
}

# Sample ranges from campaigns.md §1. model: how the series is drawn (see SERIES_MODELS).
SPECS: dict[str, dict[str, Any]] = {
    "population_10k": {"model": "population"},
    "community_count": {"model": "communities"},
    "member_units": {"model": "stable", "lo": 30, "hi": 60},
    "leading_group_established": {"model": "bool"},
    "tasks_assigned": {"model": "tasks"},
    "tasks_completed": {"model": "part", "lo": 0.80, "hi": 1.00, "step": (0.01, 0.04)},
    "superior_inspections": {"model": "inspections", "lo": 2, "hi": 6},
    "inspection_first_places": {"model": "part", "lo": 0.0, "hi": 1.0, "step": None},
    "annual_rank": {"model": "rank"},
    "public_ads": {"model": "growth", "lo": 200, "hi": 3000, "g": (0.05, 0.18)},
    "awareness_rate": {"model": "rate", "lo": 85, "hi": 98},
    "support_rate": {"model": "rate", "lo": 85, "hi": 98},
    "registered_volunteers": {"model": "volunteers", "lo": 8, "hi": 20},
    "good_people": {"model": "growth", "lo": 5, "hi": 60, "g": (0.05, 0.20)},
    "rectification_drives": {"model": "growth", "lo": 4, "hi": 30, "g": (0.05, 0.20)},
    "blackspots_cleared": {"model": "growth", "lo": 50, "hi": 2000, "g": (0.03, 0.18)},
    "illegal_structures_removed": {"model": "growth", "lo": 20, "hi": 500, "g": (0.03, 0.18)},
    "street_light_on_rate": {"model": "rate", "lo": 95, "hi": 100, "step": (0.2, 0.9)},
    "night_lighting_intact_rate": {"model": "rate", "lo": 90, "hi": 100, "step": (0.3, 1.5)},
    "civil_units_named": {"model": "growth", "lo": 10, "hi": 40, "g": (0.04, 0.15)},
    "civil_communities_named": {"model": "growth", "lo": 3, "hi": 10, "g": (0.05, 0.20)},
    "model_households": {"model": "growth", "lo": 200, "hi": 3000, "g": (0.05, 0.18)},
    "creation_investment": {"model": "investment", "lo": 500, "hi": 20000, "g": (0.05, 0.18)},
    "supervision_ontime_rate": {"model": "rate", "lo": 85, "hi": 100, "allow_100": True},
    "complaints_closed_rate": {"model": "rate", "lo": 90, "hi": 100, "allow_100": True},
    "mock_eval_score_rate": {"model": "rate", "lo": 65, "hi": 95, "step": (0.8, 3.0)},
    "satisfaction_rate": {"model": "rate", "lo": 80, "hi": 95},
    "major_incidents": {"model": "zero"},
    "mass_petitions": {"model": "rare", "hi": 3},
}

# Defaults for indicators added to the YAML later, by kind.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "count": {"model": "growth", "lo": 10, "hi": 100, "g": (0.04, 0.15)},
    "amount": {"model": "growth", "lo": 10, "hi": 100, "g": (0.03, 0.12)},
    "money": {"model": "growth", "lo": 500, "hi": 5000, "g": (0.05, 0.15)},
    "rate": {"model": "rate", "lo": 85, "hi": 98},
    "score": {"model": "rate", "lo": 70, "hi": 95},
    "bool": {"model": "bool"},
    "rank": {"model": "rank"},
}
DEFAULT_DECIMALS = {"rate": 1, "score": 1, "money": 2, "amount": 1}


# --------------------------------------------------------------------------- indicators


def load_indicators(path: Path = PACK) -> list[dict[str, Any]]:
    """Collected (non-derived) indicators of the pack, in pack order."""
    pack = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [ind for ind in pack["indicators"] if "derive" not in ind]


def header(ind: dict[str, Any]) -> str:
    unit = "是/否" if ind["kind"] == "bool" else ind["unit"]
    return f"{ind['name']}（{unit}）"


def decimals(ind: dict[str, Any]) -> int:
    return int(ind.get("decimals", DEFAULT_DECIMALS.get(ind["kind"], 0)))


def spec_for(ind: dict[str, Any]) -> dict[str, Any]:
    if ind["key"] in SPECS:
        return SPECS[ind["key"]]
    if ind.get("parent"):
        return {"model": "part", "lo": 0.5, "hi": 0.95, "step": (0.01, 0.04)}
    if ind["kind"] == "count" and ind.get("higher_is_better") is False:
        return {"model": "rare", "hi": 3}
    return KIND_DEFAULTS.get(ind["kind"], KIND_DEFAULTS["count"])


def rng_for(*parts: object) -> random.Random:
    """Independent, reproducible stream per (unit, indicator): str seeds hash with SHA-512."""
    return random.Random(":".join(str(p) for p in (SEED, *parts)))


# --------------------------------------------------------------------------- series models
# Each model returns one float/int/str per year (before rounding); ctx gives earlier series
# of the same unit (population before volunteers, parents before parts).

Ctx = dict[str, list[Value]]


def _size(unit: Unit) -> float:
    return min(max((unit.population - 10) / 70, 0.0), 1.0)


def m_population(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[float]:
    # counties lose a little population, districts grow a little
    lo, hi = (-0.008, 0.004) if unit.kind == "县" else (0.004, 0.022)
    values = [unit.population]
    for _ in YEARS[1:]:
        values.append(values[-1] * (1 + rng.uniform(lo, hi)))
    return values


def m_communities(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    if unit.kind == "县":  # villages: merged now and then (村居合并)
        value, sign = round(55 + unit.population * 0.85 + rng.uniform(-4, 4)), -1
    else:  # new residential communities
        value, sign = round(16 + unit.population * 0.55 + rng.uniform(-3, 3)), 1
    values = [min(max(value, 15), 120)]
    for _ in YEARS[1:]:
        step = sign * rng.randint(1, 3) if rng.random() < 0.3 else 0
        values.append(min(max(values[-1] + step, 15), 120))
    return values


def m_stable(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    lo, hi = spec["lo"], spec["hi"]
    value = round(lo + (hi - lo) * (0.1 + 0.4 * unit.strength) + rng.uniform(-2, 2))
    values = [value]
    for _ in YEARS[1:]:
        values.append(min(values[-1] + rng.randint(0, 3), hi))
    return values


def m_tasks(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    # one 任务分解表 per unit, extended when the 测评体系 edition changes in 2024
    values = [rng.randint(96, 150)]
    for year in YEARS[1:]:
        step = rng.randint(6, 14) if year == 2024 else rng.randint(0, 4)
        values.append(min(values[-1] + step, 200))
    return values


def m_inspections(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    return [rng.randint(spec["lo"], spec["hi"]) for _ in YEARS]


def m_part(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx, parent: list[Value]) -> list:
    lo, hi = spec["lo"], spec["hi"]
    values = []
    if spec["step"] is None:  # independent share each year (e.g. first places)
        for total in parent:
            share = 0.1 + 0.55 * unit.strength + rng.uniform(-0.25, 0.2)
            values.append(round(int(total) * min(max(share, lo), hi)))
        return values
    share = lo + 0.08 * unit.strength + rng.uniform(0, 0.03)
    for i, total in enumerate(parent):
        if i:
            share = min(share + rng.uniform(*spec["step"]), hi)
        values.append(min(math.floor(int(total) * share), int(total)))
    return values


def m_growth(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[float]:
    lo, hi = spec["lo"], spec["hi"]
    mix = 0.5 * _size(unit) + 0.5 * unit.strength
    value = (lo + (hi - lo) * (0.1 + 0.4 * mix)) * rng.uniform(0.85, 1.15)
    return _grow(rng, unit, value, hi, spec["g"])


def m_investment(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[float]:
    value = unit.population * rng.uniform(38, 58) * (0.8 + 0.4 * unit.strength)
    return _grow(rng, unit, max(value, spec["lo"]), spec["hi"], spec["g"])


def _setback(rng: random.Random, unit: Unit, chance: float) -> bool:
    """Draw whether this year goes backwards (always draws, so streams stay aligned)."""
    return rng.random() < chance and not unit.steady


def _grow(
    rng: random.Random, unit: Unit, value: float, hi: float, g: tuple[float, float]
) -> list[float]:
    values = [value]
    for _ in YEARS[1:]:
        change = rng.uniform(-0.15, -0.05) if _setback(rng, unit, 0.12) else rng.uniform(*g)
        values.append(min(values[-1] * (1 + change), hi))
    return values


def m_rate(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[float]:
    lo, hi = spec["lo"], spec["hi"]
    cap = 100.0 if spec.get("allow_100") else min(hi, 100.0) - (0.2 if hi >= 100 else 0)
    step = spec.get("step", (0.4, 2.2))
    value = lo + (hi - lo) * (0.15 + 0.45 * unit.strength) + rng.uniform(-1.5, 1.5)
    values = [min(value, cap)]
    for _ in YEARS[1:]:
        change = -rng.uniform(0.3, 1.5) if _setback(rng, unit, 0.15) else rng.uniform(*step)
        values.append(min(max(values[-1] + change, lo - 2), cap))
    if spec.get("allow_100"):  # 督办件、投诉件 all closed on time is a real outcome
        values = [100.0 if v >= 99.5 else v for v in values]
    return values


def m_volunteers(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    # share of the resident population, % (8–20); needs population_10k
    share = spec["lo"] + 0.5 + 2.5 * unit.strength + rng.uniform(0, 1)
    population = ctx.get("population_10k") or [unit.population] * len(YEARS)
    values = []
    for i, pop in enumerate(population):
        if i:
            share = min(share + rng.uniform(0.6, 1.6), spec["hi"] - 0.5)
        values.append(round(float(pop) * 10000 * share / 100))
    return values


def m_rare(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    values = []
    for i, _ in enumerate(YEARS):
        p = 0.45 - 0.08 * i - 0.2 * unit.strength
        values.append(rng.randint(1, spec["hi"]) if rng.random() < p else 0)
    return values


def m_zero(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[int]:
    return [0] * len(YEARS)


def m_bool(rng: random.Random, unit: Unit, spec: dict, ctx: Ctx) -> list[str]:
    return ["是"] * len(YEARS)


SERIES_MODELS: dict[str, Callable[..., list]] = {
    "population": m_population,
    "communities": m_communities,
    "stable": m_stable,
    "tasks": m_tasks,
    "inspections": m_inspections,
    "growth": m_growth,
    "investment": m_investment,
    "rate": m_rate,
    "volunteers": m_volunteers,
    "rare": m_rare,
    "zero": m_zero,
    "bool": m_bool,
}


def rounded(ind: dict[str, Any], value: Value) -> Value:
    if value is None or isinstance(value, str):
        return value
    places = decimals(ind)
    return round(float(value), places) if places else round(value)


# --------------------------------------------------------------------------- generation


def generate(indicators: list[dict[str, Any]]) -> Data:
    data: Data = {u.name: {y: {} for y in YEARS} for u in UNITS}
    for unit in UNITS:
        ctx: Ctx = {}
        for ind in indicators:
            spec = spec_for(ind)
            if spec["model"] == "rank":
                continue  # ranks come last, from the finished data of all units
            rng = rng_for(unit.name, ind["key"])
            if spec["model"] == "part":
                series = m_part(rng, unit, spec, ctx, ctx[ind["parent"]])
            else:
                series = SERIES_MODELS[spec["model"]](rng, unit, spec, ctx)
            series = [rounded(ind, v) for v in series]
            ctx[ind["key"]] = series
            for year, value in zip(YEARS, series, strict=True):
                data[unit.name][year][ind["key"]] = value
    apply_edge_cases(data)
    for ind in indicators:
        if spec_for(ind)["model"] == "rank":
            assign_ranks(data, ind["key"], indicators)
    return data


def apply_edge_cases(data: Data) -> None:
    """Overwrite a few generated values with the documented edge cases."""
    demo = data[DEMO]
    # EDGE: 群众满意度 below the default target 90 every year, improving: 2025 88.6 vs 87.3.
    for year, value in zip(YEARS, [82.6, 84.2, 85.5, 87.3, 88.6], strict=True):
        set_if(demo[year], "satisfaction_rate", value)
    # EDGE: 新命名文明单位 2025 31 (2024: 28); its 2025 per-unit target is 35 → missed.
    for year, value in zip(YEARS, [22, 24, 26, 28, 31], strict=True):
        set_if(demo[year], "civil_units_named", value)
    # EDGE: higher-is-better indicator declines: 拆除违章搭建 2025 ≈ 82 % of 2024.
    if "illegal_structures_removed" in demo[2025]:
        demo[2025]["illegal_structures_removed"] = round(
            int(demo[2024]["illegal_structures_removed"]) * 0.82
        )
    # EDGE: lower-is-better indicator rises from zero: 越级、集体上访 0 in 2024 → 2 in 2025.
    for year, value in zip(YEARS, [2, 1, 0, 0, 2], strict=True):
        set_if(demo[year], "mass_petitions", value)
    # EDGE: zero base: 检查评比获第一名 0 of 4 in 2024 → 2 of 5 in 2025.
    for year, total, firsts in ((2024, 4, 0), (2025, 5, 2)):
        set_if(demo[year], "superior_inspections", total)
        set_if(demo[year], "inspection_first_places", firsts)
    # EDGE: 重大安全事故、刑事案件 0 throughout (the generator gives 0 to every unit).
    # EDGE: 云溪区 2025 leaves a required (创建知晓率) and an optional (推荐“身边好人”) value empty.
    for key in ("awareness_rate", "good_people"):
        set_if(data["云溪区"][2025], key, None)


def set_if(row: dict[str, Value], key: str, value: Value) -> None:
    if key in row:  # the pack may drop an indicator; edge cases follow it
        row[key] = value


def assign_ranks(data: Data, key: str, indicators: list[dict[str, Any]]) -> None:
    """Rank units each year by a composite of their ↑ rates; one tie in TIE_YEAR."""
    rates = [i["key"] for i in indicators if i["kind"] == "rate" and i.get("higher_is_better")]
    for year in YEARS:
        scores = {}
        for unit in UNITS:
            row = data[unit.name][year]
            present = [float(row[k]) for k in rates if row.get(k) is not None]
            mean = sum(present) / len(present) if present else 0.0
            # field checks and surveys add noise, so the order moves from year to year
            scores[unit.name] = mean + rng_for(unit.name, key, year).uniform(-0.7, 0.7)
        order = sorted(scores, key=lambda name: -scores[name])
        ranks = {name: i + 1 for i, name in enumerate(order)}
        if year == TIE_YEAR:
            # EDGE: ranking tie — 4th and 5th share rank 4, rank 5 is skipped.
            ranks[order[4]] = 4
        for name, rank in ranks.items():
            data[name][year][key] = rank


def make_targets(data: Data, keys: list[str]) -> dict[str, dict[int, dict[str, Value]]]:
    """Plans set at the start of each year: last year's actual plus 6–14 %, rounded."""
    targets: dict[str, dict[int, dict[str, Value]]] = {u.name: {} for u in UNITS}
    for unit in UNITS:
        for year in YEARS:
            row: dict[str, Value] = {}
            for key in keys:
                rng = rng_for(unit.name, key, year, "target")
                actual = data[unit.name][year][key]
                if year == YEARS[0]:
                    base = float(actual or 0) * rng.uniform(0.92, 1.08)
                else:
                    base = float(data[unit.name][year - 1][key] or 0) * rng.uniform(1.06, 1.14)
                step = TARGET_STEPS[key]
                plan = round(base / step) * step
                row[key] = round(float(plan), 2) if key == "creation_investment" else int(plan)
            targets[unit.name][year] = row
    demo = targets[DEMO][2025]
    # EDGE: per-unit target missed — 新命名文明单位 target 35, actual 31.
    set_if(demo, "civil_units_named", 35)
    # EDGE: target exceeded — 注册志愿者 target ~3 % under the actual value, rounded down.
    if "registered_volunteers" in demo:
        actual = int(data[DEMO][2025]["registered_volunteers"])
        demo["registered_volunteers"] = math.floor(actual * 0.97 / 1000) * 1000
    return targets


# --------------------------------------------------------------------------- honours

# (unit, year, level, title, awarding body); titles without quotes, bodies fictional.
CITY_PARTY_GOV = "中共示例市委、示例市人民政府"
CITY_WMW = "示例市精神文明建设委员会"
PROV_WMW = "示例省精神文明建设委员会"
CITY_ADVANCED = "全市创建全国文明城市工作先进县（区）"
CENTRAL_WMB = "中央精神文明建设指导委员会办公室"
HONOURS: list[tuple[str, int, str, str, str]] = [
    # EDGE: streak with a gap — 全市创建全国文明城市工作先进县（区） 2021, 2022, 2024 (not 2023).
    (DEMO, 2021, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    (DEMO, 2022, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    (DEMO, 2023, "省级", "全省志愿服务先进县", PROV_WMW),
    (DEMO, 2024, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    (DEMO, 2025, "省级", "示例省文明县城", PROV_WMW),
    ("云溪区", 2021, "市级", "市级文明城区", CITY_WMW),
    ("云溪区", 2022, "国家级", "全国新时代文明实践中心建设试点县（区）", CENTRAL_WMB),
    ("云溪区", 2023, "省级", "示例省文明城区", PROV_WMW),
    ("云溪区", 2024, "省级", "全省城乡环境综合整治先进区", "示例省城乡环境综合整治领导小组"),
    ("桐山县", 2022, "市级", "全市城乡环境综合整治先进县（区）", "示例市城乡环境综合整治领导小组"),
    ("桐山县", 2024, "市级", "全市志愿服务工作先进县（区）", CITY_WMW),
    ("白鹭县", 2021, "市级", "全市移风易俗工作先进县", CITY_WMW),
    ("白鹭县", 2023, "省级", "示例省文明县城提名县城", PROV_WMW),
    ("白鹭县", 2025, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    ("堃湖区", 2022, "市级", "市级文明城区", CITY_WMW),
    ("堃湖区", 2024, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    ("堃湖区", 2025, "省级", "全省志愿服务先进区", PROV_WMW),
    ("松岭县", 2023, "市级", "全市文明村镇创建工作先进县", CITY_WMW),
    ("松岭县", 2025, "市级", "全市创建全国文明城市工作进步奖", CITY_PARTY_GOV),
    ("玉泉区", 2021, "省级", "示例省文明城区", PROV_WMW),
    ("玉泉区", 2022, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    ("玉泉区", 2024, "省级", "全省新时代文明实践中心建设示范区", "中共示例省委宣传部"),
    ("玉泉区", 2025, "市级", CITY_ADVANCED, CITY_PARTY_GOV),
    ("梅江县", 2022, "市级", "全市诚信建设工作先进县", CITY_WMW),
    ("梅江县", 2024, "省级", "示例省卫生县城", "示例省爱国卫生运动委员会"),
]


# (unit, year, name, category, times, participants, note): 重点活动, names without quotes.
ACTIVITIES: list[tuple[str, int, str, str, int | None, int | None, str]] = [
    (DEMO, 2024, "文明创建进社区宣讲", "宣传发动", 36, 5200, "讲解测评体系和市民文明公约"),
    (DEMO, 2024, "学雷锋志愿服务月", "志愿服务", 1, 8600, "集中开展便民服务和文明劝导"),
    (DEMO, 2024, "背街小巷环境综合整治", "环境整治", 12, 3100, "整治占道经营和乱堆乱放"),
    (DEMO, 2025, "文明创建进社区宣讲", "宣传发动", 42, 6300, "讲解测评体系和市民文明公约"),
    (DEMO, 2025, "文明交通劝导", "志愿服务", 48, 2400, "在主要路口劝导不文明交通行为"),
    (DEMO, 2025, "我们的节日", "文体活动", 8, 12500, "春节、清明、端午、中秋等传统节日主题活动"),
    (DEMO, 2025, "城乡环境卫生集中整治", "环境整治", 16, 4200, "清理卫生死角和违章搭建"),
    (DEMO, 2025, "文明单位结对共建", "共建共创", 24, None, "机关单位与社区结对开展共建"),
    ("云溪区", 2025, "文明交通劝导", "志愿服务", 30, 1800, "早晚高峰路口劝导"),
    ("桐山县", 2025, "移风易俗宣传", "宣传发动", 10, 2600, "倡导红事新办、白事简办"),
]

# (unit, year, name, action, issued): 制度, names without 《》.
SYSTEMS: list[tuple[str, int, str, str, str]] = [
    (DEMO, 2024, "示例县创建全国文明城市工作督查通报办法", "出台", "2024-03"),
    (DEMO, 2025, "示例县创建全国文明城市工作考核办法", "修订", "2025-02"),
    (DEMO, 2025, "示例县城市管理“门前三包”责任制实施细则", "出台", "2025-04"),
    (DEMO, 2025, "示例县志愿服务激励办法", "出台", "2025-06"),
    ("云溪区", 2025, "云溪区创建工作问题整改销号制度", "出台", "2025-05"),
]


# --------------------------------------------------------------------------- checks


def check(data: Data, targets: dict, indicators: list[dict[str, Any]]) -> None:
    """Assert the consistency rules and edge cases the docstring promises."""
    keys = {i["key"] for i in indicators}
    by_key = {i["key"]: i for i in indicators}
    for unit in UNITS:
        rows = data[unit.name]
        for year in YEARS:
            row = rows[year]
            for key, value in row.items():
                kind = by_key[key]["kind"]
                if kind == "rate" and value is not None:
                    assert 0 <= float(value) <= 100, (unit.name, year, key, value)
                complete = unit.name == DEMO or (unit.name == "云溪区" and year < 2025)
                if complete and value is None:
                    raise AssertionError(f"{unit.name} {year} {key} is missing")
            pop = row.get("population_10k")
            if pop is not None:
                lo, hi = (20, 80) if unit.kind == "县" else (10, 60)
                assert lo <= float(pop) <= hi, (unit.name, year, pop)
                if row.get("registered_volunteers") is not None:
                    share = int(row["registered_volunteers"]) / (float(pop) * 100)
                    assert 8 <= share <= 20, (unit.name, year, share)
            for key, ind in by_key.items():
                parent = ind.get("parent")
                if parent and row.get(key) is not None and row.get(parent) is not None:
                    assert int(row[key]) <= int(row[parent]), (unit.name, year, key)
            if {"tasks_completed", "tasks_assigned"} <= keys:
                assert int(row["tasks_completed"]) >= 0.8 * int(row["tasks_assigned"])
            if "major_incidents" in keys:
                assert row["major_incidents"] == 0
        for key, ind in by_key.items():
            if ind["kind"] not in ("count", "money"):
                continue
            for year in YEARS[1:]:
                prev, cur = rows[year - 1][key], rows[year][key]
                if prev is None or cur is None or float(prev) < 20:
                    continue
                change = float(cur) / float(prev) - 1
                assert abs(change) <= 0.25, (unit.name, year, key, prev, cur)
    for ind in indicators:
        if ind["kind"] != "rank":
            continue
        for year in YEARS:
            ranks = sorted(int(data[u.name][year][ind["key"]]) for u in UNITS)
            expected = list(range(1, len(UNITS) + 1))
            if year == TIE_YEAR:
                expected[4] = 4
            assert ranks == expected, (year, ranks)
    demo24, demo25 = data[DEMO][2024], data[DEMO][2025]
    t25 = targets[DEMO][2025]
    if "satisfaction_rate" in keys:
        assert float(demo25["satisfaction_rate"]) < 90
    if "civil_units_named" in keys:
        assert int(demo25["civil_units_named"]) < int(t25["civil_units_named"])
    if "registered_volunteers" in keys:
        assert int(demo25["registered_volunteers"]) > int(t25["registered_volunteers"])
    if "illegal_structures_removed" in keys:
        assert int(demo25["illegal_structures_removed"]) < int(demo24["illegal_structures_removed"])
    if "mass_petitions" in keys:
        assert (demo24["mass_petitions"], demo25["mass_petitions"]) == (0, 2)
    if "inspection_first_places" in keys:
        assert demo24["inspection_first_places"] == 0 < int(demo25["inspection_first_places"])
    met = sum(
        float(data[u][y][k]) >= float(v)  # type: ignore[arg-type]
        for u in targets
        for y in YEARS
        for k, v in targets[u][y].items()
    )
    total = sum(len(targets[u][y]) for u in targets for y in YEARS)
    assert 0.3 * total < met < 0.9 * total, (met, total)  # a mix of met and missed targets


# --------------------------------------------------------------------------- workbook

BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def number_format(ind: dict[str, Any]) -> str:
    places = decimals(ind)
    return "0." + "0" * places if places else "0"


def write_table(
    ws: Worksheet,
    headers: list[str],
    rows: list[list[Value]],
    formats: list[str | None],
    title: str | None = None,
) -> None:
    top = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        ws.cell(row=1, column=1).alignment = CENTER
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.row_dimensions[1].height = 30
        top = 2
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=top, column=col, value=text)
        cell.font, cell.alignment = BOLD, CENTER
    ws.row_dimensions[top].height = 48 if title else 20
    for r, values in enumerate(rows, start=top + 1):
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            if value is None:
                continue  # missing value: empty cell
            cell = ws.cell(row=r, column=col, value=value)
            if fmt:
                cell.number_format = fmt
    for col, text in enumerate(headers, start=1):
        widest = max([display_width(str(r[col - 1])) for r in rows if r[col - 1] is not None] + [0])
        header_width = min(display_width(text), 28) if title else display_width(text)
        width = max(header_width / 2 + 2 if title else header_width + 2, widest + 2, 8)
        ws.column_dimensions[get_column_letter(col)].width = round(min(width, 40), 1)
    ws.freeze_panes = ws.cell(row=top + 1, column=3 if title else 2)


def build_workbook(data: Data, targets: dict, indicators: list[dict[str, Any]]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位信息"
    write_table(
        ws,
        ["单位", "类型", "自称", "上级党委政府", "署名"],
        [[u.name, u.kind, u.self_ref, u.superior, u.signatory] for u in UNITS],
        [None] * 5,
    )

    years = f"{YEARS[0]}—{YEARS[-1]}年"
    ws = wb.create_sheet("指标数据")
    write_table(
        ws,
        ["单位", "年度"] + [header(i) for i in indicators],
        [
            [u.name, y] + [data[u.name][y][i["key"]] for i in indicators]
            for u in UNITS
            for y in YEARS
        ],
        [None, "0"] + [number_format(i) for i in indicators],
        title=f"{CITY}{CAMPAIGN}指标数据（{years}）",
    )

    target_inds = [i for i in indicators if i["key"] in TARGET_STEPS]
    ws = wb.create_sheet("年度目标")
    write_table(
        ws,
        ["单位", "年度"] + [header(i) for i in target_inds],
        [
            [u.name, y] + [targets[u.name][y][i["key"]] for i in target_inds]
            for u in UNITS
            for y in YEARS
        ],
        [None, "0"] + [number_format(i) for i in target_inds],
        title=f"{CITY}{CAMPAIGN}年度目标（{years}）",
    )

    order = {u.name: i for i, u in enumerate(UNITS)}
    ws = wb.create_sheet("荣誉")
    write_table(
        ws,
        ["单位", "年度", "级别", "称号", "授予单位"],
        [list(h) for h in sorted(HONOURS, key=lambda h: (order[h[0]], h[1]))],
        [None, "0", None, None, None],
    )

    ws = wb.create_sheet("重点活动")
    write_table(
        ws,
        ["单位", "年度", "活动名称", "类别", "开展次数", "参与人次", "简要说明"],
        [list(a) for a in sorted(ACTIVITIES, key=lambda a: (order[a[0]], a[1]))],
        [None, "0", None, None, "0", "0", None],
    )
    ws = wb.create_sheet("制度")
    write_table(
        ws,
        ["单位", "年度", "制度名称", "方式", "印发时间"],
        [list(r) for r in sorted(SYSTEMS, key=lambda r: (order[r[0]], r[1]))],
        [None, "0", None, None, None],
    )

    props = wb.properties
    props.creator = "huibao scripts/make_sample_data.py"
    props.title = f"{CITY}{CAMPAIGN}样例数据（虚构）"
    props.created = props.modified = FIXED_TIME
    return wb


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed properties and fixed zip entry times, so reruns give identical bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # unlike wb.save(), keeps properties.modified
    stamp = FIXED_TIME.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def read_back(path: Path) -> dict[str, list[tuple]]:
    """All cell values per sheet, for comparing runs."""
    wb = load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def summary(data: Data, targets: dict, indicators: list[dict[str, Any]]) -> str:
    lines = [f"{DEMO} 2024 → 2025"]
    for ind in indicators:
        key = ind["key"]
        prev, cur = data[DEMO][2024][key], data[DEMO][2025][key]
        target = targets[DEMO][2025].get(key, ind.get("target"))
        note = ""
        if target is not None and cur is not None and not isinstance(cur, str):
            cap = ind.get("higher_is_better") is False
            ok = float(cur) <= float(target) if cap else float(cur) >= float(target)
            note = f"  目标 {target} {'达成' if ok else '未达成'}"
        lines.append(f"  {header(ind)}: {prev} → {cur}{note}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--campaign", default="wenming_city",
                        help="pack with a sample.yaml recipe, or 'all' (default: wenming_city)")
    parser.add_argument("-o", "--output", type=Path, default=None)
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    args = parser.parse_args()
    if args.campaign != "wenming_city":
        import pack_sample  # the recipe-driven generator for every other pack

        folders = sorted(p.parent for p in (ROOT / "templates").glob("*/sample.yaml"))
        if args.campaign != "all":
            folders = [ROOT / "templates" / args.campaign]
            if not (folders[0] / "sample.yaml").is_file():
                raise SystemExit(f"templates/{args.campaign}/sample.yaml 不存在")
        for folder in folders:
            out = args.output if args.campaign != "all" and args.output else \
                ROOT / "data" / f"{folder.name}_sample.xlsx"
            pack_sample.make(folder, out, FIXED_TIME)
            print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        if args.campaign != "all":
            return
    args.output = args.output or OUTPUT

    indicators = load_indicators()
    data = generate(indicators)
    targets = make_targets(data, [i["key"] for i in indicators if i["key"] in TARGET_STEPS])
    check(data, targets, indicators)
    save_deterministic(build_workbook(data, targets, indicators), args.output)
    print(f"wrote {args.output}")
    if not args.quiet:
        print(summary(data, targets, indicators))


if __name__ == "__main__":
    main()
