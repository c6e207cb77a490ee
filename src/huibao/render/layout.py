"""The layout profile: page, grid, fonts and numbering as data an office can edit.

A profile is a YAML file (``templates/layout/gbt9704.yaml``). A file may start with
``extends: <name or path>``; its keys are deep-merged over the base profile, so a unit
lists only what it changes. Malformed files raise :class:`~huibao.errors.PackError`
with a Chinese message naming the field. Derived quantities (twips, grid pitch) live
here as properties so that the writer never repeats a unit conversion.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from huibao.errors import PackError
from huibao.yamlfile import explain, read_yaml

TWIPS_PER_PT = 20
TWIPS_PER_MM = 1440 / 25.4

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


def mm_to_twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(_Model):
    width_mm: Positive = 210
    height_mm: Positive = 297


class Margins(_Model):
    top: NonNegative
    bottom: NonNegative
    left: NonNegative
    right: NonNegative


class Grid(_Model):
    lines: Annotated[int, Field(gt=0, le=100)] = 22
    chars: Annotated[int, Field(gt=0, le=100)] = 28
    line_pitch_pt: Positive = 28.95
    method: Literal["spacing", "docgrid", "fixed"] = "spacing"


class Element(_Model):
    """Font of one document element; ``latin`` overrides the profile's latin font."""

    font: str = Field(min_length=1)
    size_pt: Annotated[float, Field(gt=0, le=72)]
    bold: bool = False
    first_line_chars: NonNegative = 0
    latin: str | None = None

    @property
    def half_points(self) -> int:
        return round(self.size_pt * 2)

    @property
    def char_twips(self) -> int:
        """Width of one full-width character of this element, in twips."""
        return round(self.size_pt * TWIPS_PER_PT)

    @property
    def first_line_twips(self) -> int:
        return round(self.first_line_chars * self.size_pt * TWIPS_PER_PT)


class Elements(_Model):
    title: Element
    h1: Element
    h2: Element
    h3: Element
    h4: Element
    body: Element
    caption: Element
    table_caption: Element
    table: Element
    table_header: Element
    note: Element
    page_number: Element

    def heading(self, level: int) -> Element:
        return getattr(self, f"h{level}")


