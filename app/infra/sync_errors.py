"""Why a sync round failed, in Chinese for the 离线 banner and ``sync status``, and whether only an admin can
mend it (the shared database answered and refused this PC)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from db.engine import connection_problem, is_busy

# The shared database answered and refused: no retry mends that; the admin must (the set-up's password page).
NEEDS_ADMIN = ("auth", "no_database")


def error_kind(exc: BaseException, shared_url: str | None) -> str:
    """``db.engine.connection_problem``'s kind for a failed connection to the shared database, else ''."""
    if shared_url is None or not isinstance(exc, DBAPIError) or is_busy(exc):
        return ""
    kind = connection_problem(exc, shared_url)[0]
    return kind if kind in NEEDS_ADMIN else ""


def describe_error(exc: BaseException, shared_url: str | None = None) -> str:
    """A one-line Chinese reason for a failed sync, for the banner and ``sync status``; with the shared
    database's URL, a refusal (wrong password, no such database) says so and who mends it."""
    orig = getattr(exc, "orig", None)
    detail = str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__
    if is_busy(exc):
        return f"数据库文件正被本机其他程序占用，稍后自动重试：{detail}"[:500]
    if isinstance(exc, DBAPIError) and shared_url is not None and error_kind(exc, shared_url):
        message = connection_problem(exc, shared_url)[1]
        return f"{message}请系统管理员在本机设置（HallDesk --setup）中改正；改正前受理照常，办件保存在本机。"[:500]
    return f"共享数据库无法连接或写入失败：{detail}"[:500]
