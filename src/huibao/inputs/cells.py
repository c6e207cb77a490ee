"""One cell as people type it → an exact number, or a reason it is not one.

Rules (issue: reading real-world sheets):

* full-width digits and punctuation are folded (NFKC): ``１２，３４５．６`` is 12345.6;
* thousands separators only in proper groups: ``12,345`` yes, ``1,23`` no;
* a trailing ``%`` or unit of measure is kept for the caller to check and scale:
  ``85%``, ``300人``, ``1.5万人``, ``356.78万元``;
* placeholders (—, -, /, 无, 空白 …) are *missing*, never zero;
* approximations (约、余、多、左右) are refused: a document states exact figures.

Numbers are returned as :class:`~decimal.Decimal` built from the text (or from the float's
shortest repr), so scaling 3567800 元 to 万元 gives exactly 356.78.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

PLACEHOLDERS = frozenset({
    "", "—", "——", "–", "-", "--", "---", "/", "\\", "无", "空白", "暂无", "不详", "未填",
    "n/a", "na", "null", "none", "nan", "#n/a", "…", "...",
})

# Multiplier prefixes of units of measure (万元 = 10⁴ 元).
_MULTIPLIERS = {"百万": Decimal(10) ** 6, "千万": Decimal(10) ** 7, "千": Decimal(1000),
                "万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
# Base units that mean the same thing when counting.
_SAME = [frozenset({"人", "名"}), frozenset({"个", "家"})]
# Units of measure seen in campaign workbooks (besides those a pack declares).
COMMON_UNITS = frozenset({
    "人", "名", "人次", "万人", "万人次", "个", "家", "项", "次", "处", "户", "起", "件", "条",
    "元", "千元", "万元", "亿元", "位", "所", "座", "场", "篇", "支", "台", "辆", "块", "面",
    "平方米", "万平方米", "公里", "千米", "米", "亩", "小时", "天", "年", "分", "本", "册"})
_APPROX = re.compile(r"^(约|近|大约|超过|逾)|(余|多|左右|以上|上下)")
_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<rest>.*)$")
_UNITISH = re.compile(r"^(%|‰|[\u4e00-\u9fff]{1,4})$")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』")


class CellError(ValueError):
    """A cell that is not a usable value: ``problem`` and what was ``expected`` (Chinese)."""

    def __init__(self, problem: str, expected: str) -> None:
        super().__init__(problem, expected)
        self.problem = problem
        self.expected = expected


@dataclass(frozen=True)
class Reading:
    """A number read from a cell, with the unit written next to it (if any)."""

    number: Decimal
    unit: str | None = None


def fold(text: str) -> str:
    """NFKC-fold and drop all whitespace (full-width spaces, line breaks in headers)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def text_of(raw: object) -> str:
    """A cell as trimmed text ('' for empty); integral floats print without ``.0``."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).replace("\u3000", " ").strip()


def name_key(text: str) -> str:
    """The form used to compare names and headers: folded, no quotes."""
    return fold(text).translate(_QUOTES)


# Line breaks as pasted from Word (vertical tab, form feed) and typed (Alt+Enter).
_BREAKS = re.compile(r"\s*[\n\r\x0b\x0c\x85\u2028\u2029]+\s*")
# Digits on both sides of a line break: "12⏎34" is not 1234.
_SPLIT_NUMBER = re.compile(r"\d[ \t]*[\n\r\x0b\x0c\x85\u2028\u2029]+\s*[\d.]")
_ODD_BREAKS = re.compile(r"[\x0b\x0c\x85\u2028\u2029]")
# Control characters no document can hold (Word refuses them).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_WIDE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def control_char(text: str) -> str | None:
    """The first control character in ``text`` that no document can hold, as U+XXXX."""
    m = _CONTROL.search(text)
    return f"U+{ord(m[0]):04X}" if m else None


def has_odd_break(text: str) -> bool:
    """A vertical tab or similar: a line break pasted from Word."""
    return bool(_ODD_BREAKS.search(text))


def one_line(text: str) -> str:
    """Line breaks inside a text cell joined: nothing between Chinese, a space otherwise."""
    def join(m: re.Match) -> str:
        before, after = m.string[:m.start()][-1:], m.string[m.end():][:1]
        return "" if _WIDE.match(before) or _WIDE.match(after) or not before or not after else " "
    return _BREAKS.sub(join, text)


def is_placeholder(raw: object) -> bool:
    return fold(text_of(raw)).lower() in PLACEHOLDERS


def read_number(raw: object, *, percent_format: bool = False) -> Reading | None:
    """Read one cell; ``None`` when it is empty or a placeholder; ``CellError`` otherwise.

    ``percent_format``: the spreadsheet cell is formatted as a percentage, so the stored
    0.85 is shown (and meant) as 85%.
    """
    if raw is None or isinstance(raw, bool):
        if raw is None:
            return None
        raise CellError("应填写数值，而不是逻辑值", "数值")
    if isinstance(raw, dt.date | dt.datetime | dt.time):
        raise CellError("应填写数值，而不是日期或时间", "数值")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None if math.isnan(raw) else _bad()
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        return Reading(number * 100, "%") if percent_format else Reading(number)
    if _SPLIT_NUMBER.search(text_of(raw)):
        raise CellError("数值中间有换行，无法确定是一个数还是几个数", "一个单元格只填一个数值")
    text = fold(text_of(raw))
    if text.lower() in PLACEHOLDERS:
        return None
    if text.startswith("#"):
        raise CellError(f"单元格是 Excel 错误值 {text}，请检查公式", "数值")
    if _APPROX.search(text):
        raise CellError("含有“约”“余”“多”等估计词，文件中只能写确数", "确切的数值")
    m = _NUMBER.match(text)
    if not m:
        _bad()
    try:
        number = Decimal(m["num"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        _bad()
    if m["sign"] == "-":
        number = -number
    rest = m["rest"]
    if not rest:
        return Reading(number)
    if not _UNITISH.match(rest):
        _bad()
    return Reading(number, rest)


def _bad():
    raise CellError("无法识别为数值", "阿拉伯数字，可带计量单位或 %（如 300、85%、1.5万人）")


def read_year(raw: object) -> int | None:
    """A year cell: 2025, 2025.0, '2025', '2025年', '２０２５'; None when empty."""
    text = fold(text_of(raw))
    if not text:
        return None
    m = re.fullmatch(r"((?:19|20)\d\d)(?:\.0+)?年?(?:度)?", text)
    if not m:
        raise CellError("年度无法识别", "四位年份，如 2025")
    return int(m[1])


def split_unit(unit: str) -> tuple[Decimal, str]:
    """'万元' → (10000, '元'); '名' → (1, '名'); '%' → (1, '%')."""
    for prefix in sorted(_MULTIPLIERS, key=len, reverse=True):
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return _MULTIPLIERS[prefix], unit[len(prefix):]
    return Decimal(1), unit


def scale(written: str, wanted: str, also: tuple[str, ...] = ()) -> Decimal | None:
    """Factor turning a number written in ``written`` into ``wanted``; None if incompatible.

    ``also``: other words that mean ``wanted`` for this indicator (its measure word).
    A bare multiplier (``1.5万``) means ``wanted``'s base unit.
    """
    written, wanted = fold(written), fold(wanted)
    if written == wanted or written in also:
        return Decimal(1)
    if written in _MULTIPLIERS:
        return _MULTIPLIERS[written] / split_unit(wanted)[0]
    w_mult, w_base = split_unit(written)
    t_mult, t_base = split_unit(wanted)
    bases = {t_base, *(split_unit(a)[1] for a in also)}
    same = w_base in bases or any(w_base in g and bases & g for g in _SAME)
    return w_mult / t_mult if same else None


def is_unit(text: str, known: set[str]) -> bool:
    """Does ``text`` (from header parentheses or a 单位 line) name a unit of measure?"""
    text = fold(text)
    known = known | COMMON_UNITS | {split_unit(k)[1] for k in known}
    if text in known or text in _MULTIPLIERS or text in ("%", "‰"):
        return True
    mult, base = split_unit(text)
    return mult != 1 and base in known
