"""Render a campaign's narrative template into a document outline.

Templates are sandboxed Jinja2 producing a light line markup:

``# text`` level-1 heading · ``## text`` level 2 · ``### text`` level 3 (run in with the
paragraph that follows) · ``#### text`` level 4 (run in) · ``[[figure:key]]`` and
``[[table:key]]`` place an exhibit · ``> text`` a paragraph of its own set flush left (an
addressee or salutation line) · other lines are paragraph text; blank lines separate
paragraphs. Heading numbers are never written in templates: the Word writer derives them.
"""

from __future__ import annotations

import functools
import re
import traceback
from pathlib import Path

import jinja2

from huibao.errors import HuibaoError, RenderError
from huibao.prose.functions import GLOBALS
from huibao.prose.placement import GENERIC, resolve
from huibao.prose.sandbox import Call, PlainSandbox, Unplain, plain
from huibao.render.outline import Block, Heading, Paragraph

_HEADING = re.compile(r"^(#{1,4})\s+(.+)$")
_EXHIBIT = re.compile(r"^\[\[(figure|table):([a-z0-9_]+)\]\]$")
# Text that must never reach a document: leaked values and model-text placeholders.
LEAKS = re.compile(r"None|nan|NaN|(?<![a-z])inf(?![a-z])|\{\{|\}\}|\{%|××|xx|XX|\*\*\*|____|20xx")


def make_env(folder: Path) -> PlainSandbox:
    """The template environment: a sandbox handing out plain data only (``sandbox``)."""
    env = PlainSandbox(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update({name: Call(fn) for name, fn in GLOBALS.items()})
    return env


@functools.lru_cache(maxsize=64)
def _env(folder: str) -> PlainSandbox:
    """One environment per template folder and process: Jinja compiles a template once
    and recompiles it when the file changes (its loader checks the modification time)."""
    return make_env(Path(folder))


def template_context(context: dict) -> dict:
    """``context`` as a template sees it: plain data only (paths, files, frames, models and
    classes are refused or converted; see ``huibao.prose.sandbox``)."""
    try:
        return {str(k): plain(v) for k, v in context.items()}
    except Unplain as exc:
        raise HuibaoError(f"模板上下文含有不允许的对象：{exc}") from None


def render(template: Path, context: dict) -> str:
    """Render one template file with ``context``; errors name the template."""
    env = _env(str(template.parent))
    view = template_context(context)
    try:
        return env.get_template(template.name).render(**view)
    except (jinja2.TemplateError, HuibaoError) as exc:
        # A template function refusing its input (HuibaoError) is named with the template
        # line too; ``from None`` drops Jinja's rewritten frames, which IPython cannot show.
        line = getattr(exc, "lineno", None) or _template_line(exc, template)
        where = f"第{line}行：" if line else ""
        raise RenderError(str(template), f"{where}{exc}") from None


def _template_line(exc: BaseException, template: Path) -> int | None:
    """Jinja rewrites tracebacks so template frames carry the template's own line numbers."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(template)]
    return frames[-1].lineno if frames else None


def check_leaks(text: str, template: str) -> None:
    """Refuse text containing None/nan/placeholders (see ``LEAKS``)."""
    hit = LEAKS.search(text)
    if hit:
        start = max(hit.start() - 15, 0)
        raise RenderError(template, f"生成的文字含有不应出现的内容“{hit.group()}”："
                                    f"…{text[start:hit.end() + 15]}…")


def exhibit_keys(text: str) -> set[str]:
    """The keys of the figures and tables that rendered markup places."""
    return {m.group(2) for line in text.splitlines() if (m := _EXHIBIT.match(line.strip()))}


def _origin(text: str, own: bool, generic: bool) -> str:
    """单位提供 when the unit's words are in it, 通用表述 when marked generic or without a
    figure, else 数据生成 (a sentence built from the data)."""
    if own:
        return "unit"
    if generic or not re.search(r"\d|【待填", text):
        return "generic"
    return "data"


def parse(text: str, exhibits: dict[str, Block | None],
          texts: list[str] | None = None) -> list[Block]:
    """Turn rendered markup into outline blocks; a run-in heading takes the next paragraph.

    An exhibit mapped to None does not apply to this unit-year and is left out. ``texts``
    are the unit's own words the markup holds as tokens (``placement``); each block records
    its ``origin``.
    """
    texts = texts or []
    blocks: list[Block] = []
    para: list[str] = []
    pending: Heading | None = None
    marked = {"para": False, "heading": False}

    def flush() -> None:
        nonlocal pending
        body, own = resolve("".join(para).strip(), texts)
        generic = marked["para"]
        para.clear()
        marked["para"] = False
        if pending is not None:
            title, own_title = resolve(pending.text, texts)
            origin = _origin(title + body, own or own_title, generic or marked["heading"])
            blocks.append(Heading(pending.level, title, body or None, origin=origin))
            pending = None
        elif body:
            blocks.append(Paragraph(body, origin=_origin(body, own, generic)))

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(GENERIC):
            line = line[1:]
            marked["para"] = True
        if not line:
            if para:
                flush()
            continue
        heading = _HEADING.match(line)
        exhibit = _EXHIBIT.match(line)
        if heading or exhibit or line.startswith(">"):
            flush()
        if line.startswith(">"):
            if line[1:].strip():
                blocks.append(Paragraph(line[1:].strip(), flush=True))
            continue
        if heading:
            level, title = len(heading.group(1)), heading.group(2).strip()
            marked["heading"] = title.startswith(GENERIC)
            marked["para"] = False
            title = title.removeprefix(GENERIC)
            if level >= 3:
                pending = Heading(level, title)
            else:
                title, own = resolve(title, texts)
                blocks.append(Heading(level, title, origin="unit" if own else "generic"))
        elif exhibit:
            key = exhibit.group(2)
            if key not in exhibits:
                known = "、".join(exhibits) or "（无）"
                raise RenderError("", f"模板引用了未定义的图表“{key}”（可用：{known}）")
            if exhibits[key] is not None:
                blocks.append(exhibits[key])
        else:
            para.append(line)
    flush()
    return _drop_empty_headings(blocks)


def _drop_empty_headings(blocks: list[Block]) -> list[Block]:
    """Drop own-line headings left with nothing under them (e.g. all data optional and absent)."""
    out = list(blocks)
    i = len(out) - 1
    while i >= 0:
        b = out[i]
        if isinstance(b, Heading) and b.body is None:
            nxt = out[i + 1] if i + 1 < len(out) else None
            if nxt is None or (isinstance(nxt, Heading) and nxt.level <= b.level):
                del out[i]
        i -= 1
    return out
