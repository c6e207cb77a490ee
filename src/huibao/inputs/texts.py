"""The units' own words (文字材料): blocks of text per unit, year and part of the document.

Two routes give the same records (unit, year, part, title, body + location):

* the collection workbook's sheet 文字材料 (单位 | 年度 | 部分 | 小标题 | 内容), one row per
  block, several rows per part kept in order — read by ``workbook`` like the other
  text sheets, from .xlsx or a .csv in any usual encoding;
* one Markdown (.md) or Word (.docx) file per unit and year, named ``<单位>_<年度>.md``
  (or .docx), found where the data files are (the same ``data_path`` rules: a file, a
  folder, a glob). A level-1 heading (``# 部分`` / Word 标题 1) names the part; a level-2
  heading (``## 小标题`` / 标题 2) is the title of the block that follows; each paragraph
  is one block.

The parts are named as the documents name them (``parts``): 导语, each 主要工作 group of
the pack by its Chinese title, 典型案例 (or 特色亮点), 存在问题, 下一步打算. Nothing here
interprets the words: they reach the document verbatim (``huibao.prose.placement``).
"""

from __future__ import annotations

import re
from pathlib import Path

from huibao.inputs.cells import control_char, has_odd_break, one_line
from huibao.inputs.findings import Findings
from huibao.packs.schema import Pack

SHEET = "文字材料"
COLUMNS = {"单位": "unit", "年度": "year", "部分": "part", "小标题": "title", "内容": "body"}
INTRO, CASE, PROBLEMS, PLANS = "导语", "典型案例", "存在问题", "下一步打算"
ALIASES = {"特色亮点": CASE, "典型经验": CASE, "存在的问题": PROBLEMS, "问题与不足": PROBLEMS,
           "下一步工作打算": PLANS, "下一步工作": PLANS, "工作打算": PLANS}
SUFFIXES = (".md", ".docx")
_NAME = re.compile(r"^(?P<unit>.+?)[_\-－ ](?P<year>(?:19|20)\d\d)年?$")


def parts(pack: Pack) -> list[str]:
    """The parts a unit may write, in document order (the 部分 drop-down)."""
    groups = [g.title for g in pack.groups if g.key != "profile"]
    return [INTRO, *groups, CASE, PROBLEMS, PLANS]


def canonical(part: str, pack: Pack) -> str | None:
    """The part named by ``part`` (spacing and the usual other names forgiven), or None."""
    text = re.sub(r"\s+", "", part or "")
    text = ALIASES.get(text, text)
    if text in parts(pack):
        return text
    for g in pack.groups:  # a group by its key or by the short name before the comma
        if text in (g.key, re.split("[，,]", g.title)[0]):
            return g.title
    return None


def is_text_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith(("~$", "."))


def read_file(path: Path, findings: Findings) -> list[dict]:
    """The blocks of one .md/.docx file, as records like the sheet's (see module doc)."""
    m = _NAME.match(path.stem)
    if m is None:
        findings.add("text_file_name", "文字材料文件名应为“单位_年度”，如 示例县_2025.md",
                     file=path.name, value=path.name, expected="示例县_2025.md")
        return []
    unit, year = m["unit"], int(m["year"])
    try:
        lines = _docx_lines(path) if path.suffix.lower() == ".docx" else _md_lines(path)
    except Exception as exc:  # python-docx raises several types for a file it cannot read
        findings.add("text_file_unreadable", f"无法读取文字材料文件（{type(exc).__name__}），"
                     "文件可能已损坏或不是 Word 文档", file=path.name, unit=unit, year=year,
                     expected="在 Word 或 WPS 中打开并另存为 .docx，或改用 .md 文件")
        return []
    out: list[dict] = []
    part: str | None = None
    title: str | None = None
    for number, level, text in lines:
        where = {"file": path.name, "row": number, "unit": unit, "year": year}
        bad = control_char(text)
        if bad:  # Word cannot hold it: refused here, located, never passed to the writer
            findings.add("control_char",
                         f"含有不可见的控制字符（{bad}），无法写入文档，这一段未读取",
                         value=text.replace("\x00", "")[:30], expected="删去该字符后重新输入",
                         **where)
            continue
        if has_odd_break(text):
            text = one_line(text)
            findings.add("line_break", "含有从 Word 粘贴带入的换行符，已合并为一行",
                         severity="warning", value=text[:30], **where)
        if level == 1:
            part, title = text, None
        elif level == 2:
            title = text
        elif part is None:
            findings.add("text_outside_part", "这段文字不在任何部分之下（请先写“# 部分名称”）",
                         file=path.name, row=number, unit=unit, year=year, value=text[:30])
        else:
            out.append({"unit": unit, "year": year, "part": part, "title": title,
                        "body": text, "file": path.name, "sheet": None, "row": number,
                        "column": "内容", "letter": None, "part_letter": None})
            title = None
    if part is not None and title is not None:
        findings.add("empty_text", "小标题下没有内容", file=path.name, unit=unit, year=year,
                     value=title, expected="在小标题下写一段文字")
    return out


def _md_lines(path: Path) -> list[tuple[int, int, str]]:
    """(line number, heading level or 0, text) per heading or paragraph of a Markdown file."""
    from charset_normalizer import from_bytes

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        text = str(best) if best is not None else raw.decode("gb18030", errors="replace")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out: list[tuple[int, int, str]] = []
    para: list[str] = []
    start = 0

    def flush() -> None:
        if para:
            out.append((start, 0, "".join(s.strip() for s in para)))
            para.clear()

    # lines as an editor numbers them: a vertical tab or form feed is not a new line
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        heading = re.match(r"^(#{1,6})\s+(.*)$", line.strip())
        if heading:
            flush()
            out.append((i, min(len(heading[1]), 2), heading[2].strip()))
        elif not line.strip():
            flush()
        else:
            if not para:
                start = i
            para.append(line)
    flush()
    return out


def _docx_lines(path: Path) -> list[tuple[int, int, str]]:
    import docx

    out = []
    for i, p in enumerate(docx.Document(str(path)).paragraphs, 1):
        text = p.text.strip()
        if not text:
            continue
        style = (p.style.name if p.style is not None else "") or ""
        level = 1 if style in ("Heading 1", "标题 1") else 2 if style in (
            "Heading 2", "标题 2") else 0
        out.append((i, level, text))
    return out
