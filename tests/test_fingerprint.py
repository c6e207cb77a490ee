"""Fingerprints change exactly when what a unit's document shows changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from batch_project import WORKBOOK, make_project, set_value

from huibao.documents import unit as report
from huibao.facts import loader
from huibao.run import fingerprint


def data_and_peers(project: Path) -> dict[str, tuple[str, str]]:
    inputs = loader.load_inputs("wenming_city", WORKBOOK, project)
    peers = fingerprint.digest(report.peer_view(inputs, 2025))
    return {u: (fingerprint.digest(inputs.workbook.rows_for(u)), peers)
            for u in ("示例县", "白鹭县", "云溪区")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("fp"))


def test_digest_ignores_key_order_and_reads_dates_as_text() -> None:
    import datetime as dt
    assert fingerprint.digest({"a": 1, "b": dt.date(2025, 1, 2)}) == \
        fingerprint.digest({"b": "2025-01-02", "a": 1})


def edited(project: Path, tmp_path: Path, header: str, value: float) -> dict:
    """data_and_peers of a copy of ``project`` with 白鹭县's 2025 ``header`` set."""
    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    set_value(copy / WORKBOOK, "白鹭县", 2025, header, value)
    return data_and_peers(copy)


def test_changing_a_unit_only_value_changes_only_that_units_data(project: Path,
                                                                   tmp_path: Path) -> None:
    before = data_and_peers(project)
    after = edited(project, tmp_path, "公益广告", 1234)
    assert after["白鹭县"][0] != before["白鹭县"][0]
    assert after["示例县"] == before["示例县"] and after["云溪区"] == before["云溪区"]


def test_changing_a_value_every_unit_charts_changes_every_units_peers(project: Path,
                                                                        tmp_path: Path) -> None:
    before = data_and_peers(project)
    # 注册志愿者 feeds 注册志愿者占常住人口比例, drawn for all units in one bar chart.
    after = edited(project, tmp_path, "注册志愿者", 50000)
    assert after["示例县"][0] == before["示例县"][0]
    assert after["示例县"][1] != before["示例县"][1]


def test_templates_and_kit_digests_are_stable_and_see_edits(project: Path,
                                                            tmp_path: Path) -> None:
    first = fingerprint.templates_digest("wenming_city", project)
    assert fingerprint.templates_digest("wenming_city", project) == first
    assert fingerprint.kit_digest() == fingerprint.kit_digest()
    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    assert fingerprint.templates_digest("wenming_city", copy) == first  # paths are relative
    with open(copy / "templates" / "layout" / "gbt9704.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# 改动\n")
    assert fingerprint.templates_digest("wenming_city", copy) != first


def test_combined_covers_every_part_and_the_document() -> None:
    parts = {"data": "1", "params": "2"}
    assert fingerprint.combine("工作总结", parts)["combined"] != \
        fingerprint.combine("汇报材料", parts)["combined"]
    assert fingerprint.combine("工作总结", parts)["combined"] != \
        fingerprint.combine("工作总结", {**parts, "params": "3"})["combined"]
