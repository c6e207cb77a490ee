"""Sheets as offices really send them (issue 18): each class of fault read right or refused.

Every input is built the way an office would make it (openpyxl, CSV in several encodings)
from the clean sample; a benign shape must read to exactly the clean values, a bad one must
be refused with file, sheet, Excel row and column.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.errors import DataError
from huibao.inputs.checks import validate
from huibao.inputs.workbook import read_workbook
from huibao.inputs.xlsx import MAX_ROWS, is_percent_format
from huibao.packs.schema import load_pack
from huibao.prose.phrasing import fmt_qty

Rows = list[list[object]]
HEADER = 1  # the sample's 指标数据: title row, then the header


@pytest.fixture(scope="module")
def pack(root: Path):
    return load_pack("wenming_city", root / "templates")


@pytest.fixture(scope="module")
def grid(sample_path: Path) -> Rows:
    ws = openpyxl.load_workbook(sample_path)["指标数据"]
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def clean(pack, sample_path: Path) -> list[tuple]:
    return _values(read_workbook(sample_path, pack))


def _values(wb) -> list[tuple]:
    v = wb.values
    return sorted(zip(v.unit, v.year.astype(int), v.key, v.value.round(6), strict=True))


def _col(rows: Rows, start: str) -> int:
    return next(j for j, h in enumerate(rows[HEADER]) if str(h).startswith(start))


def _copy(rows: Rows) -> Rows:
    return [list(r) for r in rows]


def _xlsx(sample: Path, tmp: Path, rows: Rows, *, name: str = "报送.xlsx",
          formats: dict | None = None, hidden: tuple[int, ...] = (), edit=None) -> Path:
    wb = openpyxl.load_workbook(sample)
    index = wb.sheetnames.index("指标数据")
    del wb["指标数据"]
    ws = wb.create_sheet("指标数据", index)
    for row in rows:
        ws.append(list(row))
    for (r, c), fmt in (formats or {}).items():
        ws.cell(r + 1, c + 1).number_format = fmt
    for r in hidden:
        ws.row_dimensions[r + 1].hidden = True
    if edit:
        edit(wb)
    out = tmp / name
    wb.save(out)
    return out


def _csv(tmp: Path, rows: Rows, encoding: str, name: str = "指标数据.csv") -> Path:
    out = tmp / name
    delimiter = "\t" if encoding == "utf-16" else ","
    with out.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(
            [["" if v is None else v for v in row] for row in rows])
    return out


def _scaled(rows: Rows, j: int, factor: int) -> None:
    for i in range(HEADER + 1, len(rows)):
        if isinstance(rows[i][j], int | float):
            rows[i][j] = int(Decimal(repr(rows[i][j])) * factor)


def _errors(wb, pack) -> list:
    return validate(wb, pack).errors


def _only_clean_errors(found) -> list:
    """The sample's one error is 云溪区's blank required cell; anything else is new."""
    return [p for p in found if not (p.rule == "missing_required" and p.unit == "云溪区")]


# ---------------------------------------------------------------- 1. units of measure


def _unit_row_rows(grid: Rows) -> Rows:
    """Header names without units, the units on the row below; 常住人口 in 人, 资金 in 元."""
    rows = _copy(grid)
    header, units = [], []
    for h in rows[HEADER]:
        name, _, unit = str(h).rpartition("（")
        if h in ("单位", "年度") or not name:
            header.append(h)
            units.append(None)
        else:
            header.append(name)
            units.append(unit.rstrip("）"))
    pop, money = header.index("常住人口"), header.index("创建资金投入")
    units[pop], units[money] = "人", "元"
    _scaled(rows, pop, 10000)
    _scaled(rows, money, 10000)
    units[header.index("成立创建领导小组（指挥部）")] = "是/否"
    return [rows[0], header, units, *rows[HEADER + 1:]]


def test_a_unit_row_under_the_header_is_read(pack, grid, clean, sample_path, tmp_path) -> None:
    wb = read_workbook(_xlsx(sample_path, tmp_path, _unit_row_rows(grid)), pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == clean
    v = wb.values
    pop = v[(v.unit == "示例县") & (v.year == 2021) & (v.key == "population_10k")].value.iloc[0]
    money = v[(v.unit == "示例县") & (v.year == 2021)
              & (v.key == "creation_investment")].value.iloc[0]
    # The documents say 46.8万人 and 2164.66万元, not 46.8亿人 / 亿元.
    assert fmt_qty(pop, "万人") == "46.8万人"
    assert fmt_qty(money, "万元") == "2164.66万元"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_a_unit_row_in_csv_is_read(encoding, pack, grid, clean, tmp_path) -> None:
    rows = _unit_row_rows(grid)
    rows[2][0] = "计量单位"
    rows[2] = [f"（{u}）" if u and u not in ("是/否", "计量单位") else u for u in rows[2]]
    wb = read_workbook([_csv(tmp_path, rows, encoding)], pack)
    values = _values(wb)
    assert [p.text() for p in wb.findings.errors] == []
    assert {(u, y, k) for u, y, k, _ in values} <= {(u, y, k) for u, y, k, _ in clean}
    assert values == [c for c in clean if c[2] in {k for *_, k, _ in values}]


def test_a_unit_line_below_the_table_applies(pack, grid, clean, sample_path, tmp_path) -> None:
    rows = _copy(grid)
    j = _col(rows, "创建资金投入")
    rows[HEADER][j] = "创建资金投入"
    _scaled(rows, j, 10000)
    rows += [[], ["单位：元"], ["数据来源：各县（市、区）文明办"]]
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows), pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == clean


@pytest.mark.parametrize(("edit", "rule", "row", "letter"), [
    # the header says 万元, the row below 元
    (lambda rows, j: rows.insert(2, [None] * j + ["元"]), "unit_conflict", 3, "Z"),
    # 人 under the money column cannot be converted
    (lambda rows, j: rows.insert(2, [None] * j + ["人"]), "unit_mismatch", 3, "Z"),
    # a title line with 元 while the header says 万元
    (lambda rows, j: rows.insert(1, ["单位：元"]), "unit_conflict", 3, "Z"),
    # several units on one line: which applies to which column is unknown
    (lambda rows, j: rows.insert(1, ["单位：万元、人"]), "unit_line", 2, None),
])
def test_units_that_disagree_are_refused_with_their_place(edit, rule, row, letter, grid,
                                                          pack, sample_path, tmp_path) -> None:
    rows = _copy(grid)
    edit(rows, _col(rows, "创建资金投入"))
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows), pack)
    [p] = [p for p in wb.findings.errors if p.rule == rule]
    assert (p.file, p.sheet, p.row, p.letter) == ("报送.xlsx", "指标数据", row, letter)
    assert not (wb.values.key == "creation_investment").any()


# ---------------------------------------------------------------- 2. formulas without results


def test_formulas_without_cached_values_are_each_reported(pack, grid, sample_path,
                                                          tmp_path) -> None:
    rows = _copy(grid)
    required = _col(rows, "集中整治行动")      # required
    optional = _col(rows, "创建知晓率")        # optional
    rows[6][required] = "=10+2"  # a script wrote the workbook: no cached value
    rows[7][optional] = "=AVERAGE(N3:N6)"
    found = validate(read_workbook(_xlsx(sample_path, tmp_path, rows), pack), pack)
    formulas = [p for p in found.errors if p.rule == "formula_no_value"]
    assert [(p.row, p.letter, p.column) for p in formulas] == [
        (7, "R", "集中整治行动（次）"), (8, "N", "创建知晓率（%）")]
    assert all("公式没有计算结果：请在 Excel 中打开并保存" in p.text() for p in formulas)
    assert all(p.unit == rows[p.row - 1][0] for p in formulas)
    # … and not as a blank (未填写)
    assert not [p for p in found.errors if p.rule == "missing_required" and p.row == 7]


# ---------------------------------------------------------------- 4, 5. rates


def _rates_as(grid: Rows, header: str, fn) -> Rows:
    rows = _copy(grid)
    j = _col(rows, header)
    for i in range(HEADER + 1, len(rows)):
        if isinstance(rows[i][j], int | float):
            rows[i][j] = fn(rows[i][j])
    return rows


def test_a_whole_column_of_fractions_is_converted_and_said(pack, grid, clean, sample_path,
                                                          tmp_path) -> None:
    rows = _rates_as(grid, "创建知晓率", lambda v: float(Decimal(repr(v)) / 100))
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows), pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == clean
    [w] = [p for p in wb.findings.warnings if p.rule == "rate_converted"]
    assert (w.sheet, w.row, w.letter, w.column) == ("指标数据", 2, "N", "创建知晓率（%）")
    assert "0.902 → 90.2%" in w.text()


def test_fractions_typed_as_text_in_csv_are_converted(pack, grid, clean, tmp_path) -> None:
    rows = _rates_as(grid, "创建知晓率", lambda v: str(Decimal(repr(v)) / 100))
    wb = read_workbook([_csv(tmp_path, rows, "gbk")], pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == [c for c in clean if c[2] in set(wb.values.key)]


def test_a_fraction_among_percentages_is_refused_not_published(pack, grid, sample_path,
                                                              tmp_path) -> None:
    rows = _copy(grid)
    j = _col(rows, "创建知晓率")
    rows[4][j] = 0.959
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows), pack)
    [p] = [p for p in wb.findings.errors if p.rule == "rate_fraction"]
    assert (p.row, p.letter, p.unit) == (5, "N", rows[4][0])
    v = wb.values
    assert not ((v.row == 5) & (v.key == "awareness_rate")).any()


@pytest.mark.parametrize("fmt", ['0.0"%"', "0.0\\%", '#,##0.0" %"'])
def test_a_literal_percent_sign_in_a_format_is_not_a_percent_format(fmt, pack, grid, clean,
                                                                   sample_path,
                                                                   tmp_path) -> None:
    rows = _copy(grid)
    j = _col(rows, "创建知晓率")
    formats = {(i, j): fmt for i in range(HEADER + 1, len(rows))}
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows, formats=formats), pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == clean


@pytest.mark.parametrize(("fmt", "percent"), [
    ("0%", True), ("0.0%", True), ("0.00%;[Red]-0.00%", True), ('0.0"%"', False),
    ("0.0\\%", False), ("General", False), ('[$-804]0.0"％"', False), (None, False)])
def test_percent_formats(fmt, percent) -> None:
    assert is_percent_format(fmt) is percent


# ---------------------------------------------------------------- 6. footer lines


FOOTERS = [
    ["数据来源：各县（市、区）文明办、市统计局"],
    ["说明：1. 数据截至当年12月31日；"],
    ["2. 创建资金投入含上级补助"],
    ["备注"],
    ["注：排名为全市年度综合考核排名。"],
    ["资料来源：市文明办"],
    ["制表单位：示例市文明办", None, None, "制表日期：2025年12月"],
    ["*以上数据经各单位核实"],
    ["本表由各县区于每年12月20日前报送市文明办，逾期未报的按零报告处理"],
    ["单位负责人：王某", None, "统计员：赵某", None, "联系电话：12345678"],
]


def test_footer_lines_of_every_usual_kind_are_notes(pack, grid, clean, sample_path,
                                                    tmp_path) -> None:
    rows = [*_copy(grid), [], *FOOTERS]
    wb = read_workbook(_xlsx(sample_path, tmp_path, rows), pack)
    assert [p.text() for p in _only_clean_errors(_errors(wb, pack))] == []
    assert _values(wb) == clean


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_footer_lines_in_csv_are_notes(encoding, pack, grid, clean, tmp_path) -> None:
    wb = read_workbook([_csv(tmp_path, [*_copy(grid), [], *FOOTERS], encoding)], pack)
    assert [p.text() for p in wb.findings.errors] == []
    assert _values(wb) == [c for c in clean if c[2] in set(wb.values.key)]


# ---------------------------------------------------------------- 7. duplicated rows


def test_a_duplicate_row_names_the_differing_columns_and_the_hidden_row(pack, grid,
                                                                       sample_path,
                                                                       tmp_path) -> None:
    rows = _copy(grid)
    copy = list(rows[3])
    j = _col(rows, "注册志愿者")
    copy[j] += 10
    rows.insert(4, copy)  # a corrected row typed below the old one, the old one hidden
    path = _xlsx(sample_path, tmp_path, rows, hidden=(3,))
    [p] = [p for p in read_workbook(path, pack).findings.errors if p.rule == "duplicate_row"]
    assert (p.row, p.letter, p.column) == (5, "P", "注册志愿者（名）")
    text = p.text()
    assert "P列“注册志愿者（名）”" in text and "第4行" in text and "前一行是隐藏行" in text


def test_an_identical_duplicate_row_says_so(pack, grid, sample_path, tmp_path) -> None:
    rows = [*_copy(grid), list(grid[5])]
    [p] = [p for p in read_workbook(_xlsx(sample_path, tmp_path, rows), pack).findings.errors
           if p.rule == "duplicate_row"]
    assert "数值相同" in p.text() and p.row == len(rows)


# ---------------------------------------------------------------- 16. unbounded inputs


def _measure(code: str, timeout: float = 120) -> tuple[float, int, str]:
    """Run ``code`` in a fresh interpreter: (seconds, peak RSS in MB, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024, done.stdout + done.stderr


_READ = """
from pathlib import Path
from huibao.errors import DataError
from huibao.inputs.workbook import read_workbook
from huibao.packs.schema import load_pack
pack = load_pack("wenming_city", Path({templates!r}))
try:
    wb = read_workbook({path!r}, pack)
    print("values", len(wb.values), [p.rule for p in wb.findings])
except DataError as exc:
    print("refused", exc)
"""


def test_a_stray_value_in_the_last_cell_does_not_materialise_the_range(root, pack, clean, grid,
                                                                      sample_path,
                                                                      tmp_path) -> None:
    def stray(wb):
        wb["指标数据"]["XFD1048576"] = "x"
    path = _xlsx(sample_path, tmp_path, _copy(grid), edit=stray)
    seconds, peak, out = _measure(_READ.format(templates=str(root / "templates"),
                                               path=str(path)))
    assert "values 1158" in out, out
    assert seconds < 60 and peak < 600, (seconds, peak)
    wb = read_workbook(path, pack)
    [w] = [p for p in wb.findings.warnings if p.rule == "outside_table"]
    assert (w.row, w.letter) == (1048576, "XFD")
    assert _values(wb) == clean


def test_a_sheet_of_200000_rows_is_refused_in_seconds_naming_the_file(root, tmp_path) -> None:
    path = tmp_path / "二十万行.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("指标数据")
    ws.append(["单位", "年度", "注册志愿者（名）", "集中整治行动（次）"])
    for i in range(200_000):
        ws.append([f"单位{i}", 2025, i, i % 50])
    wb.save(path)
    seconds, peak, out = _measure(_READ.format(templates=str(root / "templates"),
                                               path=str(path)))
    assert "refused" in out and "二十万行.xlsx" in out and "行" in out, out
    assert seconds < 60 and peak < 600, (seconds, peak)


def test_a_sheet_below_the_row_limit_reads_in_seconds(root, tmp_path) -> None:
    path = tmp_path / "大表.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("指标数据")
    ws.append(["单位", "年度", "注册志愿者（名）", "集中整治行动（次）"])
    n = MAX_ROWS - 10
    for i in range(n):
        ws.append([f"单位{i}", 2025, i, i % 50])
    wb.save(path)
    seconds, peak, out = _measure(_READ.format(templates=str(root / "templates"),
                                               path=str(path)))
    assert f"values {2 * n}" in out, out
    assert seconds < 60 and peak < 600, (seconds, peak)


def test_shared_strings_that_inflate_are_refused_before_parsing(root, sample_path,
                                                                tmp_path) -> None:
    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(sample_path) as src, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                out.writestr(info, src.read(info))
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            chunk = b"<si><t>" + b"x" * (1 << 20) + b"</t></si>"
            for _ in range(200):  # 200 MB unpacked, well under 1 MB packed
                fh.write(chunk)
    assert bomb.stat().st_size < 2 << 20
    seconds, peak, out = _measure(_READ.format(templates=str(root / "templates"),
                                               path=str(bomb)))
    assert "refused" in out and "炸弹.xlsx" in out and "过大" in out, out
    assert seconds < 30 and peak < 400, (seconds, peak)


# ---------------------------------------------------------------- 17. control characters


def _honour_title(sample: Path, tmp: Path, title: str) -> Path:
    wb = openpyxl.load_workbook(sample)
    ws = wb["荣誉"]
    col = next(c.column for c in ws[1] if c.value == "称号")
    ws.cell(2, col).value = title
    out = tmp / "荣誉.xlsx"
    wb.save(out)
    return out


def test_a_line_break_pasted_from_word_is_joined_and_writes_to_word(pack, sample_path,
                                                                   tmp_path) -> None:
    # Excel stores a vertical tab as _x000B_ in the file.
    wb = read_workbook(_honour_title(sample_path, tmp_path, "省级文明_x000B_单位标兵"), pack)
    assert wb.findings.errors == []
    assert "省级文明单位标兵" in set(wb.honours.title)
    [w] = [p for p in wb.findings.warnings if p.rule == "line_break"]
    assert (w.sheet, w.row, w.column) == ("荣誉", 2, "称号")
    document = docx.Document()
    document.add_paragraph("、".join(wb.honours.title))  # no ValueError from the writer
    document.save(io.BytesIO())


@pytest.mark.parametrize("char", ["_x0001_", "_x0000_", "_x001F_"])
def test_other_control_characters_are_refused_with_their_cell(char, pack, sample_path,
                                                             tmp_path) -> None:
    wb = read_workbook(_honour_title(sample_path, tmp_path, f"文明{char}单位"), pack)
    [p] = wb.findings.errors
    assert (p.sheet, p.row, p.column) == ("荣誉", 2, "称号") and "控制字符" in p.text()


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_control_characters_in_a_csv_unit_name(encoding, pack, grid, tmp_path) -> None:
    rows = _copy(grid)
    rows[3][0] = "示例\x0b县"  # a pasted line break: the name still reads as 示例县
    rows[4][0] = "示例\x01县"
    wb = read_workbook([_csv(tmp_path, rows, encoding)], pack)
    [p] = wb.findings.errors
    assert (p.rule, p.row, p.letter) == ("control_char", 5, "A")
    assert rows[3][0].replace("\x0b", "") in set(wb.values.unit)


def test_an_encrypted_workbook_says_it_needs_a_password(tmp_path) -> None:
    # What Excel writes for a password-protected workbook: an OLE container, not a zip.
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    ole += "EncryptionInfo".encode("utf-16-le").ljust(64, b"\0")
    ole += "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0") + bytes(4096)
    path = tmp_path / "加密.xlsx"
    path.write_bytes(bytes(ole))
    with pytest.raises(DataError) as info:
        read_workbook(path, load_pack("wenming_city", Path(__file__).parents[1] / "templates"))
    assert "密码" in str(info.value) and "损坏" not in str(info.value)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "密码" in result.output and "加密.xlsx" in result.output


def test_an_old_xls_renamed_to_xlsx_says_so(tmp_path) -> None:
    path = tmp_path / "旧版.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(DataError) as info:
        read_workbook(path, load_pack("wenming_city", Path(__file__).parents[1] / "templates"))
    assert ".xls" in str(info.value)
