"""Sheets as people send them → grids of cells, with the header found.

A :class:`Grid` is one sheet of an .xlsx file or one .csv file: raw cell values, which cells
are formatted as percentages, which are covered by a merged range, which formula cells have
no cached result and which rows are hidden. A :class:`Layout` says where the header is
(below any title rows, one or two rows deep, merged or not), what each column is called,
the units of measure written for the table (a 单位：万元 line above or below it, a row of
units under the header) and the year its title names. Nothing here knows about
indicators; ``intake`` matches columns to them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from huibao.errors import DataError
from huibao.inputs.cells import (
    CellError,
    fold,
    is_placeholder,
    is_unit,
    name_key,
    read_number,
    text_of,
)
from huibao.inputs.xlsx import MAX_CELLS, MAX_ROWS, read_xlsx, too_many_rows

HEADER_SCAN_ROWS = 15
MAX_CSV = 32 << 20  # a .csv is read and decoded whole
# Words that head the column naming the unit (after folding: full-width brackets → ASCII).
UNIT_HEADERS = frozenset({"单位", "单位名称", "填报单位", "县(市、区)", "县(区)", "县(市)",
                          "县市区", "地区", "区域", "镇(街道)", "乡镇(街道)", "网格"})
TOTAL_WORDS = re.compile(r"^(全市|全县|全区|全镇|全省)?(合计|总计|小计|汇总)?$")
# Lines below (or above) a table that are not rows: notes, sources, signatures, dates.
NOTE_ROW = re.compile(
    r"^[*※★#]|^(注|注释|注明|说明|备注|附注|附|填报说明|填表说明|数据说明|指标说明|口径说明)"
    r"\s*(\d|[:：、.．]|$)|^(数据|资料|信息)?来源[:：]|^(填报人|填表人|审核人|负责人|单位负责人|"
    r"统计负责人|分管领导|主要领导|联系人|联系电话|填报日期|填表日期|报送日期|统计日期|打印日期|"
    r"数据截至|截至日期|制表单位|填报单位[:：]|报送单位[:：]|统计员|经办人|制表人?|审核|"
    r"(计量)?单位[:：])")
# A line that reads as a sentence or a numbered list item, not as a unit's name.
_SENTENCE = re.compile(r"[。；;:]|^(\d{1,2}[.、)]|\(\d{1,2}\)|[①-⑳]|[一二三四五六七八九十]{1,2}、)")
_UNIT_LINE = re.compile(r"(?<!填报)(?<!报送)(?<!填表)(?<!制表)(?:计量)?单位\s*[:：]\s*"
                        r"([^\s,，;；()（）]+)")
_UNIT_CELL = re.compile(r"^(?:(?:计量)?单位[:：]?)?[(\[【〔]?(?P<u>[^()\[\]【】〔〕]*)[)\]】〕]?$")
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
    formulas: set[tuple[int, int]] = field(default_factory=set)  # no cached result
    hidden: set[int] = field(default_factory=set)                # hidden rows
    width: int = field(init=False)

    def __post_init__(self) -> None:
        # Once, not per row: rows are ragged (only cells holding a value are kept).
        self.width = max((len(r) for r in self.cells), default=0)

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

    def row(self, r: int) -> list[object]:
        return self.cells[r] if r < len(self.cells) else []


@dataclass
class Layout:
    """Where a table's header is and what its columns are called."""

    first: int                      # first header row (0-based)
    last: int                       # last header row; data starts below
    names: list[list[str]]          # per column: header texts to try, best first
    shown: list[str]                # per column: the header as printed (for messages)
    keys: list[str]                 # per column: hidden key row entry ('' if none)
    unit_col: int
    unit_line: str | None = None    # 单位：万元 → '万元' (above or below the table)
    title: str = ""
    title_year: int | None = None
    units: list[str | None] = field(default_factory=list)  # per column, from a unit row
    unit_row: int | None = None     # the row of units under the header (0-based)
    unit_line_row: int | None = None
    unit_lines: dict[str, int] = field(default_factory=dict)  # every 单位 line → its row
    notes: set[int] = field(default_factory=set)  # rows below the header that are notes

    def unit_of(self, c: int) -> str | None:
        return self.units[c] if c < len(self.units) else None

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
        return read_xlsx(path, Grid)
    if suffix == ".xls":
        raise DataError("不支持旧版 .xls 格式", file=path.name,
                        expected="在 Excel 或 WPS 中“另存为” .xlsx 后再使用")
    raise DataError(f"不支持的文件类型“{path.suffix}”", file=path.name,
                    expected=".xlsx 或 .csv 文件")


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
    size = path.stat().st_size
    if size > MAX_CSV:
        raise DataError(f"文件过大（约{size >> 20} MB，上限{MAX_CSV >> 20} MB），无法安全读取",
                        file=path.name, expected="把数据分成几个文件")
    text, _ = decode(path.read_bytes())
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows: list[list[object]] = []
    filled = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells: list[object] = [c if c.strip() else None for c in row]
            while cells and cells[-1] is None:
                cells.pop()  # trim to the used range
            filled += len(cells)
            if len(rows) > MAX_ROWS:
                raise too_many_rows(path.name, path.stem)
            if filled > MAX_CELLS:
                raise DataError(f"文件过大：单元格超过{MAX_CELLS // 10000}万个，无法安全读取",
                                file=path.name, expected="把数据分成几个文件")
            rows.append(cells)
    except csv.Error as exc:  # a field over csv's size limit (an unclosed quote …)
        raise DataError(f"无法读取 CSV 文件（第{len(rows) + 1}行附近：{exc}）", file=path.name,
                        expected="检查是否有未配对的引号，或在 Excel 中另存为 CSV") from None
    while rows and not rows[-1]:
        rows.pop()
    return Grid(path.name, path.stem, rows)


