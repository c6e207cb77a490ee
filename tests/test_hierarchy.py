"""Hierarchy roll-ups (站 → 所 → 中心, 社区 → 街道): a parent's figures come from its units.

The expected values are recomputed here from the sample workbooks with openpyxl and plain
Python (the rules read from indicators.yaml with yaml), never with huibao's arithmetic.
Also: a unit below without a value leaves its parents' missing (【待填】); a parent's own
figure that differs is a located warning; bad 上级单位 are located errors; units are ranked
and counted within their level; and a changed 站 value re-runs exactly its 站, 所 and 中心.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
import yaml
from batch_project import make_project, set_value

from huibao.config import layout_profile_path
from huibao.documents import unit as report
from huibao.errors import InvalidData
from huibao.facts import hierarchy, loader
from huibao.packs import params
from huibao.render import word
from huibao.render.layout import load_profile
from huibao.run.batch import run_batch
from huibao.run.manifest import Status
from huibao.run.plan import Job, Planner

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
DATA = {c: ROOT / "data" / f"{c}_sample.xlsx" for c in ("shijian", "grid")}
DEFAULT_RULE = {"count": "sum", "amount": "sum", "money": "sum", "rate": "mean",
                "score": "mean", "rank": "own", "bool": "min"}
CENTRE = "示例县新时代文明实践中心"
YUNXI = "云溪镇新时代文明实践所"
MEILING = "云溪镇梅岭村新时代文明实践站"
QINGSHAN = "青山镇新时代文明实践所"
FENGLIN = "青山镇枫林村新时代文明实践站"


# --------------------------------------------------------------------------- independent


def _rows(ws) -> tuple[int, list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "单位" in r)
    return head + 1, [str(h) for h in rows[head]], rows[head + 1:]


class Sample:
    """A sample workbook read with openpyxl, and its pack's rules read with yaml."""

    def __init__(self, campaign: str, path: Path | None = None) -> None:
        self.path = path or DATA[campaign]
        pack = yaml.safe_load((ROOT / "templates" / campaign / "indicators.yaml")
                              .read_text("utf-8"))
        self.inds = {i["key"]: i for i in pack["indicators"]}
        wb = openpyxl.load_workbook(self.path, data_only=True)
        _, head, rows = _rows(wb["单位信息"])
        self.parent = {r[0]: r[head.index("上级单位")] for r in rows
                       if r[0] and r[head.index("上级单位")]}
        self.top, head, rows = _rows(wb["指标数据"])
        by_header = {f"{i['name']}（{i['unit']}）": k for k, i in self.inds.items()}
        self.column = {by_header[h]: i for i, h in enumerate(head) if h in by_header}
        self.values: dict[tuple[str, int, str], float] = {}
        self.rows: set[tuple[str, int]] = set()
        self.row_of: dict[tuple[str, int], int] = {}
        for n, r in enumerate(rows):
            if not r[0]:
                continue
            self.rows.add((r[0], int(r[1])))
            self.row_of[(r[0], int(r[1]))] = self.top + 1 + n
            for key, c in self.column.items():
                if r[c] not in (None, ""):
                    self.values[(r[0], int(r[1]), key)] = {"是": 1.0, "否": 0.0}.get(r[c], r[c])

    def rule(self, key: str) -> str:
        ind = self.inds[key]
        return "derived" if "derive" in ind else ind.get("rollup") or DEFAULT_RULE[ind["kind"]]

    def children(self, unit: str) -> list[str]:
        return [u for u, p in self.parent.items() if p == unit]

    def depth(self, unit: str) -> int:
        return 1 + self.depth(self.parent[unit]) if unit in self.parent else 0

    def cell(self, unit: str, year: int, key: str) -> str:
        """The Excel cell of ``unit``'s ``year`` value of ``key``, like X42."""
        letter = openpyxl.utils.get_column_letter(self.column[key] + 1)
        return f"{letter}{self.row_of[(unit, year)]}"


def expected(s: Sample, unit: str, year: int, key: str) -> float | None:
    """``unit``'s value by the rules: its units' values combined, recursively."""
    rule = s.rule(key)
    kids = s.children(unit)
    if rule == "derived":
        d = s.inds[key]["derive"]
        num, den = (expected(s, unit, year, d[k]) for k in ("numerator", "denominator"))
        if num is None or not den:
            return None
        return num / (den * d.get("denominator_scale", 1)) * 100
    if not kids or rule == "own":
        return s.values.get((unit, year, key))
    got = [expected(s, k, year, key) for k in kids]
    if None in got:
        return None
    if rule == "sum":
        return sum(got)
    if rule == "mean":
        return sum(got) / len(got)
    if rule == "max":
        return max(got)
    if rule == "min":
        return min(got)
    assert rule == "weighted_mean"
    weights = [expected(s, k, year, s.inds[key]["rollup_weight"]) for k in kids]
    if None in weights:
        return None
    return sum(v * w for v, w in zip(got, weights, strict=True)) / sum(weights)


