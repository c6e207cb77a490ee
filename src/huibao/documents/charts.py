"""Charts for the reports: one house style, five kinds, PNG files at print size.

Each chart function takes plain data (a DataFrame or lists), writes one PNG drawn at
its final size in the document (≤ 156 mm text width, 200 dpi) and returns the path.
The functions know nothing about campaigns or units beyond the labels they are given.

Three promises hold for every chart:

* **No silent boxes.** Drawing happens under a warnings guard; a "Glyph … missing"
  warning becomes a ``ChartError`` naming the text and font (layout.md §5).
* **Missing is not zero.** ``None``/NaN leaves a gap in a line or a "待填" mark where a
  bar would be; it is never drawn as 0.
* **Same data, same bytes.** No timestamps or software tags go into the PNG, so
  repeated builds give byte-identical files.

matplotlib is used through ``Figure`` and the Agg canvas directly; pyplot's global
figure registry is never touched, and rc settings apply only inside ``styled()``.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

from huibao.errors import ChartError, UnknownNameError
from huibao.render.fonts import FontChoice, resolve_cjk_font
from huibao.render.measure import text_width

DPI = 200
MM_PER_INCH = 25.4
MAX_WIDTH_MM = 156.0
MAX_HEIGHT_MM = 230.0

# Restrained palette that survives greyscale printing (dark/light contrast, not hue alone).
SERIES_COLORS = ("#1F4E79", "#C55A11", "#548235", "#7F7F7F")
SERIES_MARKERS = ("o", "s", "^", "D")
BAR_COLOR = "#A9BCD6"
HIGHLIGHT_COLOR = "#1F4E79"
TARGET_COLOR = "#C00000"
MET_COLOR = "#1F4E79"
MISSED_COLOR = "#C55A11"
MISSING_TEXT_COLOR = "#7F7F7F"
MISSING_MARK = "待填"
# Completion matrix fills: calm light blue, dark warning orange, near white; their
# lightness (about 73 %, 45 %, 95 %) keeps the three apart in greyscale print.
MATRIX_MET_COLOR = BAR_COLOR
MATRIX_MISSED_COLOR = MISSED_COLOR
MATRIX_NA_COLOR = "#F2F2F2"

TEXT_PT = 10.5  # 五号, the body size of the printed report
VALUE_PT = 10.0

_PANEL_ROW_MM = 38.0  # default height of one row of small-multiple panels
_PANEL_MIN_MM = 22.0  # below this a row of panels cannot hold title, line and ticks
_PANEL_TICK_PT = 9.0
_PANEL_VALUE_PT = 9.0
_MATRIX_NONE = "—"  # completion matrix cell without a value

_GLYPH_RE = re.compile(r"Glyph (\d+) .*missing from font\(s\) (.+?)\.?$")


# ---------------------------------------------------------------------------- style


def house_style(font: FontChoice) -> dict[str, Any]:
    """rc settings of the house style, with ``font`` as the first sans-serif family.

    Only the chosen family and DejaVu Sans (for stray symbols) are listed, so a chart
    either uses the resolved CJK font or fails the glyph guard; it never silently picks
    another installed font.
    """
    families = list(dict.fromkeys([font.family, "DejaVu Sans"]))
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": False,  # many CJK fonts lack U+2212
        "font.size": TEXT_PT,
        "axes.labelsize": TEXT_PT,
        "xtick.labelsize": TEXT_PT,
        "ytick.labelsize": TEXT_PT,
        "legend.fontsize": TEXT_PT,
        "axes.titlesize": 12,
        "text.color": "#262626",
        "axes.labelcolor": "#262626",
        "axes.edgecolor": "#595959",
        "axes.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "axes.axisbelow": True,
        "grid.color": "#D9D9D9",
        "grid.linewidth": 0.6,
        "grid.linestyle": "-",
        "axes.prop_cycle": cycler(color=list(SERIES_COLORS)),
        "axes.formatter.use_locale": False,
        "xtick.color": "#404040",
        "ytick.color": "#404040",
        "xtick.major.size": 3,
        "ytick.major.size": 3,
        "lines.linewidth": 1.8,
        "lines.markersize": 5,
        "legend.frameon": False,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "figure.constrained_layout.use": True,
    }


@contextmanager
def styled(font: FontChoice) -> Iterator[dict[str, Any]]:
    """Apply the house style for the duration of a ``with`` block only."""
    rc = house_style(font)
    with mpl.rc_context(rc):
        yield rc


# ---------------------------------------------------------------------------- kinds


def trend_chart(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    ylabel: str,
    width_mm: float = 150,
    height_mm: float = 75,
    year_suffix: str = "年",
    decimals: int | None = None,
    font: FontChoice | None = None,
) -> Path:
    """Line chart of 1–4 series over years; the last value of each series is labelled.

    Parameters
    ----------
    frame
        Index: years (ints, shown as "2021年"; other labels are shown as given and
        spaced evenly). Columns: series labels. NaN/None leave a gap, never a zero.
    ylabel
        Axis label with its unit, e.g. "金额（万元）".
    decimals
        Decimals of the value labels; default 0 if every value is whole, else 1.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ChartError("趋势图没有数据：需要以年份为行、指标为列的表格。")
    if not 1 <= frame.shape[1] <= len(SERIES_COLORS):
        raise ChartError(
            f"趋势图有 {frame.shape[1]} 个系列，应为 1–{len(SERIES_COLORS)} 个；"
            "系列过多时请拆成几张图。"
        )
    data = pd.DataFrame(
        {str(col): _numeric(frame[col], f"趋势图系列“{col}”") for col in frame.columns}
    )
    years = list(frame.index)
    if all(_is_whole(y) for y in years):
        xs = [int(y) for y in years]
        ticklabels = [f"{x}{year_suffix}" for x in xs]
    else:
        xs = list(range(len(years)))
        ticklabels = [str(y) for y in years]
    fmt = _formatter(data.to_numpy().ravel().tolist(), decimals)

    def draw(fig: Figure, ax: Axes) -> None:
        ends: list[tuple[float, float, str, str]] = []
        for i, col in enumerate(data.columns):
            ys = data[col].to_numpy(dtype=float)
            color = SERIES_COLORS[i]
            ax.plot(xs, ys, color=color, marker=SERIES_MARKERS[i], label=col, clip_on=False)
            valid = [k for k, v in enumerate(ys) if not math.isnan(v)]
            if valid:
                k = valid[-1]
                ends.append((float(xs[k]), float(ys[k]), fmt(float(ys[k])), color))
        ax.set_xticks(xs, ticklabels)
        step = (max(xs) - min(xs)) / max(len(xs) - 1, 1) or 1
        ax.set_xlim(min(xs) - 0.3 * step, max(xs) + 0.3 * step)
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _plain(v)))
        ax.margins(y=0.15)
        values = [v for v in data.to_numpy().ravel().tolist() if not math.isnan(v)]
        if values and min(values) < 0 < max(values):
            ax.axhline(0, color="#595959", linewidth=0.8, zorder=1)
        _label_ends(ax, ends)
        if len(data.columns) > 1:
            fig.legend(loc="outside upper center", ncols=_legend_columns(fig, list(data.columns)))

    return _render(path, width_mm, height_mm, font, draw)


