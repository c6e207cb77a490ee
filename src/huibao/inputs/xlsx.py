""".xlsx files → grids, streamed and bounded.

A workbook is a zip of XML parts; a small file can unpack to gigabytes (a shared-strings
table of one repeated string), and one stray value in XFD1048576 makes a sheet's "range"
seventeen billion cells. So, before anything is parsed, the zip's declared sizes are
checked (Python's zipfile never yields more than a member's declared size, and fails on a
CRC mismatch); the workbook is opened without openpyxl's sizing pass (which parses a whole
sheet that lacks a ``<dimension>``); shared strings are counted as they are read; sheets are
parsed one row at a time, their empty cells and rows (``<c r="B7" s="3"/>``, what formatting
a range leaves) dropped from the byte stream before XML parsing; and only cells that hold a
value are kept. Every cell parsed, every slot of a row kept and every 64 characters of text
are charged to one budget per workbook: a sheet costs what it contains, not what it spans,
and what is too large is refused in seconds, naming the file.

Besides values, each grid keeps what the reader must not guess: which numbers are shown
through a real percent format (``0.0%``, not ``0.0"%"``), which formula cells have no
cached result (a script wrote the file, or it was saved without recalculation), which rows
are hidden, and the merged ranges. An encrypted workbook (an OLE compound file whose
directory holds ``EncryptionInfo``/``EncryptedPackage``) is refused as needing its password,
an old .xls renamed to .xlsx as such.
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from huibao.errors import DataError

MB = 1 << 20
MAX_UNPACKED = 512 * MB       # all parts of one workbook together
MAX_PART = 256 * MB           # one sheet (streamed)
MAX_SHARED_STRINGS = 64 * MB  # held in memory whole, so kept smaller
MAX_XML = 32 * MB             # any other XML part (styles, workbook): parsed whole
MAX_CELLS = 1_000_000         # cells parsed, strings and row slots kept, in one workbook
MAX_ROWS = 20_000             # rows holding a value in one sheet (checks are per row)
TEXT_PER_CELL = 64            # characters of text that count as one more cell
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel writes characters XML cannot hold as _xHHHH_; openpyxl leaves them escaped.
_ESCAPED_CONTROL = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{max(1, round(n / MB))} MB"


def check_container(path: Path) -> None:
    """Refuse, before parsing, what cannot or must not be opened (DataError naming the file)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        streams = ole_streams(path)
        if streams is None:
            raise DataError("无法打开工作簿（复合文档结构损坏），文件可能已损坏", file=path.name)
        if {"EncryptionInfo", "EncryptedPackage"} & streams:
            raise DataError("工作簿已加密（设置了打开密码或权限保护），需要密码才能打开，无法读取",
                            file=path.name, expected=ENCRYPTED_HOW)
        if {"Workbook", "Book"} & streams:
            raise DataError("文件实际是旧版 .xls 格式（只是扩展名为 .xlsx）", file=path.name,
                            expected="在 Excel 或 WPS 中“另存为” .xlsx 后再使用")
        raise DataError("文件不是 .xlsx 工作簿（是其他旧版 Office 格式的文件）", file=path.name,
                        expected="在 Excel 或 WPS 中打开数据表，“另存为” .xlsx 后再使用")
    if not zipfile.is_zipfile(path):
        raise DataError("无法打开工作簿（不是有效的 .xlsx 文件），文件可能已损坏或不是 .xlsx",
                        file=path.name)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise DataError("无法打开工作簿（压缩结构损坏），文件可能已损坏或不是 .xlsx",
                        file=path.name) from None
    if any(i.flag_bits & 0x1 for i in infos):  # zip-level encryption (not Excel's own)
        raise DataError("工作簿的压缩包已加密，需要密码才能打开，无法读取", file=path.name,
                        expected="用不带密码的方式重新保存为 .xlsx 后再使用")
    expected = "删去无关的工作表和内容后另存，或把数据分成几个文件"
    for info in infos:
        limit = _limit(info.filename)
        if info.file_size > limit:
            raise DataError(f"工作簿过大：其中的 {info.filename} 解压后约{_size(info.file_size)}"
                            f"（上限{_size(limit)}），无法安全读取", file=path.name,
                            expected=expected)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise DataError(f"工作簿过大：解压后共约{_size(total)}（上限{_size(MAX_UNPACKED)}），"
                        "无法安全读取", file=path.name, expected=expected)


ENCRYPTED_HOW = ("在 Excel 中输入密码打开，于“文件—信息—保护工作簿—用密码进行加密”中清空密码并保存"
                 "（WPS：“文件—文档加密—密码加密”中清空），再使用")
