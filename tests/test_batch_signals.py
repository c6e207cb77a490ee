"""A batch in a separate process: killed, interrupted, or racing a second run.

Each batch process carries ``HUIBAO_TEST_MARK`` in its environment, which its workers and
kernels inherit, so the tests can check that nothing it started outlives it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from batch_project import (
    check_document,
    make_project,
    marked_processes,
    read_manifest,
    statuses,
    unit_docx,
    wait_for,
)
from typer.testing import CliRunner

from huibao.app.cli import app
from huibao.run.batch import Reporter, run_batch
from huibao.run.manifest import Status

# Three units whose published 2025 ranks (1–3) fit a three-unit workbook: two run at
# once, so when the first finishes the batch is still going.
UNITS = ["玉泉区", "云溪区", "示例县"]
ALL = ["--all", "--year", "2025", "--jobs", "2", "--allow-missing"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The three units, each notebook held up for 2 s: a document takes well under a
    second now, and the manifest (what these tests watch) is saved once a second, so that
    without it the whole batch may be over before a test sees its first unit finish."""
    root = make_project(tmp_path / "p", UNITS)
    path = root / "notebooks" / "unit.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].insert(2, {"cell_type": "code", "execution_count": None, "id": "slow",
                           "metadata": {}, "outputs": [],
                           "source": ["import time\n", "time.sleep(2)"]})
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return root


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def start(project: Path, out: Path, mark: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "HUIBAO_HOME": str(project), "HUIBAO_OUTPUT_DIR": str(out),
           "HUIBAO_TEST_MARK": mark, "COLUMNS": "300"}
    return subprocess.Popen([sys.executable, "-m", "huibao.app.cli", "run", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # a process group, like a shell job


def manifest_or_empty(out: Path) -> dict:
    try:
        return read_manifest(out)
    except FileNotFoundError:
        return {}


def some_unit_succeeded(out: Path) -> bool:
    entries = manifest_or_empty(out).get("entries", {})
    return any(e["status"] == "成功" for e in entries.values())


def documents_in_place(out: Path) -> list[Path]:
    folder = out / "2025" / "wenming_city"
    return [p for p in folder.glob("*/工作总结.docx") if not p.parent.name.startswith(".")]


def test_sigkill_mid_run_leaves_valid_documents_and_the_next_run_completes(
        project: Path, out: Path) -> None:
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, *ALL)
    wait_for(lambda: some_unit_succeeded(out), 120, "a unit to finish")
    proc.kill()
    proc.communicate()  # reaps it and closes its pipes (a leaked pipe warns in a later test)

    manifest = read_manifest(out)  # valid JSON, written atomically
    assert manifest["run"]["status"] == "运行中"
    finished = {u for u, s in statuses(out).items() if s == "成功"}
    assert 0 < len(finished) < len(UNITS)
    for docx in documents_in_place(out):
        check_document(docx, docx.parent.name)

    result = run_batch(2025, jobs=2, allow_missing=True, root=project)
    assert result.exit_code == 0
    assert {r.unit for r in result.results if r.status is Status.UNCHANGED} == finished
    assert {r.unit for r in result.results if r.status is Status.OK} == set(UNITS) - finished
    assert any("上次运行" in w for w in result.warnings)
    assert sorted(p.parent.name for p in documents_in_place(out)) == sorted(UNITS)
    for unit in UNITS:
        check_document(unit_docx(out, unit), unit)
    assert not (out / "2025" / "wenming_city" / ".staging").exists()
    wait_for(lambda: not marked_processes(mark), 15, "the killed batch's workers to exit")


def test_ctrl_c_stops_kernels_keeps_finished_units_and_the_next_run_resumes(
        project: Path, out: Path) -> None:
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, *ALL)
    wait_for(lambda: some_unit_succeeded(out), 120, "a unit to finish")
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground job
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout

    manifest = read_manifest(out)
    assert manifest["run"]["status"] == "已中断"
    done = statuses(out)
    assert set(done.values()) == {"成功", "已中断"}, done
    assert "已中断" in stdout and "再次运行" in stdout
    wait_for(lambda: not marked_processes(mark), 5, "workers and kernels to exit")
    assert not list((out / "2025" / "wenming_city").glob("*/*.failed.ipynb"))

    result = run_batch(2025, jobs=2, allow_missing=True, root=project)
    assert {r.unit: r.status for r in result.results} == {
        u: Status.UNCHANGED if done[u] == "成功" else Status.OK for u in UNITS}


