"""Units of measure and rates: the factor from a column's unit to its indicator's, and
the value of one number cell in the indicator's unit.

Every place a unit of measure can be written is read (the header （万元）, a row of units
under the header, a 单位：万元 line above or below the table, the cell itself: 1.5万人); two
that disagree refuse the column, with both places named. Rates typed as fractions are
converted only with certainty (a whole column of plain 0–1 numbers) and said so; a fraction
among percentages is refused. Every problem goes to the reader's ``Findings``, located.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from huibao.inputs.cells import (
    CellError,
    fold,
    is_placeholder,
    is_unit,
    read_number,
    scale,
    split_unit,
    text_of,
)
from huibao.inputs.findings import Findings
from huibao.inputs.sheets import Grid, Layout, letter
from huibao.numbers import fmt_number
from huibao.packs.schema import Indicator

BAD = object()  # a cell that was reported: neither a value nor a blank
# A value or target record of the reader is a list; where its value and Excel row are.
VALUE, ROW = 3, 6


def also(ind: Indicator) -> tuple[str, ...]:
    """Other words that mean the indicator's unit (its measure word: 名 for 人)."""
    return (ind.measure_word,) if ind.measure_word else ()


def unit_lines_usable(findings: Findings, grid: Grid, layout: Layout,
                      known: set[str]) -> bool:
    """False (and a problem) when the table's 单位 lines cannot be applied with certainty."""
    lines = layout.unit_lines
    where = {"file": grid.file, "sheet": grid.sheet}
    odd = [u for u in lines if not is_unit(u, known)]
    if odd:
        findings.add("unit_line", f"表格的单位说明“单位：{odd[0]}”列出了多个计量单位或"
                     "无法识别，不能确定各列的计量单位", row=lines[odd[0]] + 1,
                     expected="在各列表头中分别注明计量单位，如“创建资金投入（万元）”",
                     **where)
        return False
    if len({split_unit(u) for u in lines}) > 1:
        listed = "、".join(f"第{r + 1}行“{u}”" for u, r in lines.items())
        findings.add("unit_conflict", f"表格有两处不同的单位说明（{listed}），无法确定"
                     "计量单位", row=min(lines.values()) + 1,
                     expected="只保留一处单位说明，或在各列表头中注明计量单位", **where)
        return False
    return True

def column_factor(findings: Findings, ind: Indicator, written: str | None, layout: Layout,
                  c: int, where: dict) -> Decimal | None:
    """Factor from the column's unit of measure to the indicator's; None after a problem.

    Every place a unit can be written is read: the header （万元）, a row of units under
    the header, the table's 单位：万元 line. Two that disagree refuse the column.
    """
    stated = []  # (unit, how it is called in a message, Excel row)
    if written is not None:
        stated.append((written, "表头", where["row"]))
    if layout.unit_of(c):
        stated.append((layout.unit_of(c), "表头下的计量单位行", layout.unit_row + 1))
    factor: Decimal | None = None
    first = None
    for unit, said, row in stated:
        found = scale(unit, ind.unit, also(ind))
        if found is None:
            findings.add("unit_mismatch", f"{said}的计量单位“{unit}”与指标的"
                         f"计量单位“{ind.unit}”不一致，无法换算",
                         expected=f"以“{ind.unit}”计", **{**where, "row": row})
            return None
        if factor is not None and found != factor:
            findings.add("unit_conflict", f"{first[1]}写明计量单位“{first[0]}”，"
                         f"{said}却写明“{unit}”，无法确定计量单位",
                         expected="两处写明同一计量单位", **{**where, "row": row})
            return None
        factor, first = found, (unit, said)
    line = layout.unit_line
    if line:
        found = scale(line, ind.unit, also(ind))
        if found is not None and factor is not None and found != factor:
            findings.add("unit_conflict", f"{first[1]}写明计量单位“{first[0]}”，与表格的"
                         f"单位说明“单位：{line}”（第{layout.unit_line_row + 1}行）"
                         "不一致，无法确定计量单位", expected="两处写明同一计量单位",
                         **where)
            return None
        if factor is None and found is not None:
            factor = found
    return Decimal(1) if factor is None else factor


