"""The collection workbook an office sends to its units (``huibao template``).

One workbook per year: 填表说明 (what each indicator means, its unit, 口径, who fills it),
单位信息, 指标数据 (Chinese headers with units, a hidden row of indicator keys, one row per
unit prefilled, Excel data validation, frozen header), 年度目标, 荣誉, 重点活动 and 制度.
``intake`` reads exactly this layout back (and much messier ones); earlier years stay in
their own files, so adding a year never means editing an old file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from huibao.inputs import texts
from huibao.inputs.workbook import (
    PLAIN,
    SHEET_ACTIVITIES,
    SHEET_GUIDE,
    SHEET_HONOURS,
    SHEET_SYSTEMS,
    SHEET_TARGETS,
    SHEET_UNITS,
    SHEET_VALUES,
)
from huibao.numbers import fmt_number
from huibao.packs.schema import Indicator, Pack
from huibao.render.measure import text_width

FONT = "宋体"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SPARE_ROWS = 200          # empty rows with validation below the prefilled ones
KIND_LABEL = {"count": "整数", "rank": "整数（第几位）", "amount": "数值", "money": "数值",
              "rate": "百分数（0—100）", "score": "数值", "bool": "是/否"}


@dataclass(frozen=True)
class UnitRow:
    """A row of 单位信息 (only the name is needed)."""

    unit: str
    unit_type: str = ""
    self_ref: str = ""
    superior: str = ""
    signatory: str = ""


def _width(text: str) -> int:
    """Excel column width units: one per ASCII character, two per Chinese one."""
    return round(2 * text_width(text))


def _header(ws: Worksheet, row: int, headers: list[str], *, min_width: int = 8) -> None:
    for j, text in enumerate(headers, start=1):
        cell = ws.cell(row, j, text)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = min(max(min_width, _width(text) + 2), 30)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[row].height = 36


def _title(ws: Worksheet, text: str, span: int) -> None:
    ws.cell(1, 1, text).font = Font(name=FONT, bold=True, size=14)
    if span > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=min(span, 12))


def _validate(ws: Worksheet, column: int, first: int, last: int, dv: DataValidation) -> None:
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = bool(dv.prompt)
    dv.errorTitle = dv.errorTitle or "输入有误"
    col = get_column_letter(column)
    dv.add(f"{col}{first}:{col}{last}")
    ws.add_data_validation(dv)


def _list(values: list[str], prompt: str = "") -> DataValidation:
    return DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                          error=f"请从下拉列表中选择：{'、'.join(values)}", prompt=prompt or None)


def _unit_list(count: int) -> DataValidation:
    last = max(count, 1) + 1 + SPARE_ROWS
    return DataValidation(type="list", formula1=f"'{SHEET_UNITS}'!$A$2:$A${last}",
                          error="单位须是“单位信息”表中列出的单位")


def _number_rule(ind: Indicator) -> DataValidation:
    word = ind.word if ind.kind != "rate" else "%"
    if ind.kind == "bool":
        return _list(["是", "否"], "选择“是”或“否”")
    if ind.kind == "rate":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100",
                            error="比率填0到100之间的数值（92.5 表示 92.5%），不带 % 号")
    elif ind.kind == "rank":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="1",
                            error="排名填不小于1的整数")
    elif ind.kind == "count":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error=f"填不小于0的整数（单位：{word}），不带单位")
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                            error=f"填不小于0的数值（单位：{ind.unit}），不带单位")
    dv.promptTitle = ind.name[:32]
    dv.prompt = (ind.definition or f"单位：{ind.unit}")[:255]
    return dv


def _guide(ws: Worksheet, pack: Pack, year: int) -> None:
    ws.title = SHEET_GUIDE
    ws.cell(1, 1, f"{pack.name}{year}年度数据采集表 填表说明").font = Font(
        name=FONT, bold=True, size=14)
    notes = [
        f"本表采集{year}年度数据。以前年度的数据已在往年的表中，无需重复填报，也不要修改往年的文件。",
        f"“{SHEET_VALUES}”表每个单位每年一行，“单位”须与“{SHEET_UNITS}”表一致；请勿修改表头和第3行（隐藏的指标代码）。",
        "数值只填阿拉伯数字，不带计量单位；比率填百分数的数值，如 92.5 表示 92.5%。",
        "暂时没有的数据留空，不要填 0、“—”或“无”；0 表示确实为零（如全年未发生安全事故）。",
        "是否型指标从下拉列表中选择“是”或“否”。带“由系统计算”的指标不必填写。",
        f"“{SHEET_TARGETS}”表填本单位的年度目标，空白表示沿用下表中的默认目标。",
        f"“{SHEET_HONOURS}”“{SHEET_ACTIVITIES}”“{SHEET_SYSTEMS}”表每条一行，称号、名称不加书名号或引号。",
        f"“{texts.SHEET}”表写本单位自己的做法、典型案例、问题和打算，原文写入工作总结和汇报材料：每段一行，"
        "“部分”从下拉列表中选择（导语、各项主要工作、典型案例、存在问题、下一步打算），同一部分可写多行，"
        "按行的顺序排列；“小标题”可不填，填写时作为该段的小标题（如“1.集中整治扎实有力。”）。"
        "例：示例县｜2025｜狠抓环境整治，提升城市品质｜背街小巷一巷一策｜今年我县把……",
        "文字材料中写到指标数字时，请与“指标数据”表一致（检查时会核对）；没有写的部分使用通用表述。"
        "也可以每个单位交一个 Word 或 Markdown 文件"
        "（文件名如 示例县_2025.docx，一级标题写部分名称）。",
        "填好后可用 huibao check 文件名 检查，所有问题会连同行号、列名一起列出。",
    ]
    for i, text in enumerate(notes, start=3):
        ws.cell(i, 1, f"{i - 2}. {text}").font = Font(name=FONT)
    first = len(notes) + 4
    headers = ["序号", "分组", "指标", "计量单位", "填写类型", "必填", "默认目标", "口径说明",
               "填报责任单位"]
    _header(ws, first, headers)
    groups = {g.key: g.title for g in pack.groups}
    for n, ind in enumerate(pack.indicators, start=1):
        target = ""
        if ind.target is not None:
            sign = "≤" if ind.target_relation == "cap" else "≥"
            target = f"{sign}{fmt_number(ind.target, ind.decimals or 0)}"
        definition = ind.definition or ""
        if ind.is_derived:
            definition = (definition + "（由系统计算）") if "系统计算" not in definition \
                else definition
        row = [n, groups[ind.group], ind.name, ind.unit, KIND_LABEL[ind.kind],
               "是" if ind.required else "", target, definition, ind.owner or pack.form.owner]
        for j, value in enumerate(row, start=1):
            cell = ws.cell(first + n, j, value)
            cell.font = Font(name=FONT)
            cell.border = BOX
            cell.alignment = Alignment(vertical="center", wrap_text=j in (3, 8, 9))
    for letter, width in (("A", 6), ("B", 28), ("C", 30), ("H", 60), ("I", 22)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(first + 1, 1)


def _indicator_sheet(ws: Worksheet, title: str, inds: list[Indicator], units: list[str],
                     years: list[int]) -> None:
    headers = ["单位", "年度", *[i.header for i in inds]]
    _title(ws, title, len(headers))
    _header(ws, 2, headers)
    for j, ind in enumerate(inds, start=3):
        ws.cell(3, j, ind.key)
    ws.cell(3, 1, "")
    ws.row_dimensions[3].hidden = True
    r = 4
    for unit in units:
        for year in years:
            ws.cell(r, 1, unit)
            ws.cell(r, 2, year)
            r += 1
    last = r + SPARE_ROWS
    _validate(ws, 1, 4, last, _unit_list(len(units)))
    _validate(ws, 2, 4, last, DataValidation(type="whole", operator="between",
                                             formula1="2000", formula2="2100",
                                             error="年度填四位年份，如 2025"))
    for j, ind in enumerate(inds, start=3):
        _validate(ws, j, 4, last, _number_rule(ind))
    ws.freeze_panes = "C4"


def _plain_sheet(ws: Worksheet, role: str, lists: dict[str, list[str]], units: int,
                 first_data_row: int = 2) -> None:
    spec = PLAIN[role]
    headers = list(spec.columns)
    _header(ws, first_data_row - 1, headers, min_width=10)
    last = first_data_row + SPARE_ROWS
    for j, header in enumerate(headers, start=1):
        field = spec.columns[header]
        if field == "unit" and role != "units":
            _validate(ws, j, first_data_row, last, _unit_list(units))
        elif field == "year":
            _validate(ws, j, first_data_row, last, DataValidation(
                type="whole", operator="between", formula1="2000", formula2="2100",
                error="年度填四位年份，如 2025"))
        elif field in lists:
            _validate(ws, j, first_data_row, last, _list(lists[field]))
        elif field in spec.numbers:
            _validate(ws, j, first_data_row, last, DataValidation(
                type="whole", operator="greaterThanOrEqual", formula1="0",
                error="填不小于0的整数"))
        if field in ("title", "name", "note", "body"):
            ws.column_dimensions[get_column_letter(j)].width = 36
    ws.freeze_panes = ws.cell(first_data_row, 1)


def _texts_sheet(ws: Worksheet, guide: Worksheet, pack: Pack, units: int) -> None:
    """文字材料: 部分 chosen from the parts the documents have. The list stands in a hidden
    column of 填表说明 (which is never read as data): a list of long group titles can
    exceed Excel's 255-character limit for a list typed into the rule."""
    _plain_sheet(ws, "texts", {}, units)
    parts = texts.parts(pack)
    guide.cell(1, 26, "部分（文字材料下拉列表）")
    for i, part in enumerate(parts, start=2):
        guide.cell(i, 26, part)
    guide.column_dimensions["Z"].hidden = True
    dv = DataValidation(type="list", formula1=f"'{SHEET_GUIDE}'!$Z$2:$Z${len(parts) + 1}",
                        error="请从下拉列表中选择部分：" + "、".join(parts)[:200])
    ws.add_data_validation(dv)
    dv.add(f"C2:C{2 + SPARE_ROWS}")
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["E"].width = 90
    for row in range(2, 3 + SPARE_ROWS):
        ws.cell(row, 5).alignment = Alignment(wrap_text=True, vertical="top")


