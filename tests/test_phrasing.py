"""Tests for huibao.prose.phrasing: exact strings for every rule of shared/domain/phrasing.md."""

from __future__ import annotations

import datetime
import math
import random
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from huibao.errors import HuibaoError
from huibao.prose.phrasing import (
    MISSING_MARK,
    Phrase,
    PhrasingWarning,
    approx,
    change,
    cn_num,
    enum_list,
    fmt_date,
    fmt_number,
    fmt_pct,
    fmt_qty,
    fmt_year_range,
    is_missing,
    join_cn,
    level,
    missing,
    rank,
    target_completion,
    zero_incident,
)

NAN = float("nan")
MISSING_VALUES = [None, NAN, np.nan, pd.NA, pd.NaT, Decimal("NaN")]


# --- missing -------------------------------------------------------------------------------


def test_missing_uses_full_width_lenticular_marker():
    assert MISSING_MARK == "【待填：{label}】"
    assert missing("志愿服务时长") == "【待填：志愿服务时长】"


def test_missing_without_label_is_misuse():
    with pytest.raises(HuibaoError):
        missing("  ")


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_none_nan_and_pandas_na_are_missing(value):
    assert is_missing(value)


@pytest.mark.parametrize("value", [0, 0.0, -1, "", "nan", False, Decimal(0)])
def test_zero_and_other_values_are_not_missing(value):
    assert not is_missing(value)


@pytest.mark.parametrize("value", MISSING_VALUES)
def test_missing_values_never_print_nan_or_none(value):
    outputs = [
        fmt_number(value),
        fmt_pct(value),
        fmt_qty(value, "人"),
        fmt_qty(value, "万元", label="财政投入"),
        level(value, unit="%", label="参学率"),
        approx(value, "余", unit="人"),
        change(value, 10, kind="count", higher_is_better=True, unit="次", label="活动").text,
        change(10, value, kind="count", higher_is_better=True, unit="次", label="活动").text,
        change(value, 1.0, kind="rate", higher_is_better=True, unit="%").text,
        target_completion(value, 10, kind="count", higher_is_better=True, unit="次").text,
        target_completion(10, value, kind="count", higher_is_better=True, unit="次").text,
    ]
    for text in outputs:
        assert not re.search(r"nan|none|inf|NaT|<NA>", text, re.IGNORECASE), text


def test_infinite_value_is_misuse_not_missing():
    with pytest.raises(HuibaoError):
        fmt_number(float("inf"))


@pytest.mark.parametrize("value", ["12", True, [1]])
def test_non_numeric_value_is_misuse(value):
    with pytest.raises(HuibaoError):
        fmt_number(value)


# --- digits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.25, 1, "2.3"),  # banker's round would give 2.2
        (2.35, 1, "2.4"),
        (0.125, 2, "0.13"),
        (2.5, 0, "3"),
        (3.5, 0, "4"),
        (-2.25, 1, "-2.3"),
        (1.005, 2, "1.01"),  # float repr 1.005, not 1.00499…
        (72.20, 1, "72.2"),
        (72.20, 2, "72.2"),
        (100.0, 1, "100"),
        (8562, 0, "8562"),
        (1234567, 0, "1234567"),  # no thousands separators
        (-0.04, 1, "0"),  # never "-0"
        (Decimal("46.235"), 2, "46.24"),
        (np.float64(88.45), 1, "88.5"),
        (np.int64(42), 0, "42"),
    ],
)
def test_fmt_number_rounds_half_up_and_strips_trailing_zeros(value, decimals, expected):
    assert fmt_number(value, decimals) == expected


def test_fmt_number_keeps_trailing_zeros_when_asked():
    assert fmt_number(72.2, 2, strip_trailing_zero=False) == "72.20"
    assert fmt_pct(100, 1, strip_trailing_zero=False) == "100.0%"


def test_negative_decimals_is_misuse():
    with pytest.raises(HuibaoError):
        fmt_number(1.5, -1)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (72.2, 1, "72.2%"),
        (100, 1, "100%"),
        (46.234, 2, "46.23%"),
        (88.45, 1, "88.5%"),
        (0, 1, "0%"),
    ],
)
def test_fmt_pct_one_decimal_by_default_whole_values_drop_zero(value, decimals, expected):
    assert fmt_pct(value, decimals) == expected