_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_MAX_OLE_SECTORS = 1 << 16  # directory and FAT sectors followed at most


def ole_streams(path: Path) -> set[str] | None:
    """Names of the streams and storages in an OLE compound file ([MS-CFB]), or None when
    its header, FAT or directory cannot be followed. Reads only those sectors.

    An encrypted .xlsx (Excel, WPS, LibreOffice: a password to open, or rights
    management) is such a file holding ``EncryptionInfo`` and ``EncryptedPackage``; an
    old .xls holds ``Workbook`` (or ``Book``).
    """
    import struct

    try:
        with path.open("rb") as fh:
            header = fh.read(512)
            if len(header) < 512 or header[:8] != OLE_MAGIC or header[28:30] != b"\xfe\xff":
                return None
            shift = struct.unpack_from("<H", header, 30)[0]
            if shift not in (9, 12):
                return None
            size = 1 << shift
            n_fat, first_dir, first_difat, n_difat = (struct.unpack_from("<I", header, o)[0]
                                                      for o in (44, 48, 68, 72))

            def sector(n: int) -> bytes:
                fh.seek((n + 1) * size)
                data = fh.read(size)
                if len(data) < size:
                    raise ValueError("short sector")
                return data

            fat_sectors = [n for n in struct.unpack_from("<109I", header, 76) if n < _END]
            n, seen = first_difat, 0
            while n < _END and seen < min(n_difat, _MAX_OLE_SECTORS):
                ids = struct.unpack(f"<{size // 4}I", sector(n))
                fat_sectors += [i for i in ids[:-1] if i < _END]
                n, seen = ids[-1], seen + 1
            fat_sectors = fat_sectors[:max(1, min(n_fat, _MAX_OLE_SECTORS))]
            fat: list[int] = []
            for n in fat_sectors:
                fat += struct.unpack(f"<{size // 4}I", sector(n))
            names: set[str] = set()
            n, visited = first_dir, set()
            while n < _END:
                if n in visited or n >= len(fat) or len(visited) >= _MAX_OLE_SECTORS:
                    return None
                visited.add(n)
                data = sector(n)
                for off in range(0, size, 128):
                    length = struct.unpack_from("<H", data, off + 64)[0]
                    kind = data[off + 66]
                    if kind in (1, 2, 5) and 2 <= length <= 64:
                        names.add(data[off:off + length - 2].decode("utf-16-le", "replace"))
                n = fat[n]
            return names or None
    except (OSError, ValueError, struct.error):
        return None


def _limit(name: str) -> int:
    """How large a part may unpack to: sheets are streamed, other XML is parsed whole."""
    name = name.lower()
    if name.endswith("sharedstrings.xml"):
        return MAX_SHARED_STRINGS
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return MAX_PART
    if name.endswith((".xml", ".rels", ".vml")):
        return MAX_XML
    return MAX_PART  # pictures, embedded files: never read, counted in the total


def too_large(file: str, sheet: str | None = None) -> DataError:
    return DataError(f"工作簿过大：单元格超过{MAX_CELLS // 10000}万个，无法安全读取",
                     file=file, sheet=sheet,
                     expected="删去无关的工作表和内容后另存，或把数据分成几个文件")


def is_percent_format(fmt: str | None) -> bool:
    """A format that multiplies by 100: ``0%``, ``0.0%``; not ``0.0"%"`` or ``0.0\\%``."""
    if not fmt:
        return False
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", str(fmt))
    return "%" in bare


