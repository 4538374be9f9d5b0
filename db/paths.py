"""Where HallDesk keeps this user's files: no SQLAlchemy here, so the start-up can ask before loading it."""

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