# --- fmt_qty -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "kwargs", "expected"),
    [
        # counts: exact below the threshold, no space, no separators
        (8562, "人", {}, "8562人"),
        (99999, "人次", {}, "99999人次"),
        (46, "次", {}, "46次"),
        (18, "个", {"measure_word": "家"}, "18家"),
        (1260, "人", {"measure_word": "名"}, "1260名"),
        # counts above 10万 scale to 万 with one decimal, stripped
        (136000, "人", {"measure_word": "名"}, "13.6万名"),
        (130000, "人", {}, "13万人"),
        (136540, "人", {}, "13.7万人"),
        (879000, "平方米", {}, "87.9万平方米"),
        (514000, "株", {}, "51.4万株"),
        (120000000, "人次", {}, "1.2亿人次"),
        (12345, "人", {"wan_threshold": 10000, "wan_decimals": 2}, "1.23万人"),
        # money: 元 as integers below 1万, then 万元/亿元 with up to 2 decimals
        (6400, "元", {}, "6400元"),
        (24000, "元", {}, "2.4万元"),
        (24560, "元", {}, "2.46万元"),
        (34020000, "元", {}, "3402万元"),
        (120000000, "元", {}, "1.2亿元"),
        (0.64, "万元", {}, "6400元"),
        (0.6437, "万元", {}, "6437元"),
        (0.64, "万元", {"decimals": 2}, "6400元"),
        (2.4, "万元", {}, "2.4万元"),
        (2.40, "万元", {}, "2.4万元"),
        (3402, "万元", {}, "3402万元"),
        (3402.56, "万元", {}, "3402.56万元"),
        (3402.567, "万元", {}, "3402.57万元"),
        (12000, "万元", {}, "1.2亿元"),
        (12345.678, "万元", {}, "1.23亿元"),
        (0, "万元", {}, "0元"),
        (4461.75, "元", {"decimals": 2}, "4461.75元"),
        (24516, "元", {"scale": False}, "24516元"),
        # stored in 万: stays in 万
        (46.2, "万人", {}, "46.2万人"),
        (46.234, "万人", {}, "46.23万人"),
        (0.5, "万人", {}, "0.5万人"),
        (5.6, "万人", {"measure_word": "名"}, "5.6万名"),
        (12.35, "万亩", {}, "12.35万亩"),
        (23456.7, "万人", {}, "2.35亿人"),
        # rates and measurements
        (72.2, "%", {}, "72.2%"),
        (100.0, "%", {}, "100%"),
        (46.234, "%", {"decimals": 2}, "46.23%"),
        (12.5, "‰", {}, "12.5‰"),
        (1200.55, "公里", {}, "1200.6公里"),
        (35.456, "公顷", {}, "35.46公顷"),
        (92.55, "分", {}, "92.55分"),
    ],
)
def test_fmt_qty_scales_like_the_catalogue(value, unit, kwargs, expected):
    assert fmt_qty(value, unit, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        # 1.2万 would move 12345 by 2.8 % > 0.5 %: print it exact
        (12345, {"wan_threshold": 10000}, "12345人"),
        (12345, {"wan_threshold": 10000, "allow_rounding": True}, "1.2万人"),
        # 1.2亿 would move the figure by 2.8 %
        (123456789, {}, "123456789人"),
        (123456789, {"allow_rounding": True}, "1.2亿人"),
        (123456789, {"wan_decimals": 2}, "1.23亿人"),
        # within 0.5 %: scaled
        (12040, {"wan_threshold": 10000}, "1.2万人"),
    ],
)
def test_scaling_that_moves_an_exact_figure_over_half_percent_prints_it_exact(
    value, kwargs, expected
):
    assert fmt_qty(value, "人", **kwargs) == expected


# --- Chinese numerals, dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ctx", "expected"),
    [
        (2, "count", "两"),
        (2, "ordinal", "二"),
        (12, "count", "十二"),
        (12, "ordinal", "十二"),
        (20, "count", "二十"),
        (22, "count", "二十二"),
        (3, "count", "三"),
        (10, "ordinal", "十"),
        (0, "count", "零"),
        (99, "count", "九十九"),
        (100, "magnitude", "百"),
        (1000, "magnitude", "千"),
    ],
)
def test_cn_num_uses_liang_before_measure_words_and_er_inside_numbers(n, ctx, expected):
    assert cn_num(n, ctx) == expected


@pytest.mark.parametrize(("n", "expected"), [(100, "100"), (-1, "-1"), (2.5, "2.5")])
def test_cn_num_falls_back_to_arabic_with_a_warning(n, expected):
    with pytest.warns(PhrasingWarning):
        assert cn_num(n) == expected


def test_cn_num_rejects_unknown_context():
    with pytest.raises(HuibaoError):
        cn_num(3, "roman")


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (datetime.date(2025, 1, 5), "2025年1月5日"),
        (datetime.date(2024, 12, 31), "2024年12月31日"),
        (datetime.datetime(2025, 3, 9, 14, 30), "2025年3月9日"),
    ],
)
def test_fmt_date_full_year_without_padding(d, expected):
    assert fmt_date(d) == expected


