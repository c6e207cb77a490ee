"""The floor of the benchmark: the notebooks' code for many unit-documents in one process.

    python benchmarks/floor.py LISTING OUTPUT_FOLDER

``LISTING`` has one ``unit<TAB>document<TAB>data_path`` line per unit-document. Each runs
the code cells of its notebook, with the parameters set as papermill would set them, in a
fresh dictionary namespace. Imports happen once, in this process; there is no kernel, no
papermill and no executed notebook. Run from the project folder (``HUIBAO_HOME``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

# The notebooks' imports, once for every unit-document.
import docx  # noqa: F401
import matplotlib
import pandas  # noqa: F401
from IPython.display import Image, display  # noqa: F401

from huibao import config
from huibao.documents import kinds
from huibao.documents import unit as report  # noqa: F401
from huibao.render import word  # noqa: F401
from huibao.render.layout import load_profile  # noqa: F401

matplotlib.use("Agg")


def code_cells(notebook: Path) -> list[tuple[bool, str]]:
    """(is the parameters cell, source) of each code cell."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [("parameters" in c["metadata"].get("tags", []), "".join(c["source"]))
            for c in nb["cells"] if c["cell_type"] == "code"]


def main() -> None:
    listing, out = Path(sys.argv[1]), Path(sys.argv[2])
    root = config.project_root()
    cells: dict[str, list] = {}
    for line in listing.read_text(encoding="utf-8").splitlines():
        unit, document, data_path = line.split("\t")
        if document not in cells:
            source = kinds.kind(kinds.UNIT, document).notebook_path(root)
            cells[document] = [(p, compile(s, f"{source.name}[{i}]", "exec"))
                               for i, (p, s) in enumerate(code_cells(source))]
        params = {"unit": unit, "year": 2025, "data_path": data_path, "document": document,
                  "output_dir": str(out / unit)}
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for is_parameters, code in cells[document]:
                exec(code, namespace)
                if is_parameters:
                    namespace.update(params)


if __name__ == "__main__":
    main()
