"""Charts: Chinese renders without warnings, missing glyphs fail loudly, output is stable."""

from __future__ import annotations

import itertools
import math
import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgb
from PIL import Image

from huibao.documents import charts
from huibao.documents.charts import (
    BAR_COLOR,
    CHART_KINDS,
    DPI,
    HIGHLIGHT_COLOR,
    MATRIX_MET_COLOR,
    MATRIX_MISSED_COLOR,
    MATRIX_NA_COLOR,
    MAX_HEIGHT_MM,
    MISSING_MARK,
    TARGET_COLOR,
    bar_compare,
    chart_kind,
    completion_chart,
    completion_matrix,
    house_style,
    small_multiples,
    trend_chart,
)
from huibao.errors import ChartError, HuibaoError, UnknownNameError
from huibao.render.fonts import FontChoice, bundled_font_path, resolve_cjk_font

UNITS = ["城关镇", "东坝乡", "西河镇（街道）", "南山镇", "北岭乡"]
COUNTIES = ["示例县", "云溪区", "桐山县", "白鹭县", "堃湖区", "松岭县", "玉泉区", "梅江县"]
INDICATORS = ["志愿者注册率", "公益广告刊播", "未成年人思想道德建设测评（%）"]


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


def counties_frame() -> pd.DataFrame:
    """Five years of eight counties; 桐山县 misses 2023, 松岭县 has no data at all."""
    frame = pd.DataFrame(
        {name: [60.0 + i + 2 * k for k in range(5)] for i, name in enumerate(COUNTIES)},
        index=[2021, 2022, 2023, 2024, 2025],
    )
    frame.loc[2023, "桐山县"] = np.nan
    frame["松岭县"] = np.nan
    return frame