def test_fmt_date_missing_gives_marker():
    assert fmt_date(None, label="印发日期") == "【待填：印发日期】"


def test_fmt_year_range_uses_em_dash():
    assert fmt_year_range(2021, 2025) == "2021\u20142025年"
    assert fmt_year_range(2025, 2025) == "2025年"
    with pytest.raises(HuibaoError):
        fmt_year_range(2025, 2021)


# --- lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [([], ""), (["A"], "A"), (["A", "B"], "A和B"), (["A", "B", "C"], "A、B和C")],
)
def test_join_cn_puts_he_before_the_last_item(items, expected):
    assert join_cn(items) == expected


@pytest.mark.parametrize(
    ("names", "kwargs", "expected"),
    [
        (["A", "B", "C"], {"noun": "项制度"}, "A、B和C3项制度"),
        (["A", "B", "C"], {"noun": "项制度", "n": 3}, "A、B和C3项制度"),
        (["A", "B", "C"], {"noun": "项制度", "n": 5}, "A、B、C等5项制度"),
        (
            ["文明单位", "文明村镇"],
            {"noun": "项荣誉", "quote": True},
            "“文明单位”和“文明村镇”2项荣誉",
        ),
        (["A", "B"], {"noun": "项荣誉", "n": 4, "quote": True}, "“A”、“B”等4项荣誉"),
        (["A", "B"], {"noun": "项", "n": 6, "cn_numeral": True}, "A、B等六项"),
    ],
)
def test_enum_list_complete_uses_he_partial_uses_deng(names, kwargs, expected):
    assert enum_list(names, **kwargs) == expected


def test_enum_list_count_smaller_than_list_is_an_error():
    with pytest.raises(HuibaoError):
        enum_list(["A", "B", "C", "D", "E", "F"], noun="个结合", n=5)
    with pytest.raises(HuibaoError):
        enum_list([], noun="项")


@pytest.mark.parametrize(
    ("categories", "kwargs", "expected"),
    [
        (["安全生产责任事故"], {}, "全年未发生一起安全生产责任事故"),
        (
            ["重大刑事案件", "集体上访", "安全责任事故"],
            {},
            "全年实现了无重大刑事案件、无集体上访、无安全责任事故",
        ),
        (["安全生产责任事故"], {"streak": 3}, "连续三年未发生一起安全生产责任事故"),
        (["火灾", "火灾"], {"streak": 2}, "连续两年未发生一起火灾"),
        (
            ["违规违纪案件"],
            {"period": "一年来", "measure_word": "件"},
            "一年来未发生一件违规违纪案件",
        ),
        ([], {}, ""),
    ],
)
def test_zero_incident_phrases_only_the_categories_passed(categories, kwargs, expected):
    assert zero_incident(categories, **kwargs) == expected


def test_zero_incident_streak_of_one_year_is_misuse():
    with pytest.raises(HuibaoError):
        zero_incident(["火灾"], streak=1)


# --- change -------------------------------------------------------------------------------


