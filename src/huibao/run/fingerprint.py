"""Input fingerprints: sha256 of everything a unit's document is made from.

A batch skips a unit-document whose combined fingerprint equals its last good build's
(see ``manifest``). The parts are kept apart in the manifest so that one can see *why* a
unit re-ran: its data, what it shows of other units, its parameters, the notebook, the
templates, or the kit itself.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from huibao import config
from huibao.render import files

# Packages whose versions change what a document looks like.
PACKAGES = ("huibao", "papermill", "pandas", "matplotlib", "python-docx")

_SKIP = ("__pycache__", ".ipynb_checkpoints")


def digest(value: object) -> str:
    """sha256 of ``value`` as canonical JSON (sorted keys; dates and paths as text)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


file_digest = files.digest


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
    package = Path(__file__).resolve().parents[1]   # src/huibao
    return digest({"versions": versions(), "source": tree_digest([package], package, "*.py")})


def templates_digest(campaign: str, root: Path) -> str:
    """The campaign pack, the layout profiles and the boilerplate texts."""
    templates = config.templates_dir(root)
    return tree_digest([config.campaign_dir(campaign, root), templates / "layout",
                        config.shared_dir(root) / "boilerplate.yaml"], templates)


def combine(document: str, parts: dict[str, str]) -> dict[str, str]:
    """``parts`` with their ``combined`` hash (which also covers the document name)."""
    return {**parts, "combined": digest({"document": document, **parts})}
