"""WordprocessingML helpers the python-docx API lacks, for ``huibao.render.word``.

python-docx exposes neither ``w:eastAsia`` fonts, nor fields, nor outline levels, nor
table borders (layout.md §4). These helpers write that XML directly, always in the
schema's child order, so Word, WPS and LibreOffice all accept the result. They know
nothing about documents or profiles: callers pass fonts, sizes and twips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from lxml import etree

# Child order of the elements we edit (ECMA-376 Part 1, §17). Children not listed
# (w:t, w:drawing, extensions) are treated as coming after every listed one.
# fmt: off
_ORDERS: dict[str, tuple[str, ...]] = {
    "w:r": ("w:rPr",),
    "w:p": ("w:pPr",),
    "w:tc": ("w:tcPr",),
    "w:tr": ("w:tblPrEx", "w:trPr"),
    "w:rPrDefault": ("w:rPr",),
    "w:pPrDefault": ("w:pPr",),
    "w:style": (
        "w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine",
        "w:hidden", "w:uiPriority", "w:semiHidden", "w:unhideWhenUsed", "w:qFormat",
        "w:locked", "w:personal", "w:personalCompose", "w:personalReply", "w:rsid",
        "w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr",
    ),
    "w:rPr": (
        "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
        "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint",
        "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing",
        "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
        "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
        "w:eastAsianLayout", "w:specVanish", "w:oMath",
    ),
    "w:pPr": (
        "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
        "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
        "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
        "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
        "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    ),
    "w:tblPr": (
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
        "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
        "w:tblCaption", "w:tblDescription",
    ),
    "w:trPr": ("w:cantSplit", "w:trHeight", "w:tblHeader", "w:jc"),
    "w:tcPr": (
        "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
        "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    ),
    "w:tblBorders": ("w:top", "w:left", "w:bottom", "w:right", "w:insideH", "w:insideV"),
    "w:tcBorders": (
        "w:top", "w:left", "w:bottom", "w:right", "w:insideH", "w:insideV",
    ),
}
# fmt: on
_RANKS = {qn(p): {qn(c): i for i, c in enumerate(cs)} for p, cs in _ORDERS.items()}

ALIGN = {"left": "left", "center": "center", "right": "right", "justify": "both"}


def child(parent: etree._Element, tag: str) -> etree._Element:
    """Return the ``tag`` child of ``parent``, inserting it in schema order if absent."""
    found = parent.find(qn(tag))
    return found if found is not None else put(parent, tag)


def put(parent: etree._Element, tag: str, **attrs: str | int) -> etree._Element:
    """Replace ``parent``'s ``tag`` child with a fresh one carrying ``attrs``.

    Attribute names use ``_`` for the ``w:`` prefix: ``put(pPr, "w:jc", val="both")``.
    """
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    new = OxmlElement(tag)
    for name, value in attrs.items():
        new.set(qn(f"w:{name}"), str(value))
    ranks = _RANKS[parent.tag]
    rank = ranks[new.tag]
    for i, existing in enumerate(parent):
        if ranks.get(existing.tag, len(ranks)) > rank:
            parent.insert(i, new)
            break
    else:
        parent.append(new)
    return new


def _rpr(owner: etree._Element) -> etree._Element:
    return owner if owner.tag == qn("w:rPr") else child(owner, "w:rPr")


def set_run_fonts(owner: etree._Element, east_asia: str, latin: str, lang: str = "zh-CN"):
    """Write all four ``w:rFonts`` faces and the East Asian language on ``owner``.

    ``owner`` is a ``w:r``, ``w:style``, ``w:pPr`` (paragraph mark), ``w:rPrDefault`` or
    a ``w:rPr``. This is the one place fonts are written: python-docx sets only
    ascii/hAnsi, so Chinese text would keep the template's theme font. ``w:hint``
    routes ambiguous characters (“”、—) to the East Asian face.
    """
    rpr = _rpr(owner)
    put(rpr, "w:rFonts", ascii=latin, hAnsi=latin, eastAsia=east_asia, cs=latin, hint="eastAsia")
    put(rpr, "w:lang", val="en-US", eastAsia=lang)
    return rpr


def set_run_format(
    owner: etree._Element,
    east_asia: str,
    latin: str,
    half_points: int,
    bold: bool,
    *,
    lang: str = "zh-CN",
    complete: bool = False,
) -> etree._Element:
    """Fonts, size and weight of a run or style; ``complete`` rewrites the whole rPr.

    A complete rewrite (used for styles) also pins black, upright, unkerned text so
    nothing leaks from the default template's heading and title styles.
    """
    if complete:
        for old in owner.findall(qn("w:rPr")):
            owner.remove(old)
    rpr = set_run_fonts(owner, east_asia, latin, lang)
    for tag in ("w:b", "w:bCs"):
        put(rpr, tag, val=int(bold))
    if complete:
        for tag in ("w:i", "w:iCs"):
            put(rpr, tag, val=0)
        put(rpr, "w:color", val="000000")
        put(rpr, "w:kern", val=0)
    put(rpr, "w:sz", val=half_points)
    put(rpr, "w:szCs", val=half_points)
    return rpr


def set_paragraph_format(
    owner: etree._Element,
    *,
    align: str | None = None,
    first_line: int | None = None,
    left: int | None = None,
    right: int | None = None,
    line: int | None = None,
    exact: bool = True,
    keep_next: bool | None = None,
    outline_level: int | None = None,
    snap_to_grid: bool | None = None,
    complete: bool = False,
) -> etree._Element:
    """Alignment, indents (twips), line spacing (twips, before/after 0) of a paragraph.

    ``owner`` is a ``w:p``, ``w:style`` or ``w:pPrDefault``. ``line`` with ``exact``
    writes an exact pitch; ``exact=False`` writes single spacing (pictures must not be
    clipped to a fixed pitch); ``line=None`` alone leaves spacing to the style.
    ``complete`` drops the existing pPr first (styles from the default template).
    """
    if complete:
        for old in owner.findall(qn("w:pPr")):
            owner.remove(old)
    ppr = child(owner, "w:pPr")
    if keep_next is not None:
        put(ppr, "w:keepNext", val=int(keep_next))
        put(ppr, "w:keepLines", val=int(keep_next))
    if snap_to_grid is not None:
        put(ppr, "w:snapToGrid", val=int(snap_to_grid))
    if exact and line is not None:
        put(ppr, "w:spacing", before=0, after=0, line=line, lineRule="exact")
    elif not exact:
        put(ppr, "w:spacing", before=0, after=0, line=line or 240, lineRule="auto")
    if any(v is not None for v in (first_line, left, right)):
        ind = {"firstLine": first_line or 0, "left": left or 0, "right": right or 0}
        put(ppr, "w:ind", **ind)
    if align is not None:
        put(ppr, "w:jc", val=ALIGN[align])
    if outline_level is not None:
        put(ppr, "w:outlineLvl", val=outline_level)
    return ppr


def strip_theme_fonts(root: etree._Element) -> None:
    """Remove every theme font attribute (asciiTheme, eastAsiaTheme, cstheme …).

    Theme fonts outrank explicit names in Word, and the default template's theme maps
    East Asian text to MS Mincho (layout.md §4.2).
    """
    for rfonts in root.iter(qn("w:rFonts")):
        for name in list(rfonts.attrib):
            if etree.QName(name).localname.lower().endswith("theme"):
                del rfonts.attrib[name]


def add_field(make_run: Callable[[], etree._Element], instruction: str, placeholder: str):
    """Append a complex field (begin / instrText / separate / placeholder / end).

    ``make_run()`` returns a new, already formatted ``w:r`` appended to the paragraph;
    python-docx has no field API (#498). The placeholder shows until Word updates it.
    """

    def fld(kind: str) -> None:
        r = make_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = instruction
    make_run().append(instr)
    fld("separate")
    text = OxmlElement("w:t")
    text.text = placeholder
    make_run().append(text)
    fld("end")


def set_borders(owner: etree._Element, tag: str, sides: dict[str, int]) -> etree._Element:
    """Write a ``w:tblBorders``/``w:tcBorders`` block: side → width in eighths of a point.

    Width 0 means no line (``w:val="nil"``).
    """
    holder = put(owner, tag)
    for side in _ORDERS[tag]:
        if side.removeprefix("w:") not in sides:
            continue
        size = sides[side.removeprefix("w:")]
        if size:
            put(holder, side, val="single", sz=size, space=0, color="000000")
        else:
            put(holder, side, val="nil")
    return holder


def set_widths(tbl: etree._Element, widths: Iterable[int]) -> None:
    """Write ``w:gridCol``, every cell's ``w:tcW`` and the table's ``w:tblW`` in twips.

    WPS reads the grid, Word the table and cell widths: all three must agree.
    """
    widths = list(widths)
    grid = tbl.find(qn("w:tblGrid"))
    for col in list(grid):
        grid.remove(col)
    for width in widths:
        col = OxmlElement("w:gridCol")
        col.set(qn("w:w"), str(width))
        grid.append(col)
    tblpr = tbl.find(qn("w:tblPr"))
    put(tblpr, "w:tblW", w=sum(widths), type="dxa")
    put(tblpr, "w:tblLayout", type="fixed")
    for tr in tbl.iter(qn("w:tr")):
        for width, tc in zip(widths, tr.findall(qn("w:tc")), strict=True):
            put(child(tc, "w:tcPr"), "w:tcW", w=width, type="dxa")


def font_table(east_asian: dict[str, str | None], latin: list[str]) -> bytes:
    """A fresh ``word/fontTable.xml`` declaring exactly the faces the document uses.

    Chinese faces get charset 86 (GB2312) and their first fallback as ``w:altName``,
    which Word and WPS use when the face is missing; the default template's table
    lists MS Mincho instead.
    """
    root = etree.Element(qn("w:fonts"), nsmap={"w": nsmap["w"]})
    for name, alt in [*east_asian.items(), *((n, None) for n in latin)]:
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        if alt:
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        charset = "86" if name in east_asian else "00"
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): charset})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "auto"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
