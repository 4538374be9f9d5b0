"""Throw-away PostgreSQL and MariaDB servers of the tests' own, which the tests stop and start at will.

The machine's shared servers (5432, 3306) are used by every other test and are never touched here.  Each
cluster lives in a temporary folder (data, socket, log), listens on a free TCP port on 127.0.0.1 with trust /
empty-password root, and is tuned for speed (no fsync), not durability against power loss — a killed server
still keeps every committed row, because the data reaches the OS before the commit returns.

As root (the CI container), PostgreSQL refuses to run: it is started as the ``postgres`` OS user through
``setpriv``, which execs the server in place, so the process we hold *is* the postmaster.  Every server is
started with a parent-death signal and registered for ``atexit``, so no server outlives the test run.

    with PostgresCluster() as pg:          # initdb + start
        url = pg.create_database("hd_x")   # SQLAlchemy URL (psycopg)
        pg.stop("immediate")               # crash-stop; connections are refused from here on
        pg.start()                         # crash recovery; the data is still there
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Literal, Self

StopMode = Literal["fast", "immediate"]

_live: set[Cluster] = set()
_live_lock = threading.Lock()


class ClusterError(RuntimeError):
    """A throw-away server could not be set up, started or stopped; the message carries the log tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _is_root() -> bool:
    return os.geteuid() == 0


def _cleanup_all() -> None:
    with _live_lock:
        clusters = list(_live)
    for cluster in clusters:
        with contextlib.suppress(Exception):
            cluster.cleanup()


atexit.register(_cleanup_all)


class Cluster:
    """One throw-away server: ``start()``, ``stop(mode)``, ``url``, ``create_database(name)``, ``cleanup()``."""

    kind: ClassVar[str] = ""
    # The signal that stops the server in each mode, and the one sent when its parent (the tests) dies.
    stop_signals: ClassVar[dict[str, signal.Signals]] = {}
    death_signal: ClassVar[str] = "KILL"

    def __init__(self, *, start_timeout: float = 90.0, stop_timeout: float = 60.0) -> None:
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.base = Path(tempfile.mkdtemp(prefix=f"halldesk-{self.kind}-"))
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log_path = self.base / "server.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.initialised = False
        self.init_seconds = 0.0
        self.start_seconds: list[float] = []
        self.stop_seconds: list[float] = []
        self._lock = threading.RLock()

    # -- what subclasses provide ------------------------------------------------------------------------------

    def _initdb(self) -> None:
        raise NotImplementedError

    def _server_argv(self) -> list[str]:
        raise NotImplementedError

    def _ping(self) -> None:
        """One connection attempt as the admin user; raises when the server does not answer yet."""
        raise NotImplementedError

    def _admin_execute(self, sql: str) -> None:
        raise NotImplementedError

    def url_for(self, database: str) -> str:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The admin database's SQLAlchemy URL."""
        raise NotImplementedError

    # -- lifecycle --------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _run_as_server_user(self, argv: list[str]) -> list[str]:
        return argv

    def start(self) -> float:
        """Start the server (initialising the data folder the first time); waits until it accepts logins.

        Returns the seconds it took, also kept in ``start_seconds``.
        """
        with self._lock:
            if self.running:
                return 0.0
            if not self.initialised:
                t0 = time.monotonic()
                self._initdb()
                self.init_seconds = time.monotonic() - t0
                self.initialised = True
            if port_open(self.port):
                raise ClusterError(f"{self.kind}: port {self.port} is taken by another process")
            t0 = time.monotonic()
            argv = ["setpriv", f"--pdeathsig={self.death_signal}", *self._server_argv()]
            argv = self._run_as_server_user(argv)
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=self.base,
                )
            with _live_lock:
                _live.add(self)
            deadline = t0 + self.start_timeout
            last: Exception | None = None
            while True:
                if self.proc.poll() is not None:
                    raise ClusterError(
                        f"{self.kind} exited with {self.proc.returncode} while starting:\n{self.log_tail()}"
                    )
                try:
                    self._ping()
                    break
                except Exception as exc:
                    last = exc
                if time.monotonic() > deadline:
                    self._kill()
                    raise ClusterError(
                        f"{self.kind} did not accept logins within {self.start_timeout:.0f} s "
                        f"({last}):\n{self.log_tail()}"
                    )
                time.sleep(0.05)
            took = time.monotonic() - t0
            self.start_seconds.append(took)
            return took

    def stop(self, mode: StopMode = "fast") -> float:
        """Stop the server: ``fast`` is a clean shutdown, ``immediate`` a crash (no checkpoint, recovery on
        the next start).  Returns once the process is gone and the port refuses connections."""
        with self._lock:
            proc = self.proc
            if proc is None or proc.poll() is not None:
                self.proc = None
                return 0.0
            t0 = time.monotonic()
            proc.send_signal(self.stop_signals[mode])
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill()
            self._wait_port_closed()
            self.proc = None
            took = time.monotonic() - t0
            self.stop_seconds.append(took)
            return took

    def _wait_port_closed(self) -> None:
        deadline = time.monotonic() + self.stop_timeout
        while port_open(self.port, timeout=0.2):
            if time.monotonic() > deadline:
                raise ClusterError(f"{self.kind}: port {self.port} still open after the server stopped")
            time.sleep(0.05)

    def _kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            # The whole session: PostgreSQL's backends too, should the postmaster leave any behind.
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)

    def cleanup(self) -> None:
        """Stop the server (crash-stop: the data is thrown away) and delete its folder."""
        with self._lock:
            if self.running:
                try:
                    self.stop("immediate")
                except ClusterError:
                    self._kill()
            self.proc = None
            with _live_lock:
                _live.discard(self)
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    # -- databases ----------------------------------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        raise NotImplementedError

    def drop_database(self, name: str) -> None:
        raise NotImplementedError

    def clone_database(self, template: str, name: str) -> str:
        """A copy of ``template`` (schema and rows) as ``name``; returns its SQLAlchemy URL.  Nobody may be
        connected to ``template`` meanwhile."""
        raise NotImplementedError

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} 127.0.0.1:{self.port} {state} {self.base}>"


