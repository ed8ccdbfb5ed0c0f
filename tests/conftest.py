"""Fixtures of the end-to-end tests: they drive the real odoo-bin and
PostgreSQL that bin/test set up (it exports ODOO_PATH, PG* and ZZ_*),
through the project's harness (harness/)."""

import os
from pathlib import Path

import pytest

from harness import running_server

REQUIRED = ("ODOO_PATH", "ZZ_ADDONS_PATH", "ZZ_DATA_DIR", "ZZ_LOG_DIR", "PGHOST")


@pytest.fixture(scope="session")
def odoo_db():
    """The database bin/test created: the addon and its demo data installed."""
    for name in ("ZZ_TEST_DB", *REQUIRED):
        if not os.environ.get(name):
            pytest.exit(f"{name} is not set: run the tests through bin/test", 2)
    return os.environ["ZZ_TEST_DB"]


@pytest.fixture(scope="module")
def odoo_server(odoo_db):
    """The real server on a free port, serving the test database only."""
    with running_server(odoo_db) as server:
        yield server


def pytest_terminal_summary(terminalreporter):
    """Leave the counts for bin/test's closing line."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    log_dir = os.environ.get("ZZ_LOG_DIR")
    if log_dir:
        (Path(log_dir) / "pytest-counts.txt").write_text(f"{passed} {failed}\n")
