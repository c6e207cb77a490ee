"""Number primitives every stage shares: missing values, exact decimals, half-up digits.

A value read from a sheet, a fact and a sentence of prose must agree on what "missing"
is and how a figure prints (half-up, once, no thousands separators), so these live
below all stages; the prose rules built on them are in :mod:`huibao.prose.phrasing`.
"""

from __future__ import annotations

import datetime
import math
import numbers
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from huibao.errors import HuibaoError

MISSING_MARK = "【待填：{label}】"

Num = int | float | Decimal


def missing(label: str) -> str:
    """The placeholder a required sentence keeps when its value is absent."""
    if not label or not label.strip():
        raise HuibaoError("缺失值标记需要指标名称（label 不能为空）。")
    return MISSING_MARK.format(label=label)


def is_missing(value: object) -> bool:
    """True for None, float/Decimal NaN and pandas NA/NaT: missing is not zero."""
    if value is None:
        return True
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, float):
        return math.isnan(value)
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def to_decimal(value: object) -> Decimal:
    """Exact Decimal of a numeric value (floats via their shortest repr, so 2.25 stays 2.25)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number | Decimal):
        raise HuibaoError(f"需要数值，收到 {type(value).__name__}：{value!r}。")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, numbers.Integral):
        d = Decimal(int(value))
    else:
        d = Decimal(repr(float(value)))  # type: ignore[arg-type]
    if not d.is_finite():
        raise HuibaoError(f"数值 {value!r} 不是有限数，无法写入文字（缺失值请用 None）。")
    return d


def label_or(label: str, default: str = "数值") -> str:
    return label.strip() or default


def round_to(d: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    if decimals < 0:
        raise HuibaoError(f"小数位数不能为负（decimals={decimals}）。")
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


def digits(d: Decimal, decimals: int, strip: bool = True, rounding: str = ROUND_HALF_UP) -> str:
    q = round_to(d, decimals, rounding)
    if q == 0:
        q = abs(q)  # never "-0"
    s = format(q, "f")
    if strip and "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_number(value: Num, decimals: int = 0, *, strip_trailing_zero: bool = True,
               label: str = "") -> str:
    """Plain figure, half-up, no thousands separators: 72.20 → "72.2", 100.0 → "100"."""
    if is_missing(value):
        return missing(label_or(label))
    return digits(to_decimal(value), decimals, strip_trailing_zero)


def fmt_date(d: datetime.date, *, label: str = "") -> str:
    """2025年1月5日: full year, no zero padding (GB/T 9704 7.3.5.4)."""
    if is_missing(d):
        return missing(label_or(label, "日期"))
    if not isinstance(d, datetime.date):
        raise HuibaoError(f"需要日期，收到 {type(d).__name__}：{d!r}。")
    return f"{d.year}年{d.month}月{d.day}日"
