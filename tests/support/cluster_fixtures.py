"""Pytest fixtures for the throw-away servers in tests/support/clusters.py (imported by tests/conftest.py).

``pg_cluster`` and ``maria_cluster`` hand out one server per test session, started on first use; each test
receives it running (a test that stopped it and failed half-way gets it restarted), and the session ends by
deleting it.  ``shared_cluster`` runs a test once on each.  In CI (``CI=true``) a server that cannot be set up
fails the test; locally the test is skipped with the reason.  ``HALLDESK_TEST_ENGINES`` narrows them as it
narrows the ``hall`` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.support.clusters import CLUSTER_TYPES, Cluster, ClusterError

__all__ = ["_own_clusters", "maria_cluster", "pg_cluster", "shared_cluster"]

CLUSTER_KINDS = ("postgresql", "mariadb")
_ENGINES = tuple(
    e for e in os.environ.get("HALLDESK_TEST_ENGINES", "sqlite,postgresql,mariadb").split(",") if e
)
_IN_CI = os.environ.get("CI", "").lower() == "true"


class _Clusters:
    """The session's clusters, made on first request; a kind that failed to start is not retried."""

    def __init__(self) -> None:
        self.clusters: dict[str, Cluster] = {}
        self.failures: dict[str, str] = {}

    def get(self, kind: str) -> Cluster:
        if kind not in _ENGINES:
            pytest.skip(f"{kind} not in HALLDESK_TEST_ENGINES")
        if kind in self.failures:
            self._unavailable(kind, self.failures[kind])
        try:
            cluster = self.clusters.get(kind) or CLUSTER_TYPES[kind]()
            self.clusters[kind] = cluster
            cluster.start()
        except (ClusterError, OSError) as exc:
            self.failures[kind] = str(exc)
            self._unavailable(kind, str(exc))
        return cluster

    @staticmethod
    def _unavailable(kind: str, reason: str) -> NoReturn:
        message = f"throw-away {kind} server could not be started: {reason}"
        if _IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def close(self) -> None:
        for cluster in self.clusters.values():
            cluster.cleanup()


@pytest.fixture(scope="session")
def _own_clusters() -> Iterator[_Clusters]:
    clusters = _Clusters()
    yield clusters
    clusters.close()


@pytest.fixture
def pg_cluster(_own_clusters: _Clusters) -> Cluster:
    """The session's own PostgreSQL server, running; tests may stop and start it."""
    return _own_clusters.get("postgresql")


@pytest.fixture
def maria_cluster(_own_clusters: _Clusters) -> Cluster:
    """The session's own MariaDB server, running; tests may stop and start it."""
    return _own_clusters.get("mariadb")


@pytest.fixture(params=CLUSTER_KINDS)
def shared_cluster(request: pytest.FixtureRequest, _own_clusters: _Clusters) -> Cluster:
    """Each of the session's own servers in turn (the shared database of an offline-counter test)."""
    return _own_clusters.get(request.param)
