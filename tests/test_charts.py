"""Charts: Chinese renders without warnings, missing glyphs fail loudly, output is stable."""

from __future__ import annotations

import math
import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from huibao import charts
from huibao.charts import (
    BAR_COLOR,
    DPI,
    HIGHLIGHT_COLOR,
    MISSING_MARK,
    bar_compare,
    chart_kind,
    completion_chart,
    house_style,
    trend_chart,
)
from huibao.errors import ChartError, HuibaoError, UnknownNameError
from huibao.fonts import FontChoice, bundled_font_path, resolve_cjk_font

UNITS = ["城关镇", "东坝乡", "西河镇（街道）", "南山镇", "北岭乡"]


@pytest.fixture(scope="module")
def font() -> FontChoice:
    return resolve_cjk_font(allow_system=False)


@pytest.fixture
def no_cjk_font() -> FontChoice:
    return FontChoice("DejaVu Sans", None, "system")


def trend_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "一般公共预算收入（亿元）": [12.3, 13.1, np.nan, 15.2, 16.0],
            "税收收入（亿元）": [8.1, 8.9, 9.6, -1.2, 11.4],
        },
        index=[2020, 2021, 2022, 2023, 2024],
    )


def draw_each(font: FontChoice, folder: Path) -> dict[str, Path]:
    return {
        "trend": trend_chart(trend_frame(), folder / "trend.png", ylabel="金额（亿元）", font=font),
        "bar": bar_compare(
            UNITS,
            [85.2, -3.5, None, 76.5, 101.0],
            folder / "bar.png",
            ylabel="完成量（万元）",
            highlight="南山镇",
            target=90,
            font=font,
        ),
        "completion": completion_chart(
            UNITS, [112.5, -5.0, None, 76.5, 100.0], folder / "completion.png", font=font
        ),
    }


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """What the last chart put on its axes, captured right after drawing."""
    snap: dict[str, list] = {}
    original = charts._render

    def spy(path, width_mm, height_mm, font_, draw):  # type: ignore[no-untyped-def]
        def wrapped(fig, ax):  # type: ignore[no-untyped-def]
            draw(fig, ax)
            snap["lines"] = [(list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.lines]
            snap["heights"] = [p.get_height() for p in ax.patches]
            snap["widths"] = [p.get_width() for p in ax.patches]
            snap["colors"] = [tuple(p.get_facecolor()[:3]) for p in ax.patches]
            snap["texts"] = [t.get_text() for t in ax.texts]
            legend = ax.get_legend()
            snap["legend"] = [t.get_text() for t in legend.get_texts()] if legend else []
            snap["ylim"] = list(ax.get_ylim())

        return original(path, width_mm, height_mm, font_, wrapped)

    monkeypatch.setattr(charts, "_render", spy)
    return snap


def rgb_pixels(path: Path) -> set[tuple[int, int, int]]:
    with Image.open(path) as img:
        colors = img.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return {rgb for _count, rgb in colors}


def close_to(color: str, pixels: set[tuple[int, int, int]], tol: int = 3) -> bool:
    want = tuple(round(c * 255) for c in to_rgb(color))
    return any(all(abs(p[i] - want[i]) <= tol for i in range(3)) for p in pixels)


# ---------------------------------------------------------------------------- fonts


def test_bundled_fallback_used_when_system_fonts_are_disallowed(font: FontChoice) -> None:
    assert font.source == "bundled"
    assert font.family == "Noto Sans SC"
    assert font.path is not None
    assert Path(font.path) == bundled_font_path()
    assert "simhei" not in font.path.casefold()


def test_resolve_cjk_font_is_cached() -> None:
    assert resolve_cjk_font(allow_system=False) is resolve_cjk_font(allow_system=False)


def test_system_font_without_chinese_glyphs_is_not_chosen() -> None:
    choice = resolve_cjk_font(["DejaVu Sans"])
    assert choice.family != "DejaVu Sans"
    assert choice.source == "bundled"


def test_house_style_puts_cjk_family_first_and_keeps_ascii_minus(font: FontChoice) -> None:
    rc = house_style(font)
    assert rc["font.sans-serif"][0] == font.family
    assert rc["axes.unicode_minus"] is False
    assert 10.5 <= rc["xtick.labelsize"] <= 12
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["savefig.dpi"] == DPI


# ---------------------------------------------------------------------------- rendering


def test_each_kind_renders_chinese_brackets_and_minus_without_warnings(
    font: FontChoice, tmp_path: Path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = draw_each(font, tmp_path)
    for path in paths.values():
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_glyph_raises_chart_error_instead_of_drawing_boxes(
    no_cjk_font: FontChoice, tmp_path: Path
) -> None:
    out = tmp_path / "boxes.png"
    with pytest.raises(ChartError) as info:
        bar_compare(["城关镇", "东坝乡"], [1.0, 2.0], out, ylabel="金额（万元）", font=no_cjk_font)
    message = str(info.value)
    assert "DejaVu Sans" in message
    assert "金额（万元）" in message or "城关镇" in message
    assert "方框" in message
    assert not out.exists()
    assert isinstance(info.value, HuibaoError)
    assert str(pickle.loads(pickle.dumps(info.value))) == message


@pytest.mark.parametrize("kind", ["trend", "bar_compare", "completion"])
def test_every_kind_is_guarded(kind: str, no_cjk_font: FontChoice, tmp_path: Path) -> None:
    args = {
        "trend": (pd.DataFrame({"收入": [1.0, 2.0]}, index=[2023, 2024]), tmp_path / "x.png"),
        "bar_compare": (["甲"], [1.0], tmp_path / "x.png"),
        "completion": (["甲"], [50.0], tmp_path / "x.png"),
    }[kind]
    extra = {} if kind == "completion" else {"ylabel": "数量"}
    with pytest.raises(ChartError, match="缺少的字形"):
        chart_kind(kind)(*args, font=no_cjk_font, **extra)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("width_mm", "height_mm"), [(150, 75), (156, 90), (80, 60)])
def test_png_pixel_size_matches_millimetres_at_200_dpi(
    font: FontChoice, tmp_path: Path, width_mm: float, height_mm: float
) -> None:
    path = trend_chart(
        trend_frame(),
        tmp_path / "t.png",
        ylabel="金额（亿元）",
        width_mm=width_mm,
        height_mm=height_mm,
        font=font,
    )
    with Image.open(path) as img:
        w, h = img.size
        dpi = img.info.get("dpi")
    assert abs(w - width_mm / 25.4 * DPI) <= 1
    assert abs(h - height_mm / 25.4 * DPI) <= 1
    assert dpi is not None and round(dpi[0]) == DPI  # Word sizes the picture from pHYs


def test_width_beyond_text_block_is_refused(font: FontChoice, tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="156"):
        trend_chart(trend_frame(), tmp_path / "t.png", ylabel="y", width_mm=170, font=font)


def test_same_data_gives_byte_identical_png(font: FontChoice, tmp_path: Path) -> None:
    first = draw_each(font, tmp_path / "a")
    second = draw_each(font, tmp_path / "b")
    for kind, path in first.items():
        assert path.read_bytes() == second[kind].read_bytes(), kind


def test_png_carries_no_software_or_time_tag(font: FontChoice, tmp_path: Path) -> None:
    data = draw_each(font, tmp_path)["bar"].read_bytes()
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append(kind)
        pos += 12 + length
    assert b"tIME" not in chunks
    assert b"matplotlib" not in data


# ---------------------------------------------------------------------------- missing values


def test_trend_nan_leaves_a_gap_not_a_zero(font: FontChoice, tmp_path: Path, drawn) -> None:
    frame = pd.DataFrame({"收入（万元）": [100.0, None, 120.0]}, index=[2022, 2023, 2024])
    trend_chart(frame, tmp_path / "t.png", ylabel="收入（万元）", font=font)
    xs, ys = drawn["lines"][0]
    assert xs == [2022, 2023, 2024]
    assert ys[0] == 100.0 and math.isnan(ys[1]) and ys[2] == 120.0
    assert drawn["ylim"][0] > 0  # nothing pulled the axis down to a zero


def test_trend_with_all_missing_series_and_single_year_does_not_crash(
    font: FontChoice, tmp_path: Path
) -> None:
    frame = pd.DataFrame({"收入": [None], "支出": [5.0]}, index=[2024])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trend_chart(frame, tmp_path / "t.png", ylabel="万元", font=font).is_file()


def test_bar_missing_value_is_marked_not_drawn_as_zero(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    bar_compare(
        ["甲镇", "乙乡", "丙镇"],
        [10.0, float("nan"), None],
        tmp_path / "b.png",
        ylabel="数量（个）",
        highlight="甲镇",
        target=12,
        font=font,
    )
    assert drawn["heights"] == [10.0]
    assert drawn["texts"].count(MISSING_MARK) == 2
    assert drawn["legend"] == ["目标值12"]  # as the prose prints it: no trailing .0
    assert drawn["colors"] == [pytest.approx(to_rgb(HIGHLIGHT_COLOR))]


def test_highlighted_unit_has_its_own_colour_in_the_png(font: FontChoice, tmp_path: Path) -> None:
    path = bar_compare(
        UNITS, [5, 4, 3, 2, 1], tmp_path / "b.png", ylabel="个", highlight="南山镇", font=font
    )
    pixels = rgb_pixels(path)
    assert close_to(HIGHLIGHT_COLOR, pixels) and close_to(BAR_COLOR, pixels)


def test_completion_labels_are_percent_and_missing_is_marked(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    completion_chart(["甲", "乙", "丙"], [112.5, None, 80.0], tmp_path / "c.png", font=font)
    assert "112.5%" in drawn["texts"] and "80.0%" in drawn["texts"]
    assert any(MISSING_MARK in t for t in drawn["texts"])
    assert [100, 100] in [xs for xs, _ in drawn["lines"]]
    assert sorted(drawn["widths"]) == [80.0, 112.5]


# ---------------------------------------------------------------------------- input checks


def test_too_many_series_is_a_chinese_error(font: FontChoice, tmp_path: Path) -> None:
    frame = pd.DataFrame({f"系列{i}": [1.0, 2.0] for i in range(5)}, index=[2023, 2024])
    with pytest.raises(ChartError, match="系列"):
        trend_chart(frame, tmp_path / "t.png", ylabel="y", font=font)


def test_text_values_are_refused_not_coerced_to_missing(font: FontChoice, tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="非数值"):
        bar_compare(["甲", "乙"], [1.0, "十二"], tmp_path / "b.png", ylabel="y", font=font)  # type: ignore[list-item]


def test_unknown_highlight_is_refused(font: FontChoice, tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="丁镇"):
        bar_compare(
            ["甲", "乙"], [1, 2], tmp_path / "b.png", ylabel="y", highlight="丁镇", font=font
        )


def test_chart_kind_returns_the_registered_function() -> None:
    assert chart_kind("trend") is trend_chart
    assert chart_kind("bar_compare") is bar_compare
    assert chart_kind("completion") is completion_chart


def test_unknown_chart_kind_lists_known_names() -> None:
    with pytest.raises(UnknownNameError, match="bar_compare"):
        chart_kind("pie")
