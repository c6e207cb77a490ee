"""Per-unit parameters: params/<campaign>/defaults.yaml, then <unit>.yaml, then overrides."""

from __future__ import annotations

from pathlib import Path

import yaml

from huibao.config import safe_name
from huibao.errors import PackError

ALLOWED = {"year", "data_path", "doc_date", "document"}


def _read(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PackError(str(path), f"YAML 语法错误：{exc}") from exc
    if not isinstance(data, dict):
        raise PackError(str(path), "内容应为键值映射")
    unknown = sorted(set(data) - ALLOWED)
    if unknown:
        known = "、".join(sorted(ALLOWED))
        raise PackError(str(path), f"未知参数：{'、'.join(unknown)}（可用：{known}）")
    return data


def merged(params_dir: Path, campaign: str, unit: str, overrides: dict) -> dict:
    """Merge defaults, the unit's file and non-None command-line overrides, in that order."""
    folder = params_dir / safe_name(campaign)
    out = _read(folder / "defaults.yaml")
    out.update(_read(folder / f"{safe_name(unit)}.yaml"))
    out.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(out.get("doc_date"), dict):  # dated per year: {2025: 2025-12-26}
        out["doc_date"] = out["doc_date"].get(out.get("year"))
    return out
