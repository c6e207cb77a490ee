"""One batch per outputs folder: a second refuses at once or waits; death releases the lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from huibao.run.lock import BatchLock, LockBusyError


def test_second_lock_refuses_naming_the_holder(tmp_path: Path) -> None:
    with BatchLock(tmp_path), pytest.raises(LockBusyError) as info:
        BatchLock(tmp_path).__enter__()
    assert "另一个 huibao run（进程" in str(info.value) and "--wait" in str(info.value)
    with BatchLock(tmp_path):  # released on exit
        pass


def test_lock_is_released_when_the_body_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), BatchLock(tmp_path):
        raise RuntimeError
    with BatchLock(tmp_path):
        pass


def test_waiting_lock_is_told_once_and_gets_the_lock_when_freed(tmp_path: Path) -> None:
    told = []
    held = BatchLock(tmp_path).__enter__()
    threading.Timer(0.5, held.__exit__).start()
    start = time.monotonic()
    with BatchLock(tmp_path, wait=True, on_wait=told.append, poll=0.05):
        assert time.monotonic() - start >= 0.4
    assert len(told) == 1 and "进程" in told[0]


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from huibao.run.lock import BatchLock\n"
            "with BatchLock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockBusyError):
        BatchLock(tmp_path).__enter__()
    holder.kill()
    holder.wait()
    with BatchLock(tmp_path):
        pass


def test_the_cli_starts_where_there_is_no_fcntl() -> None:
    # Windows has no fcntl: the lock module (and so `huibao run --help`) must still import.
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "from huibao.app.cli import main\n"
            "sys.argv = ['huibao', 'run', '--help']\nmain()")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: huibao run" in done.stdout


def test_the_lock_file_is_kept_and_names_its_holder(tmp_path: Path) -> None:
    with BatchLock(tmp_path):
        text = (tmp_path / ".lock").read_text(encoding="utf-8")
        assert '"pid"' in text and '"host"' in text
    assert (tmp_path / ".lock").is_file()  # never deleted: two runs must lock one file
