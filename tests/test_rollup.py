"""The superior office's roll-up: every stated total, average, score and rank recomputed.

The expected figures come from ``tests/audit.py`` (openpyxl and yaml, no huibao code) and
the scoring rules written out again below from templates/README.md; the document is read
back from the .docx that ``word`` wrote.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
import yaml
from audit import Data, fmt, load_pack, value_text
from batch_project import ROOT, make_project, set_value
from docx import Document as read_docx

from huibao import config
from huibao.documents import area as rollup
from huibao.documents import kinds
from huibao.errors import PackError
from huibao.facts import scoring
from huibao.packs.schema import list_packs
from huibao.render import word
from huibao.render.layout import load_profile
from huibao.run import rollup as rollup_run
from huibao.run.manifest import Status

YEAR = 2025
CAMPAIGN = "wenming_city"
WORKBOOK = ROOT / "data" / "wenming_city_sample.xlsx"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load((ROOT / f"templates/{CAMPAIGN}/rollup.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def data() -> Data:
    return Data(WORKBOOK, load_pack(ROOT, CAMPAIGN))


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, tuple[str, list[list[list[str]]]]]:
    """Both roll-up documents: their paragraph text and their tables (rows of cells)."""
    out = {}
    folder = tmp_path_factory.mktemp("rollup")
    r = rollup.load(CAMPAIGN, root=ROOT)
    profile = load_profile(config.layout_profile_path(root=ROOT))
    for document in kinds.documents("area"):
        doc = rollup.build_document(r, YEAR, folder / "figures", document=document, root=ROOT)
        path = word.write_docx(doc, folder / f"{document}.docx", profile)
        d = read_docx(str(path))
        text = "\n".join(p.text for p in d.paragraphs)
        tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
        out[document] = (text, tables)
    return out


def units(data: Data, year: int = YEAR) -> list[str]:
    return [u for u in data.units if any((u, year, k) in data.values for k in data.pack)]


# -- independent recomputation -------------------------------------------------------------

def aggregate(data: Data, key: str, year: int) -> float | None:
    """The city's figure: sums of quantities, rates of summed parts, means of other rates."""
    ind = data.pack[key]
    us = units(data, year)
    if ind.derive:
        num = [data.value(u, year, ind.derive["numerator"]) for u in us]
        den = [data.value(u, year, ind.derive["denominator"]) for u in us]
        if None in num or None in den:
            return None
        return sum(num) / (sum(den) * ind.derive.get("denominator_scale", 1)) * 100
    vals = [data.value(u, year, key) for u in us]
    if None in vals:
        return None
    exact = sum(Decimal(repr(float(v))) for v in vals)  # 92.45 must stay 92.45, not 92.4499…
    return float(exact if ind.kind in ("count", "amount", "money") else exact / len(vals))


