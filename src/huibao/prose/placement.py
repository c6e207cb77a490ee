"""Where a unit's own words (文字材料) go in its documents, verbatim.

A template marks each place a unit may speak for itself; ``OwnText`` (``own`` in the
template context) fills it with the unit's blocks for that part, or with the template's
generic wording where the unit supplied nothing:

* ``{% call own.practice("environment") %}generic paragraphs{% endcall %}``: a 主要工作
  group's practice paragraphs (the data-driven sentences stay outside the call);
  ``own.practice("导语")`` likewise for the intro's generic sentences;
* ``{{ own.case() }}``: the unit's 典型案例 (nothing when it gave none);
* ``own.about("存在问题", p)`` and ``own.items("存在问题", problems)``: the unit's problems
  (and plans, ``下一步打算``) merged with those derived from missed targets. The order,
  documented in templates/README.md: the derived items first (they carry the numbers);
  a supplied block that names an indicator of a derived item follows that item's
  sentence (``about``) instead of repeating it as an item of its own; the other supplied
  blocks follow as items (``items``); the template's generic items appear only when the
  unit supplied none for the part (``own.has``).

The words never pass through Jinja or the leak check: each block enters the rendered
markup as a token (``TOKEN``) that ``narrative.parse`` replaces by the text after the
markup is parsed, so ``{{ }}`` or a line starting with ``#`` in a unit's text is printed
literally, and the paragraph is marked 单位提供 (``origin="unit"``). Generic wording from
``practice`` is marked 通用表述.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

TOKEN = "\ue000{}\ue001"
TOKEN_RE = re.compile("\ue000(\\d+)\ue001")
GENERIC = "\ue002"          # starts a paragraph of generic wording
_END = "。！？；：…"   # a title ending in ” or ） still takes its 。


class OwnText:
    """One unit-year's blocks by part (title → text pairs), and the tokens handed out."""

    def __init__(self, blocks: Iterable[dict], names: dict[str, list[str]],
                 group_titles: dict[str, str]) -> None:
        self.by_part: dict[str, list[dict]] = {}
        for b in blocks:
            self.by_part.setdefault(str(b["part"]), []).append(b)
        self.names = names                 # indicator key → its Chinese name and aliases
        self.titles = group_titles         # group key → title (the part's name)
        self.texts: list[str] = []         # token n → text
        self.used: set[str] = set()
        self.fallbacks: list[str] = []     # parts that fell back to generic wording

    # -- what templates call

    def has(self, part: str) -> bool:
        return bool(self.by_part.get(self._part(part)))

    def practice(self, part: str, level: int = 3, caller: Callable[[], str] | None = None
                 ) -> str:
        """The unit's blocks for ``part`` as markup, else the generic ``caller()`` wording."""
        name = self._part(part)
        blocks = self.by_part.get(name, [])
        if not blocks:
            self.fallbacks.append(name)
            generic = caller() if caller is not None else ""
            return _mark_generic(generic)
        self.used.add(name)
        out = []
        for b in blocks:
            if b.get("title"):
                out.append(f"{'#' * level} {self._token(_run_in(b['title']))}")
            out += [self._token(line) for line in _lines(b["body"])]
            out.append("")
        return "\n".join(out) + "\n"

    def case(self, level: int = 3) -> str:
        """典型案例: each block a run-in titled paragraph (its own heading is the template's)."""
        return self.practice("典型案例", level) if self.has("典型案例") else ""

    def about(self, part: str, problem: dict) -> str:
        """Supplied blocks of ``part`` that name an indicator of a derived problem item."""
        keys = {m.key for m in problem.get("metrics", [])}
        picked = [b for b in self._blocks(part)
                  if not b.get("_placed") and self._names_any(b, keys)]
        for b in picked:
            b["_placed"] = True
        return "".join(self._token(_sentence(b)) for b in picked)

    def items(self, part: str, derived: list[dict] | None = None) -> list[str]:
        """The supplied blocks of ``part`` not placed by ``about``, as item texts."""
        keys = {m.key for p in derived or [] for m in p.get("metrics", [])}
        out = []
        for b in self._blocks(part):
            if b.get("_placed") or (keys and self._names_any(b, keys)):
                continue
            out.append(self._token(_sentence(b)))
        if not self.has(part):
            self.fallbacks.append(self._part(part))
        return out

    # -- helpers

    def _part(self, part: str) -> str:
        return self.titles.get(part, part)

    def _blocks(self, part: str) -> list[dict]:
        name = self._part(part)
        if self.by_part.get(name):
            self.used.add(name)
        return self.by_part.get(name, [])

    def _names_any(self, block: dict, keys: set[str]) -> bool:
        text = f"{block.get('title') or ''}{block['body']}"
        return any(n and n in text for k in keys for n in self.names.get(k, []))

    def _token(self, text: str) -> str:
        self.texts.append(text)
        return TOKEN.format(len(self.texts) - 1)


def _lines(body: str) -> list[str]:
    """A cell's line breaks (Alt+Enter, a pasted Word paragraph) start new paragraphs."""
    return [line.strip() for line in str(body).splitlines() if line.strip()]


def _run_in(title: str) -> str:
    """A run-in heading ends with 。 (GB/T 9704: 1.集中整治扎实有力。)."""
    title = str(title).strip()
    return title if title.endswith(tuple(_END)) else title + "。"


def _sentence(block: dict) -> str:
    """An item of a list (一是……): its title run in before its text."""
    body = "".join(_lines(block["body"]))
    return (_run_in(block["title"]) if block.get("title") else "") + body


def _mark_generic(text: str) -> str:
    """Mark each paragraph of generic wording so the outline records where it came from."""
    out, start = [], True
    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,4}\s+)(.*)$", stripped)
        if heading:
            line, start = heading[1] + GENERIC + heading[2], True
        elif stripped and start and not stripped.startswith(("[[", ">")):
            line, start = GENERIC + line, False
        else:
            start = not stripped
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def resolve(text: str, texts: list[str]) -> tuple[str, bool]:
    """``text`` with its tokens replaced, and whether it held any (the unit's words)."""
    if "\ue000" not in text:
        return text, False
    return TOKEN_RE.sub(lambda m: texts[int(m.group(1))], text), True
