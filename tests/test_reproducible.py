"""Byte-identical re-runs: the same inputs give the same .docx and .png bytes.

Every sample unit's documents are made twice with the default engine and once with
``--isolation kernel``; all three must agree byte for byte. ``SOURCE_DATE_EPOCH`` sets the
one time written into a document (core properties and zip entries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import docx
import pytest

from huibao.documents import kinds
from huibao.render import reproducible
from huibao.run.batch import run_batch
from huibao.run.manifest import Status

YEAR = 2025


def documents(root: Path) -> list[str]:
    return kinds.documents(kinds.UNIT)


def build(root: Path, out: Path, monkeypatch: pytest.MonkeyPatch, isolation: str,
          units: list[str] | None = None) -> dict[str, str]:
    """Run the batch into ``out``; sha256 of every .docx and .png, by relative path."""
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(out))
    result = run_batch(YEAR, units=units, documents=documents(root), force=True,
                       allow_missing=True, root=root, isolation=isolation, jobs=2)
    assert [r for r in result.results if r.status is not Status.OK] == []
    files = sorted(p for p in out.rglob("*") if p.suffix in (".docx", ".png"))
    assert files
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


@pytest.fixture(scope="module")
def runs(root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv(reproducible.ENV, raising=False)
    try:
        base = tmp_path_factory.mktemp("repro")
        return {name: build(root, base / name, monkeypatch, isolation)
                for name, isolation in (("first", "namespace"), ("second", "namespace"),
                                        ("kernel", "kernel"))}
    finally:
        monkeypatch.undo()


def test_every_sample_unit_rebuilds_byte_for_byte(runs: dict[str, dict[str, str]]) -> None:
    units = {path.split("/")[2] for path in runs["first"]}
    assert len(units) >= 8
    assert runs["second"] == runs["first"]


def test_namespace_and_kernel_isolation_make_identical_documents(
        runs: dict[str, dict[str, str]]) -> None:
    assert runs["kernel"] == runs["first"]


def test_source_date_epoch_sets_the_one_time_in_the_document(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        runs: dict[str, dict[str, str]]) -> None:
    epoch = 1767225600  # 2026-01-01 00:00:00 UTC
    monkeypatch.setenv(reproducible.ENV, str(epoch))
    hashes = build(root, tmp_path / "out", monkeypatch, "namespace", units=["示例县"])
    path = tmp_path / "out" / str(YEAR) / "wenming_city" / "示例县" / "工作总结.docx"
    stamp = dt.datetime(2026, 1, 1)
    props = docx.Document(str(path)).core_properties
    assert props.created.replace(tzinfo=None) == stamp
    assert props.modified.replace(tzinfo=None) == stamp
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    key = f"{YEAR}/wenming_city/示例县/工作总结.docx"
    assert hashes[key] != runs["first"][key]
    png = next(k for k in hashes if k.endswith(".png"))
    assert hashes[png] == runs["first"][png]   # charts carry no time at all


def test_without_source_date_epoch_the_document_date_is_used(
        root: Path, runs: dict[str, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reproducible.ENV, raising=False)
    build(root, tmp_path / "out", monkeypatch, "namespace", units=["示例县"])
    path = tmp_path / "out" / str(YEAR) / "wenming_city" / "示例县" / "工作总结.docx"
    created = docx.Document(str(path)).core_properties.created.replace(tzinfo=None)
    with zipfile.ZipFile(path) as zf:
        times = {i.date_time for i in zf.infolist()}
    assert times == {created.timetuple()[:6]}
    assert created.year == YEAR   # 示例县's 成文日期 (params: 2025-12-26)


def test_pngs_have_no_time_or_software_chunks(root: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              runs: dict[str, dict[str, str]]) -> None:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path))
    # Any chart of the first run would do; draw one again and read its chunks.
    from huibao.documents import build
    from huibao.documents import unit as report
    from huibao.facts import loader

    inputs = loader.load_inputs("wenming_city", "data/wenming_city_sample.xlsx", root)
    doc = report.build_document(inputs, "示例县", YEAR, tmp_path / "figures")
    for figure in build.figures(doc):
        data = Path(figure.image).read_bytes()
        chunks, pos = [], 8
        while pos < len(data):
            length = int.from_bytes(data[pos:pos + 4], "big")
            chunks.append(data[pos + 4:pos + 8].decode("ascii"))
            pos += length + 12
        assert not {"tIME", "tEXt", "iTXt", "zTXt"} & set(chunks), chunks


def test_a_bad_source_date_epoch_is_a_chinese_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from huibao.errors import HuibaoError

    monkeypatch.setenv(reproducible.ENV, "yesterday")
    with pytest.raises(HuibaoError, match="SOURCE_DATE_EPOCH"):
        reproducible.source_date_epoch()