def _ch(cur, prev, **kw):
    kw.setdefault("kind", "count")
    kw.setdefault("higher_is_better", True)
    kw.setdefault("unit", "次")
    return change(cur, prev, **kw)


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (137, 122, {}, Phrase("较上年增加15次，增长12.3%", "ok")),
        (
            68,
            109,
            {"unit": "起", "higher_is_better": False},
            Phrase("较上年减少41起，下降37.6%", "ok"),
        ),
        (137, 122, {"style": "同比"}, Phrase("同比增长12.3%", "ok")),
        (68, 109, {"style": "同比", "higher_is_better": False}, Phrase("同比下降37.6%", "ok")),
        (137, 122, {"style": "比上年"}, Phrase("比上年增加15次，增长12.3%", "ok")),
        (137, 122, {"style": "环比"}, Phrase("环比增长12.3%", "ok")),
        (
            137,
            122,
            {"style": "同比", "with_absolute": True},
            Phrase("同比增加15次，增长12.3%", "ok"),
        ),
        (137, 122, {"with_absolute": False}, Phrase("较上年增长12.3%", "ok")),
        (150, 100, {"style": "与2020年相比"}, Phrase("与2020年相比，增加50次，增长50%", "ok")),
        (
            1180,
            1000,
            {"unit": "个", "measure_word": "家"},
            Phrase("较上年增加180家，增长18%", "ok"),
        ),
        (
            3402,
            3000,
            {"kind": "money", "unit": "万元"},
            Phrase("较上年增加402万元，增长13.4%", "ok"),
        ),
        # the change takes the value's scale (2.4万元 beside 增加0.4万元, not 4000元)
        (2.4, 2.0, {"kind": "money", "unit": "万元"}, Phrase("较上年增加0.4万元，增长20%", "ok")),
        (1126, 1000, {"decimals": 2}, Phrase("较上年增加126次，增长12.6%", "ok")),
        (1126, 1000, {"decimals": 0}, Phrase("较上年增加126次，增长13%", "ok")),
    ],
)
def test_change_of_counts_and_amounts_gives_absolute_and_percent(cur, prev, kwargs, expected):
    assert _ch(cur, prev, **kwargs) == expected


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (74.5, 72.2, {}, Phrase("较上年提高2.3个百分点", "ok")),
        (70.6, 72.2, {}, Phrase("较上年下降1.6个百分点", "adverse")),
        (70.6, 72.2, {"style": "同比"}, Phrase("同比下降1.6个百分点", "adverse")),
        (3.1, 4.7, {"higher_is_better": False}, Phrase("较上年下降1.6个百分点", "ok")),
        (
            12.5,
            10.0,
            {"unit": "‰", "higher_is_better": None},
            Phrase("较上年提高2.5个千分点", "ok"),
        ),
        (46.235, 40, {"decimals": 2}, Phrase("较上年提高6.24个百分点", "ok")),
        (5.0, 0.0, {}, Phrase("较上年提高5个百分点", "ok")),
        (72.2, 72.2, {}, Phrase("与上年持平", "ok")),
        (72.24, 72.2, {}, Phrase("与上年基本持平", "ok")),
        (72.24, 72.2, {"style": "同比"}, Phrase("同比基本持平", "ok")),
    ],
)
def test_rate_difference_uses_percentage_points_not_percent(cur, prev, kwargs, expected):
    kwargs.setdefault("unit", "%")
    result = _ch(cur, prev, kind="rate", **kwargs)
    assert result == expected
    assert "%" not in result.text


def test_share_kind_is_phrased_like_rate():
    assert _ch(30.0, 25.0, kind="share", unit="%") == Phrase("较上年提高5个百分点", "ok")


@pytest.mark.parametrize(
    ("cur", "prev", "expected"),
    [
        (92.5, 90, Phrase("较上年提高2.5分", "ok")),
        (88, 90, Phrase("较上年下降2分", "adverse")),
        (90, 90, Phrase("与上年持平", "ok")),
    ],
)
def test_score_change_is_in_points_of_its_unit(cur, prev, expected):
    assert _ch(cur, prev, kind="score", unit="分") == expected


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (122, 122, {}, Phrase("与上年持平", "ok")),
        (122, 122, {"style": "同比"}, Phrase("同比持平", "ok")),
        (122, 122, {"style": "与2020年相比"}, Phrase("与2020年持平", "ok")),
        (10001, 10000, {}, Phrase("与上年基本持平", "ok")),  # 0.01 % rounds to 0.0
        (0, 0, {}, Phrase("与上年持平", "skip")),
    ],
)
def test_change_that_rounds_to_zero_is_flat(cur, prev, kwargs, expected):
    assert _ch(cur, prev, **kwargs) == expected


@pytest.mark.parametrize(
    ("cur", "kwargs", "expected"),
    [
        (5, {"unit": "个", "measure_word": "家"}, Phrase("较上年新增5家", "ok")),
        (5, {"higher_is_better": None}, Phrase("较上年新增5次", "ok")),
        (3, {"unit": "起", "higher_is_better": False}, Phrase("较上年增加3起", "adverse")),
        (5, {"style": "同比"}, Phrase("同比新增5次", "ok")),
        (12.5, {"kind": "money", "unit": "万元"}, Phrase("较上年新增12.5万元", "ok")),
    ],
)
def test_change_from_zero_has_no_percentage(cur, kwargs, expected):
    result = _ch(cur, 0, **kwargs)
    assert result == expected
    assert "%" not in result.text


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (
            112,
            109,
            {"unit": "起", "higher_is_better": False},
            Phrase("较上年增加3起，增长2.8%", "adverse"),
        ),
        (
            112,
            109,
            {"unit": "起", "higher_is_better": False, "style": "同比"},
            Phrase("同比增长2.8%", "adverse"),
        ),
        (90, 100, {}, Phrase("较上年减少10次，下降10%", "adverse")),
        (90, 100, {"higher_is_better": None}, Phrase("较上年减少10次，下降10%", "ok")),
        (110, 100, {"higher_is_better": None}, Phrase("较上年增加10次，增长10%", "ok")),
    ],
)
def test_wrong_direction_is_flagged_adverse_with_neutral_wording(cur, prev, kwargs, expected):
    assert _ch(cur, prev, **kwargs) == expected


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (250, 100, {}, Phrase("较上年增加150人，增长150%", "ok")),
        (200, 100, {"style": "同比"}, Phrase("同比增长100%", "ok")),
        (250, 100, {"multiple": True}, Phrase("较上年增加150人，是上年的2.5倍", "ok")),
        (250, 100, {"multiple": True, "style": "同比"}, Phrase("同比是上年同期的2.5倍", "ok")),
        (150, 100, {"multiple": True}, Phrase("较上年增加50人，增长50%", "ok")),
        (20, 100, {"multiple": True}, Phrase("较上年减少80人，下降80%", "adverse")),
    ],
)
def test_growth_of_100_percent_or_more_keeps_percent_and_declines_never_use_bei(
    cur, prev, kwargs, expected
):
    assert _ch(cur, prev, unit="人", **kwargs) == expected


