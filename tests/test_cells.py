"""Reading single cells and text files exactly, or refusing them with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huibao.inputs.cells import CellError, read_number, read_year, scale
from huibao.inputs.sheets import decode


@pytest.mark.parametrize(("raw", "number", "unit"), [
    (66298, "66298", None),
    (88.6, "88.6", None),
    ("６６２９８", "66298", None),
    ("８８．６％", "88.6", "%"),
    ("66,298", "66298", None),
    ("66，298", "66298", None),
    ("1,234,567.5", "1234567.5", None),
    ("300人", "300", "人"),
    ("1.5万人", "1.5", "万人"),
    (" 356.78 万元 ", "356.78", "万元"),
    ("-3", "-3", None),
    ("+12", "12", None),
])
def test_numbers_as_people_type_them(raw, number, unit) -> None:
    reading = read_number(raw)
    assert reading is not None
    assert (reading.number, reading.unit) == (Decimal(number), unit)


def test_percent_formatted_cells_are_scaled_exactly() -> None:
    assert read_number(0.886, percent_format=True).number == Decimal("88.6")


@pytest.mark.parametrize("raw", [None, "", "—", "——", "-", "/", "无", "空白", "　", "N/A",
                                 float("nan")])
def test_placeholders_are_missing_not_zero(raw) -> None:
    assert read_number(raw) is None


@pytest.mark.parametrize(("raw", "word"), [
    ("约3000", "估计"), ("3000余", "估计"), ("300多人", "估计"), ("六万", "无法识别"),
    ("1,23", "无法识别"), ("12.5.1", "无法识别"), ("#DIV/0!", "错误值"), (True, "逻辑值"),
    (dt.date(2025, 1, 1), "日期"), ("85 percent", "无法识别"),
])
def test_unusable_cells_say_why(raw, word) -> None:
    with pytest.raises(CellError) as info:
        read_number(raw)
    assert word in info.value.problem


@pytest.mark.parametrize(("raw", "year"), [(2025, 2025), (2025.0, 2025), ("2025年", 2025),
                                           ("２０２５", 2025), ("2025年度", 2025), (None, None)])
def test_years(raw, year) -> None:
    assert read_year(raw) == year


@pytest.mark.parametrize("raw", ["二〇二五", "25", "2025-12", "3025"])
def test_bad_years(raw) -> None:
    with pytest.raises(CellError):
        read_year(raw)


@pytest.mark.parametrize(("written", "wanted", "factor"), [
    ("元", "万元", Decimal("0.0001")), ("万元", "万元", 1), ("亿元", "万元", 10000),
    ("人", "名", 1), ("万人", "名", 10000), ("万", "名", 10000), ("人", "万人", Decimal("0.0001")),
    ("家", "个", 1), ("%", "%", 1), ("人次", "名", None), ("%", "名", None), ("元", "处", None),
])
def test_unit_scaling(written, wanted, factor) -> None:
    assert scale(written, wanted) == (None if factor is None else Decimal(factor))


def test_measure_word_counts_as_the_unit() -> None:
    assert scale("家", "个", ("家",)) == 1


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_encodings_are_detected_even_for_short_files(encoding) -> None:
    text = "单位,年度,注册志愿者（名）\r\n堃湖区,2025,1200\r\n"
    decoded, _ = decode(text.encode(encoding))
    assert decoded.lstrip("\ufeff") == text


@pytest.mark.parametrize("raw", ["12\n345", "12\x0b345", "1,234\r\n5", "3\n.5"])
def test_a_line_break_between_digits_is_refused(raw) -> None:
    with pytest.raises(CellError, match="换行"):
        read_number(raw)


@pytest.mark.parametrize(("raw", "number"), [("1,234\n", "1234"), ("\n85", "85"),
                                             ("85\n%", "85")])
def test_a_line_break_beside_a_number_is_not_a_split(raw, number) -> None:
    assert read_number(raw).number == Decimal(number)
