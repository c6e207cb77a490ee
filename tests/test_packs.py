"""Every pack × document × sample unit: it builds, passes the layout checks, and every
figure in its prose is recomputed from the workbook by tests/audit.py (shares no code
with huibao).

Packs are discovered from templates/: a new pack folder is tested without editing this
file, as long as it has a sample workbook and parameters (params/<pack>/defaults.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from audit import Data, load_pack, unexplained
from docx.oxml.ns import qn

from huibao import config
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.packs import params
from huibao.packs.schema import list_packs
from huibao.prose.functions import date_of
from huibao.render import word
from huibao.render.layout import load_profile

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
PACKS = list_packs(ROOT / "templates")
BRIEFING_PARTS = ["基本情况", "主要做法", "成效", "问题", "打算"]
CN = "一二三四五六七八九十"


@dataclass
class Built:
    unit: str
    document: str
    form: str
    path: Path
    params: dict

    @property
    def label(self) -> str:
        return f"{self.unit} {self.document}（{self.form}）"


def _sample_units(campaign: str) -> tuple[loader.Inputs, dict, list[str]]:
    base = params.merged(ROOT / "params", campaign, None, {"year": YEAR})
    inputs = loader.load_inputs(campaign, base["data_path"], ROOT)
    units = sorted(set(inputs.facts.loc[inputs.facts["year"] == YEAR, "unit"]))
    return inputs, base, units


@pytest.fixture(scope="module", params=PACKS)
def pack_docs(request, tmp_path_factory) -> tuple[str, Data, list[Built]]:
    campaign = request.param
    inputs, base, units = _sample_units(campaign)
    assert len(units) >= 8, f"{campaign}: 样例数据应至少有8个单位"
    audit = Data(ROOT / base["data_path"], load_pack(ROOT, campaign))
    profile = load_profile(config.layout_profile_path(root=ROOT))
    out = []
    folder = tmp_path_factory.mktemp(campaign)
    for i, unit in enumerate(units):
        p = params.merged(ROOT / "params", campaign, unit, {"year": YEAR})
        report.preflight(inputs, unit, YEAR, allow_missing=True)
        forms = {"工作总结": [p.get("form") or "书面"],
                 "汇报材料": ["书面", "迎检"] if i == 0 else [p.get("form") or "书面"]}
        for document, kinds in forms.items():
            for form in kinds:
                target = folder / unit / f"{document}-{form}"
                doc = report.build_document(inputs, unit, YEAR, target / "figures",
                                            document=document, doc_date=p.get("doc_date"),
                                            root=ROOT, form=form, addressee=p.get("addressee"),
                                            sections=p.get("sections"))
                path = word.write_docx(doc, target / f"{document}.docx", profile)
                out.append(Built(unit, document, form, path, p))
    return campaign, audit, out


def _prose(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_every_sample_unit_has_parameters(pack_docs) -> None:
    campaign, _, built = pack_docs
    for b in built:
        files = params.files(ROOT / "params", campaign, b.unit)
        assert len(files) == 2, f"{campaign}: {b.unit} 没有自己的参数文件"


def test_every_figure_in_the_prose_is_recomputed_from_the_workbook(pack_docs) -> None:
    campaign, audit, built = pack_docs
    names = audit.names()
    for b in built:
        text = audit.without_own_words(_prose(b.path), b.unit, YEAR)
        allowed = audit.explained(b.unit, YEAR)
        date = date_of(b.params.get("doc_date"), YEAR)
        allowed |= {date.month, date.day}
        bad = unexplained(text, allowed, names)
        assert not bad, f"{campaign} {b.label}: 无法从工作簿复核的数字 {bad[:8]}"
        assert len(re.findall(r"\d+(?:\.\d+)?", text)) >= 15, f"{b.label}: 数字太少"


def test_required_values_are_stated_or_marked_missing(pack_docs) -> None:
    _, audit, built = pack_docs
    for b in built:
        text = _prose(b.path)
        markers = re.findall(r"【待填：([^】]+)】", text)
        missing = {i.name for i in audit.pack.values()
                   if i.required and audit.value(b.unit, YEAR, i.key) is None}
        assert set(markers) <= missing, f"{b.label}: {set(markers) - missing}"
        if b.document == "工作总结" and not b.params.get("sections"):
            assert set(markers) == missing, f"{b.label}: 缺失的必填指标未标注"


def test_no_leak_and_no_model_placeholder(pack_docs) -> None:
    _, _, built = pack_docs
    for b in built:
        d = docx.Document(str(b.path))
        blob = "\n".join([p.text for p in d.paragraphs]
                         + [c.text for t in d.tables for r in t.rows for c in r.cells])
        for leak in ("None", "nan", "NaN", "{{", "}}", "××", "XX", "xx", "20xx", "___", "{%"):
            assert leak not in blob, f"{b.label}: {leak}"
        assert not re.search(r"[\u4e00-\u9fff][,;:?!]", blob), f"{b.label}: 半角标点"


def test_layout_fonts_headings_and_captions(pack_docs) -> None:
    _, _, built = pack_docs
    for b in built:
        d = docx.Document(str(b.path))
        sect = d.sections[0]
        assert (sect.top_margin.mm, sect.left_margin.mm) == pytest.approx((37, 28), abs=0.2)
        counters = [0, 0]
        for p in d.paragraphs:
            for r in p.runs:
                if r.text:
                    fonts = r._element.find(qn("w:rPr") + "/" + qn("w:rFonts"))
                    assert fonts is not None and fonts.get(qn("w:eastAsia")), (b.label, r.text)
            style = p.style.name
            if style == "Heading 1":
                counters = [counters[0] + 1, 0]
                assert p.text.startswith(f"{CN[counters[0] - 1]}、"), (b.label, p.text)
            elif style == "Heading 2":
                counters[1] += 1
                assert p.text.startswith(f"（{CN[counters[1] - 1]}）"), (b.label, p.text)
        captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
        figures = [c for c in captions if c.startswith("图")]
        assert [c.split("\u3000")[0] for c in figures] == [f"图{i}" for i in
                                                           range(1, len(figures) + 1)]


def test_briefing_is_its_own_document(pack_docs) -> None:
    _, _, built = pack_docs
    for b in built:
        if b.document != "汇报材料":
            continue
        d = docx.Document(str(b.path))
        paras = [p for p in d.paragraphs if p.text.strip()]
        h1 = [p.text for p in paras if p.style.name == "Heading 1"]
        at = [next((i for i, h in enumerate(h1) if part in h), None) for part in BRIEFING_PARTS]
        assert None not in at and at == sorted(at), f"{b.label}: 一级标题 {h1}"
        assert len(d.tables) >= 1, f"{b.label}: 缺少指标完成情况表"
        size = len("".join(p.text for p in paras))
        assert size >= 3000, f"{b.label}: 汇报材料过短（{size}字，通常3000—7000字）"
        assert paras[0].text.startswith("关于") and paras[0].text.endswith("工作情况的汇报")
        first = paras[1] if b.form == "书面" else paras[2]
        if b.form == "迎检":
            assert re.fullmatch(r"（\d{4}年\d{1,2}月\d{1,2}日）", paras[1].text.strip())
            assert first.text.startswith("尊敬的") and first.text.endswith("：")
            assert paras[-1].text.endswith("谢谢！"), f"{b.label}: 迎检汇报应以致谢结束"
        else:
            assert first.text.endswith("："), f"{b.label}: 书面汇报应有主送机关"
            assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", paras[-1].text.strip())
        assert first.paragraph_format.first_line_indent in (None, 0) or \
            first._p.pPr.find(qn("w:ind")).get(qn("w:firstLine")) == "0"


def test_summary_ends_with_signature_and_states_problems(pack_docs) -> None:
    _, _, built = pack_docs
    for b in built:
        if b.document != "工作总结":
            continue
        d = docx.Document(str(b.path))
        paras = [p.text.strip() for p in d.paragraphs if p.text.strip()]
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", paras[-1]), b.label
        h1 = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
        assert any("问题" in h for h in h1) and any("打算" in h for h in h1), (b.label, h1)
        assert len("".join(paras)) >= 3000, f"{b.label}: 正文过短（{len(''.join(paras))}字）"


@pytest.mark.parametrize("campaign", PACKS)
def test_collection_form_of_every_pack_reads_back_its_roster(campaign: str,
                                                             tmp_path: Path) -> None:
    from huibao.app.data_commands import make_template
    from huibao.inputs.workbook import read_workbook
    from huibao.packs.schema import load_pack

    path, count = make_template(campaign, YEAR + 1, ROOT, output=tmp_path / "表.xlsx")
    _, _, units = _sample_units(campaign)
    assert count >= len(units)
    wb = read_workbook(path, load_pack(campaign, ROOT / "templates"))
    assert wb.findings.errors == []
    assert set(units) <= set(wb.units["unit"])