@pytest.mark.parametrize(
    ("cur", "prev", "expected"),
    [
        (-5, 10, Phrase("较上年减少15万元", "adverse")),
        (5, -10, Phrase("较上年增加15万元", "ok")),
        (-5, -10, Phrase("较上年增加5万元", "ok")),
    ],
)
def test_negative_values_give_the_absolute_difference_only(cur, prev, expected):
    assert _ch(cur, prev, kind="amount", unit="万元") == expected


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (3, 5, {}, Phrase("较上年上升2位", "ok")),
        (5, 4, {}, Phrase("较上年下降1位", "adverse")),
        (5, 4, {"higher_is_better": None}, Phrase("较上年下降1位", "adverse")),
        (4, 4, {}, Phrase("与上年持平", "ok")),
    ],
)
def test_rank_change_counts_positions_and_a_smaller_number_is_better(cur, prev, kwargs, expected):
    kwargs.setdefault("higher_is_better", False)
    assert _ch(cur, prev, kind="rank", unit="位", **kwargs) == expected


def test_rank_change_needs_positive_integer_positions():
    with pytest.raises(HuibaoError):
        _ch(0, 3, kind="rank", unit="位")


@pytest.mark.parametrize(
    ("cur", "prev", "expected"),
    [
        (True, False, Phrase("实现零的突破", "ok")),
        (False, True, Phrase("较上年未能保持", "adverse")),
        (True, True, Phrase("", "skip")),
    ],
)
def test_bool_change_is_a_breakthrough_or_a_loss(cur, prev, expected):
    assert _ch(cur, prev, kind="bool", unit="") == expected


@pytest.mark.parametrize(
    ("cur", "prev", "kwargs", "expected"),
    [
        (None, 100, {"label": "志愿服务活动"}, Phrase("【待填：志愿服务活动】", "skip")),
        (100, None, {"label": "志愿服务活动"}, Phrase("【待填：上年志愿服务活动】", "skip")),
        (100, NAN, {"label": "活动", "style": "同比"}, Phrase("【待填：上年同期活动】", "skip")),
        (
            100,
            None,
            {"label": "活动", "style": "与2020年相比"},
            Phrase("【待填：2020年活动】", "skip"),
        ),
        (None, 100, {}, Phrase("【待填：本期数值】", "skip")),
        (100, pd.NA, {"label": "活动", "required": False}, Phrase("", "skip")),
        (None, None, {"label": "活动", "required": False}, Phrase("", "skip")),
    ],
)
def test_missing_cur_or_prev_skips_with_marker_or_empty_when_optional(cur, prev, kwargs, expected):
    assert _ch(cur, prev, **kwargs) == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"kind": "enum"}, {"kind": "date"}, {"style": "去年"}],
)
def test_change_rejects_unknown_kind_or_style(kwargs):
    with pytest.raises(HuibaoError):
        _ch(2, 1, **kwargs)


def test_phrase_prints_as_its_text():
    assert str(Phrase("较上年提高2.3个百分点", "ok")) == "较上年提高2.3个百分点"


def _half_up(x: Fraction, decimals: int) -> str:
    """Independent half-up rounding of a non-negative fraction, stripped like fmt_number."""
    scaled = x * 10**decimals
    n = math.floor(scaled + Fraction(1, 2))
    text = f"{n // 10**decimals}.{n % 10**decimals:0{decimals}d}" if decimals else str(n)
    return text.rstrip("0").rstrip(".") if "." in text else text


