"""The plan cache: an unchanged re-run plans without reading any workbook, and plans the
same jobs as a planner that reads them; a changed file, option or broken cache reads again."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from batch_project import WORKBOOK, make_project, set_value

from huibao.facts import loader
from huibao.run import plan as planning
from huibao.run.batch import run_batch
from huibao.run.manifest import Status
from huibao.run.plancache import NAME, PlanCache

UNITS = ["示例县", "云溪区", "白鹭县"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    loader.clear_cache()
    return make_project(tmp_path / "p")


def planner(root: Path, cached: bool = True, **options) -> planning.Planner:
    made = planning.Planner(root, 2025, "wenming_city", documents=["工作总结", "汇报材料"],
                            overrides={"year": 2025, "allow_missing": True},
                            base_params={"data_path": str(WORKBOOK)},
                            allow_missing=options.get("allow_missing", True),
                            strict=options.get("strict", False))
    if not cached:
        made.cache = PlanCache(None)
    return made


def jobs(items) -> dict:
    return {(j.unit, j.document): (j.inputs, j.warnings) if isinstance(j, planning.Job)
            else j.message for j in items}


def reads(monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []
    real = loader.read_inputs
    monkeypatch.setattr(loader, "read_inputs", lambda *a: calls.append(a) or real(*a))
    return calls


def test_an_unchanged_rerun_plans_without_reading_and_plans_the_same(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_batch(2025, allow_missing=True, root=project, jobs=1,
                      documents=["工作总结"], units=None)
    assert {r.status for r in first.results} <= {Status.OK, Status.FAILED}
    cache = tmp_path / "out" / "2025" / "wenming_city" / NAME
    assert cache.is_file()
    fresh = jobs(planner(project, cached=False).plan(None))   # reads the workbook

    loader.clear_cache()
    calls = reads(monkeypatch)
    cached = planner(project)
    assert jobs(cached.plan(None)) == fresh
    assert calls == []                                   # no workbook read, none checked
    again = run_batch(2025, allow_missing=True, root=project, jobs=1,
                      documents=["工作总结"], units=None)
    assert calls == [] and {r.status for r in again.results} <= {Status.UNCHANGED,
                                                                Status.FAILED}


def test_a_changed_workbook_or_option_reads_again(project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run_batch(2025, units=UNITS, allow_missing=True, root=project, jobs=1)
    before = jobs(planner(project, cached=False).plan(UNITS))
    loader.clear_cache()
    calls = reads(monkeypatch)
    planner(project, strict=True).plan(UNITS)            # another option: another key
    assert len(calls) == 1

    time.sleep(0.01)
    set_value(project / WORKBOOK, "云溪区", 2025, "注册志愿者", 12345)
    loader.clear_cache()
    calls.clear()
    after = jobs(planner(project).plan(UNITS))
    assert len(calls) == 1
    assert after[("云溪区", "工作总结")] != before[("云溪区", "工作总结")]


def test_a_broken_or_foreign_cache_is_read_as_empty(project: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    run_batch(2025, units=UNITS, allow_missing=True, root=project, jobs=1)
    cache = tmp_path / "out" / "2025" / "wenming_city" / NAME
    expected = jobs(planner(project, cached=False).plan(UNITS))
    for text in ("{not json", json.dumps({"format": 99, "entries": {}}),
                 json.dumps({"format": 1, "entries": {"x": "code"}})):
        cache.write_text(text, encoding="utf-8")
        loader.clear_cache()
        calls = reads(monkeypatch)
        assert jobs(planner(project).plan(UNITS)) == expected
        assert len(calls) == 1