def is_bare(grid: Grid, r: int, c: int) -> bool:
    """A plain number: no % typed after it and no percent format."""
    if (r, c) in grid.percent:
        return False
    try:
        reading = read_number(grid.raw(r, c))
    except CellError:
        return False
    return reading is not None and reading.unit is None


def rate_column(findings: Findings, grid: Grid, layout: Layout, c: int, ind: Indicator,
                cells: list[tuple[list, bool]]) -> set[int]:
    """Rates typed as fractions (0.959 for 95.9 %): convert a whole column, or refuse.

    Converted only when certain: every value of the column is a plain number between
    0 and 1 (a lower-is-better rate, where 0.5 % is plausible, is never converted).
    Fractions beside percentages in one column are refused cell by cell: the ids of their
    records are returned for the caller to drop. ``cells``: each record (a list; see
    ``VALUE``, ``ROW``) and whether its cell is a plain number (``is_bare``).
    """
    fractions = [rec for rec, bare in cells if bare and 0 < rec[VALUE] < 1]
    if not fractions or ind.higher_is_better is False:
        return set()
    where = {"file": grid.file, "sheet": grid.sheet, "column": layout.shown[c],
             "letter": letter(c), "key": ind.key}
    if all(bare and 0 <= rec[VALUE] <= 1 for rec, bare in cells):
        example = fractions[0][VALUE]
        for rec, _ in cells:
            rec[VALUE] = float(Decimal(repr(rec[VALUE])) * 100)
        shown = format(Decimal(repr(example)).normalize(), "f")
        as_pct = format((Decimal(repr(example)) * 100).normalize(), "f")
        findings.add("rate_converted", f"“{ind.name}”整列以小数填写（如{shown}），已按"
                     f"百分数换算（{shown} → {as_pct}%），请核实", severity="warning",
                     row=layout.first + 1, value=f"共{len(cells)}个单元格",
                     expected="百分数的数值（如 95.9 表示 95.9%）", **where)
        return set()
    for rec in fractions:
        findings.add("rate_fraction", "比率疑似以小数填写，而同列其他单元格按百分数填写，"
                     "无法确定其含义", value=fmt_number(rec[VALUE], 4),
                     expected="百分数的数值（如 95.9 表示 95.9%）", row=rec[ROW],
                     unit=rec[0], year=rec[1], **where)
    return {id(rec) for rec in fractions}


def cell_value(findings: Findings, raw: object, ind: Indicator, factor: Decimal,
               percent: bool, where: Callable[[], dict]) -> float | object | None:
    """The cell's value in the indicator's unit; None if blank; BAD after a problem.

    ``where`` makes the problem's location, only when there is a problem.
    """
    if factor == 1 and not percent and ind.kind != "bool" and (
            (type(raw) is int and abs(raw) < 1 << 53) or (type(raw) is float and math.isfinite(
                raw) and (raw.is_integer() or ind.kind not in ("count", "rank")))):
        return float(raw)  # the common case, as read_number would read it
    if ind.kind == "bool":
        text = fold(text_of(raw))
        if is_placeholder(raw):
            return None
        if text in ("是", "否"):
            return 1.0 if text == "是" else 0.0
        findings.add("not_bool", "是否型指标只能填“是”或“否”", value=text_of(raw),
                     expected="是 或 否", **where())
        return BAD
    try:
        reading = read_number(raw, percent_format=percent)
    except CellError as exc:
        findings.add("non_numeric", exc.problem, value=text_of(raw),
                     expected=f"{exc.expected}，计量单位“{ind.unit}”", **where())
        return BAD
    if reading is None:
        return None
    if reading.unit is not None:
        own = scale(reading.unit, ind.unit, also(ind))
        if own is None:
            findings.add("unit_mismatch", f"数值后的计量单位“{reading.unit}”与指标的"
                         f"计量单位“{ind.unit}”不一致", value=text_of(raw),
                         expected=f"以“{ind.unit}”计的数值", **where())
            return BAD
        factor = own
    number = reading.number * factor
    if ind.kind in ("count", "rank") and number != number.to_integral_value():
        findings.add("not_integer", "应为整数", value=text_of(raw),
                     expected=f"整数（{ind.unit}）", **where())
        return BAD
    return float(number)
