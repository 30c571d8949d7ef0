"""Shared fixtures for the value tests (builders live in value_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import value_helpers as vh  # noqa: E402

from sroi import Effect  # noqa: E402
from sroi.spec import Spec  # noqa: E402


@pytest.fixture
def spec() -> Spec:
    return vh.make_spec()


@pytest.fixture
def effects() -> dict[str, Effect]:
    return vh.sample_effects()
