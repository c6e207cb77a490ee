"""Sheets as offices really send them (issue 18): each class of fault read right or refused.

Every input is built the way an office would make it (openpyxl, CSV in several encodings)
from the clean sample; a benign shape must read to exactly the clean values, a bad one must
be refused with file, sheet, Excel row and column.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from compound_file import encrypted_xlsx, old_xls, write_cfb
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.errors import DataError
from huibao.inputs.checks import validate
from huibao.inputs.workbook import read_workbook
from huibao.inputs.xlsx import MAX_ROWS, is_percent_format
from huibao.packs.schema import load_pack
from huibao.prose.phrasing import fmt_qty
from huibao.render import outline as o
from huibao.render.layout import load_profile
from huibao.render.word import write_docx

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
    """Run ``code`` in a fresh interpreter: (wall seconds, its peak RSS in MB, its output).

    The peak is the child's own (``RUSAGE_SELF`` at its end, printed last), so an earlier
    child of this test run cannot inflate or hide it.
    """
    start = time.monotonic()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    tail = "\nimport resource\nprint('peak-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    done = subprocess.run([sys.executable, "-c", code + tail], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    seconds = time.monotonic() - start
    out = done.stdout + done.stderr
    peaks = [int(line.split()[1]) for line in done.stdout.splitlines()
             if line.startswith("peak-kb ")]
    assert peaks, out
    print(f"measured: {seconds:.1f} s, peak RSS {peaks[-1] // 1024} MB")  # shown with -rP
    return seconds, peaks[-1] // 1024, out


# Generous bounds: a loaded two-core machine, and what "in seconds, under a few hundred MB"
# has to mean for the largest file that is still read.
SECONDS, MEGABYTES = 20, 400

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

# read and check, as `huibao check` does
_CHECK = _READ.replace("    print(\"values\"", """    from huibao.facts.loader import check_workbook
    found, _ = check_workbook(wb, pack)
    print("checked", len(found.errors), len(found.warnings))
    print(\"values\"""")


def _run(root: Path, path: Path, code: str = _READ) -> tuple[float, int, str]:
    return _measure(code.format(templates=str(root / "templates"), path=str(path)))


def _replace_part(sample: Path, out: Path, name: str, write) -> Path:
    """A copy of the sample with part ``name`` written by ``write(fh)`` (streamed)."""
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != name:
                z.writestr(info, src.read(info), zipfile.ZIP_DEFLATED)
        with z.open(name, "w", force_zip64=True) as fh:
            write(fh)
    return out


@pytest.fixture(scope="module")
def shared(sample_path: Path, tmp_path_factory) -> Path:
    """The sample with a shared-strings table declared, as Excel saves one (openpyxl writes
    inline strings): the bombs below replace the table."""
    out = tmp_path_factory.mktemp("shared") / "sample.xlsx"
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    with zipfile.ZipFile(sample_path) as src, zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override + b"</Types>")
            z.writestr(info, data)
        z.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/'
                   b'spreadsheetml/2006/main"><si><t>x</t></si></sst>')
    return out


def _sheet_part(sample: Path, sheet: str) -> str:
    wb = openpyxl.load_workbook(sample, read_only=True)
    index = wb.sheetnames.index(sheet)
    wb.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


def test_a_stray_value_in_the_last_cell_does_not_materialise_the_range(root, pack, clean, grid,
                                                                      sample_path,
                                                                      tmp_path) -> None:
    def stray(wb):
        wb["指标数据"]["XFD1048576"] = "x"
    path = _xlsx(sample_path, tmp_path, _copy(grid), edit=stray)
    seconds, peak, out = _run(root, path)
    assert "values 1158" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)
    wb = read_workbook(path, pack)
    [w] = [p for p in wb.findings.warnings if p.rule == "outside_table"]
    assert (w.row, w.letter) == (1048576, "XFD")
    assert _values(wb) == clean


