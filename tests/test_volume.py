"""huibao.render.volume binds unit documents into one volume (汇编); huibao.render.pdf exports PDFs.

Three small documents are written with huibao.render.word (one with a figure and a table, all
longer than a page), bound, and the volume is checked by its XML: TOC field, each part's
text against its standalone document, page breaks, section numbering, images, bytes.
With LibreOffice and poppler installed the volume is also rendered and the printed page
numbers and TOC numbers are read back; without them those tests are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree
from PIL import Image, ImageDraw

from huibao.errors import HuibaoError
from huibao.render import identity, pdf, reproducible, volume
from huibao.render import outline as o
from huibao.render.layout import LayoutProfile, load_profile
from huibao.render.volume import PART_TITLE_STYLE, TocEntry, VolumePart, bind, read_toc
from huibao.render.word import write_docx

PROFILE_PATH = Path(__file__).resolve().parents[1] / "templates" / "layout" / "gbt9704.yaml"
UNITS = ["示例县", "云溪区", "青山县"]
TITLE = "示例市2025年创建全国文明城市工作总结汇编"
COMPILER = "示例市文明办"
DATE = dt.date(2025, 12, 31)
R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"

can_render = pytest.mark.skipif(
    pdf.soffice() is None or shutil.which("pdftotext") is None,
    reason="未安装 LibreOffice / poppler（make render-deps 可安装），跳过 PDF 渲染检查",
)


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profile() -> LayoutProfile:
    return load_profile(PROFILE_PATH)


def _chart(path: Path) -> Path:
    image = Image.new("RGB", (1200, 600), "white")
    draw = ImageDraw.Draw(image)
    for i in range(6):
        draw.rectangle([100 + i * 170, 430 - 60 * i, 200 + i * 170, 550], fill=(60, 90, 160))
    image.save(path, dpi=(200, 200))
    return path


def _document(unit: str, paragraphs: int, chart: Path | None) -> o.Document:
    sentence = (f"{unit}坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实党的二十大精神，"
                "扎实推进全国文明城市创建工作，取得了明显成效。")
    blocks: list[o.Block] = [o.Heading(1, "主要工作及成效"),
                             o.Paragraph(f"{unit}全年完成投资12.3亿元，同比增长5.6%。")]
    blocks += [o.Paragraph(sentence * 3) for _ in range(paragraphs)]
    blocks += [o.Heading(2, "强化组织领导"),
               o.Heading(3, "健全机制。", body="成立领导小组，每月调度一次。")]
    if chart is not None:
        blocks += [o.Figure(chart, "各乡镇测评得分"),
                   o.Table("各乡镇投入情况", ["乡镇", "投入", "同比"],
                           [["甲镇", "1,234.5", "5.6%"], ["乙乡", "987.0", "-1.2%"]],
                           unit_note="单位：万元", notes=["注：数据截至12月31日。"])]
    blocks += [o.Heading(1, "存在的问题"), o.Paragraph("一些社区阵地建设滞后。")]
    return o.Document(title=f"{unit}2025年创建全国文明城市工作总结", blocks=blocks,
                      author=f"{unit}文明办", created=dt.datetime(2025, 12, 31),
                      signature=o.Signature(f"{unit}精神文明建设指导委员会办公室", DATE))


@pytest.fixture(scope="module")
def parts(tmp_path_factory, profile: LayoutProfile) -> list[VolumePart]:
    folder = tmp_path_factory.mktemp("parts")
    chart = _chart(folder / "chart.png")
    made = []
    for i, unit in enumerate(UNITS):
        doc = _document(unit, 5 + 4 * i, chart if i == 1 else None)
        made.append(VolumePart(doc.title, write_docx(doc, folder / unit / "工作总结.docx",
                                                     profile)))
    return made


def _bind(parts: list[VolumePart], out: Path, profile: LayoutProfile, **kw) -> Path:
    return bind(parts, out, title=TITLE, compiler=COMPILER, date=DATE, profile=profile, **kw)


@pytest.fixture(scope="module")
def bound(parts, profile, tmp_path_factory) -> Path:
    """A volume without TOC page numbers (no rendering: fast)."""
    return _bind(parts, tmp_path_factory.mktemp("volume") / "汇编.docx", profile,
                 paginate=False)


# -- reading helpers --------------------------------------------------------------------


def _blocks(elements, parent) -> list[str]:
    """Texts of body elements in order: a paragraph's text, a table's cells row by row."""
    texts = []
    for el in elements:
        if el.tag == qn("w:p"):
            texts.append(Paragraph(el, parent).text)
        elif el.tag == qn("w:tbl"):
            texts += ["|".join(c.text for c in row.cells) for row in Table(el, parent).rows]
    return texts


def _part_ranges(document) -> list[list]:
    """The volume's body split at the part titles (paragraphs of style Part Title)."""
    style_id = document.styles[PART_TITLE_STYLE].style_id
    body = [el for el in document.element.body if el.tag != qn("w:sectPr")]
    starts = [i for i, el in enumerate(body)
              if el.tag == qn("w:p") and el.xpath(f"./w:pPr/w:pStyle[@w:val='{style_id}']")]
    return [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]


