"""Bind finished unit documents into one bound volume (汇编).

API::

    bind(parts: Sequence[VolumePart], out: Path, *, title: str, compiler: str,
         date: datetime.date, profile: LayoutProfile, paginate: bool | None = None) -> Path
    part_from_docx(path: Path, heading: str | None = None) -> VolumePart
    read_toc(path: Path) -> list[TocEntry]

``VolumePart(heading, path)``: ``heading`` is the table-of-contents entry, normally the
document's title (示例县2025年创建全国文明城市工作总结); ``part_from_docx`` takes it from
the document's core title. Every part is a .docx written by :mod:`huibao.render.word`.

The volume, in order:

* **Cover** (own page, no page number): the volume title in the profile's title font and
  size, broken like a document title (a ``\n`` in ``title`` chooses the break); the
  compiler (示例市文明办) and the date (2025年12月31日) lower on the page.
* **目录** (new page, no page number): a real Word ``TOC`` field,
  ``TOC \\h \\z \\t "Part Title,1"``, collecting the paragraphs of style ``Part Title``
  (each part's title; the style is ``Title`` plus outline level 1, so titles look exactly
  as in the unit documents while the parts' own 一、 headings stay out of the TOC). Its
  cached result holds one hyperlinked entry per part with a ``PAGEREF`` page number, so
  Word, WPS and LibreOffice show it as it is; ``w:updateFields`` is set so that Word
  offers to refresh it (with the real fonts) when the file is opened. A long entry is
  broken at a word boundary like a title, the dots and number on its last line.
* **Body**: each part's content in order, from a new page (a section break before the
  first part, ``w:pageBreakBefore`` on the title of the others). Cover and 目录 form one
  unnumbered section; the body is numbered "— 1 —", "— 2 —" … continuously from its first
  page to the last, with the profile's footers (odd/even or centred). Parts' own section
  properties, page-number restarts and first-page footers are removed; a part with
  several sections keeps its breaks but takes the body's footers and numbering. For
  double-sided printing, page 1 falls on a right-hand page while cover and TOC fill two
  pages (up to about 20 parts); a two-page TOC puts it on a left-hand page.

Styles, page setup and footers are the volume's own, written by :mod:`huibao.render.word` from
``profile``; docxcompose appends the parts and maps their styles by name onto these
(the parts come from the same writer), and copies their images and tables.

**TOC page numbers** (``paginate``): when LibreOffice and pdftotext are installed
(``None``, the default) or required (``True``), the volume is rendered to PDF once and the
page on which each part's title appears is read off that page's footer; those numbers go
into the TOC's cached result. They follow LibreOffice's pagination with the open fonts of
:mod:`huibao.render.pdf`; Word refreshes them with the real fonts. Without LibreOffice (or with
``paginate=False``) the entries carry no numbers until Word updates the field.

The file is byte-identical for the same inputs (and the same LibreOffice, when
paginating): core properties and zip entry times come from ``date`` or
``SOURCE_DATE_EPOCH`` (:mod:`huibao.render.reproducible`). It is written atomically: a temporary
file in the target folder, then ``os.replace``. A missing or unreadable part raises
:class:`~huibao.errors.HuibaoError` naming the file, before anything is written.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docxcompose.composer import Composer
from lxml import etree

from huibao.errors import HuibaoError
from huibao.numbers import fmt_date
from huibao.render import files, identity, outline, pdf, reproducible
from huibao.render.layout import LayoutProfile
from huibao.render.ooxml import add_field, child, put
from huibao.render.word import Writer, title_lines

log = logging.getLogger(__name__)

PART_TITLE_STYLE = "Part Title"
TOC_STYLE = "toc 1"  # Word's built-in name of the first TOC level (style id TOC1)
TOC_INSTRUCTION = f' TOC \\h \\z \\t "{PART_TITLE_STYLE},1" '
TOC_HEADING = "目\u3000\u3000录"
BOOKMARK = "_Toc9704{:04d}"  # hidden (leading underscore) bookmark on each part's title

_SECTPR_AFTER_PGNUMTYPE = (
    "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
    "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange",
)
_SETTINGS_AFTER_UPDATEFIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)
_COVER_LINES_ABOVE_TITLE = 4
_COVER_LINES_BELOW_DATE = 4
_SLACK_CHARS = 1
_TOC_NUMBER_CHARS = 2  # right indent of TOC entries: wrapped text stays clear of the numbers


@dataclass(frozen=True)
class VolumePart:
    """One document of the volume: its TOC entry and its .docx file."""

    heading: str
    path: Path


@dataclass(frozen=True)
class TocEntry:
    """One cached entry of a volume's TOC; ``page`` is None when not yet known."""

    heading: str
    page: int | None