# ---------------------------------------------------------------- finding the header


def _is_text(v: object) -> bool:
    if isinstance(v, str) and v.strip() and not is_placeholder(v):
        try:
            read_number(v)
        except CellError:
            return True
    return False


def find_layout(grid: Grid, keys: set[str] = frozenset(),
                units: set[str] = frozenset()) -> Layout | None:
    """Locate the header (None when no row in the first rows has a 单位 column).

    ``keys``: indicator keys (the template's hidden key row); ``units``: units of measure
    the pack knows, besides the common ones (to recognise a row of units under the header).
    """
    for r in range(min(HEADER_SCAN_ROWS, len(grid.cells))):
        for c in range(len(grid.row(r))):
            if name_key(text_of(grid.filled(r, c))) in UNIT_HEADERS:
                return _layout(grid, r, c, keys, units)
    return None


def _layout(grid: Grid, first: int, unit_col: int, keys: set[str], known: set[str]) -> Layout:
    width = grid.width

    def key_row(r: int) -> list[str] | None:
        """The template's hidden row of indicator keys, if row ``r`` is one."""
        if not keys or r >= len(grid.cells):
            return None
        row = [fold(text_of(grid.raw(r, c))) for c in range(width)]
        filled = [v for v in row if v]
        return row if filled and sum(v in keys for v in filled) * 2 >= len(filled) else None

    last = pos = first + 1
    units: list[str | None] | None = None
    unit_row = None
    # Below the header: a second header row (人数（名） under a merged 注册志愿者), a row of
    # units of measure (人 under 常住人口), the template's key row — in either order.
    if key_row(pos) is None:
        units = unit_cells(grid, pos, unit_col, known)
        if units is not None:
            unit_row, pos = pos, pos + 1
        elif pos < len(grid.cells) and _is_subheader(grid, pos, unit_col, width):
            last, pos = pos + 1, pos + 1
    header_rows = range(first, last)
    if units is None and (found_units := unit_cells(grid, pos, unit_col, known)) is not None:
        units, unit_row, pos = found_units, pos, pos + 1
    found = key_row(pos)
    key_cells = found or [""] * width
    if found:
        pos += 1
    if units is None and (found_units := unit_cells(grid, pos, unit_col, known)) is not None:
        units, unit_row, pos = found_units, pos, pos + 1
    names, shown = [], []
    for c in range(width):
        parts: list[str] = []
        printed: list[str] = []
        for r in header_rows:
            t = fold(text_of(grid.filled(r, c)))
            if t and t not in parts:
                parts.append(t)
                printed.append(re.sub(r"[\n\r\x0b]", "", text_of(grid.filled(r, c))))
        options = [parts[-1], "".join(parts), parts[0]] if len(parts) > 1 else parts
        names.append(list(dict.fromkeys(options)))
        shown.append("/".join(printed))
    title = " ".join(text_of(v) for r in range(first) for v in grid.row(r) if text_of(v))
    lines: dict[str, int] = {}

    def unit_line(text: str, r: int, anywhere: bool) -> None:
        for m in (_UNIT_LINE.finditer(text) if anywhere else [_UNIT_LINE.match(text)]):
            # 单位：万元 (or a list: 单位：个、万元); not 责任单位：某某局.
            if m and all(is_unit(u, known) for u in re.split(r"[、/,和及]", m[1]) if u):
                lines.setdefault(m[1], r)

    for r in range(first):
        for v in grid.row(r):
            unit_line(fold(text_of(v)), r, anywhere=True)
    notes = _notes(grid, pos)
    for r in sorted(notes):
        unit_line(next((fold(text_of(v)) for v in grid.row(r) if text_of(v)), ""), r, False)
    years = set(_TITLE_YEAR.findall(fold(title)))
    line = next(iter(lines), None)
    return Layout(first, pos - 1, names, shown, key_cells, unit_col,
                  unit_line=line, title=title,
                  title_year=int(years.pop()) if len(years) == 1 else None,
                  units=units or [], unit_row=unit_row,
                  unit_line_row=lines.get(line) if line else None, unit_lines=lines,
                  notes=notes)


