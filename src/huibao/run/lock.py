"""One batch at a time per ``outputs/<year>/<campaign>/``: an exclusive ``flock`` on ``.lock``.

The kernel releases the lock when the holder exits, however it exits (even ``kill -9``),
so a stale lock never blocks the next run. The lock file itself is never deleted (deleting
it would let two runs lock two different files); it holds who has it, for the message.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

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


class BatchLock:
    """Context manager holding the lock of one outputs folder.

    ``wait=False`` raises ``LockBusyError`` at once when another run holds it; ``wait=True``
    calls ``on_wait(holder)`` once and blocks until it is free.
    """

    def __init__(self, folder: Path, *, wait: bool = False,
                 on_wait: Callable[[str], None] | None = None, poll: float = 0.2) -> None:
        self.folder = folder
        self.wait = wait
        self.on_wait = on_wait
        self.poll = poll
        self._fd: int | None = None

    def __enter__(self) -> BatchLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            self._acquire(fd)
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"), 0)
        except BaseException:
            os.close(fd)  # closing the descriptor also drops a lock taken on it
            raise
        self._fd = fd
        return self

    def _acquire(self, fd: int) -> None:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                holder = _describe(fd)
                if not self.wait:
                    raise LockBusyError(str(self.folder), holder) from None
                if not told and self.on_wait:
                    self.on_wait(holder)
                told = True
                time.sleep(self.poll)  # polled, so that Ctrl-C is handled promptly

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _describe(fd: int) -> str:
    """'（进程 123，主机 x，开始于 …）' from the lock file, or '' if it is being rewritten."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"（进程 {info['pid']}，主机 {info['host']}，开始于 {info['started']}）"
    except (ValueError, KeyError, TypeError):
        return ""
