"""Where HallDesk keeps its files on this PC.  No SQLAlchemy here: the login window needs the data folder (crash
logs, this PC's settings) long before the database layer is loaded (a fast start, ui.main)."""

from __future__ import annotations

import os
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


def cache_dir() -> Path:
    """Caches that may be thrown away (python-escpos's capability pickle), inside the data folder."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
