import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .harness import Servers, ServiceProcesses, TestNode, start_servers


def pytest_collection_modifyitems(items):
    # Tests are marked by the folder they live in: unit (no I/O), handlers (services on an in-memory broker
    # and store), integration
    # (real servers), e2e (browser).
    # Only the folder under tests/ counts, not where the checkout lives.
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(tests_dir).parts[:1]
        if "unit" in parts:
            item.add_marker(pytest.mark.unit)
        elif "handlers" in parts:
            item.add_marker(pytest.mark.handlers)
        elif "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    s = start_servers(tmp_path_factory.mktemp("servers"), os.environ.get("MONGO_URL") or None)
    yield s
    s.stop()


@pytest.fixture
async def node(servers) -> AsyncIterator[TestNode]:
    n = TestNode(servers)
    yield n
    await n.cleanup()


@pytest.fixture
def processes(node):
    p = ServiceProcesses(node)
    yield p
    p.stop_all()