def bar_compare(
    labels: Sequence[str],
    values: Sequence[float | None],
    path: str | Path,
    *,
    ylabel: str,
    highlight: str | None = None,
    target: float | None = None,
    sort_desc: bool = True,
    width_mm: float = 150,
    height_mm: float = 75,
    decimals: int | None = None,
    font: FontChoice | None = None,
) -> Path:
    """Vertical bars comparing units on one indicator.

    ``highlight`` names the unit drawn in the accent colour; ``target`` adds a dashed
    line labelled "目标值"; a missing value (None/NaN) shows "待填" instead of a bar.
    With ``sort_desc`` the bars run from largest to smallest, missing ones last.
    """
    labels = [str(x) for x in labels]
    nums = _numeric(pd.Series(list(values), dtype=object), "对比图数值").tolist()
    _check_pairs(labels, nums, "对比图")
    if highlight is not None and highlight not in labels:
        raise ChartError(f"对比图要突出的单位“{highlight}”不在单位列表中：{'、'.join(labels)}。")
    if target is not None and not math.isfinite(float(target)):
        target = None
    pairs = list(zip(labels, nums, strict=True))
    if sort_desc:
        pairs.sort(key=lambda p: (math.isnan(p[1]), -p[1] if not math.isnan(p[1]) else 0))
    fmt = _formatter([*nums, *([target] if target is not None else [])], decimals)

    def draw(fig: Figure, ax: Axes) -> None:
        xs = list(range(len(pairs)))
        shown = [(x, lab, v) for x, (lab, v) in zip(xs, pairs, strict=True) if not math.isnan(v)]
        colors = [HIGHLIGHT_COLOR if lab == highlight else BAR_COLOR for _, lab, _ in shown]
        bars = ax.bar(
            [x for x, _, _ in shown], [v for _, _, v in shown], width=0.62, color=colors, zorder=2
        )
        size = VALUE_PT if len(pairs) <= 8 else 9.0
        value_texts = [fmt(v) for _, _, v in shown]
        # Too narrow a slot for horizontal numbers: stand them upright above the bars.
        slot_pt = fig.get_figwidth() * 72 * 0.85 / len(pairs)
        widest = max((_text_width_em(t) for t in value_texts), default=0) * size
        upright = widest > slot_pt * 0.9
        texts = ax.bar_label(
            bars, labels=value_texts, padding=2, fontsize=size, rotation=90 if upright else 0
        )
        _mask_lines_behind(texts)
        present = [v for _, _, v in shown]
        top = max([0.0, *present, *([target] if target is not None else [])])
        bottom = min([0.0, *present, *([target] if target is not None else [])])
        span = (top - bottom) or 1.0
        room = 0.28 if upright else 0.14
        ax.set_ylim(bottom - (room * span if bottom < 0 else 0), top + room * span)
        if bottom < 0:
            ax.axhline(0, color="#595959", linewidth=0.8, zorder=3)
        for x, (_, v) in zip(xs, pairs, strict=True):
            if math.isnan(v):
                ax.text(
                    x,
                    0,
                    MISSING_MARK,
                    ha="center",
                    va="bottom",
                    fontsize=size,
                    color=MISSING_TEXT_COLOR,
                )
        if target is not None:
            # The label goes in a legend at the upper right, where bars sorted high to low
            # leave room, instead of on the line next to bar values.
            line = ax.axhline(target, color=TARGET_COLOR, linestyle="--", linewidth=1.2,
                              zorder=4)
            ax.legend([line], [f"目标值{_plain(target)}"], loc="upper right", frameon=False,
                      fontsize=VALUE_PT, labelcolor=TARGET_COLOR)
        ax.set_xticks(xs, [lab for lab, _ in pairs])
        ax.set_xlim(-0.6, len(pairs) - 0.4)
        ax.tick_params(axis="x", length=0)
        names = [lab for lab, _ in pairs]
        wrapped = [_wrap(lab) for lab in names]
        if not _crowded(fig, names):
            pass
        elif not _crowded(fig, wrapped):
            ax.set_xticks(xs, wrapped)
        else:
            for tick in ax.get_xticklabels():
                tick.set_rotation(45)
                tick.set_ha("right")
                tick.set_rotation_mode("anchor")
        for tick in ax.get_xticklabels():
            if highlight is not None and tick.get_text() in (highlight, _wrap(highlight)):
                tick.set_color(HIGHLIGHT_COLOR)
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _plain(v)))

    return _render(path, width_mm, height_mm, font, draw)


