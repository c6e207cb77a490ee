"""The one place that resolves project paths and reads the environment.

Everything else takes paths as arguments. The project root is the nearest folder,
from the given start (default: the current directory) upwards, that holds
``templates/layout``; ``HUIBAO_HOME`` overrides the search.
``HUIBAO_OUTPUT_DIR`` redirects generated files (used by tests and CI so that
executing notebooks never writes into the working copy).
"""

from __future__ import annotations

import os
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
        raise HuibaoError(f"名称“{name}”不能用作文件或目录名（含有路径字符）。")
    return name


def unit_output_dir(year: int, campaign: str, unit: str, root: Path | None = None) -> Path:
    """outputs/<year>/<campaign>/<unit>/."""
    return outputs_dir(root) / str(int(year)) / safe_name(campaign) / safe_name(unit)
