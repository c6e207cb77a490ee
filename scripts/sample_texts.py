"""Put each pack's sample 文字材料 into its sample workbook's sheet 文字材料.

The sample units' own words are written as Markdown, one file per unit and year
(``data/文字材料/<campaign>/<单位>_<年度>.md``: the route a unit that writes in Word or a
text editor takes). The collection workbook route is the sheet 文字材料 (单位 | 年度 | 部分 |
小标题 | 内容, one row per block): this script fills it from those files, so the demo reads
the sheet and the tests can compare both routes. Run by ``make sample-data``.

    python scripts/sample_texts.py [--campaign all|<campaign>]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font

from huibao.inputs import texts
from huibao.inputs.findings import Findings

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {"A": 22, "B": 8, "C": 28, "D": 24, "E": 90}


def fill(campaign: str) -> int:
    folder = ROOT / "data" / "文字材料" / campaign
    book = ROOT / "data" / f"{campaign}_sample.xlsx"
    rows = []
    findings = Findings()
    for path in sorted(folder.glob("*.md")):
        rows += texts.read_file(path, findings)
    if findings.items:
        raise SystemExit("\n".join(p.text() for p in findings.items))
    wb = load_workbook(book)
    if texts.SHEET in wb.sheetnames:
        del wb[texts.SHEET]
    ws = wb.create_sheet(texts.SHEET)
    ws.append(list(texts.COLUMNS))
    for r in rows:
        ws.append([r["unit"], r["year"], r["part"], r["title"], r["body"]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.save(book)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaign", default="all")
    args = parser.parse_args()
    campaigns = sorted(p.name for p in (ROOT / "data" / "文字材料").iterdir() if p.is_dir()) \
        if args.campaign == "all" else [args.campaign]
    for c in campaigns:
        print(f"{c}：{fill(c)} 段文字材料 → data/{c}_sample.xlsx")


if __name__ == "__main__":
    main()
