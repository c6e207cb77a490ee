"""The analyst's edits survive re-runs: identities, three-way merge, stale numbers, backups.

An analyst edits a generated 工作总结 (one paragraph reworded and made bold, one deleted,
one added) with python-docx or through a LibreOffice open-and-save, the unit corrects two
figures in the workbook (one quoted in the edited paragraph, one in an unedited one), and
``huibao run`` runs again. LibreOffice tests are skipped where it is not installed.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import test_document as gbt
from batch_project import (
    WORKBOOK,
    check_document,
    make_project,
    read_manifest,
    set_value,
    snapshot,
    unit_docx,
)
from docx.oxml.ns import qn
from lxml import etree
from typer.testing import CliRunner

import huibao
from huibao import config
from huibao.app.cli import app
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.render import edits, identity, merge, word
from huibao.render.layout import load_profile
from huibao.render.pdf import soffice
from huibao.run.batch import run_batch
from huibao.run.manifest import Status

UNIT = "梅江县"   # a unit without 文字材料: each figure below is quoted once, by the generator
EDITED_KEY, UNEDITED_KEY = "model_households", "good_people"   # quoted once each
NO_LIBREOFFICE = "未安装 LibreOffice（make render-deps 可安装），跳过 LibreOffice 打开保存的检查"
needs_libreoffice = pytest.mark.skipif(soffice() is None, reason=NO_LIBREOFFICE)


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUIBAO_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def libreoffice_save(path: Path, work: Path) -> None:
    """Open ``path`` in LibreOffice and save it as .docx again, in place."""
    outdir = work / "lo-out"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([soffice(), f"-env:UserInstallation=file://{work / 'lo-profile'}",
                    "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir",
                    str(outdir), str(path)], check=True, capture_output=True, timeout=180)
    shutil.move(outdir / path.name, path)


def by_id(path: Path) -> dict[str, etree._Element]:
    return {e.id: e.xml for e in identity.read(docx.Document(str(path)).element.body) if e.id}


def record_of(path: Path) -> dict:
    return json.loads(merge.record_path(path).read_text(encoding="utf-8"))


def quoting(record: dict, key: str) -> str:
    (block,) = [b["id"] for b in record["blocks"] if key in b["numbers"]]
    return block


def as_saved(path: Path, ident: str) -> bytes:
    """The XML of one identity, bookmark ids left out and styles named (LibreOffice saves
    Body Text as style id TextBody; the merge maps it to the new document's BodyText)."""
    d = docx.Document(str(path))
    (el,) = [copy.deepcopy(e.xml) for e in identity.read(d.element.body) if e.id == ident]
    for b in el.iter(qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
        b.attrib.pop(qn("w:id"), None)
    for style in el.iter(qn("w:pStyle"), qn("w:rStyle")):
        style.set(qn("w:val"), d.styles.element.get_by_id(style.get(qn("w:val"))).name_val)
    return etree.tostring(el)


class Edit:
    """The analyst's edits of one document, and what they were."""

    def __init__(self, path: Path) -> None:
        rec = record_of(path)
        self.numbers = rec["numbers"]
        self.edited = quoting(rec, EDITED_KEY)
        self.unedited = quoting(rec, UNEDITED_KEY)
        self.deleted = [b["id"] for b in rec["blocks"] if b["kind"] == "paragraph"][-1]
        assert len({self.edited, self.unedited, self.deleted}) == 3
        old = self.numbers[EDITED_KEY]["text"]
        self.wording = f"经反复打磨，全县评选星级文明户、五好文明家庭{old}，文明新风吹进千家万户。"
        self.added = "（分析人员补充）这一段是人工新增的，重新生成后应当保留在原处。"

    def apply(self, path: Path) -> None:
        d = docx.Document(str(path))
        els = {e.id: e.xml for e in identity.read(d.element.body) if e.id}
        para = els[self.edited]
        runs = para.findall(qn("w:r"))
        for r in runs[1:]:
            para.remove(r)
        run = docx.text.run.Run(runs[0], None)
        run.text, run.bold = self.wording, True
        els[self.deleted].getparent().remove(els[self.deleted])
        added = copy.deepcopy(els[self.unedited])
        for b in list(added.iter(qn("w:bookmarkStart"), qn("w:bookmarkEnd"))):
            b.getparent().remove(b)
        runs = added.findall(qn("w:r"))
        for r in runs[1:]:
            added.remove(r)
        docx.text.run.Run(runs[0], None).text = self.added
        els[self.unedited].addnext(added)
        d.save(str(path))


def east_asian_font(run: etree._Element, para: etree._Element, styles) -> str | None:
    """The East Asian face a run shows: its own, else its paragraph style's (by basedOn),
    else the document defaults. LibreOffice writes a kept paragraph's runs with the face
    only where it differs from the style."""
    def of(rpr):
        fonts = None if rpr is None else rpr.find(qn("w:rFonts"))
        return None if fonts is None else fonts.get(qn("w:eastAsia"))

    found = of(run.find(qn("w:rPr")))
    ppr = para.find(qn("w:pPr"))
    style_id = None
    if ppr is not None and ppr.find(qn("w:pStyle")) is not None:
        style_id = ppr.find(qn("w:pStyle")).get(qn("w:val"))
    while found is None and style_id is not None:
        style = styles.get_by_id(style_id)
        found = of(style.find(qn("w:rPr")))
        based = style.find(qn("w:basedOn"))
        style_id = None if based is None else based.get(qn("w:val"))
    if found is None:
        found = of(styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}"))
    return found


def audit_structure(path: Path, strict: bool = True) -> None:
    """The GB/T 9704 checks of test_document that do not depend on the figures.

    ``strict``: every run names its East Asian face (as the kit writes them); otherwise
    each shows one, from the run or its style (a paragraph kept from LibreOffice).
    """
    check_document(path, UNIT)
    built = collections.defaultdict(lambda: path)   # test_document names 示例县
    gbt.test_captions_number_figures_below_and_tables_above(built)
    if strict:
        gbt.test_every_run_has_an_east_asian_font(built)
        return
    d = docx.Document(str(path))
    assert not list(d.styles.element.iter(qn("w:rFonts"))) or all(
        f.get(qn("w:eastAsiaTheme")) is None for f in d.element.iter(qn("w:rFonts")))
    for p in d.paragraphs:
        for r in p.runs:
            if r.text:
                assert east_asian_font(r._r, p._p, d.styles.element), (p.text[:20], r.text)


# -- identities ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(root: Path, sample_path: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("edits")
    inputs = loader.load_inputs("wenming_city", sample_path, root)
    doc = report.build_document(inputs, UNIT, 2025, folder / "figures", root=root)
    profile = load_profile(config.layout_profile_path(root=root))
    return word.write_docx(doc, folder / "工作总结.docx", profile)


def test_every_paragraph_and_table_carries_one_identity_outside_the_text(generated) -> None:
    d = docx.Document(str(generated))
    els = identity.read(d.element.body)
    assert els and all(e.id for e in els)
    assert len({e.id for e in els}) == len(els)
    assert any(e.xml.tag == qn("w:tbl") for e in els)
    assert not any("hb_" in p.text for p in d.paragraphs)
    assert [b["id"] for b in record_of(generated)["blocks"]] == [e.id for e in els]


def test_identities_do_not_depend_on_the_figures() -> None:
    seen: dict[str, int] = {}
    a = identity.section_key(["一、主要工作", "（一）志愿者8562名"], seen)
    b = identity.section_key(["一、主要工作", "（一）志愿者9000名"], {})
    assert a == b and a.startswith("hb_")
    assert identity.section_key(["一、主要工作", "（一）志愿者8562名"], seen) != a


@needs_libreoffice
def test_identities_and_formatting_survive_a_libreoffice_save(generated, tmp_path) -> None:
    copy_ = tmp_path / generated.name
    shutil.copyfile(generated, copy_)
    libreoffice_save(copy_, tmp_path)
    assert copy_.read_bytes() != generated.read_bytes()
    saved = identity.read(docx.Document(str(copy_)).element.body)
    record = {b["id"]: b for b in record_of(generated)["blocks"]}
    assert {e.id for e in saved if e.id} == set(record)
    for e in saved:
        assert e.signature == record[e.id]["sig"], e.id   # unedited reads as unedited


# -- the loop: generate, edit, correct the data, re-run -----------------------------------

@pytest.mark.parametrize("editor", ["python-docx",
                                    pytest.param("libreoffice", marks=needs_libreoffice)])
def test_edits_survive_a_rerun_with_corrected_figures(tmp_path: Path, out: Path,
                                                      editor: str) -> None:
    project = make_project(tmp_path / "p")

    def batch(**kw):
        return run_batch(2025, units=[UNIT], allow_missing=True, root=project, jobs=1, **kw)

    assert batch().results[0].status is Status.OK
    path = unit_docx(out, UNIT)
    edit = Edit(path)
    edit.apply(path)
    if editor == "libreoffice":
        libreoffice_save(path, tmp_path)
    mine = path.read_bytes()
    mine_edited = as_saved(path, edit.edited)

    # No data change: the edited document is left alone, byte for byte.
    again = batch()
    assert again.results[0].status is Status.UNCHANGED
    assert path.read_bytes() == mine

    old = {k: edit.numbers[k]["value"] for k in (EDITED_KEY, UNEDITED_KEY)}
    set_value(project / WORKBOOK, UNIT, 2025, "星级文明户", int(old[EDITED_KEY]) + 111)
    set_value(project / WORKBOOK, UNIT, 2025, "推荐“身边好人”", int(old[UNEDITED_KEY]) + 5)
    result = batch().results[0]
    assert result.status is Status.MERGED, result.message
    new = record_of(path)["numbers"]
    assert new[EDITED_KEY]["value"] == old[EDITED_KEY] + 111

    merged = by_id(path)
    # the edited paragraph: the analyst's XML verbatim, bold included
    assert as_saved(path, edit.edited) == mine_edited
    p = docx.text.paragraph.Paragraph(merged[edit.edited], None)
    assert p.text == edit.wording and all(r.bold for r in p.runs if r.text)
    # the deleted one stays gone, the added one stays after the block it followed
    assert edit.deleted not in merged
    follower = merged[edit.unedited].getnext()
    assert identity.text_of(follower) == edit.added
    # the unedited one shows the new figure
    text = identity.text_of(merged[edit.unedited])
    assert new[UNEDITED_KEY]["text"] in text
    assert edit.numbers[UNEDITED_KEY]["text"] not in text

    # the stale figure, old → new, in the manifest, the summary data and the review file
    stale = result.edits["stale_numbers"]
    assert [(s["indicator"], s["old"], s["new"]) for s in stale] == [
        (EDITED_KEY, edit.numbers[EDITED_KEY]["text"], new[EDITED_KEY]["text"])]
    assert stale[0]["opening"] == edit.wording[:16] + "……"
    good = read_manifest(out)["entries"][f"{UNIT}/工作总结"]
    assert good["status"] == "已合并修改"
    counts = {k: good["good"]["edits"][k]
              for k in ("edited", "added", "deleted", "conflicts", "stale")}
    # the edited paragraph's generated text changed too (its figure): a conflict
    assert counts == {"edited": 1, "added": 1, "deleted": 1, "conflicts": 1, "stale": 1}
    assert good["good"]["edits"]["conflict_ids"] == [edit.edited]
    review = (out / good["good"]["edits"]["review"]).read_text(encoding="utf-8")
    assert (f"{edit.numbers[EDITED_KEY]['name']}：{edit.numbers[EDITED_KEY]['text']} → "
            f"{new[EDITED_KEY]['text']}") in review
    # the backup is the analyst's file, byte for byte
    backup = out / good["good"]["edits"]["backup"]
    assert backup.parent == path.parent and backup.read_bytes() == mine
    audit_structure(path, strict=editor == "python-docx")

    # A re-run with no change, even forced, leaves the merged document byte-identical.
    folder = path.parent
    before = snapshot(folder)
    assert batch().results[0].status is Status.UNCHANGED
    assert snapshot(folder) == before
    forced = batch(force=True).results[0]
    assert forced.status is Status.MERGED
    assert path.read_bytes() == before["工作总结.docx"][1]


def test_cli_summary_lists_stale_figures_and_discard_edits_regenerates(
        tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "p")
    monkeypatch.setenv("HUIBAO_HOME", str(project))
    cli = ["run", "--units", f"{UNIT},云溪区", "--year", "2025", "--allow-missing", "--jobs", "2"]
    first = CliRunner().invoke(app, cli)
    assert first.exit_code == 0, first.output
    path = unit_docx(out, UNIT)
    edit = Edit(path)
    edit.apply(path)
    mine = path.read_bytes()
    old = edit.numbers[EDITED_KEY]
    set_value(project / WORKBOOK, UNIT, 2025, "星级文明户", int(old["value"]) + 111)
    # 云溪区 is open in Word: not overwritten, the other unit goes on
    other = unit_docx(out, "云溪区")
    owner = other.with_name("~$作总结.docx")
    owner.write_bytes(b"\0")
    set_value(project / WORKBOOK, "云溪区", 2025, "星级文明户", 1)
    theirs = other.read_bytes()
    result = CliRunner().invoke(app, cli, env={"COLUMNS": "300"})
    text = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "已合并修改" in text and "保留修改 1 段、新增 1 段、删除 1 段" in text
    new = record_of(path)["numbers"][EDITED_KEY]
    assert f"{old['name']} {old['text']} → {new['text']}" in text
    assert "文档已打开" in text and "~$作总结.docx" in text and "未覆盖" in text
    assert other.read_bytes() == theirs

    owner.unlink()
    merged = path.read_bytes()
    result = CliRunner().invoke(app, ["run", "--unit", UNIT, "--year", "2025",
                                      "--allow-missing", "--discard-edits"])
    assert result.exit_code == 0, result.output
    fresh = by_id(path)
    texts = [identity.text_of(el) for el in fresh.values()]
    assert edit.deleted in fresh and edit.added not in texts and edit.wording not in texts
    backups = {b.read_bytes() for b in path.parent.glob("工作总结.备份*.docx")}
    assert backups == {mine, merged}


# -- what is never merged blindly ----------------------------------------------------------

def _settle_twice(generated: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A unit folder holding ``generated`` as last written, and a new generation staged."""
    unit = tmp_path / "unit"
    unit.mkdir()
    target = unit / generated.name
    shutil.copyfile(generated, target)
    shutil.copyfile(merge.record_path(generated), merge.record_path(target))
    staged = tmp_path / "staging" / generated.name
    staged.parent.mkdir()
    shutil.copyfile(generated, staged)
    shutil.copyfile(merge.record_path(generated), merge.record_path(staged))
    return target, staged


def test_a_foreign_document_is_kept_and_the_new_one_written_beside(generated, tmp_path) -> None:
    target, staged = _settle_twice(generated, tmp_path)
    foreign = docx.Document()
    for p in docx.Document(str(generated)).paragraphs:   # the text pasted into a new file
        foreign.add_paragraph(p.text)
    foreign.save(str(target))
    mine = target.read_bytes()
    done = edits.settle(staged, target)
    assert done.how == "beside" and target.read_bytes() == mine
    assert done.docx == edits.beside_path(target) and done.docx.read_bytes() == \
        generated.read_bytes()
    assert "不含本工具的段落标识" in done.message and done.docx.name in done.message


def test_a_corrupt_document_is_kept(generated, tmp_path) -> None:
    target, staged = _settle_twice(generated, tmp_path)
    target.write_bytes(b"not a zip")
    done = edits.settle(staged, target)
    assert done.how == "beside" and target.read_bytes() == b"not a zip"
    assert "无法作为 Word 文档读取" in done.message


@pytest.mark.parametrize("owner", ["~$作总结.docx", ".~lock.工作总结.docx#"])
def test_a_document_open_in_an_editor_is_not_touched(generated, tmp_path, owner) -> None:
    target, staged = _settle_twice(generated, tmp_path)
    (target.parent / owner).write_bytes(b"")
    with pytest.raises(edits.DocumentOpen, match="未覆盖"):
        edits.settle(staged, target)
    assert staged.exists()


def test_an_unedited_document_is_replaced_without_backup(generated, tmp_path) -> None:
    target, staged = _settle_twice(generated, tmp_path)
    done = edits.settle(staged, target)
    assert done.how == "replaced" and done.backup is None
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "工作总结.docx", "工作总结.generated.json"]


# -- tables and conflicts, on a small outline ----------------------------------------------

def _outline(invest: str, cells: list[list[str]]):
    from huibao.render import outline as o
    return o.Document(
        title="某某市2025年精神文明建设工作总结",
        blocks=[o.Heading(1, "主要工作"),
                o.Paragraph(f"今年以来，全市完成投资{invest}，同比增长5.6%。"),
                o.Paragraph("开展督导检查12次。"),
                o.Table("各区县投入情况", ["区县", "投入"], cells, unit_note="单位：万元")],
        created=dt.datetime(2025, 12, 31))


def test_an_edited_table_is_kept_whole_and_a_double_change_is_a_conflict(root, tmp_path):
    profile = load_profile(config.layout_profile_path(root=root))
    numbers = {"invest": {"name": "投资", "value": 12.3, "text": "12.3亿元"}}
    target = word.write_docx(_outline("12.3亿元", [["甲区", "1234.5"]]),
                             tmp_path / "unit" / "工作总结.docx", profile, numbers=numbers)
    d = docx.Document(str(target))
    d.tables[0].cell(1, 1).paragraphs[0].runs[0].text = "1300（核实后）"
    els = {e.id: e.xml for e in identity.read(d.element.body)}
    (para,) = [i for i in els if identity.text_of(els[i]).startswith("今年以来")]
    docx.text.paragraph.Paragraph(els[para], None).runs[0].text = "全年完成投资12.3亿元。"
    d.save(str(target))
    mine = target.read_bytes()
    numbers = {"invest": {"name": "投资", "value": 13.1, "text": "13.1亿元"}}
    staged = word.write_docx(_outline("13.1亿元", [["甲区", "1400"]]),
                             tmp_path / "staging" / "工作总结.docx", profile, numbers=numbers)
    done = edits.settle(staged, target)
    assert done.how == "merged" and done.backup.read_bytes() == mine
    merged = docx.Document(str(target))
    assert merged.tables[0].cell(1, 1).text == "1300（核实后）"   # the analyst's table
    texts = [p.text for p in merged.paragraphs]
    assert "全年完成投资12.3亿元。" in texts and "开展督导检查12次。" in texts
    conflicts = {c.id: c for c in done.report.conflicts}
    assert conflicts[para].mine == "全年完成投资12.3亿元。"
    assert conflicts[para].theirs == "今年以来，全市完成投资13.1亿元，同比增长5.6%。"
    assert len(conflicts) == 2   # the paragraph and the table
    assert [(s.old, s.new) for s in done.report.stale] == [("12.3亿元", "13.1亿元")]
    review = done.review.read_text(encoding="utf-8")
    assert "投资：12.3亿元 → 13.1亿元（段落：“全年完成投资12.3亿元。”）" in review
    assert "新生成：今年以来，全市完成投资13.1亿元" in review


# -- the notebook: its preview marks what a re-run keeps; writing by hand merges too ------

def _preview_rows(frame) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in frame[["类型", "来源", "文字"]].itertuples(index=False)]


def test_the_notebook_preview_marks_kept_blocks_and_writing_by_hand_merges(
        tmp_path: Path, out: Path) -> None:
    project = make_project(tmp_path / "p")

    def batch():
        return run_batch(2025, units=[UNIT], allow_missing=True, root=project, jobs=1)

    assert batch().results[0].status is Status.OK
    path = unit_docx(out, UNIT)
    edit = Edit(path)
    edit.apply(path)
    mine = path.read_bytes()
    generated_text = {b["id"]: b["text"] for b in record_of(path)["blocks"]}
    old = int(edit.numbers[EDITED_KEY]["value"])
    set_value(project / WORKBOOK, UNIT, 2025, "星级文明户", old + 111)

    # The analyst's notebook (output_dir None: the unit's own folder) previews the re-run.
    draft = huibao.unit_document("wenming_city", 2025, UNIT, data_path=WORKBOOK, root=project)
    doc = draft.build()
    rows = _preview_rows(draft.preview(doc))
    elsewhere = dataclasses.replace(draft, home=tmp_path / "nothing-there")
    plain = _preview_rows(elsewhere.preview(doc))
    assert len(rows) == len(plain) + 1            # the added paragraph, nothing else extra
    marked = [r for r in rows if r[1].startswith("人工")]
    assert sorted(r[1] for r in marked) == sorted(["人工删除", "人工修改（冲突）", "人工新增"])
    (kept,) = [r for r in rows if r[1] == "人工修改（冲突）"]
    assert kept[2] == edit.wording               # the analyst's words, not the new ones
    (added_at,) = [i for i, r in enumerate(rows) if r[1] == "人工新增"]
    assert rows[added_at][2] == edit.added
    assert rows[added_at - 1][2] == generated_text[edit.unedited]   # after what it followed
    (gone,) = [r for r in rows if r[1] == "人工删除"]
    assert gone[2] == generated_text[edit.deleted]
    unmarked = [r for r in rows if not r[1].startswith("人工")]
    assert all(r in plain for r in unmarked)

    # Writing from the notebook into the unit's folder merges like a batch run would.
    written = draft.write(doc)
    assert written == path
    assert draft.note and "已合并人工修改" in draft.note and "冲突 1 处" in draft.note
    merged = by_id(path)
    assert identity.text_of(merged[edit.edited]) == edit.wording
    assert edit.deleted not in merged
    assert identity.text_of(merged[edit.unedited].getnext()) == edit.added
    backups = sorted(path.parent.glob("工作总结.备份*.docx"))
    assert [b.read_bytes() for b in backups] == [mine]
    assert not list(path.parent.glob(".工作总结.生成中*"))


def test_a_batch_runs_notebook_records_the_marks_in_its_preview(tmp_path: Path,
                                                                 out: Path) -> None:
    project = make_project(tmp_path / "p")

    def batch():
        return run_batch(2025, units=[UNIT], allow_missing=True, root=project, jobs=1)

    assert batch().results[0].status is Status.OK
    path = unit_docx(out, UNIT)
    Edit(path).apply(path)
    notebook = path.with_suffix(".ipynb")
    assert "人工修改" not in _preview_output(notebook)
    set_value(project / WORKBOOK, UNIT, 2025, "推荐“身边好人”", 99)
    assert batch().results[0].status is Status.MERGED
    preview = _preview_output(notebook)
    assert "人工修改" in preview and "人工新增" in preview and "人工删除" in preview


def _preview_output(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c["cell_type"] == "code"
               and "".join(c["source"]).strip() == "draft.preview(doc)"]
    return json.dumps(cell.get("outputs", []), ensure_ascii=False)
