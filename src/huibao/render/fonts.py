"""Find a Chinese font matplotlib can draw with.

matplotlib's default DejaVu Sans has no CJK glyphs: Chinese labels turn into boxes
with only a warning (layout.md §5). This module picks a system CJK font when one is
installed (analysts' Windows machines, Debian ``fonts-noto-cjk``) and otherwise
registers the open-licence (SIL OFL) Noto Sans SC shipped by the
``pylopdf-fonts-zh-cn`` wheel, so charts render the same on a bare CI machine.
Proprietary fonts (SimHei, 仿宋_GB2312, Founder) are used only if the system has
them; the kit never ships them (peers.md §2.4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matplotlib import font_manager

from huibao.errors import HuibaoError

#: System families tried in order; the first one matplotlib knows wins.
DEFAULT_PREFERENCE: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "黑体",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
)

#: Characters a usable chart font must have: common hanzi and full-width brackets.
_PROBE = "中国年度完成（）"


@dataclass(frozen=True)
class FontChoice:
    """The font family charts use, and where it came from.

    ``path`` is the font file when known; ``source`` is ``"system"`` for an installed
    font and ``"bundled"`` for the pip-installed Noto Sans SC fallback.
    """

    family: str
    path: str | None
    source: Literal["system", "bundled"]


def resolve_cjk_font(prefer: list[str] | None = None, *, allow_system: bool = True) -> FontChoice:
    """Return the CJK font for charts: a preferred system font, else the bundled one.

    Parameters
    ----------
    prefer
        Family names to try, best first (default ``DEFAULT_PREFERENCE``).
    allow_system
        ``False`` skips system fonts and always uses the bundled Noto Sans SC,
        which makes output independent of the machine (tests, golden images).

    The answer is cached per argument set; ``clear_font_cache()`` resets it.
    """
    key = tuple(prefer) if prefer is not None else DEFAULT_PREFERENCE
    return _resolve(key, allow_system)


def clear_font_cache() -> None:
    """Forget cached answers of ``resolve_cjk_font`` (after installing fonts)."""
    _resolve.cache_clear()


def bundled_font_path() -> Path:
    """Path of the bundled open-licence Noto Sans SC (raises if the wheel is missing)."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as exc:
        raise HuibaoError(
            "找不到中文字体：系统未安装中文字体，且缺少备用字体包 pylopdf-fonts-zh-cn。"
            "请运行 pip install pylopdf-fonts-zh-cn，或安装系统字体（如 fonts-noto-cjk）。"
        ) from exc
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise HuibaoError(f"备用中文字体文件不存在：{path}。请重新安装 pylopdf-fonts-zh-cn。")
    return path


@functools.cache
def _resolve(prefer: tuple[str, ...], allow_system: bool) -> FontChoice:
    if allow_system:
        found = _find_system_font(prefer)
        if found is not None:
            return found
    return _register_bundled()


def _find_system_font(prefer: tuple[str, ...]) -> FontChoice | None:
    """First preferred family in matplotlib's font list, ignoring the bundled file."""
    bundled = _bundled_path_or_none()
    known: dict[str, tuple[str, str]] = {}
    for entry in font_manager.fontManager.ttflist:
        if bundled is not None and _same_file(entry.fname, bundled):
            continue
        known.setdefault(entry.name.casefold(), (entry.name, entry.fname))
    for name in prefer:
        hit = known.get(name.casefold())
        if hit is not None and _covers_chinese(hit[1]):
            return FontChoice(hit[0], hit[1], "system")
    return None


def _covers_chinese(path: str) -> bool:
    """Whether the file really has Chinese glyphs (a name alone can mislead)."""
    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


def _register_bundled() -> FontChoice:
    path = bundled_font_path()
    if not any(_same_file(e.fname, path) for e in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    return FontChoice(family, str(path), "bundled")


def _bundled_path_or_none() -> Path | None:
    try:
        return bundled_font_path()
    except HuibaoError:
        return None


def _same_file(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()