def _run(argv: list[str], what: str, timeout: float = 180.0) -> None:
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode("utf-8", errors="replace")
        raise ClusterError(f"{what} failed ({result.returncode}): {' '.join(argv)}\n{output[-3000:]}")


def postgres_bindir() -> Path:
    """PostgreSQL's server binaries: ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if os.environ.get("HALLDESK_TEST_PG_BINDIR"):
        candidates.append(Path(os.environ["HALLDESK_TEST_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out:
            candidates.append(Path(out))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [Path(p) for p in versions]
    for c in candidates:
        if (c / "initdb").is_file() and (c / "postgres").is_file():
            return c
    raise ClusterError("PostgreSQL server binaries (initdb, postgres) not found: install postgresql")


class PostgresCluster(Cluster):
    kind = "postgresql"
    stop_signals = {"fast": signal.SIGINT, "immediate": signal.SIGQUIT}
    # Parent gone: immediate shutdown, which also takes the backends down.
    death_signal = "QUIT"
    OS_USER = "postgres"

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.bindir = postgres_bindir()
        self._user: pwd.struct_passwd | None = None
        if _is_root():
            try:
                self._user = pwd.getpwnam(self.OS_USER)
            except KeyError as exc:
                shutil.rmtree(self.base, ignore_errors=True)
                raise ClusterError(
                    "running as root and there is no 'postgres' OS user to run PostgreSQL as"
                ) from exc
            # The folder (and nothing above it is needed beyond /tmp's +x) belongs to the server's user.
            os.chown(self.base, self._user.pw_uid, self._user.pw_gid)
        self.socket_dir.mkdir()
        self.log_path.touch()
        if self._user is not None:
            os.chown(self.socket_dir, self._user.pw_uid, self._user.pw_gid)
            os.chown(self.log_path, self._user.pw_uid, self._user.pw_gid)

    def _run_as_server_user(self, argv: list[str]) -> list[str]:
        if self._user is None:
            return argv
        # setpriv execs in place (runuser would fork and sit in between), so our child is the postmaster;
        # it sets the parent-death signal after the uid change, which would otherwise clear it.
        assert argv[0] == "setpriv"
        return [
            "setpriv",
            f"--reuid={self._user.pw_uid}",
            f"--regid={self._user.pw_gid}",
            "--init-groups",
            *argv[1:],
        ]

    def _initdb(self) -> None:
        argv = [
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        ]
        _run(self._run_as_server_user(["setpriv", *argv]), "initdb")

    def _server_argv(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "on",
            "shared_buffers": "32MB",
            "max_connections": "60",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "max_wal_size": "256MB",
            "checkpoint_timeout": "30min",
        }
        argv = [str(self.bindir / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _ping(self) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname="postgres",
            connect_timeout=3,
            autocommit=True,
        ) as conn:
            conn.execute("SELECT 1")

    def _admin_execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname="postgres",
            connect_timeout=10,
            autocommit=True,
        ) as conn:
            conn.execute(sql.encode())

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def create_database(self, name: str) -> str:
        self._admin_execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def clone_database(self, template: str, name: str) -> str:
        self._admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url_for(name)


def _first_binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or next(
            (
                p
                for d in ("/usr/sbin", "/usr/bin", "/usr/local/sbin")
                if os.access(p := f"{d}/{name}", os.X_OK)
            ),
            None,
        )
        if found:
            return found
    raise ClusterError(f"MariaDB binaries not found ({', '.join(names)}): install mariadb-server")


class MariaDBCluster(Cluster):
    kind = "mariadb"
    # SIGTERM is mariadbd's clean shutdown; SIGKILL is the crash (InnoDB recovers on the next start).
    stop_signals = {"fast": signal.SIGTERM, "immediate": signal.SIGKILL}

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.server_bin = _first_binary("mariadbd", "mysqld")
        self.install_bin = _first_binary("mariadb-install-db", "mysql_install_db")
        self.socket_dir.mkdir()

    def _initdb(self) -> None:
        argv = [
            self.install_bin,
            "--no-defaults",
            f"--datadir={self.data_dir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if _is_root():
            argv.append("--user=root")
        _run(argv, "mariadb-install-db")

    def _server_argv(self) -> list[str]:
        argv = [
            self.server_bin,
            "--no-defaults",
            f"--datadir={self.data_dir}",
            f"--socket={self.socket_dir / 'mysqld.sock'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.base / 'mysqld.pid'}",
            f"--log-error={self.log_path}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            # 2: the log is written (not flushed) at each commit, so a killed server keeps every commit.
            "--innodb-flush-log-at-trx-commit=2",
            "--innodb-doublewrite=0",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=48M",
            "--skip-innodb-adaptive-hash-index",
            "--max-connections=80",
            "--performance-schema=OFF",
        ]
        if _is_root():
            argv.append("--user=root")
        return argv

    def _ping(self) -> None:
        import pymysql  # type: ignore[import-untyped]

        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="", connect_timeout=3)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            conn.close()

    def _admin_execute(self, sql: str) -> None:
        import pymysql

        conn = pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", password="", connect_timeout=10, autocommit=True
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def url_for(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    @property
    def url(self) -> str:
        return self.url_for("mysql")

    def create_database(self, name: str) -> str:
        self._admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._admin_execute(f"DROP DATABASE IF EXISTS `{name}`")

    def clone_database(self, template: str, name: str) -> str:
        # MariaDB has no template databases: each table's own DDL (foreign keys included), then its rows.
        import pymysql

        conn = pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", password="", connect_timeout=10, autocommit=True
        )
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                cur.execute(f"USE `{name}`")
                cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                cur.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                    (template,),
                )
                for (table,) in cur.fetchall():
                    cur.execute(f"SHOW CREATE TABLE `{template}`.`{table}`")
                    cur.execute(cur.fetchone()[1])
                    cur.execute(f"INSERT INTO `{name}`.`{table}` SELECT * FROM `{template}`.`{table}`")
                cur.execute(
                    "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = %s", (template,)
                )
                if cur.fetchone()[0]:
                    raise ClusterError(f"clone_database: {template} has triggers, which are not copied")
        finally:
            conn.close()
        return self.url_for(name)


CLUSTER_TYPES: dict[str, type[Cluster]] = {"postgresql": PostgresCluster, "mariadb": MariaDBCluster}