@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_change_percentage_equals_independent_half_up_recomputation(decimals):
    rng = random.Random(20250105 + decimals)
    checked = 0
    for _ in range(600):
        prev = rng.choice([rng.randint(1, 5000), round(rng.uniform(0.5, 900), rng.randint(0, 3))])
        cur = rng.choice([rng.randint(0, 5000), round(rng.uniform(0, 900), rng.randint(0, 3))])
        text = change(
            cur, prev, kind="amount", higher_is_better=True, unit="吨", decimals=decimals
        ).text
        exact = (Fraction(str(cur)) - Fraction(str(prev))) / Fraction(str(prev)) * 100
        expected = _half_up(abs(exact), decimals)
        if expected == "0":
            assert "持平" in text
            continue
        m = re.search(r"(增长|下降)([\d.]+)%$", text)
        assert m, text
        assert m.group(2) == expected, (cur, prev, text)
        assert m.group(1) == ("增长" if exact > 0 else "下降")
        checked += 1
    assert checked > 500


# --- level --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (93.4, {"unit": "%"}, "达到93.4%"),
        (93.44, {"unit": "%", "decimals": 2}, "达到93.44%"),
        (85, {"unit": "%", "relation": "floor"}, "达到85%以上"),
        (20, {"unit": "起", "relation": "cap"}, "控制在20起以内"),
        (20, {"unit": "‰", "relation": "cap"}, "控制在20‰以内"),
        (100, {"unit": "%", "relation": "keep"}, "保持在100%以上"),
        (1, {"unit": "次", "relation": "norm"}, "不少于1次"),
        (5.6, {"unit": "万人", "measure_word": "名", "relation": "stock"}, "发展到5.6万名"),
        (56000, {"unit": "人", "measure_word": "名", "relation": "stock"}, "发展到56000名"),
        (46, {"unit": "次", "relation": "total"}, "共计46次"),
        (100000, {"unit": "万元", "relation": "exceed"}, "超过10亿元"),
        (True, {"unit": "", "relation": "coverage"}, "实现全覆盖"),
        (False, {"unit": "", "relation": "coverage"}, "尚未实现全覆盖"),
        (100, {"unit": "%", "relation": "coverage"}, "实现全覆盖"),
        (96.5, {"unit": "%", "relation": "coverage"}, "覆盖率达到96.5%"),
        (None, {"unit": "%", "label": "参学率"}, "达到【待填：参学率】"),
        (NAN, {"unit": "起", "relation": "cap"}, "控制在【待填：数值】以内"),
    ],
)
def test_level_phrases_relations(value, kwargs, expected):
    assert level(value, **kwargs) == expected


def test_level_rejects_unknown_relation():
    with pytest.raises(HuibaoError):
        level(3, unit="次", relation="about")


# --- targets ------------------------------------------------------------------------------


def _tc(actual, target, **kw):
    kw.setdefault("kind", "count")
    kw.setdefault("higher_is_better", True)
    kw.setdefault("unit", "个")
    return target_completion(actual, target, **kw)


@pytest.mark.parametrize(
    ("actual", "target", "kwargs", "expected"),
    [
        (100, 100, {}, Phrase("全面完成年度目标任务", "ok")),
        (112.5, 100, {}, Phrase("超额完成年度目标任务，完成率112.5%", "ok")),
        (10001, 10000, {}, Phrase("全面完成年度目标任务", "ok")),
        (86.4, 100, {}, Phrase("完成年度目标任务的86.4%", "adverse")),
        (99.96, 100, {}, Phrase("完成年度目标任务的99.9%", "adverse")),  # never 100% short
        (225, 200, {"decimals": 0}, Phrase("超额完成年度目标任务，完成率113%", "ok")),
        (67.5, 100, {"midyear": True}, Phrase("占全年任务的67.5%", "ok")),
        (120, 100, {"midyear": True}, Phrase("提前完成全年目标任务", "ok")),
        (
            3402,
            3000,
            {"kind": "money", "unit": "万元"},
            Phrase("超额完成年度目标任务，完成率113.4%", "ok"),
        ),
        (90, 100, {"higher_is_better": None}, Phrase("完成年度目标任务的90%", "adverse")),
    ],
)
def test_target_completion_for_quantities(actual, target, kwargs, expected):
    assert _tc(actual, target, **kwargs) == expected


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (93.4, 90, Phrase("高于90%的目标值3.4个百分点", "ok")),
        (90.0, 90, Phrase("达到目标要求", "ok")),
        (90.04, 90, Phrase("达到目标要求", "ok")),
        (86.6, 90, Phrase("低于90%的目标值3.4个百分点", "adverse")),
        (89.96, 90, Phrase("略低于90%的目标值", "adverse")),
        (50, 0, Phrase("", "skip")),
    ],
)
def test_rate_against_a_floor_target_compares_in_points(actual, target, expected):
    assert _tc(actual, target, kind="rate", unit="%") == expected


