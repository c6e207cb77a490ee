"""Numbers → Chinese prose fragments (shared/domain/phrasing.md).

Every figure a report prints passes through here, so that rounding (half-up, once, at
output), 万/亿 scaling, measure words, change and target wording and the missing-value
marker are decided in one place. Functions are pure: values and indicator metadata in,
strings or :class:`Phrase` out. Misuse by the caller raises :class:`HuibaoError`; a
missing value (None, NaN, pandas NA) never raises and never prints "nan" — it becomes
the 【待填：…】 marker.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import cn2an

from huibao.errors import HuibaoError
from huibao.numbers import (
    MISSING_MARK,
    Num,
    digits,
    fmt_date,
    fmt_number,
    is_missing,
    label_or,
    missing,
    round_to,
    to_decimal,
)

__all__ = [
    "MISSING_MARK",
    "Phrase",
    "PhrasingWarning",
    "approx",
    "change",
    "cn_num",
    "enum_list",
    "fmt_date",
    "fmt_number",
    "fmt_pct",
    "fmt_qty",
    "fmt_year_range",
    "is_missing",
    "join_cn",
    "level",
    "missing",
    "ordinal_position",
    "rank",
    "target_completion",
    "zero_incident",
]

OK, ADVERSE, SKIP = "ok", "adverse", "skip"

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_EXACT_TOLERANCE = Decimal("0.005")  # scaling may move an exact figure by at most 0.5 %
# Units never scaled to 万/亿 (rates, scores, ages, durations).
_NO_SCALE = {"%", "‰", "分", "岁", "倍", "个百分点", "个千分点", "年", "月", "天", "日", "℃"}
# Counted things print as integers unless the indicator configures decimals.
_COUNT_WORDS = set("人名户处个次场期批轮位家所支项件起条份篇块座套株车只辆台间本册张面幅部首棵头元")
_COUNT_WORDS |= {"人次", "场次", "美元"}
_UNIT_DECIMALS = {"%": 1, "‰": 1, "公里": 1, "公顷": 2, "分": 2}
_KINDS = {"count", "amount", "money", "score", "rate", "share", "rank", "bool"}


class PhrasingWarning(UserWarning):
    """A figure was phrased in a fallback form (e.g. Arabic where Chinese was asked)."""


@dataclass(frozen=True)
class Phrase:
    """A prose fragment plus how templates should treat it.

    ``flag`` is ``ok`` (usable as an achievement), ``adverse`` (belongs under 存在的问题
    or needs review) or ``skip`` (uninformative or missing: optional clauses drop it,
    required ones print ``text``, which then holds the 【待填】 marker).
    """

    text: str
    flag: str

    def __str__(self) -> str:
        return self.text


# --- missing values -----------------------------------------------------------------


def fmt_pct(value: Num, decimals: int = 1, *, strip_trailing_zero: bool = True,
            label: str = "") -> str:
    """Percent already in percent units: 72.2 → "72.2%", 100 → "100%"."""
    if is_missing(value):
        return missing(label_or(label))
    return fmt_number(value, decimals, strip_trailing_zero=strip_trailing_zero) + "%"


def _split_unit(unit: str) -> tuple[str, Decimal]:
    """'万元' → ('元', 10000): the base unit and the factor the stored value is in."""
    if len(unit) > 1 and unit[0] in "万亿" and unit not in _NO_SCALE:
        return unit[1:], (_WAN if unit[0] == "万" else _YI)
    return unit, Decimal(1)


def _is_money(base: str) -> bool:
    return base.endswith("元")


def _default_decimals(base: str) -> int:
    if base in _UNIT_DECIMALS:
        return _UNIT_DECIMALS[base]
    return 0 if base in _COUNT_WORDS or not base else 2


def _scaled(base_value: Decimal, factor: Decimal, decimals: int,
            allow_rounding: bool) -> str | None:
    """Coefficient of 万/亿, or None when rounding it moves an exact figure by over 0.5 %."""
    coef = base_value / factor
    moved = abs(round_to(coef, decimals) * factor - base_value)
    if allow_rounding or moved <= _EXACT_TOLERANCE * abs(base_value):
        return digits(coef, decimals)
    return None


def fmt_qty(value: Num, unit: str, *, measure_word: str | None = None,
            decimals: int | None = None, wan_threshold: float = 100000,
            allow_rounding: bool = False, scale: bool = True, wan_decimals: int = 1,
            label: str = "") -> str:
    """A figure with its unit, scaled to 万/亿 the way the source documents do.

    ``value`` is in ``unit``; units prefixed 万/亿 (万元, 万人, 万亩) are stored scaled.
    Money (…元) prints 元 as integers below 1万, then 万元/亿元 with up to 2 decimals;
    other units stay exact below ``wan_threshold``, then 万/亿 with ``wan_decimals`` (1 or 2)
    decimals, unless that moves the exact figure by more than 0.5 % (then exact, unless
    ``allow_rounding``).
    ``decimals=None`` means the unit's default (% 1, 公里 1, 公顷 2, counts and 元 0).
    ``scale=False`` keeps the stored unit (per-capita 元, configured exact figures).
    """
    if is_missing(value):
        return missing(label_or(label))
    if unit in ("%", "‰"):
        return fmt_number(value, 1 if decimals is None else decimals) + unit
    d = to_decimal(value)
    base, factor = _split_unit(unit)
    word = measure_word or base
    if not scale or base in _NO_SCALE:
        prefix = unit[: len(unit) - len(base)]
        dec = _default_decimals(base) if decimals is None else decimals
        return f"{digits(d, dec)}{prefix}{word}"
    base_value = d * factor
    size = abs(base_value)
    if _is_money(base):
        if size < _WAN:
            dec = 0 if decimals is None or factor != 1 else decimals
            return f"{digits(base_value, dec)}{word}"
        for f, p in ((_YI, "亿"), (_WAN, "万")):
            if size >= f:
                coef = _scaled(base_value, f, 2, allow_rounding)  # money: 2 decimals
                if coef is not None:
                    return f"{coef}{p}{word}"
        return f"{digits(d, 2 if decimals is None else decimals)}{unit[:-len(base)]}{word}"
    threshold = _YI if factor != 1 else to_decimal(wan_threshold)  # stored in 万: only 亿 rescales
    if size >= threshold:
        for f, p in ((_YI, "亿"), (_WAN, "万")):
            if size >= f:
                places = wan_decimals if factor == 1 else 2
                coef = _scaled(base_value, f, places, allow_rounding)
                if coef is not None:
                    return f"{coef}{p}{word}"
                break
    if factor != 1:  # stored in 万: the exact figure is unknown, stay in the stored unit
        return f"{digits(d, 2 if decimals is None else decimals)}{unit[0]}{word}"
    dec = _default_decimals(base) if decimals is None else decimals
    return f"{digits(base_value, dec)}{word}"


def _magnitude(value: Num, unit: str) -> tuple[Decimal, str, int] | None:
    """The scale :func:`fmt_qty` prints ``value`` in (default options): (factor in base
    units, prefix, decimals); None for units never scaled."""
    if unit in ("%", "‰"):
        return None
    base, factor = _split_unit(unit)
    if base in _NO_SCALE:
        return None
    shown = fmt_qty(value, unit)
    for f, p in ((_YI, "亿"), (_WAN, "万")):
        if re.fullmatch(rf"-?[\d.]+{p}\S*", shown):
            return f, p, 2 if (_is_money(base) or factor != 1) else 1
    return Decimal(1), "", _default_decimals(base)


def fmt_qty_like(value: Num, like: Num, unit: str, *, measure_word: str | None = None,
                 decimals: int | None = None) -> str:
    """``value`` in the scale ``like`` is printed in (phrasing.md §1: compared amounts share
    one scale): beside 2.38万元 a change of 1400元 reads 0.14万元, beside 8562人 one of
    12000人 stays 12000人."""
    scale_ = _magnitude(like, unit)
    if scale_ is None:
        return fmt_qty(value, unit, measure_word=measure_word, decimals=decimals)
    f, prefix, places = scale_
    base, factor = _split_unit(unit)
    word = measure_word or base
    base_value = to_decimal(value) * factor
    if f == 1:
        dec = (0 if _is_money(base) else _default_decimals(base)) if decimals is None \
            else decimals
        return f"{digits(base_value, dec)}{word}"
    return f"{digits(base_value / f, places)}{prefix}{word}"


# --- Chinese numerals, dates, lists ---------------------------------------------------------


def cn_num(n: int, ctx: str = "count") -> str:
    """Chinese numeral for 0–99: ctx 'count' → 两 (两年), 'ordinal' → 二 (第二); 十二 either way.

    ctx 'magnitude' gives 百/千 for 100/1000 (近百名). Anything else falls back to Arabic
    with a :class:`PhrasingWarning`.
    """
    if ctx not in ("count", "ordinal", "magnitude"):
        raise HuibaoError(f"cn_num 的 ctx 应为 count、ordinal 或 magnitude，收到“{ctx}”。")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        warnings.warn(f"{n!r} 不是整数，按阿拉伯数字书写。", PhrasingWarning, stacklevel=2)
        return fmt_number(n, 2)
    if ctx == "magnitude":
        if n in (100, 1000):
            return "百" if n == 100 else "千"
    elif 0 <= n <= 99:
        return "两" if (n == 2 and ctx == "count") else str(cn2an.an2cn(int(n)))
    warnings.warn(f"{n} 超出汉字数字范围，按阿拉伯数字书写。", PhrasingWarning, stacklevel=2)
    return str(int(n))


def fmt_year_range(a: int, b: int) -> str:
    """2021—2025年 with the em dash (U+2014); a single year when a == b."""
    if a > b:
        raise HuibaoError(f"年份范围起止颠倒：{a}—{b}。")
    return f"{a}年" if a == b else f"{a}—{b}年"


def join_cn(items: list[str]) -> str:
    """A、B和C; a single item alone; an empty list gives an empty string."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "和" + items[-1]