def round1(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def composite(data: Data, spec: dict, year: int) -> dict[str, float | None]:
    us = units(data, year)
    total = sum(w["weight"] for w in spec["weights"])
    acc: dict[str, float | None] = dict.fromkeys(us, 0.0)
    for w in spec["weights"]:
        ind = data.pack[w["key"]]
        vals = {u: data.value(u, year, w["key"]) for u in us}
        have = [v for v in vals.values() if v is not None]
        for u, v in vals.items():
            if v is None or acc[u] is None:
                acc[u] = None
                continue
            t = data.targets.get((u, year, w["key"]), ind.target)
            if w.get("method", "target") == "target" and t is not None:
                if ind.hib is False:
                    s = 1.0 if v <= t else (t / v if t > 0 else 0.0)
                else:
                    s = min(v / t, 1.0) if t > 0 else 1.0
            else:
                lo, hi = min(have), max(have)
                s = 1.0 if hi == lo else (v - lo) / (hi - lo)
                s = s if ind.hib is not False else 1 - s
            acc[u] += w["weight"] * s
    return {u: None if a is None else round1(a / total * 100) for u, a in acc.items()}


def ranks(scores: dict[str, float | None]) -> dict[str, int]:
    got = {u: s for u, s in scores.items() if s is not None}
    return {u: 1 + sum(1 for o in got.values() if o > s) for u, s in got.items()}


def pts(x: float) -> str:
    return fmt(x, 1)


# -- the tests -------------------------------------------------------------------------------

def test_totals_and_averages_in_the_prose_are_recomputed_from_the_workbook(docs, data, spec):
    text = docs["工作总结"][0]
    for key in spec["headline"] + spec["matrix"]:
        ind = data.pack[key]
        value = aggregate(data, key, YEAR)
        if value is None:
            assert f"【待填：{ind.name}】" in text, key
            continue
        if ind.hib is False and value == 0:
            assert f"全市未发生{ind.name}" in text
            continue
        lead = {"count": "共", "amount": "共", "money": "共"}.get(ind.kind) or (
            "总体为" if ind.derive else "平均为")
        assert f"全市{ind.name}{lead}{value_text(ind, value)}" in text, key


def test_totals_table_matches_recomputed_figures_and_met_counts(docs, data, spec):
    table = next(t for t in docs["工作总结"][1] if t[0][:2] == ["指标", "单位"])
    rows = {r[0]: r for r in table[1:]}
    for key in dict.fromkeys(spec["headline"] + spec["matrix"]):
        ind = data.pack[key]
        row = rows[ind.name]
        for col, year in ((2, YEAR - 1), (3, YEAR)):
            value = aggregate(data, key, year)
            assert row[col] == ("【待填】" if value is None else fmt(value, ind.decimals)), key
        judged = [(data.value(u, YEAR, key), data.targets.get((u, YEAR, key), ind.target))
                  for u in units(data)]
        judged = [(v, t) for v, t in judged if v is not None and t is not None]
        met = sum(1 for v, t in judged if (v <= t if ind.hib is False else v >= t))
        assert row[6] == (f"{met}/{len(judged)}" if judged else "—"), key


def test_composite_scores_and_ranks_match_an_independent_computation(docs, data, spec):
    expected = composite(data, spec, YEAR)
    expected_rank = ranks(expected)
    table = next(t for t in docs["工作总结"][1] if t[0][:3] == ["名次", "单位", "综合得分"])
    seen = {}
    for row in table[1:]:
        rank, unit, score = row[0], row[1], row[2]
        seen[unit] = score
        if expected[unit] is None:
            assert (rank, score) == ("—", "【待填】")
        else:
            assert score == fmt(expected[unit], 1)
            assert rank.split("（")[0] == str(expected_rank[unit])
            assert ("并列" in rank) == (list(expected.values()).count(expected[unit]) > 1)
    assert set(seen) == set(units(data))
    # the ranked rows run best first, then the unscored
    order = [r[1] for r in table[1:]]
    scored = [u for u in order if expected[u] is not None]
    assert scored == sorted(scored, key=lambda u: -expected[u])
    # the prose names the top three with their scores
    top = sorted((u for u in expected if expected[u] is not None), key=lambda u: -expected[u])
    top = [u for u in top if expected_rank[u] <= 3]
    listed = "、".join(f"{u}（{pts(expected[u])}分）" for u in top)
    assert listed in docs["工作总结"][0]


def test_most_improved_unit_is_named_with_its_gain(docs, data, spec):
    now, before = composite(data, spec, YEAR), composite(data, spec, YEAR - 1)
    gains = {u: round1(now[u] - before[u]) for u in now
             if now[u] is not None and before.get(u) is not None}
    best = max(gains.values())
    assert best > 0
    for u, g in gains.items():
        if g == best:
            assert f"{u}综合得分提高{pts(g)}分" in docs["工作总结"][0]
            assert f"{u}综合得分较上年提高{pts(g)}分" in docs["汇报材料"][0]


def test_units_that_missed_targets_are_named_in_problems_with_their_numbers(docs, data, spec):
    text = docs["工作总结"][0]
    problems = text.split("存在的问题", 1)[1].split("下一步打算", 1)[0]
    for key in spec["matrix"]:
        ind = data.pack[key]
        missed = []
        for u in units(data):
            v = data.value(u, YEAR, key)
            t = data.targets.get((u, YEAR, key), ind.target)
            if v is not None and t is not None and (v > t if ind.hib is False else v < t):
                missed.append((u, v))
        if not missed:
            assert f"{ind.name}方面" not in problems, key
            continue
        section = problems.split(f"{ind.name}方面，", 1)[1].split("；")[0].split("。")[0]
        if len(missed) <= rollup.MAX_NAMED:
            for u, v in missed:
                assert f"{u}（{value_text(ind, v)}）" in section, (key, u)
        else:
            assert f"{len(missed)}个县（区）未达到目标" in section or "均未达到目标" in section
            assert len(re.findall(r"（[\d.]+%?[^）]*）", section)) == 3


def test_missing_value_is_marked_not_guessed_and_the_unit_is_not_ranked(docs, data, spec):
    text = docs["工作总结"][0]
    scores = composite(data, spec, YEAR)
    unscored = [u for u, s in scores.items() if s is None]
    assert unscored, "the sample has a unit with a missing scored value"
    for u in unscored:
        assert f"{u}因" in text and "暂未计算综合得分" in text
    for document, (body, tables) in docs.items():
        cells = " ".join(c for t in tables for r in t for c in r)
        for leak in ("None", "nan", "NaN"):
            assert leak not in body and leak not in cells, (document, leak)


def test_documents_place_the_comparison_charts_and_tables(docs, spec):
    text, tables = docs["工作总结"]
    captions = re.findall(r"^图(\d+)　(.+)$", text, re.M)
    assert [int(n) for n, _ in captions] == list(range(1, len(captions) + 1))
    joined = "\n".join(c for _, c in captions)
    assert "综合得分" in joined and "目标完成情况" in joined
    assert "2021—2025年" in joined  # the small multiples
    assert any("虚线为目标值" in c for _, c in captions)
    assert len(tables) == 2
    assert docs["汇报材料"][0].startswith("关于示例市2025年")


def rank_story_problems(text: str, tables: list, data: Data, spec: dict) -> list[str]:
    """Last year's ranks and the rank moves a roll-up states, recomputed independently.

    The 上年名次 column holds the rank each unit actually had last year (among last year's
    ranked units); a move of places (排名较上年上升N位) is stated only when the same units
    were ranked both years, and then equals the difference of the two actual ranks; when
    the fields differ the table note says so, with both counts.
    """
    out = []
    now, before = composite(data, spec, YEAR), composite(data, spec, YEAR - 1)
    rank_now, rank_before = ranks(now), ranks(before)
    same = set(rank_now) == set(rank_before)
    table = next(t for t in tables if t[0][:3] == ["名次", "单位", "综合得分"])
    if table[0][5] != f"{YEAR - 1}年名次":
        out.append(f"column {table[0][5]}")
    ties = [v for v in before.values() if v is not None]
    for row in table[1:]:
        unit, cell = row[1], row[5]
        want = "—" if unit not in rank_before else str(rank_before[unit]) + (
            "（并列）" if ties.count(before[unit]) > 1 else "")
        if cell != want:
            out.append(f"{unit}: {YEAR - 1}年名次 {cell}, actual {want}")
    note = next((line for line in text.splitlines() if line.startswith("注：综合得分")), "")
    if "实际名次" not in note:
        out.append("the note does not say what the 上年名次 column is")
    if not same and f"{YEAR - 1}年参与排名的为{len(rank_before)}个" not in note:
        out.append("fields differ and the note does not say so")
    for hit in re.finditer(r"([^，。、；]+?)排名(?:较上年)?上升(\d+)位", text):
        unit, n = hit.group(1), int(hit.group(2))
        if not same:
            out.append(f"{hit.group()}: the ranked units differ between the years")
        elif unit not in rank_now or rank_before.get(unit, 0) - rank_now[unit] != n:
            out.append(f"{hit.group()}: actual {rank_before.get(unit)} → {rank_now.get(unit)}")
    return out


def test_last_years_ranks_are_actual_and_moves_only_within_one_field(docs, data, spec):
    """The sample ranks 云溪区 last year but not this year (a value missing): last year's
    column keeps its actual ranks (桐山县 5th, not re-ranked 4th) and no move is claimed."""
    assert set(ranks(composite(data, spec, YEAR))) != set(ranks(composite(data, spec,
                                                                          YEAR - 1)))
    for document, (text, tables) in docs.items():
        if document == "工作总结":
            assert rank_story_problems(text, tables, data, spec) == [], document
        assert "排名较上年上升" not in text and "排名上升" not in text, document


def test_rank_moves_are_stated_when_the_same_units_are_ranked(tmp_path):
    """With every unit scored both years, each stated move is the actual places gained."""
    project = make_project(tmp_path / "p")
    book = project / "data" / WORKBOOK.name
    set_value(book, "云溪区", YEAR, "创建知晓率", 95.5)
    data = Data(book, load_pack(ROOT, CAMPAIGN))
    spec = yaml.safe_load((ROOT / f"templates/{CAMPAIGN}/rollup.yaml").read_text("utf-8"))
    assert set(ranks(composite(data, spec, YEAR))) == set(ranks(composite(data, spec,
                                                                          YEAR - 1)))
    r = rollup.load(CAMPAIGN, root=project)
    profile = load_profile(config.layout_profile_path(root=ROOT))
    doc = rollup.build_document(r, YEAR, tmp_path / "figures", root=project)
    d = read_docx(str(word.write_docx(doc, tmp_path / "工作总结.docx", profile)))
    text = "\n".join(p.text for p in d.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    assert rank_story_problems(text, tables, data, spec) == []
    assert re.search(r"排名较上年上升\d+位", text)


def test_the_rank_audit_catches_a_re_ranked_column(docs, data, spec):
    """Last year's scores re-ranked among this year's units (the old column) is caught."""
    text, tables = docs["工作总结"]
    now, before = composite(data, spec, YEAR), composite(data, spec, YEAR - 1)
    kept = {u: before[u] for u in now if now[u] is not None and before.get(u) is not None}
    table = [list(r) for r in next(t for t in tables if t[0][:3] == ["名次", "单位", "综合得分"])]
    for row in table[1:]:
        if row[1] in kept:
            row[5] = str(ranks(kept)[row[1]])
    assert rank_story_problems(text, [table], data, spec)
    assert rank_story_problems(text + "桐山县排名较上年上升1位。", tables, data, spec)


def test_rank_ties_share_the_rank_and_the_next_skips():
    s = [scoring.Score("甲", 90.0, {}), scoring.Score("乙", 85.0, {}),
         scoring.Score("丙", 85.0, {}), scoring.Score("丁", 80.0, {}),
         scoring.Score("戊", None, {"x": None})]
    ranked = scoring.rank_scores(s)
    assert [(x.unit, x.rank, x.tie) for x in ranked] == [
        ("甲", 1, False), ("乙", 2, True), ("丙", 2, True), ("丁", 4, False), ("戊", None, False)]


def test_pack_without_rollup_settings_is_a_chinese_error(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "templates" / CAMPAIGN / "rollup.yaml").unlink()
    with pytest.raises(PackError, match="没有汇总设置"):
        rollup.load(CAMPAIGN, root=project)
    (project / "templates" / CAMPAIGN / "rollup.yaml").write_text(
        "weights:\n  - {key: no_such, weight: 10}\n", encoding="utf-8")
    with pytest.raises(PackError, match="no_such"):
        rollup.load(CAMPAIGN, root=project)


def test_rollup_reruns_with_its_units_and_rebinds_the_volume(tmp_path, monkeypatch):
    """A changed county re-runs that county and the roll-up; the volume is rebound."""
    project = make_project(tmp_path / "p")
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(project / "outputs"))
    kw = {"documents": ["工作总结"], "allow_missing": True, "root": project, "jobs": 2}
    first = rollup_run.run_rollup(YEAR, CAMPAIGN, **kw)
    assert {r.status for r in first.batch.results} == {Status.OK}
    assert first.volume is not None and first.volume_status == "已生成"
    from huibao.render import volume
    toc = [e.heading for e in volume.read_toc(first.volume)]
    assert toc[0] == "示例市2025年创建全国文明城市工作总结"
    assert [t.removesuffix("2025年创建全国文明城市工作总结") for t in toc[1:]] == \
        [u for u in Data(project / "data" / WORKBOOK.name,
                         load_pack(ROOT, CAMPAIGN)).units]
    manifest = first.batch.manifest.read_text(encoding="utf-8")
    assert '"kind": "rollup"' in manifest and '"示例县/工作总结"' in manifest

    again = rollup_run.run_rollup(YEAR, CAMPAIGN, **kw)
    assert {r.status for r in again.batch.results} == {Status.UNCHANGED}
    assert again.volume_status == "未变化"

    set_value(project / "data" / WORKBOOK.name, "桐山县", YEAR, "集中整治行动（次）", 99)
    third = rollup_run.run_rollup(YEAR, CAMPAIGN, **kw)
    rebuilt = {r.unit for r in third.batch.results if r.status is Status.OK}
    assert rebuilt == {"桐山县", "示例市"}
    assert third.volume_status == "已生成"
    body = "\n".join(p.text for p in read_docx(str(third.batch.folder / "示例市" /
                                                   "工作总结.docx")).paragraphs)
    assert "其中桐山县最高，为99次" in body


@pytest.mark.parametrize("campaign", list_packs(ROOT / "templates"))
def test_every_pack_rolls_up_into_both_documents(campaign, tmp_path):
    """Each pack's rollup.yaml and the shared templates make both documents, no leaks."""
    r = rollup.load(campaign, root=ROOT)
    assert len(rollup.members_in(r, YEAR)) >= 3
    for document, form in (("工作总结", "书面"), ("汇报材料", "迎检")):
        doc = rollup.build_document(r, YEAR, tmp_path / "figures", document=document,
                                    root=ROOT, form=form)
        text = "\n".join(getattr(b, "text", "") for b in doc.blocks)
        assert r.area.area in doc.title and str(YEAR) in doc.title
        assert not re.search(r"None|nan|NaN|\{\{|\}\}", text), (campaign, document)
        assert "存在" in text and "下一步" in text
        assert (doc.signature is None) == (form == "迎检")