def completion_chart(
    labels: Sequence[str],
    ratios_pct: Sequence[float | None],
    path: str | Path,
    *,
    xlabel: str = "完成率（%）",
    sort_desc: bool = True,
    width_mm: float = 150,
    height_mm: float | None = None,
    decimals: int = 1,
    font: FontChoice | None = None,
) -> Path:
    """Horizontal bars of actual ÷ target in per cent, with a line at 100 %.

    Bars at or above 100 % use the "met" colour, the others the "missed" colour; each
    bar carries a label such as "112.5%"; missing ratios show "待填". The height
    defaults to one that fits the number of rows.
    """
    labels = [str(x) for x in labels]
    nums = _numeric(pd.Series(list(ratios_pct), dtype=object), "完成率").tolist()
    _check_pairs(labels, nums, "完成率图")
    pairs = list(zip(labels, nums, strict=True))
    if sort_desc:
        pairs.sort(key=lambda p: (math.isnan(p[1]), -p[1] if not math.isnan(p[1]) else 0))
    if height_mm is None:
        height_mm = min(MAX_HEIGHT_MM, max(45.0, 22.0 + 8.0 * len(pairs)))

    def draw(fig: Figure, ax: Axes) -> None:
        ys = list(range(len(pairs)))
        shown = [(y, v) for y, (_, v) in zip(ys, pairs, strict=True) if not math.isnan(v)]
        colors = [MET_COLOR if v >= 100 else MISSED_COLOR for _, v in shown]
        bars = ax.barh(
            [y for y, _ in shown], [v for _, v in shown], height=0.6, color=colors, zorder=2
        )
        texts = ax.bar_label(
            bars, labels=[f"{v:,.{decimals}f}%" for _, v in shown], padding=3, fontsize=VALUE_PT
        )
        _mask_lines_behind(texts)
        for y, (_, v) in zip(ys, pairs, strict=True):
            if math.isnan(v):
                ax.text(
                    0,
                    y,
                    f" {MISSING_MARK}",
                    ha="left",
                    va="center",
                    fontsize=VALUE_PT,
                    color=MISSING_TEXT_COLOR,
                )
        present = [v for _, v in shown]
        right = max([100.0, *present]) * 1.18
        left = min([0.0, *present])
        # Room left of zero for a negative bar's label.
        ax.set_xlim(left - 0.16 * (right - left) if left < 0 else 0, right)
        ax.axvline(100, color="#404040", linestyle="--", linewidth=1.0, zorder=3)
        if left < 0:
            ax.axvline(0, color="#595959", linewidth=0.8, zorder=3)
        ax.set_yticks(ys, [lab for lab, _ in pairs])
        ax.set_ylim(len(pairs) - 0.4, -0.6)  # first row on top
        ax.tick_params(axis="y", length=0)
        ax.grid(False)
        ax.grid(True, axis="x")
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{_plain(v)}%"))
        handles = []
        if any(v >= 100 for v in present):
            handles.append(Patch(color=MET_COLOR, label="达到目标"))
        if any(v < 100 for v in present):
            handles.append(Patch(color=MISSED_COLOR, label="未达目标"))
        if handles:
            fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))

    return _render(path, width_mm, height_mm, font, draw)


