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


def _lock(root: Path) -> dict[str, list[tuple[str, str]]]:
    """requirements.lock: package → [(pinned version, environment marker)]."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in (root / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if match:
            pins.setdefault(_name(match[1]), []).append((match[2], (match[3] or "").strip()))
    return pins


def _pinned_here(pins: list[tuple[str, str]]) -> str | None:
    """The version pinned for this interpreter and platform (markers evaluated), if any."""
    from packaging.markers import Marker

    for version, marker in pins:
        if not marker or Marker(marker).evaluate():
            return version
    return None


def test_lock_pins_every_runtime_and_test_package_within_pyproject_and_environment_yml(
        root: Path) -> None:
    from packaging.requirements import Requirement

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = _lock(root)
    requirements = [Requirement(r) for r in
                    project["dependencies"] + project["optional-dependencies"]["test"]]
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    for req in requirements:
        name = _name(req.name)
        version = _pinned_here(locked.get(name, []))
        assert version is not None, f"{name} is not pinned in requirements.lock"
        assert req.specifier.contains(version, prereleases=True), (name, version, req)
        if name in conda:  # the conda spec (e.g. pandas>=2.2) admits the pinned version too
            spec = Requirement(conda[name].replace("=", "==", 1) if re.search(
                r"[^<>!=]=[^=]", conda[name]) else conda[name]).specifier
            assert spec.contains(version, prereleases=True), (name, version, conda[name])


def test_lock_pins_exact_versions_with_hashes_and_keeps_jupyterlab_out(root: Path) -> None:
    text = (root / "requirements.lock").read_text(encoding="utf-8")
    locked = _lock(root)
    assert "jupyterlab" not in locked and "rfc3987-syntax" not in locked
    assert "huibao" not in locked   # the kit itself is installed from the working copy
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if block.strip() and not block.startswith("#"):
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_make_installs_the_lock(root: Path) -> None:
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet -r $(LOCK)" in makefile
    assert "$(STAMP): pyproject.toml $(LOCK)" in makefile


def test_office_ci_configurations_install_the_lock_and_run_nbval_and_audits(root: Path) -> None:
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (root / "ci" / "office" / name).read_text(encoding="utf-8")
        config = yaml.safe_load(text)
        assert config, name
        assert "make lint" in text          # builds .venv from requirements.lock
        assert "pytest notebooks" in text   # nbval on every notebook
        assert "pytest tests" in text       # document audits and the other tests
    # Our own CI stays `make test`; the office files live where no CI picks them up.
    assert "make test" in (root / ".ci" / "run").read_text(encoding="utf-8")
    assert not (root / ".gitlab-ci.yml").exists()
    assert not (root / ".github" / "workflows" / "huibao.yml").exists()