@pytest.fixture(scope="module")
def inputs() -> dict[str, loader.Inputs]:
    return {c: loader.load_inputs(c, DATA[c], ROOT) for c in DATA}


def fact(inputs: loader.Inputs, unit: str, year: int, key: str) -> float | None:
    f = inputs.facts
    rows = f[(f.unit == unit) & (f.year == year) & (f.key == key)]
    return None if rows.empty or pd.isna(rows.value.iloc[0]) else float(rows.value.iloc[0])


# --------------------------------------------------------------------------- the pack


def _edit_pack(tmp_path: Path, key: str, **fields) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates" / "grid", templates / "grid")
    path = templates / "grid" / "indicators.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    next(i for i in data["indicators"] if i["key"] == key).update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return templates


@pytest.mark.parametrize(("key", "fields", "words"), [
    ("resident_satisfaction", {"rollup_weight": "ghost"}, "ghost"),
    ("resident_satisfaction", {"rollup_weight": None}, "rollup_weight"),
    ("grid_heads", {"rollup": "median"}, "rollup"),
    ("closure_rate", {"rollup": "mean"}, "派生指标"),
    ("annual_rank", {"rollup": "sum"}, "rollup 只能是 own"),
    ("resident_satisfaction", {"rollup_weight": "annual_rank"}, "不能作为权重"),
], ids=["unknown-weight", "weight-missing", "unknown-rule", "derived", "rank", "rank-weight"])
def test_a_bad_rollup_rule_is_refused_naming_file_and_field(tmp_path, key, fields, words) -> None:
    from huibao.errors import PackError
    from huibao.packs.schema import load_pack

    with pytest.raises(PackError, match=words) as info:
        load_pack("grid", _edit_pack(tmp_path, key, **fields))
    assert "indicators.yaml" in str(info.value) and "rollup" in str(info.value)


def test_rules_default_by_kind_and_derived_rates_are_recomputed(inputs) -> None:
    pack = inputs["shijian"].pack
    assert {k: hierarchy.rule(pack.indicator(k)) for k in (
        "volunteers_registered", "funding", "volunteer_hours", "assessment_score",
        "demand_fulfil_rate", "trainings_count", "head_is_party_secretary")} == {
        "volunteers_registered": "sum", "funding": "sum", "volunteer_hours": "sum",
        "assessment_score": "mean", "demand_fulfil_rate": "derived", "trainings_count": "max",
        "head_is_party_secretary": "own"}
    grid = inputs["grid"].pack
    assert hierarchy.rule(grid.indicator("grid_normal_operation")) == "min"
    assert hierarchy.rule(pack.indicator("plan_on_time")) == "own"


# --------------------------------------------------------------------------- values


def test_parents_are_recomputed_from_the_units_below_by_every_rule(inputs) -> None:
    checked: dict[str, int] = {}
    for campaign in DATA:
        s = Sample(campaign)
        parents = sorted(set(s.parent.values()))
        assert parents, f"{campaign}: 样例数据中没有上级单位"
        for unit in parents:
            for year in range(2021, YEAR + 1):
                for key in s.inds:
                    rule = s.rule(key)
                    want, got = expected(s, unit, year, key), fact(inputs[campaign], unit, year,
                                                                    key)
                    where = f"{campaign} {unit} {year} {key}（{rule}）"
                    if want is None:
                        assert got is None, f"{where}: 应缺失，实际 {got}"
                        continue
                    assert got == pytest.approx(want, rel=1e-9), where
                    checked[rule] = checked.get(rule, 0) + 1
    assert set(checked) == {"sum", "mean", "weighted_mean", "max", "min", "derived", "own"}, \
        checked


def test_a_rate_of_a_parent_is_the_rate_of_the_summed_parts_not_a_mean(inputs) -> None:
    s = Sample("shijian")
    unit, key = "桐山街道新时代文明实践所", "demand_fulfil_rate"
    kids = s.children(unit)
    parts = [(s.values[(k, YEAR, "demands_fulfilled")], s.values[(k, YEAR, "demands_collected")])
             for k in kids]
    summed = sum(f for f, _ in parts) / sum(c for _, c in parts) * 100
    mean = sum(f / c * 100 for f, c in parts) / len(parts)
    assert abs(summed - mean) > 1  # the sample makes the difference visible
    assert fact(inputs["shijian"], unit, YEAR, key) == pytest.approx(summed)


