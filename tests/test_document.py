"""Audit of generated 工作总结 documents against the input workbook.

The documents are built through the library (the notebook path is covered by
test_notebook.py); every number is re-derived by tests/audit.py, independently of huibao.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from audit import (
    Data,
    change_text,
    favourable,
    fmt,
    gap_points,
    honour_problems,
    load_pack,
    missed,
    read_honours,
    unexplained,
    value_text,
)
from docx.oxml.ns import qn

from huibao import config
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.render import word
from huibao.render.layout import load_profile

YEAR = 2025
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def audit(root: Path, sample_path: Path) -> Data:
    return Data(sample_path, load_pack(root))


@pytest.fixture(scope="module")
def built(root: Path, sample_path: Path, tmp_path_factory) -> dict[str, Path]:
    inputs = loader.load_inputs("wenming_city", sample_path, root)
    profile = load_profile(config.layout_profile_path(root=root))
    out = {}
    for unit in ("示例县", "云溪区"):
        folder = tmp_path_factory.mktemp(unit)
        doc = report.build_document(inputs, unit, YEAR, folder / "figures", root=root,
                                    doc_date="2025-12-26")
        out[unit] = word.write_docx(doc, folder / "工作总结.docx", profile)
    return out


def _paragraphs(path: Path) -> list:
    return docx.Document(str(path)).paragraphs


def _prose(path: Path) -> str:
    return "\n".join(p.text for p in _paragraphs(path))


def _sections(path: Path) -> dict[str, str]:
    """Level-1 section title → its text."""
    out: dict[str, list[str]] = {"前言": []}
    current = "前言"
    for p in _paragraphs(path):
        if p.style.name == "Heading 1":
            current = p.text
            out[current] = []
        else:
            out[current].append(p.text)
    return {k: "\n".join(v) for k, v in out.items()}


PROSE_KEYS = [
    "tasks_completed", "task_completion_rate", "supervision_ontime_rate", "public_ads",
    "awareness_rate", "support_rate", "registered_volunteers", "volunteer_share", "good_people",
    "rectification_drives", "blackspots_cleared", "illegal_structures_removed",
    "street_light_on_rate", "night_lighting_intact_rate", "civil_units_named",
    "civil_communities_named", "model_households", "creation_investment",
    "complaints_closed_rate", "mock_eval_score_rate", "member_units", "tasks_assigned",
    "superior_inspections", "inspection_first_places",
]


def test_every_indicator_value_in_prose_matches_the_workbook(built, audit) -> None:
    text = _prose(built["示例县"])
    for key in PROSE_KEYS:
        ind = audit.pack[key]
        v = audit.value("示例县", YEAR, key)
        assert v is not None, key
        assert value_text(ind, v) in text, f"{ind.name}: {value_text(ind, v)}"


def test_every_stated_change_is_recomputed_from_this_and_last_year(built, audit) -> None:
    sections = _sections(built["示例县"])
    text = sections["前言"] + sections["一、主要工作及成效"]  # 成效: no adverse change here
    checked = 0
    for key, ind in audit.pack.items():
        v, p = audit.value("示例县", YEAR, key), audit.value("示例县", YEAR - 1, key)
        if v is None or p is None or ind.kind in ("bool", "rank"):
            continue
        for hit in re.finditer(re.escape(value_text(ind, v)) + "，(较上年|与上年)", text):
            rest = text[hit.start(1):]
            expected = change_text(ind, v, p)
            assert rest.startswith(expected), f"{ind.name}: {rest[:30]} ≠ {expected}"
            assert favourable(ind, v, p) is not False, f"adverse change in 成效: {ind.name}"
            checked += 1
    assert checked >= 15


def test_problems_name_exactly_the_indicators_that_missed_or_worsened(built, audit) -> None:
    problems = _sections(built["示例县"])["二、存在的问题"]
    for key, ind in audit.pack.items():
        v, p = audit.value("示例县", YEAR, key), audit.value("示例县", YEAR - 1, key)
        if v is None or ind.kind in ("bool", "rank") or ind.group == "profile":
            continue
        bad = missed(ind, v, audit.target("示例县", YEAR, key)) or (
            p is not None and favourable(ind, v, p) is False)
        stated = f"{ind.name}为{value_text(ind, v)}" in problems
        assert stated == bad, f"{ind.name}: adverse={bad}, stated={stated}"


def test_target_gaps_are_recomputed(built, audit) -> None:
    problems = _sections(built["示例县"])["二、存在的问题"]
    seen = 0
    for key, ind in audit.pack.items():
        v, t = audit.value("示例县", YEAR, key), audit.target("示例县", YEAR, key)
        if v is None or t is None or not missed(ind, v, t) or ind.hib is False:
            continue
        if ind.kind == "rate":
            gap = f"低于{fmt(t, ind.decimals)}%的目标值{gap_points(ind, v, t)}个百分点"
        else:
            gap = f"完成年度目标任务的{fmt(v / t * 100, 1)}%"
        assert gap in problems, gap
        seen += 1
    assert seen >= 4


def test_rank_and_honours_count_come_from_the_workbook(built, audit) -> None:
    text = _prose(built["示例县"])
    rank = int(audit.value("示例县", YEAR, "annual_rank"))
    n = len({u for u, y, _ in audit.values if y == YEAR})
    ordinal = "一二三四五六七八九十"[rank - 1]
    assert f"在全市{n}个县（区）中排名第{ordinal}" in text
    held = [h for h in audit.honours if h["单位"] == "示例县" and h["年度"] <= YEAR]
    titles = {h["称号"] for h in held}
    assert len(held) > len(titles) == 3, "the sample repeats a title: rows are not 项"
    # three titles, all listed: counted as 3 and no 等 (not 等5项 for five award rows)
    hit = re.search(r"先后荣获((?:“[^”]+”[、和]?)+)(等)?(\d+)项荣誉", text)
    assert hit and int(hit.group(3)) == len(titles) and hit.group(2) is None, hit
    assert set(re.findall(r"“([^”]+)”", hit.group(1))) == titles
    assert honour_problems(text, audit.honours, "示例县", YEAR) == []


@pytest.mark.parametrize("campaign", ["wenming_city", "jizhen", "shijian", "shuangyong",
                                      "wenming_unit", "wucheng", "grid"])
def test_honour_counts_follow_one_rule_in_every_pack(root, campaign, tmp_path) -> None:
    """Every pack's honour summaries recounted from the 荣誉 sheet: N titles, 等 only when
    titles are left unlisted, 先后N次 the years a single title was won."""
    from huibao.packs import params

    data = root / params.merged(root / "params", campaign)["data_path"]
    honours = read_honours(data)
    inputs = loader.load_inputs(campaign, data, root)
    units = list(dict.fromkeys(h["单位"] for h in honours))[:4]
    checked = 0
    for unit in units:
        for document, form in (("工作总结", "书面"), ("汇报材料", "迎检")):
            doc = report.build_document(inputs, unit, YEAR, tmp_path / "f", root=root,
                                        document=document, form=form)
            text = "\n".join(getattr(b, "text", "") + (getattr(b, "body", None) or "")
                             for b in doc.blocks)
            assert honour_problems(text, honours, unit, YEAR) == [], (unit, document)
            checked += len(re.findall(r"项荣誉|次荣获", text))
    assert checked, "no honour summary was checked"


def test_honour_counts_with_repeated_and_many_titles(root, sample_path, tmp_path) -> None:
    """Varied 荣誉 sheets: five titles with repeats (等5项, three listed), one title won in
    three years (先后三次), two rows of one title in one year (one 项, one 次)."""
    import openpyxl

    book = tmp_path / "honours.xlsx"
    wb = openpyxl.load_workbook(sample_path)
    ws = wb["荣誉"]
    extra = [("桐山县", y, "市级", t, "示例市") for y, t in (
        (2021, "甲先进"), (2022, "甲先进"), (2023, "乙先进"), (2024, "丙先进"),
        (2025, "丁先进"), (2025, "丁先进"), (2025, "戊先进"))]
    extra += [("梅江县", y, "省级", "己先进", "示例省") for y in (2021, 2023, 2025)]
    for row in list(ws.iter_rows(min_row=2)):
        if row[0].value == "梅江县":
            for c in row:
                c.value = None
    for r in extra:
        ws.append(r)
    wb.save(book)
    honours = read_honours(book)
    inputs = loader.load_inputs("wenming_city", book, root)
    tong = _outline_text(report.build_document(inputs, "桐山县", YEAR, tmp_path / "a"))
    assert "等7项荣誉" in tong and "等" + "9项荣誉" not in tong  # 2 + 5 titles, 9 rows
    assert "2025年，我县先后荣获" in tong
    mei = _outline_text(report.build_document(inputs, "梅江县", YEAR, tmp_path / "b"))
    assert "先后三次荣获“己先进”称号" in mei
    for unit, text in (("桐山县", tong), ("梅江县", mei)):
        assert honour_problems(text, honours, unit, YEAR) == [], unit
    # the audit does catch a count of rows
    assert honour_problems("先后荣获“甲先进”、“乙先进”、“丙先进”等9项荣誉", honours,
                           "桐山县", YEAR)
    assert honour_problems("先后荣获“甲先进”、“乙先进”和“丙先进”3项荣誉", honours,
                           "桐山县", YEAR)


def _outline_text(doc) -> str:
    return "\n".join(getattr(b, "text", "") + (getattr(b, "body", None) or "")
                     for b in doc.blocks)


def test_no_number_in_prose_is_unexplained(built, audit) -> None:
    """Every figure in the prose is a value, difference, ratio, gap, rank, count or date."""
    text = audit.without_own_words(_prose(built["示例县"]), "示例县", YEAR)
    allowed = audit.explained("示例县", YEAR) | {12, 26}  # the date 2025年12月26日
    assert not unexplained(text, allowed, audit.names())
    assert len(re.findall(r"\d+(?:\.\d+)?", text)) > 60


def test_table_rows_match_the_workbook(built, audit) -> None:
    table = docx.Document(str(built["示例县"])).tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header[2:4] == [f"{YEAR - 1}年", f"{YEAR}年"]
    by_name = {i.name: i for i in audit.pack.values()}
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        ind = by_name[cells[0]]
        v = audit.value("示例县", YEAR, ind.key)
        assert cells[3] == fmt(v, ind.decimals)
        p = audit.value("示例县", YEAR - 1, ind.key)
        d = v - p
        if ind.kind == "rate":  # points between the printed (rounded) rates
            d = float(fmt(v, ind.decimals)) - float(fmt(p, ind.decimals))
            size = fmt(abs(d), ind.decimals)
        elif p == 0:
            size = None
        else:
            size = fmt(abs(d) / p * 100, 1) + "%"
        if size is None:
            assert cells[4] == (f"+{fmt(v, ind.decimals)}" if v > 0 else "持平")
        elif float(size.rstrip("%")) == 0:
            assert cells[4] == "持平"
        else:
            assert cells[4] == ("+" if d > 0 else "-") + size, ind.name
        t = audit.target("示例县", YEAR, ind.key)
        assert cells[5] == target_cell(ind, t), ind.name
        if t is not None:
            assert cells[6] == ("未达目标" if missed(ind, v, t) else "达到目标"), ind.name


def target_cell(ind, t) -> str:
    """The 目标值 column: the unit's 年度目标, else the pack's standard; ≤ for a cap."""
    if t is None:
        return "—"
    text = fmt(t, ind.decimals)
    return f"≤{text}" if ind.hib is False and t != 0 else text


def test_target_stands_in_the_table_when_this_years_value_is_missing(root, sample_path,
                                                                     tmp_path) -> None:
    """A blank value leaves its target in place: the unit's own 年度目标 (not the pack's
    standard, not —), for a collected indicator and for one derived from it."""
    import shutil

    from batch_project import set_value

    book = tmp_path / "blank.xlsx"
    shutil.copy(sample_path, book)
    set_value(book, "示例县", YEAR, "创建资金投入", None)
    set_value(book, "示例县", YEAR, "注册志愿者", None)
    audit = Data(book, load_pack(root))
    assert audit.value("示例县", YEAR, "creation_investment") is None
    assert audit.targets[("示例县", YEAR, "creation_investment")] is not None
    inputs = loader.load_inputs("wenming_city", book, root)
    doc = report.build_document(inputs, "示例县", YEAR, tmp_path / "figures", root=root,
                                doc_date="2025-12-26")
    path = word.write_docx(doc, tmp_path / "工作总结.docx",
                           load_profile(config.layout_profile_path(root=root)))
    by_name = {i.name: i for i in audit.pack.values()}
    blank = 0
    for row in docx.Document(str(path)).tables[0].rows[1:]:
        cells = [c.text for c in row.cells]
        ind = by_name[cells[0]]
        v, t = audit.value("示例县", YEAR, ind.key), audit.target("示例县", YEAR, ind.key)
        assert cells[5] == target_cell(ind, t), (ind.name, cells)
        if v is None:
            blank += 1
            assert cells[3] == "【待填】" and cells[6] == "—", cells
    assert blank >= 2


def test_missing_values_show_markers_and_optional_sentences_are_dropped(built) -> None:
    text = _prose(built["云溪区"])
    assert "创建知晓率达到【待填：创建知晓率】" in text  # required: frame kept
    assert "身边好人" not in text.split("二、存在的问题")[0].replace("“身边好人”和道德模范", "")
    assert "推荐“身边好人”和道德模范" not in text  # optional: sentence dropped
    cells = [c.text for r in docx.Document(str(built["云溪区"])).tables[0].rows for c in r.cells]
    assert "【待填】" in cells
    assert "【待填" not in _prose(built["示例县"])


@pytest.mark.parametrize("unit", ["示例县", "云溪区"])
def test_no_leaked_placeholder_anywhere_in_the_package(built, unit) -> None:
    d = docx.Document(str(built[unit]))
    texts = [p.text for p in d.paragraphs]
    texts += [c.text for t in d.tables for r in t.rows for c in r.cells]
    for s in d.sections:
        texts += [p.text for p in s.footer.paragraphs + s.even_page_footer.paragraphs]
    blob = "\n".join(texts)
    for leak in ("None", "nan", "NaN", "inf", "{{", "}}", "××", "XX", "20xx", "___"):
        assert leak not in blob, leak


def test_heading_sequence_is_numbered_by_level(built) -> None:
    paras = _paragraphs(built["示例县"])
    h1 = [p.text for p in paras if p.style.name == "Heading 1"]
    assert h1 == ["一、主要工作及成效", "二、存在的问题", "三、下一步工作打算"]
    h2 = [p.text for p in paras if p.style.name == "Heading 2"]
    # six work groups, then the unit's own 典型案例 (示例县 supplied one)
    assert [h[:3] for h in h2] == [f"（{c}）" for c in "一二三四五六七"]
    assert h2[-1] == "（七）典型案例"
    # level 3 restarts at 1. under each level 2 and runs on without gaps
    numbers: list[list[int]] = []
    for p in paras:
        if p.style.name == "Heading 2":
            numbers.append([])
        elif p.style.name == "Heading 3":
            numbers[-1].append(int(p.runs[0].text.split(".", 1)[0]))
    assert all(n == list(range(1, len(n) + 1)) for n in numbers) and any(numbers)


def test_captions_number_figures_below_and_tables_above(built) -> None:
    body = docx.Document(str(built["示例县"])).element.body
    items = []
    for el in body:
        if el.tag == f"{W}tbl":
            items.append("TABLE")
        elif el.tag == f"{W}p":
            text = "".join(t.text or "" for t in el.iter(f"{W}t"))
            if el.findall(f".//{W}drawing"):
                items.append("DRAWING")
            elif re.match(r"^(图|表)\d+", text):
                items.append(text.split("\u3000")[0].split(" ")[0])
    figs = [i for i, x in enumerate(items) if x.startswith("图")]
    assert [items[i] for i in figs] == ["图1", "图2", "图3"]
    assert all(items[i - 1] == "DRAWING" for i in figs)
    t = items.index("TABLE")
    assert items[t - 1] == "表1"


def test_every_run_has_an_east_asian_font(built) -> None:
    d = docx.Document(str(built["示例县"]))
    for p in d.paragraphs:
        for r in p.runs:
            if not r.text:
                continue  # picture runs carry no text
            fonts = r._element.find(qn("w:rPr") + "/" + qn("w:rFonts"))
            assert fonts is not None and fonts.get(qn("w:eastAsia")), (p.text[:20], r.text)


def test_signature_and_date_close_the_document(built) -> None:
    paras = [p for p in _paragraphs(built["示例县"]) if p.text.strip()]
    assert paras[-2].text.strip() == "示例县创建全国文明城市工作指挥部办公室"
    assert paras[-1].text.strip() == "2025年12月26日"
