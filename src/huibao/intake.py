"""Read the analyst's workbook into tidy frames.

Long format throughout: one row per (unit, year, key) with the value and the cell it came
from (``source`` such as ``指标数据!F12``), so every number in a document can be traced
back to a cell. Derived indicators are not read here; ``metrics`` computes them.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from huibao.errors import DataError
from huibao.schema import Indicator, Pack

SHEET_UNITS = "单位信息"
SHEET_VALUES = "指标数据"
SHEET_TARGETS = "年度目标"
SHEET_HONOURS = "荣誉"

UNIT_COLUMNS = {"单位": "unit", "类型": "unit_type", "自称": "self_ref",
                "上级党委政府": "superior", "署名": "signatory"}
HONOUR_COLUMNS = {"单位": "unit", "年度": "year", "级别": "level", "称号": "title",
                  "授予单位": "body"}
_BOOL = {"是": 1.0, "否": 0.0}
_HEADER_SCAN_ROWS = 10


@dataclass
class Workbook:
    """What one collection workbook holds, as tidy frames."""

    path: Path
    units: pd.DataFrame     # unit, unit_type, self_ref, superior, signatory
    values: pd.DataFrame    # unit, year, key, value, source
    targets: pd.DataFrame   # unit, year, key, target, source
    honours: pd.DataFrame   # unit, year, level, title, body

    def unit_info(self, unit: str) -> dict[str, str]:
        rows = self.units[self.units["unit"] == unit]
        if rows.empty:
            known = "、".join(self.units["unit"])
            raise DataError(f"单位“{unit}”不在单位信息表中（已有：{known}）",
                            file=self.path.name, sheet=SHEET_UNITS)
        return {k: ("" if _blank(v) else str(v)) for k, v in rows.iloc[0].items()}

    def rows_for(self, unit: str) -> dict[str, list[dict]]:
        """Every row of every table that belongs to ``unit`` (for input hashes)."""
        out = {}
        for name, frame in vars(self).items():
            if isinstance(frame, pd.DataFrame) and "unit" in frame.columns:
                rows = frame[frame["unit"] == unit].drop(columns="source", errors="ignore")
                out[name] = rows.astype(object).where(rows.notna(), None).to_dict("records")
        return out


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip())


def _text(v: object) -> str:
    return "" if _blank(v) else str(v).strip().replace("\u3000", "")


def _rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _find_header(rows: list[tuple], needed: set[str], file: str, sheet: str) -> int:
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if needed <= {_text(c) for c in row}:
            return i
    raise DataError(f"前{_HEADER_SCAN_ROWS}行中找不到表头（应包含：{'、'.join(sorted(needed))}）",
                    file=file, sheet=sheet)


def _match_indicator(header: str, pack: Pack) -> Indicator | None:
    for ind in pack.collected:
        if header in (ind.header, ind.name):
            return ind
    return None


def _suggest(header: str, pack: Pack) -> str:
    names = [i.header for i in pack.collected]
    close = difflib.get_close_matches(header, names, n=1, cutoff=0.4)
    return f"，是否应为“{close[0]}”" if close else ""


def _number(raw: object, ind: Indicator, where: dict) -> float | None:
    if _blank(raw):
        return None
    if ind.kind == "bool":
        value = _BOOL.get(_text(raw))
        if value is None:
            raise DataError("是否型指标只能填“是”或“否”", value=raw, expected="是/否", **where)
        return value
    if isinstance(raw, bool):
        raise DataError("应填写数值", value=raw, expected="数值", **where)
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(_text(raw))
    except ValueError:
        raise DataError("无法识别为数值", value=raw, expected=f"以“{ind.unit}”计的数值",
                        **where) from None


def _read_indicator_sheet(ws, pack: Pack, file: str, value_name: str) -> pd.DataFrame:
    rows = _rows(ws)
    h = _find_header(rows, {"单位", "年度"}, file, ws.title)
    headers = [_text(c) for c in rows[h]]
    columns: dict[int, Indicator] = {}
    for j, head in enumerate(headers):
        if head in ("单位", "年度", ""):
            continue
        ind = _match_indicator(head, pack)
        if ind is None:
            raise DataError(f"未知的指标列{_suggest(head, pack)}", file=file, sheet=ws.title,
                            row=h + 1, column=head)
        columns[j] = ind
    i_unit, i_year = headers.index("单位"), headers.index("年度")
    records = []
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        unit = _text(row[i_unit]) if i_unit < len(row) else ""
        if not unit:
            continue
        try:
            year = int(row[i_year])
        except (TypeError, ValueError):
            raise DataError("年度应为四位整数", file=file, sheet=ws.title, row=r,
                            column="年度", value=row[i_year], expected="如 2025") from None
        for j, ind in columns.items():
            where = {"file": file, "sheet": ws.title, "row": r, "column": headers[j]}
            value = _number(row[j] if j < len(row) else None, ind, where)
            if value is not None:
                source = f"{ws.title}!{get_column_letter(j + 1)}{r}"
                records.append((unit, year, ind.key, value, source))
    frame = pd.DataFrame(records, columns=["unit", "year", "key", value_name, "source"])
    dupes = frame[frame.duplicated(["unit", "year", "key"], keep=False)]
    if not dupes.empty:
        first = dupes.iloc[0]
        raise DataError(f"单位“{first.unit}”{first.year}年的数据重复出现", file=file,
                        sheet=ws.title, column=pack.indicator(first.key).header)
    return frame


def _read_plain_sheet(ws, mapping: dict[str, str], file: str) -> pd.DataFrame:
    rows = _rows(ws)
    h = _find_header(rows, {"单位"}, file, ws.title)
    headers = [_text(c) for c in rows[h]]
    missing = [c for c in mapping if c not in headers]
    if missing:
        raise DataError(f"缺少列：{'、'.join(missing)}", file=file, sheet=ws.title, row=h + 1)
    idx = {mapping[c]: headers.index(c) for c in mapping}
    data = [{k: row[j] if j < len(row) else None for k, j in idx.items()}
            for row in rows[h + 1:] if not _blank(row[idx["unit"]])]
    return pd.DataFrame(data, columns=list(mapping.values()))


def read_workbook(path: Path, pack: Pack) -> Workbook:
    """Read a collection workbook (.xlsx) laid out as described in data/README.md."""
    path = Path(path)
    if not path.is_file():
        raise DataError("找不到数据文件", file=str(path))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise DataError(f"无法打开工作簿（{type(exc).__name__}）", file=path.name) from None
    file = path.name
    try:
        for sheet in (SHEET_UNITS, SHEET_VALUES):
            if sheet not in wb.sheetnames:
                raise DataError(f"缺少工作表“{sheet}”", file=file)
        units = _read_plain_sheet(wb[SHEET_UNITS], UNIT_COLUMNS, file)
        values = _read_indicator_sheet(wb[SHEET_VALUES], pack, file, "value")
        if SHEET_TARGETS in wb.sheetnames:
            targets = _read_indicator_sheet(wb[SHEET_TARGETS], pack, file, "target")
        else:
            targets = pd.DataFrame(columns=["unit", "year", "key", "target", "source"])
        if SHEET_HONOURS in wb.sheetnames:
            honours = _read_plain_sheet(wb[SHEET_HONOURS], HONOUR_COLUMNS, file)
            honours["year"] = honours["year"].astype(int)
        else:
            honours = pd.DataFrame(columns=list(HONOUR_COLUMNS.values()))
    finally:
        wb.close()
    unknown = sorted(set(values["unit"]) - set(units["unit"]))
    if unknown:
        raise DataError(f"单位“{'、'.join(unknown)}”有指标数据，但不在单位信息表中",
                        file=file, sheet=SHEET_VALUES)
    return Workbook(path=path, units=units, values=values, targets=targets, honours=honours)