def test_a_sheet_of_200000_rows_is_refused_in_seconds_naming_the_file(root, tmp_path) -> None:
    path = tmp_path / "二十万行.xlsx"
    wb = openpyxl.Workbook(write_only=True)  # writes no <dimension>: nothing sizes it first
    ws = wb.create_sheet("指标数据")
    ws.append(["单位", "年度", "注册志愿者（名）", "集中整治行动（次）"])
    for i in range(200_000):
        ws.append([f"单位{i}", 2025, i, i % 50])
    wb.save(path)
    seconds, peak, out = _run(root, path)
    assert "refused" in out and "二十万行.xlsx" in out and "2万行" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_the_largest_sheet_still_read_is_read_and_checked_in_seconds(root, pack,
                                                                     tmp_path) -> None:
    """MAX_ROWS - 10 units × 12 indicators (and a roster): read and checked, bounded."""
    path = tmp_path / "大表.xlsx"
    inds = [i for i in pack.collected if i.kind != "bool"][:12]
    n = MAX_ROWS - 10
    wb = openpyxl.Workbook(write_only=True)
    roster = wb.create_sheet("单位信息")
    roster.append(["单位", "类型", "自称", "上级党委政府", "署名"])
    for i in range(n):
        roster.append([f"单位{i}", "县", "我县", "县委、县政府", f"单位{i}创建办"])
    ws = wb.create_sheet("指标数据")
    ws.append(["单位", "年度", *[i.header for i in inds]])
    for i in range(n):
        ws.append([f"单位{i}", 2025, *[(90.5 if ind.kind == "rate" else 1 if ind.kind == "rank"
                                       else 0 if ind.parent else 10 + i % 7) for ind in inds]])
    wb.save(path)
    seconds, peak, out = _run(root, path, _CHECK)
    assert f"values {len(inds) * n}" in out and "checked" in out, out
    assert seconds < 2 * SECONDS and peak < MEGABYTES, (seconds, peak)  # read and check


def test_a_sheet_where_every_cell_is_wrong_is_read_and_checked_in_seconds(root,
                                                                          tmp_path) -> None:
    """MAX_ROWS - 10 rows whose every value is refused: ~100000 located problems."""
    path = tmp_path / "全错.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("指标数据")
    ws.append(["单位", "年度", "注册志愿者（名）", "集中整治行动（次）", "新命名文明单位（个）",
               "创建资金投入（万元）", "创建知晓率（%）"])
    for i in range(MAX_ROWS - 10):
        ws.append([f"单位{i}", 2025, "约100", "abc", "-5", "几千", "0.5%以上"])
    wb.save(path)
    seconds, peak, out = _run(root, path, _CHECK)
    assert "checked" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def _inflated_sst(fh) -> None:
    """Shared strings of 1.1 GB unpacked, a few MB packed."""
    fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    chunk = b"<si><t>" + b"x" * (1 << 20) + b"</t></si>"
    for _ in range(1100):
        fh.write(chunk)
    fh.write(b"</sst>")