def part_from_docx(path: Path, heading: str | None = None) -> VolumePart:
    """A part whose heading is ``heading`` or else the document's title (core property)."""
    path = Path(path)
    if heading is None:
        document = _open_part(path)
        heading = document.core_properties.title or _first_paragraph_text(document)
    return VolumePart(heading, path)


def bind(
    parts: Sequence[VolumePart],
    out: Path,
    *,
    title: str,
    compiler: str,
    date: dt.date,
    profile: LayoutProfile,
    paginate: bool | None = None,
) -> Path:
    """Bind ``parts`` into the volume ``out`` and return ``out`` (see the module doc).

    ``paginate``: ``None`` fills the TOC's page numbers when LibreOffice is installed
    (and leaves them out, with a logged warning, if rendering fails); ``True`` requires
    them (HuibaoError with install instructions when LibreOffice is absent); ``False``
    leaves them to Word's field update.
    """
    if not parts:
        raise HuibaoError("汇编中没有文档：至少需要一篇。")
    if paginate and not _can_render():
        raise HuibaoError(pdf.install_hint())
    documents = [_open_part(part.path) for part in parts]
    titles = [_first_paragraph_text(d) or part.heading
              for part, d in zip(parts, documents, strict=True)]
    volume = _Volume(profile, title, compiler, date)
    volume.compose(list(parts), documents)
    if paginate or (paginate is None and _can_render()):
        try:
            volume.set_pages(_rendered_pages(volume, titles))
        except HuibaoError as exc:
            if paginate:
                raise
            log.warning("汇编目录的页码未能由 LibreOffice 排出，留待 Word 更新域：%s", exc)
    files.write(Path(out), volume.save)
    return Path(out)


def read_toc(path: Path) -> list[TocEntry]:
    """The entries of the TOC field's cached result in a bound volume, in order."""
    body = _open_part(Path(path)).element.body
    entries = []
    for link in body.iter(qn("w:hyperlink")):
        anchor = link.get(qn("w:anchor"), "")
        if not anchor.startswith("_Toc"):
            continue
        texts = [t.text or "" for t in link.iter(qn("w:t"))]
        page = texts[-1].strip() if len(texts) > 1 else ""
        entries.append(TocEntry("".join(texts[:-1]), int(page) if page.isdigit() else None))
    return entries


# -- reading parts ----------------------------------------------------------------------


def _open_part(path: Path) -> DocxDocument:
    if not path.is_file():
        raise HuibaoError(f"汇编的文档不存在：{path}")
    try:
        return docx.Document(str(path))
    except (OSError, PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            etree.XMLSyntaxError) as exc:
        raise HuibaoError(
            f"汇编的文档无法读取：{path}（不是有效的 Word .docx 文件：{exc}）"
        ) from None


def _first_paragraph_text(document: DocxDocument) -> str:
    first = document.element.body[0] if len(document.element.body) else None
    if first is None or first.tag != qn("w:p"):
        return ""
    return "".join(t.text or "" for t in first.iter(qn("w:t")))


# -- building the volume ----------------------------------------------------------------