def small_multiples(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    ylabel: str = "",
    decimals: int | None = None,
    target: float | None = None,
    font: FontChoice | None = None,
    width_mm: float = 150,
    height_mm: float | None = None,
    columns: int | None = None,
) -> Path:
    """A grid of small line panels, one per unit, on one shared y axis.

    For a roll-up comparing many units (a city's 8–12 counties) over the years.

    Parameters
    ----------
    frame
        Index: years (whole numbers, drawn in ascending order). Columns: unit names in
        the order of the panels. NaN/None leave a gap, never a zero; a unit with no
        value at all shows "待填" in its panel.
    ylabel
        Shared axis label with its unit, e.g. "注册率（%）"; empty for none.
    target
        Draws a dashed target line in every panel, with one "目标值X" legend.
    columns
        Panels per row; default 4 for more than 6 units, else up to 3.
    height_mm
        Default: about 38 mm per row of panels plus margins; a grid that would not fit
        the page height is refused.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ChartError("分面折线图没有数据：需要以年份为行、单位为列的表格。")
    names = [str(col) for col in frame.columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ChartError(f"分面折线图的单位名称重复：{'、'.join(dup)}。")
    years_raw = list(frame.index)
    if not all(_is_whole(y) for y in years_raw):
        bad = [str(y) for y in years_raw if not _is_whole(y)]
        raise ChartError(f"分面折线图的行应为年份（整数），现有：{'、'.join(bad[:5])}。")
    years = [int(y) for y in years_raw]
    if len(set(years)) != len(years):
        raise ChartError(f"分面折线图的年份重复：{'、'.join(map(str, years))}。")
    data = pd.DataFrame(
        {
            name: _numeric(frame[col], f"分面折线图单位“{name}”").to_numpy()
            for name, col in zip(names, frame.columns, strict=True)
        },
        index=years,
    ).sort_index()
    years = [int(y) for y in data.index]
    if target is not None and not math.isfinite(float(target)):
        target = None
    if columns is not None and (not _is_whole(columns) or int(columns) < 1):
        raise ChartError(f"分面折线图每行的图数 {columns} 无效：应为正整数。")
    count = len(names)
    cols = min(int(columns) if columns is not None else (4 if count > 6 else 3), count)
    rows = math.ceil(count / cols)
    margin_mm = 14.0 + (7.0 if target is not None else 0.0)
    if height_mm is None:
        height_mm = max(50.0, margin_mm + _PANEL_ROW_MM * rows)
        if height_mm > MAX_HEIGHT_MM:
            raise ChartError(
                f"分面折线图有 {count} 个单位，每行 {cols} 个共 {rows} 行，需高约 "
                f"{height_mm:.0f} mm，超过上限 {MAX_HEIGHT_MM:g} mm；请增加每行图数或拆成几张图。"
            )
    elif (height_mm - margin_mm) / rows < _PANEL_MIN_MM:
        raise ChartError(
            f"图高 {height_mm} mm 放不下 {rows} 行小图（每行至少 {_PANEL_MIN_MM:g} mm）；"
            "请加大图高、增加每行图数或拆成几张图。"
        )
    values = [v for v in data.to_numpy().ravel().tolist() if not math.isnan(v)]
    fmt = _formatter([*values, *([target] if target is not None else [])], decimals)
    span_values = [*values, *([target] if target is not None else [])]
    low, high = (min(span_values), max(span_values)) if span_values else (0.0, 1.0)
    span = (high - low) or (abs(high) or 1.0)
    ylim = (low - 0.3 * span, high + 0.3 * span)  # room for a value label either side

    # Panel width in points, for tick crowding and room right of the last point.
    panel_pt = (width_mm / MM_PER_INCH * 72 - 40) / cols - 10
    year_pt = max(_text_width_em(str(y)) for y in years) * _PANEL_TICK_PT
    crowded = len(years) > 2 and year_pt * len(years) > panel_pt * 0.8
    # Every year keeps its tick mark; when crowded only the first and last are labelled.
    xlabels = [str(y) if not crowded or y in (years[0], years[-1]) else "" for y in years]
    ends = [fmt(float(data[n].dropna().iloc[-1])) for n in names if data[n].notna().any()]
    half_pt = max((_text_width_em(t) for t in ends), default=2) * _PANEL_VALUE_PT / 2 + 2
    intervals = len(years) - 1
    left_pad = 0.35
    if intervals:
        right_pad = max(left_pad, half_pt * (intervals + left_pad) / max(panel_pt - half_pt, 1))
        xlim = (years[0] - left_pad, years[-1] + right_pad)
    else:
        xlim = (years[0] - 1.0, years[0] + 1.0)

    def draw(fig: Figure, _ax: None) -> None:
        grid = fig.add_gridspec(rows, cols)
        first: Axes | None = None
        target_line = None
        for i, name in enumerate(names):
            row, col = divmod(i, cols)
            ax = fig.add_subplot(grid[row, col], sharex=first, sharey=first)
            first = first or ax
            ys = data[name].to_numpy(dtype=float)
            valid = [k for k, v in enumerate(ys) if not math.isnan(v)]
            if valid:
                ax.plot(years, ys, color=SERIES_COLORS[0], marker="o", markersize=3.5,
                        linewidth=1.5, clip_on=False, zorder=3)
                k = valid[-1]
                # Above the point, unless the line comes down into it: then below.
                below = len(valid) > 1 and ys[valid[-2]] > ys[k]
                label = ax.annotate(
                    fmt(float(ys[k])),
                    xy=(years[k], ys[k]),
                    xytext=(0, -5 if below else 4),
                    textcoords="offset points",
                    ha="center",
                    va="top" if below else "bottom",
                    fontsize=_PANEL_VALUE_PT,
                    color=SERIES_COLORS[0],
                    annotation_clip=False,
                )
                _mask_lines_behind([label])
            else:
                mark = ax.text(0.5, 0.5, MISSING_MARK, transform=ax.transAxes, ha="center",
                               va="center", fontsize=VALUE_PT, color=MISSING_TEXT_COLOR)
                _mask_lines_behind([mark])
            if target is not None:
                target_line = ax.axhline(target, color=TARGET_COLOR, linestyle="--",
                                         linewidth=1.0, zorder=2)
            title = name if _text_width_em(name) * TEXT_PT <= panel_pt else _wrap(name)
            ax.set_title(title, fontsize=TEXT_PT, pad=3)
            ax.tick_params(labelsize=_PANEL_TICK_PT, labelleft=col == 0,
                           labelbottom=i + cols >= count)
        assert first is not None
        first.set_ylim(*ylim)
        first.set_xlim(*xlim)
        first.set_xticks(years, xlabels)
        first.yaxis.set_major_locator(MaxNLocator(nbins=4))
        first.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _plain(v)))
        if ylabel:
            fig.supylabel(ylabel, fontsize=TEXT_PT)
        if target_line is not None:
            fig.legend([target_line], [f"目标值{_plain(target)}"], loc="outside upper right",
                       fontsize=VALUE_PT, labelcolor=TARGET_COLOR)

    return _render(path, width_mm, height_mm, font, draw, axes=False)


def completion_matrix(
    values: pd.DataFrame,
    met: pd.DataFrame,
    path: str | Path,
    *,
    font: FontChoice | None = None,
    width_mm: float = 150,
    height_mm: float | None = None,
    decimals: int = 0,
) -> Path:
    """Grid of indicators (rows) by units (columns), coloured by whether targets are met.

    Parameters
    ----------
    values
        Index: indicator names. Columns: unit names. Completion in per cent
        (actual ÷ target × 100); NaN shows "—".
    met
        Same rows and columns: True (target met), False (missed) or None/NA (no target
        or no data). Met cells are a calm light blue, missed ones a dark warning orange
        with white text, the rest near-white, so the three differ in greyscale too.
    height_mm
        Default: about 8 mm per indicator plus room for the unit names and legend; a
        matrix that would not fit the page height is refused.
    """
    if not isinstance(values, pd.DataFrame) or values.empty:
        raise ChartError("完成情况矩阵没有数据：需要以指标为行、单位为列的完成率表格。")
    if not isinstance(met, pd.DataFrame) or met.shape != values.shape:
        shape = (
            f"{met.shape[0]} 行 {met.shape[1]} 列" if isinstance(met, pd.DataFrame) else "不是表格"
        )
        raise ChartError(
            f"完成情况矩阵的达标标记（{shape}）与完成率（{values.shape[0]} 行 "
            f"{values.shape[1]} 列）形状不一致，应一一对应。"
        )
    rows = [str(r) for r in values.index]
    cols = [str(c) for c in values.columns]
    for what, labels in (("指标", rows), ("单位", cols)):
        dup = sorted({lab for lab in labels if labels.count(lab) > 1})
        if dup:
            raise ChartError(f"完成情况矩阵的{what}名称重复：{'、'.join(dup)}。")
    met = met.copy()
    met.index = [str(r) for r in met.index]
    met.columns = [str(c) for c in met.columns]
    extra = [*(set(met.index) ^ set(rows)), *(set(met.columns) ^ set(cols))]
    if extra:
        raise ChartError(
            "完成情况矩阵的达标标记与完成率的指标或单位名称不一致："
            f"{'、'.join(sorted(extra)[:5])}。"
        )
    met = met.reindex(index=rows, columns=cols)
    nums = pd.DataFrame(
        {
            name: _numeric(values[col], f"完成情况矩阵单位“{name}”").to_numpy()
            for name, col in zip(cols, values.columns, strict=True)
        },
        index=rows,
    )
    codes = [[_met_code(met.iat[r, c], rows[r], cols[c]) for c in range(len(cols))]
             for r in range(len(rows))]

    texts = [
        [_MATRIX_NONE if math.isnan(v) else f"{v:,.{decimals}f}%" for v in nums.iloc[r]]
        for r in range(len(rows))
    ]
    widest = max(_cell_width_em(t) for row in texts for t in row)
    fig_pt = width_mm / MM_PER_INCH * 72

    def grid_width(labels: list[str]) -> float:
        longest = max(_text_width_em(line) for lab in labels for line in lab.split("\n"))
        return fig_pt - longest * TEXT_PT - 16

    # Long indicator names go on two lines when that leaves the cells too narrow, or
    # when they would take more than a third of the width anyway.
    row_labels = [_wrap(r) if _text_width_em(r) * TEXT_PT > 0.33 * fig_pt else r for r in rows]
    if grid_width(row_labels) / len(cols) < widest * VALUE_PT * 1.2:
        row_labels = [_wrap(r) if _text_width_em(r) * TEXT_PT > 0.2 * fig_pt else r
                      for r in rows]
    grid_pt = grid_width(row_labels)
    wrapped_cols = [_wrap(c) for c in cols]
    if not _crowded(None, cols, grid_pt):
        col_labels, rotate = cols, False
    elif not _crowded(None, wrapped_cols, grid_pt):
        col_labels, rotate = wrapped_cols, False
    else:
        col_labels, rotate = cols, True
    lines = max(lab.count("\n") + 1 for lab in col_labels)
    if rotate:
        longest = max(_text_width_em(c) for c in cols)
        header_pt = longest * TEXT_PT * 0.72 + TEXT_PT
    else:
        header_pt = lines * TEXT_PT * 1.25 + 4
    if height_mm is None:
        row_mm = 8.0 + (2.5 if any("\n" in lab for lab in row_labels) else 0.0)
        height_mm = header_pt / 72 * MM_PER_INCH + 14.0 + row_mm * len(rows)
        if height_mm > MAX_HEIGHT_MM:
            raise ChartError(
                f"完成情况矩阵有 {len(rows)} 个指标，需高约 {height_mm:.0f} mm，超过上限 "
                f"{MAX_HEIGHT_MM:g} mm；请拆成几张图。"
            )
    cell_pt = grid_pt / len(cols)
    size = min(VALUE_PT, max(7.0, cell_pt * 0.85 / max(widest, 1)))
    fills = [MATRIX_NA_COLOR, MATRIX_MET_COLOR, MATRIX_MISSED_COLOR]

    def draw(fig: Figure, ax: Axes) -> None:
        cmap = ListedColormap(fills)
        ax.pcolormesh(
            codes, cmap=cmap, vmin=-0.5, vmax=2.5, edgecolors="white", linewidth=1.5
        )
        for r in range(len(rows)):
            for c in range(len(cols)):
                text = texts[r][c]
                if text == _MATRIX_NONE:
                    color = MISSING_TEXT_COLOR
                elif codes[r][c] == 2:
                    color = "white"
                else:
                    color = "#262626"
                ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=size,
                        color=color)
        ax.set_xlim(0, len(cols))
        ax.set_ylim(len(rows), 0)  # first indicator on top
        ax.xaxis.tick_top()
        ax.set_xticks([c + 0.5 for c in range(len(cols))], col_labels)
        ax.set_yticks([r + 0.5 for r in range(len(rows))], row_labels)
        if rotate:
            for tick in ax.get_xticklabels():
                tick.set_rotation(45)
                tick.set_ha("left")
                tick.set_rotation_mode("anchor")
        ax.tick_params(length=0, pad=3)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        present = {code for row in codes for code in row}
        handles = [
            Patch(facecolor=fills[code], edgecolor="#BFBFBF", linewidth=0.6, label=label)
            for code, label in ((1, "达标"), (2, "未达标"), (0, "无目标或无数据"))
            if code in present
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize=VALUE_PT, handlelength=1.4)

    return _render(path, width_mm, height_mm, font, draw)


#: Chart kinds by name, for callers that pick a kind from a campaign pack.
CHART_KINDS: dict[str, Callable[..., Path]] = {
    "trend": trend_chart,
    "bar_compare": bar_compare,
    "completion": completion_chart,
    "small_multiples": small_multiples,
    "completion_matrix": completion_matrix,
}


def chart_kind(name: str) -> Callable[..., Path]:
    """The chart function registered under ``name``."""
    try:
        return CHART_KINDS[name]
    except KeyError:
        raise UnknownNameError("图表类型", name, sorted(CHART_KINDS)) from None


# ---------------------------------------------------------------------------- drawing


def _render(
    path: str | Path,
    width_mm: float,
    height_mm: float,
    font: FontChoice | None,
    draw: Callable[[Figure, Axes], None] | Callable[[Figure, None], None],
    *,
    axes: bool = True,
) -> Path:
    """Draw at final size under the house style and the glyph guard, then write the PNG.

    ``draw`` gets the figure and one axes filling it; with ``axes=False`` it gets
    ``(fig, None)`` and lays out its own axes (a grid of panels).
    """
    if not 0 < width_mm <= MAX_WIDTH_MM:
        raise ChartError(
            f"图宽 {width_mm} mm 无效：应大于 0 且不超过版心宽度 {MAX_WIDTH_MM:g} mm。"
        )
    if not 0 < height_mm <= MAX_HEIGHT_MM:
        raise ChartError(f"图高 {height_mm} mm 无效：应大于 0 且不超过 {MAX_HEIGHT_MM:g} mm。")
    font = font or resolve_cjk_font()
    path = Path(path)
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught, styled(font):
        warnings.simplefilter("always")
        fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=DPI)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot() if axes else None
        draw(fig, ax)  # type: ignore[arg-type]
        # What ``savefig`` does for a PNG at the figure's own dpi and colours, in one draw:
        # ``savefig`` draws the figure twice under a layout engine (once with drawing
        # disabled to place the axes, once for real); the constrained layout runs at
        # the start of this single draw instead. Same pixels, same bytes, about a fifth
        # less time per chart.
        canvas.draw()
        imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper",
               dpi=DPI, metadata={"Software": None})
    missing = [w for w in caught if _GLYPH_RE.search(str(w.message))]
    texts = _texts_with(fig, missing) if missing else []
    # Free the canvas's pixel buffer now; the figure itself is left to the garbage
    # collector (``fig.clear()`` would first clear every axes, rebuilding its ticks).
    canvas.renderer = None
    if missing:
        raise ChartError(_glyph_message(missing, texts, font, path))
    for w in caught:  # pass other warnings on to the caller's filters
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def _glyph_message(
    missing: list[warnings.WarningMessage], texts: list[str], font: FontChoice, path: Path
) -> str:
    chars: list[str] = []
    fonts = font.family
    for w in missing:
        m = _GLYPH_RE.search(str(w.message))
        if m:
            ch = chr(int(m.group(1)))
            if ch not in chars:
                chars.append(ch)
            fonts = m.group(2)
    where = "、".join(f"“{t}”" for t in texts[:5]) or "（未能定位）"
    return (
        f"图表 {path.name} 中的文字 {where} 含有字体 {fonts} 缺少的字形"
        f"“{''.join(chars[:20])}”，图中会显示为方框，已停止生成。"
        "请安装中文字体（如 fonts-noto-cjk），或使用 resolve_cjk_font() 返回的字体。"
    )


def _texts_with(fig: Figure, missing: list[warnings.WarningMessage]) -> list[str]:
    chars = set()
    for w in missing:
        m = _GLYPH_RE.search(str(w.message))
        if m:
            chars.add(chr(int(m.group(1))))
    found: list[str] = []
    for artist in fig.findobj(Text):
        text = artist.get_text()
        if text and any(c in text for c in chars) and text not in found:
            found.append(text)
    return found


def _label_ends(ax: Axes, ends: list[tuple[float, float, str, str]]) -> None:
    """Label each series' last point, nudging labels that share an x apart."""
    low, high = ax.get_ylim()
    gap = 0.08 * (high - low)
    by_x: dict[float, list[tuple[float, float, str, str]]] = {}
    for end in ends:
        by_x.setdefault(end[0], []).append(end)
    for group in by_x.values():
        group.sort(key=lambda e: e[1])
        placed: list[float] = []
        for x, y, text, color in group:
            y_text = max(y, placed[-1] + gap) if placed else y
            placed.append(y_text)
            ax.annotate(
                text,
                xy=(x, y_text),
                xytext=(7, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                color=color,
                fontsize=VALUE_PT,
                annotation_clip=False,
            )


def _mask_lines_behind(texts: list[Text]) -> None:
    """White backing for value labels, so grid and target lines pass behind them."""
    for text in texts:
        text.set_bbox({"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"})
        text.set_zorder(5)


def _legend_columns(fig: Figure, labels: list[str]) -> int:
    """All entries on one row if they fit the width, else two per row."""
    handle_pt = 3.5 * TEXT_PT  # line sample, gaps and column spacing
    total = sum(_text_width_em(lab) * TEXT_PT + handle_pt for lab in labels)
    return len(labels) if total <= fig.get_figwidth() * 72 * 0.95 else 2


def _wrap(label: str) -> str:
    """Two lines for a long label: before a full-width bracket, else at the middle."""
    if _text_width_em(label) <= 4:
        return label
    cut = label.find("（")
    if cut <= 0:
        cut = math.ceil(len(label) / 2)
    return f"{label[:cut]}\n{label[cut:]}"


def _crowded(fig: Figure | None, labels: list[str], width_pt: float | None = None) -> bool:
    """Whether horizontal tick labels would touch at the figure's width (or ``width_pt``)."""
    if width_pt is None:
        assert fig is not None
        width_pt = fig.get_figwidth() * 72 * 0.85
    slot = width_pt / max(len(labels), 1)
    longest = max((_text_width_em(line) for lab in labels for line in lab.split("\n")), default=0)
    return longest * TEXT_PT > slot * 0.95


def _cell_width_em(text: str) -> float:
    """Like ``_text_width_em``, counting "%" (wider than a digit) nearly full width."""
    return _text_width_em(text) + 0.35 * text.count("%")


def _text_width_em(text: str) -> float:
    return text_width(text, narrow=0.55)   # the chart font's digits are a little wider


# ---------------------------------------------------------------------------- data


def _numeric(series: pd.Series, what: str) -> pd.Series:
    """Float series with NaN for missing; text that is not a number is an error."""
    values = series.astype(object).where(series.notna(), None)
    out = pd.to_numeric(values, errors="coerce").astype(float)
    bad = [
        v
        for v, o in zip(values.tolist(), out.tolist(), strict=True)
        if v is not None and math.isnan(o) and not (isinstance(v, float) and math.isnan(v))
    ]
    if bad:
        raise ChartError(f"{what}含有非数值内容：{'、'.join(map(str, bad[:5]))}。")
    return out


def _check_pairs(labels: list[str], nums: list[float], what: str) -> None:
    if not labels:
        raise ChartError(f"{what}没有数据。")
    if len(labels) != len(nums):
        raise ChartError(f"{what}的名称有 {len(labels)} 个，数值有 {len(nums)} 个，应一一对应。")
    dup = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dup:
        raise ChartError(f"{what}的名称重复：{'、'.join(dup)}。")


def _met_code(flag: object, row: str, col: str) -> int:
    """Matrix cell class: 0 no target or no data, 1 met, 2 missed."""
    if flag is None or (pd.api.types.is_scalar(flag) and pd.isna(flag)):
        return 0
    if isinstance(flag, bool | np.bool_):
        return 1 if flag else 2
    if isinstance(flag, int | float | np.integer | np.floating) and flag in (0, 1):
        return 1 if flag else 2
    raise ChartError(
        f"完成情况矩阵“{row}”行“{col}”列的达标标记“{flag}”无效：应为是（True）、"
        "否（False）或空（无目标或无数据）。"
    )


def _is_whole(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(f) and f == int(f)


def _formatter(values: Sequence[float | None], decimals: int | None) -> Callable[[float], str]:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if decimals is None:
        decimals = 0 if all(v == int(v) for v in finite) else 1
    return lambda v: f"{v:.{decimals}f}"  # no thousands separators, as in the prose


def _plain(value: float) -> str:
    """Tick text without trailing zeros or exponent: 1,500 / 0.25 / -3."""
    if abs(value) < 1e-12:
        return "0"
    return f"{value:,.6f}".rstrip("0").rstrip(".")
