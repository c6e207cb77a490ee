"""The batch's bookkeeping with a stand-in pool: no kernels, so outcomes can be chosen.

The stand-in writes what a notebook would write into each task's staging folder (or not)
and returns the outcome the test asks for, so promotion, the manifest and recovery from a
dead worker are checked in milliseconds.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import docx
import pytest

from huibao.run import pools as executors
from huibao.run.batch import run_batch
from huibao.run.manifest import Status
from huibao.run.task import Outcome, UnitTask

UNITS = ["示例县", "云溪区", "白鹭县"]


class StandIn(Executor):
    """Runs nothing: writes a document (or a failed notebook) and returns a chosen outcome."""

    def __init__(self, plan: dict[str, object]) -> None:
        self.plan = plan

    def submit(self, fn, task: UnitTask) -> Future:  # type: ignore[override]
        future: Future = Future()
        what = self.plan.get(task.unit, Status.OK)
        if isinstance(what, BaseException):
            future.set_exception(what)
            return future
        staging = Path(task.staging)
        task.executed.write_text(json.dumps({"unit": task.unit}), encoding="utf-8")
        if what is Status.OK:
            d = docx.Document()
            d.add_paragraph(f"{task.unit} {time.time()}")
            d.save(str(task.docx))
            (staging / "figures").mkdir()
            (staging / "figures" / f"{self.plan.get('figure', 'a')}.png").write_bytes(b"png")
        now = time.time()
        future.set_result(Outcome(task.unit, task.document, what, now, now,
                                  None if what is Status.OK else "ValueError: x",
                                  None if what is Status.OK else 5, {"python": "3"}))
        return future


class Pools:
    """The pools a batch opened, and the outcome each unit should get."""

    def __init__(self) -> None:
        self.opened: list = []
        self.plan: dict[str, object] = {}


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Pools:
    record = Pools()

    class Pool:
        label = "stand-in"
        slots = 2

        def __init__(self, jobs, scheduler, tasks) -> None:
            self.executor = StandIn(record.plan)
            record.opened.append(self)

        def ship(self, root, campaign, jobs) -> None: ...

        def submit(self, task: UnitTask) -> Future:
            return self.executor.submit(None, task)

        def collect(self, future: Future, task: UnitTask) -> Outcome:
            return future.result()

        def kill(self) -> None: ...

        def close(self) -> None: ...

    monkeypatch.setitem(executors.POOLS, "local", Pool)
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path))
    return record


def batch(root: Path, **kw):
    return run_batch(2025, units=UNITS, allow_missing=True, root=root, **kw)


def unit_dir(out: Path, unit: str) -> Path:
    return out / "2025" / "wenming_city" / unit


def test_a_dead_worker_fails_its_unit_and_the_rest_run_in_a_new_pool(pools, root: Path,
                                                                       tmp_path: Path) -> None:
    pools.plan.update({"云溪区": BrokenProcessPool("gone")})
    result = batch(root)
    got = {r.unit: r for r in result.results}
    assert got["云溪区"].status is Status.FAILED and "工作进程意外退出" in got["云溪区"].message
    assert got["示例县"].status is Status.OK and got["白鹭县"].status is Status.OK
    assert len(pools.opened) == 2  # reopened after the break
    assert result.exit_code == 1


def test_a_failed_rerun_keeps_the_good_document_and_its_record(pools, root: Path,
                                                               tmp_path: Path) -> None:
    batch(root)
    good = (unit_dir(tmp_path, "示例县") / "工作总结.docx").read_bytes()
    pools.plan.update({"示例县": Status.FAILED, "白鹭县": Status.TIMEOUT})
    result = batch(root, force=True)
    assert [r.status for r in result.results] == [Status.FAILED, Status.OK, Status.TIMEOUT]
    assert (unit_dir(tmp_path, "示例县") / "工作总结.docx").read_bytes() == good
    failed = unit_dir(tmp_path, "示例县") / "工作总结.failed.ipynb"
    assert failed.is_file() and result.results[0].notebook == failed
    manifest = json.loads((tmp_path / "2025/wenming_city/manifest.json").read_text("utf-8"))
    entry = manifest["entries"]["示例县/工作总结"]
    assert entry["status"] == "失败" and entry["error"]["cell"] == 5
    assert entry["good"]["run"] != entry["run"]  # the earlier good build is still recorded

    # The good document still matches its inputs, so it counts as up to date …
    assert batch(root).results[0].status is Status.UNCHANGED
    # … and a later success removes the failed notebook.
    pools.plan.clear()
    batch(root, force=True)
    assert not failed.exists()


def test_figures_the_new_build_no_longer_makes_are_removed(pools, root: Path,
                                                           tmp_path: Path) -> None:
    batch(root)
    pools.plan["figure"] = "b"
    batch(root, force=True)
    names = sorted(p.name for p in (unit_dir(tmp_path, "示例县") / "figures").iterdir())
    assert names == ["b.png"]


def test_a_changed_document_that_cannot_be_merged_is_kept_and_rebuilt_beside(
        pools, root: Path, tmp_path: Path) -> None:
    batch(root)
    (unit_dir(tmp_path, "白鹭县") / "工作总结.docx").write_bytes(b"edited by hand")
    result = batch(root)
    assert {r.unit: r.status for r in result.results} == {
        "示例县": Status.UNCHANGED, "云溪区": Status.UNCHANGED, "白鹭县": Status.BESIDE}
    assert (unit_dir(tmp_path, "白鹭县") / "工作总结.docx").read_bytes() == b"edited by hand"
    assert (unit_dir(tmp_path, "白鹭县") / "工作总结.新生成.docx").is_file()