class _Volume:
    """The volume being built: a huibao.render.word writer's document plus what binding adds."""

    def __init__(self, profile: LayoutProfile, title: str, compiler: str, date: dt.date):
        self.profile = profile
        self.writer = Writer(profile)
        self.meta = outline.Document(title=title, author=compiler, keywords="汇编",
                                     created=dt.datetime.combine(date, dt.time()))
        self.writer.setup(self.meta)
        self.docx: DocxDocument = self.writer.docx
        self.page_texts: list[etree._Element] = []
        self._add_styles()
        self._cover(title, compiler, date)

    @property
    def when(self) -> dt.datetime:
        return reproducible.document_time(self.meta)

    # -- styles and front matter --------------------------------------------------------

    def _add_styles(self) -> None:
        styles = self.docx.styles
        part_title = styles.add_style(PART_TITLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        part_title.base_style = styles["Title"]
        put(child(part_title.element, "w:pPr"), "w:outlineLvl", val=0)
        toc = styles.add_style(TOC_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        toc.element.set(qn("w:styleId"), "TOC1")
        toc.element.attrib.pop(qn("w:customStyle"), None)  # Word's own "toc 1", not a custom one
        toc.base_style = styles["Normal"]
        body = self.profile.elements.body
        self.writer.fonts(toc.element, body, complete=True)
        ppr = child(toc.element, "w:pPr")
        put(ppr, "w:spacing", before=0, after=0, line=self.profile.line_pitch_twips,
            lineRule="exact")
        put(ppr, "w:ind", left=0, right=_TOC_NUMBER_CHARS * body.char_twips, firstLine=0)
        put(ppr, "w:jc", val="left")  # justified, a line ending in a break would be spread out
        tab = OxmlElement("w:tab")
        for name, value in (("val", "right"), ("leader", "dot"),
                            ("pos", self.profile.type_area_twips[0])):
            tab.set(qn(f"w:{name}"), str(value))
        child(ppr, "w:tabs").append(tab)

    def _blank(self, count: int) -> None:
        for _ in range(count):
            self.docx.add_paragraph(style="Normal")

    def _cover(self, title: str, compiler: str, date: dt.date) -> None:
        e, w = self.profile.elements, self.writer
        # One character of slack: Word and LibreOffice add space between Chinese and
        # digits, so a title of exactly the line's width would wrap its last character.
        width = self.profile.type_area_twips[0] / e.title.char_twips - _SLACK_CHARS
        lines = title_lines(title, width)
        self._blank(_COVER_LINES_ABOVE_TITLE)
        para = self.docx.add_paragraph(style="Title")
        for i, line in enumerate(lines):
            run = w.run(para, line, e.title)
            if i < len(lines) - 1:
                run.add_break()
        used = _COVER_LINES_ABOVE_TITLE + len(lines) + 2 + _COVER_LINES_BELOW_DATE
        self._blank(max(self.profile.grid.lines - used, 1))
        for text in (compiler, fmt_date(date)):
            w.para("Normal", text, e.h2.model_copy(update={"bold": False}), align="center",
                    first_line=0)

    def _toc(self, headings: list[str]) -> None:
        e, w = self.profile.elements, self.writer
        head = w.para("Normal", TOC_HEADING, e.title, align="center", first_line=0)
        put(child(head._p, "w:pPr"), "w:pageBreakBefore")
        self._blank(1)
        for i, heading in enumerate(headings):
            para = self.docx.add_paragraph(style=TOC_STYLE)._p
            if i == 0:  # the TOC field's result is the entries' paragraphs
                self._fld_char(para, "begin")
                self._run(para, instruction=TOC_INSTRUCTION)
                self._fld_char(para, "separate")
            self._toc_entry(para, heading, BOOKMARK.format(i + 1))
            if i == len(headings) - 1:
                self._fld_char(para, "end")

    def _toc_entry(self, para: etree._Element, heading: str, bookmark: str) -> None:
        """One entry as Word writes it: a link to the title, a tab, a PAGEREF field."""
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), bookmark)
        link.set(qn("w:history"), "1")
        para.append(link)
        for n, line in enumerate(self._toc_lines(heading)):
            if n:
                self._run(link).append(OxmlElement("w:br"))
            self._run(link, text=line)
        self._run(link).append(OxmlElement("w:tab"))
        add_field(lambda: self._run(link), f" PAGEREF {bookmark} \\h ", "")
        self.page_texts.append(link.findall(qn("w:r"))[-2].find(qn("w:t")))  # the result

    def _toc_lines(self, heading: str) -> list[str]:
        """A long entry broken at a word boundary, leaving room for the dots and number."""
        width = self.profile.grid.chars - _TOC_NUMBER_CHARS - _SLACK_CHARS
        return title_lines(heading, width)

    def _run(self, parent: etree._Element, text: str | None = None,
             instruction: str | None = None) -> etree._Element:
        run = OxmlElement("w:r")
        parent.append(run)
        self.writer.fonts(run, self.profile.elements.body)
        if text is not None:
            t = OxmlElement("w:t")
            t.text = text
            run.append(t)
        if instruction is not None:
            instr = OxmlElement("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = instruction
            run.append(instr)
        return run

    def _fld_char(self, parent: etree._Element, kind: str) -> None:
        fld = OxmlElement("w:fldChar")
        fld.set(qn("w:fldCharType"), kind)
        self._run(parent).append(fld)

    def _end_front_matter(self) -> None:
        """Close cover and TOC as one section without footers or numbering."""
        body = self.docx.element.body
        front = copy.deepcopy(body.sectPr)
        for ref in front.findall(qn("w:footerReference")) + front.findall(
                qn("w:headerReference")):
            front.remove(ref)
        for attr in list(front.attrib):
            del front.attrib[attr]  # rsids
        last = body.findall(qn("w:p"))[-1]
        _insert_before(child(last, "w:pPr"), front, ("w:pPrChange",))

    # -- parts ----------------------------------------------------------------------------

    def compose(self, parts: list[VolumePart], documents: list[DocxDocument]) -> None:
        self._toc([p.heading for p in parts])
        self._end_front_matter()
        body = self.docx.element.body
        identity.strip(body)   # a volume is not merged: no block identities
        footers = [copy.deepcopy(r) for r in body.sectPr.findall(qn("w:footerReference"))]
        composer = Composer(self.docx)
        titles = []
        for part, document in zip(parts, documents, strict=True):
            start = composer.append_index()
            identity.strip(document.element.body)  # the same names in every part
            composer.append(document)
            if body[start].tag != qn("w:p"):
                raise HuibaoError(f"汇编的文档 {part.path} 不以标题段落开头，无法编入目录。")
            titles.append(body[start])
        first_id = 1 + max((int(b.get(qn("w:id"), "0")) for b in body.iter(
            qn("w:bookmarkStart"))), default=0)
        for i, title in enumerate(titles):
            self._mark_title(title, BOOKMARK.format(i + 1), first_id + i, page_break=i > 0)
        self._normalize_sections(footers)
        self._stable_numbering_ids()
        self._update_fields_on_open()

    def _mark_title(self, para: etree._Element, bookmark: str, bookmark_id: int,
                    page_break: bool) -> None:
        """Style Part Title (collected by the TOC), a new page, the entries' bookmark."""
        ppr = child(para, "w:pPr")
        put(ppr, "w:pStyle", val=self.docx.styles[PART_TITLE_STYLE].style_id)
        if page_break:
            put(ppr, "w:pageBreakBefore")
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(bookmark_id))
        start.set(qn("w:name"), bookmark)
        end.set(qn("w:id"), str(bookmark_id))
        ppr.addnext(start)
        para.append(end)

    def _normalize_sections(self, footers: list[etree._Element]) -> None:
        """Body sections: the volume's footers, numbering from 1 on the first, never restarting."""
        body = self.docx.element.body
        sections = [*body.xpath("./w:p/w:pPr/w:sectPr"), body.sectPr]
        for n, sect in enumerate(sections[1:]):
            for old in sect.findall(qn("w:footerReference")) + sect.findall(
                    qn("w:headerReference")) + sect.findall(qn("w:titlePg")):
                sect.remove(old)
            for ref in reversed(footers):
                sect.insert(0, copy.deepcopy(ref))
            numbering = sect.find(qn("w:pgNumType"))
            if numbering is None:
                numbering = OxmlElement("w:pgNumType")
                _insert_before(sect, numbering, _SECTPR_AFTER_PGNUMTYPE)
            for attr in ("w:start", "w:fmt"):
                numbering.attrib.pop(qn(attr), None)
            if n == 0:
                numbering.set(qn("w:fmt"), "decimal")
                numbering.set(qn("w:start"), "1")

    def _stable_numbering_ids(self) -> None:
        """docxcompose gives copied lists random nsids; fix them for byte-identical output."""
        try:
            numbering = self.docx.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        for n, nsid in enumerate(numbering.iter(qn("w:nsid"))):
            nsid.set(qn("w:val"), f"{0x48420000 + n:08X}")

    def _update_fields_on_open(self) -> None:
        settings = self.docx.settings.element
        if settings.find(qn("w:updateFields")) is None:
            flag = OxmlElement("w:updateFields")
            flag.set(qn("w:val"), "true")
            _insert_before(settings, flag, _SETTINGS_AFTER_UPDATEFIELDS)

    # -- page numbers and saving ----------------------------------------------------------

    def set_pages(self, pages: list[int | None]) -> None:
        for text, page in zip(self.page_texts, pages, strict=True):
            text.text = "" if page is None else str(page)

    def save(self, path: Path) -> None:
        reproducible.save_docx(self.docx, path, self.when)


