"""The one place that resolves project paths and reads the environment.

Everything else takes paths as arguments. The project root is the nearest folder,
from the given start (default: the current directory) upwards, that holds
``templates/layout``; ``HUIBAO_HOME`` overrides the search.
``HUIBAO_OUTPUT_DIR`` redirects generated files (used by tests and CI so that
executing notebooks never writes into the working copy).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from huibao.errors import HuibaoError

_MARKER = Path("templates") / "layout"


def project_root(start: Path | None = None) -> Path:
    """Return the project root (the folder holding ``templates/layout``)."""
    env = os.environ.get("HUIBAO_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / _MARKER).is_dir():
            return folder
    raise HuibaoError(
        f"在 {here} 及其上级目录中找不到 huibao 项目（缺少 templates/layout 目录）。"
        "请在项目目录中运行，或设置环境变量 HUIBAO_HOME。"
    )


def templates_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "templates"


def campaign_dir(campaign: str, root: Path | None = None) -> Path:
    return templates_dir(root) / campaign


def shared_dir(root: Path | None = None) -> Path:
    """templates/shared/: what packs share (wording by year, the area's templates), no pack."""
    return templates_dir(root) / "shared"


def area_templates_dir(root: Path | None = None) -> Path:
    return shared_dir(root) / "area"


def layout_profile_path(name: str = "gbt9704", root: Path | None = None) -> Path:
    return templates_dir(root) / "layout" / f"{name}.yaml"


def data_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data"


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks"


def outputs_dir(root: Path | None = None) -> Path:
    env = os.environ.get("HUIBAO_OUTPUT_DIR")
    if env:
        return Path(env).resolve()
    return (root or project_root()) / "outputs"


def safe_name(name: str) -> str:
    """Return ``name`` if it can be one path component; unit names are data, not paths."""
    if not name or name.strip() in {".", ".."} or any(c in name for c in "/\\:\0"):
        raise HuibaoError(f"名称“{printable(name)}”不能用作文件或目录名（含有路径字符）。")
    return name


# A unit's name is its output folder's name, and ``params/<campaign>/<unit>.yaml`` is
# looked for: the name must leave room for that suffix within the file-name limit of the
# usual filesystems (255 bytes on ext4, xfs, APFS). The batch's own staging folders do
# not depend on the name's length (``run.staging``).
NAME_MAX_BYTES = 255
UNIT_NAME_MAX_BYTES = NAME_MAX_BYTES - len(".yaml")
MANIFEST_NAME = "manifest.json"   # beside the unit folders in outputs/<year>/<campaign>/


def printable(name: str) -> str:
    """``name`` with control characters shown as escapes (U+0000 as \\x00), for messages."""
    return "".join(c.encode("unicode_escape").decode() if _control(c) else c for c in name)


def _control(c: str) -> bool:
    return unicodedata.category(c) == "Cc"   # NUL, tab, line breaks, DEL, C1 controls


def unit_name_problem(unit: str) -> str | None:
    """Why ``unit`` cannot name a unit's output folder (a Chinese reason), or None.

    Path characters, a leading “.”, the manifest's name, control characters (a NUL or a
    pasted line break cannot be written into a file name nor a Word document), and names
    too long for a file name are refused.
    """
    shown = printable(unit)
    if not unit or unit.strip() in {".", ".."} or any(c in unit for c in "/\\:"):
        return f"名称“{shown}”不能用作文件或目录名（含有路径字符）。"
    if any(_control(c) for c in unit):
        return f"单位名称“{shown}”含有控制字符，不能用作输出目录名，也不能写入文档。"
    if unit.startswith(".") or unit == MANIFEST_NAME:
        return (f"单位名称“{shown}”不能用作输出目录名（不能以“.”开头，"
                f"也不能是 {MANIFEST_NAME}）。")
    size = len(unit.encode("utf-8"))
    if size > UNIT_NAME_MAX_BYTES:
        return (f"单位名称“{shown[:20]}…”过长（{len(unit)}个字符，{size}字节），不能用作"
                f"输出目录名：文件名最多{UNIT_NAME_MAX_BYTES}字节（约"
                f"{UNIT_NAME_MAX_BYTES // 3}个汉字）。")
    return None


def check_unit_name(unit: str) -> str:
    """``unit`` if it can name a unit's output folder, else ``HuibaoError`` saying why."""
    problem = unit_name_problem(unit)
    if problem is not None:
        raise HuibaoError(problem)
    return unit


def unit_output_dir(year: int, campaign: str, unit: str, root: Path | None = None) -> Path:
    """outputs/<year>/<campaign>/<unit>/."""
    return outputs_dir(root) / str(int(year)) / safe_name(campaign) / safe_name(unit)
