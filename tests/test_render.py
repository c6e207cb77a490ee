"""Render the 工作总结 with LibreOffice and check the PDF: real Chinese fonts, 28 × 22 grid,
page numbers "— N —". Skipped when LibreOffice or poppler is absent
(install with `make render-deps`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from huibao import config
from huibao.documents import unit as report
from huibao.facts import loader
from huibao.render import word
from huibao.render.layout import load_profile
from huibao.render.pdf import soffice, to_pdf

pytestmark = pytest.mark.skipif(
    soffice() is None or shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="未安装 LibreOffice / poppler（make render-deps 可安装），跳过 PDF 渲染检查",
)


def _ems(line: str) -> float:
    return sum(0.5 if ord(c) < 0x80 else 1.0 for c in line if c != " ")  # pdftotext adds spaces


@pytest.fixture(scope="module")
def pdf(root: Path, sample_path: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("render")
    inputs = loader.load_inputs("wenming_city", sample_path, root)
    doc = report.build_document(inputs, "示例县", 2025, folder / "figures", root=root)
    path = word.write_docx(doc, folder / "工作总结.docx",
                           load_profile(config.layout_profile_path(root=root)))
    return to_pdf([path], folder)[0]


def _page(pdf: Path, n: int) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [line for line in text.splitlines() if line.strip()]


def test_chinese_text_is_set_in_a_real_cjk_font(pdf: Path) -> None:
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert re.search(r"Noto(Serif|Sans)SC", fonts), fonts


def test_body_lines_hold_28_characters_and_pages_22_lines(pdf: Path) -> None:
    lines = _page(pdf, 1)
    body = lines[1:-1]  # title … footer
    widths = [_ems(line) for line in body]
    assert max(widths) <= 28.5
    assert sum(1 for w in widths if w >= 27.5) >= 5  # full lines really hold 28
    assert len(body) <= 22


def test_page_numbers_are_dashed_and_alternate_sides(pdf: Path) -> None:
    first, second = _page(pdf, 1)[-1], _page(pdf, 2)[-1]
    assert re.fullmatch(r"\s*—\s?1\s?—\s*", first)
    assert re.fullmatch(r"\s*—\s?2\s?—\s*", second)
    assert len(first) - len(first.lstrip()) > len(second) - len(second.lstrip())  # odd right


def test_signature_and_date_follow_gbt9704_geometry(pdf: Path) -> None:
    """署名 ends 2 characters from the right edge; the date starts 2 characters right of it."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(pages), "-l", str(pages), str(pdf),
                          "-"], capture_output=True, text=True, check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]+)<',
                       xml)
    sig = next(w for w in words if w[3].endswith("办公室"))
    below = [w for w in words if 5 < float(w[1]) - float(sig[1]) < 40]  # the next line only
    date = min(below, key=lambda w: float(w[0]))
    char = 16.0
    left_margin, area = 28 / 25.4 * 72, 156 / 25.4 * 72
    assert abs((left_margin + area - float(sig[2])) - 2 * char) < 2.5
    assert abs((float(date[0]) - float(sig[0])) - 2 * char) < 2.5
