"""The throw-away servers the fault tests stop and start: they start, serve, stop for real, and keep their data."""

from __future__ import annotations

import itertools
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

import db.engine as engine_module
from db.engine import make_engine
from tests.support.clusters import CLUSTER_TYPES, Cluster, StopMode, port_open

_names = itertools.count()


def _db_name() -> str:
    return f"hd_cl_{os.getpid()}_{next(_names)}"


def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text("SELECT COUNT(*) FROM t")).scalar_one())
    finally:
        engine.dispose()


def _refused(url: str) -> OperationalError:
    engine = make_engine(url, pool_pre_ping=False)
    try:
        with pytest.raises(OperationalError) as info, engine.connect() as c:
            c.execute(sa.text("SELECT 1"))
        return info.value
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_stop_refuses_connections_and_start_keeps_the_data(
    shared_cluster: Cluster, mode: StopMode, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = shared_cluster
    # Every pooled connection counts as idle: the one left in the pool is pinged after the restart, found dead
    # and replaced (in use, a connection is pinged only after 10 idle seconds; see test_driver.py).
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert cluster.port not in (5432, 3306), "never the machine's shared servers"
    url = cluster.create_database(_db_name())
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, note VARCHAR(20))"))
        c.execute(sa.text("INSERT INTO t VALUES (1, '离线'), (2, 'b')"))
    # A connection left open in the pool: after the restart it is dead, and the ping must replace it.
    assert _count(url) == 2

    cluster.stop(mode)
    assert not cluster.running
    assert not port_open(cluster.port)
    _refused(url)

    cluster.start()
    assert cluster.running
    assert _count(url) == 2
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT note FROM t WHERE id = 1")).scalar_one() == "离线"
    engine.dispose()


def test_commits_survive_a_crash_stop_under_load(shared_cluster: Cluster) -> None:
    """Every transaction that returned from COMMIT before the kill is there after the restart."""
    cluster = shared_cluster
    url = cluster.create_database(_db_name())
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    for i in range(200):
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO t VALUES (:i)"), {"i": i})
    engine.dispose()
    cluster.stop("immediate")
    cluster.start()
    assert _count(url) == 200


def test_context_manager_leaves_nothing_behind(shared_cluster: Cluster) -> None:
    with CLUSTER_TYPES[shared_cluster.kind]() as cluster:
        pid = cluster.proc.pid if cluster.proc else 0
        base, port = cluster.base, cluster.port
        url = cluster.create_database("hd_cm")
        assert url.endswith(f":{port}/hd_cm") or f":{port}/hd_cm?" in url
        assert port_open(port)
    assert not base.exists()
    assert not port_open(port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert cluster.start_seconds and cluster.init_seconds > 0
