"""Block identities: a bookmark on every paragraph and table the writer emits.

A re-run merges the analyst's edits by identity (``huibao.render.merge``), so each body
element carries one bookmark ``hb_…`` whose name does not depend on the data: the
section it stands in (a short hash of its headings' wording, digits left out) and its
place there (``hb_3f2a1c_p2``: the second paragraph of that section). Bookmarks are
kept by Word, WPS and LibreOffice when a document is saved; they are not text, and an
analyst sees them only in the bookmark dialog.

``read`` finds the identities of a saved document again; ``signature`` is what counts as
an edit: the text and the visible run formatting (bold, italic, underline, strike, colour,
highlight), which survive a save in any of the three editors while their XML does not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

PREFIX = "hb_"
_BOOKMARK_START, _BOOKMARK_END = qn("w:bookmarkStart"), qn("w:bookmarkEnd")
_P, _TBL, _R, _T = qn("w:p"), qn("w:tbl"), qn("w:r"), qn("w:t")
_NAME, _ID, _VAL = qn("w:name"), qn("w:id"), qn("w:val")
_OFF = {"0", "false", "off", "none"}
_DIGITS = re.compile(r"[\d.．%％]+")


def section_key(headings: list[str], seen: dict[str, int]) -> str:
    """The identity of the section under ``headings`` (outer to inner heading texts).

    Digits are left out, so a heading that quotes a figure keeps its identity when the
    figure changes; a second section of the same wording gets a suffix.
    """
    words = "/".join(_DIGITS.sub("", h) for h in headings)
    key = PREFIX + hashlib.sha1(words.encode("utf-8")).hexdigest()[:6]
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}x{seen[key]}"


def mark(element: etree._Element, name: str, number: int) -> None:
    """Put bookmark ``name`` (w:id ``number``) around the content of a paragraph or table.

    In a table it goes into the first cell's first paragraph, since a bookmark between
    body elements is moved or dropped by some editors.
    """
    para = element if element.tag == _P else next(element.iter(_P))
    start = OxmlElement("w:bookmarkStart")
    start.set(_ID, str(number))
    start.set(_NAME, name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(_ID, str(number))
    ppr = para.find(qn("w:pPr"))
    para.insert(0 if ppr is None else 1, start)
    para.append(end)


@dataclass
class Element:
    """One body element of a document (paragraph or table) and its identity, if any."""

    xml: etree._Element
    id: str | None

    @property
    def text(self) -> str:
        return text_of(self.xml)

    @property
    def signature(self) -> list[list[str]]:
        return signature(self.xml)


def read(body: etree._Element) -> list[Element]:
    """The body's paragraphs and tables in order, each with its ``hb_`` identity.

    An element's identity is the first ``hb_`` bookmark starting in it (or just before
    it, between body elements); a name seen before (a copied paragraph) counts as none.
    """
    out: list[Element] = []
    seen: set[str] = set()
    pending: str | None = None
    for el in body:
        if el.tag == _BOOKMARK_START:
            name = el.get(_NAME, "")
            if name.startswith(PREFIX) and pending is None:
                pending = name
            continue
        if el.tag not in (_P, _TBL):
            continue
        ident = pending
        pending = None
        if ident is None:
            for start in el.iter(_BOOKMARK_START):
                name = start.get(_NAME, "")
                if name.startswith(PREFIX):
                    ident = name
                    break
        if ident in seen:
            ident = None
        if ident is not None:
            seen.add(ident)
        out.append(Element(el, ident))
    return out


def strip(body: etree._Element) -> None:
    """Remove the ``hb_`` bookmarks (a volume binds many documents with the same names)."""
    ids = set()
    for start in list(body.iter(_BOOKMARK_START)):
        if start.get(_NAME, "").startswith(PREFIX):
            ids.add(start.get(_ID))
            start.getparent().remove(start)
    for end in list(body.iter(_BOOKMARK_END)):
        if end.get(_ID) in ids:
            end.getparent().remove(end)


def has_identities(body: etree._Element) -> bool:
    return any(e.id for e in read(body))


def _run_text(run: etree._Element) -> str:
    parts = []
    for node in run:
        tag = etree.QName(node).localname
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag in ("br", "cr"):
            parts.append("\n")
    return "".join(parts)


def _runs(el: etree._Element):
    """Runs that show text: not inside deleted revisions."""
    for run in el.iter(_R):
        if any(etree.QName(a).localname == "del" for a in run.iterancestors()):
            continue
        yield run


def _paragraphs(el: etree._Element):
    return [el] if el.tag == _P else list(el.iter(_P))


def text_of(el: etree._Element) -> str:
    """Plain text; a table's cells are separated by tabs and its rows by new lines."""
    if el.tag == _P:
        return "".join(_run_text(r) for r in _runs(el))
    rows = []
    for tr in el.iter(qn("w:tr")):
        rows.append("\t".join(text_of(p) for p in tr.iter(_P)))
    return "\n".join(rows)


def _on(rpr: etree._Element | None, tag: str) -> bool:
    if rpr is None:
        return False
    node = rpr.find(qn(tag))
    if node is None:
        return False
    return (node.get(_VAL) or "true").lower() not in _OFF


def _flags(run: etree._Element) -> str:
    rpr = run.find(qn("w:rPr"))
    flags = "".join(f for f, tag in (("b", "w:b"), ("i", "w:i"), ("u", "w:u"),
                                     ("s", "w:strike"), ("h", "w:highlight"))
                    if _on(rpr, tag))
    color = None if rpr is None else rpr.find(qn("w:color"))
    if color is not None and (color.get(_VAL) or "auto").lower() not in ("auto", "000000"):
        flags += "c" + color.get(_VAL).lower()
    return flags


def signature(el: etree._Element) -> list[list[str]]:
    """Text with its visible formatting: ``[[text, flags], …]``, equal flags joined."""
    out: list[list[str]] = []
    for i, para in enumerate(_paragraphs(el)):
        if i:
            out.append(["\n", ""])
        for run in _runs(para):
            text = _run_text(run)
            if not text:
                continue
            flags = _flags(run)
            if out and out[-1][1] == flags:
                out[-1][0] += text
            else:
                out.append([text, flags])
    return out
