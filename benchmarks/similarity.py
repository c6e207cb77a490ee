"""Median shared share between units' documents of each campaign (issue 15), from outputs/.

Run after ``make demo``:  .venv/bin/python benchmarks/similarity.py [--year 2025]
Prints, per campaign and document, the median over every ordered pair of units of the share
of one unit's text (numbers masked) covered by runs of ≥ 12 characters found in the other's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from similarity import median_shared  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2025")
    parser.add_argument("--outputs", default=str(ROOT / "outputs"))
    args = parser.parse_args()
    base = Path(args.outputs) / args.year
    print("| 类别 | 文档 | 单位数 | 相同文字占比（中位数） |\n|---|---|---:|---:|")
    for campaign in sorted(p.name for p in base.iterdir() if p.is_dir()):
        for document in ("工作总结", "汇报材料"):
            texts = {}
            for path in sorted((base / campaign).glob(f"*/{document}.docx")):
                if path.parent.name == "汇编":
                    continue
                d = docx.Document(str(path))
                if "汇总" in (d.core_properties.keywords or ""):  # the area's own document
                    continue
                texts[path.parent.name] = "\n".join(p.text for p in d.paragraphs)
            if len(texts) > 1:
                print(f"| {campaign} | {document} | {len(texts)} | "
                      f"{median_shared(texts):.2f} |")


if __name__ == "__main__":
    main()
