"""nbval on both notebooks with every pack's default parameters.

The committed notebooks carry the 文明城市 defaults and run under nbval as they are
(pytest collects notebooks/). Here papermill only injects each other pack's defaults
(``prepare_only``: nothing executes) and clears the outputs recorded for 文明城市, and
nbval runs the prepared copies in a child pytest, as it runs the committed ones: every
cell must execute without error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from huibao.facts import loader
from huibao.packs import params
from huibao.packs.schema import list_packs

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
DOCUMENTS = ["工作总结", "汇报材料"]  # one unit notebook, its document a parameter
PACKS = [p for p in list_packs(ROOT / "templates") if p != "wenming_city"]


def _defaults(campaign: str) -> dict:
    """The pack's defaults.yaml, and its first sample unit (the demo unit)."""
    p = params.merged(ROOT / "params", campaign, None, {"year": YEAR})
    inputs = loader.load_inputs(campaign, p["data_path"], ROOT)
    unit = str(inputs.workbook.units["unit"].iloc[0])
    p = params.merged(ROOT / "params", campaign, unit, {"year": YEAR})
    keep = {"year", "data_path", "doc_date", "form", "addressee", "sections"}
    return {"unit": unit, "campaign": campaign, **{k: v for k, v in p.items() if k in keep}}


@pytest.mark.parametrize("campaign", PACKS)
def test_both_notebooks_pass_nbval_with_the_pack_defaults(campaign: str, tmp_path: Path) -> None:
    parameters = _defaults(campaign)
    prepared = []
    for document in DOCUMENTS:
        out = tmp_path / f"unit_{document}_{campaign}.ipynb"
        pm.execute_notebook(str(ROOT / "notebooks" / "unit.ipynb"), str(out),
                            parameters={**parameters, "document": document},
                            prepare_only=True, cwd=str(ROOT),
                            progress_bar=False, log_output=False)
        nb = nbformat.read(out, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []  # recorded for 文明城市's defaults, not this pack's
                cell.source = cell.source.replace("# NBVAL_CHECK_OUTPUT", "# (nbval lax)")
        nbformat.write(nb, out)
        prepared.append(str(out))
    env = {**os.environ, "HUIBAO_OUTPUT_DIR": str(tmp_path / "outputs"),
           "HUIBAO_HOME": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", "--rootdir", str(tmp_path), "-c", os.devnull, *prepared],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout
