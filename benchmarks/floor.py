"""The floor of the benchmark: the least work that makes the same files, on every core.

    python benchmarks/floor.py LISTING OUTPUT_FOLDER [--jobs N]

``LISTING`` has one ``unit<TAB>document<TAB>data_path`` line per unit-document. The lines
are split by workbook between ``N`` warm processes (default: the cores); each reads each
of its workbooks once and, for each line, builds the document and writes the same files
``huibao run`` leaves in a unit folder — the .docx, its figures (each drawn once, by the
document that places it) and its generation record — through the library, with no
notebook, no papermill, no preview and no executed notebook. Run from the project folder
(``HUIBAO_HOME``).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
from pathlib import Path


def _work(args: tuple[list[tuple[str, str, str]], str]) -> int:
    from huibao import config
    from huibao.documents import kinds
    from huibao.documents.build import Draft
    from huibao.facts.loader import load_inputs

    lines, out = args
    root = config.project_root()
    gc.freeze()   # as a batch worker does once it is warm
    for unit, document, data_path in lines:
        inputs = load_inputs("wenming_city", data_path, root)   # read once per workbook
        subject = kinds.scope(kinds.UNIT).prepare(inputs, unit, 2025, root)
        draft = Draft(kinds.kind(kinds.UNIT, document), subject, 2025, Path(out) / unit,
                      root=root)
        draft.write(draft.build())
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("listing")
    parser.add_argument("out")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    lines = [tuple(line.split("\t")) for line in
             Path(args.listing).read_text(encoding="utf-8").splitlines() if line]
    by_book: dict[str, list] = {}
    for line in lines:
        by_book.setdefault(line[2], []).append(line)
    shares: list[list] = [[] for _ in range(max(1, args.jobs))]
    for book in sorted(by_book.values(), key=len, reverse=True):   # balance the shares
        min(shares, key=len).extend(book)
    context = multiprocessing.get_context("forkserver")
    with context.Pool(len(shares)) as pool:
        done = sum(pool.map(_work, [(s, args.out) for s in shares if s]))
    assert done == len(lines), (done, len(lines))


if __name__ == "__main__":
    main()