@pytest.mark.parametrize(
    ("actual", "target", "kwargs", "expected"),
    [
        (0, 0, {}, Phrase("控制在目标以内", "ok")),
        (3, 5, {}, Phrase("控制在目标以内", "ok")),
        (3, 0, {}, Phrase("超出控制目标3起", "adverse")),
        (18.2, 20, {"kind": "rate", "unit": "‰"}, Phrase("控制在目标以内", "ok")),
        (
            21.5,
            20,
            {"kind": "rate", "unit": "‰"},
            Phrase("超出20‰的控制目标1.5个千分点", "adverse"),
        ),
    ],
)
def test_cap_targets_are_kept_within_never_exceeded(actual, target, kwargs, expected):
    kwargs.setdefault("unit", "起")
    result = _tc(actual, target, higher_is_better=False, **kwargs)
    assert result == expected
    assert "超额" not in result.text


@pytest.mark.parametrize(
    ("actual", "target", "kwargs", "expected"),
    [
        (10, None, {}, Phrase("", "skip")),
        (10, NAN, {}, Phrase("", "skip")),
        (10, 0, {}, Phrase("", "skip")),
        (None, 10, {"label": "新建站点"}, Phrase("【待填：新建站点】", "skip")),
        (2, 3, {"kind": "rank", "unit": "位"}, Phrase("达到目标要求", "ok")),
        (5, 3, {"kind": "rank", "unit": "位"}, Phrase("未实现进入前3位的目标", "adverse")),
        (True, True, {"kind": "bool", "unit": ""}, Phrase("全面完成年度目标任务", "ok")),
        (False, True, {"kind": "bool", "unit": ""}, Phrase("未完成年度目标任务", "adverse")),
        (92.5, 90, {"kind": "score", "unit": "分"}, Phrase("高于90分的目标值2.5分", "ok")),
    ],
)
def test_target_completion_edge_cases(actual, target, kwargs, expected):
    assert _tc(actual, target, **kwargs) == expected


def test_negative_target_is_misuse():
    with pytest.raises(HuibaoError):
        _tc(5, -1)


# --- rank ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((1,), {}, Phrase("排名全市第一", "ok")),
        ((2,), {}, Phrase("排名全市第二位", "ok")),
        ((3,), {"scope": "全县"}, Phrase("排名全县第三位", "ok")),
        ((10,), {}, Phrase("排名全市第十位", "ok")),
        ((12,), {}, Phrase("排名全市第12位", "ok")),
        ((3,), {"rank_cn_max": 0}, Phrase("排名全市第3位", "ok")),
        ((3, 12), {"field": "县（市、区）"}, Phrase("在全市12个县（市、区）中排名第三位", "ok")),
        (
            (3, 12),
            {"field": "县（市、区）", "basis": "年度综合考核"},
            Phrase("在全市12个县（市、区）年度综合考核中排名第三位", "ok"),
        ),
        ((1,), {"basis": "年度综合考核"}, Phrase("在全市年度综合考核中排名第一", "ok")),
        ((3, 12), {}, Phrase("在全市12个参评单位中排名第三位", "ok")),
        ((3, 12), {"scope": "全市12个县（区）中"}, Phrase("在全市12个县（区）中排名第三位", "ok")),
        ((2,), {"tie": True}, Phrase("并列全市第二位", "ok")),
        ((1, 8), {"tie": True, "field": "县（区）"}, Phrase("在全市8个县（区）中并列第一", "ok")),
        ((14, 20), {"tie": True}, Phrase("在全市20个参评单位中并列第14位", "adverse")),
    ],
)
def test_rank_phrases(args, kwargs, expected):
    assert rank(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("pos", "n", "flag"),
    [
        (4, 8, "ok"),
        (5, 8, "adverse"),
        (8, 8, "adverse"),
        (4, 7, "ok"),  # the middle of an odd field is not the bottom half
        (5, 7, "adverse"),
        (1, 1, "ok"),
    ],
)
def test_rank_in_the_bottom_half_is_adverse(pos, n, flag):
    assert rank(pos, n).flag == flag


def test_bottom_share_is_configurable():
    assert rank(7, 10, bottom_share=0.3).flag == "ok"
    assert rank(8, 10, bottom_share=0.3).flag == "adverse"


@pytest.mark.parametrize(("pos", "n"), [(0, None), (5, 4), (True, None), (2.0, None)])
def test_impossible_rank_is_misuse(pos, n):
    with pytest.raises(HuibaoError):
        rank(pos, n)


