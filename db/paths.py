"""Where HallDesk keeps its files on this PC.  No SQLAlchemy here: the login window needs the data folder (crash
logs, this PC's settings) long before the database layer is loaded (a fast start, ui.main)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

APP_NAME = "HallDesk"
ENV_DATA_DIR = "HALLDESK_DATA_DIR"


def data_dir() -> Path:
    """The user data folder (platformdirs); HALLDESK_DATA_DIR overrides it for tests and portable installs."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


LOCAL_STORE_FILE = "local.sqlite3"  # a counter's own store (app.infra.counter_store)


def local_store_path() -> Path:
    """Where a counter PC's own store is unless ``--local PATH`` says otherwise."""
    return data_dir() / LOCAL_STORE_FILE


def cache_dir() -> Path:
    """Caches that may be thrown away (python-escpos's capability pickle), inside the data folder."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, flushed, renamed over it), readable
    and writable by this user only (mode 0600; on Windows the data folder is in the user's own profile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