_NOT_A_UNIT = frozenset({"是/否", "是或否", "是否"})


def unit_cells(grid: Grid, r: int, unit_col: int, known: set[str]) -> list[str | None] | None:
    """Row ``r`` as a row of units of measure under the header (人, 元, （万元）, %), or None.

    The unit column's cell is blank, merged from above or says 单位/计量单位; every other
    filled cell names a unit (placeholders and 是/否 are allowed for columns without one).
    """
    if r >= len(grid.cells):
        return None
    head = fold(text_of(grid.raw(r, unit_col)))
    if head and not grid.merged_from_above(r, unit_col) \
            and not re.fullmatch(r"(计量)?单位[:]?", head):
        return None
    out: list[str | None] = [None] * grid.width
    found = False
    for c, v in enumerate(grid.row(r)):
        if c == unit_col or grid.merged_from_above(r, c):
            continue
        t = fold(text_of(v))
        if not t or is_placeholder(v) or t in _NOT_A_UNIT:
            continue
        m = _UNIT_CELL.match(t)
        if not isinstance(v, str) or m is None or not is_unit(m["u"], known):
            return None
        out[c] = m["u"]
        found = True
    return out if found else None


def _notes(grid: Grid, start: int) -> set[int]:
    """Rows from ``start`` on that are notes, sources, signatures, not data.

    A note is a line that starts like one (注：, 数据来源：, 填报人：, 单位：万元 …) or reads as a
    sentence or numbered item with nothing numeric beside it; after the first note, a lone
    text cell is a note too (the next lines of 说明：).
    """
    notes: set[int] = set()
    for r in range(start, len(grid.cells)):
        filled: list[object] = []
        for v in grid.row(r):  # the first two filled cells are all that is looked at
            if v is not None and text_of(v):
                filled.append(v)
                if len(filled) == 2:
                    break
        if not filled:
            continue
        first = fold(text_of(filled[0]))
        lone = len(filled) == 1 and isinstance(filled[0], str)
        # a sentence is a note only standing alone: a roster row is all text too, and a
        # unit's name may be long
        if NOTE_ROW.match(first) or (notes and lone) or (_sentence(first) and lone):
            notes.add(r)
    return notes


def _sentence(text: str) -> bool:
    return (len(text) >= 6 and bool(_SENTENCE.search(text))) or len(text) > 30


def _is_subheader(grid: Grid, r: int, unit_col: int, width: int) -> bool:
    unit_cell = grid.raw(r, unit_col)
    if not (unit_cell is None or grid.merged_from_above(r, unit_col)):
        return False
    values = [grid.raw(r, c) for c in range(width) if not grid.merged_from_above(r, c)]
    filled = [v for v in values if v is not None and text_of(v)]
    return bool(filled) and all(_is_text(v) for v in filled)


def is_note_row(grid: Grid, r: int) -> bool:
    """Does row ``r`` start like a note (注：, 数据来源：, 填报人：…)?"""
    first = next((fold(text_of(v)) for v in grid.row(r) if text_of(v)), "")
    return bool(first) and bool(NOTE_ROW.match(first))


def is_blank_row(grid: Grid, r: int) -> bool:
    return all(not text_of(v) for v in (grid.cells[r] if r < len(grid.cells) else []))


def is_total(name: str) -> bool:
    """合计、总计、全市、全县合计 …: a totals row, not a unit."""
    folded = fold(name)
    return bool(folded) and bool(TOTAL_WORDS.match(folded))