def _insert_before(parent: etree._Element, el: etree._Element, successors: Sequence[str]):
    tags = {qn(s) for s in successors}
    for i, existing in enumerate(parent):
        if existing.tag in tags:
            parent.insert(i, el)
            return
    parent.append(el)


# -- pagination by rendering ----------------------------------------------------------------


def _can_render() -> bool:
    return pdf.soffice() is not None and shutil.which("pdftotext") is not None


def _rendered_pages(volume: _Volume, titles: list[str]) -> list[int | None]:
    """Render the volume once and read on which numbered page each part's title stands."""
    with tempfile.TemporaryDirectory(prefix="huibao-volume-") as tmp:
        draft = Path(tmp) / "volume.docx"
        volume.save(draft)
        rendered = pdf.to_pdf([draft], Path(tmp))[0]
        pages = _pdf_pages(rendered)
    found = locate_titles(pages, titles)
    missing = [t for t, page in zip(titles, found, strict=True) if page is None]
    if missing:
        log.warning("汇编目录：在 PDF 中没有找到以下文档的页码：%s", "、".join(missing))
    return found


def _pdf_pages(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HuibaoError(f"pdftotext 无法读取 {path.name}：{done.stderr.strip()[-300:]}")
    return done.stdout.split("\f")


_FOOTER = re.compile(r"—\s*(\d+)\s*—")


def page_number(page: str) -> int | None:
    """The "— N —" number printed at the foot of one page of pdftotext output."""
    lines = [line for line in page.splitlines() if line.strip()]
    match = _FOOTER.fullmatch(lines[-1].strip()) if lines else None
    return int(match.group(1)) if match else None


def locate_titles(pages: list[str], titles: list[str]) -> list[int | None]:
    """Printed page number of the page each title opens, searching forward in order."""
    found: list[int | None] = []
    at = 0
    for title in titles:
        key = "".join(title.split())
        if not key:
            found.append(None)
            continue
        for index in range(at, len(pages)):
            number = page_number(pages[index])
            if number is not None and "".join(pages[index].split()).startswith(key):
                found.append(number)
                at = index + 1
                break
        else:
            found.append(None)
    return found
