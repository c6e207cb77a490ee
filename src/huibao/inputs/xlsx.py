""".xlsx files → grids, streamed and bounded.

A workbook is a zip of XML parts; a small file can unpack to gigabytes (a shared-strings
table of one repeated string), and one stray value in XFD1048576 makes a sheet's "range"
seventeen billion cells. So, before anything is parsed, the zip's declared sizes are
checked (Python's zipfile never yields more than a member's declared size, and fails on a
CRC mismatch), sheets are parsed one row at a time in openpyxl's read-only mode, and only
the cells that hold a value are kept: a sheet costs what it contains, not what it spans.

Besides values, each grid keeps what the reader must not guess: which numbers are shown
through a real percent format (``0.0%``, not ``0.0"%"``), which formula cells have no
cached result (a script wrote the file, or it was saved without recalculation), which rows
are hidden, and the merged ranges. An encrypted workbook (an OLE container holding an
``EncryptedPackage``) is refused as needing its password, an old .xls renamed to .xlsx as
such.
"""

from __future__ import annotations

import re
import zipfile
from functools import cache
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from huibao.errors import DataError

MB = 1 << 20
MAX_UNPACKED = 512 * MB       # all parts of one workbook together
MAX_PART = 256 * MB           # one part (a sheet)
MAX_SHARED_STRINGS = 64 * MB  # held in memory whole by openpyxl, so kept smaller
MAX_CELLS = 5_000_000         # filled cells in one workbook
MAX_ROWS = 20_000             # rows holding a value in one sheet (checks are per row)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
# Excel writes characters XML cannot hold as _xHHHH_; openpyxl leaves them escaped.
_ESCAPED_CONTROL = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{max(1, round(n / MB))} MB"


def check_container(path: Path) -> None:
    """Refuse, before parsing, what cannot or must not be opened (DataError naming the file)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if _ENCRYPTED in data:
            raise DataError("工作簿设置了打开密码（已加密），无法读取", file=path.name,
                            expected="在 Excel 中输入密码打开，于“文件—信息—保护工作簿—用密码进行"
                            "加密”中删除密码并保存后再使用")
        raise DataError("文件实际是旧版 .xls 格式（只是扩展名为 .xlsx）", file=path.name,
                        expected="在 Excel 或 WPS 中“另存为” .xlsx 后再使用")
    if not zipfile.is_zipfile(path):
        raise DataError("无法打开工作簿（不是有效的 .xlsx 文件），文件可能已损坏或不是 .xlsx",
                        file=path.name)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise DataError("无法打开工作簿（压缩结构损坏），文件可能已损坏或不是 .xlsx",
                        file=path.name) from None
    expected = "删去无关的工作表和内容后另存，或把数据分成几个文件"
    for info in infos:
        limit = MAX_SHARED_STRINGS if info.filename.endswith("sharedStrings.xml") else MAX_PART
        if info.file_size > limit:
            raise DataError(f"工作簿过大：其中的 {info.filename} 解压后约{_size(info.file_size)}"
                            f"（上限{_size(limit)}），无法安全读取", file=path.name,
                            expected=expected)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise DataError(f"工作簿过大：解压后共约{_size(total)}（上限{_size(MAX_UNPACKED)}），"
                        "无法安全读取", file=path.name, expected=expected)


def is_percent_format(fmt: str | None) -> bool:
    """A format that multiplies by 100: ``0%``, ``0.0%``; not ``0.0"%"`` or ``0.0\\%``."""
    if not fmt:
        return False
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", str(fmt))
    return "%" in bare


class _Parser(WorkSheetParser):
    """openpyxl's streaming sheet parser, also noting formulas that have no cached result."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if element.find(FORMULA_TAG) is not None and _uncached(element):
            cell["uncached"] = True
        elif isinstance(cell["value"], str) and "_x" in cell["value"]:
            cell["value"] = _ESCAPED_CONTROL.sub(lambda m: chr(int(m[1], 16)), cell["value"])
        return cell


