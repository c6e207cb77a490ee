"""Read the analysts' files (.xlsx and .csv, one or several) into tidy frames.

Long format throughout: one row per (unit, year, key) with the value and where it came from
(file, sheet, Excel row, column header and letter; ``source`` such as ``指标数据!F12``), so
every number in a document can be traced back to a cell and every problem can be located.

Reading never stops at the first bad cell: each problem becomes a located
:class:`~huibao.inputs.findings.Problem` in ``Workbook.findings`` and the bad cell is left out.
Only a file that cannot be opened at all raises ``DataError``. ``validate`` then adds the
checks that need whole tables (units, parts and totals, rates, jumps, required values).
Derived indicators are computed by ``metrics``; when a sheet also gives them, ``validate``
checks them against their parts. Units of measure, the value of a number cell and rates
typed as fractions are ``measures``'.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from huibao.config import printable
from huibao.errors import DataError
from huibao.inputs import texts
from huibao.inputs.cells import (
    CellError,
    control_char,
    fold,
    has_odd_break,
    is_placeholder,
    is_unit,
    name_key,
    one_line,
    read_number,
    read_year,
    text_of,
)
from huibao.inputs.findings import Findings
from huibao.inputs.measures import (
    BAD,
    cell_value,
    column_factor,
    is_bare,
    rate_column,
    unit_lines_usable,
)
from huibao.inputs.sheets import (
    Grid,
    Layout,
    find_layout,
    is_blank_row,
    is_total,
    letter,
    read_grids,
    strip_unit,
)
from huibao.packs.schema import Indicator, Pack

SHEET_UNITS = "单位信息"
SHEET_VALUES = "指标数据"
SHEET_TARGETS = "年度目标"
SHEET_HONOURS = "荣誉"
SHEET_ACTIVITIES = "重点活动"
SHEET_SYSTEMS = "制度"
SHEET_GUIDE = "填表说明"

LOC = ["file", "sheet", "row", "column", "letter"]
VALUE_COLUMNS = ["unit", "year", "key", "value", "source", *LOC]
TARGET_COLUMNS = ["unit", "year", "key", "target", "source", *LOC]
ROW_COLUMNS = ["unit", "year", "keys", *LOC]  # column/letter: the unit's cell
BLANK_COLUMNS = ["unit", "year", "key", *LOC]
IGNORED_HEADERS = frozenset(name_key(h) for h in (
    "序号", "编号", "备注", "说明", "数据来源", "填报说明", "联系人", "联系电话"))


@dataclass(frozen=True)
class PlainSpec:
    """A sheet of text facts: its name, headers → fields, and which are numbers."""

    sheet: str
    columns: dict[str, str]
    required: tuple[str, ...]
    numbers: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()   # further columns of its frame

    def fields(self) -> list[str]:
        return [*self.columns.values(), *self.extra]


PLAIN = {
    "units": PlainSpec(SHEET_UNITS, {"单位": "unit", "类型": "unit_type", "自称": "self_ref",
                                     "上级党委政府": "superior", "署名": "signatory",
                                     "上级单位": "parent"},
                       ("单位",)),
    "honours": PlainSpec(SHEET_HONOURS, {"单位": "unit", "年度": "year", "级别": "level",
                                         "称号": "title", "授予单位": "body"},
                         ("单位", "年度", "称号")),
    "activities": PlainSpec(SHEET_ACTIVITIES, {
        "单位": "unit", "年度": "year", "活动名称": "name", "类别": "category",
        "开展次数": "times", "参与人次": "participants", "简要说明": "note"},
        ("单位", "年度", "活动名称"), numbers=("times", "participants")),
    "systems": PlainSpec(SHEET_SYSTEMS, {"单位": "unit", "年度": "year", "制度名称": "name",
                                         "方式": "action", "印发时间": "issued"},
                         ("单位", "年度", "制度名称")),
    # The units' own words; located by their 内容 cell (column, letter) and 部分 cell.
    "texts": PlainSpec(texts.SHEET, texts.COLUMNS, ("单位", "年度", "部分", "内容"),
                       extra=("part_letter",)),
}
# Sheet name → role; a CSV's file stem counts as its sheet name (示例市2025年指标数据.csv).
ROLE_BY_NAME = [(SHEET_GUIDE, "skip"), ("填报说明", "skip"), (SHEET_TARGETS, "targets"),
                (SHEET_VALUES, "values"), (SHEET_UNITS, "units"), (SHEET_HONOURS, "honours"),
                (SHEET_ACTIVITIES, "activities"), (SHEET_SYSTEMS, "systems"),
                (texts.SHEET, "texts")]
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# A header's unit of measure: 常住人口（人）, 资金[万元], 常住人口（单位：人）.
_HEADER_UNIT = re.compile(
    r"^(?P<name>.+?)[(\[【〔](?:(?:计量)?单位[:]?)?(?P<unit>[^()\[\]【】〔〕]*)[)\]】〕]$")
FORMULA_NO_VALUE = "公式没有计算结果：请在 Excel 中打开并保存"
# Values and targets read from all files together: a full sheet of MAX_ROWS rows and 30
# indicators, read and checked in seconds and a few hundred MB.
MAX_VALUES = 600_000


@dataclass
class Workbook:
    """What the input files hold, as tidy frames, plus the problems found reading them."""

    paths: list[Path]
    units: pd.DataFrame       # unit, unit_type, self_ref, superior, signatory, parent + LOC
    values: pd.DataFrame      # VALUE_COLUMNS
    targets: pd.DataFrame     # TARGET_COLUMNS
    honours: pd.DataFrame     # unit, year, level, title, body + LOC
    activities: pd.DataFrame  # unit, year, name, category, times, participants, note + LOC
    systems: pd.DataFrame     # unit, year, name, action, issued + LOC
    texts: pd.DataFrame       # unit, year, part, title, body, part_letter + LOC (文字材料)
    totals: pd.DataFrame      # 合计 rows: unit (the label), year, key, value + LOC
    rows: pd.DataFrame        # one per data row of a values sheet: ROW_COLUMNS
    blanks: pd.DataFrame      # empty or placeholder value cells: BLANK_COLUMNS
    findings: Findings = field(default_factory=Findings)
    _by_unit: dict[str, tuple[pd.DataFrame, dict[str, list[dict]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def path(self) -> Path:
        return self.paths[0]

    @property
    def file_label(self) -> str:
        return "、".join(p.name for p in self.paths)

    def unit_info(self, unit: str) -> dict[str, str]:
        rows = self.units[self.units["unit"] == unit]
        if rows.empty:
            known = "、".join(self.units["unit"]) or "无"
            raise DataError(f"单位“{unit}”不在单位信息表中（已有：{known}）",
                            file=self.file_label, sheet=SHEET_UNITS)
        fields = PLAIN["units"].fields()
        return {k: text_of(rows.iloc[0][k]) for k in fields}

    def rows_for(self, unit: str) -> dict[str, list[dict]]:
        """Every value and fact that belongs to ``unit``, without locations (input hashes)."""
        return {name: self._records_by_unit(name).get(unit, []) for name in _UNIT_FRAMES}

    def _records_by_unit(self, name: str) -> dict[str, list[dict]]:
        """``records`` of frame ``name`` grouped by unit, in row order: made once per frame
        (a batch asks for every unit's rows), remade if the frame is replaced."""
        frame = getattr(self, name)
        cached = self._by_unit.get(name)
        if cached is not None and cached[0] is frame:
            return cached[1]
        grouped: dict[str, list[dict]] = {}
        for unit, record in zip(frame["unit"], records(frame), strict=True):
            grouped.setdefault(unit, []).append(record)
        self._by_unit[name] = (frame, grouped)
        return grouped

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_by_unit": {}}   # a cache: not worth shipping to workers


_UNIT_FRAMES = ("units", "values", "targets", "honours", "activities", "systems", "texts")


def records(rows: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts without their locations; blank cells as None (never NaN)."""
    rows = rows.drop(columns=["source", *LOC], errors="ignore")
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


class _Reader:
    """Reads grids into records, collecting problems."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.findings = Findings()
        self.records: dict[str, list] = {k: [] for k in (
            "values", "targets", "totals", "rows", "blanks", *PLAIN)}
        self.seen_rows: dict[tuple, tuple] = {}  # role, unit, year → its first row
        self.formulas_told: set[tuple[str, str, int, int]] = set()
        self.multi = False
        self.count = 0  # values and targets read, against MAX_VALUES
        self.by_name: dict[str, Indicator] = {}
        self.by_header: dict[str, Indicator] = {}
        for ind in pack.indicators:
            for n in (ind.name, *ind.aliases):
                self.by_name.setdefault(name_key(n), ind)
                self.by_header.setdefault(name_key(f"{n}（{ind.unit}）"), ind)
        self.known_units = {fold(i.unit) for i in pack.indicators} | {
            fold(i.measure_word) for i in pack.indicators if i.measure_word}

    # -- files and sheets

    def read(self, paths: list[Path]) -> None:
        self.multi = len(paths) > 1
        for path in paths:
            if texts.is_text_file(path):
                self.records["texts"] += texts.read_file(path, self.findings)
                continue
            for grid in read_grids(path):
                self.sheet(grid, path)

    def sheet(self, grid: Grid, path: Path) -> None:
        role = next((r for word, r in ROLE_BY_NAME if word in fold(grid.sheet)), None)
        if role == "skip" or (role is None and is_blank_grid(grid)):
            return
        layout = find_layout(grid, set(self.pack.by_key), self.known_units)
        if layout is None:
            if role is not None:
                self.findings.add("no_header", "找不到表头：前15行中没有“单位”列",
                                  file=grid.file, sheet=grid.sheet)
            elif not is_blank_grid(grid):
                self.findings.add("unknown_sheet", "无法识别的工作表，已忽略", severity="warning",
                                  file=grid.file, sheet=grid.sheet)
            return
        role = role or self.role_from_header(layout)
        if role is None:
            self.findings.add("unknown_sheet", "无法识别的工作表（表头既不是指标也不是已知的"
                              "荣誉、活动、制度表），已忽略", severity="warning",
                              file=grid.file, sheet=grid.sheet, row=layout.first + 1)
        elif role in PLAIN:
            self.plain(grid, layout, role)
        else:
            self.indicators(grid, layout, role, path)
        if role is not None:
            self.formulas(grid, layout)

    def formula(self, grid: Grid, r: int, c: int, column: str | None = None,
                **where: object) -> bool:
        """Report a formula cell without a cached result (once); False if ``(r, c)`` is none."""
        if (r, c) not in grid.formulas:
            return False
        told = (grid.file, grid.sheet, r, c)
        if told not in self.formulas_told:
            self.formulas_told.add(told)
            self.findings.add("formula_no_value", FORMULA_NO_VALUE, file=grid.file,
                              sheet=grid.sheet, row=r + 1, column=column or None,
                              letter=letter(c), **where)
        return True

    def formulas(self, grid: Grid, layout: Layout) -> None:
        """Every other formula cell without a result in a sheet that is read (titles …)."""
        for r, c in sorted(grid.formulas):
            header = layout.shown[c] if r > layout.last and c < len(layout.shown) else None
            self.formula(grid, r, c, header)

    def role_from_header(self, layout: Layout) -> str | None:
        for role, marker in (("honours", "称号"), ("activities", "活动名称"),
                             ("systems", "制度名称"), ("units", "署名"), ("units", "自称"),
                             ("texts", "部分")):
            if layout.find(marker) is not None:
                return role
        if any(self.match(layout.names[c], layout.keys[c])[0] for c in range(len(layout.names))):
            return "targets" if "目标" in fold(layout.title) else "values"
        return None

    # -- indicator tables

    def match(self, options: list[str], key: str = "") -> tuple[Indicator | None, str | None]:
        """Indicator for a column's header texts, and the unit its header states."""
        if key in self.pack.by_key:
            ind = self.pack.by_key[key]
            for o in options:
                m = _HEADER_UNIT.match(o)
                if m and is_unit(m["unit"], self.known_units):
                    return ind, m["unit"]
            return ind, None
        for option in options:
            k = name_key(re.sub(r"^其中[:：]?", "", option))
            if k in self.by_header:
                return self.by_header[k], self.by_header[k].unit
            if k in self.by_name:
                return self.by_name[k], None
            m = _HEADER_UNIT.match(k)
            if m and m["name"] in self.by_name and is_unit(m["unit"], self.known_units):
                return self.by_name[m["name"]], m["unit"]
        return None, None

    def suggest(self, options: list[str]) -> str:
        names = {name_key(i.header): i.header for i in self.pack.indicators}
        names.update({k: v.header for k, v in self.by_name.items()})
        for option in options:
            close = difflib.get_close_matches(name_key(option), list(names), n=1, cutoff=0.5)
            if close:
                return f"填表说明中的指标名称（最接近的是“{names[close[0]]}”）"
        return "填表说明中的指标名称"

    def columns(self, grid: Grid, layout: Layout, year_col: int | None,
                role: str) -> dict[int, tuple[Indicator, Decimal]]:
        out: dict[int, tuple[Indicator, Decimal]] = {}
        used: dict[str, int] = {}
        if not unit_lines_usable(self.findings, grid, layout, self.known_units):
            return out
        for c, options in enumerate(layout.names):
            if c in (layout.unit_col, year_col) or not options:
                continue
            if strip_unit(options[0]) in IGNORED_HEADERS:
                continue
            where = {"file": grid.file, "sheet": grid.sheet, "row": layout.first + 1,
                     "column": layout.shown[c], "letter": letter(c)}
            ind, written = self.match(options, layout.keys[c])
            if ind is None:
                self.findings.add("unknown_column", "未知的指标列，该列数据未读取",
                                  expected=self.suggest(options), **where)
                continue
            if ind.key in used:
                self.findings.add("duplicate_column", f"指标“{ind.name}”有两列（另一列在"
                                  f"{letter(used[ind.key])}列）", **where)
                continue
            factor = column_factor(self.findings, ind, written, layout, c, where)
            if factor is None:
                continue
            if role == "targets" and ind.kind == "bool":
                continue
            used[ind.key] = c
            out[c] = (ind, factor)
        return out

    def default_year(self, grid: Grid, layout: Layout, path: Path) -> int | None:
        if layout.title_year:
            return layout.title_year
        for name in (grid.sheet, path.stem):
            years = set(_YEAR_IN_NAME.findall(name))
            if len(years) == 1:
                return int(years.pop())
        return None

    def indicators(self, grid: Grid, layout: Layout, role: str, path: Path) -> None:
        year_col = layout.find("年度", "年份", "年")
        columns = self.columns(grid, layout, year_col, role)
        default_year = self.default_year(grid, layout, path) if year_col is None else None
        if year_col is None and default_year is None:
            self.findings.add("no_year", "缺少“年度”列，表名和文件名中也没有年份，无法确定数据年度",
                              file=grid.file, sheet=grid.sheet, row=layout.first + 1)
            return
        rates: dict[int, list[tuple[list, bool]]] = {}
        for r in range(layout.last + 1, len(grid.cells)):
            unit = self.row_unit(grid, layout, r)
            if unit is None:
                continue
            base = {"file": grid.file, "sheet": grid.sheet, "row": r + 1}
            year = default_year
            if year_col is not None:
                raw_year = grid.filled(r, year_col)
                if self.formula(grid, r, year_col, layout.shown[year_col], unit=unit):
                    continue
                try:
                    year = read_year(raw_year)
                except CellError as exc:
                    year = None
                    self.findings.add("bad_year", exc.problem, value=text_of(raw_year),
                                      expected=exc.expected, column=layout.shown[year_col],
                                      letter=letter(year_col), unit=unit, **base)
                    continue
                if year is None:
                    self.findings.add("bad_year", "缺少年度", expected="四位年份，如 2025",
                                      column=layout.shown[year_col], letter=letter(year_col),
                                      unit=unit, **base)
                    continue
            if is_total(unit):
                self.total_row(grid, layout, r, year, columns)
                continue
            if role == "targets" and all(is_placeholder(grid.raw(r, c)) for c in columns):
                continue  # a prefilled row left empty: default targets apply
            if not self.first_row(role, unit, year, base, grid, layout, columns):
                continue
            if role == "values":
                self.records["rows"].append({
                    "unit": unit, "year": year, **base, "column": layout.shown[layout.unit_col],
                    "letter": letter(layout.unit_col),
                    "keys": frozenset(ind.key for ind, _ in columns.values())})
            for c, (ind, factor) in columns.items():
                record = self.value(grid, layout, r, c, ind, factor, role, unit, year)
                if record is not None and ind.kind == "rate":
                    rates.setdefault(c, []).append((record, is_bare(grid, r, c)))
        refused: set[int] = set()
        for c, cells in rates.items():
            refused |= rate_column(self.findings, grid, layout, c, columns[c][0], cells)
        if refused:
            self.records[role] = [x for x in self.records[role] if id(x) not in refused]

    def row_unit(self, grid: Grid, layout: Layout, r: int) -> str | None:
        """The row's unit name; None to skip the row (blank, note, no unit name)."""
        if r in layout.notes or is_blank_row(grid, r):
            return None
        where = {"file": grid.file, "sheet": grid.sheet, "row": r + 1,
                 "column": layout.shown[layout.unit_col], "letter": letter(layout.unit_col)}
        row = grid.row(r)
        if not any(text_of(v) and (c == layout.unit_col or layout.names[c])
                   for c, v in enumerate(row) if c < len(layout.names)):
            c = next(c for c, v in enumerate(row) if text_of(v))
            self.findings.add("outside_table", "表格以外的单元格有内容，未读取", severity="warning",
                              value=text_of(row[c])[:30], **{**where, "letter": letter(c),
                                                              "column": None})
            return None
        if self.formula(grid, r, layout.unit_col, layout.shown[layout.unit_col]):
            return None
        raw = text_of(grid.filled(r, layout.unit_col))
        bad = control_char(raw)
        if bad:
            # The row's own unit (as written, escaped): the error refuses this row, not
            # every unit's documents as an error of no particular unit would.
            self.findings.add("unit_name_control_char",
                              f"单位名称含有不可见的控制字符（{bad}），本行未读取",
                              value=fold(raw).replace("\x00", ""),
                              expected="删去该字符后重新输入单位名称",
                              **{**where, "unit": printable(fold(raw))})
            return None
        unit = fold(raw)
        if unit:
            return unit
        self.findings.add("no_unit", "这一行有数据但没有单位名称", **where)
        return None

    def first_row(self, role: str, unit: str, year: int, base: dict, grid: Grid,
                  layout: Layout, columns: dict[int, tuple[Indicator, Decimal]]) -> bool:
        """False (and a problem) when this unit-year already had a row in such a sheet.

        The problem names the columns whose values differ (or says none do) and which of
        the two rows is hidden, so the analyst can find the row that is left over.
        """
        key = (role, unit, year)
        r = base["row"] - 1
        hidden = r in grid.hidden
        if key not in self.seen_rows:  # kept as found: the row's cells are compared only
            self.seen_rows[key] = (base, grid.row(r), columns, layout.shown, hidden)
            return True
        cells = _row_cells(grid.row(r), columns, layout.shown)
        first, first_row, first_columns, first_shown, before_hidden = self.seen_rows[key]
        before = f"文件 {first['file']} 工作表“{first['sheet']}”第{first['row']}行"
        before_cells = _row_cells(first_row, first_columns, first_shown)
        differ = [(k, cells[k][1]) for k in cells
                  if k in before_cells and before_cells[k][0] != cells[k][0]]
        notes = []
        if before_hidden:
            notes.append("前一行是隐藏行")
        if hidden:
            notes.append("本行是隐藏行")
        if differ:
            what = f"两行在{'、'.join(d for _, d in differ[:6])}" + \
                   (f"等{len(differ)}列" if len(differ) > 6 else "") + "的数值不同"
        else:
            what = "两行各列的数值相同"
        first_diff = next((c for c, (ind, _) in columns.items()
                           if differ and ind.key == differ[0][0]), None)
        col = {"column": layout.shown[first_diff], "letter": letter(first_diff)} \
            if first_diff is not None else {}
        self.findings.add("duplicate_row", f"单位“{unit}”{year}年的数据重复出现（前一次在"
                          f"{before}），{what}{'；' + '，'.join(notes) if notes else ''}；"
                          "本行未读取", unit=unit, year=year, **base, **col)
        return False

    def value(self, grid: Grid, layout: Layout, r: int, c: int, ind: Indicator,
              factor: Decimal, role: str, unit: str, year: int) -> list | None:
        """Read one cell into a record (returned), a blank, or a problem (None).

        Records carry no ``source``: ``frames`` writes it for the whole column at once.
        """
        if (r, c) in grid.formulas and self.formula(grid, r, c, layout.shown[c], unit=unit,
                                                    year=year, key=ind.key):
            return None  # not a blank: reported as what it is
        value = cell_value(self.findings, grid.raw(r, c), ind, factor, (r, c) in grid.percent,
                            lambda: {**self.loc(grid, layout, r, c), "unit": unit,
                                     "year": year, "key": ind.key})
        if value is BAD:
            return None
        if value is None:
            if role == "values":
                self.records["blanks"].append({"unit": unit, "year": year, "key": ind.key,
                                               **self.loc(grid, layout, r, c)})
            return None
        # a list, not a dict (a third of the memory): _CELL_FIELDS, value or target 4th
        record = [unit, year, ind.key, value, grid.file, grid.sheet, r + 1, layout.shown[c],
                  letter(c)]
        self.records[role].append(record)
        self.count += 1
        if self.count > MAX_VALUES:  # over all files: each file has its own cell budget
            raise DataError(f"数据文件中的数值超过{MAX_VALUES // 10000}万个，超出可处理的范围",
                            file=grid.file, sheet=grid.sheet,
                            expected="按年度或地区分批检查和生成，或删去不需要的数据")
        return record

    @staticmethod
    def loc(grid: Grid, layout: Layout, r: int, c: int) -> dict:
        return {"file": grid.file, "sheet": grid.sheet, "row": r + 1,
                "column": layout.shown[c], "letter": letter(c)}

    def total_row(self, grid: Grid, layout: Layout, r: int, year: int | None,
                  columns: dict[int, tuple[Indicator, Decimal]]) -> None:
        label = fold(text_of(grid.filled(r, layout.unit_col)))
        for c, (ind, factor) in columns.items():
            loc = {"file": grid.file, "sheet": grid.sheet, "row": r + 1,
                   "column": layout.shown[c], "letter": letter(c)}
            if self.formula(grid, r, c, layout.shown[c], year=year, key=ind.key):
                continue
            value = cell_value(self.findings, grid.raw(r, c), ind, factor, (r, c) in grid.percent,
                                lambda loc=loc, key=ind.key: {**loc, "year": year, "key": key})
            if isinstance(value, float):
                self.records["totals"].append({"unit": label, "year": year, "key": ind.key,
                                               "value": value, **loc})

    # -- plain tables

    def plain(self, grid: Grid, layout: Layout, role: str) -> None:
        spec = PLAIN[role]
        index = {field_: layout.find(header) for header, field_ in spec.columns.items()}
        missing = [h for h, f in spec.columns.items() if h in spec.required and index[f] is None]
        if missing:
            self.findings.add("missing_column", f"缺少列：{'、'.join(missing)}", file=grid.file,
                              sheet=grid.sheet, row=layout.first + 1)
            return
        for r in range(layout.last + 1, len(grid.cells)):
            unit = self.row_unit(grid, layout, r)
            if unit is None or is_total(unit):
                continue
            record: dict[str, object] = {"file": grid.file, "sheet": grid.sheet, "row": r + 1,
                                         "column": None, "letter": None}
            ok = True
            for field_, c in index.items():
                raw = grid.filled(r, c) if c is not None else None
                where = {"file": grid.file, "sheet": grid.sheet, "row": r + 1, "unit": unit,
                         "column": layout.shown[c] if c is not None else None,
                         "letter": letter(c) if c is not None else None}
                if c is not None and self.formula(grid, r, c, where["column"], unit=unit):
                    ok = False
                    continue
                try:
                    if field_ == "unit":
                        value: object = unit
                    elif field_ == "year":
                        value = read_year(raw)
                        if value is None:
                            raise CellError("缺少年度", "四位年份，如 2025")
                    elif field_ in spec.numbers:
                        reading = read_number(raw)
                        value = None if reading is None else float(reading.number)
                    else:
                        value = None if is_placeholder(raw) else self.text(raw, where)
                except CellError as exc:
                    self.findings.add(f"bad_{field_}", exc.problem, value=text_of(raw),
                                      expected=exc.expected, **where)
                    ok = False
                    continue
                record[field_] = value
            if ok and role == "texts":  # locate a block by its 内容 cell
                body, part = index["body"], index["part"]
                record.update(column=layout.shown[body] if body is not None else None,
                              letter=letter(body) if body is not None else None,
                              part_letter=letter(part) if part is not None else None)
            if ok:
                self.records[role].append(record)

    def text(self, raw: object, where: dict) -> str:
        """A text cell for the documents: line breaks joined, other control characters refused.

        A vertical tab is what a line break pasted from Word becomes; Word cannot hold it.
        """
        text = text_of(raw)
        bad = control_char(text)
        if bad:
            raise CellError(f"含有不可见的控制字符（{bad}），无法写入文档",
                            "删去该字符后重新输入（可在 Excel 中用 CLEAN 函数清除）")
        joined = one_line(text)
        if has_odd_break(text):
            self.findings.add("line_break", "含有从 Word 粘贴带入的换行符，已合并为一行",
                              severity="warning", value=joined[:30], **where)
        return joined

    # -- result

    def frames(self, paths: list[Path]) -> Workbook:
        def frame(name: str, columns: Iterable[str]) -> pd.DataFrame:
            columns = list(columns)
            records = self.records.pop(name)  # freed as soon as its frame is built
            if name in ("values", "targets"):
                fields = [*_CELL_FIELDS[:3], columns[3], *_CELL_FIELDS[4:]]
                out = pd.DataFrame(records, columns=fields).reindex(columns=columns)
            else:
                out = pd.DataFrame(records, columns=columns)
            del records
            if "source" in columns and not out.empty:  # 指标数据!F12 (file first if several)
                place = zip(*(out[k].tolist() for k in ("file", "sheet", "letter", "row")),
                            strict=True)
                out["source"] = [f"{f} {s}!{c}{r}" if self.multi else f"{s}!{c}{r}"
                                 for f, s, c, r in place]
            return out

        plain = {role: frame(role, [*spec.fields(), *LOC]) for role, spec in PLAIN.items()}
        # Each year's form carries the roster: a later file's row stands for the unit.
        units = plain["units"]
        later = units.duplicated("unit", keep="last") & (
            units["file"] != units.groupby("unit")["file"].transform("last"))
        plain["units"] = units[~later].reset_index(drop=True)
        for role in ("honours", "activities", "systems", "texts"):
            plain[role]["year"] = plain[role]["year"].astype("Int64")
        return Workbook(
            paths=paths, values=frame("values", VALUE_COLUMNS),
            targets=frame("targets", TARGET_COLUMNS),
            totals=frame("totals", ["unit", "year", "key", "value", *LOC]),
            rows=frame("rows", ROW_COLUMNS), blanks=frame("blanks", BLANK_COLUMNS),
            findings=self.findings, **plain)


# A value or target record (see ``_Reader.value``): its fields (measures.VALUE, ROW).
_CELL_FIELDS = ["unit", "year", "key", "value", *LOC]


def _row_cells(row: list[object], columns: dict[int, tuple[Indicator, Decimal]],
               shown: list[str]) -> dict[str, tuple[str, str]]:
    """A row's indicator cells: key → (the text as compared, 'F列“表头”')."""
    return {ind.key: (fold(text_of(row[c] if c < len(row) else None)),
                      f"{letter(c)}列“{shown[c]}”") for c, (ind, _) in columns.items()}


def is_blank_grid(grid: Grid) -> bool:
    return all(is_blank_row(grid, r) for r in range(len(grid.cells)))


def expand(paths: str | Path | Iterable[str | Path], root: Path | None = None) -> list[Path]:
    """Input files from a path, a folder (every .xlsx/.csv in it), a glob, or a list of them."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if not path.is_absolute() and root is not None:
            path = root / path
        if any(ch in path.name for ch in "*?["):
            found = sorted(path.parent.glob(path.name))
            if not found:
                raise DataError(f"没有与“{item}”匹配的数据文件")
            out += found
        elif path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix.lower() in
                          (".xlsx", ".csv", *texts.SUFFIXES)
                          and not p.name.startswith(("~$", ".")))
        else:
            out.append(path)
    if not out:
        raise DataError("没有指定数据文件")
    return list(dict.fromkeys(out))


def read_workbook(paths: str | Path | Iterable[str | Path], pack: Pack,
                  root: Path | None = None) -> Workbook:
    """Read the input files for ``pack``; problems are collected in ``findings``.

    Raises ``DataError`` only when a file cannot be found or opened.
    """
    files = expand(paths, root)
    reader = _Reader(pack)
    reader.read(files)
    wb = reader.frames(files)
    if not (reader.seen_rows or wb.findings.errors):
        wb.findings.add("no_values", "没有找到指标数据：应有一张表头含“单位”和指标名称的"
                        f"工作表（如“{SHEET_VALUES}”）", file=wb.file_label)
    return wb
