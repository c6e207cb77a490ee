"""Write an outline :class:`~huibao.render.outline.Document` as a GB/T 9704 plain-print .docx.

Everything visual comes from the :class:`~huibao.render.layout.LayoutProfile`; this module
decides only structure: heading numbers from levels, figure and table numbers in order,
the signature block, page-number footers. The python-docx traps it works around are in
layout.md §4; the raw XML lives in :mod:`huibao.render.ooxml`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
from pathlib import Path

import cn2an
from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Mm, Twips
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from huibao.errors import HuibaoError
from huibao.numbers import fmt_date
from huibao.render import files, identity, merge, outline, reproducible
from huibao.render.layout import Element, LayoutProfile
from huibao.render.measure import text_width
from huibao.render.ooxml import (
    add_field,
    child,
    font_table,
    put,
    set_borders,
    set_paragraph_format,
    set_run_format,
    set_widths,
    strip_theme_fonts,
)

PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}
_EIGHTHS = 8  # border widths are in eighths of a point
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_KEPT_STYLES = {"Default Paragraph Font", "Normal Table", "No List"}


_BREAK_AFTER = "）”》年"
_RUN_BREAKS = re.compile(r"[\t\r\n]")  # python-docx writes these as w:tab and w:br


def title_lines(text: str, width: float) -> list[str]:
    """A title as printed: its own line breaks, or a break at a word boundary if too long.

    GB/T 9704 7.3.1: a multi-line title breaks where the meaning allows and keeps a
    trapezoid or diamond shape. A title wider than ``width`` characters breaks before
    工作 (…工作总结, …工作情况的汇报) when both lines fit, else after a closing bracket,
    quote or 年, the upper line no shorter than the lower and the two as even as can be.
    """
    if "\n" in text or text_width(text) <= width:
        return text.split("\n")
    fits = [i for i in range(1, len(text))
            if (text.startswith("工作", i) or text[i - 1] in _BREAK_AFTER)
            and text_width(text[:i]) <= width and text_width(text[i:]) <= width]
    if not fits:
        return [text]  # Word wraps it where it must; better than a break in a word

    def cost(i: int) -> tuple[bool, bool, float]:
        upper, lower = text_width(text[:i]), text_width(text[i:])
        return (not text.startswith("工作", i), upper < lower, abs(upper - lower))

    best = min(fits, key=cost)
    return [text[:best], text[best:]]


class Writer:
    """Builds one python-docx document; numbering state lives here, not in the outline."""

    def __init__(self, profile: LayoutProfile) -> None:
        self.profile = profile
        self.docx: DocxDocument = new_docx()
        self.counters = [0, 0, 0, 0]
        self.depth = 0
        self.figures = 0
        self.tables = 0
        # Block identities (``identity``): the section we are in, how many of each kind
        # it has so far, and every identity given, with its kind, in document order.
        self.headings: list[str] = []
        self.section = identity.PREFIX + "0"
        self._sections: dict[str, int] = {}
        self._ordinals: dict[tuple[str, str], int] = {}
        self.identities: list[tuple[str, str]] = []
        # The outline block being written, and the block each identity came from (the
        # notebook preview marks the blocks a re-run keeps from the analyst).
        self.block: int | None = None
        self.block_of: dict[str, int] = {}
        # Per document: paragraph style ids by name, and each distinct run format built
        # once and copied (python-docx looks a style up by name with an XPath per call).
        self._style_ids: dict[str, str | None] = {}
        self._run_formats: dict[tuple, object] = {}
        self._paragraph_props: dict[str, object] = {}

    # -- identities -----------------------------------------------------------------

    def next_name(self, kind: str) -> str:
        """The section's next identity of ``kind`` (``hb_3f2a1c_p2``)."""
        n = self._ordinals[(self.section, kind)] = self._ordinals.get((self.section, kind), 0) + 1
        return f"{self.section}_{kind[0]}{n}"

    def identify(self, element, kind: str, name: str | None = None) -> str:
        """Bookmark ``element`` with a stable name: ``name``, or the section's next ``kind``."""
        if name is None:
            name = self.next_name(kind)
        identity.mark(element, name, len(self.identities))
        self.identities.append((name, kind))
        if self.block is not None:
            self.block_of[name] = self.block
        return name

    # -- formatting primitives ------------------------------------------------------

    def fonts(self, owner, el: Element, bold: bool | None = None, complete: bool = False):
        """The element's faces, size and weight on a run, style or docDefaults."""
        latin, lang = el.latin or self.profile.latin_font, self.profile.language
        bold = el.bold if bold is None else bold
        rpr = set_run_format(owner, el.font, latin, el.half_points, bold, lang=lang,
                             complete=complete)
        spacing = self.profile.char_spacing_twentieths
        if complete and spacing and el.size_pt == self.profile.elements.body.size_pt:
            put(rpr, "w:spacing", val=spacing)

    def run(self, para: DocxParagraph, text: str, el: Element, bold: bool | None = None):
        run = para.add_run()
        if text and _RUN_BREAKS.search(text) is None:
            run._r.add_t(text)   # what ``run.text = text`` makes of text without tabs or breaks
        elif text:
            run.text = text
        key = (el.font, el.latin, el.half_points, el.bold if bold is None else bold)
        rpr = self._run_formats.get(key)
        if rpr is None:   # the first run of this format: written by the one font writer
            self.fonts(run._r, el, bold)
            self._run_formats[key] = copy.deepcopy(run._r.find(qn("w:rPr")))
        else:             # the same element, in the same place (a new run has only w:t)
            run._r.insert(0, copy.deepcopy(rpr))
        return run

    def style_id(self, name: str) -> str | None:
        """The id of paragraph style ``name`` (None for the default style, as python-docx)."""
        if name not in self._style_ids:
            self._style_ids[name] = self.docx.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
        return self._style_ids[name]

    def add_paragraph(self, style: str) -> DocxParagraph:
        """``docx.add_paragraph(style=style)`` with the style id looked up once."""
        para = self.docx.add_paragraph()
        self.set_style(para, style)
        return para

    def set_style(self, para: DocxParagraph, style: str) -> None:
        """``para._p.style = <the id of style>`` on a paragraph without properties yet: the
        first time by python-docx, then as a copy of the properties element it made."""
        made = self._paragraph_props.get(style)
        if para._p.pPr is not None:   # not a fresh paragraph: python-docx's own way
            para._p.style = self.style_id(style)
        elif made is None:
            para._p.style = self.style_id(style)
            self._paragraph_props[style] = copy.deepcopy(para._p.pPr)
        else:
            para._p.insert(0, copy.deepcopy(made))

    def para(self, style: str, text: str | None = None, el: Element | None = None, **fmt):
        para = self.add_paragraph(style)
        if fmt:
            set_paragraph_format(para._p, **fmt)
        if text:
            self.run(para, text, el or self.profile.elements.body)
        return para

    # -- document setup -------------------------------------------------------------

    def setup(self, doc: outline.Document) -> None:
        self._drop_template_leftovers()
        self._font_table()
        self._page()
        self._styles()
        self._footers()
        self._core_properties(doc)

    def _drop_template_leftovers(self) -> None:
        package = self.docx.part.package
        for rels, kinds in (
            (package.rels, {RT.THUMBNAIL}),
            (self.docx.part.rels, {_STYLES_WITH_EFFECTS}),
        ):
            for rid in [rid for rid, rel in rels.items() if rel.reltype in kinds]:
                rels.pop(rid)

    def _font_table(self) -> None:
        p = self.profile
        elements = [getattr(p.elements, name) for name in type(p.elements).model_fields]
        east = {el.font: (p.fallbacks.get(el.font) or [None])[0] for el in elements}
        latin = {p.latin_font, *(el.latin for el in elements if el.latin)} - set(east)
        self.docx.part.part_related_by(RT.FONT_TABLE)._blob = font_table(east, sorted(latin))

    def _page(self) -> None:
        p = self.profile
        section = self.docx.sections[0]
        width, height = p.page_twips
        margins = p.margins_twips
        section.page_width, section.page_height = Twips(width), Twips(height)
        section.top_margin = Twips(margins["top"])
        section.bottom_margin = Twips(margins["bottom"])
        section.left_margin = Twips(margins["left"])
        section.right_margin = Twips(margins["right"])
        section.gutter = Twips(0)
        section.footer_distance = Mm(p.page_number.footer_distance_mm)
        section.header_distance = Mm(p.page_number.header_distance_mm)
        grid = section._sectPr.find(qn("w:docGrid"))
        grid.attrib.clear()
        if p.grid.method == "docgrid":
            grid.set(qn("w:type"), "linesAndChars")
            grid.set(qn("w:linePitch"), str(p.line_pitch_twips))
            grid.set(qn("w:charSpace"), str(p.char_space))
        else:  # "spacing" and "fixed": a line grid only; "spacing" squeezes characters
            grid.set(qn("w:type"), "lines")
            grid.set(qn("w:linePitch"), str(p.line_pitch_twips))

    def _styles(self) -> None:
        """Rewrite every style we use from scratch and delete the rest of the template's."""
        p, e = self.profile, self.profile.elements
        styles = self.docx.styles
        for name in ("Table Text", "Note Text"):
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH).base_style = styles["Normal"]
        styles.add_style("Three Line Table", WD_STYLE_TYPE.TABLE).base_style = styles[
            "Normal Table"
        ]
        pitch, table_pitch = p.line_pitch_twips, round(p.tables.line_pitch_pt * 20)
        body_indent = e.body.first_line_twips
        small = {"first_line": 0, "snap_to_grid": False}  # non-16 pt text ignores the char grid
        specs: dict[str, tuple[Element, dict]] = {
            "Normal": (e.body, {"align": "justify", "line": pitch}),
            "Body Text": (e.body, {"align": "justify", "line": pitch, "first_line": body_indent}),
            "Title": (e.title, {"align": "center", "line": pitch, **small}),
            "Caption": (e.caption, {"align": "center", "line": pitch, **small}),
            "Note Text": (e.note, {"align": "left", "line": pitch, **small}),
            "Table Text": (e.table, {"align": "center", "line": table_pitch, **small}),
            "Header": (e.page_number, {"align": "center", "exact": False, **small}),
            "Footer": (e.page_number, {"align": "center", "exact": False, **small}),
            "Three Line Table": (e.table, {"align": "center", "line": table_pitch, **small}),
            "Normal Table": (e.table, {}),
        }
        for level in range(1, 5):  # own-line levels 1–2 keep with next; 3–4 usually run in
            el = e.heading(level)
            fmt = {"align": "justify", "line": pitch, "first_line": el.first_line_twips}
            fmt.update(keep_next=level <= 2, outline_level=level - 1)
            specs[f"Heading {level}"] = (el, fmt)
        keep = {styles[name].element for name in (*specs, *_KEPT_STYLES)}
        root = styles.element
        for style in root.findall(qn("w:style")):
            if style not in keep:
                root.remove(style)
                continue
            for link in style.findall(qn("w:link")):
                style.remove(link)
        for name, (el, fmt) in specs.items():
            style = styles[name].element
            if fmt:
                set_paragraph_format(style, complete=True, **fmt)
            self.fonts(style, el, complete=True)
        tbl_style = styles["Three Line Table"].element
        set_borders(child(tbl_style, "w:tblPr"), "w:tblBorders", self._three_line_borders())
        defaults = root.find(qn("w:docDefaults"))
        self.fonts(child(defaults, "w:rPrDefault"), e.body, bold=False, complete=True)
        set_paragraph_format(child(defaults, "w:pPrDefault"), line=pitch, complete=True)
        strip_theme_fonts(root)
        settings = self.docx.settings.element
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), p.language)

    def _three_line_borders(self) -> dict[str, int]:
        outer = round(self.profile.tables.outer_rule_pt * _EIGHTHS)
        return {"top": outer, "bottom": outer, "left": 0, "right": 0, "insideH": 0, "insideV": 0}

    def _footers(self) -> None:
        """Page numbers "— N —" built from scratch (editing template footers breaks fields)."""
        pn = self.profile.page_number
        section = self.docx.sections[0]
        space = round(pn.side_space_chars * self.profile.elements.page_number.char_twips)
        if pn.mode == "odd_even":
            self.docx.settings.odd_and_even_pages_header_footer = True
            layouts = [
                (section.footer, {"align": "right", "right": space}),
                (section.even_page_footer, {"align": "left", "left": space}),
            ]
        else:
            layouts = [(section.footer, {"align": "center"})]
        for footer, fmt in layouts:
            footer.is_linked_to_previous = False
            for old in list(footer._element):
                footer._element.remove(old)
            para = footer.add_paragraph(style="Footer")
            set_paragraph_format(para._p, exact=False, first_line=0, **fmt)
            el = self.profile.elements.page_number
            before, after = pn.format.split("{n}")
            if before:
                self.run(para, before, el)
            add_field(lambda para=para, el=el: self.run(para, "", el)._r, " PAGE ", "1")
            if after:
                self.run(para, after, el)

    def _core_properties(self, doc: outline.Document) -> None:
        stamp = reproducible.document_time(doc)  # SOURCE_DATE_EPOCH or the document's date
        cp = self.docx.core_properties
        cp.title = doc.title.replace("\n", "")
        cp.author = doc.author
        cp.keywords = doc.keywords
        cp.comments = ""
        cp.subject = ""
        cp.last_modified_by = "huibao"
        cp.revision = 1
        cp.language = self.profile.language
        cp.created = stamp
        cp.modified = stamp
        cp.last_printed = stamp

    # -- content --------------------------------------------------------------------

    def title(self, text: str, subtitle: str | None = None) -> None:
        para = self.add_paragraph("Title")
        width = self.profile.type_area_twips[0] / self.profile.elements.title.char_twips
        lines = title_lines(text, width)
        for i, line in enumerate(lines):
            run = self.run(para, line, self.profile.elements.title)
            if i < len(lines) - 1:
                run.add_break()
        self.identify(para._p, "title", identity.PREFIX + "title")
        if subtitle:  # the date in brackets of a spoken report: 楷体, centred, own line
            sub = self.para("Normal", subtitle, self.profile.elements.h2, align="center",
                            first_line=0)
            self.identify(sub._p, "subtitle", identity.PREFIX + "subtitle")
        for i in range(self.profile.title.blank_lines_after):
            blank = self.add_paragraph("Normal")
            self.identify(blank._p, "blank", f"{identity.PREFIX}title_b{i + 1}")

    def heading(self, h: outline.Heading) -> None:
        if h.level not in (1, 2, 3, 4):
            raise HuibaoError(f"标题“{h.text}”的层级为{h.level}，只支持 1–4 级。")
        if h.level > self.depth + 1:
            raise HuibaoError(
                f"标题“{h.text}”是第{h.level}级标题，但它前面缺少第{h.level - 1}级标题"
                "（标题层级不能跳级）。"
            )
        self.counters[h.level - 1] += 1
        self.counters[h.level :] = [0] * (4 - h.level)
        self.depth = h.level
        n = self.counters[h.level - 1]
        marker = self.profile.headings.marker(h.level).format(n=n, cn=cn2an.an2cn(n))
        el = self.profile.elements.heading(h.level)
        run_in = h.body is not None and h.level >= 3
        self.headings[h.level - 1:] = [h.text]
        self.section = identity.section_key(self.headings, self._sections)
        para = self.add_paragraph(f"Heading {h.level}")
        put(child(para._p, "w:pPr"), "w:keepNext", val=int(not run_in))
        self.identify(para._p, "heading", self.section)
        self.run(para, marker + h.text, el)
        if run_in:
            self.run(para, h.body, self.profile.elements.body, bold=False)
        elif h.body:
            self.paragraph(outline.Paragraph(h.body))

    def paragraph(self, block: outline.Paragraph) -> None:
        if block.flush:
            para = self.para("Body Text", block.text, first_line=0)
        else:
            para = self.para("Body Text", block.text)
        self.identify(para._p, "paragraph")

    def figure(self, fig: outline.Figure) -> None:
        path = Path(fig.image)
        if not path.is_file():
            raise HuibaoError(f"插图“{fig.caption}”的图片文件不存在：{path}")
        if path.suffix.lower() not in PICTURE_SUFFIXES:
            raise HuibaoError(
                f"插图“{fig.caption}”的图片 {path.name} 格式不受支持，请使用 PNG（200–300 dpi）。"
            )
        p = self.profile
        area_w, area_h = (Twips(t) for t in p.type_area_twips)
        para = self.para("Normal", align="center", first_line=0, exact=False, keep_next=True)
        wanted = fig.width_mm or p.figures.default_width_mm
        try:
            shape = para.add_run().add_picture(str(path), width=Mm(wanted) if wanted else None)
        except UnrecognizedImageError:
            raise HuibaoError(f"插图“{fig.caption}”的图片 {path} 无法识别。") from None
        scale = min(
            1.0,
            Mm(p.figures.max_width_mm) / shape.width,
            area_w / shape.width,
            area_h * 0.8 / shape.height,
        )
        shape.width, shape.height = int(shape.width * scale), int(shape.height * scale)
        name = self.identify(para._p, "figure")
        self.figures += 1
        f = p.figures
        caption = f"{f.caption_prefix}{self.figures}{f.caption_separator}{fig.caption}"
        cap = self.para("Caption", caption, p.elements.caption)
        self.identify(cap._p, "caption", f"{name}_c")

    def table(self, tab: outline.Table) -> None:
        p, e = self.profile, self.profile.elements
        ncols = len(tab.columns)
        if ncols == 0:
            raise HuibaoError(f"表格“{tab.caption}”没有表头列。")
        for i, row in enumerate(tab.rows, start=1):
            if len(row) != ncols:
                raise HuibaoError(f"表格“{tab.caption}”第{i}行有{len(row)}列，而表头有{ncols}列。")
        self.tables += 1
        t = p.tables
        name = self.next_name("table")   # its caption and notes are named after it
        caption = f"{t.caption_prefix}{self.tables}{t.caption_separator}{tab.caption}"
        cap = self.para("Caption", caption, e.table_caption, keep_next=True)
        self.identify(cap._p, "caption", f"{name}_c")
        if tab.unit_note:
            note = self.para("Note Text", tab.unit_note, e.note, align="right", keep_next=True)
            self.identify(note._p, "note", f"{name}_u")
        table = self.docx.add_table(rows=1 + len(tab.rows), cols=ncols)
        table.style = self.docx.styles["Three Line Table"]
        table.autofit = False
        tbl = table._tbl
        tblpr = tbl.tblPr
        put(tblpr, "w:jc", val="center")
        set_borders(tblpr, "w:tblBorders", self._three_line_borders())
        header_rule = round(t.header_rule_pt * _EIGHTHS)
        for r, (tr, values) in enumerate(zip(tbl.tr_lst, [tab.columns, *tab.rows], strict=True)):
            trpr = child(tr, "w:trPr")
            put(trpr, "w:cantSplit")
            if r == 0:
                put(trpr, "w:tblHeader")
            # The cells of a table just made (no spans), without ``table.rows[r].cells``,
            # which lays out the whole table's grid on every call.
            for c, (tc, value) in enumerate(zip(tr.tc_lst, values, strict=True)):
                tcpr = child(tc, "w:tcPr")
                if r == 0:
                    set_borders(tcpr, "w:tcBorders", {"bottom": header_rule})
                put(tcpr, "w:vAlign", val="center")
                para = _Cell(tc, table).paragraphs[0]
                self.set_style(para, "Table Text")
                if r > 0 and c == 0:  # row labels read better flush left
                    set_paragraph_format(para._p, align="left")
                self.run(para, str(value), e.table_header if r == 0 else e.table)
        set_widths(tbl, self._column_widths(tab))
        self.identify(tbl, "table", name)
        for i, note in enumerate(tab.notes, start=1):
            para = self.para("Note Text", note, e.note)
            self.identify(para._p, "note", f"{name}_n{i}")

    def _column_widths(self, tab: outline.Table) -> list[int]:
        """Widths in twips from each column's longest text plus cell padding (one em).

        Long texts are capped at 8 ems so that the label column wraps rather than the
        figures, which must never break inside a number.
        """
        total = self.profile.type_area_twips[0]
        weights = []
        for c, name in enumerate(tab.columns):
            texts = [name, *(str(row[c]) for row in tab.rows)]
            weights.append(min(max(max(text_width(s) for s in texts), 2.0), 8.0) + 1.0)
        widths = [int(total * w / sum(weights)) for w in weights]
        widths[-1] += total - sum(widths)
        return widths

    def signature(self, sig: outline.Signature) -> None:
        """GB/T 9704 7.3.5.2: 署名 right space 2, date's first character 2 to its right.

        The 署名 is right-aligned (its width does not matter); the date is left-indented
        from the 署名's start, computed from the 署名 alone, which is all CJK and so of
        exact width. Only a date longer than that room falls back to the 2-character
        right space. Widths use the squeezed body pitch (``grid.method: spacing``).
        """
        p, body = self.profile, self.profile.elements.body
        rules = p.signature
        for i in range(rules.blank_lines_before):
            blank = self.add_paragraph("Normal")
            self.identify(blank._p, "blank", f"{identity.PREFIX}sig_b{i + 1}")
        date = fmt_date(sig.date)
        pitch = body.char_twips + p.char_spacing_twentieths  # one CJK character, twips
        area = p.type_area_twips[0]
        sig_right = round(rules.right_space_chars * pitch)
        sig_start = area - sig_right - round(text_width(sig.signatory) * pitch)
        date_left = sig_start + round(rules.date_shift_chars * pitch)
        date_w = round(text_width(date) * pitch)
        if date_left + date_w <= area - sig_right:
            names = self.para("Normal", sig.signatory, body, align="right", right=sig_right)
            dated = self.para("Normal", date, body, align="left", left=date_left, first_line=0)
            self.identify(names._p, "signature", identity.PREFIX + "signatory")
            self.identify(dated._p, "signature", identity.PREFIX + "date")
            return
        # A longer date keeps the 2-character right space; the 署名 moves left so that it
        # still starts 2 characters before the date.
        shift = round(rules.date_shift_chars * pitch)
        right = sig_right + date_w + shift - round(text_width(sig.signatory) * pitch)
        names = self.para("Normal", sig.signatory, body, align="right", right=right)
        dated = self.para("Normal", date, body, align="right", right=sig_right)
        self.identify(names._p, "signature", identity.PREFIX + "signatory")
        self.identify(dated._p, "signature", identity.PREFIX + "date")


