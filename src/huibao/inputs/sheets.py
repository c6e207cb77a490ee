"""Sheets as people send them → grids of cells, with the header found.

A :class:`Grid` is one sheet of an .xlsx file or one .csv file: raw cell values, which cells
are formatted as percentages, and which cells are covered by a merged range. A
:class:`Layout` says where the header is (below any title rows, one or two rows deep,
merged or not), what each column is called, the table's 单位 line (单位：万元) and the year
its title names. Nothing here knows about indicators; ``intake`` matches columns to them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from huibao.errors import DataError
from huibao.inputs.cells import CellError, fold, is_placeholder, name_key, read_number, text_of

HEADER_SCAN_ROWS = 15
# Words that head the column naming the unit (after folding: full-width brackets → ASCII).
UNIT_HEADERS = frozenset({"单位", "单位名称", "填报单位", "县(市、区)", "县(区)", "县(市)",
                          "县市区", "地区", "区域", "镇(街道)", "乡镇(街道)", "网格"})
TOTAL_WORDS = re.compile(r"^(全市|全县|全区|全镇|全省)?(合计|总计|小计|汇总)?$")
NOTE_ROW = re.compile(
    r"^(注|说明|备注|附注)\s*(\d|[:：、.．]|$)|^(填报人|填表人|审核人|负责人|单位负责人|"
    r"统计负责人|联系人|联系电话|填报日期|填表日期|报送日期|制表人?|审核)")
_UNIT_LINE = re.compile(r"(?<!填报)(?<!报送)(?<!填表)(?:计量)?单位\s*[:：]\s*([^\s,，;；()（）]+)")
_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)\s*(?:年|年度)")
_CJK_BIAS = ("big5", "cp932", "shift_jis", "shift_jis_2004", "euc_jp", "cp949", "euc_kr",
             "johab", "cp950")


@dataclass
class Grid:
    """One sheet: raw values (0-based rows/columns), percent-formatted cells, merges."""

    file: str
    sheet: str
    cells: list[list[object]]
    percent: set[tuple[int, int]] = field(default_factory=set)
    anchors: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def raw(self, r: int, c: int) -> object:
        row = self.cells[r] if r < len(self.cells) else []
        return row[c] if c < len(row) else None

    def filled(self, r: int, c: int) -> object:
        """The value shown in a cell, merged ranges filled from their top-left cell."""
        ar, ac = self.anchors.get((r, c), (r, c))
        return self.raw(ar, ac)

    def merged_from_above(self, r: int, c: int) -> bool:
        anchor = self.anchors.get((r, c))
        return anchor is not None and anchor[0] < r

    @property
    def width(self) -> int:
        return max((len(r) for r in self.cells), default=0)


@dataclass
class Layout:
    """Where a table's header is and what its columns are called."""

    first: int                      # first header row (0-based)
    last: int                       # last header row; data starts below
    names: list[list[str]]          # per column: header texts to try, best first
    shown: list[str]                # per column: the header as printed (for messages)
    keys: list[str]                 # per column: hidden key row entry ('' if none)
    unit_col: int
    unit_line: str | None = None    # 单位：万元 → '万元'
    title: str = ""
    title_year: int | None = None

    def find(self, *names: str) -> int | None:
        """Index of the first column whose header (without unit) is one of ``names``."""
        wanted = {name_key(n) for n in names}
        for j, options in enumerate(self.names):
            if any(strip_unit(o) in wanted or o in wanted for o in options):
                return j
        return None


def letter(c: int) -> str:
    return get_column_letter(c + 1)


def strip_unit(header: str) -> str:
    """'注册志愿者(名)' → '注册志愿者' (after folding)."""
    return re.sub(r"\([^()]*\)$", "", header) or header