class _Budget:
    """Cells parsed, strings read and row slots kept, against MAX_CELLS for one workbook;
    a text counts as one cell more per TEXT_PER_CELL characters (64 M characters at most)."""

    def __init__(self, file: str) -> None:
        self.left = MAX_CELLS
        self.file = file
        self.sheet: str | None = None

    def charge(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise too_large(self.file, self.sheet)


class _Parser(WorkSheetParser):
    """openpyxl's streaming sheet parser, charging each cell to the budget and noting
    formulas that have no cached result."""

    budget: _Budget

    def parse_row(self, row):
        self.budget.charge(len(row) + 1)
        return super().parse_row(row)

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
    budget = _Budget(path.name)
    try:
        reader = ExcelReader(path, read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises several unrelated types for bad files
        raise DataError("无法打开工作簿（不是有效的 .xlsx 文件），文件可能已损坏",
                        file=path.name) from None
    try:
        try:
            reader.read_manifest()
            strings = _shared_strings(reader, budget)
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
                      if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"无法打开工作簿（{type(exc).__name__}），文件可能已损坏或不是 .xlsx",
                            file=path.name) from None
        grids = []
        for name, target in sheets:
            try:
                grids.append(_sheet(reader, name, target, strings, path, grid_type, budget))
            except DataError:
                raise
            except Exception as exc:  # malformed XML, a CRC mismatch, an understated size
                raise DataError(f"无法读取工作表（{type(exc).__name__}），文件可能已损坏",
                                file=path.name, sheet=name,
                                expected="在 Excel 或 WPS 中打开并另存为 .xlsx 后再使用") from None
        return grids
    finally:
        reader.archive.close()


_SI = f"{{{SHEET_MAIN_NS}}}si"
_T = f"{{{SHEET_MAIN_NS}}}t"
_R = f"{{{SHEET_MAIN_NS}}}r"


def _shared_strings(reader: ExcelReader, budget: _Budget) -> list[str]:
    """The shared-strings table, each string charged to the budget (a table of millions of
    tiny strings is as costly as millions of cells); plain text and rich-text runs joined,
    phonetic runs left out (as openpyxl does)."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    out: list[str] = []
    with reader.archive.open(part.PartName[1:]) as src:
        root = None
        for event, node in iterparse(src, events=("start", "end")):
            if root is None:
                root = node
            if event != "end" or node.tag != _SI:
                continue
            plain = node.find(_T)
            text = (plain.text or "") if plain is not None else ""
            runs = node.findall(_R)
            if runs:
                text += "".join(r.findtext(_T) or "" for r in runs)
            out.append(text.replace("x005F_", ""))
            budget.charge(1 + len(text) // TEXT_PER_CELL)
            root.clear()  # nothing read is kept in the tree
    return out


# Empty cells and rows as formatting leaves them: <c r="B7" s="3"/>, <c r="B7"></c>,
# <row r="9" ht="20"/>. Dropped from the bytes before XML parsing (attributes of these
# elements never hold ">"; a CDATA section switches the filter off for the rest).
_EMPTY_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?(?:/>|>\s*</(?:\w+:)?c>)")
_EMPTY_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"\d+\"[^>]*?(?:/>|>\s*</(?:\w+:)?row>)")
_CHUNK = 1 << 20


class _WithoutEmptyCells(io.RawIOBase):
    """A sheet part's bytes with empty cells and rows removed (see above), read in chunks."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.carry = b""
        self.out = b""
        self.filtering = True
        self.done = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        data = self.raw.read(_CHUNK)
        if not data:
            self.out, self.carry, self.done = self.out + self.carry, b"", True
            return
        data = self.carry + data
        cut = data.rfind(b">") + 1
        head, self.carry = data[:cut], data[cut:]
        if self.filtering and b"<![CDATA[" in head:
            self.filtering = False
        if self.filtering:
            head = _EMPTY_ROW.sub(b"", _EMPTY_CELL.sub(b"", head))
        self.out += head

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.out) < size):
            self._fill()
        if size < 0:
            size = len(self.out)
        chunk, self.out = self.out[:size], self.out[size:]
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _sheet(reader: ExcelReader, title: str, target: str, strings: list[str], path: Path,
           grid_type: type, budget: _Budget):
    wb = reader.wb
    styles = wb._cell_styles
    custom = wb._number_formats
    budget.sheet = title

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
    with reader.archive.open(target) as raw:
        parser = _Parser(_WithoutEmptyCells(raw), strings, data_only=True, epoch=wb.epoch,
                         date_formats=wb._date_formats,
                         timedelta_formats=wb._timedelta_formats)
        parser.budget = budget
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
                if isinstance(value, str) and len(value) > TEXT_PER_CELL:
                    budget.charge(len(value) // TEXT_PER_CELL)  # long texts cost their length
                if isinstance(value, int | float) and not isinstance(value, bool) \
                        and percent_style(cell["style_id"]):
                    percent.add((r, c))
            if not values:
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise too_many_rows(path.name, title)
            while len(cells) <= r:
                cells.append(empty)
            line = cells[r] if cells[r] is not empty else []
            if len(line) <= max(values):
                # a row is kept as wide as its last value: the empty slots cost too (the
                # values were charged as parsed)
                grow = max(values) + 1 - len(line)
                budget.charge(grow - sum(c >= len(line) for c in values))
                line.extend([None] * grow)
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
    return grid_type(path.name, title, cells, percent, anchors, formulas=formulas,
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