def matrix_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Completion (%) and met flags of three indicators in four counties."""
    units = COUNTIES[:4]
    values = pd.DataFrame(
        [[112.0, 96.5, np.nan, 100.0], [88.0, 101.0, 75.0, np.nan], [-5.0, 130.0, 99.4, 100.0]],
        index=INDICATORS,
        columns=units,
    )
    met = pd.DataFrame(
        [[True, False, None, True], [False, True, False, pd.NA], [False, True, False, True]],
        index=INDICATORS,
        columns=units,
    )
    return values, met


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
        "small_multiples": small_multiples(
            counties_frame(), folder / "panels.png", ylabel="注册率（%）", target=66, font=font
        ),
        "completion_matrix": completion_matrix(*matrix_frames(), folder / "matrix.png", font=font),
    }


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """What the last chart put on its axes, captured right after drawing."""
    snap: dict[str, list] = {}
    original = charts._render

    def spy(path, width_mm, height_mm, font_, draw, **kwargs):  # type: ignore[no-untyped-def]
        def wrapped(fig, ax_):  # type: ignore[no-untyped-def]
            draw(fig, ax_)
            ax = ax_ if ax_ is not None else fig.axes[0]  # panel charts make their own axes
            snap["panels"] = [
                {
                    "title": a.get_title(),
                    "lines": [(list(ln.get_xdata()), list(ln.get_ydata())) for ln in a.lines],
                    "texts": [t.get_text() for t in a.texts],
                    "ylim": list(a.get_ylim()),
                    "xticklabels": [t.get_text() for t in a.get_xticklabels()],
                    "geometry": a.get_subplotspec().get_geometry(),
                }
                for a in fig.axes
            ]
            snap["figure_legend"] = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
            meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
            snap["cells"] = meshes[0].get_array().reshape(-1).tolist() if meshes else []
            snap["lines"] = [(list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.lines]
            snap["heights"] = [p.get_height() for p in ax.patches]
            snap["widths"] = [p.get_width() for p in ax.patches]
            snap["colors"] = [tuple(p.get_facecolor()[:3]) for p in ax.patches]
            snap["texts"] = [t.get_text() for t in ax.texts]
            legend = ax.get_legend()
            snap["legend"] = [t.get_text() for t in legend.get_texts()] if legend else []
            snap["ylim"] = list(ax.get_ylim())

        return original(path, width_mm, height_mm, font_, wrapped, **kwargs)

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


@pytest.mark.parametrize("kind", sorted(CHART_KINDS))
def test_every_kind_is_guarded(kind: str, no_cjk_font: FontChoice, tmp_path: Path) -> None:
    args = {
        "trend": (pd.DataFrame({"收入": [1.0, 2.0]}, index=[2023, 2024]), tmp_path / "x.png"),
        "bar_compare": (["甲"], [1.0], tmp_path / "x.png"),
        "completion": (["甲"], [50.0], tmp_path / "x.png"),
        "small_multiples": (pd.DataFrame({"甲县": [1.0, 2.0]}, index=[2023, 2024]),
                            tmp_path / "x.png"),
        "completion_matrix": (pd.DataFrame({"A": [50.0]}, index=["注册率"]),
                              pd.DataFrame({"A": [False]}, index=["注册率"]), tmp_path / "x.png"),
    }[kind]  # a kind registered without a case here fails with KeyError
    extra = {"ylabel": "数量"} if kind in ("trend", "bar_compare") else {}
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
    for name, path in draw_each(font, tmp_path).items():
        data = path.read_bytes()
        chunks, pos = [], 8
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos : pos + 8])
            chunks.append(kind)
            pos += 12 + length
        assert b"tIME" not in chunks, name
        assert b"matplotlib" not in data, name


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
    assert chart_kind("small_multiples") is small_multiples
    assert chart_kind("completion_matrix") is completion_matrix


def test_unknown_chart_kind_lists_known_names() -> None:
    with pytest.raises(UnknownNameError, match="bar_compare"):
        chart_kind("pie")


# ---------------------------------------------------------------------------- small multiples


def test_small_multiples_missing_year_is_a_gap_and_empty_unit_is_marked(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    small_multiples(counties_frame(), tmp_path / "p.png", ylabel="注册率（%）", font=font)
    panels = {p["title"]: p for p in drawn["panels"]}
    assert list(panels) == COUNTIES  # one panel per unit, in the frame's order
    xs, ys = panels["桐山县"]["lines"][0]
    assert xs == [2021, 2022, 2023, 2024, 2025]
    assert math.isnan(ys[2]) and ys[1] == 64.0 and ys[3] == 68.0
    assert panels["松岭县"]["lines"] == []
    assert panels["松岭县"]["texts"] == [MISSING_MARK]
    assert all(MISSING_MARK not in p["texts"] for name, p in panels.items() if name != "松岭县")
    assert drawn["panels"][0]["ylim"][0] > 0  # nothing pulled the shared axis down to a zero


def test_small_multiples_share_one_y_range(font: FontChoice, tmp_path: Path, drawn) -> None:
    frame = pd.DataFrame(
        {"低值县": [10.0, 12.0, 11.0], "高值区": [80.0, 95.0, 90.0], "中间县": [40.0, None, 45.0]},
        index=[2023, 2024, 2025],
    )
    small_multiples(frame, tmp_path / "p.png", font=font)
    limits = [tuple(p["ylim"]) for p in drawn["panels"]]
    assert len(set(limits)) == 1
    low, high = limits[0]
    assert low < 10.0 and high > 95.0


def test_small_multiples_label_last_value_and_draw_target_in_every_panel(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    frame = pd.DataFrame(
        {"甲县": [1.25, 2.5, None], "乙区": [3.0, 4.0, 5.0]}, index=[2023, 2024, 2025]
    )
    small_multiples(frame, tmp_path / "p.png", target=4, decimals=1, font=font)
    甲, 乙 = drawn["panels"]
    assert 甲["texts"] == ["2.5"]  # the last present value, 2024's
    assert 乙["texts"] == ["5.0"]
    for panel in drawn["panels"]:
        assert ([0, 1], [4, 4]) in panel["lines"]  # axhline at the target
    assert drawn["figure_legend"] == ["目标值4"]  # one legend for the figure, not per panel


def test_small_multiples_default_grid_and_crowded_year_labels(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    small_multiples(counties_frame(), tmp_path / "p.png", font=font)
    assert {p["geometry"][:2] for p in drawn["panels"]} == {(2, 4)}  # > 6 units: 4 a row
    assert drawn["panels"][-1]["xticklabels"] == ["2021", "", "", "", "2025"]
    with Image.open(tmp_path / "p.png") as img:
        assert img.size[0] == round(150 / 25.4 * DPI)
        assert img.size[1] <= round(MAX_HEIGHT_MM / 25.4 * DPI)

    small_multiples(counties_frame().iloc[:, :2], tmp_path / "q.png", font=font)
    assert {p["geometry"][:2] for p in drawn["panels"]} == {(1, 2)}  # fewer units, fewer columns
    assert drawn["panels"][0]["xticklabels"] == ["2021", "2022", "2023", "2024", "2025"]


def test_small_multiples_with_too_many_units_is_a_chinese_error(
    font: FontChoice, tmp_path: Path
) -> None:
    frame = pd.DataFrame({f"单位{i}": [1.0, 2.0] for i in range(30)}, index=[2024, 2025])
    with pytest.raises(ChartError, match="超过上限"):
        small_multiples(frame, tmp_path / "p.png", font=font)
    with pytest.raises(ChartError, match="放不下"):
        small_multiples(frame.iloc[:, :12], tmp_path / "p.png", height_mm=60, font=font)
    with pytest.raises(ChartError, match="正整数"):
        small_multiples(frame.iloc[:, :3], tmp_path / "p.png", columns=0, font=font)
    assert not (tmp_path / "p.png").exists()


def test_small_multiples_refuses_empty_frames_text_values_and_non_year_index(
    font: FontChoice, tmp_path: Path
) -> None:
    with pytest.raises(ChartError, match="没有数据"):
        small_multiples(pd.DataFrame(), tmp_path / "p.png", font=font)
    text = pd.DataFrame({"甲县": [1.0, "十二"]}, index=[2024, 2025])
    with pytest.raises(ChartError, match="非数值"):
        small_multiples(text, tmp_path / "p.png", font=font)
    quarters = pd.DataFrame({"甲县": [1.0, 2.0]}, index=["一季度", "二季度"])
    with pytest.raises(ChartError, match="年份"):
        small_multiples(quarters, tmp_path / "p.png", font=font)


# ---------------------------------------------------------------------------- completion matrix


def test_matrix_cells_are_classed_and_missing_is_a_dash_not_zero(
    font: FontChoice, tmp_path: Path, drawn
) -> None:
    completion_matrix(*matrix_frames(), tmp_path / "m.png", font=font)
    # Row by row: 0 no target or no data, 1 met, 2 missed.
    assert drawn["cells"] == [1, 2, 0, 1, 2, 1, 2, 0, 2, 1, 2, 1]
    texts = drawn["texts"]
    assert texts[:4] == ["112%", "96%", "—", "100%"]  # 96.5 rounds half to even
    assert texts[7] == "—" and texts[8] == "-5%"
    assert "0%" not in texts
    assert drawn["figure_legend"] == ["达标", "未达标", "无目标或无数据"]


def test_matrix_met_and_missed_cells_differ_in_the_png(font: FontChoice, tmp_path: Path) -> None:
    values = pd.DataFrame([[104.0, 80.0]], index=["志愿者注册率"], columns=["示例县", "云溪区"])
    both = completion_matrix(
        values, values >= 100, tmp_path / "both.png", font=font, decimals=1
    )
    pixels = rgb_pixels(both)
    assert close_to(MATRIX_MET_COLOR, pixels) and close_to(MATRIX_MISSED_COLOR, pixels)
    only_met = completion_matrix(values, values > 0, tmp_path / "met.png", font=font)
    pixels = rgb_pixels(only_met)
    assert close_to(MATRIX_MET_COLOR, pixels) and not close_to(MATRIX_MISSED_COLOR, pixels)


def test_matrix_colours_stay_apart_in_greyscale() -> None:
    def grey(color: str) -> float:
        r, g, b = to_rgb(color)
        return 0.299 * r + 0.587 * g + 0.114 * b

    levels = sorted(grey(c) for c in (MATRIX_MET_COLOR, MATRIX_MISSED_COLOR, MATRIX_NA_COLOR))
    assert min(b - a for a, b in itertools.pairwise(levels)) > 0.15
    assert grey(MATRIX_MISSED_COLOR) < grey(MATRIX_MET_COLOR)  # misses are the darkest
    assert TARGET_COLOR not in (MATRIX_MET_COLOR, MATRIX_MISSED_COLOR, MATRIX_NA_COLOR)


def test_matrix_mismatched_inputs_are_chinese_errors(font: FontChoice, tmp_path: Path) -> None:
    values, met = matrix_frames()
    with pytest.raises(ChartError, match="形状不一致"):
        completion_matrix(values, met.iloc[:, :3], tmp_path / "m.png", font=font)
    with pytest.raises(ChartError, match="云溪区"):
        completion_matrix(values, met.rename(columns={"云溪区": "云溪县"}), tmp_path / "m.png",
                          font=font)
    text = values.astype(object)
    text.iloc[0, 0] = "一百"
    with pytest.raises(ChartError, match="非数值"):
        completion_matrix(text, met, tmp_path / "m.png", font=font)
    flags = met.astype(object)
    flags.iloc[1, 1] = "是"
    with pytest.raises(ChartError, match="达标标记"):
        completion_matrix(values, flags, tmp_path / "m.png", font=font)
    with pytest.raises(ChartError, match="没有数据"):
        completion_matrix(pd.DataFrame(), pd.DataFrame(), tmp_path / "m.png", font=font)
    assert not (tmp_path / "m.png").exists()


def test_matrix_height_follows_rows_and_too_many_rows_are_refused(
    font: FontChoice, tmp_path: Path
) -> None:
    def frames(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        index = [f"指标{i}" for i in range(rows)]
        values = pd.DataFrame({"甲县": [100.0] * rows, "乙区": [90.0] * rows}, index=index)
        return values, values >= 100

    heights = []
    for rows in (3, 10):
        with Image.open(completion_matrix(*frames(rows), tmp_path / "m.png", font=font)) as img:
            heights.append(img.size[1] / DPI * 25.4)
    assert 7 * 7 <= heights[1] - heights[0] <= 9 * 7  # about 8 mm a row
    with pytest.raises(ChartError, match="超过上限"):
        completion_matrix(*frames(40), tmp_path / "big.png", font=font)