# ---------------------------------------------------------------- reading files


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of an .xlsx file, or the one table of a .csv/.txt file."""
    if not path.is_file():
        raise DataError("找不到数据文件", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return [_read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        raise DataError("不支持旧版 .xls 格式", file=path.name,
                        expected="在 Excel 或 WPS 中“另存为” .xlsx 后再使用")
    raise DataError(f"不支持的文件类型“{path.suffix}”", file=path.name,
                    expected=".xlsx 或 .csv 文件")


def _read_xlsx(path: Path) -> list[Grid]:
    try:
        # Not read-only: merged ranges and number formats are needed.
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise DataError(f"无法打开工作簿（{type(exc).__name__}），文件可能已损坏或不是 .xlsx",
                        file=path.name) from None
    grids = []
    for ws in wb.worksheets:
        cells, percent = [], set()
        for r, row in enumerate(ws.iter_rows()):
            values = []
            for c, cell in enumerate(row):
                values.append(cell.value)
                if isinstance(cell.value, int | float) and "%" in str(cell.number_format):
                    percent.add((r, c))
            cells.append(values)
        anchors = {}
        for rng in ws.merged_cells.ranges:
            top, left = rng.min_row - 1, rng.min_col - 1
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    if (r, c) != (top, left):
                        anchors[(r, c)] = (top, left)
        grids.append(Grid(path.name, ws.title, cells, percent, anchors))
    wb.close()
    return grids


def decode(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; return (text, encoding name shown to the user).

    BOMs first, then strict UTF-8, then charset-normalizer's detection. Among East Asian
    code pages that charset-normalizer cannot tell apart on short files, GB18030 (a
    superset of GBK and GB2312, what Excel and WPS write on Chinese Windows) is preferred
    when the bytes are valid GB18030.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name), "UTF-8（带BOM）" if name == "utf-8-sig" else "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only needed for non-UTF-8 files

    exclude = [] if b"\x00" in data else ["utf_16", "utf_16_be", "utf_16_le", "utf_32"]
    best = charset_normalizer.from_bytes(data, cp_exclusion=exclude).best()
    encoding = best.encoding if best else None
    if encoding is None or encoding in _CJK_BIAS or encoding.startswith(("gb", "hz")):
        try:
            return data.decode("gb18030"), "GBK/GB18030"
        except UnicodeDecodeError:
            if encoding is None or encoding.startswith(("gb", "hz")):
                raise DataError("无法识别文件编码", expected="UTF-8 或 GBK 编码的 CSV") from None
    return str(best), encoding


def _read_csv(path: Path) -> Grid:
    text, _ = decode(path.read_bytes())
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows = [[c if c.strip() else None for c in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Grid(path.name, path.stem, rows)


# ---------------------------------------------------------------- finding the header


def _is_text(v: object) -> bool:
    if isinstance(v, str) and v.strip() and not is_placeholder(v):
        try:
            read_number(v)
        except CellError:
            return True
    return False


def find_layout(grid: Grid, keys: set[str] = frozenset()) -> Layout | None:
    """Locate the header (None when no row in the first rows has a 单位 column)."""
    for r in range(min(HEADER_SCAN_ROWS, len(grid.cells))):
        for c in range(grid.width):
            if name_key(text_of(grid.filled(r, c))) in UNIT_HEADERS:
                return _layout(grid, r, c, keys)
    return None


def _layout(grid: Grid, first: int, unit_col: int, keys: set[str]) -> Layout:
    width = grid.width

    def key_row(r: int) -> list[str] | None:
        """The template's hidden row of indicator keys, if row ``r`` is one."""
        if not keys or r >= len(grid.cells):
            return None
        row = [fold(text_of(grid.raw(r, c))) for c in range(width)]
        filled = [v for v in row if v]
        return row if filled and sum(v in keys for v in filled) * 2 >= len(filled) else None

    last = first
    # A second header row: the unit cell is blank or merged from above, and every other
    # filled cell is text (e.g. 人数（名） under a merged 注册志愿者).
    if key_row(first + 1) is None and first + 1 < len(grid.cells) \
            and _is_subheader(grid, first + 1, unit_col, width):
        last = first + 1
    header_rows = range(first, last + 1)
    found = key_row(last + 1)
    key_cells = found or [""] * width
    if found:
        last += 1
    names, shown = [], []
    for c in range(width):
        parts: list[str] = []
        printed: list[str] = []
        for r in header_rows:
            t = fold(text_of(grid.filled(r, c)))
            if t and t not in parts:
                parts.append(t)
                printed.append(text_of(grid.filled(r, c)).replace("\n", ""))
        options = [parts[-1], "".join(parts), parts[0]] if len(parts) > 1 else parts
        names.append(list(dict.fromkeys(options)))
        shown.append("/".join(printed))
    title = " ".join(text_of(v) for r in range(first) for v in grid.cells[r] if text_of(v))
    m = _UNIT_LINE.search(fold(title))
    years = set(_TITLE_YEAR.findall(fold(title)))
    return Layout(first, last, names, shown, key_cells, unit_col,
                  unit_line=m[1] if m else None, title=title,
                  title_year=int(years.pop()) if len(years) == 1 else None)


def _is_subheader(grid: Grid, r: int, unit_col: int, width: int) -> bool:
    unit_cell = grid.raw(r, unit_col)
    if not (unit_cell is None or grid.merged_from_above(r, unit_col)):
        return False
    values = [grid.raw(r, c) for c in range(width) if not grid.merged_from_above(r, c)]
    filled = [v for v in values if v is not None and text_of(v)]
    return bool(filled) and all(_is_text(v) for v in filled)


def is_note_row(grid: Grid, r: int) -> bool:
    for c in range(grid.width):
        t = fold(text_of(grid.raw(r, c)))
        if t:
            return bool(NOTE_ROW.match(t))
    return False


def is_blank_row(grid: Grid, r: int) -> bool:
    return all(not text_of(v) for v in (grid.cells[r] if r < len(grid.cells) else []))


def is_total(name: str) -> bool:
    """合计、总计、全市、全县合计 …: a totals row, not a unit."""
    folded = fold(name)
    return bool(folded) and bool(TOTAL_WORDS.match(folded))
