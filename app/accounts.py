"""Administration of users and counters (窗口)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import claims, limits
from app.auth import (
    DEPT_ROLES,
    ROLES,
    Actor,
    check_password_rules,
    hash_password,
    verify_password,
)
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.lifecycle import Action, Status
from app.printing.transport import InvalidPrinterUri, parse_printer_uri
from app.roles import require
from app.uow import UnitOfWork
from db.models import Case, Counter, Department, User
from db.types import utcnow

COUNTER_KINDS: dict[str, str] = {
    "comprehensive": "综合受理",
    "policy": "惠企政策兑现专窗",
    "grievance": "办不成事",
    "output": "出件",
}
# Counter numbers are part of case numbers (two digits, three from 100 on: XJ261207-01-0042, XJ261207-120-0042).
MAX_COUNTER = 999
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,31}$")


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str
    role: str
    dept: str | None
    counter: int | None
    active: bool
    locked: bool

    def as_json(self) -> dict[str, object]:
        return {"username": self.username, "role": self.role, "dept": self.dept, "counter": self.counter}


@dataclass(frozen=True)
class CounterView:
    number: int
    name: str
    kind: str
    printer_uri: str
    active: bool
    a4_printer_uri: str = ""

    @property
    def kind_name(self) -> str:
        return COUNTER_KINDS[self.kind]

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "name": self.name,
            "kind": self.kind,
            "printer_uri": self.printer_uri,
            "a4_printer_uri": self.a4_printer_uri,
            "active": self.active,
        }


def _user_view(user: User) -> UserView:
    return UserView(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        dept=user.department.code if user.department else None,
        counter=user.counter.number if user.counter else None,
        active=user.active,
        locked=user.locked_until is not None and user.locked_until > utcnow(),
    )


def _counter_view(c: Counter) -> CounterView:
    return CounterView(number=c.number, name=c.name, kind=c.kind, printer_uri=c.printer_uri, active=c.active,
                       a4_printer_uri=c.a4_printer_uri)


def _department(session: Session, code: str | None, role: str) -> Department | None:
    if role in DEPT_ROLES and not code:
        raise ValidationError("dept", f"{ROLES[role]}必须属于一个部门")
    if not code:
        return None
    dept = session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if dept is None:
        raise ValidationError("dept", f"部门代码 {code} 不存在")
    return dept


def _counter(session: Session, number: int | None) -> Counter | None:
    if number is None:
        return None
    counter = session.execute(select(Counter).where(Counter.number == number)).scalar_one_or_none()
    if counter is None:
        raise ValidationError("counter", f"{number}号窗口不存在")
    return counter


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError("role", f"角色 {role} 不存在，可选：{'、'.join(ROLES)}")


def list_users(uow: UnitOfWork, actor: Actor) -> list[UserView]:
    require(actor, "user.list")
    with uow:
        users = uow.session.execute(select(User).order_by(User.username)).scalars()
        return [_user_view(u) for u in users]


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    dept: str | None = None,
    counter: int | None = None,
) -> UserView:
    require(actor, "user.manage")
    limits.check_all((limits.USERNAME, username, "username"), (limits.FULL_NAME, full_name, "full_name"),
                     (limits.DEPT_CODE, dept, "dept"))
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise ValidationError("username", "用户名须以字母开头，由2–32位字母、数字、下划线、点或连字符组成")
    if not full_name.strip():
        raise ValidationError("full_name", "姓名不能为空")
    _check_role(role)
    check_password_rules(password, username=username)
    with uow:
        s = uow.session
        if s.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"用户名 {username} 已存在")
        department = _department(s, dept, role)
        user = User(
            username=username,
            full_name=full_name.strip(),
            role=role,
            department=department,
            counter=_counter(s, counter),
            password_hash=hash_password(password),
            must_change_password=True,  # the admin chose it: the user replaces it at the first login
        )
        s.add(user)
        s.flush()
        uow.audit(actor.username, "user.add", "user", str(user.id),
                  {"username": username, "role": role, "dept": dept, "counter": counter})
        view = _user_view(user)
        uow.commit()
        return view


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    *,
    full_name: str,
    role: str,
    dept: str | None,
    counter: int | None,
    active: bool,
) -> UserView:
    require(actor, "user.manage")
    limits.check_all((limits.USERNAME, username, "username"), (limits.FULL_NAME, full_name, "full_name"),
                     (limits.DEPT_CODE, dept, "dept"))
    _check_role(role)
    if not full_name.strip():
        raise ValidationError("full_name", "姓名不能为空")
    with uow:
        s = uow.session
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"用户 {username} 不存在")
        if user.username == actor.username and (role != "admin" or not active):
            raise ValidationError("role", "不能取消自己的管理员角色或停用自己")
        before = _user_view(user)
        user.full_name = full_name.strip()
        user.role = role
        user.department = _department(s, dept, role)
        user.counter = _counter(s, counter)
        user.active = active
        after = _user_view(user)
        recalled = recall_held_cases(uow, actor, user)
        uow.audit(actor.username, "user.update", "user", str(user.id),
                  {"before": before.__dict__, "after": after.__dict__, "recalled": recalled})
        uow.commit()
        return after


def recall_held_cases(uow: UnitOfWork, actor: Actor, user: User) -> list[str]:
    """Cases ``user`` holds in a back office they no longer belong to (moved, role changed, stopped) go back
    to their queue at once, instead of waiting for the lease to run out; returns their numbers."""
    s = uow.session
    s.flush()  # the user's new department, role and state, as the query below compares them
    query = select(Case).where(Case.holder_id == user.id, Case.status == Status.IN_REVIEW)
    if user.active and user.role in DEPT_ROLES and user.dept_id is not None:
        query = query.where(Case.dept_id != user.dept_id)
    recalled = []
    for case in s.execute(query.with_for_update()).scalars():
        claims.back_to_queue(uow, actor, case, Action.RECALL, f"{user.full_name}的岗位已调整，办件收回队列")
        recalled.append(case.case_no)
    return recalled


def set_password(
    uow: UnitOfWork, actor: Actor, username: str, new_password: str, old_password: str | None = None
) -> None:
    """A user changes their own password with the old one; an admin sets anyone else's, which that user must
    then replace at their next login (``must_change_password``)."""
    own = actor.username == username
    require(actor, "user.password" if own else "user.manage")
    check_password_rules(new_password, "new_password", username=username)
    with uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"用户 {username} 不存在")
        if own and actor.role != "admin" and not verify_password(user.password_hash, old_password or ""):
            raise ValidationError("old_password", "原密码不正确")
        if own and verify_password(user.password_hash, new_password):
            raise ValidationError("new_password", "新密码不能与原密码相同")
        user.password_hash = hash_password(new_password)
        user.failed_logins = 0
        user.locked_until = None
        user.must_change_password = not own
        uow.audit(actor.username, "user.passwd", "user", str(user.id), {"username": username, "reset": not own})
        uow.commit()


def unlock_user(uow: UnitOfWork, actor: Actor, username: str) -> None:
    require(actor, "user.manage")
    with uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"用户 {username} 不存在")
        user.failed_logins = 0
        user.locked_until = None
        uow.audit(actor.username, "user.unlock", "user", str(user.id), {"username": username})
        uow.commit()


def list_counters(uow: UnitOfWork) -> list[CounterView]:
    with uow:
        return [_counter_view(c) for c in uow.session.execute(select(Counter).order_by(Counter.number)).scalars()]


def _check_printer(field: str, uri: str) -> None:
    """An address the print worker could use, by the transport's own reading of it (empty: no printer yet)."""
    if not uri.strip():
        return
    try:
        parse_printer_uri(uri)
    except InvalidPrinterUri as exc:
        raise ValidationError(field, exc.message) from exc


