"""huibao.render.word and huibao.render.layout: the .docx is checked by XML shape, not by eye."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document as open_docx
from lxml import etree
from PIL import Image

from huibao.errors import HuibaoError, PackError
from huibao.render import outline as o
from huibao.render.layout import LayoutProfile, load_profile
from huibao.render.word import title_lines, write_docx

PROFILE_PATH = Path(__file__).resolve().parents[1] / "templates" / "layout" / "gbt9704.yaml"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
SIGNATORY = "某某市精神文明建设指导委员会办公室"  # 17 characters


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def wval(el, path: str, attr: str = "val"):
    found = el.find(path, NS)
    return None if found is None else found.get(w(attr))


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profile() -> LayoutProfile:
    return load_profile(PROFILE_PATH)


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "chart.png"
    Image.new("RGB", (1200, 600), "white").save(path, dpi=(200, 200))
    return path


def make_document(image: Path, date: dt.date = dt.date(2025, 1, 5)) -> o.Document:
    return o.Document(
        title="某某市2025年精神文明建设工作总结",
        author="某某市文明办",
        keywords="精神文明,年度总结",
        created=dt.datetime(2025, 12, 31, 9, 30, tzinfo=dt.UTC),
        blocks=[
            o.Heading(1, "主要工作"),
            o.Paragraph("今年以来，全市完成投资12.3亿元，同比增长5.6%。"),
            o.Heading(2, "强化组织领导"),
            o.Heading(3, "健全机制。", body="成立领导小组，每月调度一次。"),
            o.Heading(4, "细化分工。", body="明确责任单位。"),
            o.Heading(4, "压实责任。", body="层层签订责任书。"),
            o.Heading(3, "加强督导"),
            o.Paragraph("开展督导检查12次。"),
            o.Heading(2, "深化创建"),
            o.Figure(image, "各区县测评得分"),
            o.Table(
                "各区县投入情况",
                ["区县", "投入", "同比"],
                [["甲区", "1,234.5", "5.6%"], ["乙县", "987.0", "-1.2%"]],
                unit_note="单位：万元",
                notes=["注：数据截至12月31日。"],
            ),
            o.Heading(1, "存在问题"),
            o.Heading(2, "基层基础薄弱"),
            o.Paragraph("一些社区阵地建设滞后。"),
        ],
        signature=o.Signature(SIGNATORY, date),
    )


@pytest.fixture
def written(tmp_path: Path, png: Path, profile: LayoutProfile) -> Path:
    return write_docx(make_document(png), tmp_path / "总结.docx", profile)


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def footers(path: Path) -> dict[str, etree._Element]:
    """Footer roots by w:footerReference type (default, even)."""
    doc = open_docx(str(path))
    sect = doc.sections[0]._sectPr
    rels = doc.part.rels
    out = {}
    for ref in sect.findall("w:footerReference", NS):
        rid = ref.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        out[ref.get(w("type"))] = etree.fromstring(rels[rid].target_part.blob)
    return out


def body_items(path: Path) -> list[etree._Element]:
    return list(part(path, "word/document.xml").find("w:body", NS))


def text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(w("t")))


def paragraphs(path: Path) -> list[etree._Element]:
    return [e for e in body_items(path) if e.tag == w("p")]


def pstyle(p: etree._Element) -> str | None:
    return wval(p, "w:pPr/w:pStyle")


# -- page and grid --------------------------------------------------------------------


def test_page_size_margins_and_grid_in_twips(written: Path):
    sect = part(written, "word/document.xml").find("w:body/w:sectPr", NS)
    assert (wval(sect, "w:pgSz", "w"), wval(sect, "w:pgSz", "h")) == ("11906", "16838")
    mar = sect.find("w:pgMar", NS)
    got = {k: mar.get(w(k)) for k in ("top", "bottom", "left", "right")}
    assert got == {"top": "2098", "bottom": "1984", "left": "1588", "right": "1474"}
    grid = sect.find("w:docGrid", NS)
    assert grid.get(w("type")) == "lines"
    assert grid.get(w("linePitch")) == "579"
    assert grid.get(w("charSpace")) is None


def test_default_grid_squeezes_16pt_styles_to_28_characters(written: Path,
                                                            profile: LayoutProfile):
    styles = part(written, "word/styles.xml")
    for style_id in ("BodyText", "Heading1", "Heading2", "Heading3"):
        rpr = styles.find(f"w:style[@w:styleId='{style_id}']/w:rPr", NS)
        assert wval(rpr, "w:spacing") == "-5"
    area_w_pt = profile.type_area_twips[0] / 20
    pitch = profile.elements.body.size_pt + profile.char_spacing_twentieths / 20
    assert int(area_w_pt // pitch) == 28
    title = styles.find("w:style[@w:styleId='Title']/w:rPr", NS)
    assert title.find("w:spacing", NS) is None


def test_docgrid_method_writes_words_character_grid(tmp_path: Path):
    prof = load_profile(PROFILE_PATH, {"grid": {"method": "docgrid"}})
    out = write_docx(o.Document("标题", [o.Paragraph("正文")]), tmp_path / "g.docx", prof)
    sect = part(out, "word/document.xml").find("w:body/w:sectPr", NS)
    grid = sect.find("w:docGrid", NS)
    assert (grid.get(w("type")), grid.get(w("charSpace"))) == ("linesAndChars", "-849")
    body = part(out, "word/styles.xml").find("w:style[@w:styleId='BodyText']/w:rPr", NS)
    assert body.find("w:spacing", NS) is None


def test_char_space_gives_28_characters_per_line(profile: LayoutProfile):
    area_w_pt = profile.type_area_twips[0] / 20
    assert area_w_pt == pytest.approx(442.2)
    pitch = profile.elements.body.size_pt + profile.char_space / 4096
    assert int(area_w_pt // pitch) == 28
    assert area_w_pt / pitch < 28.01


def test_body_line_spacing_exactly_579_twips(written: Path):
    styles = part(written, "word/styles.xml")
    for style_id in ("Normal", "BodyText", "Heading1", "Heading3"):
        spacing = styles.find(f"w:style[@w:styleId='{style_id}']/w:pPr/w:spacing", NS)
        assert spacing.get(w("line")) == "579"
        assert spacing.get(w("lineRule")) == "exact"
        assert (spacing.get(w("before")), spacing.get(w("after"))) == ("0", "0")
    body = styles.find("w:style[@w:styleId='BodyText']/w:pPr", NS)
    assert wval(body, "w:ind", "firstLine") == "640"
    assert wval(body, "w:jc") == "both"
    assert [pstyle(p) for p in paragraphs(written)].count("BodyText") == 3


# -- fonts ----------------------------------------------------------------------------

EXPECTED_EAST_ASIA = {
    "Title": {"方正小标宋简体"},
    "Heading1": {"黑体"},
    "Heading2": {"楷体_GB2312"},
    "Heading3": {"仿宋_GB2312"},
    "Heading4": {"仿宋_GB2312"},
    "BodyText": {"仿宋_GB2312"},
    "Caption": {"仿宋_GB2312", "黑体"},
    "NoteText": {"仿宋_GB2312"},
    "TableText": {"仿宋_GB2312", "黑体"},
    None: {"仿宋_GB2312"},
}


def test_every_run_has_all_four_fonts_and_the_right_east_asian_face(written: Path):
    doc = part(written, "word/document.xml")
    runs = 0
    for p in doc.iter(w("p")):
        for r in p.findall("w:r", NS):
            if r.find("w:t", NS) is None:
                continue
            runs += 1
            fonts = r.find("w:rPr/w:rFonts", NS)
            assert fonts is not None, text(r)
            assert fonts.get(w("ascii")) == fonts.get(w("hAnsi")) == "Times New Roman"
            assert fonts.get(w("cs")) == "Times New Roman"
            assert fonts.get(w("eastAsia")) in EXPECTED_EAST_ASIA[pstyle(p)], text(r)
            assert wval(r, "w:rPr/w:lang", "eastAsia") == "zh-CN"
    assert runs > 20


def test_every_style_has_explicit_fonts_and_no_theme_leaks(written: Path):
    styles = part(written, "word/styles.xml")
    checked = 0
    for style in styles.findall("w:style", NS):
        if style.get(w("type")) not in {"paragraph", "table"}:
            assert style.find("w:rPr", NS) is None
            continue
        checked += 1
        fonts = style.find("w:rPr/w:rFonts", NS)
        name = wval(style, "w:name")
        assert fonts is not None, name
        assert all(fonts.get(w(k)) for k in ("ascii", "hAnsi", "eastAsia", "cs")), name
        assert wval(style, "w:rPr/w:lang", "eastAsia") == "zh-CN", name
        assert wval(style, "w:rPr/w:color") == "000000", name
        assert style.find("w:rPr/w:color", NS).get(w("themeColor")) is None
    assert checked >= 12
    defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    assert wval(defaults, "w:rFonts", "eastAsia") == "仿宋_GB2312"
    assert wval(defaults, "w:lang", "eastAsia") == "zh-CN"
    for root in (styles, part(written, "word/document.xml")):
        for fonts in root.iter(w("rFonts")):
            themed = [a for a in fonts.attrib if a.lower().endswith("theme")]
            assert not themed


def test_heading_styles_are_rewritten_black_upright_with_outline_levels(
    written: Path, profile: LayoutProfile
):
    styles = part(written, "word/styles.xml")
    for level in range(1, 5):
        style = styles.find(f"w:style[@w:styleId='Heading{level}']", NS)
        el = profile.elements.heading(level)
        assert wval(style, "w:rPr/w:rFonts", "eastAsia") == el.font
        assert wval(style, "w:rPr/w:sz") == "32"
        assert wval(style, "w:rPr/w:b") == str(int(el.bold))
        assert wval(style, "w:rPr/w:i") == "0"
        assert wval(style, "w:pPr/w:outlineLvl") == str(level - 1)
        assert wval(style, "w:pPr/w:ind", "firstLine") == "640"
    title = styles.find("w:style[@w:styleId='Title']", NS)
    assert wval(title, "w:pPr/w:jc") == "center"
    assert wval(title, "w:rPr/w:sz") == "44"
    assert wval(title, "w:rPr/w:b") == "0"
    assert title.find("w:pPr/w:pBdr", NS) is None


def test_font_table_declares_chinese_faces_with_fallbacks(written: Path):
    fonts = part(written, "word/fontTable.xml")
    alt = {f.get(w("name")): wval(f, "w:altName") for f in fonts.findall("w:font", NS)}
    assert alt["仿宋_GB2312"] == "仿宋"
    assert alt["楷体_GB2312"] == "楷体"
    assert "Times New Roman" in alt
    assert not [name for name in alt if "明朝" in name]


def test_template_leftovers_are_dropped(written: Path):
    with zipfile.ZipFile(written) as z:
        names = z.namelist()
    assert not [n for n in names if "thumbnail" in n or "stylesWithEffects" in n]


# -- headings -------------------------------------------------------------------------


def test_heading_numbers_follow_levels_and_restart_under_each_parent(written: Path):
    heads = [text(p) for p in paragraphs(written) if (pstyle(p) or "").startswith("Heading")]
    marker = re.compile(r"^([一二三四五六七八九十]+、|（[一二三]）|\d\.|（\d）)")
    numbers = [marker.match(h)[1] for h in heads]
    assert numbers == ["一、", "（一）", "1.", "（1）", "（2）", "2.", "（二）", "二、", "（一）"]


def test_leaving_out_a_section_leaves_no_gap(tmp_path: Path, png: Path, profile):
    doc = make_document(png)
    dropped = {"强化组织领导", "健全机制。", "细化分工。", "压实责任。", "加强督导"}
    doc.blocks = [b for b in doc.blocks if not (isinstance(b, o.Heading) and b.text in dropped)]
    path = write_docx(doc, tmp_path / "short.docx", profile)
    heads = [text(p) for p in paragraphs(path) if (pstyle(p) or "").startswith("Heading")]
    assert heads == ["一、主要工作", "（一）深化创建", "二、存在问题", "（一）基层基础薄弱"]


def test_run_in_heading_is_a_bold_run_followed_by_a_plain_body_run(written: Path):
    p = next(p for p in paragraphs(written) if text(p).startswith("1.健全机制"))
    assert pstyle(p) == "Heading3"
    head, body = p.findall("w:r", NS)
    assert text(head) == "1.健全机制。"
    assert wval(head, "w:rPr/w:b") == "1"
    assert text(body) == "成立领导小组，每月调度一次。"
    assert wval(body, "w:rPr/w:b") == "0"
    assert wval(body, "w:rPr/w:rFonts", "eastAsia") == "仿宋_GB2312"
    assert wval(p, "w:pPr/w:keepNext") == "0"
    own_line = next(p for p in paragraphs(written) if text(p) == "一、主要工作")
    assert wval(own_line, "w:pPr/w:keepNext") == "1"


def test_skipped_heading_level_is_rejected(tmp_path: Path, profile):
    doc = o.Document("标题", blocks=[o.Heading(1, "一级"), o.Heading(3, "三级", body="正文。")])
    with pytest.raises(HuibaoError, match="跳级"):
        write_docx(doc, tmp_path / "bad.docx", profile)
    assert not (tmp_path / "bad.docx").exists()


# -- page numbers ---------------------------------------------------------------------


def field_shape(ftr: etree._Element) -> list[str]:
    """Run-by-run tokens: text, fldChar types and instructions."""
    tokens = []
    for r in ftr.iter(w("r")):
        for el in r:
            if el.tag == w("t"):
                tokens.append(el.text)
            elif el.tag == w("fldChar"):
                tokens.append(el.get(w("fldCharType")))
            elif el.tag == w("instrText"):
                tokens.append(f"instr:{el.text}")
    return tokens


def test_page_number_fields_in_odd_and_even_footers(written: Path):
    settings = part(written, "word/settings.xml")
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    by_type = footers(written)
    assert set(by_type) == {"default", "even"}
    expected = ["— ", "begin", "instr: PAGE ", "separate", "1", "end", " —"]
    for ftr in by_type.values():
        assert field_shape(ftr) == expected
        assert "\u2014" in text(ftr)
        for r in ftr.iter(w("r")):
            assert wval(r, "w:rPr/w:rFonts", "eastAsia") == "宋体"
            assert wval(r, "w:rPr/w:sz") == "28"
    odd, even = by_type["default"].find("w:p/w:pPr", NS), by_type["even"].find("w:p/w:pPr", NS)
    assert wval(odd, "w:jc") == "right" and wval(odd, "w:ind", "right") == "280"
    assert wval(even, "w:jc") == "left" and wval(even, "w:ind", "left") == "280"


def test_centred_page_numbers_when_the_profile_says_so(tmp_path: Path, png: Path):
    profile = load_profile(PROFILE_PATH, {"page_number": {"mode": "centered"}})
    path = write_docx(make_document(png), tmp_path / "c.docx", profile)
    assert part(path, "word/settings.xml").find("w:evenAndOddHeaders", NS) is None
    by_type = footers(path)
    assert set(by_type) == {"default"}
    assert wval(by_type["default"], "w:p/w:pPr/w:jc") == "center"
    assert "PAGE" in "".join(field_shape(by_type["default"]))


# -- figures and tables ---------------------------------------------------------------


def test_figure_is_centred_and_captioned_below(written: Path):
    items = body_items(written)
    i = next(i for i, e in enumerate(items) if e.find(".//w:drawing", NS) is not None)
    pic, caption = items[i], items[i + 1]
    assert wval(pic, "w:pPr/w:jc") == "center"
    assert wval(pic, "w:pPr/w:spacing", "lineRule") == "auto"  # not clipped to 28.95 pt
    assert pstyle(caption) == "Caption"
    assert text(caption) == "图1\u3000各区县测评得分"
    extent = pic.find(".//{*}extent")
    assert int(extent.get("cx")) <= 156 * 36000


def test_three_line_table_with_caption_above_and_consistent_widths(written: Path,
                                                                   profile: LayoutProfile):
    items = body_items(written)
    i = next(i for i, e in enumerate(items) if e.tag == w("tbl"))
    caption, unit, tbl, note = items[i - 2], items[i - 1], items[i], items[i + 1]
    assert text(caption) == "表1\u3000各区县投入情况" and pstyle(caption) == "Caption"
    assert wval(caption, "w:r/w:rPr/w:rFonts", "eastAsia") == "黑体"
    assert text(unit) == "单位：万元" and wval(unit, "w:pPr/w:jc") == "right"
    assert text(note) == "注：数据截至12月31日。"

    grid = [int(c.get(w("w"))) for c in tbl.findall("w:tblGrid/w:gridCol", NS)]
    assert len(grid) == 3 and sum(grid) == 8844
    assert wval(tbl, "w:tblPr/w:tblW", "w") == "8844"
    assert wval(tbl, "w:tblPr/w:tblW", "type") == "dxa"
    assert wval(tbl, "w:tblPr/w:tblLayout", "type") == "fixed"
    rows = tbl.findall("w:tr", NS)
    for tr in rows:
        assert [int(wval(tc, "w:tcPr/w:tcW", "w")) for tc in tr.findall("w:tc", NS)] == grid
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
    assert all(tr.find("w:trPr/w:tblHeader", NS) is None for tr in rows[1:])

    borders = tbl.find("w:tblPr/w:tblBorders", NS)
    assert wval(borders, "w:top", "sz") == wval(borders, "w:bottom", "sz") == "12"
    for side in ("left", "right", "insideV", "insideH"):
        assert wval(borders, f"w:{side}") == "nil"
    for tc in rows[0].findall("w:tc", NS):
        assert wval(tc, "w:tcPr/w:tcBorders/w:bottom", "sz") == "6"
        assert wval(tc, ".//w:r/w:rPr/w:rFonts", "eastAsia") == "黑体"
    for tc in rows[1].findall("w:tc", NS):
        assert wval(tc, ".//w:r/w:rPr/w:rFonts", "eastAsia") == "仿宋_GB2312"
        assert wval(tc, ".//w:r/w:rPr/w:sz") == str(profile.elements.table.half_points)


def test_ragged_table_row_is_rejected(tmp_path: Path, profile):
    doc = o.Document("标题", blocks=[o.Table("表", ["甲", "乙"], [["1"]])])
    with pytest.raises(HuibaoError, match="第1行有1列"):
        write_docx(doc, tmp_path / "t.docx", profile)


# -- signature ------------------------------------------------------------------------


def signature_block(path: Path) -> tuple[etree._Element, etree._Element, etree._Element]:
    ps = paragraphs(path)
    return ps[-3], ps[-2], ps[-1]


def test_signature_right_aligned_and_date_shifted_two_characters(written: Path,
                                                                 profile: LayoutProfile):
    blank, sig, date = signature_block(written)
    assert text(blank) == ""
    assert text(sig) == SIGNATORY
    assert text(date) == "2025年1月5日"  # no zero padding
    pitch = 320 - 5  # 16 pt less the −0.25 pt squeeze, twips
    assert wval(sig, "w:pPr/w:jc") == "right"
    assert int(wval(sig, "w:pPr/w:ind", "right")) == 2 * pitch
    sig_start = profile.type_area_twips[0] - 2 * pitch - 17 * pitch  # 17 CJK characters
    assert wval(date, "w:pPr/w:jc") == "left"
    assert int(wval(date, "w:pPr/w:ind", "left")) == sig_start + 2 * pitch
    assert int(wval(date, "w:pPr/w:ind", "firstLine")) == 0


def test_a_date_longer_than_the_signatory_keeps_the_two_character_space(tmp_path: Path, profile):
    doc = o.Document("标题", signature=o.Signature("某某局", dt.date(2025, 12, 31)))
    path = write_docx(doc, tmp_path / "s.docx", profile)
    _, sig, date = signature_block(path)
    assert text(date) == "2025年12月31日"
    pitch = 315
    assert wval(date, "w:pPr/w:jc") == "right"
    assert int(wval(date, "w:pPr/w:ind", "right")) == 2 * pitch
    # date 7 characters wide, 署名 3: 署名 starts 2 characters left of the date.
    assert int(wval(sig, "w:pPr/w:ind", "right")) == (2 + 7 + 2 - 3) * pitch


# -- properties, atomicity, determinism -----------------------------------------------


def test_core_properties_are_set_and_deterministic(written: Path):
    cp = open_docx(str(written)).core_properties
    assert cp.title == "某某市2025年精神文明建设工作总结"
    assert cp.author == "某某市文明办"
    assert cp.keywords == "精神文明,年度总结"
    assert cp.last_modified_by == "huibao"
    stamp = dt.datetime(2025, 12, 31, 9, 30, tzinfo=dt.UTC)
    assert cp.created == stamp and cp.modified == stamp
    with zipfile.ZipFile(written) as z:
        assert b"python-docx" not in z.read("docProps/core.xml")


def test_same_outline_gives_same_xml(tmp_path: Path, png: Path, profile):
    a = write_docx(make_document(png), tmp_path / "a.docx", profile)
    b = write_docx(make_document(png), tmp_path / "b.docx", profile)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        for name in ("word/document.xml", "word/styles.xml", "docProps/core.xml"):
            assert za.read(name) == zb.read(name)


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path, png: Path, profile):
    target = tmp_path / "out.docx"
    missing = make_document(tmp_path / "nope.png")
    with pytest.raises(HuibaoError, match="图片文件不存在"):
        write_docx(missing, target, profile)
    assert not target.exists()
    write_docx(make_document(png), target, profile)
    before = target.read_bytes()
    with pytest.raises(HuibaoError):
        write_docx(missing, target, profile)
    assert target.read_bytes() == before
    # the document and its generation record (render.merge), nothing half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "out.docx",
                                                           "out.generated.json"]


# -- profile --------------------------------------------------------------------------


def test_profile_derived_geometry(profile: LayoutProfile):
    assert profile.page_twips == (11906, 16838)
    assert profile.margins_twips == {"top": 2098, "right": 1474, "left": 1588, "bottom": 1984}
    assert profile.line_pitch_twips == 579
    assert profile.elements.body.first_line_twips == 640


def test_bad_profile_value_names_the_field_in_chinese(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"extends: {PROFILE_PATH}\nelements:\n  h1: {{size_pt: 三号}}\n", encoding="utf-8"
    )
    with pytest.raises(PackError) as info:
        load_profile(bad)
    message = str(info.value)
    assert "elements.h1.size_pt" in message
    assert "应为数字" in message
    assert re.search(r"[\u4e00-\u9fff]", message)


def test_unknown_profile_key_is_reported(tmp_path: Path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(f"extends: {PROFILE_PATH}\npage_numbr: {{mode: centered}}\n", encoding="utf-8")
    with pytest.raises(PackError, match=r"page_numbr.*未知字段"):
        load_profile(bad)


def test_user_profile_deep_merges_over_the_base(tmp_path: Path):
    user = tmp_path / "unit.yaml"
    user.write_text(
        f"extends: {PROFILE_PATH}\nelements:\n  h2: {{bold: true}}\n"
        'headings:\n  level3: "{n}、"\n',
        encoding="utf-8",
    )
    profile = load_profile(user)
    assert profile.elements.h2.bold is True
    assert profile.elements.h2.font == "楷体_GB2312"
    assert profile.headings.level3 == "{n}、"
    assert profile.margins_mm.top == 37


@pytest.mark.parametrize(("title", "lines"), [
    ("示例县2025年创建全国文明城市工作总结", ["示例县2025年创建全国文明城市工作总结"]),
    ("关于示例县2025年创建双拥模范城（县）工作情况的汇报",
     ["关于示例县2025年创建双拥模范城（县）", "工作情况的汇报"]),
    ("示例县财政局2025年创建“文明机关”工作总结", ["示例县财政局2025年创建“文明机关”", "工作总结"]),
    ("甲单位\n乙单位", ["甲单位", "乙单位"]),  # the author's own break wins
    ("一二三四五六七八九十" * 2 + "一二三", ["一二三四五六七八九十" * 2 + "一二三"]),  # no boundary
])
def test_long_titles_break_at_a_word_boundary(title: str, lines: list[str]) -> None:
    assert title_lines(title, 20.1) == lines


def test_a_long_title_is_written_as_two_lines(tmp_path: Path, png: Path, profile) -> None:
    doc = make_document(png)
    doc.title = "关于示例县2025年创建双拥模范城（县）工作情况的汇报"
    path = write_docx(doc, tmp_path / "t.docx", profile)
    first = paragraphs(path)[0]
    assert len(first.findall(".//" + w("br"))) == 1
    assert text(first) == doc.title


def test_runs_hold_their_text_as_python_docx_writes_it(profile: LayoutProfile) -> None:
    """The writer puts plain text straight into one w:t; tabs, breaks and edge spaces come
    out as python-docx's own ``add_run(text)`` makes them."""
    from docx import Document

    from huibao.render.word import Writer

    writer = Writer(profile)
    reference = Document().add_paragraph()
    for text in ["全市完成投资12.3亿元。", " 前后有空格 ", "一\t二\n三\r四", "\t", ""]:
        mine = writer.run(writer.add_paragraph("Normal"), text, profile.elements.body)
        theirs = reference.add_run(text)
        children = [c for c in mine._r if c.tag != w("rPr")]
        assert [etree.tostring(c) for c in children] == [
            etree.tostring(c) for c in theirs._r], text
        assert mine.text == text.replace("\r", "\n")
