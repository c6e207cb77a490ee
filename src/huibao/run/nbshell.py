"""An IPython shell that records a notebook cell's outputs the way nbclient records a kernel's.

Used by ``huibao.run.engine`` to run notebooks inside a worker process: streams, display data,
the last expression's ``execute_result`` and errors (with their traceback) become nbformat
outputs of the cell, in the order they were produced.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


class Outputs:
    """The outputs of the cell being run, in the order they were produced."""

    def __init__(self, execution_count: int | None = None) -> None:
        self.items: list[nbformat.NotebookNode] = []
        self.execution_count = execution_count

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text
        else:
            self.items.append(nbformat.v4.new_output("stream", name=name, text=text))

    def add(self, output_type: str, **fields: Any) -> None:
        self.items.append(nbformat.v4.new_output(output_type, **fields))


class Stream(io.TextIOBase):
    def __init__(self, outputs: Outputs, name: str) -> None:
        self._outputs, self._name = outputs, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._outputs.stream(self._name, text)
        return len(text)


class _DisplayHook(DisplayHook):
    """The value of a cell's last expression becomes its ``execute_result``."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
        self.shell.outputs.add("execute_result", data=format_dict, metadata=md_dict or {},
                               execution_count=self.shell.outputs.execution_count)

    def finish_displayhook(self) -> None:
        self.shell._displayed = True


class _DisplayPublisher(DisplayPublisher):
    def publish(self, data: dict, metadata: dict | None = None, source: Any = None, *,
                transient: dict | None = None, update: bool = False, **kwargs: Any) -> None:
        self.shell.outputs.add("display_data", data=data, metadata=metadata or {})

    def clear_output(self, wait: bool = False) -> None:
        self.shell.outputs.items.clear()


class _Shell(InteractiveShell):
    """An IPython shell that records outputs the way nbclient records a kernel's."""

    displayhook_class = _DisplayHook
    display_pub_class = _DisplayPublisher

    def __init__(self, **kwargs: Any) -> None:
        self.outputs = Outputs()
        super().__init__(**kwargs)

    def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
        self.outputs.add("error", ename=etype.__name__, evalue=str(evalue), traceback=stb)

    def init_io(self) -> None:  # no terminal: nothing to set up
        pass


_shell: _Shell | None = None


def usable() -> bool:
    """False inside another IPython shell (e.g. a Jupyter kernel): there can be only one."""
    return _shell is not None or not InteractiveShell.initialized()


def shell() -> _Shell:
    """This process's shell, created on first use (no history file, no profile scripts)."""
    global _shell
    if _shell is None:
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        config.InteractiveShell.colors = "nocolor"
        config.InteractiveShell.xmode = "context"
        config.InteractiveShell.cache_size = 0   # no Out[] cache: reset() skips gc.collect
        main = sys.modules.get("__main__")
        _shell = _Shell.instance(config=config)
        if main is not None:
            # IPython installs its namespace module as __main__; multiprocessing (spawn,
            # forkserver) in this process needs the real one back.
            sys.modules["__main__"] = main
    return _shell