def _check_counter_fields(number: int, name: str, kind: str, printer_uri: str) -> None:
    if not 1 <= number <= MAX_COUNTER:
        raise ValidationError("number", f"窗口号须为1–{MAX_COUNTER}")
    if not name.strip():
        raise ValidationError("name", "窗口名称不能为空")
    if kind not in COUNTER_KINDS:
        raise ValidationError("kind", f"窗口类型 {kind} 不存在，可选：{'、'.join(f'{k}（{v}）' for k, v in COUNTER_KINDS.items())}")
    _check_printer("printer_uri", printer_uri)


def save_counter(
    uow: UnitOfWork, actor: Actor, *, number: int, name: str, kind: str, printer_uri: str = "", active: bool = True,
    a4_printer_uri: str | None = None,
) -> CounterView:
    """Create counter ``number`` or update it (``a4_printer_uri`` None keeps the current A4 printer)."""
    require(actor, "counter.manage")
    limits.check_all((limits.COUNTER_NAME, name, "name"), (limits.PRINTER_URI, printer_uri, "printer_uri"),
                     (limits.A4_PRINTER_URI, a4_printer_uri, "a4_printer_uri"))
    _check_counter_fields(number, name, kind, printer_uri)
    if a4_printer_uri is not None:
        _check_printer("a4_printer_uri", a4_printer_uri)
    with uow:
        s = uow.session
        counter = s.execute(select(Counter).where(Counter.number == number)).scalar_one_or_none()
        action = "counter.update"
        if counter is None:
            counter = Counter(number=number)
            s.add(counter)
            action = "counter.add"
        counter.name = name.strip()
        counter.kind = kind
        counter.printer_uri = printer_uri.strip()
        if a4_printer_uri is not None:
            counter.a4_printer_uri = a4_printer_uri.strip()
        counter.active = active
        s.flush()
        view = _counter_view(counter)
        uow.audit(actor.username, action, "counter", str(counter.id), view.as_json())
        uow.commit()
        return view


