"""The collection form: what `huibao template` writes is what `check` and `run` read back.

Tried as a new user would: generate next year's form, fill it with openpyxl (by the hidden
key row, as a program would; people use the Chinese headers), keep last years' file as it
is, check both together, then build a document from both.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from docx import Document as Docx
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.config import layout_profile_path
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.inputs.collection_form import SPARE_ROWS
from huibao.inputs.workbook import read_workbook
from huibao.packs.schema import load_pack
from huibao.render import word
from huibao.render.layout import load_profile

YEAR = 2026


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("form") / "采集表.xlsx"
    result = CliRunner().invoke(app, ["template", "--year", str(YEAR), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "8个单位" in result.output
    return out


@pytest.fixture(scope="module")
def pack(root: Path):
    return load_pack("wenming_city", root / "templates")


def test_an_existing_form_is_never_overwritten_without_force(form: Path) -> None:
    before = form.read_bytes()
    runner = CliRunner()
    result = runner.invoke(app, ["template", "--year", str(YEAR), "-o", str(form)])
    assert result.exit_code == 1 and "已存在" in result.output
    assert form.read_bytes() == before
    copy = form.with_name("副本.xlsx")
    copy.write_bytes(b"half filled")
    assert runner.invoke(app, ["template", "--year", str(YEAR), "-o", str(copy),
                               "--force"]).exit_code == 0
    assert copy.read_bytes() != b"half filled"


def test_form_has_the_guide_and_the_sheets_run_reads(form: Path, pack) -> None:
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == ["填表说明", "单位信息", "指标数据", "年度目标", "荣誉", "重点活动",
                             "制度", "文字材料"]
    parts = [c.value for c in wb["填表说明"]["Z"][1:] if c.value]
    assert parts[0] == "导语" and parts[-3:] == ["典型案例", "存在问题", "下一步打算"]
    assert "'填表说明'!$Z$2" in wb["文字材料"].data_validations.dataValidation[-1].formula1
    guide = [[c for c in r if c is not None] for r in wb["填表说明"].iter_rows(values_only=True)]
    listed = {r[2]: r for r in guide if len(r) > 3 and isinstance(r[0], int)}
    for ind in pack.indicators:  # every indicator with its unit and 口径
        row = listed[ind.name]
        assert ind.unit in row
        if ind.definition:
            assert any(ind.definition in str(c) for c in row)
    ws = wb["指标数据"]
    headers = [c.value for c in ws[2]]
    assert headers[:2] == ["单位", "年度"]
    assert headers[2:] == [i.header for i in pack.collected]
    assert [c.value for c in ws[3]][2:] == [i.key for i in pack.collected]
    assert ws.row_dimensions[3].hidden
    assert ws.freeze_panes == "C4"
    assert [ws.cell(r, 2).value for r in range(4, 12)] == [YEAR] * 8


def test_form_validates_numbers_ranges_and_choices(form: Path, pack) -> None:
    ws = openpyxl.load_workbook(form)["指标数据"]
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            rules[rng.min_col] = dv
    col = {c.value: c.column for c in ws[2]}
    rate = rules[col["群众满意度（%）"]]
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == (
        "decimal", "between", "0", "100")
    count = rules[col["注册志愿者（名）"]]
    assert (count.type, count.formula1) == ("whole", "0")
    assert rules[col["成立创建领导小组（指挥部）（是/否）"]].formula1 == '"是,否"'
    assert "单位信息" in rules[1].formula1
    last = max(r.max_row for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges)
    assert last >= 4 + 8 + SPARE_ROWS - 1
    honours = openpyxl.load_workbook(form)["荣誉"]
    levels = [dv.formula1 for dv in honours.data_validations.dataValidation]
    assert any("国家级" in f for f in levels)


def test_filled_form_checks_clean_and_builds_a_document(form: Path, pack, sample_path: Path,
                                                        root: Path, tmp_path: Path) -> None:
    # Fill 2026 with the sample's 2025 figures, so old and new files fit together.
    old = read_workbook(sample_path, pack).values
    last = old[old.year == 2025].set_index(["unit", "key"])["value"]
    wb = openpyxl.load_workbook(form)
    ws = wb["指标数据"]
    keys = [c.value for c in ws[3]]
    for r in range(4, ws.max_row + 1):
        unit = ws.cell(r, 1).value
        if unit is None:
            continue
        for j, key in enumerate(keys[2:], start=3):
            value = last.get((unit, key))
            if value is not None:
                ind = pack.by_key[key]
                ws.cell(r, j, ("是" if value else "否") if ind.kind == "bool" else value)
    ws.cell(4, keys.index("awareness_rate") + 1, 93.2)
    ws.cell(2, keys.index("public_ads") + 1, "宣传阵地（处）")  # renamed; the key row still holds
    honours = wb["荣誉"]
    honours.append(["示例县", YEAR, "省级", "全省文明城市创建工作先进县", "示例省文明委"])
    filled = tmp_path / f"{YEAR}年采集表.xlsx"
    wb.save(filled)

    result = CliRunner().invoke(app, ["check", str(sample_path), str(filled), "--year",
                                      str(YEAR)], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output  # 云溪区 left 创建知晓率 blank again
    assert "云溪区 2026年" in result.output and "创建知晓率" in result.output
    result = CliRunner().invoke(app, ["check", str(sample_path), str(filled), "--year",
                                      str(YEAR), "--allow-missing"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output

    inputs = loader.load_inputs("wenming_city", [sample_path, filled], root)
    report.preflight(inputs, "示例县", YEAR)
    v = inputs.workbook.values
    assert len(v[(v.year == YEAR) & (v.key == "public_ads")]) == 8
    doc = report.build_document(inputs, "示例县", YEAR, tmp_path / "figures",
                                doc_date="2026-12-28", root=root)
    path = word.write_docx(doc, tmp_path / "工作总结.docx",
                           load_profile(layout_profile_path(root=root)))
    text = "\n".join(p.text for p in Docx(str(path)).paragraphs)
    assert f"{YEAR}年" in text and "93.2%" in text
    assert "全省文明城市创建工作先进县" in text


def _calc_convert(src: Path, target: str, out: Path) -> list[Path]:
    """Convert with LibreOffice Calc (headless, private profile); skip when it is absent."""
    import shutil
    import subprocess

    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("未安装 LibreOffice（make render-deps 可安装），跳过 Calc 往返检查")
    out.mkdir(exist_ok=True)
    cmd = [binary, f"-env:UserInstallation=file://{out / 'profile'}", "--headless",
           "--convert-to", target, "--outdir", str(out), str(src)]
    subprocess.run(cmd, capture_output=True, timeout=180, check=False)
    made = sorted(p for p in out.iterdir() if p.is_file())
    if not made:
        pytest.skip("LibreOffice 中没有 Calc 组件（libreoffice-calc-nogui），跳过 Calc 往返检查")
    return made


def test_form_saved_by_libreoffice_calc_reads_back(form: Path, pack, tmp_path: Path) -> None:
    [saved] = _calc_convert(form, "xlsx", tmp_path / "lo")
    wb = read_workbook(saved, pack)
    assert wb.findings.errors == []
    assert len(wb.rows) == 8 and len(wb.units) == 8
    assert openpyxl.load_workbook(saved)["指标数据"].row_dimensions[3].hidden


def test_sample_exported_by_calc_as_csv_reads_the_same(pack, sample_path: Path,
                                                       tmp_path: Path) -> None:
    # Every sheet to its own UTF-8 CSV, as a user would export it.
    target = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    files = _calc_convert(sample_path, target, tmp_path / "csv")
    assert len(files) == 7  # 单位信息, 指标数据, 年度目标, 荣誉, 重点活动, 制度, 文字材料
    clean, exported = read_workbook(sample_path, pack), read_workbook(files, pack)
    assert exported.findings.errors == clean.findings.errors == []
    key = ["unit", "year", "key"]
    a = clean.values[[*key, "value"]].sort_values(key).reset_index(drop=True)
    b = exported.values[[*key, "value"]].sort_values(key).reset_index(drop=True)
    assert a.equals(b)
    assert len(exported.honours) == len(clean.honours)
    assert len(exported.activities) == len(clean.activities) > 0
    assert len(exported.systems) == len(clean.systems) > 0
    cols = ["unit", "year", "part", "title", "body"]
    assert exported.texts[cols].fillna("").equals(clean.texts[cols].fillna("")) and len(clean.texts)
