"""Reading the collection workbook: values keep their cell, bad cells are located exactly."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from huibao.facts.loader import check_workbook
from huibao.inputs.workbook import read_workbook
from huibao.packs.schema import load_pack


@pytest.fixture(scope="module")
def pack(root: Path):
    return load_pack("wenming_city", root / "templates")


def test_values_are_long_format_with_their_source_cell(pack, sample_path: Path) -> None:
    wb = read_workbook(sample_path, pack)
    row = wb.values[(wb.values.unit == "示例县") & (wb.values.year == 2025)
                    & (wb.values.key == "registered_volunteers")].iloc[0]
    sheet, cell = row.source.split("!")
    ws = openpyxl.load_workbook(sample_path, data_only=True)[sheet]
    assert ws[cell].value == row.value
    assert str(ws.cell(2, ws[cell].column).value).startswith("注册志愿者")


def test_blank_cells_are_missing_not_zero(pack, sample_path: Path) -> None:
    wb = read_workbook(sample_path, pack)
    v = wb.values
    yx = v[(v.unit == "云溪区") & (v.year == 2025)]
    assert "awareness_rate" not in set(yx.key)
    assert (v[(v.unit == "示例县") & (v.key == "major_incidents")].value == 0).all()


def test_bool_cells_read_as_one_and_zero(pack, sample_path: Path) -> None:
    v = read_workbook(sample_path, pack).values
    assert set(v[v.key == "leading_group_established"].value) <= {0.0, 1.0}


def _edited(sample_path: Path, tmp_path: Path, edit) -> Path:
    wb = openpyxl.load_workbook(sample_path)
    edit(wb)
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


def test_non_numeric_cell_names_file_sheet_row_and_column(pack, sample_path: Path,
                                                          tmp_path: Path) -> None:
    def edit(wb):
        wb["指标数据"]["P7"] = "六万多"

    wb = read_workbook(_edited(sample_path, tmp_path, edit), pack)
    [problem] = wb.findings.errors
    msg = problem.text()
    for part in ("edited.xlsx", "指标数据", "第7行", "P列", "注册志愿者（名）", "六万多"):
        assert part in msg
    # The bad cell is left out, the rest of the sheet is read.
    v = wb.values
    assert not (v.source == "指标数据!P7").any()
    assert len(v) == len(read_workbook(sample_path, pack).values) - 1


def test_unknown_column_suggests_the_closest_indicator(pack, sample_path: Path,
                                                       tmp_path: Path) -> None:
    def edit(wb):
        wb["指标数据"]["P2"] = "志愿者注册人数（名）"

    [problem] = read_workbook(_edited(sample_path, tmp_path, edit), pack).findings.errors
    assert problem.rule == "unknown_column"
    assert "注册志愿者（名）" in problem.text()


def test_aliases_from_the_form_are_accepted(pack, sample_path: Path, tmp_path: Path) -> None:
    def edit(wb):
        wb["指标数据"]["P2"] = "注册志愿者人数（人）"

    wb = read_workbook(_edited(sample_path, tmp_path, edit), pack)
    assert wb.findings.errors == []
    assert "registered_volunteers" in set(wb.values.key)


def test_missing_sheet_is_reported(pack, sample_path: Path, tmp_path: Path) -> None:
    def edit(wb):
        del wb["单位信息"]

    wb = read_workbook(_edited(sample_path, tmp_path, edit), pack)
    found = check_workbook(wb, pack)[0]
    # (the sample 文字材料 hold one deliberate number disagreement, a text_number warning)
    assert [p.rule for p in found.warnings if p.rule != "text_number"] == ["no_roster"]


def test_a_roster_unit_listed_twice_is_an_error(pack, sample_path: Path, tmp_path: Path) -> None:
    def edit(wb):
        ws = wb["单位信息"]
        ws.append([c.value for c in ws[3]])

    found = check_workbook(read_workbook(_edited(sample_path, tmp_path, edit), pack), pack)[0]
    [p] = [p for p in found.errors if p.rule == "duplicate_unit"]
    assert p.sheet == "单位信息" and p.row == 10


def test_a_given_rate_is_checked_against_its_parts(pack, sample_path: Path,
                                                  tmp_path: Path) -> None:
    rows = {}

    def edit(wb):
        ws = wb["指标数据"]
        col = ws.max_column + 1
        ws.cell(2, col, "任务完成率（%）")
        heads = {c.value: c.column for c in ws[2]}
        done, total = heads["已完成任务（项）"], heads["测评体系分解任务（项）"]
        for r in range(3, ws.max_row + 1):
            rate = ws.cell(r, done).value / ws.cell(r, total).value * 100
            ws.cell(r, col, round(rate, 1))
            rows[r] = rate
        ws.cell(5, col, round(rows[5] - 3, 1))  # off by 3 points

    wb = read_workbook(_edited(sample_path, tmp_path, edit), pack)
    found = check_workbook(wb, pack)[0]
    [p] = [p for p in found.errors if p.rule == "rate_mismatch"]
    assert p.row == 5 and p.column == "任务完成率（%）"
    # The rounded ones agree (the sample's one other error is 云溪区's blank required cell).
    assert [p.rule for p in found.errors if p.rule != "missing_required"] == ["rate_mismatch"]


def test_blank_year_rows_and_units_are_located(pack, sample_path: Path, tmp_path: Path) -> None:
    def edit(wb):
        ws = wb["指标数据"]
        ws["A6"] = None
        ws["B8"] = None

    found = read_workbook(_edited(sample_path, tmp_path, edit), pack).findings
    assert {(p.rule, p.row) for p in found.errors} == {("no_unit", 6), ("bad_year", 8)}