def test_shared_strings_over_a_gigabyte_are_refused_before_parsing(root, shared,
                                                                   tmp_path) -> None:
    bomb = _replace_part(shared, tmp_path / "炸弹.xlsx", "xl/sharedStrings.xml", _inflated_sst)
    assert bomb.stat().st_size < 8 << 20
    seconds, peak, out = _run(root, bomb)
    assert "refused" in out and "炸弹.xlsx" in out and "过大" in out and "1.1 GB" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_shared_strings_whose_size_is_understated_cannot_inflate(root, shared,
                                                                 tmp_path) -> None:
    """The directory claims 1 MB; the data would inflate to 1.1 GB: read up to 1 MB only."""
    bomb = _replace_part(shared, tmp_path / "谎报.xlsx", "xl/sharedStrings.xml", _inflated_sst)
    data = bytearray(bomb.read_bytes())
    at = data.find(b"PK\x01\x02")  # the central directory's entries
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == b"xl/sharedStrings.xml":
            data[at + 24:at + 28] = (1 << 20).to_bytes(4, "little")  # uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    bomb.write_bytes(bytes(data))
    assert zipfile.ZipFile(bomb).getinfo("xl/sharedStrings.xml").file_size == 1 << 20
    seconds, peak, out = _run(root, bomb)
    assert "refused" in out and "谎报.xlsx" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_millions_of_tiny_shared_strings_are_refused_in_seconds(root, shared,
                                                                tmp_path) -> None:
    def tiny(fh):
        fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for _ in range(30):
            fh.write(b"<si><t>x</t></si>" * 100_000)  # 3 million strings, 51 MB
        fh.write(b"</sst>")
    bomb = _replace_part(shared, tmp_path / "小串.xlsx", "xl/sharedStrings.xml", tiny)
    seconds, peak, out = _run(root, bomb)
    assert "refused" in out and "小串.xlsx" in out and "100万" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_formatted_empty_cells_cost_nothing(root, pack, clean, sample_path, tmp_path) -> None:
    """单位信息 with 3 million styled empty cells after its rows (what formatting a range
    leaves; no <dimension>): read in seconds, the data unchanged."""
    part = _sheet_part(sample_path, "单位信息")
    with zipfile.ZipFile(sample_path) as z:
        xml = z.read(part)
    head, tail = re.sub(rb"<dimension[^>]*/>", b"", xml).split(b"</sheetData>")
    columns = [get_column_letter(c).encode() for c in range(1, 21)]

    def formatted(fh):
        fh.write(head)
        for r in range(20, 150_020):
            rs = str(r).encode()
            fh.write(b'<row r="' + rs + b'" ht="20" customHeight="1">'
                     + b"".join(b'<c r="' + c + rs + b'" s="1"/>' for c in columns) + b"</row>")
        fh.write(b"</sheetData>" + tail)
    path = _replace_part(sample_path, tmp_path / "格式.xlsx", part, formatted)
    seconds, peak, out = _run(root, path)
    assert "values 1158" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)
    assert _values(read_workbook(path, pack)) == clean


def test_rows_reaching_the_last_column_are_bounded(root, tmp_path) -> None:
    """Every row with values in A–C and in XFD: a row is kept as wide as it reaches (16384
    slots), so these are charged to the cell budget and refused in seconds (unbounded, the
    10000 rows would be 1.3 GB of empty slots)."""
    wb = openpyxl.Workbook()
    wb.active.title = "指标数据"
    small = tmp_path / "small.xlsx"
    wb.save(small)

    def wide(fh):
        fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                 b'2006/main"><sheetData>')
        for r in range(1, 10_001):
            rs = str(r).encode()
            fh.write(b'<row r="' + rs + b'"><c r="A' + rs + b'" t="inlineStr"><is><t>u' + rs
                     + b'</t></is></c><c r="B' + rs + b'"><v>2025</v></c><c r="C' + rs
                     + b'"><v>1</v></c><c r="XFD' + rs + b'"><v>1</v></c></row>')
        fh.write(b"</sheetData></worksheet>")
    path = _replace_part(small, tmp_path / "宽行.xlsx", "xl/worksheets/sheet1.xml", wide)
    seconds, peak, out = _run(root, path)
    assert "refused" in out and "宽行.xlsx" in out and "过大" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_long_texts_count_by_their_length(root, tmp_path) -> None:
    """2000 cells of 40000 characters (80 M characters; Excel holds at most 32767 in a
    cell): the budget charges a text by its length, so this is refused in seconds."""
    wb = openpyxl.Workbook()
    wb.active.title = "文字材料"
    small = tmp_path / "small.xlsx"
    wb.save(small)
    text = b"w" * 40_000

    def long(fh):
        fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                 b'2006/main"><sheetData>')
        for r in range(1, 2001):
            rs = str(r).encode()
            fh.write(b'<row r="' + rs + b'"><c r="E' + rs + b'" t="inlineStr"><is><t>' + text
                     + b"</t></is></c></row>")
        fh.write(b"</sheetData></worksheet>")
    path = _replace_part(small, tmp_path / "长文.xlsx", "xl/worksheets/sheet1.xml", long)
    seconds, peak, out = _run(root, path)
    assert "refused" in out and "长文.xlsx" in out and "过大" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