def test_a_weighted_mean_weighs_each_unit_below(inputs) -> None:
    s = Sample("grid")
    unit, key = "玉泉街道", "resident_satisfaction"
    kids = s.children(unit)
    rates = [s.values[(k, YEAR, key)] for k in kids]
    people = [s.values[(k, YEAR, "resident_population")] for k in kids]
    weighted = sum(r * p for r, p in zip(rates, people, strict=True)) / sum(people)
    assert fact(inputs["grid"], unit, YEAR, key) == pytest.approx(weighted)
    assert abs(weighted - sum(rates) / len(rates)) > 0.01


def test_a_rolled_up_value_names_its_source(inputs) -> None:
    f = inputs["shijian"].facts
    row = f[(f.unit == QINGSHAN) & (f.year == YEAR) & (f.key == "volunteers_registered")]
    assert row.source.iloc[0] == "下级汇总（合计，2个下级单位）"
    table = report.key_table(inputs["grid"], "桐山街道", YEAR).set_index("指标")
    assert table.loc["群众满意率", "来源"] == "下级汇总（按“常住人口”加权平均，5个下级单位）"


# --------------------------------------------------------------------------- missing values


def _prose(inputs: loader.Inputs, campaign: str, unit: str, tmp_path: Path) -> str:
    p = params.merged(ROOT / "params", campaign, unit, {"year": YEAR})
    doc = report.build_document(inputs, unit, YEAR, tmp_path / "figures", root=ROOT,
                                doc_date=p.get("doc_date"), addressee=p.get("addressee"))
    path = word.write_docx(doc, tmp_path / "工作总结.docx", load_profile(layout_profile_path(
        root=ROOT)))
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_a_missing_value_below_leaves_every_parent_above_it_missing(inputs, tmp_path) -> None:
    s = Sample("shijian")
    shijian = inputs["shijian"]
    assert (MEILING, YEAR, "participants") not in s.values  # the sample's deliberate gap
    for unit in (MEILING, YUNXI, CENTRE):
        assert fact(shijian, unit, YEAR, "participants") is None, unit
    assert fact(shijian, QINGSHAN, YEAR, "participants") is not None  # no gap below it
    for unit in (YUNXI, CENTRE):
        found = [p for p in shijian.findings.errors
                 if p.unit == unit and p.key == "participants" and p.year == YEAR]
        assert len(found) == 1, unit
        text = found[0].text()
        assert MEILING in text and "不以部分下级单位的数值代替" in text
        letter_row = s.cell(MEILING, YEAR, "participants")
        assert (found[0].letter, found[0].row) == (letter_row[0], int(letter_row[1:]))
    report.preflight(shijian, YUNXI, YEAR, allow_missing=True)
    with pytest.raises(InvalidData, match=MEILING):
        report.preflight(shijian, YUNXI, YEAR)
    assert "【待填：参与群众】" in _prose(shijian, "shijian", YUNXI, tmp_path)


# --------------------------------------------------------------------------- own figures


def _copy(campaign: str, tmp_path: Path) -> Path:
    path = tmp_path / DATA[campaign].name
    shutil.copy(DATA[campaign], path)
    return path


def test_a_parents_own_figure_that_differs_is_a_located_warning(tmp_path: Path) -> None:
    path = _copy("shijian", tmp_path)
    s = Sample("shijian", path)
    total = sum(s.values[(k, YEAR, "volunteers_registered")] for k in s.children(YUNXI))
    set_value(path, YUNXI, YEAR, "注册志愿者", total + 50)
    set_value(path, QINGSHAN, YEAR, "注册志愿者",
              sum(s.values[(k, YEAR, "volunteers_registered")] for k in s.children(QINGSHAN)))
    inputs = loader.load_inputs("shijian", path, ROOT)
    warned = [p for p in inputs.findings.warnings if p.rule == "rollup_mismatch"]
    assert len(warned) == 1  # the 所 whose figure equals its 站' sum is fine
    w = warned[0]
    assert (w.unit, w.year, w.key, w.severity) == (YUNXI, YEAR, "volunteers_registered",
                                                   "warning")
    assert (w.file, w.sheet, f"{w.letter}{w.row}") == (path.name, "指标数据",
                                                      s.cell(YUNXI, YEAR, "volunteers_registered"))
    text = w.text()
    assert f"{total + 50:.0f}名" in text and f"{total:.0f}名" in text
    assert fact(inputs, YUNXI, YEAR, "volunteers_registered") == total  # the aggregate wins
    assert not [p for p in inputs.findings.errors if p.unit == YUNXI and p.year == YEAR
                and p.key == "volunteers_registered"]