def _uncached(element) -> bool:
    """No cached result: no <v>, or an empty one on a cell not typed as text (openpyxl
    writes ``<f>SUM(…)</f><v></v>``; Excel's empty-text result is typed ``t="str"``)."""
    value = element.find(VALUE_TAG)
    if value is None:
        return element.get("t") != "inlineStr"
    return not (value.text or "") and element.get("t", "n") not in ("str", "s", "inlineStr")


def read_xlsx(path: Path, grid_type: type) -> list:
    """Every worksheet of ``path`` as a ``grid_type`` (sheets.Grid)."""
    check_container(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise DataError(f"无法打开工作簿（{type(exc).__name__}），文件可能已损坏或不是 .xlsx",
                        file=path.name) from None
    try:
        budget = [MAX_CELLS]
        return [_sheet(wb, ws, path, grid_type, budget) for ws in wb.worksheets]
    finally:
        wb.close()


def _sheet(wb, ws, path: Path, grid_type: type, budget: list[int]):
    styles = wb._cell_styles
    custom = wb._number_formats

    @cache
    def percent_style(style_id: int) -> bool:
        if not style_id or style_id >= len(styles):
            return False
        fid = styles[style_id].numFmtId
        fmt = (BUILTIN_FORMATS.get(fid, "General") if fid < BUILTIN_FORMATS_MAX_SIZE
               else custom[fid - BUILTIN_FORMATS_MAX_SIZE])
        return is_percent_format(fmt)

    cells: list[list[object]] = []
    percent: set[tuple[int, int]] = set()
    formulas: set[tuple[int, int]] = set()
    hidden: set[int] = set()
    empty: list[object] = []
    rows = 0
    with ws._get_source() as src:
        parser = _Parser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                         date_formats=wb._date_formats,
                         timedelta_formats=wb._timedelta_formats)
        for index, row in parser.parse():
            r = index - 1
            attrs = parser.row_dimensions.get(str(index))
            if attrs and str(attrs.get("hidden", "")).lower() in ("1", "true"):
                hidden.add(r)
            values: dict[int, object] = {}
            for cell in row:
                c = cell["column"] - 1
                if cell.get("uncached"):
                    formulas.add((r, c))
                value = cell["value"]
                if value is None or value == "":
                    continue
                values[c] = value
                if isinstance(value, int | float) and not isinstance(value, bool) \
                        and percent_style(cell["style_id"]):
                    percent.add((r, c))
            if not values:
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise too_many_rows(path.name, ws.title)
            budget[0] -= len(values)
            if budget[0] < 0:
                raise DataError(f"工作簿过大：单元格超过{MAX_CELLS // 10000}万个，无法安全读取",
                                file=path.name, sheet=ws.title,
                                expected="删去无关的工作表和内容后另存，或把数据分成几个文件")
            while len(cells) <= r:
                cells.append(empty)
            line = cells[r] if cells[r] is not empty else []
            if len(line) <= max(values):
                line.extend([None] * (max(values) + 1 - len(line)))
            for c, value in values.items():
                line[c] = value
            cells[r] = line
        merged = parser.merged_cells
    # Only cells inside the used range are ever looked up: clip merges to it, so a merge
    # over whole columns costs what the sheet holds.
    last_row, last_col = len(cells) - 1, max((len(x) for x in cells), default=0) - 1
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    for rng in (merged.mergeCell if merged is not None else []):
        bounds = _bounds(rng.ref)
        if bounds is None:
            continue
        top, left, bottom, right = bounds
        for r in range(top, min(bottom, last_row) + 1):
            for c in range(left, min(right, last_col) + 1):
                if (r, c) != (top, left):
                    anchors[(r, c)] = (top, left)
    return grid_type(path.name, ws.title, cells, percent, anchors, formulas=formulas,
                     hidden=hidden)


def too_many_rows(file: str, sheet: str | None) -> DataError:
    return DataError(f"有数据的行超过{MAX_ROWS // 10000}万行，超出可处理的范围", file=file,
                     sheet=sheet, expected="按年度或地区把数据分成几个文件，或删去表格以外的内容")


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    from openpyxl.utils.cell import range_boundaries

    try:
        left, top, right, bottom = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if None in (left, top, right, bottom):
        return None
    return top - 1, left - 1, bottom - 1, right - 1