def test_a_sheet_with_broken_xml_is_refused_naming_it(pack, sample_path, tmp_path) -> None:
    part = _sheet_part(sample_path, "指标数据")
    with zipfile.ZipFile(sample_path) as z:
        xml = z.read(part)
    path = _replace_part(sample_path, tmp_path / "截断.xlsx", part,
                         lambda fh: fh.write(xml[:len(xml) // 2]))
    with pytest.raises(DataError) as info:
        read_workbook(path, pack)
    assert "截断.xlsx" in str(info.value) and "指标数据" in str(info.value)
    assert "损坏" in str(info.value)


def test_values_over_all_files_are_bounded(monkeypatch, pack, grid, sample_path,
                                           tmp_path) -> None:
    """Each file has its own cell budget; the values of all files together have one too."""
    from huibao.inputs import workbook

    monkeypatch.setattr(workbook, "MAX_VALUES", 1500)  # the sample holds 1158 values
    rows = _copy(grid)
    for row in rows[HEADER + 1:]:
        if isinstance(row[1], int):
            row[1] += 10  # other years: new values, not duplicate rows
    second = _csv(tmp_path, rows, "utf-8", name="第二份.csv")
    with pytest.raises(DataError) as info:
        read_workbook([sample_path, second], pack)
    assert "第二份.csv" in str(info.value) and "数值超过" in str(info.value)


def test_a_csv_of_200000_rows_is_refused_in_seconds(root, tmp_path) -> None:
    path = tmp_path / "二十万行.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位", "年度", "注册志愿者（名）"])
        writer.writerows([f"单位{i}", 2025, i] for i in range(200_000))
    seconds, peak, out = _run(root, path)
    assert "refused" in out and "二十万行.csv" in out and "2万行" in out, out
    assert seconds < SECONDS and peak < MEGABYTES, (seconds, peak)


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
    assert (p.rule, p.row, p.letter) == ("unit_name_control_char", 5, "A")
    assert rows[3][0].replace("\x0b", "") in set(wb.values.unit)


def _every_text(wb) -> list[str]:
    """Every text read from the workbook that a document may print."""
    out: list[str] = []
    for frame, columns in ((wb.units, ["unit", "self_ref", "superior", "signatory"]),
                           (wb.honours, ["unit", "title", "body", "level"]),
                           (wb.activities, ["unit", "name", "note"]),
                           (wb.systems, ["unit", "name"]),
                           (wb.texts, ["unit", "part", "title", "body"])):
        for column in columns:
            out += [str(v) for v in frame[column] if isinstance(v, str)]
    return out


def test_control_characters_in_every_text_sheet_are_joined_or_refused_and_word_writes(
        root, pack, sample_path, tmp_path) -> None:
    """A pasted Word line break (vertical tab, _x000B_ in the file) in 文字材料, 荣誉, 重点活动,
    单位信息: joined with a located warning; U+0001 refused with its cell. Then `huibao check`
    reports them, and the kit's Word writer takes every text that was read."""
    wb = openpyxl.load_workbook(sample_path)
    put = {("文字材料", "内容"): "老城微改_x000B_背街出新", ("荣誉", "称号"): "文明_x000B_单位",
           ("重点活动", "简要说明"): "讲解_x000C_测评体系",
           ("单位信息", "署名"): "示例县_x000B_办公室", ("文字材料", "小标题"): "小标题_x0001_一"}
    for (sheet, header), text in put.items():
        ws = wb[sheet]
        col = next(c.column for c in ws[1] if c.value == header)
        ws.cell(2, col).value = text
    path = tmp_path / "控制字符.xlsx"
    wb.save(path)
    read = read_workbook(path, pack)
    breaks = {(p.sheet, p.row, p.column) for p in read.findings.warnings
              if p.rule == "line_break"}
    assert breaks == {("文字材料", 2, "内容"), ("荣誉", 2, "称号"), ("重点活动", 2, "简要说明"),
                      ("单位信息", 2, "署名")}
    [bad] = read.findings.errors
    assert (bad.sheet, bad.row, bad.column, bad.letter) == ("文字材料", 2, "小标题", "D")
    assert "U+0001" in bad.text() and "\x01" not in bad.text()
    texts = _every_text(read)
    assert "文明单位" in texts and not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t)
                                          for t in texts)
    document = o.Document("控制字符", [o.Paragraph(t) for t in texts])
    write_docx(document, tmp_path / "控制字符.docx",
               load_profile(root / "templates" / "layout" / "gbt9704.yaml"))
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "控制字符.xlsx" in result.output and "U+0001" in result.output
    assert "小标题" in result.output and "Traceback" not in result.output


