"""Shared fixtures: the trained model, fresh customer bindings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


def latest_model() -> Path:
    """The model `make model` trained or reused last (newest archive)."""
    archives = sorted(MODELS.glob("*.tar.gz"), key=os.path.getmtime)
    if not archives:
        pytest.fail("no trained model in models/: run `make model` (make test does)")
    return archives[-1]


@pytest.fixture(scope="session")
def model_path() -> Path:
    return latest_model()


@pytest.fixture(scope="session")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


@pytest.fixture(autouse=True)
def _fresh_customer_bindings():
    """Each test starts with no remembered CRM binding (actions/binding.py)."""
    from actions.binding import forget_bindings

    forget_bindings()
    yield
    forget_bindings()