def test_sigterm_before_anything_finishes_exits_143_and_records_every_unit(
        project: Path, out: Path) -> None:
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, *ALL)
    staging = out / "2025" / "wenming_city" / ".staging"
    wait_for(lambda: staging.is_dir() and any(staging.iterdir()), 60, "tasks to start")
    proc.terminate()
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, stdout
    assert set(statuses(out).values()) == {"已中断"}
    assert documents_in_place(out) == []
    wait_for(lambda: not marked_processes(mark), 5, "workers and kernels to exit")


def test_ctrl_c_while_the_worker_pool_starts_is_an_ordinary_interruption(
        project: Path, out: Path) -> None:
    """The first task's staging folder is made just before the pool starts its processes
    (the forkserver imports papermill, pandas, … for seconds): Ctrl-C then reaches them
    too, since they start in the terminal's process group."""
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, *ALL)
    staging = out / "2025" / "wenming_city" / ".staging"
    wait_for(lambda: staging.is_dir() and any(staging.iterdir()), 60, "the pool to start")
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "已中断" in stdout and "再次运行" in stdout
    manifest = read_manifest(out)
    assert manifest["run"]["status"] == "已中断"
    assert set(statuses(out)) == set(UNITS)
    assert set(statuses(out).values()) <= {"已中断", "成功"}
    assert not staging.exists()
    wait_for(lambda: not marked_processes(mark), 15, "workers and the forkserver to exit")

    result = run_batch(2025, jobs=2, allow_missing=True, root=project)
    assert result.exit_code == 0
    assert not any("上次运行" in w for w in result.warnings)  # that run ended in order


def forkserver_of(mark: str) -> bool:
    for pid in marked_processes(mark):
        try:
            if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_ctrl_c_while_planning_with_the_forkserver_starting_early(
        project: Path, out: Path) -> None:
    """A run that reads workbooks starts the forkserver while it plans (its imports take
    seconds, on another core); a Ctrl-C then must not reach it mid-import (a traceback on
    the terminal), and it must go away with the batch."""
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, *ALL, "--force")
    wait_for(lambda: forkserver_of(mark) or proc.poll() is not None, 60,
             "the forkserver to start")
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "已中断" in stdout + stderr
    wait_for(lambda: not marked_processes(mark), 15, "the forkserver to exit")


class Waiting(Reporter):
    def __init__(self) -> None:
        self.told: list[str] = []

    def waiting(self, holder: str) -> None:
        self.told.append(holder)


def test_a_second_run_refuses_while_one_runs_or_waits_for_it(project: Path, out: Path) -> None:
    mark = uuid.uuid4().hex
    proc = start(project, out, mark, "--unit", "示例县", "--year", "2025", "--allow-missing")
    wait_for(lambda: manifest_or_empty(out).get("run", {}).get("pid") == proc.pid, 60,
             "the first run to take the lock")

    refused = CliRunner().invoke(app, ["run", "--unit", "示例县", "--year", "2025",
                                       "--allow-missing"],
                                 env={"HUIBAO_HOME": str(project), "COLUMNS": "300"})
    assert refused.exit_code == 1
    assert f"另一个 huibao run（进程 {proc.pid}" in refused.output and "--wait" in refused.output

    reporter = Waiting()
    waited = run_batch(2025, units=["示例县"], allow_missing=True, root=project, wait=True,
                       reporter=reporter)
    proc.communicate(timeout=60)  # reaps it and closes its pipes
    assert proc.returncode == 0
    assert len(reporter.told) == 1 and str(proc.pid) in reporter.told[0]
    assert [r.status for r in waited.results] == [Status.UNCHANGED]
    check_document(unit_docx(out, "示例县"), "示例县")
    json.loads((out / "2025" / "wenming_city" / "manifest.json").read_text("utf-8"))
