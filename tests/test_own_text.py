"""The units' own words (文字材料): placed verbatim in both documents, read the same by
every route (sheet, GBK CSV, Markdown, Word), checked with located messages."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.inputs import texts
from huibao.inputs.findings import Findings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "wenming_city_sample.xlsx"
WORDS = ROOT / "data" / "文字材料" / "wenming_city"
YEAR = 2025
# the generic practice wording of 环境整治 in each document (the fallback)
GENERIC_ENVIRONMENT = {"工作总结": "聚焦背街小巷、城乡接合部、农贸市场、老旧小区等薄弱区域",
                       "汇报材料": "坚持集中整治与常态管理相结合，聚焦背街小巷"}
DOCUMENTS = ("工作总结", "汇报材料")


def _blocks(unit: str) -> list[dict]:
    return texts.read_file(WORDS / f"{unit}_{YEAR}.md", Findings())


def _build(data: object, unit: str, document: str, tmp_path: Path):
    inputs = loader.read_inputs("wenming_city", data, ROOT)
    return report.build_document(inputs, unit, YEAR, tmp_path / unit / document / "figures",
                                 document=document)


def _without_sheet(tmp_path: Path) -> Path:
    path = tmp_path / "no_texts.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    del wb[texts.SHEET]
    wb.save(path)
    return path


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_supplied_block_replaces_the_generic_practice_in_both_documents(
        document: str, tmp_path: Path) -> None:
    own = next(b for b in _blocks("示例县") if b["part"] == "狠抓环境整治，提升城市品质")
    doc = _build(SAMPLE, "示例县", document, tmp_path)
    text = doc.text()
    assert own["body"] in text and own["title"] in text
    assert GENERIC_ENVIRONMENT[document] not in text
    placed = [b for b in doc.blocks if own["body"] in (getattr(b, "body", None) or
                                                       getattr(b, "text", ""))]
    assert placed and all(b.origin == "unit" for b in placed)
    # the data-driven sentences of the part stay
    assert "清理卫生死角" in text


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_unit_without_words_gets_the_generic_text(document: str, tmp_path: Path) -> None:
    assert not (WORDS / f"梅江县_{YEAR}.md").exists()
    doc = _build(SAMPLE, "梅江县", document, tmp_path)
    assert GENERIC_ENVIRONMENT[document] in doc.text()
    assert not any(getattr(b, "origin", None) == "unit" for b in doc.blocks)


def test_the_markdown_route_gives_the_same_document_as_the_sheet(tmp_path: Path) -> None:
    by_sheet = _build(SAMPLE, "示例县", "工作总结", tmp_path / "a")
    by_file = _build([_without_sheet(tmp_path), WORDS], "示例县", "工作总结", tmp_path / "b")
    assert by_file.text() == by_sheet.text()
    assert [getattr(b, "origin", None) for b in by_file.blocks] == \
        [getattr(b, "origin", None) for b in by_sheet.blocks]


def test_the_word_route_gives_the_same_document(tmp_path: Path) -> None:
    word = docx.Document()
    part = None
    for b in _blocks("示例县"):
        if b["part"] != part:
            word.add_heading(b["part"], level=1)
            part = b["part"]
        if b["title"]:
            word.add_heading(b["title"], level=2)
        word.add_paragraph(b["body"])
    folder = tmp_path / "words"
    folder.mkdir()
    word.save(folder / f"示例县_{YEAR}.docx")
    by_word = _build([_without_sheet(tmp_path), folder], "示例县", "工作总结", tmp_path / "w")
    assert by_word.text() == _build(SAMPLE, "示例县", "工作总结", tmp_path / "s").text()


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_the_sheet_as_a_csv_gives_the_same_document(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "文字材料.csv"
    with open(path, "w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(texts.COLUMNS))
        for b in _blocks("示例县"):
            out.writerow([b["unit"], b["year"], b["part"], b["title"] or "", b["body"]])
    by_csv = _build([_without_sheet(tmp_path), path], "示例县", "汇报材料", tmp_path / "c")
    assert by_csv.text() == _build(SAMPLE, "示例县", "汇报材料", tmp_path / "s").text()


def _edited(tmp_path: Path, edit) -> Path:
    path = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    edit(wb[texts.SHEET])
    wb.save(path)
    return path


def _row_of(ws, unit: str, part: str) -> int:
    return next(r for r in range(2, ws.max_row + 1)
                if ws.cell(r, 1).value == unit and ws.cell(r, 3).value == part)


def test_a_number_that_disagrees_with_the_data_names_both_cells() -> None:
    inputs = loader.read_inputs("wenming_city", SAMPLE, ROOT)
    found = [p for p in inputs.findings.items if p.rule == "text_number"]
    assert len(found) == 1   # the one deliberate disagreement of the sample
    p = found[0]
    ws = openpyxl.load_workbook(SAMPLE)[texts.SHEET]
    assert p.severity == "warning" and p.unit == "云溪区" and p.sheet == texts.SHEET
    assert "65125" in ws.cell(p.row, 5).value and p.letter == "E"
    values = openpyxl.load_workbook(SAMPLE)["指标数据"]
    assert values["P12"].value == 65415
    assert "指标数据!P12" in p.text() and "65415" in p.text() and "65125" in p.text()


def test_strict_makes_the_disagreement_an_error(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    lax = runner.invoke(app, ["check", str(SAMPLE), "--year", "2025", "--allow-missing"])
    strict = runner.invoke(app, ["check", str(SAMPLE), "--year", "2025", "--allow-missing",
                                 "--strict"])
    assert lax.exit_code == 0 and strict.exit_code == 1, strict.output


def test_an_unknown_part_is_a_located_error_with_the_nearest_name(tmp_path: Path) -> None:
    def edit(ws):
        ws.cell(_row_of(ws, "示例县", "狠抓环境整治，提升城市品质"), 3, "狠抓环境整冶")

    path = _edited(tmp_path, edit)
    inputs = loader.read_inputs("wenming_city", path, ROOT)
    [p] = [p for p in inputs.findings.errors if p.rule == "text_unknown_part"]
    assert p.sheet == texts.SHEET and p.letter == "C" and p.unit == "示例县"
    assert "最接近的是“狠抓环境整治，提升城市品质”" in p.text()
    with pytest.raises(Exception, match="部分"):
        report.preflight(inputs, "示例县", YEAR)


def test_empty_text_unknown_unit_and_half_width_punctuation_are_located(tmp_path: Path) -> None:
    def edit(ws):
        ws.append(["示例县", 2025, "导语", None, None])
        ws.append(["不存在县", 2025, "导语", None, "一段文字。"])
        ws.append(["示例县", 2025, "存在问题", None, "宣传,还不够深入。"])

    inputs = loader.read_inputs("wenming_city", _edited(tmp_path, edit), ROOT)
    rules = {p.rule: p for p in inputs.findings.items if p.rule.startswith("text_")}
    assert rules["text_empty"].severity == "error" and rules["text_empty"].letter == "E"
    assert rules["text_unknown_unit"].severity == "error"
    assert rules["text_half_width"].severity == "warning"
    assert "宣传,还不够" in str(rules["text_half_width"].value)


def test_template_syntax_in_a_text_is_printed_literally(tmp_path: Path) -> None:
    words = "我县{{ m.registered_volunteers }}和{% if x %}不会被执行，#号开头也照印。"

    def edit(ws):
        row = _row_of(ws, "示例县", "导语")
        ws.cell(row, 5, words)

    doc = _build(_edited(tmp_path, edit), "示例县", "工作总结", tmp_path)
    assert words in doc.text()


def test_supplied_problems_follow_the_derived_ones_without_generic_items(tmp_path: Path) -> None:
    def problems(text: str) -> str:
        return text.split("存在的问题", 1)[1].split("下一步工作打算", 1)[0]

    own = [b for b in _blocks("示例县") if b["part"] == "存在问题"]
    mine = problems(_build(SAMPLE, "示例县", "工作总结", tmp_path / "a").text())
    assert all(b["body"] in mine for b in own)
    assert "常态长效机制还需进一步健全" not in mine        # the generic items only without any

    def edit(ws):
        for r in range(ws.max_row, 1, -1):
            if ws.cell(r, 1).value == "示例县" and ws.cell(r, 3).value == "存在问题":
                ws.delete_rows(r)

    derived = problems(_build(_edited(tmp_path, edit), "示例县", "工作总结", tmp_path / "b").text())
    assert not any(b["body"] in derived for b in own)

    def items(section: str) -> list[str]:
        return re.findall(r"^([一二三四五六七八九十]+)是", section, flags=re.M)

    ordinals = "一二三四五六七八九十"
    assert items(mine) == list(ordinals[:len(items(mine))])       # numbered on, no gaps
    assert len(items(mine)) > len(items(derived)) > 0            # the unit's follow


def test_the_preview_marks_where_each_paragraph_came_from(tmp_path: Path) -> None:
    import huibao

    shutil.rmtree(tmp_path, ignore_errors=True)
    draft = huibao.unit_document("wenming_city", YEAR, "梅江县", output_dir=tmp_path, root=ROOT)
    doc = draft.build()
    frame = draft.preview(doc)
    assert set(frame["来源"]) >= {"数据生成", "通用表述"}
    assert "导语" in draft.fallbacks() and "存在问题" in draft.fallbacks()
    mine = huibao.unit_document("wenming_city", YEAR, "示例县", output_dir=tmp_path, root=ROOT)
    doc = mine.build()
    assert "单位提供" in set(mine.preview(doc)["来源"]) and mine.fallbacks() == []
