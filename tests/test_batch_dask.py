"""The same unit tasks on a Dask cluster (a LocalCluster on loopback) as on local workers."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from batch_project import read_manifest, unit_docx
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.run.batch import run_batch
from huibao.run.manifest import Status

UNITS = ["示例县", "白鹭县"]


@pytest.fixture(scope="module")
def scheduler() -> str:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def test_forced_rerun_on_a_dask_cluster_makes_the_same_documents_as_local_workers(
        scheduler: str, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path))
    local = run_batch(2025, units=UNITS, jobs=2, allow_missing=True, root=root)
    assert [r.status for r in local.results] == [Status.OK, Status.OK]
    expected = {u: paragraphs(unit_docx(tmp_path, u)) for u in UNITS}

    monkeypatch.setenv("HUIBAO_SCHEDULER", scheduler)  # the CLI reads the address from here
    result = CliRunner().invoke(app, ["run", "--units", ",".join(UNITS), "--year", "2025",
                                      "--allow-missing", "--force"])
    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path)
    assert manifest["run"]["executor"] == scheduler
    assert {e["status"] for e in manifest["entries"].values()} == {"成功"}  # not 未变化
    for unit in UNITS:
        assert paragraphs(unit_docx(tmp_path, unit)) == expected[unit]
