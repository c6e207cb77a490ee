"""A notebook's own parameters cell, read the way papermill's ``inspect_notebook`` does.

The cell tagged ``parameters`` is the vocabulary of what a batch may inject: each
top-level ``name = literal`` is one parameter with its default. Nothing in it is
executed; a value that is not a literal is refused with the notebook and line named.
"""

from __future__ import annotations

import ast
import functools
import json
from pathlib import Path

from huibao.errors import HuibaoError

TAG = "parameters"


def read(path: Path) -> dict[str, object]:
    """Parameter name → default, in the cell's order."""
    path = Path(path)
    st = path.stat()
    return dict(_read(str(path), st.st_mtime_ns, st.st_size))


@functools.cache
def _read(path: str, mtime: int, size: int) -> tuple[tuple[str, object], ...]:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [c for c in nb.get("cells", []) if TAG in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise HuibaoError(f"notebook {path} 没有标记为 parameters 的单元格，无法注入参数。")
    source = "".join(cells[0]["source"])
    out = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise HuibaoError(f"notebook {path} 的参数单元格第{node.lineno}行不是字面值，"
                              "参数的默认值只能是数字、文本、列表或 None。") from None
        out.append((node.targets[0].id, value))
    return tuple(out)


def inject(path: Path, values: dict[str, object], *, exclude: set[str] = frozenset()) -> dict:
    """The notebook's parameters with ``values`` laid over their defaults (None: default).

    ``exclude`` names parameters set per task (``output_dir``).
    """
    return {name: values[name] if values.get(name) is not None else default
            for name, default in read(path).items() if name not in exclude}
