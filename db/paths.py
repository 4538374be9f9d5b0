"""Where HallDesk keeps this PC's files: the user data folder.  Cheap to import (no SQLAlchemy), so that the
log files can be opened before anything heavy is loaded (``app.logs``)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "HallDesk"


def data_dir() -> Path:
    """The user data folder (platformdirs); HALLDESK_DATA_DIR overrides it for tests and portable installs."""
    override = os.environ.get("HALLDESK_DATA_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