def _xml(el) -> bytes:
    return re.sub(rb' w:rsid\w*="[^"]*"', b"", etree.tostring(el))


def _sections(document) -> list:
    body = document.element.body
    return [*body.xpath("./w:p/w:pPr/w:sectPr"), body.sectPr]


def _footer_has_page_field(document, sect, kind: str) -> bool:
    ref = sect.find(f"w:footerReference[@w:type='{kind}']", sect.nsmap)
    if ref is None:
        return False
    footer = document.part.related_parts[ref.get(qn("r:id"))]
    instr = "".join(t.text or "" for t in footer.element.iter(qn("w:instrText")))
    return instr.strip() == "PAGE"


# -- structure --------------------------------------------------------------------------


def test_volume_opens_and_its_toc_field_lists_every_part_in_order(bound: Path, parts) -> None:
    document = open_docx(str(bound))
    instr = [t.text for t in document.element.body.iter(qn("w:instrText"))]
    toc = [i for i in instr if i.strip().startswith("TOC")]
    assert toc == [volume.TOC_INSTRUCTION]
    assert f'\\t "{PART_TITLE_STYLE},1"' in toc[0] and "\\h" in toc[0]
    assert read_toc(bound) == [TocEntry(p.heading, None) for p in parts]
    kinds = [f.get(qn("w:fldCharType")) for f in document.element.body.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", *["begin", "separate", "end"] * len(parts), "end"]
    assert document.settings.element.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_each_part_reads_exactly_as_its_standalone_document(bound: Path, parts) -> None:
    document = open_docx(str(bound))
    ranges = _part_ranges(document)
    assert len(ranges) == len(parts)
    for part, elements in zip(parts, ranges, strict=True):
        alone = open_docx(str(part.path))
        expected = _blocks([el for el in alone.element.body if el.tag != qn("w:sectPr")],
                           alone._body)
        assert _blocks(elements, document._body) == expected
        assert expected[0] == part.heading


def test_part_titles_keep_their_look_and_are_collected_by_the_toc(bound: Path, parts) -> None:
    document = open_docx(str(bound))
    style = document.styles[PART_TITLE_STYLE]
    assert style.base_style.name == "Title"
    ppr = style.element.find(qn("w:pPr"))
    assert [c.tag for c in ppr] == [qn("w:outlineLvl")]
    assert ppr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"
    anchors = [link.get(qn("w:anchor")) for link in document.element.body.iter(qn("w:hyperlink"))]
    for part, elements, anchor in zip(parts, _part_ranges(document), anchors, strict=True):
        alone = open_docx(str(part.path)).element.body[0]
        runs = [etree.tostring(r) for r in elements[0].iter(qn("w:r"))]
        assert runs == [etree.tostring(r) for r in alone.iter(qn("w:r"))]
        mark = elements[0].find(qn("w:bookmarkStart"))  # the TOC entry links to its title
        assert mark.get(qn("w:name")) == anchor
        end = elements[0].find(qn("w:bookmarkEnd"))
        assert end.get(qn("w:id")) == mark.get(qn("w:id"))
    ids = [b.get(qn("w:id")) for b in document.element.body.iter(qn("w:bookmarkStart"))]
    assert len(ids) == len(set(ids)) == len(parts)


def test_every_part_starts_on_a_new_page(bound: Path) -> None:
    document = open_docx(str(bound))
    body = list(document.element.body)
    for n, elements in enumerate(_part_ranges(document)):
        title = elements[0]
        before = body[body.index(title) - 1]
        section_break = before.find("w:pPr/w:sectPr", before.nsmap) is not None
        page_break = title.find("w:pPr/w:pageBreakBefore", title.nsmap) is not None
        assert section_break if n == 0 else page_break, n
    section_type = document.element.body.sectPr.find(qn("w:type"))
    assert section_type is None or section_type.get(qn("w:val")) in {"nextPage", "oddPage"}


def test_page_numbers_start_at_1_on_the_body_and_never_restart(bound: Path) -> None:
    document = open_docx(str(bound))
    front, *body = _sections(document)
    assert not front.findall(qn("w:footerReference"))  # cover and TOC: no page number
    assert body
    starts = [s.find(qn("w:pgNumType")) for s in body]
    assert starts[0].get(qn("w:start")) == "1"
    assert all(s is None or s.get(qn("w:start")) is None for s in starts[1:])
    for sect in body:
        assert sect.find(qn("w:titlePg")) is None
        assert _footer_has_page_field(document, sect, "default")
        assert _footer_has_page_field(document, sect, "even")  # odd/even footers (GB/T 9704)


def test_cover_has_title_compiler_and_chinese_date(bound: Path, profile) -> None:
    document = open_docx(str(bound))
    body = list(document.element.body)
    front_end = next(i for i, el in enumerate(body) if el.find("w:pPr/w:sectPr", el.nsmap)
                     is not None)
    front = [Paragraph(el, document._body) for el in body[:front_end + 1]]
    texts = [p.text.replace("\n", "") for p in front if p.text]
    assert texts[:3] == [TITLE, COMPILER, "2025年12月31日"]
    assert texts[3] == volume.TOC_HEADING
    title = next(p for p in front if p.text.replace("\n", "") == TITLE)
    assert title.style.name == "Title"
    el = profile.elements.title
    for run in title.runs:
        fonts = run._r.find("w:rPr/w:rFonts", run._r.nsmap)
        assert fonts.get(qn("w:eastAsia")) == el.font
        assert run.font.size.pt == el.size_pt
    cover_break = next(p for p in front if p.text == volume.TOC_HEADING)
    assert cover_break._p.find("w:pPr/w:pageBreakBefore", cover_break._p.nsmap) is not None


def test_images_and_tables_of_the_parts_are_intact(bound: Path, parts) -> None:
    document = open_docx(str(bound))
    blips = list(document.element.body.iter(qn("a:blip")))
    alone = open_docx(str(parts[1].path))
    alone_blips = list(alone.element.body.iter(qn("a:blip")))
    assert len(blips) == len(alone_blips) == 1
    image = document.part.related_parts[blips[0].get(R_EMBED)]
    original = alone.part.related_parts[alone_blips[0].get(R_EMBED)]
    assert image.blob == original.blob
    assert len(document.tables) == len(alone.tables) == 1
    identity.strip(alone.element.body)   # the volume carries no block identities
    assert _xml(document.tables[0]._tbl) == _xml(alone.tables[0]._tbl)
    assert not any(b.get(qn("w:name")).startswith(identity.PREFIX)
                   for b in document.element.body.iter(qn("w:bookmarkStart")))


def test_the_same_inputs_give_byte_identical_volumes(parts, profile, tmp_path) -> None:
    first = _bind(parts, tmp_path / "a.docx", profile, paginate=False)
    second = _bind(parts, tmp_path / "b.docx", profile, paginate=False)
    assert first.read_bytes() == second.read_bytes()
    core = open_docx(str(first)).core_properties
    assert (core.title, core.author) == (TITLE, COMPILER)
    assert core.created == dt.datetime(2025, 12, 31, tzinfo=dt.UTC)


def test_a_long_toc_entry_breaks_at_a_word_boundary(parts, profile, tmp_path) -> None:
    long = "关于示例县东湖街道2025年创建“文明集镇”工作情况的汇报"
    out = _bind([VolumePart(long, parts[0].path)], tmp_path / "汇编.docx", profile,
                paginate=False)
    assert read_toc(out) == [TocEntry(long, None)]
    entry = next(open_docx(str(out)).element.body.iter(qn("w:hyperlink")))
    texts = [t.text for t in entry.iter(qn("w:t"))]
    assert texts[:2] == ["关于示例县东湖街道2025年创建“文明集镇”", "工作情况的汇报"]
    assert len(list(entry.iter(qn("w:br")))) == 1


def test_part_from_docx_takes_the_document_title(parts) -> None:
    assert volume.part_from_docx(parts[0].path) == parts[0]
    assert volume.part_from_docx(parts[0].path, "示例县").heading == "示例县"


# -- failures ---------------------------------------------------------------------------


def test_a_missing_part_names_the_file_and_writes_nothing(parts, profile, tmp_path) -> None:
    out = tmp_path / "汇编.docx"
    gone = VolumePart("缺失县2025年工作总结", tmp_path / "缺失县" / "工作总结.docx")
    with pytest.raises(HuibaoError, match=r"不存在.*缺失县"):
        _bind([parts[0], gone], out, profile, paginate=False)
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_part_names_the_file(parts, profile, tmp_path) -> None:
    bad = tmp_path / "损坏.docx"
    bad.write_text("不是 Word 文件", encoding="utf-8")
    with pytest.raises(HuibaoError, match=r"无法读取.*损坏\.docx"):
        _bind([parts[0], VolumePart("损坏", bad)], tmp_path / "汇编.docx", profile,
              paginate=False)
    assert not (tmp_path / "汇编.docx").exists()


def test_a_failed_write_keeps_the_old_volume_and_leaves_no_temporary_file(
        parts, profile, tmp_path, monkeypatch) -> None:
    out = tmp_path / "汇编.docx"
    out.write_bytes(b"old volume")

    def broken(document, path, when):
        Path(path).write_bytes(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(reproducible, "save_docx", broken)
    with pytest.raises(OSError, match="disk full"):
        _bind(parts, out, profile, paginate=False)
    assert out.read_bytes() == b"old volume"
    assert [p.name for p in tmp_path.iterdir()] == ["汇编.docx"]


def test_an_empty_volume_is_refused(profile, tmp_path) -> None:
    with pytest.raises(HuibaoError, match="至少需要一篇"):
        _bind([], tmp_path / "汇编.docx", profile)


def test_required_pagination_without_libreoffice_says_how_to_install(
        parts, profile, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(HuibaoError, match="make render-deps"):
        _bind(parts, tmp_path / "汇编.docx", profile, paginate=True)
    out = _bind(parts, tmp_path / "汇编.docx", profile)  # default: no numbers, Word fills them
    assert [e.page for e in read_toc(out)] == [None] * len(parts)


def test_export_pdfs_without_libreoffice_says_how_to_install(bound, monkeypatch) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(HuibaoError, match="make render-deps") as info:
        pdf.export_pdfs([bound])
    assert "apt-get install libreoffice" in str(info.value)
    assert pdf.export_pdfs([]) == []


def test_locate_titles_reads_the_printed_number_of_the_page_a_title_opens() -> None:
    pages = ["示例市汇编\n", "目录\n示例县…1\n云溪区…3\n",
             "  示例县2025年\n 工作总结\n正文\n          — 1 —\n", "正文\n— 2 —\n",
             "云溪区2025年工作总结\n— 3 —\n", ""]
    titles = ["示例县2025年工作总结", "云溪区2025年工作总结", "青山县2025年工作总结"]
    assert volume.locate_titles(pages, titles) == [1, 3, None]
    assert volume.page_number("x\n  —\u200912\u2009—  \n\n") == 12


# -- rendered (LibreOffice + poppler) ----------------------------------------------------


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def _footer(page: str) -> int | None:
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    match = re.fullmatch(r"—\s*(\d+)\s*—", lines[-1]) if lines else None
    return int(match[1]) if match else None


@pytest.fixture(scope="module")
def rendered(parts, profile, tmp_path_factory) -> dict:
    if pdf.soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("未安装 LibreOffice / poppler（make render-deps 可安装），跳过 PDF 渲染检查")
    folder = tmp_path_factory.mktemp("rendered")
    start = time.monotonic()
    path = _bind(parts, folder / "汇编.docx", profile)  # paginated: LibreOffice is there
    bind_seconds = time.monotonic() - start
    pdfs = pdf.export_pdfs([path, *(p.path for p in parts)])  # next to each .docx
    return {"docx": path, "pdf": pdfs[0], "parts": pdfs[1:], "bind_seconds": bind_seconds}


@can_render
def test_body_pages_are_numbered_consecutively_from_1(rendered) -> None:
    pages = _pdf_pages(rendered["pdf"])
    numbers = [_footer(p) for p in pages]
    assert numbers[:2] == [None, None]  # cover, TOC
    assert numbers[2:] == list(range(1, len(pages) - 1))


@can_render
def test_toc_page_numbers_are_where_each_part_title_is_printed(rendered, parts) -> None:
    toc = read_toc(rendered["docx"])
    assert [e.heading for e in toc] == [p.heading for p in parts]
    pages = _pdf_pages(rendered["pdf"])
    printed = []
    for part in parts:
        opening = [_footer(p) for p in pages
                   if "".join(p.split()).startswith(part.heading) and _footer(p)]
        assert len(opening) == 1, part.heading
        printed.append(opening[0])
    assert [e.page for e in toc] == printed
    # …and where the standalone documents' page counts put them
    counts = [len(_pdf_pages(p)) for p in rendered["parts"]]
    assert printed == [1 + sum(counts[:i]) for i in range(len(counts))]
    assert sum(counts) == len(pages) - 2


@can_render
def test_toc_page_shows_the_entries_with_their_numbers(rendered, parts) -> None:
    toc_page = _pdf_pages(rendered["pdf"])[1]
    lines = ["".join(line.split()) for line in toc_page.splitlines() if line.strip()]
    assert lines[0] == "目录"
    for entry, line in zip(read_toc(rendered["docx"]), lines[1:], strict=True):
        assert re.fullmatch(re.escape(entry.heading) + r"[.…·]+" + str(entry.page), line)


@can_render
def test_binding_with_pagination_stays_quick(rendered) -> None:
    assert rendered["bind_seconds"] < 30


@can_render
def test_export_pdfs_converts_documents_of_the_same_name_next_to_them_in_one_call(
        parts, tmp_path, monkeypatch) -> None:
    docs = []
    for part in parts[:2]:
        docs.append(tmp_path / part.path.parent.name / "工作总结.docx")
        docs[-1].parent.mkdir()
        shutil.copyfile(part.path, docs[-1])
    calls = []
    real_popen = pdf.subprocess.Popen

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "Popen", counting)
    made = pdf.export_pdfs(docs)
    assert len(calls) == 1
    assert made == [d.with_suffix(".pdf") for d in docs]
    for part, path in zip(parts[:2], made, strict=True):
        first_page = _pdf_pages(path)[0]
        assert "".join(first_page.split()).startswith(part.heading)
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["工作总结.docx", "工作总结.pdf"] * 2 + [d.parent.name for d in docs])


@can_render
def test_export_pdfs_refuses_two_documents_that_would_overwrite_one_pdf(parts, tmp_path):
    with pytest.raises(HuibaoError, match="同一个 PDF"):
        pdf.export_pdfs([p.path for p in parts], tmp_path)
    assert list(tmp_path.iterdir()) == []
