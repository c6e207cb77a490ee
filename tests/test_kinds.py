"""The document-kind registry: what exists, made by which notebook, and how a type is added."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from batch_project import make_project

import huibao
from huibao.documents import kinds
from huibao.errors import UnknownNameError
from huibao.packs.params import BATCH_ONLY, UnitParams
from huibao.run import notebook_params
from huibao.run.plan import Job, Planner

ROOT = Path(__file__).resolve().parents[1]


def test_every_kind_names_a_notebook_that_exists() -> None:
    rows = list(kinds.registry)
    assert {(k.scope, k.document) for k in rows} == {
        ("unit", "工作总结"), ("unit", "汇报材料"), ("area", "工作总结"), ("area", "汇报材料")}
    for kind in rows:
        assert kind.notebook_path(ROOT).is_file(), kind


def test_the_unit_notebook_is_the_parameter_vocabulary() -> None:
    # A parameter file may set what the notebook declares (and the batch-only list).
    declared = set(notebook_params.read(kinds.kind("unit", "工作总结").notebook_path(ROOT)))
    settable = set(UnitParams.model_fields) - BATCH_ONLY
    assert settable <= declared, settable - declared
    assert declared - settable == {"unit", "campaign", "output_dir"}


def test_notebooks_import_only_huibao() -> None:
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        imports = [line for line in code.splitlines() if line.startswith(("import", "from"))]
        assert imports == ["import huibao"], (path.name, imports)
        assert "config." not in code and "load_profile" not in code


def test_an_unknown_document_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="工作总结"):
        kinds.kind("unit", "工作要点")


def test_parameters_cell_values_must_be_literals(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
                     "source": ["unit = '甲'\n", "year = 2025\n", "x = open('f')\n"]}]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(huibao.HuibaoError, match="第3行不是字面值"):
        notebook_params.read(path)
    nb["cells"][0]["source"] = ["unit = '甲'\n", "year = 2025\n", "form = '书面'\n"]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert notebook_params.inject(path, {"unit": "乙", "form": None, "other": 1}) == {
        "unit": "乙", "year": 2025, "form": "书面"}   # None keeps the default; extras dropped


@pytest.fixture()
def new_type(tmp_path: Path):
    """A document type added the documented way: one registry row, one template."""
    project = make_project(tmp_path / "project")
    (project / "templates" / "wenming_city" / "工作要点.md.j2").write_text(
        "# 工作目标\n\n{{ sentence('截至' ~ year ~ '年底，', "
        "[clause(m.registered_volunteers, '注册志愿者达到')]) }}\n", encoding="utf-8")
    kind = kinds.Kind("unit", "工作要点", "unit", "{subject}{year}年{name}工作要点")
    kinds.registry.register(kind)
    yield project
    kinds.registry._kinds.pop(("unit", "工作要点"))


def test_a_new_document_type_is_one_row_and_one_template(new_type: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    planner = Planner(new_type, 2025, "wenming_city", documents=["工作要点"],
                      overrides={"year": 2025},
                      base_params={"data_path": "data/wenming_city_sample.xlsx"},
                      allow_missing=True)
    jobs = planner.plan(["示例县"])
    assert [type(j) for j in jobs] == [Job], jobs
    assert jobs[0].notebook.name == "unit.ipynb" and jobs[0].parameters["document"] == "工作要点"
    draft = huibao.unit_document("wenming_city", 2025, "示例县", document="工作要点",
                                 root=new_type)
    path = draft.write(draft.build())
    assert path.name == "工作要点.docx"
    text = [p.text for p in docx.Document(str(path)).paragraphs if p.text.strip()]
    assert text[0] == "示例县2025年创建全国文明城市工作要点"
    assert any("注册志愿者达到" in t for t in text)