_BLOCKS = {
    outline.Heading: Writer.heading,
    outline.Paragraph: Writer.paragraph,
    outline.Figure: Writer.figure,
    outline.Table: Writer.table,
}


def build_writer(doc: outline.Document, profile: LayoutProfile) -> Writer:
    """Write ``doc`` into a new Writer's document in memory; raises HuibaoError on bad content."""
    writer = Writer(profile)
    writer.setup(doc)
    writer.title(doc.title, doc.subtitle)
    for i, block in enumerate(doc.blocks):
        render = _BLOCKS.get(type(block))
        if render is None:
            raise HuibaoError(f"不支持的内容块类型：{type(block).__name__}")
        writer.block = i
        render(writer, block)
    writer.block = None
    if doc.signature is not None:
        writer.signature(doc.signature)
    return writer


def build_docx(doc: outline.Document, profile: LayoutProfile) -> DocxDocument:
    """Build the python-docx document in memory; raises HuibaoError on bad content."""
    return build_writer(doc, profile).docx


def write_docx(doc: outline.Document, path: Path, profile: LayoutProfile,
               numbers: dict[str, dict] | None = None) -> Path:
    """Write ``doc`` to ``path`` atomically, and its generation record beside it.

    The document is built in memory, saved to a temporary file in the target folder
    and moved into place with ``os.replace``: a failure never leaves a partial file.
    The record (``merge.record_path``: what each identity said, and the figures it
    quotes from ``numbers``, indicator key → name, value, text) is what a later run
    merges the analyst's edits against; it is written first, the document last.
    """
    writer = build_writer(doc, profile)
    when = reproducible.document_time(doc)  # fixed zip times
    buffer = io.BytesIO()
    reproducible.save_docx(writer.docx, buffer, when)
    data = buffer.getvalue()
    record = merge.make_record(writer.docx.element.body, dict(writer.identities),
                               numbers or {}, hashlib.sha256(data).hexdigest())
    merge.write_record(merge.record_path(Path(path)), record)
    return files.write(Path(path), lambda tmp: tmp.write_bytes(data))
