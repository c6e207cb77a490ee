"""The same unit tasks on a Dask cluster (a LocalCluster on loopback) as on local workers,
with workers that share no folder with the batch.

The cluster's worker processes, and the Jupyter kernels they start, run with an audit hook
(installed by a ``sitecustomize`` on their ``PYTHONPATH``) that refuses to open, list or
create anything in the batch's project or outputs folder, and logs each attempt. A task
must therefore get the project from the bundle the batch sends and hand its files back.
"""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest
from batch_project import make_project, read_manifest, unit_docx
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.run.batch import run_batch
from huibao.run.manifest import Status

UNITS = ["示例县", "白鹭县"]

HOOK = '''
import os, sys
_FORBIDDEN = tuple(p for p in os.environ.get("HUIBAO_TEST_FORBIDDEN", "").split(os.pathsep) if p)
_LOG = os.environ.get("HUIBAO_TEST_FORBIDDEN_LOG")

def _hook(event, args):
    if event not in ("open", "os.listdir", "os.scandir", "os.mkdir", "os.rename",
                     "os.remove", "shutil.rmtree", "os.chdir") or not args:
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    try:
        path = os.path.abspath(os.fsdecode(path))
    except Exception:
        return
    if path.startswith(_FORBIDDEN):
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {event} {path}\\n")
        raise PermissionError(f"worker may not touch the batch's folders: {path}")

if _FORBIDDEN:
    sys.addaudithook(_hook)
'''


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """(scheduler address, project, outputs, log) with workers barred from the folders."""
    distributed = pytest.importorskip("distributed")
    base = tmp_path_factory.mktemp("dask")
    project = make_project(base / "project")
    outputs = base / "outputs"
    hooks = base / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    log = base / "forbidden.log"
    workdir = base / "elsewhere"        # the workers' own folder: no copy of the project
    workdir.mkdir()
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "HUIBAO_TEST_FORBIDDEN",
                                            "HUIBAO_TEST_FORBIDDEN_LOG", "TMPDIR")}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(hooks), *filter(None, [saved["PYTHONPATH"]])])
    os.environ["HUIBAO_TEST_FORBIDDEN"] = os.pathsep.join(
        str(project / name) for name in ("templates", "notebooks", "params", "data")
    ) + os.pathsep + str(outputs)
    os.environ["HUIBAO_TEST_FORBIDDEN_LOG"] = str(log)
    os.environ["TMPDIR"] = str(workdir)  # bundles and task folders of the workers
    here = Path.cwd()
    os.chdir(workdir)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None,
                                      local_directory=str(workdir)) as c:
            for key, value in saved.items():   # the batch itself runs unhindered
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            os.chdir(here)
            yield c.scheduler_address, project, outputs, log, workdir
    finally:
        os.chdir(here)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def test_the_hook_bars_a_worker_from_the_project(cluster) -> None:
    distributed = pytest.importorskip("distributed")
    address, project, _, log, _ = cluster
    with distributed.Client(address) as client:
        def peek(path: str) -> str:
            try:
                open(path, "rb").close()
            except PermissionError:
                return "barred"
            return "read"
        target = str(project / "templates" / "layout" / "gbt9704.yaml")
        assert set(client.run(peek, target).values()) == {"barred"}
    assert target in log.read_text(encoding="utf-8")
    log.unlink()


def test_a_dask_cluster_without_the_project_makes_the_same_documents_as_local_workers(
        cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    address, project, outputs, log, workdir = cluster
    local_out = tmp_path / "local"
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(local_out))
    local = run_batch(2025, units=UNITS, jobs=2, allow_missing=True, root=project)
    assert [r.status for r in local.results] == [Status.OK, Status.OK]
    expected = {u: unit_docx(local_out, u).read_bytes() for u in UNITS}

    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(outputs))
    monkeypatch.setenv("HUIBAO_HOME", str(project))
    monkeypatch.setenv("HUIBAO_SCHEDULER", scheduler := address)  # the CLI reads it here
    result = CliRunner().invoke(app, ["run", "--units", ",".join(UNITS), "--year", "2025",
                                      "--allow-missing", "--force"])
    assert result.exit_code == 0, result.output
    manifest = read_manifest(outputs)
    assert manifest["run"]["executor"] == scheduler
    assert {e["status"] for e in manifest["entries"].values()} == {"成功"}
    for unit in UNITS:
        # the same bytes: figures, fonts and record made on the worker from the bundle
        assert unit_docx(outputs, unit).read_bytes() == expected[unit], unit
        assert unit_docx(outputs, unit).with_suffix(".ipynb").is_file()
        assert (unit_docx(outputs, unit).parent / "figures").is_dir()
    assert not log.exists() or log.read_text(encoding="utf-8") == ""
    assert any((workdir / "huibao-bundles").iterdir())   # the copy the workers used


def test_a_data_file_outside_the_project_is_refused_for_a_cluster(
        cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    address, project, _, _, _ = cluster
    outside = tmp_path / "elsewhere.xlsx"
    outside.write_bytes((project / "data" / "wenming_city_sample.xlsx").read_bytes())
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    result = run_batch(2025, units=UNITS[:1], allow_missing=True, root=project,
                       scheduler=address, overrides={"data_path": str(outside)})
    (unit,) = result.results
    assert unit.status is Status.FAILED
    assert "数据文件须在项目目录" in unit.message