def enum_list(names: list[str], *, noun: str, n: int | None = None, quote: bool = False,
              cn_numeral: bool = False) -> str:
    """Complete list "A、B和C3项制度", or partial "A、B等5项制度" when n > len(names).

    The count word must match the list (the sources say 六个结合 and list five), so
    n < len(names) is an error.
    """
    if not names:
        raise HuibaoError("列举需要至少一个名称。")
    shown = [f"“{x}”" if quote else x for x in names]
    total = len(names) if n is None else n
    if total < len(names):
        raise HuibaoError(f"列举了{len(names)}项，但总数写为{total}，数目不符。")
    count = cn_num(total) if cn_numeral else str(total)
    if total == len(names):
        return f"{join_cn(shown)}{count}{noun}"
    return f"{'、'.join(shown)}等{count}{noun}"


def zero_incident(categories: list[str], *, period: str = "全年", streak: int | None = None,
                  measure_word: str = "起") -> str:
    """全年未发生一起安全生产责任事故 / 全年实现了无A、无B.

    The caller passes only categories whose value is present, 0 and confirmed, and sets
    ``streak`` only when every prior year is present and zero. Empty list → "".
    """
    cats = list(dict.fromkeys(c for c in categories if c))
    if not cats:
        return ""
    when = period
    if streak is not None:
        if streak < 2:
            raise HuibaoError(f"连续年数应不少于2，收到{streak}。")
        when = f"连续{cn_num(streak)}年"
    if len(cats) == 1:
        return f"{when}未发生一{measure_word}{cats[0]}"
    return f"{when}实现了" + "、".join(f"无{c}" for c in cats)


