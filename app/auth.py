"""Accounts: argon2id passwords, roles, lockout, and the permission checks every service calls."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from app import audit, limits
from app.errors import AuthenticationError, PermissionDenied, ValidationError
from app.uow import UnitOfWork
from db.models import User
from db.types import utcnow

ROLES: dict[str, str] = {
    "clerk": "综合窗口人员",
    "reviewer": "后台审批人员",
    "chief_rep": "首席代表",
    "supervisor": "营商办/管委会",
    "admin": "系统管理员",
}
# Roles that belong to one department's back office.
DEPT_ROLES = frozenset({"reviewer", "chief_rep"})

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str, field: str = "password") -> None:
    limits.check(limits.PASSWORD, password, field)
    if len(password) < 8:
        raise ValidationError(field, "密码至少8位")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise ValidationError(field, "密码须同时包含字母和数字")


@dataclass(frozen=True)
class Actor:
    """The logged-in user a service acts for."""

    user_id: uuid.UUID
    username: str
    full_name: str
    role: str
    dept_id: uuid.UUID | None
    dept_code: str | None
    dept_name: str | None
    counter_number: int | None
    # The counter's kind ("comprehensive", "output", ...): an output counter's clerk starts at 统一出件.
    counter_kind: str | None = None

    @property
    def role_name(self) -> str:
        return ROLES[self.role]


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        dept_id=user.dept_id,
        dept_code=user.department.code if user.department else None,
        dept_name=user.department.name if user.department else None,
        counter_number=user.counter.number if user.counter else None,
        counter_kind=user.counter.kind if user.counter else None,
    )


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        allowed = "、".join(ROLES[r] for r in roles)
        raise PermissionDenied(f"{actor.role_name}无权进行此操作（仅限{allowed}）")


def require_department(actor: Actor, dept_id: uuid.UUID, dept_name: str) -> None:
    """Chief representatives and reviewers act only inside their own department; admins anywhere."""
    if actor.role == "admin":
        return
    if actor.role in DEPT_ROLES and actor.dept_id == dept_id:
        return
    raise PermissionDenied(f"无权操作{dept_name}的数据：只能操作本部门（{actor.dept_name or '无部门'}）的事项")


def login(uow: UnitOfWork, username: str, password: str) -> Actor:
    """Check a password; count failures, lock for 15 minutes after 5, and audit both outcomes."""
    limits.check_all((limits.USERNAME, username, "username"), (limits.PASSWORD, password, "password"))
    # A counter's local store (app.counter_store) checks and binds its counter before the first login.
    prepare = getattr(uow, "prepare_login", None)
    if prepare is not None:
        prepare(username)
    with uow:
        # FOR NO KEY UPDATE on PostgreSQL: a claim by the same user holds their audit chain head when its foreign
        # key check takes KEY SHARE on this row; a plain FOR UPDATE here would wait on it while holding it.
        user = uow.session.execute(
            select(User).where(User.username == username).with_for_update(key_share=True)
        ).scalar_one_or_none()
        now = utcnow()
        if user is None or not user.active:
            # Not a user (yet): the hall's chain, so that typed names cannot open chains of their own.
            uow.audit(username or "?", "login_failed", "user", username, {"reason": "unknown_or_inactive"},
                      chain=audit.HALL_CHAIN)
            uow.commit()
            raise AuthenticationError("用户名或密码错误")
        if user.locked_until is not None and user.locked_until > now:
            uow.audit(username, "login_failed", "user", str(user.id), {"reason": "locked"})
            uow.commit()
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise AuthenticationError(f"连续{MAX_FAILED_LOGINS}次密码错误，账户已锁定，请约{minutes}分钟后再试或联系管理员解锁")
        if not verify_password(user.password_hash, password):
            user.failed_logins += 1
            payload: dict[str, object] = {"reason": "bad_password", "failed_logins": user.failed_logins}
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                payload["locked_until"] = user.locked_until.isoformat()
            uow.audit(username, "login_failed", "user", str(user.id), payload)
            uow.commit()
            if user.locked_until is not None and user.locked_until > now:
                raise AuthenticationError(f"连续{MAX_FAILED_LOGINS}次密码错误，账户已锁定15分钟")
            left = MAX_FAILED_LOGINS - user.failed_logins
            raise AuthenticationError(f"用户名或密码错误（再错{left}次将锁定15分钟）")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        uow.audit(username, "login", "user", str(user.id))
        actor = actor_of(user)
        uow.commit()
        return actor


def load_actor(uow: UnitOfWork, username: str) -> Actor:
    """The actor for an already authenticated user name (used after login, e.g. to refresh)."""
    with uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            raise AuthenticationError("用户不存在或已停用")
        return actor_of(user)