# --------------------------------------------------------------------------- bad 上级单位


def _set_parents(path: Path, parents: dict[str, str]) -> dict[str, int]:
    """Write 上级单位 of some units; every unit's Excel row in 单位信息."""
    wb = openpyxl.load_workbook(path)
    ws = wb["单位信息"]
    top, head, rows = _rows(ws)
    col = head.index("上级单位") + 1
    at = {}
    for n, r in enumerate(rows):
        at[r[0]] = top + 1 + n
        if r[0] in parents:
            ws.cell(top + 1 + n, col).value = parents[r[0]]
    wb.save(path)
    return at


def test_a_cycle_and_an_unknown_parent_are_errors_naming_the_cell(tmp_path: Path) -> None:
    path = _copy("shijian", tmp_path)
    rows = _set_parents(path, {CENTRE: FENGLIN,
                               "云溪镇白鹭村新时代文明实践站": "云溪镇新时代文明实践站"})
    inputs = loader.load_inputs("shijian", path, ROOT)
    cycle = {p.unit: p for p in inputs.findings.errors if p.rule == "parent_cycle"}
    assert set(cycle) == {CENTRE, QINGSHAN, FENGLIN}
    for unit, p in cycle.items():
        assert (p.file, p.sheet, p.column) == (path.name, "单位信息", "上级单位")
        assert p.row == rows[unit]
        assert "循环" in p.text() and f"{CENTRE} → " in p.text()
    unknown = [p for p in inputs.findings.errors if p.rule == "unknown_parent"]
    assert len(unknown) == 1
    text = unknown[0].text()
    assert f"工作表“单位信息”，第{rows['云溪镇白鹭村新时代文明实践站']}行，列“上级单位”" in text
    assert "“云溪镇新时代文明实践站”" in text and YUNXI in text  # the closest name suggested
    with pytest.raises(InvalidData, match="上级单位"):
        report.preflight(inputs, CENTRE, YEAR, allow_missing=True)


def test_build_tree_without_parents_is_one_level() -> None:
    tree = hierarchy.build_tree(pd.DataFrame({"unit": ["甲", "乙"], "parent": [None, ""]}))
    assert not tree.has_levels and tree.levels == {"甲": 0, "乙": 0}
    tree = hierarchy.build_tree(pd.DataFrame({"unit": ["县", "镇", "村"],
                                              "parent": [None, "县", "镇"]}))
    assert tree.levels == {"县": 0, "镇": 1, "村": 2}
    assert tree.descendants("县") == ["镇", "村"] and tree.bottom_up() == ["镇", "县"]


def test_roll_up_of_a_flat_roster_returns_the_values_unchanged(inputs) -> None:
    values = pd.DataFrame({"unit": ["甲"], "year": [YEAR], "key": ["funding"], "value": [1.0],
                           "source": ["x"]})
    out = hierarchy.roll_up(values, inputs["shijian"].pack, pd.DataFrame({"unit": ["甲"]}))
    assert out is values


# --------------------------------------------------------------------------- levels


def test_units_are_ranked_and_counted_within_their_level(inputs) -> None:
    f = inputs["shijian"].facts
    ranked = f[(f.year == YEAR) & (f.key == "volunteers_registered")].set_index("unit")
    assert ranked.loc[FENGLIN, "n_ranked"] == 6 and ranked.loc[YUNXI, "n_ranked"] == 3
    assert ranked.loc[CENTRE, "rank"] == 1 and ranked.loc[CENTRE, "n_ranked"] == 1
    s = Sample("shijian")
    stations = [u for u in ranked.index if s.depth(u) == 2]
    by_size = sorted(stations, key=lambda u: -s.values[(u, YEAR, "volunteers_registered")])
    assert ranked.loc[by_size[0], "rank"] == 1 and ranked.loc[by_size[-1], "rank"] == 6
    for unit, n in ((FENGLIN, 6), (YUNXI, 3), (CENTRE, 1)):
        assert report.context(inputs["shijian"], unit, YEAR, ROOT)["n_units"] == n
    grid = report.context(inputs["grid"], "桐山街道东门社区", YEAR, ROOT)
    assert (grid["n_units"], grid["peer_noun"]) == (10, "社区（村）")
    assert report.peer_view(inputs["grid"], YEAR, "玉泉街道")["units"] == ["桐山街道",
                                                                              "玉泉街道"]


