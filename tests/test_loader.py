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


def test_rows_for_are_the_units_own_rows_and_follow_a_replaced_frame(project: Path) -> None:
    """The rows a unit's fingerprint is made from, grouped once per workbook, are those a
    filter on the unit gives, in order; a frame replaced afterwards is grouped anew."""
    from huibao.inputs.workbook import records

    wb = loader.load_inputs("wenming_city", "data/wb.xlsx", project).workbook
    names = ("units", "values", "targets", "honours", "activities", "systems", "texts")
    for unit in [*wb.units["unit"], "不在表中的单位"]:
        assert wb.rows_for(unit) == {
            n: records(getattr(wb, n)[getattr(wb, n)["unit"] == unit]) for n in names}
    unit = wb.units["unit"].iloc[0]
    before = wb.rows_for(unit)
    assert before["values"]
    wb.values = wb.values[wb.values["unit"] != unit]
    assert wb.rows_for(unit) == {**before, "values": []}


def test_metrics_are_worked_out_once_and_again_for_replaced_facts(project: Path,
                                                                   monkeypatch) -> None:
    from huibao.facts import metric

    inputs = loader.load_inputs("wenming_city", "data/wb.xlsx", project)
    unit = inputs.workbook.units["unit"].iloc[0]
    calls = []
    real = loader.metrics_for
    monkeypatch.setattr(loader, "metrics_for", lambda *a: calls.append(a) or real(*a))
    first = inputs.metrics(unit, 2025)
    assert inputs.metrics(unit, 2025) == first and len(calls) == 1
    assert first == metric.metrics_for(inputs.facts, inputs.pack, unit, 2025,
                                       inputs.workbook.targets)
    inputs.facts = inputs.facts[inputs.facts["key"] != next(iter(first))]
    again = inputs.metrics(unit, 2025)
    assert len(calls) == 2 and again[next(iter(first))].value is None
    assert loader.pickle.loads(loader.pickle.dumps(inputs))._metrics == {}
