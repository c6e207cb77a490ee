"""Reading the collection workbook: values keep their cell, bad cells are located exactly."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from huibao.errors import DataError
from huibao.intake import read_workbook
from huibao.schema import load_pack


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

    with pytest.raises(DataError) as info:
        read_workbook(_edited(sample_path, tmp_path, edit), pack)
    msg = str(info.value)
    for part in ("edited.xlsx", "指标数据", "第7行", "注册志愿者（名）", "六万多"):
        assert part in msg


def test_unknown_column_suggests_the_closest_indicator(pack, sample_path: Path,
                                                       tmp_path: Path) -> None:
    def edit(wb):
        wb["指标数据"]["P2"] = "注册志愿者人数（名）"

    with pytest.raises(DataError, match="注册志愿者（名）"):
        read_workbook(_edited(sample_path, tmp_path, edit), pack)


def test_missing_sheet_is_reported(pack, sample_path: Path, tmp_path: Path) -> None:
    def edit(wb):
        del wb["单位信息"]

    with pytest.raises(DataError, match="单位信息"):
        read_workbook(_edited(sample_path, tmp_path, edit), pack)
