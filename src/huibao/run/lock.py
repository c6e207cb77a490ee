"""One batch at a time per ``outputs/<year>/<campaign>/``: an exclusive OS lock on ``.lock``.

The lock is ``filelock``'s native lock (``flock`` on Linux and macOS, ``LockFileEx`` on
Windows), so this module imports and works on every platform. The operating system
releases it when the holder exits, however it exits (even ``kill -9``), so a stale lock
never blocks the next run. The lock file is kept on release (deleting it would let two
runs lock two different files); it holds who has it — process, host, start time — for
the message a second run prints.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from huibao.errors import HuibaoError

NAME = ".lock"


class LockBusyError(HuibaoError):
    """Another batch holds the outputs folder."""

    def __init__(self, folder: str, holder: str) -> None:
        super().__init__(folder, holder)
        self.folder = folder
        self.holder = holder
        self.message = (f"另一个 huibao run{holder}正在生成 {folder}，本次未运行。"
                        "请等它结束后再运行，或加 --wait 排队等待。")


def _write_holder(fd: int) -> None:
    """Called by filelock with the locked descriptor: record who holds it."""
    info = {"pid": os.getpid(), "host": socket.gethostname(),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    data = json.dumps(info, ensure_ascii=False).encode("utf-8")
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.ftruncate(fd, len(data))


class BatchLock:
    """Context manager holding the lock of one outputs folder.

    ``wait=False`` raises ``LockBusyError`` at once when another run holds it; ``wait=True``
    calls ``on_wait(holder)`` once and blocks until it is free (polled, so that Ctrl-C is
    handled promptly).
    """

    def __init__(self, folder: Path, *, wait: bool = False,
                 on_wait: Callable[[str], None] | None = None, poll: float = 0.2) -> None:
        self.folder = folder
        self.wait = wait
        self.on_wait = on_wait
        self.poll = poll
        self._lock: FileLock | None = None

    def __enter__(self) -> BatchLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / NAME, timeout=0, preserve_lock_file=True,
                        on_acquired=_write_holder)
        told = False
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except Timeout:
                holder = _describe(self.folder / NAME)
                if not self.wait:
                    raise LockBusyError(str(self.folder), holder) from None
                if not told and self.on_wait:
                    self.on_wait(holder)
                told = True
                time.sleep(self.poll)
        self._lock = lock
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _describe(path: Path) -> str:
    """'（进程 123，主机 x，开始于 …）' from the lock file, or '' if it is being rewritten."""
    try:
        info = json.loads(path.read_bytes().decode("utf-8"))
        return f"（进程 {info['pid']}，主机 {info['host']}，开始于 {info['started']}）"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
