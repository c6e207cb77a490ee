"""The one inputs loader: read once while the files stay the same, copies for every caller."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from huibao.facts import loader


@pytest.fixture()
def project(tmp_path: Path, root: Path) -> Path:
    shutil.copytree(root / "templates", tmp_path / "templates")
    (tmp_path / "data").mkdir()
    shutil.copy(root / "data" / "wenming_city_sample.xlsx", tmp_path / "data" / "wb.xlsx")
    loader.clear_cache()
    return tmp_path


def test_a_second_load_is_a_copy_and_reads_nothing(project: Path, monkeypatch) -> None:
    first = loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    calls = []
    monkeypatch.setattr(loader, "read_inputs", lambda *a: calls.append(a))
    second = loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    assert calls == []
    assert second is not first
    second.facts.loc[:, "value"] = -1.0          # a notebook changing its inputs …
    third = loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    assert (third.facts["value"].dropna() >= 0).all()  # … changes nothing for the next
    assert third.facts.equals(first.facts)


def test_a_changed_workbook_or_pack_file_is_read_again(project: Path) -> None:
    loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    key = next(iter(loader._cache))
    stamp = loader._cache[key][0]
    time.sleep(0.01)
    (project / "templates" / "wenming_city" / "charts.yaml").touch()
    loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    assert loader._cache[key][0] != stamp
    stamp = loader._cache[key][0]
    wb = project / "data" / "wb.xlsx"
    wb.write_bytes(wb.read_bytes())
    time.sleep(0.01)
    wb.touch()
    loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    assert loader._cache[key][0] != stamp


def test_the_roll_up_is_made_once_per_reading(project: Path, monkeypatch) -> None:
    calls = []
    real = loader.hierarchy.roll_up_workbook

    def counting(wb, pack):
        calls.append(1)
        return real(wb, pack)

    monkeypatch.setattr(loader.hierarchy, "roll_up_workbook", counting)
    inputs = loader.read_inputs("shijian", str(Path(__file__).parents[1] / "data"
                                              / "shijian_sample.xlsx"), project)
    assert calls == [1]
    assert inputs.level("示例县新时代文明实践中心") == 0
    assert inputs.level("青山镇新时代文明实践所") == 1


def test_a_worker_primed_with_the_planners_reading_reads_nothing(project: Path,
                                                                   monkeypatch) -> None:
    planned = loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    shot = loader.snapshot("wenming_city", "data/wb.xlsx", project)
    assert shot is not None
    loader.clear_cache()                              # another process: nothing kept
    calls = []
    real = loader.read_inputs
    monkeypatch.setattr(loader, "read_inputs", lambda *a: calls.append(a) or real(*a))
    assert loader.prime(shot)
    got = loader.load_inputs("wenming_city", "data/wb.xlsx", project.resolve())
    assert calls == [] and got.facts.equals(planned.facts)


def test_a_snapshot_of_files_changed_since_is_not_used(project: Path, monkeypatch) -> None:
    loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    shot = loader.snapshot("wenming_city", "data/wb.xlsx", project)
    loader.clear_cache()
    time.sleep(0.01)
    (project / "data" / "wb.xlsx").touch()            # the unit corrected a figure meanwhile
    assert not loader.prime(shot)
    calls = []
    real = loader.read_inputs
    monkeypatch.setattr(loader, "read_inputs", lambda *a: calls.append(a) or real(*a))
    loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    assert len(calls) == 1                            # read again, never the stale reading
