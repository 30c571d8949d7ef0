"""Shared fixtures for the value tests (builders live in tests/value/helpers.py)."""

from __future__ import annotations

import pytest

from sroi import Effect
from sroi.spec import Spec
from tests.value import helpers as vh


@pytest.fixture
def spec() -> Spec:
    return vh.make_spec()


@pytest.fixture
def effects() -> dict[str, Effect]:
    return vh.sample_effects()
