"""Shared fixtures: a throw-away HallDesk database on SQLite, PostgreSQL and MariaDB.

Each test that takes ``hall`` runs three times, once per engine, in a database created for it and dropped
after it.  Databases are cloned from a per-session template that holds the schema and the demo data, so a
test starts in well under a second.  In CI (``CI=true``) an unreachable server fails the test; locally it
is skipped with the reason.  ``HALLDESK_TEST_ENGINES=sqlite`` narrows the engines for a quick local run.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import logs
from app.auth import Actor, login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD, load_demo
from app.printing import transport
from app.printing.transport import STATUS_MEMORY
from app.printing.transport import STATUS_WAIT as SILENT_WAIT
from db.engine import make_engine
from tests.support.cluster_fixtures import *  # noqa: F403  (pg_cluster, maria_cluster, shared_cluster)
from tests.support.mariadb_copy import copy_rows

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keys, logs and the embedded database of this test run live in a folder of their own, never the user's.
os.environ["HALLDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="halldesk-test-")

PG_ADMIN = os.environ.get("HALLDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MY_ADMIN = os.environ.get("HALLDESK_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/mysql")
ALL_ENGINES = ("sqlite", "postgresql", "mariadb")
ENGINES = tuple(e for e in os.environ.get("HALLDESK_TEST_ENGINES", ",".join(ALL_ENGINES)).split(",") if e)


# A test that one engine answers as well as three: a GUI test whose widgets show the same whatever the engine
# behind the services (whose own tests run on all three), a process-level check that an in-process test repeats on
# every engine.  A mark, so that a module can take it whole: ``pytestmark = sqlite_only``.
sqlite_only = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def servers_only(test: Callable[..., None]) -> Callable[..., None]:
    """Run on the database servers (PostgreSQL, MariaDB), not on the embedded SQLite file."""
    return pytest.mark.parametrize("server", [e for e in ENGINES if e != "sqlite"], indirect=True)(test)


def pg_only(test: Callable[..., None]) -> Callable[..., None]:
    """Run on PostgreSQL only (LISTEN/NOTIFY, the one-statement claim), skipped when HALLDESK_TEST_ENGINES
    leaves it out."""
    test = pytest.mark.parametrize("server", ["postgresql"], indirect=True)(test)
    return pytest.mark.skipif("postgresql" not in ENGINES, reason="PostgreSQL not in HALLDESK_TEST_ENGINES")(
        test
    )
IN_CI = os.environ.get("CI", "").lower() == "true"
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _no_log_file_left() -> Iterator[None]:
    """A test that runs the entry point (``app.__main__.main``) starts the log file (``app.logs``): it is closed after
    the test, so that no later test logs into that test's folder or finds the log already started."""
    yield
    logs.stop()


@pytest.fixture(autouse=True)
def _printers_unknown() -> None:
    """No test inherits another's memory of a silent printer (fake printers reuse ports)."""
    STATUS_MEMORY.clear()


@pytest.fixture(autouse=True)
def _status_answers_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake printer answers its status queries at once, but on a loaded CI machine its thread may be scheduled
    later than the 0.5 s a real counter waits (``transport.STATUS_WAIT``): the answer would count as silence and
    the test would see another printer.  An answer ends the wait, so a long one costs nothing; tests of a silent
    printer, whose outcome no wait can change, shorten it again (``short_status_wait``)."""
    monkeypatch.setattr(transport, "STATUS_WAIT", 10.0)


@pytest.fixture
def short_status_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter's own wait for a printer that never answers (0.5 s), for tests of silent printers."""
    monkeypatch.setattr(transport, "STATUS_WAIT", SILENT_WAIT)


def _without_licence_seal(hall: HallDesk) -> None:
    """The template's departments do not require the 审批专用章 on 行政许可 decisions (the demo's default does):
    tests of other things decide without a seal grant; tests/test_decision_docs.py turns the rule on."""
    from app.backoffice import read_dept_settings
    from app.hall_settings import write_setting
    from db.models import Department

    with hall.uow() as uow:
        s = uow.session
        for code in s.execute(sa.select(Department.code)).scalars():
            write_setting(s, f"dept:{code}", replace(read_dept_settings(s, code), licence_seal=False).as_json())
        uow.commit()


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


