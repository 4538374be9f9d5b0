"""The hall database's password on this PC: in the operating system's credential store, or said plainly where not.

``keyring`` keeps it under service ``HallDesk`` (Windows Credential Manager, macOS Keychain, Secret Service on a
Linux desktop).  Where no store works — a headless Linux without Secret Service (keyring's ``fail`` or ``null``
backend), or one that errors — the password goes to ``db-password.json`` in the data folder, readable and
writable by this user only (mode 0600; on Windows the data folder is in the user's own profile, whose ACL lets
only the user in).  That file holds the password in plain text, and every message about it says so: it is
never disguised as encrypted.

keyring is imported when a function needs it, not with this module.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from db.paths import data_dir, write_private


class Account(Protocol):
    """What a password is kept for (``app.installation.Server``): ``account`` names it in the store."""

    @property
    def account(self) -> str: ...


SERVICE = "HallDesk"
PASSWORD_FILE = "db-password.json"
# keyring backends that store nothing: keyring.backends.fail.Keyring raises, null.Keyring drops the value.
_NOT_A_STORE = {"keyring.backends.fail", "keyring.backends.null"}


@dataclass(frozen=True)
class Kept:
    """Where a password is (or would be) kept: ``keyring`` (with the backend's name) or ``file`` (the path)."""

    where: str
    backend: str
    path: Path | None

    @property
    def message(self) -> str:
        if self.where == "keyring":
            return f"数据库密码保存在操作系统的凭据库中（{self.backend}），不写入任何设置文件。"
        return (f"本机没有可用的操作系统凭据库（如 Windows 凭据管理器、Secret Service），数据库密码以明文保存在文件 "
                f"{self.path} 中，该文件只有当前用户可以读取（未加密）：请保护好本机的这个用户账户。")

    def as_json(self) -> dict[str, Any]:
        return {"where": self.where, "backend": self.backend, "path": str(self.path) if self.path else None,
                "message": self.message}


def password_path() -> Path:
    return data_dir() / PASSWORD_FILE


def _backend() -> Any | None:
    """keyring's backend when it is a real store, else None."""
    try:
        import keyring
        from keyring.backends import chainer

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is the same as none
        return None
    if type(backend).__module__ in _NOT_A_STORE:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    with contextlib.suppress(Exception):
        if float(backend.priority) <= 0:
            return None
    return backend


def _backend_name(backend: Any) -> str:
    return str(getattr(backend, "name", None) or type(backend).__name__)


def where() -> Kept:
    """Where a password stored now would be kept."""
    backend = _backend()
    if backend is None:
        return Kept("file", "file", password_path())
    return Kept("keyring", _backend_name(backend), None)


def _read_file() -> dict[str, str]:
    try:
        doc = json.loads(password_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}


def _write_file(passwords: dict[str, str]) -> None:
    path = password_path()
    if not passwords:
        path.unlink(missing_ok=True)
        return
    write_private(path, json.dumps(passwords, ensure_ascii=False, indent=2) + "\n")


def store(server: Account, password: str) -> Kept:
    """Keep ``password`` for ``server``: in the credential store when one works, else in the private file."""
    backend = _backend()
    if backend is not None:
        try:
            backend.set_password(SERVICE, server.account, password)
        except Exception:  # e.g. a locked or unavailable Secret Service: fall back, and say so
            backend = None
        else:
            left = _read_file()  # a password kept in the file before (no store then) goes away
            if left.pop(server.account, None) is not None:
                _write_file(left)
            return Kept("keyring", _backend_name(backend), None)
    passwords = _read_file()
    passwords[server.account] = password
    _write_file(passwords)
    return Kept("file", "file", password_path())


def fetch(server: Account) -> str | None:
    """The password kept for ``server`` (credential store first, then the file); None when there is none."""
    backend = _backend()
    if backend is not None:
        with contextlib.suppress(Exception):
            value = backend.get_password(SERVICE, server.account)
            if value is not None:
                return str(value)
    return _read_file().get(server.account)


def kept(server: Account) -> Kept | None:
    """Where the password for ``server`` is kept now; None when it is nowhere."""
    backend = _backend()
    if backend is not None:
        with contextlib.suppress(Exception):
            if backend.get_password(SERVICE, server.account) is not None:
                return Kept("keyring", _backend_name(backend), None)
    return Kept("file", "file", password_path()) if server.account in _read_file() else None


def forget(server: Account) -> bool:
    """Remove the password for ``server`` from both places; True when there was one."""
    found = False
    backend = _backend()
    if backend is not None:
        with contextlib.suppress(Exception):
            if backend.get_password(SERVICE, server.account) is not None:
                backend.delete_password(SERVICE, server.account)
                found = True
    passwords = _read_file()
    if passwords.pop(server.account, None) is not None:
        _write_file(passwords)
        found = True
    return found


def file_is_private(path: Path | None = None) -> bool:
    """The fallback file is readable by this user only (always true off POSIX: the profile's ACL)."""
    path = path or password_path()
    return os.name != "posix" or not path.exists() or path.stat().st_mode & 0o077 == 0
