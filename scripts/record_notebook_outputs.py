"""Re-execute the notebooks with their default parameters and record the outputs nbval checks.

Only cells marked ``# NBVAL_CHECK_OUTPUT`` keep their outputs; the others are cleared so the
committed notebooks stay small and free of machine-specific paths. Generated documents go
to a temporary folder. Run after an intended change to a checked output:

    make notebook-outputs
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def record(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps would change on every recording
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" not in cell.source:
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    print(f"已记录 {path.relative_to(ROOT)}")


def main() -> None:
    os.environ["HUIBAO_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="huibao-nb-")
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        record(path.resolve())


if __name__ == "__main__":
    main()
