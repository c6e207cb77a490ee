"""A papermill engine that runs a notebook inside the calling process, in a fresh namespace.

A fresh Jupyter kernel per unit-document costs about a second before the first cell runs
(kernel start, then importing pandas, matplotlib and python-docx again), several times the
document's real work. ``NamespaceEngine`` (papermill engine name ``huibao``, registered
through papermill's ``papermill.engine`` entry point in pyproject.toml) executes the cells
with IPython in the worker process that receives the task, where those libraries are
already imported. Each notebook gets a new namespace and execution count; the executed
notebook records the same kinds of outputs a kernel would (streams, display data,
``execute_result``, errors with their traceback), so papermill's error handling and the
saved notebook work as before.

What is shared between notebooks run by one worker: imported modules and their state. The
engine restores matplotlib's rcParams, warning filters, the working folder and the
environment after each notebook; anything else a notebook changes in a module stays
changed. ``huibao run --isolation kernel`` runs each notebook in its own kernel instead.

``warm()`` prepares a worker: it imports what the notebooks import. The units of one
workbook, and the two documents of one unit, share one reading of the workbook through
the loader's own cache (``huibao.facts.loader``), here as in an analyst's JupyterLab.

The engine must run in the process's main thread, one notebook at a time: it redirects
``sys.stdout`` and papermill changes the working folder, both process-wide.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import nbformat

NAME = "huibao"
MEMO_SIZE = 8   # workbooks whose inputs a worker keeps (a batch runs units workbook by workbook)


def warm() -> None:
    """Prepare this process for notebooks: imports, the shell, the inputs memo."""
    import docx  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import pandas  # noqa: F401
    from IPython.display import Image, display  # noqa: F401

    import huibao  # noqa: F401  (what the notebooks import)
    from huibao.documents import kinds

    kinds.load_scopes()
    from huibao.run.nbshell import shell

    shell()


class NamespaceEngine:
    """papermill engine ``huibao``: execute in this process, a fresh namespace per notebook.

    It offers papermill's ``Engine`` interface and reuses its methods, but does not
    subclass it: papermill loads this module through its entry point while papermill
    itself is being imported, so this module must not import papermill at the top.

    Writes the output notebook only when papermill asks at the end (pass
    ``request_save_on_cell_execute=False``): saving after every cell, as papermill's own
    engine does so that a long run can be watched, costs more than our cells take.
    """

    @classmethod
    def execute_notebook(cls, nb: nbformat.NotebookNode, kernel_name: str,
                         **kwargs: Any) -> nbformat.NotebookNode:
        from papermill.engines import Engine

        return Engine.execute_notebook.__func__(cls, nb, kernel_name, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb: nbformat.NotebookNode, name: str | None = None) -> str:
        from papermill.utils import nb_kernel_name

        return nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb: nbformat.NotebookNode, language: str | None = None) -> str:
        from papermill.utils import nb_language

        return nb_language(nb, language)

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the huibao engine runs notebooks in the main thread only")
        from huibao.run.nbshell import shell

        sh = shell()
        sh.reset(new_session=True)
        with _restored_state():
            for index, cell in enumerate(nb_man.nb.cells):
                if cell.cell_type != "code":
                    continue
                nb_man.cell_start(cell, index)
                try:
                    if not _run_cell(sh, cell):
                        nb_man.cell_exception(cell, index)
                        break
                finally:
                    nb_man.cell_complete(cell, index)
        sh.reset(new_session=True)  # drop the notebook's objects now, not at the next one


def _run_cell(sh: Any, cell: nbformat.NotebookNode) -> bool:
    """Run one code cell into ``cell.outputs``; False when it raised."""
    from huibao.run.nbshell import Outputs, Stream

    cell.execution_count = sh.execution_count
    sh.outputs = Outputs(cell.execution_count)
    with contextlib.redirect_stdout(Stream(sh.outputs, "stdout")), \
            contextlib.redirect_stderr(Stream(sh.outputs, "stderr")):
        result = sh.run_cell(cell.source, store_history=True)
    cell.outputs = sh.outputs.items
    return result.success


@contextlib.contextmanager
def _restored_state() -> Iterator[None]:
    """Undo process-wide changes a notebook may make: rcParams, warnings, cwd, environment."""
    import matplotlib

    params = copy.deepcopy(dict(matplotlib.rcParams))
    cwd, environ = os.getcwd(), dict(os.environ)
    argv, main = list(sys.argv), sys.modules.get("__main__")
    try:
        with warnings.catch_warnings():
            yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated keys warn when set back
            matplotlib.rcParams.update(params)
        os.chdir(cwd)
        if dict(os.environ) != environ:
            os.environ.clear()
            os.environ.update(environ)
        sys.argv[:] = argv
        if main is not None:
            sys.modules["__main__"] = main
