"""Template markup → outline: headings unnumbered, run-ins, exhibits, empty sections dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from huibao.errors import RenderError
from huibao.prose.narrative import check_leaks, parse, render
from huibao.render.outline import Figure, Heading, Paragraph


def test_markup_becomes_blocks_with_run_in_headings() -> None:
    fig = Figure(Path("x.png"), "图题")
    text = ("导语第一句\n导语第二句。\n\n# 主要工作\n\n## 组织领导\n\n"
            "### 责任压实。\n正文。\n\n[[figure:f]]\n")
    blocks = parse(text, {"f": fig})
    assert blocks == [Paragraph("导语第一句导语第二句。", origin="generic"),
                      Heading(1, "主要工作", origin="generic"),
                      Heading(2, "组织领导", origin="generic"),
                      Heading(3, "责任压实。", "正文。", origin="generic"), fig]


def test_heading_left_empty_is_dropped_so_numbering_has_no_gap() -> None:
    blocks = parse("# 一\n\n## 空的小节\n\n## 有内容\n\n内容。\n\n# 二\n\n文字。", {})
    assert [b.text for b in blocks if isinstance(b, Heading)] == ["一", "有内容", "二"]


def test_unknown_exhibit_is_an_error_listing_known_ones() -> None:
    with pytest.raises(RenderError, match="known"):
        parse("[[table:missing]]", {"known": Paragraph("x")})


@pytest.mark.parametrize("leak", ["None", "nan", "{{ x }}", "××", "inf"])
def test_leaked_values_are_refused(leak: str) -> None:
    with pytest.raises(RenderError):
        check_leaks(f"全年开展活动{leak}次", "t.md.j2")


def test_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("{{ x.__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(RenderError):
        render(tmp_path / "t.md.j2", {"x": 1})


def test_undefined_variable_names_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("第一行\n{{ nothing_here }}", encoding="utf-8")
    with pytest.raises(RenderError, match="第2行"):
        render(tmp_path / "t.md.j2", {})


def test_a_template_function_refusing_its_input_names_the_template_line(tmp_path) -> None:
    from huibao.errors import HuibaoError

    def refuse() -> str:
        raise HuibaoError("名次5大于参评总数3。")

    template = tmp_path / "t.md.j2"
    template.write_text("第一行\n\n{{ refuse() }}\n", encoding="utf-8")
    with pytest.raises(RenderError, match="第3行：名次5大于参评总数3") as info:
        render(template, {"refuse": refuse})
    assert info.value.__cause__ is None and info.value.__suppress_context__
