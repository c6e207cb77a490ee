"""Shared wording chosen by year: 指导思想 and other slots of ``boilerplate.yaml``.

``templates/shared/boilerplate.yaml`` holds the shared slots; a pack's own ``boilerplate.yaml``
replaces whole slots (a 双拥 pack words its 指导思想 differently). Each slot is a list of
``{from, to, text}``; the entry whose years cover the document's year wins.
"""

from __future__ import annotations

from pathlib import Path

from huibao import config
from huibao.errors import PackError
from huibao.packs.schema import Pack
from huibao.yamlfile import read_yaml

NAME = "boilerplate.yaml"


def boilerplate(year: int, pack: Pack | None = None, root: Path | None = None) -> dict[str, str]:
    """Year-keyed text blocks (指导思想 …) for ``year``: slot → text."""
    paths = [config.shared_dir(root) / NAME]
    if pack is not None and pack.folder is not None:
        paths.append(pack.folder / NAME)
    slots: dict[str, tuple[Path, list]] = {}
    for path in paths:
        for slot, entries in read_yaml(path, missing_ok=True).items():
            if not isinstance(entries, list):
                raise PackError(str(path), f"{slot} 应为列表，每项含 from、to、text")
            slots[slot] = (path, entries)
    out = {}
    for slot, (path, entries) in slots.items():
        for e in entries:
            if not isinstance(e, dict) or not {"from", "text"} <= set(e):
                raise PackError(str(path), f"{slot} 的条目应含 from、to、text：{e}")
            if e["from"] <= year and (e.get("to") is None or year <= e["to"]):
                out[slot] = str(e["text"]).strip()
                break
        else:
            raise PackError(str(path), f"没有适用于{year}年的“{slot}”表述，请补充 from/to 覆盖该年")
    return out