def test_control_characters_in_a_markdown_text_are_located(pack, sample_path,
                                                          tmp_path) -> None:
    md = tmp_path / "示例县_2025.md"
    md.write_text("# 导语\n\n第一段\x0b接着写。\n\n第二段\x01有控制字符。\n\n第三段。\n",
                  encoding="utf-8")
    wb = read_workbook([sample_path, md], pack)
    [bad] = [p for p in wb.findings.errors if p.rule == "control_char"]
    assert (bad.file, bad.row) == ("示例县_2025.md", 5) and "U+0001" in bad.text()
    mine = wb.texts[wb.texts.file == md.name]
    assert list(mine.body) == ["第一段接着写。", "第三段。"]


def test_an_unreadable_word_text_is_a_located_problem(pack, sample_path, tmp_path) -> None:
    broken = tmp_path / "示例县_2025.docx"
    broken.write_bytes(b"PK\x03\x04 not really a Word document")
    wb = read_workbook([sample_path, broken], pack)
    [p] = [p for p in wb.findings.errors if p.rule == "text_file_unreadable"]
    assert p.file == broken.name and "无法读取" in p.text()


def test_a_line_break_between_digits_is_not_one_number(pack, grid, tmp_path) -> None:
    rows = _copy(grid)
    j = _col(rows, "注册志愿者")
    rows[3][j] = "12\n345"  # Alt+Enter in a number cell: not 12345
    wb = read_workbook([_csv(tmp_path, rows, "utf-8")], pack)
    [p] = [p for p in wb.findings.errors if p.rule == "non_numeric"]
    assert p.row == 4 and "换行" in p.text()


@pytest.mark.parametrize("plain_size", [9_000, 300_000])  # in the mini stream, in sectors
def test_an_encrypted_workbook_says_it_needs_a_password(plain_size, tmp_path) -> None:
    # What Excel and WPS write for a password to open: an OLE compound file, not a zip.
    path = encrypted_xlsx(tmp_path / "加密.xlsx", plain_size)
    with pytest.raises(DataError) as info:
        read_workbook(path, load_pack("wenming_city", Path(__file__).parents[1] / "templates"))
    assert "需要密码" in str(info.value) and "损坏" not in str(info.value)
    assert "加密.xlsx" in str(info.value)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "需要密码" in result.output and "加密.xlsx" in result.output
    assert "损坏" not in result.output


def test_a_zip_with_encrypted_parts_says_it_needs_a_password(sample_path, tmp_path) -> None:
    data = bytearray(sample_path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # the "encrypted" flag of every entry in the central directory
        data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 4)
    path = tmp_path / "压缩加密.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        read_workbook(path, load_pack("wenming_city", Path(__file__).parents[1] / "templates"))
    assert "需要密码" in str(info.value) and "损坏" not in str(info.value)


def test_an_old_xls_renamed_to_xlsx_says_so(tmp_path) -> None:
    path = old_xls(tmp_path / "旧版.xlsx")
    with pytest.raises(DataError) as info:
        read_workbook(path, load_pack("wenming_city", Path(__file__).parents[1] / "templates"))
    assert ".xls" in str(info.value) and "旧版.xlsx" in str(info.value)


def test_other_compound_files_are_named_for_what_they_are(tmp_path) -> None:
    doc = write_cfb(tmp_path / "文档.xlsx", {"WordDocument": bytes(5000)})
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    pack = load_pack("wenming_city", Path(__file__).parents[1] / "templates")
    with pytest.raises(DataError) as info:
        read_workbook(doc, pack)
    assert "不是 .xlsx" in str(info.value) and "密码" not in str(info.value)
    with pytest.raises(DataError) as info:
        read_workbook(broken, pack)
    assert "损坏" in str(info.value)