# --- change against a previous value ---------------------------------------------------------


def _style_parts(style: str) -> tuple[str, str, str]:
    """(prefix, head of 持平, what the previous value is called) for a comparison style."""
    if style in ("较上年", "比上年"):
        return style, "与上年", "上年"
    if style in ("同比", "环比"):
        return style, style, "上年同期" if style == "同比" else "上期"
    m = re.fullmatch(r"与(\S+)相比", style)
    if m:
        return f"{style}，", f"与{m[1]}", m[1]
    raise HuibaoError(f"比较方式“{style}”无效，应为较上年、比上年、同比、环比或“与2020年相比”。")


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        known = "、".join(sorted(_KINDS))
        raise HuibaoError(f"指标类型“{kind}”不能生成比较语句，可用的有：{known}。")


def _flag(direction: int, higher_is_better: bool | None) -> str:
    """adverse when the value moved the wrong way for the indicator."""
    if higher_is_better is None or direction == 0:
        return OK
    return OK if (direction > 0) == higher_is_better else ADVERSE


def _points_word(unit: str) -> str:
    return "个千分点" if unit == "‰" else "个百分点"


def _position(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise HuibaoError(f"{what}应为不小于1的整数，收到{value!r}。")
    return int(value)


def _is_zero_text(qty: str) -> bool:
    return re.match(r"0(?![.\d])", qty) is not None


def change(cur: object, prev: object, *, kind: str, higher_is_better: bool | None, unit: str,
           measure_word: str | None = None, decimals: int = 1, style: str = "较上年",
           label: str = "", required: bool = True, with_absolute: bool | None = None,
           abs_decimals: int | None = None, multiple: bool = False) -> Phrase:
    """How a value moved against the previous period (phrasing.md §4).

    count/amount/money: "较上年增加15次，增长12.3%" (同比/环比 default to the % only, see
    ``with_absolute``); rate/share: 个百分点, never %; score: points in ``unit``; rank:
    上升/下降N位 (a smaller position is better); bool: 实现零的突破 / 未能保持.
    The same verbs serve both directions; ``flag`` says whether the move is ``adverse``.
    Rounding to zero gives 与上年持平 (基本持平 when the values differ); prev = 0 gives
    新增N (增加N for lower-is-better), no %; a negative value gives the absolute
    difference only. Missing cur or prev → ``skip`` with the 【待填】 marker
    (``required=False``: empty text). ``multiple`` turns growth ≥ 100 % into 是上年的2.5倍.
    """
    _check_kind(kind)
    prefix, head, prev_name = _style_parts(style)
    flat = Phrase(f"{head}持平", OK)
    names = ((cur, label_or(label, "本期数值")), (prev, f"{prev_name}{label_or(label)}"))
    for value, name in names:
        if is_missing(value):
            return Phrase(missing(name) if required else "", SKIP)
    if kind == "bool":
        if bool(cur) == bool(prev):
            return Phrase("", SKIP)
        up = bool(cur)
        text = "实现零的突破" if up else f"{prefix.rstrip('，')}未能保持"
        return Phrase(text, _flag(1 if up else -1, higher_is_better))
    if kind == "rank":
        moved = _position(prev, "上年名次") - _position(cur, "本期名次")
        if moved == 0:
            return flat
        text = f"{prefix}{'上升' if moved > 0 else '下降'}{abs(moved)}位"
        return Phrase(text, OK if moved > 0 else ADVERSE)
    c, p = to_decimal(cur), to_decimal(prev)
    diff = c - p
    direction = (diff > 0) - (diff < 0)
    flag = _flag(direction, higher_is_better)
    if kind in ("rate", "share", "score"):
        if round_to(abs(diff), decimals) == 0:
            return Phrase(f"{head}基本持平", OK) if diff else flat
        word = _points_word(unit) if kind != "score" else (measure_word or unit)
        verb = "提高" if diff > 0 else "下降"
        return Phrase(f"{prefix}{verb}{digits(abs(diff), decimals)}{word}", flag)
    if diff == 0:
        return Phrase(flat.text, SKIP if c == 0 else OK)
    # The change takes the value's scale: 2.38万元，较上年增加0.14万元 (not 1400元).
    qty = fmt_qty_like(abs(diff), c, unit, measure_word=measure_word, decimals=abs_decimals)
    if p <= 0 or c < 0:
        if _is_zero_text(qty):
            return Phrase(f"{head}基本持平", OK)
        if p == 0 and c > 0:
            verb = "增加" if higher_is_better is False else "新增"
        else:
            verb = "增加" if diff > 0 else "减少"
        return Phrase(f"{prefix}{verb}{qty}", flag)
    pct = diff / p * 100
    if round_to(abs(pct), decimals) == 0:
        return Phrase(f"{head}基本持平", OK)
    if multiple and pct >= 100:
        relative = f"是{prev_name}的{digits(c / p, 1)}倍"
    else:
        relative = f"{'增长' if diff > 0 else '下降'}{digits(abs(pct), decimals)}%"
    show_abs = style not in ("同比", "环比") if with_absolute is None else with_absolute
    if show_abs and not _is_zero_text(qty):
        return Phrase(f"{prefix}{'增加' if diff > 0 else '减少'}{qty}，{relative}", flag)
    return Phrase(f"{prefix}{relative}", flag)


# --- levels and targets -----------------------------------------------------------------------

_LEVEL_FORMS = {
    "reach": "达到{x}",
    "floor": "达到{x}以上",
    "cap": "控制在{x}以内",
    "keep": "保持在{x}以上",
    "norm": "不少于{x}",
    "stock": "发展到{x}",
    "total": "共计{x}",
    "exceed": "超过{x}",
    "coverage": "覆盖率达到{x}",
}


def level(value: object, *, unit: str, measure_word: str | None = None,
          decimals: int | None = None, relation: str = "reach", label: str = "") -> str:
    """A value stated as a level (§5): reach 达到93.4%, floor 达到85%以上, cap 控制在20起以内,
    keep 保持在…以上, norm 不少于…, stock 发展到5.6万名, total 共计…, exceed 超过…,
    coverage 实现全覆盖 (True or 100%) / 覆盖率达到X%. A missing value keeps the frame:
    达到【待填：…】. ``decimals=None`` uses the unit's default (see :func:`fmt_qty`).
    """
    if relation not in _LEVEL_FORMS:
        known = "、".join(_LEVEL_FORMS)
        raise HuibaoError(f"水平关系“{relation}”无效，可用的有：{known}。")
    if is_missing(value):
        return _LEVEL_FORMS[relation].format(x=missing(label_or(label)))
    if relation == "coverage":
        if isinstance(value, bool):
            return "实现全覆盖" if value else "尚未实现全覆盖"
        if unit == "%" and to_decimal(value) >= 100:
            return "实现全覆盖"
    x = fmt_qty(value, unit, measure_word=measure_word, decimals=decimals)  # type: ignore[arg-type]
    return _LEVEL_FORMS[relation].format(x=x)


def target_completion(actual: object, target: object, *, kind: str,
                      higher_is_better: bool | None, unit: str, measure_word: str | None = None,
                      decimals: int = 1, label: str = "", midyear: bool = False) -> Phrase:
    """Actual against the annual target (§9).

    Quantities: 全面完成年度目标任务 / 超额完成年度目标任务，完成率112.5% / 完成年度目标任务的
    86.4% (adverse; a shortfall never prints 100%). ``midyear``: 占全年任务的67.5% (ok) /
    提前完成全年目标任务. Rates and scores compare in points: 高于90%的目标值3.4个百分点 /
    达到目标要求 / 低于90%的目标值3.4个百分点 (adverse). Caps (higher_is_better False):
    控制在目标以内 / 超出控制目标3起 (adverse), never 超额. Ranks: position ≤ target.
    higher_is_better None is read as a floor. Missing or zero floor target → skip, no rate.
    """
    _check_kind(kind)
    if is_missing(actual):
        return Phrase(missing(label_or(label, "完成值")), SKIP)
    if is_missing(target):
        return Phrase("", SKIP)
    shortfall = OK if midyear else ADVERSE
    if kind == "bool":
        if actual:
            return Phrase("全面完成年度目标任务", OK)
        return Phrase("未完成年度目标任务", shortfall)
    if kind == "rank":
        a, t = _position(actual, "名次"), _position(target, "目标名次")
        if a <= t:
            return Phrase("达到目标要求", OK)
        return Phrase(f"未实现进入前{t}位的目标", shortfall)
    a, t = to_decimal(actual), to_decimal(target)
    if t < 0:
        raise HuibaoError(f"目标值不能为负，收到{target!r}。")
    cap = higher_is_better is False
    if kind in ("rate", "share", "score"):
        word = _points_word(unit) if kind != "score" else (measure_word or unit)
        goal = fmt_qty(t, unit, measure_word=measure_word, decimals=decimals)
        gap = abs(a - t)
        gap_s = digits(gap, decimals)
        tiny = round_to(gap, decimals) == 0
        if cap:
            if a <= t:
                return Phrase("控制在目标以内", OK)
            text = f"略高于{goal}的控制目标" if tiny else f"超出{goal}的控制目标{gap_s}{word}"
            return Phrase(text, ADVERSE)
        if t == 0:
            return Phrase("", SKIP)
        if a >= t:
            return Phrase("达到目标要求" if tiny else f"高于{goal}的目标值{gap_s}{word}", OK)
        text = f"略低于{goal}的目标值" if tiny else f"低于{goal}的目标值{gap_s}{word}"
        return Phrase(text, shortfall)
    if cap:
        if a <= t:
            return Phrase("控制在目标以内", OK)
        over = fmt_qty(a - t, unit, measure_word=measure_word)
        return Phrase(f"超出控制目标{over}", ADVERSE)
    if t == 0:
        return Phrase("", SKIP)
    rate = a / t * 100
    if a >= t:
        if midyear:
            return Phrase("提前完成全年目标任务", OK)
        if round_to(rate, decimals) <= 100:
            return Phrase("全面完成年度目标任务", OK)
        return Phrase(f"超额完成年度目标任务，完成率{digits(rate, decimals)}%", OK)
    shown = round_to(rate, decimals)
    rounding = ROUND_FLOOR if shown >= 100 else ROUND_HALF_UP  # never print 100% for a shortfall
    pct = digits(rate, decimals, rounding=rounding) + "%"
    if midyear:
        return Phrase(f"占全年任务的{pct}", OK)
    return Phrase(f"完成年度目标任务的{pct}", ADVERSE)


# --- ranks --------------------------------------------------------------------------------


def ordinal_position(pos: int, rank_cn_max: int = 10) -> str:
    """第三位 up to ``rank_cn_max`` (Chinese ordinal), 第12位 above (§1, §7)."""
    p = _position(pos, "名次")
    return f"第{cn_num(p, 'ordinal')}位" if p <= rank_cn_max else f"第{p}位"


def rank(pos: int, n: int | None = None, *, scope: str = "全市", tie: bool = False,
         basis: str = "", rank_cn_max: int = 10, field: str = "参评单位",
         bottom_share: float = 0.5) -> Phrase:
    """An officially published rank (§7).

    排名全市第一 / 排名全市第三位 (Chinese ordinals up to ``rank_cn_max``, 第12位 above);
    with a field or basis: 在全市12个县（市、区）年度综合考核中排名第三位; a ``scope`` ending
    in 中 is taken as the whole field (在全市12个县（区）中排名第三位); ``tie`` → 并列.
    Positions in the bottom ``bottom_share`` of n are ``adverse`` (bottom half by default).
    """
    p = _position(pos, "名次")
    if n is not None and _position(n, "参评总数") < p:
        raise HuibaoError(f"名次{p}大于参评总数{n}。")
    ordinal = "第一" if p == 1 and rank_cn_max >= 1 else ordinal_position(p, rank_cn_max)
    verb = "并列" if tie else "排名"
    if scope.endswith("中"):  # the caller already named the field: "全市12个县（区）中"
        text = f"在{scope}{verb}{ordinal}"
    elif n is None and not basis:
        text = f"{verb}{scope}{ordinal}"
    else:
        among = f"{n}个{field}" if n is not None else ""
        text = f"在{scope}{among}{basis}中{verb}{ordinal}"
    adverse = n is not None and p > n - math.floor(n * bottom_share)
    return Phrase(text, ADVERSE if adverse else OK)


# --- approximations -----------------------------------------------------------------------

_APPROX = ("余", "多", "近", "约", "左右", "以上", "以内")


def _sig(c: Decimal, sig: int, rounding: str) -> Decimal:
    """c rounded to ``sig`` significant figures in the given direction."""
    quantum = Decimal(1).scaleb(c.adjusted() - sig + 1)
    return c.quantize(quantum, rounding=rounding) if quantum > 1 else round_to(
        c, -quantum.adjusted(), rounding)


def _plain(d: Decimal) -> str:
    return digits(d, 2)


def approx(value: object, q: str, *, unit: str, measure_word: str | None = None,
           wan_threshold: float = 100000, cn_magnitude: bool = False, label: str = "") -> str:
    """An exact value stated approximately (§2), for indicators that allow it.

    余/多 round down to 1 significant figure (2 if 1 loses over 20 %): 312 → 300多人,
    1260 → 1200余人; with 万/亿 a one-digit coefficient takes the qualifier after 万
    (46300元 → 4万余元), a larger one before (463000元 → 40余万元); the coefficient is
    never a decimal. 近 rounds up, only to a number the value is ≥ 90 % of (1960 → 近2000;
    近百名 with ``cn_magnitude``). 约 rounds to 2 significant figures, 左右 to the nearest
    round number within 5 %. 以上/以内 append to a stated bound. When the qualifier would be
    false (the value is already round) or 近 does not fit, the exact figure is returned.
    Rates, zero and negatives are never qualified (error).
    """
    if q not in _APPROX:
        raise HuibaoError(f"约数词“{q}”不受支持，可用的有：{'、'.join(_APPROX)}。")
    if is_missing(value):
        return missing(label_or(label))
    exact = fmt_qty(value, unit, measure_word=measure_word, wan_threshold=wan_threshold)  # type: ignore[arg-type]
    if q in ("以上", "以内"):
        return exact + q
    if unit in ("%", "‰", "个百分点"):
        raise HuibaoError("比率不加约数词（余、多、近、约、左右）。")
    d = to_decimal(value)
    if d <= 0:
        raise HuibaoError(f"零和负数不加约数词，收到{value!r}。")
    base, factor = _split_unit(unit)
    word = measure_word or base
    bv = d * factor
    floor_ = _WAN if (_is_money(base) or factor != 1) else max(_WAN, to_decimal(wan_threshold))
    scale, prefix = (_YI, "亿") if bv >= _YI else (_WAN, "万") if bv >= floor_ else (Decimal(1), "")
    c = bv / scale
    if q in ("余", "多"):
        if prefix and c < 10:
            t = c.to_integral_value(ROUND_FLOOR)
            text = f"{t}{prefix}{q}{word}"
        else:
            t = _sig(c, 1, ROUND_FLOOR)
            if (c - t) / c > Decimal("0.2") and c >= 10:
                t = _sig(c, 2, ROUND_FLOOR)
            t = t.to_integral_value(ROUND_FLOOR)
            text = f"{_plain(t)}{q}{prefix}{word}"
        return text if c > t else exact
    if q == "近":
        for sig in (1, 2):
            t = _sig(c, sig, ROUND_CEILING)
            if t > c and c >= Decimal("0.9") * t:
                use_cn = cn_magnitude and not prefix and t in (100, 1000)
                num = cn_num(int(t), "magnitude") if use_cn else _plain(t)
                return f"近{num}{prefix}{word}"
        return exact
    if q == "约":
        return f"约{_plain(_sig(c, 2, ROUND_HALF_UP))}{prefix}{word}"
    for sig in (1, 2, 3):  # 左右
        t = _sig(c, sig, ROUND_HALF_UP)
        if abs(t - c) <= Decimal("0.05") * c:
            break
    return f"{_plain(t)}{prefix}{word}左右"