def test_the_compare_chart_shows_the_units_of_one_level(inputs, tmp_path, monkeypatch) -> None:
    from huibao.documents import charts, exhibits
    from huibao.facts.metric import metrics_for
    from huibao.render.fonts import resolve_cjk_font

    drawn: list[list[str]] = []
    real = charts.bar_compare
    monkeypatch.setattr(charts, "bar_compare",
                        lambda units, *a, **kw: drawn.append(list(units)) or real(units, *a, **kw))
    shijian = inputs["shijian"]
    s = Sample("shijian")

    def compare(unit: str):
        ms = metrics_for(shijian.facts, shijian.pack, unit, YEAR)
        return exhibits.build_exhibits(shijian.pack, shijian.facts, ms, unit, YEAR,
                                       tmp_path / unit, resolve_cjk_font(),
                                       only={"demand_compare"})["demand_compare"]

    figure = compare(FENGLIN)
    assert figure.caption == f"{YEAR}年全县各新时代文明实践站群众需求办结率"
    assert sorted(drawn[-1]) == sorted(u for u in s.parent if s.depth(u) == 2)
    assert compare(YUNXI).caption == f"{YEAR}年全县各新时代文明实践所群众需求办结率"
    assert sorted(drawn[-1]) == sorted(s.children(CENTRE))
    assert compare(CENTRE) is None  # alone at its level: nothing to compare with


# --------------------------------------------------------------------------- re-runs


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def _text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_a_changed_station_value_reruns_its_station_its_suo_and_the_centre_only(
        tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p")
    workbook = project / "data" / "shijian_sample.xlsx"

    def batch():
        return run_batch(YEAR, "shijian", documents=["工作总结"], jobs=2, allow_missing=True,
                         root=project)

    first = batch()
    assert {r.status for r in first.results} == {Status.OK}, [r.message for r in first.results]
    assert len(first.results) == 10
    suo = next(r.docx for r in first.results if r.unit == QINGSHAN)
    s = Sample("shijian", workbook)
    old = sum(s.values[(k, YEAR, "volunteers_registered")] for k in s.children(QINGSHAN))
    # 注册志愿者 is drawn in no cross-unit chart: only the units that state it re-run.
    set_value(workbook, FENGLIN, YEAR, "注册志愿者", s.values[(FENGLIN, YEAR,
                                                          "volunteers_registered")] + 37)
    again = batch()
    rebuilt = {r.unit for r in again.results if r.status is Status.OK}
    assert rebuilt == {FENGLIN, QINGSHAN, CENTRE}
    assert {r.status for r in again.results if r.unit not in rebuilt} == {Status.UNCHANGED}
    text = _text(suo)
    assert f"注册志愿者发展到{old + 37:.0f}名" in text and f"{old:.0f}名" not in text


def _combined(project: Path) -> dict[str, str]:
    base = params.merged(project / "params", "shijian", None, {"year": YEAR})
    planner = Planner(project, YEAR, "shijian", documents=["工作总结"],
                      overrides={"year": YEAR}, base_params=base, allow_missing=True)
    return {j.unit: j.inputs["combined"] for j in planner.plan(None) if isinstance(j, Job)}


def test_a_value_drawn_in_the_level_chart_changes_the_whole_level(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    before = _combined(project)
    # 征集群众需求 feeds 群众需求办结率, drawn for every unit of a level in one bar chart:
    # every 站 shows it, and every 所 shows its 所's rate among the 所.
    set_value(project / "data" / "shijian_sample.xlsx", FENGLIN, YEAR, "征集群众需求", 200)
    after = _combined(project)
    s = Sample("shijian")
    changed = {u for u in before if before[u] != after[u]}
    assert changed == set(before)  # 站 and 所 by the chart, the 中心 by its data
    assert {s.depth(u) for u in changed} == {0, 1, 2}


def test_a_value_outside_the_charts_changes_only_the_line_above(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    before = _combined(project)
    set_value(project / "data" / "shijian_sample.xlsx", "桐山街道松岭社区新时代文明实践站", YEAR,
              "经费投入", 5.5)
    after = _combined(project)
    assert {u for u in before if before[u] != after[u]} == {
        "桐山街道松岭社区新时代文明实践站", "桐山街道新时代文明实践所", CENTRE}
