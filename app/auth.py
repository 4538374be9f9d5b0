"""Accounts: argon2id passwords, roles, lockout, and the permission checks every service calls."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, limits
from app.errors import AuthenticationError, PermissionDenied, ValidationError
from app.infra import refcache
from app.uow import UnitOfWork, database_errors
from db.engine import reading
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


# Passwords every guesser tries first, and the demo password that the README publishes.
_COMMON_PASSWORDS = frozenset({
    "password1", "password123", "passw0rd", "passw0rd1", "abc12345", "abcd1234", "abc123456", "a12345678",
    "12345678a", "1qaz2wsx", "qwerty123", "qwer1234", "asdf1234", "admin123", "admin1234", "admin888",
    "root1234", "test1234", "welcome1", "iloveyou1", "woaini1314", "aa123456", "a1234567", "zxcv1234",
    "demo@12345", "demo12345",
})


def check_password_rules(password: str, field: str = "password", *, username: str = "") -> None:
    """At least 8 characters with letters and digits; not the user name, a common password or the demo one."""
    limits.check(limits.PASSWORD, password, field)
    if len(password) < 8:
        raise ValidationError(field, "密码至少8位")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise ValidationError(field, "密码须同时包含字母和数字")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise ValidationError(field, "密码不能包含用户名")
    if lowered in _COMMON_PASSWORDS or len(set(lowered)) <= 2:
        raise ValidationError(field, "密码过于常见或简单（如 password1、演示密码），请换一个")


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
    # An initial or reset password (the demo's, or one an admin set): the user must choose their own.
    must_change_password: bool = False

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
        must_change_password=user.must_change_password,
    )


def require_department(actor: Actor, dept_id: uuid.UUID, dept_name: str) -> None:
    """Chief representatives and reviewers act only inside their own department; admins anywhere."""
    if actor.role == "admin":
        return
    if actor.role in DEPT_ROLES and actor.dept_id == dept_id:
        return
    raise PermissionDenied(f"无权操作{dept_name}的数据：只能操作本部门（{actor.dept_name or '无部门'}）的事项")


# One message for an unknown name, an inactive account and a wrong password, so that a guesser cannot tell
# user names apart by what the login says.
BAD_CREDENTIALS = f"用户名或密码错误（同一账户连续{MAX_FAILED_LOGINS}次输错将锁定15分钟）"
_dummy_hash: str | None = None


def _spend_a_verification(password: str) -> None:
    """Check ``password`` against a hash of nothing: an unknown name costs the same time as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(uuid.uuid4().hex)
    verify_password(_dummy_hash, password)


def login(uow: UnitOfWork, username: str, password: str) -> Actor:
    """Check a password; count failures, lock for 15 minutes after 5, and audit both outcomes.

    Every refusal takes one argon2 verification and says the same words, whether the name exists or not; only
    someone who gives the right password learns that the account is locked.
    """
    limits.check_all((limits.USERNAME, username, "username"), (limits.PASSWORD, password, "password"))
    # A counter's local store (app.infra.counter_store) checks and binds its counter before the first login.
    prepare = getattr(uow, "prepare_login", None)
    if prepare is not None:
        prepare(username)
    # The password is checked before any lock is taken: argon2 takes a tenth of a second on purpose, and on a
    # SQLite file the write lock would make every other program of the PC wait that long.
    with database_errors(), reading(uow.engine) as conn:
        seen = conn.execute(select(User.password_hash).where(User.username == username, User.active.is_(True))
                            ).scalar_one_or_none()
    if seen is None:
        _spend_a_verification(password)
    right = seen is not None and verify_password(seen, password)
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
            raise AuthenticationError(BAD_CREDENTIALS)
        if user.password_hash != seen:
            right = verify_password(user.password_hash, password)  # changed in between: check the new one
        if user.locked_until is not None and user.locked_until > now:
            uow.audit(username, "login_failed", "user", str(user.id), {"reason": "locked"})
            uow.commit()
            if not right:
                raise AuthenticationError(BAD_CREDENTIALS)
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise AuthenticationError(f"连续{MAX_FAILED_LOGINS}次密码错误，账户已锁定，请约{minutes}分钟后再试或联系管理员解锁")
        if not right:
            user.failed_logins += 1
            payload: dict[str, object] = {"reason": "bad_password", "failed_logins": user.failed_logins}
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                payload["locked_until"] = user.locked_until.isoformat()
            uow.audit(username, "login_failed", "user", str(user.id), payload)
            uow.commit()
            raise AuthenticationError(BAD_CREDENTIALS)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        uow.audit(username, "login", "user", str(user.id))
        actor = actor_of(user)
        uow.commit()
        return actor


# What ``check_account`` compares: the role, the department and whether the account is active.
AccountState = tuple[str, uuid.UUID | None, bool] | None


def account_key(user_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    """The reference-data cache key of a user's account state (``load_account``)."""
    return ("user.account", user_id)


def load_account(session: Session, user_id: uuid.UUID) -> AccountState:
    row = session.execute(select(User.role, User.dept_id, User.active).where(User.id == user_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def check_account(actor: Actor, state: AccountState) -> None:
    """Refuse an ``actor`` whose account changed since login (moved, role changed, stopped): a window left open
    must not keep acting with powers the account no longer has."""
    if state is None or not state[2]:
        raise PermissionDenied("您的账户已停用：请联系管理员")
    role, dept_id, _active = state
    if role != actor.role or dept_id != actor.dept_id:
        raise PermissionDenied("您的账户已被调整（角色或部门已变更），原有权限已失效：请重新登录后再办理")


def check_current(session: Session, actor: Actor) -> None:
    """``check_account`` against the account as it is now: one cached read (the reference-data cache holds the
    user columns that matter, and any change to them moves its stamp)."""
    state = refcache.current(session).get(account_key(actor.user_id), lambda: load_account(session, actor.user_id))
    check_account(actor, state)


def load_actor(uow: UnitOfWork, username: str) -> Actor:
    """The actor for an already authenticated user name (used after login, e.g. to refresh)."""
    with uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            raise AuthenticationError("用户不存在或已停用")
        return actor_of(user)
