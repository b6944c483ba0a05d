"""Fixtures for the schema suite: the e2e suite's real-binary ``server`` fixture, reused.

This suite runs in its own virtualenv (.venv-schemathesis, python/requirements-schemathesis.txt:
schemathesis and the JSON Schema validator it brings), so it loads tests/e2e/conftest.py by path.
"""

import importlib.util
import sys
from pathlib import Path

_E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("e2e_conftest", _E2E)
e2e_conftest = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = e2e_conftest
_spec.loader.exec_module(e2e_conftest)

server = e2e_conftest.server  # noqa: F401 (a fixture)
