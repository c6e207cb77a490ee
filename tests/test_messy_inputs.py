"""A corpus of messy inputs, each made from the clean sample by one mutation.

Benign mutations (encodings, title rows, merged headers, 合计 rows, full-width digits, unit
suffixes, placeholders, reordered columns …) must read to exactly the clean values. Bad
ones must be reported by ``huibao check`` with file, sheet, row and column, exit code 1.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.inputs.workbook import read_workbook
from huibao.packs.schema import load_pack

Rows = list[list[object]]
TITLE, HEADER = 0, 1  # rows of the sample's 指标数据 sheet (0-based)


@pytest.fixture(scope="module")
def pack(root: Path):
    return load_pack("wenming_city", root / "templates")


@pytest.fixture(scope="module")
def clean(pack, sample_path: Path) -> list[tuple]:
    return _values(read_workbook(sample_path, pack))


@pytest.fixture(scope="module")
def grid(sample_path: Path) -> Rows:
    ws = openpyxl.load_workbook(sample_path)["指标数据"]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _values(wb) -> list[tuple]:
    v = wb.values
    return sorted(zip(v.unit, v.year.astype(int), v.key, v.value, strict=True))


def _col(rows: Rows, header_start: str) -> int:
    return next(j for j, h in enumerate(rows[HEADER]) if str(h).startswith(header_start))


def _data(rows: Rows) -> range:
    return range(HEADER + 1, len(rows))


def _xlsx(sample: Path, tmp: Path, rows: Rows, *, name: str = "mutated.xlsx",
          merges: tuple[str, ...] = (), formats: dict | None = None,
          keep_others: bool = True) -> Path:
    wb = openpyxl.load_workbook(sample)
    index = wb.sheetnames.index("指标数据")
    del wb["指标数据"]
    if not keep_others:
        for sheet in list(wb.sheetnames):
            del wb[sheet]
    ws = wb.create_sheet("指标数据", index if keep_others else 0)
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    for (r, c), fmt in (formats or {}).items():
        ws.cell(r + 1, c + 1).number_format = fmt
    out = tmp / name
    wb.save(out)
    return out


def _csv(tmp: Path, rows: Rows, encoding: str, *, delimiter: str = ",",
         name: str = "指标数据.csv") -> Path:
    out = tmp / name
    with out.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(
            [["" if v is None else v for v in row] for row in rows])
    return out


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _copy(rows: Rows) -> Rows:
    return [list(r) for r in rows]


def _numbers(rows: Rows, fn: Callable[[int, int, object], object]) -> Rows:
    rows = _copy(rows)
    for i in _data(rows):
        for j in range(2, len(rows[i])):
            v = rows[i][j]
            if isinstance(v, int | float) and not isinstance(v, bool):
                rows[i][j] = fn(i, j, v)
    return rows


def _text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


# ---------------------------------------------------------------- benign mutations

def m_title_rows(rows, tmp, sample):
    extra = [["示例市2021—2025年创建全国文明城市指标数据"], ["填报单位：示例市文明办"], []]
    return _xlsx(sample, tmp, extra + rows[HEADER:])


def m_two_row_merged_header(rows, tmp, sample):
    top = ["单位", "年度"] + ["创建指标"] * (len(rows[HEADER]) - 2)
    bottom = [None, None, *rows[HEADER][2:]]
    last = get_column_letter(len(top))
    new = [rows[TITLE], top, bottom, *rows[HEADER + 1:]]
    return _xlsx(sample, tmp, new, merges=("A1:" + f"{last}1", "A2:A3", "B2:B3", f"C2:{last}2"))


def m_group_header_split_names(rows, tmp, sample):
    # 注册志愿者 over 人数（名）: the name is split across the two header rows.
    j = _col(rows, "注册志愿者（")
    top = ["单位", "年度", *rows[HEADER][2:]]
    bottom = [None] * len(top)
    top[j], bottom[j] = "注册志愿者", "人数（名）"
    new = [top, bottom, *rows[HEADER + 1:]]
    return _xlsx(sample, tmp, new, merges=("A1:A2", "B1:B2"))


def m_totals_rows(rows, tmp, sample, pack):
    out = _copy(rows)
    for year in sorted({r[1] for r in rows[HEADER + 1:]}):
        total: list[object] = ["合计", year]
        for j, h in enumerate(rows[HEADER][2:], start=2):
            ind = next(i for i in pack.indicators if i.header == h)
            cells = [r[j] for r in rows[HEADER + 1:] if r[1] == year]
            if ind.kind in ("count", "money", "amount") and None not in cells:
                total.append(float(sum(Decimal(repr(float(c))) for c in cells)))
            else:
                total.append(None)
        out.append(total)
    return _xlsx(sample, tmp, out)


def m_notes_rows(rows, tmp, sample):
    notes = [[], ["注：1. 数据截至当年12月31日。"], ["填报人：张某某", None, "审核人：李某某"],
             ["填报日期：2025年12月20日"]]
    return _xlsx(sample, tmp, [*rows, *notes])


def m_fullwidth_digits(rows, tmp, sample):
    return _xlsx(sample, tmp, _numbers(rows, lambda i, j, v: _fullwidth(_text(v))))


def m_thousands_separators(rows, tmp, sample):
    return _xlsx(sample, tmp, _numbers(rows, lambda i, j, v: f"{v:,}" if v >= 1000 else v))


def m_unit_suffixes(rows, tmp, sample, pack):
    headers = rows[HEADER]

    def suffix(i, j, v):
        ind = next(x for x in pack.indicators if x.header == headers[j])
        return f"{_text(v)}{'%' if ind.kind == 'rate' else ind.unit}"
    return _xlsx(sample, tmp, _numbers(rows, suffix))


def _in_yuan(rows: Rows, header: str) -> Rows:
    """创建资金投入 in 元 instead of 万元, under the header given."""
    j = _col(rows, "创建资金投入")
    out = _copy(rows)
    out[HEADER][j] = header
    for i in _data(out):
        if out[i][j] is not None:
            out[i][j] = int(Decimal(repr(out[i][j])) * 10000)
    return out


def m_yuan_header(rows, tmp, sample):
    return _xlsx(sample, tmp, _in_yuan(rows, "创建资金投入（元）"))


def m_unit_line(rows, tmp, sample):
    # 单位：元 applies to the money column, whose header no longer states a unit.
    out = _in_yuan(rows, "创建资金投入")
    return _xlsx(sample, tmp, [["示例市创文指标数据"], ["单位：元"], *out[HEADER:]])


def m_placeholders(rows, tmp, sample):
    marks = iter(["—", "/", "无", "空白", "-", "　"] * 50)
    out = _copy(rows)
    for i in _data(out):
        for j in range(2, len(out[i])):
            if out[i][j] is None:
                out[i][j] = next(marks)
    return _xlsx(sample, tmp, out)


def m_columns_reordered(rows, tmp, sample):
    order = list(range(len(rows[HEADER])))
    random.Random(7).shuffle(order)
    return _xlsx(sample, tmp, [[r[j] if j < len(r) else None for j in order] for r in rows])


def m_blank_rows(rows, tmp, sample):
    out = []
    for i, r in enumerate(rows):
        out.append(r)
        if i > HEADER and i % 3 == 0:
            out += [[], [None, None, None]]
    return _xlsx(sample, tmp, out)


def m_names_without_units(rows, tmp, sample, pack):
    out = _copy(rows)
    out[HEADER] = out[HEADER][:2] + [next(i.name for i in pack.indicators if i.header == h)
                                     for h in out[HEADER][2:]]
    return _xlsx(sample, tmp, out)


def m_wrapped_headers(rows, tmp, sample):
    out = _copy(rows)
    out[HEADER] = [str(h).replace("（", "\n（").replace("单位", "单　位") for h in out[HEADER]]
    return _xlsx(sample, tmp, out)


def m_numbers_as_text(rows, tmp, sample):
    return _xlsx(sample, tmp, _numbers(rows, lambda i, j, v: _text(v)))


def m_percent_formatted(rows, tmp, sample, pack):
    out = _copy(rows)
    formats = {}
    for j, h in enumerate(out[HEADER]):
        ind = next((i for i in pack.indicators if i.header == h), None)
        if ind is None or ind.kind != "rate":
            continue
        for i in _data(out):
            if isinstance(out[i][j], int | float):
                out[i][j] = float(Decimal(repr(out[i][j])) / 100)
                formats[(i, j)] = "0.0%"
    return _xlsx(sample, tmp, out, formats=formats)


def m_merged_unit_cells(rows, tmp, sample):
    out = _copy(rows)
    merges, start = [], HEADER + 1
    for i in range(HEADER + 1, len(out) + 1):
        if i == len(out) or out[i][0] != out[start][0]:
            if i - 1 > start:
                merges.append(f"A{start + 1}:A{i}")
                for k in range(start + 1, i):
                    out[k][0] = None
            start = i
    return _xlsx(sample, tmp, out, merges=tuple(merges))


def m_years_in_separate_files(rows, tmp, sample):
    files = []
    for year in sorted({r[1] for r in rows[HEADER + 1:]}):
        body = [[r[0], *r[2:]] for r in rows[HEADER + 1:] if r[1] == year]
        header = [rows[HEADER][0], *rows[HEADER][2:]]
        title = [f"示例市{year}年创建全国文明城市指标数据"]
        files.append(_xlsx(sample, tmp, [title, header, *body], name=f"{year}.xlsx",
                           keep_others=not files))  # roster, targets, honours: first file
    return files


def _csv_mutation(encoding: str, delimiter: str = ","):
    def mutate(rows, tmp, sample):
        return _csv(tmp, [[v for v in r] for r in rows], encoding, delimiter=delimiter)
    mutate.__name__ = f"m_csv_{encoding}"
    return mutate


BENIGN = [m_title_rows, m_two_row_merged_header, m_group_header_split_names, m_totals_rows,
          m_notes_rows, m_fullwidth_digits, m_thousands_separators, m_unit_suffixes,
          m_yuan_header, m_unit_line, m_placeholders, m_columns_reordered, m_blank_rows,
          m_names_without_units, m_wrapped_headers, m_numbers_as_text, m_percent_formatted,
          m_merged_unit_cells, m_years_in_separate_files,
          _csv_mutation("utf-8"), _csv_mutation("utf-8-sig"), _csv_mutation("gbk"),
          _csv_mutation("gb18030"), _csv_mutation("utf-16", "\t")]


@pytest.mark.parametrize("mutation", BENIGN, ids=lambda m: m.__name__[2:])
def test_benign_mutation_reads_the_same_values(mutation, pack, clean, grid, sample_path,
                                               tmp_path) -> None:
    args = (grid, tmp_path, sample_path)
    if "pack" in mutation.__code__.co_varnames[:mutation.__code__.co_argcount]:
        args += (pack,)
    files = mutation(*args)
    wb = read_workbook(files if isinstance(files, list) else [files], pack)
    errors = [p.text() for p in wb.findings.errors]
    assert errors == []
    assert _values(wb) == clean


def test_gbk_csv_is_detected_and_named_in_messages(pack, grid, tmp_path) -> None:
    rows = _copy(grid)
    rows[5][_col(rows, "注册志愿者（")] = "六万余"
    path = _csv(tmp_path, rows, "gbk", name="县区报送.csv")
    wb = read_workbook([path], pack)
    [p] = [p for p in wb.findings.errors]
    assert (p.file, p.sheet, p.row, p.column) == ("县区报送.csv", "县区报送", 6, "注册志愿者（名）")
    assert "估计" in p.message


# ---------------------------------------------------------------- bad mutations

def _set(header: str, row: int, value: object) -> Callable[[Rows], Rows]:
    def edit(rows: Rows) -> Rows:
        rows[row][_col(rows, header)] = value
        return rows
    return edit


def _rename(old: str, new: str) -> Callable[[Rows], Rows]:
    def edit(rows: Rows) -> Rows:
        rows[HEADER][_col(rows, old)] = new
        return rows
    return edit


def _append(make: Callable[[Rows], list]) -> Callable[[Rows], Rows]:
    def edit(rows: Rows) -> Rows:
        return [*rows, make(rows)]
    return edit


def _wrong_total(rows: Rows) -> list:
    j = _col(rows, "注册志愿者（")
    total = sum(r[j] for r in rows[HEADER + 1:] if r[1] == 2025) + 100
    return ["合计", 2025, *[total if k == j else None for k in range(2, len(rows[HEADER]))]]


# (id, edit of the 指标数据 rows, rule, excel row, column header or None)
BAD = [
    ("non_numeric", _set("注册志愿者（", 6, "六万多"), "non_numeric", 7, "注册志愿者（名）"),
    ("approximate", _set("公益广告", 3, "约300"), "non_numeric", 4, "公益广告、宣传栏（牌）（处）"),
    ("excel_error", _set("清理卫生死角", 9, "#VALUE!"), "non_numeric", 10, "清理卫生死角（处）"),
    ("negative", _set("集中整治行动", 4, -3), "negative", 5, "集中整治行动（次）"),
    ("rate_over_100", _set("群众满意度", 8, 108.5), "rate_over_100", 9, "群众满意度（%）"),
    ("part_over_total", _set("已完成任务", 2, 9999), "part_exceeds_total", 3, "已完成任务（项）"),
    ("rank_over_peers", _set("全市年度综合排名", 4, 9), "rank_over_peers", 5,
     "全市年度综合排名（位）"),
    ("not_integer", _set("拆除违章搭建", 2, 12.5), "not_integer", 3, "拆除违章搭建（处）"),
    ("wrong_unit", _set("创建知晓率", 2, "85人"), "unit_mismatch", 3, "创建知晓率（%）"),
    ("not_bool", _set("成立创建领导小组", 2, "有"), "not_bool", 3,
     "成立创建领导小组（指挥部）（是/否）"),
    ("bad_year", _set("年度", 2, "二〇二一"), "bad_year", 3, "年度"),
    ("unknown_unit", _set("单位", 20, "桐山具"), "unknown_unit", 21, None),
    ("duplicate_row", _append(lambda rows: list(rows[3])), "duplicate_row", 43, None),
    ("unknown_column", _rename("注册志愿者（", "志愿者注册总数（名）"), "unknown_column", 2,
     "志愿者注册总数（名）"),
    ("header_unit_mismatch", _rename("注册志愿者（", "注册志愿者（人次）"), "unit_mismatch", 2,
     "注册志愿者（人次）"),
    ("wrong_total", _append(_wrong_total), "total_mismatch", 43, "注册志愿者（名）"),
    ("missing_required", _set("集中整治行动", 6, None), "missing_required", 7,
     "集中整治行动（次）"),
    ("missing_required_placeholder", _set("集中整治行动", 6, "—"), "missing_required", 7,
     "集中整治行动（次）"),
]


@pytest.mark.parametrize(("edit", "rule", "row", "column"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_mutation_is_located_and_check_exits_1(edit, rule, row, column, grid,
                                                   sample_path, tmp_path) -> None:
    path = _xlsx(sample_path, tmp_path, edit(_copy(grid)), name="报送.xlsx")
    result = CliRunner().invoke(app, ["check", str(path), "--year", "2025"],
                                env={"COLUMNS": "240"})
    assert result.exit_code == 1, result.output
    from huibao.app.data_commands import run_check
    found = run_check([path], "wenming_city", sample_path.parents[1], year=2025)
    mine = [p for p in found.findings.errors if p.rule == rule]
    assert mine, [p.text() for p in found.findings]
    p = mine[0]
    assert (p.file, p.sheet, p.row) == ("报送.xlsx", "指标数据", row)
    if column:
        assert p.column == column
        assert column in result.output.replace("\n", "")
    assert "报送.xlsx" in result.output
    assert str(row) in result.output


def test_clean_files_exit_0_and_warnings_do_not_fail(sample_path, tmp_path, grid) -> None:
    rows = _copy(grid)
    j = _col(rows, "拆除违章搭建")
    rows[6][j] = rows[5][j] * 10  # a tenfold jump: a warning to verify, not an error
    path = _xlsx(sample_path, tmp_path, rows, name="跳变.xlsx")
    result = CliRunner().invoke(app, ["check", str(path), "--allow-missing"],
                                env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "警告" in result.output and "变化异常" in result.output


def test_unusable_arguments_exit_2(tmp_path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["check", str(tmp_path / "无此文件.xlsx")]).exit_code == 2
    assert runner.invoke(app, ["check", "--campaign", "nope", str(tmp_path)]).exit_code == 2


def test_corrupt_file_is_an_error_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    result = CliRunner().invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "坏文件.xlsx" in result.output and "Traceback" not in result.output


def test_all_problems_are_reported_in_one_pass(grid, sample_path, tmp_path) -> None:
    rows = _copy(grid)
    for edit in (_set("注册志愿者（", 6, "六万多"), _set("群众满意度", 8, 108.5),
                 _set("集中整治行动", 4, -3)):
        rows = edit(rows)
    path = _xlsx(sample_path, tmp_path, rows)
    from huibao.app.data_commands import run_check
    found = run_check([path], "wenming_city", sample_path.parents[1], year=2025)
    assert {"non_numeric", "rate_over_100", "negative"} <= {p.rule for p in found.findings}


def test_sheets_with_the_roster_in_another_file(pack, grid, sample_path, tmp_path) -> None:
    only_values = _csv(tmp_path, grid, "utf-8")
    roster = tmp_path / "单位.xlsx"
    shutil.copy(sample_path, roster)
    wb = openpyxl.load_workbook(roster)
    del wb["指标数据"]
    wb.save(roster)
    read = read_workbook([roster, only_values], pack)
    assert read.findings.errors == []
    assert set(read.units.unit) == {r[0] for r in grid[HEADER + 1:]}