def _server_unreachable(engine_name: str, exc: Exception) -> None:
    message = f"{engine_name} server unreachable: {exc}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


class Server:
    """Creates and drops throw-away databases on one engine."""

    def __init__(self, engine_name: str, tmp: Path) -> None:
        self.name = engine_name
        self.tmp = tmp
        self.admin: sa.Engine | None = None
        self.template: str | None = None
        if engine_name == "postgresql":
            self.admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        elif engine_name == "mariadb":
            self.admin = make_engine(MY_ADMIN, isolation_level="AUTOCOMMIT")

    def check(self) -> None:
        if self.admin is None:
            return
        try:
            with self.admin.connect() as c:
                c.execute(sa.text("SELECT 1"))
        except Exception as exc:
            _server_unreachable(self.name, exc)

    def url(self, db: str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.tmp / (db + '.sqlite3')}"
        assert self.admin is not None
        return self.admin.url.set(database=db).render_as_string(hide_password=False)

    def create(self, db: str, template: str | None = None) -> str:
        if self.name == "sqlite":
            if template:
                shutil.copyfile(self.tmp / f"{template}.sqlite3", self.tmp / f"{db}.sqlite3")
            return self.url(db)
        assert self.admin is not None
        with self.admin.connect() as c:
            if self.name == "postgresql":
                c.execute(sa.text(f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else "")))
            else:
                c.execute(sa.text(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        if template and self.name == "mariadb":
            self._copy_mariadb(template, db)
        return self.url(db)

    def _copy_mariadb(self, template: str, db: str) -> None:
        copy_rows(self.url(db), template)

    def drop(self, db: str) -> None:
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                (self.tmp / f"{db}.sqlite3{suffix}").unlink(missing_ok=True)
            return
        assert self.admin is not None
        with self.admin.connect() as c:
            if self.name == "postgresql":
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            else:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS `{db}`"))

    def demo_template(self) -> str:
        """A database with the schema and the demo data, made once per session and engine."""
        if self.template is None:
            name = _unique("hd_tmpl")
            url = self.create(name)
            hall = HallDesk.open(url, upgrade=True)
            try:
                load_demo(hall.uow(), folder_printers=False)  # tests give counters the printers they need
                _without_licence_seal(hall)
            finally:
                hall.close()
            self.template = name
        return self.template


@pytest.fixture(scope="session")
def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    servers: dict[str, Server] = {}
    yield servers
    for server in servers.values():
        if server.template:
            server.drop(server.template)
        if server.admin is not None:
            server.admin.dispose()


@pytest.fixture(params=ENGINES)
def server(request: pytest.FixtureRequest, _servers: dict[str, Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    name: str = request.param
    if name not in _servers:
        _servers[name] = Server(name, tmp_path_factory.mktemp(f"db_{name}"))
    srv = _servers[name]
    srv.check()
    return srv


@pytest.fixture
def empty_db_url(server: Server) -> Iterator[str]:
    """A brand-new empty database (no schema) on each engine."""
    db = _unique("hd_test")
    url = server.create(db)
    yield url
    server.drop(db)


@pytest.fixture
def hall(server: Server) -> Iterator[HallDesk]:
    """HallDesk on a fresh database with the schema and the demo data, on each engine."""
    template = server.demo_template()
    db = _unique("hd_test")
    url = server.create(db, template)
    h = HallDesk.open(url)
    yield h
    h.close()
    server.drop(db)


@pytest.fixture
def engine_name(server: Server) -> str:
    return server.name


def log_in(hall: HallDesk, username: str, password: str = DEMO_PASSWORD) -> Actor:
    return login(hall.uow(), username, password)


@pytest.fixture
def admin(hall: HallDesk) -> Actor:
    return log_in(hall, "admin")
