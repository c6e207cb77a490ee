"""Shared fixtures. Generated files go to a temporary folder, never into outputs/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "wenming_city_sample.xlsx"


def pytest_configure(config: pytest.Config) -> None:
    # Set before any notebook kernel starts (nbval), so executed notebooks write to /tmp.
    if "HUIBAO_OUTPUT_DIR" not in os.environ:
        os.environ["HUIBAO_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="huibao-test-")
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE
