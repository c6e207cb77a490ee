"""Input fingerprints: sha256 of everything a unit's document is made from.

A batch skips a unit-document whose combined fingerprint equals its last good build's
(see ``manifest``). The parts are kept apart in the manifest so that one can see *why* a
unit re-ran: its data, what it shows of other units, its parameters, the notebook, the
templates, or the kit itself.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from importlib import metadata
from pathlib import Path

import huibao
from huibao import config

# Packages whose versions change what a document looks like.
PACKAGES = ("huibao", "papermill", "pandas", "matplotlib", "python-docx")

# Chart kinds that draw every unit's value for the year (``exhibits``): a unit's document
# changes when another unit's value of these indicators does. Kept here until packs declare
# their cross-unit reads themselves.
CROSS_UNIT_CHARTS = frozenset({"bar_compare"})

_SKIP = ("__pycache__", ".ipynb_checkpoints")


def digest(value: object) -> str:
    """sha256 of ``value`` as canonical JSON (sorted keys; dates and paths as text)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(paths: list[Path], base: Path, pattern: str = "*") -> str:
    """sha256 over the files under ``paths`` (names relative to ``base`` and contents)."""
    files = {}
    for path in paths:
        found = [path] if path.is_file() else sorted(path.rglob(pattern))
        for f in found:
            rel = f.relative_to(base).as_posix()
            if f.is_file() and not any(part in _SKIP or part.startswith(".")
                                       for part in f.relative_to(base).parts):
                files[rel] = file_digest(f)
    return digest(files)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a document."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "?"
    return out


def kit_digest() -> str:
    """The kit's versions and its own source: editing huibao re-runs every document."""
    package = Path(huibao.__file__).parent
    return digest({"versions": versions(), "source": tree_digest([package], package, "*.py")})


def templates_digest(campaign: str, root: Path) -> str:
    """The campaign pack, the layout profiles and the boilerplate texts."""
    templates = config.templates_dir(root)
    return tree_digest([config.campaign_dir(campaign, root), templates / "layout",
                        templates / "boilerplate.yaml"], templates)


def peer_view(inputs, year: int, unit: str | None = None) -> dict:
    """What ``unit``'s ``year`` document shows of the other units of its level.

    The list of units of that level with data that year (they are counted and named in
    charts) and their values of the indicators drawn in cross-unit charts. Other units'
    values that a document does not print (for example computed ranks shown only in the
    notebook) are left out, so correcting one county's number re-runs only the documents
    that print it. Units of a hierarchy are compared within their level (a 站 with the
    other 站, see ``hierarchy``); without ``unit``, all levels.
    """
    facts = inputs.facts[inputs.facts["year"] == year]
    if unit is not None and "level" in facts.columns:
        mine = facts.loc[facts["unit"] == unit, "level"]
        facts = facts[facts["level"] == (int(mine.iloc[0]) if not mine.empty else 0)]
    keys = sorted({key for spec in inputs.pack.exhibits.charts
                   if spec.kind in CROSS_UNIT_CHARTS for key in spec.indicators})
    shown = facts[facts["key"].isin(keys)].sort_values(["key", "unit"])
    values: dict[str, dict[str, float | None]] = {}
    for row in shown.itertuples():
        value = float(row.value)
        values.setdefault(row.key, {})[row.unit] = None if math.isnan(value) else value
    return {"units": sorted(set(facts["unit"])), "values": values}


def data_view(inputs, unit: str, below: list[str] | None = None) -> dict:
    """The rows a unit's document is made from: its own (``Workbook.rows_for``) and, for a
    unit with units below it (``below``: ``hierarchy.Tree.descendants``), theirs too, since
    its rolled-up figures come from them."""
    own = inputs.workbook.rows_for(unit)
    if not below:
        return own
    return {"unit": own, "below": {u: inputs.workbook.rows_for(u) for u in below}}


def combine(document: str, parts: dict[str, str]) -> dict[str, str]:
    """``parts`` with their ``combined`` hash (which also covers the document name)."""
    return {**parts, "combined": digest({"document": document, **parts})}