def set_counter_printers(uow: UnitOfWork, actor: Actor, number: int, printer_uri: str, a4_printer_uri: str) -> CounterView:
    """A clerk points their own counter at its printers (an admin: any counter)."""
    require(actor, "printer.setup")
    if actor.role != "admin" and actor.counter_number != number:
        raise PermissionDenied("只能设置本窗口的打印机")
    limits.check_all((limits.PRINTER_URI, printer_uri, "printer_uri"),
                     (limits.A4_PRINTER_URI, a4_printer_uri, "a4_printer_uri"))
    _check_printer("printer_uri", printer_uri)
    _check_printer("a4_printer_uri", a4_printer_uri)
    with uow:
        counter = uow.session.execute(select(Counter).where(Counter.number == number)).scalar_one_or_none()
        if counter is None:
            raise NotFound(f"{number}号窗口不存在")
        before = _counter_view(counter)
        counter.printer_uri, counter.a4_printer_uri = printer_uri.strip(), a4_printer_uri.strip()
        view = _counter_view(counter)
        uow.audit(actor.username, "counter.printers", "counter", str(counter.id),
                  {"before": before.as_json(), "after": view.as_json()})
        uow.commit()
        return view


def has_admin(uow: UnitOfWork) -> bool:
    """Whether the database has an active admin (a new hall's database has none until ``create_first_admin``)."""
    with uow:
        return uow.session.execute(select(User.id).where(User.role == "admin", User.active.is_(True))).first() is not None


def create_first_admin(uow: UnitOfWork, *, username: str, full_name: str, password: str) -> UserView:
    """A fresh installation has no users: the first admin may be made, once, without logging in."""
    limits.check_all((limits.USERNAME, username, "username"), (limits.FULL_NAME, full_name, "full_name"))
    if not USERNAME_RE.match(username):
        raise ValidationError("username", "用户名须以字母开头，由2–32位字母、数字、下划线、点或连字符组成")
    if not full_name.strip():
        raise ValidationError("full_name", "姓名不能为空")
    check_password_rules(password, username=username)
    with uow:
        s = uow.session
        if s.execute(select(User.id).where(User.role == "admin", User.active.is_(True))).first():
            raise PermissionDenied("已有管理员账户：请由管理员登录后添加用户")
        if s.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"用户名 {username} 已存在")
        user = User(username=username, full_name=full_name.strip(), role="admin", password_hash=hash_password(password))
        s.add(user)
        s.flush()
        uow.audit("system", "user.first_admin", "user", str(user.id), {"username": username})
        view = _user_view(user)
        uow.commit()
        return view