def _check_marker(value: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
    if len(names) != 1 or not names <= {"n", "cn"}:
        raise ValueError("序号格式须且只能含一个 {n}（阿拉伯数字）或 {cn}（汉字数字）")
    return value


class Headings(_Model):
    level1: str = "{cn}、"
    level2: str = "（{cn}）"
    level3: str = "{n}."
    level4: str = "（{n}）"

    @field_validator("level1", "level2", "level3", "level4")
    @classmethod
    def _valid_marker(cls, value: str) -> str:
        return _check_marker(value)

    def marker(self, level: int) -> str:
        return getattr(self, f"level{level}")


class Figures(_Model):
    default_width_mm: Positive | None = 150
    max_width_mm: Positive = 156
    caption_prefix: str = "图"
    caption_separator: str = "\u3000"


class Tables(_Model):
    caption_prefix: str = "表"
    caption_separator: str = "\u3000"
    line_pitch_pt: Positive = 22
    outer_rule_pt: Annotated[float, Field(gt=0, le=6)] = 1.5
    header_rule_pt: Annotated[float, Field(gt=0, le=6)] = 0.75


class PageNumber(_Model):
    mode: Literal["odd_even", "centered"] = "odd_even"
    format: str = "— {n} —"
    side_space_chars: NonNegative = 1
    footer_distance_mm: NonNegative = 24
    header_distance_mm: NonNegative = 15

    @field_validator("format")
    @classmethod
    def _one_n(cls, value: str) -> str:
        if value.count("{n}") != 1:
            raise ValueError("页码格式须含且只含一个 {n}，例如“— {n} —”")
        return value


class SignatureRules(_Model):
    blank_lines_before: Annotated[int, Field(ge=0, le=5)] = 1
    right_space_chars: NonNegative = 2
    date_shift_chars: NonNegative = 2


class TitleRules(_Model):
    blank_lines_after: Annotated[int, Field(ge=0, le=5)] = 1


class LayoutProfile(_Model):
    """A validated layout profile; see ``templates/layout/gbt9704.yaml`` for the keys."""

    name: str = "gbt9704"
    description: str = ""
    page: Page = Page()
    margins_mm: Margins
    grid: Grid = Grid()
    latin_font: str = "Times New Roman"
    language: str = "zh-CN"
    elements: Elements
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    headings: Headings = Headings()
    figures: Figures = Figures()
    tables: Tables = Tables()
    page_number: PageNumber = PageNumber()
    signature: SignatureRules = SignatureRules()
    title: TitleRules = TitleRules()

    # -- derived geometry (twips) -------------------------------------------------
    # Page size, top/right margins and the type area are rounded; left and bottom
    # take the remainder so the type area (156 × 225 mm under GB) stays exact.

    @property
    def page_twips(self) -> tuple[int, int]:
        return mm_to_twips(self.page.width_mm), mm_to_twips(self.page.height_mm)

    @property
    def type_area_twips(self) -> tuple[int, int]:
        m = self.margins_mm
        return (
            mm_to_twips(self.page.width_mm - m.left - m.right),
            mm_to_twips(self.page.height_mm - m.top - m.bottom),
        )

    @property
    def margins_twips(self) -> dict[str, int]:
        width, height = self.page_twips
        area_w, area_h = self.type_area_twips
        top = mm_to_twips(self.margins_mm.top)
        right = mm_to_twips(self.margins_mm.right)
        return {
            "top": top,
            "right": right,
            "left": width - right - area_w,
            "bottom": height - top - area_h,
        }

    @property
    def line_pitch_twips(self) -> int:
        return round(self.grid.line_pitch_pt * TWIPS_PER_PT)

    @property
    def char_spacing_twentieths(self) -> int:
        """Character spacing (``w:spacing``, 1/20 pt) of body-size styles for ``spacing``.

        16 pt characters are 0.21 pt too wide for 28 a line (442.2 / 28 = 15.79 pt);
        rounding down to −0.25 pt keeps the 28th character on the line. 0 for other methods.
        """
        if self.grid.method != "spacing":
            return 0
        pitch_pt = self.type_area_twips[0] / TWIPS_PER_PT / self.grid.chars
        return math.floor((pitch_pt - self.elements.body.size_pt) * 20)

    @property
    def char_space(self) -> int:
        """``w:docGrid/@w:charSpace`` giving ``grid.chars`` body characters a line.

        Word's character pitch is the Normal font size plus charSpace/4096 pt, so
        charSpace = (type-area width / chars − body size) × 4096, rounded down so the
        last character still fits. GB: (442.2 / 28 − 16) × 4096 = −848.5 → −849.
        """
        pitch_pt = self.type_area_twips[0] / TWIPS_PER_PT / self.grid.chars
        return math.floor((pitch_pt - self.elements.body.size_pt) * 4096)


# -- loading ------------------------------------------------------------------------

def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``over`` laid on top; nested mappings merge, the rest replace."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_extends(ref: Any, child: Path) -> Path:
    if not isinstance(ref, str) or not ref:
        raise PackError(str(child), "字段 extends 应为版式文件名或路径")
    candidate = Path(ref)
    if candidate.suffix not in {".yaml", ".yml"}:
        candidate = candidate.with_name(candidate.name + ".yaml")
    return candidate if candidate.is_absolute() else child.parent / candidate


def _raw_layers(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in seen:
        raise PackError(str(path), "字段 extends 形成循环引用")
    data = read_yaml(path)
    ref = data.pop("extends", None)
    if ref is None:
        return data
    base = _raw_layers(_resolve_extends(ref, path), (*seen, resolved))
    return deep_merge(base, data)


def load_profile(path: Path | str, *overrides: Path | str | Mapping[str, Any]) -> LayoutProfile:
    """Read and validate a layout profile.

    Parameters
    ----------
    path
        The profile YAML; ``extends:`` inside it is followed first.
    overrides
        Further YAML files or mappings laid over it in order (user > custom > official).

    Raises
    ------
    PackError
        Unreadable YAML or an invalid field; the message names the field in Chinese.
    """
    path = Path(path)
    data = _raw_layers(path)
    source = str(path)
    for layer in overrides:
        if isinstance(layer, Mapping):
            data = deep_merge(data, layer)
        else:
            data = deep_merge(data, _raw_layers(Path(layer)))
            source = str(layer)
    try:
        return LayoutProfile.model_validate(data)
    except ValidationError as exc:
        raise PackError(source, explain(exc)) from None