def write_form(pack: Pack, year: int, units: list[UnitRow], path: Path, *,
               region: str = "") -> Path:
    """Write the collection workbook for ``year`` to ``path`` (atomically) and return it."""
    wb = Workbook()
    _guide(wb.active, pack, year)
    names = [u.unit for u in units]

    ws = wb.create_sheet(SHEET_UNITS)
    _plain_sheet(ws, "units", {"unit_type": pack.form.unit_types}, len(units))
    for r, u in enumerate(units, start=2):
        for j, value in enumerate((u.unit, u.unit_type, u.self_ref, u.superior, u.signatory),
                                  start=1):
            ws.cell(r, j, value or None)

    collected = [i for i in pack.collected]
    _indicator_sheet(wb.create_sheet(SHEET_VALUES),
                     f"{region}{year}年{pack.name}指标数据", collected, names, [year])
    with_target = [i for i in pack.indicators if i.target is not None and not i.is_derived]
    if with_target:
        _indicator_sheet(wb.create_sheet(SHEET_TARGETS),
                         f"{region}{pack.name}年度目标（空白表示沿用默认目标）", with_target,
                         names, [year, year + 1])
    lists = {"level": pack.form.honour_levels, "category": pack.form.activity_categories,
             "action": pack.form.system_actions}
    for sheet, role in ((SHEET_HONOURS, "honours"), (SHEET_ACTIVITIES, "activities"),
                        (SHEET_SYSTEMS, "systems")):
        _plain_sheet(wb.create_sheet(sheet), role, lists, len(units))
    _texts_sheet(wb.create_sheet(texts.SHEET), wb[SHEET_GUIDE], pack, len(units))
    wb.properties.title = f"{pack.name}{year}年度数据采集表"
    wb.properties.creator = "huibao"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
