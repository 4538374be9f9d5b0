"""Where the bundled resources live (also inside a PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_catalog_path() -> Path:
    return resources_dir() / "catalog" / "default.yaml"


def font_path() -> Path:
    return resources_dir() / "fonts" / "wqy-microhei.ttc"


def icon_path() -> Path:
    """The window icon (drawn by ``freeze/icon.py``; the .ico beside it is the Windows program icon)."""
    return resources_dir() / "icons" / "halldesk.png"


def program_dir() -> Path:
    """The folder of the program: beside HallDesk(.exe) when frozen, the source checkout otherwise."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def halldesk_version() -> str:
    """HallDesk's version: from its installed metadata (also bundled in the frozen build), else pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version("halldesk")
    except metadata.PackageNotFoundError:
        pass
    import tomllib

    try:
        with (program_dir() / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def plugin_folders() -> list[Path]:
    """Where an admin may drop extra Qt plugins (a fcitx5 input-method plugin built for our Qt): ``plugins/``
    beside the program, then ``plugins/`` in the data folder (``HALLDESK_DATA_DIR``).  Each holds Qt's layout,
    e.g. ``plugins/platforminputcontexts/libfcitx5platforminputcontextplugin.so``."""
    from db.paths import data_dir  # the standard library and platformdirs only: no database layer at start

    return [program_dir() / "plugins", data_dir() / "plugins"]
