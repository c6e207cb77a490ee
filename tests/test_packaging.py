"""The environments agree: environment.yml declares what pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_declares_the_same_packages_as_pyproject(root: Path) -> None:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            conda.add(_name(dep))
    conda -= {"python", "pip"}
    assert conda | pip == declared
    assert not conda & pip


def test_jupyterlab_is_kept_out_of_the_runtime_and_test_environment(root: Path) -> None:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    runtime |= {_name(r) for r in project["optional-dependencies"]["test"]}
    assert "jupyterlab" not in runtime
    assert "rfc3987-syntax" not in runtime


def test_outputs_stay_out_of_git(root: Path) -> None:
    ignore = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "outputs/*" in ignore and "!outputs/README.md" in ignore