# --- approx -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "q", "unit", "kwargs", "expected"),
    [
        # 余/多 round down; before the measure word
        (312, "多", "人", {}, "300多人"),
        (1260, "余", "人", {}, "1200余人"),
        (1260, "多", "人", {}, "1200多人"),
        (35, "余", "车", {}, "30余车"),
        (5600, "多", "平方米", {}, "5000多平方米"),
        (208, "余", "人", {}, "200余人"),
        # with 万: one-digit coefficient takes 余 after 万, larger ones before 万
        (46300, "余", "元", {}, "4万余元"),
        (15800, "余", "元", {}, "1万余元"),  # never 1.5万余元
        (3.6, "多", "万元", {}, "3万多元"),
        (463000, "余", "元", {}, "40余万元"),
        (46.3, "余", "万元", {}, "40余万元"),
        (3080000, "多", "元", {}, "300多万元"),
        (263.5, "余", "万亩", {}, "260余万亩"),
        (136000, "余", "人", {}, "13余万人"),
        (1.35e8, "余", "元", {}, "1亿余元"),
        # 近 rounds up, only when ≥ 90 %
        (1960, "近", "人", {}, "近2000人"),
        (1960, "近", "万元", {}, "近2000万元"),
        (185, "近", "人", {}, "近200人"),
        (1450, "近", "人", {}, "近1500人"),
        (96, "近", "人", {"measure_word": "名"}, "近100名"),
        (96, "近", "人", {"measure_word": "名", "cn_magnitude": True}, "近百名"),
        (960, "近", "个", {"cn_magnitude": True}, "近千个"),
        # 约, 左右
        (15230, "约", "人", {"wan_threshold": 10000}, "约1.5万人"),
        (312, "约", "人", {}, "约310人"),
        (1620, "左右", "平方米", {}, "1600平方米左右"),
        (1580, "左右", "平方米", {}, "1600平方米左右"),
        # bounds
        (12, "以上", "次", {}, "12次以上"),
        (85, "以上", "%", {}, "85%以上"),
        (20, "以内", "‰", {}, "20‰以内"),
    ],
)
def test_approx_places_qualifiers_as_the_catalogue_says(value, q, unit, kwargs, expected):
    assert approx(value, q, unit=unit, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "q", "unit", "expected"),
    [
        (300, "余", "人", "300人"),  # already round: 300余 would be false
        (40000, "余", "元", "4万元"),
        (2000, "近", "人", "2000人"),
        (1200, "近", "人", "1200人"),
        (1000, "近", "人", "1000人"),
        (7, "余", "人", "7人"),
    ],
)
def test_approx_returns_exact_figure_when_qualifier_would_be_false(value, q, unit, expected):
    assert approx(value, q, unit=unit) == expected


@pytest.mark.parametrize(
    ("value", "q", "unit"),
    [
        (72.2, "约", "%"),
        (72.2, "近", "%"),
        (3.3, "余", "个百分点"),
        (0, "余", "起"),
        (-5, "近", "人"),
        (100, "数", "人"),
        (100, "约…左右", "人"),
    ],
)
def test_approx_never_qualifies_rates_zero_or_stacks(value, q, unit):
    with pytest.raises(HuibaoError):
        approx(value, q, unit=unit)


@pytest.mark.parametrize(
    ("value", "q", "unit"),
    [
        (46300, "余", "元"),
        (15800, "余", "元"),
        (24000, "多", "元"),
        (3.6, "多", "万元"),
        (136000, "余", "人"),
        (1.35e8, "余", "元"),
    ],
)
def test_approx_never_qualifies_a_decimal_coefficient(value, q, unit):
    assert not re.search(r"\d\.\d+[万亿]?[余多]", approx(value, q, unit=unit))


# ---------------------------------------------------------------- mixed scales (issue 18)

@pytest.mark.parametrize(("cur", "prev", "unit", "kind", "value", "change_text"), [
    (2.38, 2.24, "万元", "money", "2.38万元", "较上年增加0.14万元，增长6.3%"),
    (23800, 22400, "元", "money", "2.38万元", "较上年增加0.14万元，增长6.3%"),
    (462000, 513790, "株", "count", "46.2万株", "较上年减少5.2万株，下降10.1%"),
    (46.2, 51.379, "万株", "count", "46.2万株", "较上年减少5.18万株，下降10.1%"),
    (0.64, 2.5, "万元", "money", "6400元", "较上年减少18600元，下降74.4%"),
    (12000, 8000, "万元", "money", "1.2亿元", "较上年增加0.4亿元，增长50%"),
    (8562, 7000, "人", "count", "8562人", "较上年增加1562人，增长22.3%"),
    (2.38, 2.33, "万元", "money", "2.38万元", "较上年增加0.05万元，增长2.1%"),
    (2.38, 2.3795, "万元", "money", "2.38万元", "与上年基本持平"),
])
def test_a_change_takes_the_scale_of_its_value(cur, prev, unit, kind, value,
                                              change_text) -> None:
    assert fmt_qty(cur, unit) == value
    assert change(cur, prev, kind=kind, higher_is_better=True, unit=unit).text == change_text
