"""Accounts: argon2id hashes, rehash, lockout after 5 failures, and audited logins."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app import accounts, auth
from app.auth import BAD_CREDENTIALS, Actor, login
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.errors import AuthenticationError, Conflict, PermissionDenied, ValidationError
from db.models import AuditEvent, User
from db.types import utcnow
from tests.conftest import log_in


def _events(hall: HallDesk, action: str) -> list[AuditEvent]:
    with hall.uow() as uow:
        return list(uow.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at, AuditEvent.seq)
        ).scalars())


def _user(hall: HallDesk, username: str) -> User:
    with hall.uow() as uow:
        return uow.session.execute(select(User).where(User.username == username)).scalar_one()


def test_login_returns_actor_and_is_audited(hall: HallDesk) -> None:
    actor = login(hall.uow(), "chief_scj", DEMO_PASSWORD)
    assert (actor.role, actor.dept_code, actor.dept_name) == ("chief_rep", "SCJ", "区市场监管局")
    clerk = login(hall.uow(), "clerk2", DEMO_PASSWORD)
    assert (clerk.counter_number, clerk.counter_kind) == (2, "comprehensive")
    assert actor.counter_kind is None  # a chief representative sits at no counter
    assert [e.actor for e in _events(hall, "login")] == ["chief_scj", "clerk2"]
    assert _user(hall, "clerk2").password_hash.startswith("$argon2id$")


def test_wrong_password_and_unknown_user_are_refused_and_audited(hall: HallDesk) -> None:
    with pytest.raises(AuthenticationError, match="用户名或密码错误"):
        login(hall.uow(), "clerk1", "wrong-password1")
    with pytest.raises(AuthenticationError, match="用户名或密码错误"):
        login(hall.uow(), "nobody", DEMO_PASSWORD)
    failed = _events(hall, "login_failed")
    assert [(e.actor, e.entity) for e in failed] == [("clerk1", "user"), ("nobody", "user")]
    # A user's failures are on the user's chain; a name that is no user's goes to the hall's.
    assert [e.chain for e in failed] == ["user:clerk1", "hall"]
    assert _user(hall, "clerk1").failed_logins == 1


def test_five_failures_lock_for_fifteen_minutes(hall: HallDesk) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError) as refused:
            login(hall.uow(), "clerk1", "bad-pass-123")
        assert refused.value.message == BAD_CREDENTIALS
    locked = _user(hall, "clerk1")
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - utcnow() <= timedelta(minutes=15)
    # A wrong password while locked says nothing new; only the right one learns of the lock, and is refused.
    with pytest.raises(AuthenticationError) as refused:
        login(hall.uow(), "clerk1", "bad-pass-123")
    assert refused.value.message == BAD_CREDENTIALS
    with pytest.raises(AuthenticationError, match="已锁定"):
        login(hall.uow(), "clerk1", DEMO_PASSWORD)
    # Fifteen minutes later it works again.
    with hall.uow() as uow:
        user = uow.session.execute(select(User).where(User.username == "clerk1")).scalar_one()
        user.locked_until = utcnow() - timedelta(seconds=1)
        uow.commit()
    assert login(hall.uow(), "clerk1", DEMO_PASSWORD).username == "clerk1"
    assert _user(hall, "clerk1").locked_until is None


def test_admin_unlocks(hall: HallDesk, admin: Actor) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            login(hall.uow(), "clerk2", "bad-pass-123")
    assert any(u.locked for u in accounts.list_users(hall.uow(), admin) if u.username == "clerk2")
    accounts.unlock_user(hall.uow(), admin, "clerk2")
    assert login(hall.uow(), "clerk2", DEMO_PASSWORD).username == "clerk2"


def test_a_guesser_cannot_tell_user_names_apart(hall: HallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same words and the same work (one argon2 verification) for a user that exists, one that does not,
    # one that is stopped, and a locked one with a wrong password.
    checks: list[str] = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    admin = log_in(hall, "admin")
    accounts.update_user(hall.uow(), admin, "clerk2", full_name="综合窗口二", role="clerk", dept=None, counter=2,
                         active=False)
    with hall.uow() as uow:
        uow.session.execute(select(User).where(User.username == "clerk9")).scalar_one().locked_until = (
            utcnow() + timedelta(minutes=10))
        uow.commit()
    answers = []
    for name in ("clerk1", "no_such_user", "clerk2", "clerk9"):
        checks.clear()
        with pytest.raises(AuthenticationError) as refused:
            login(hall.uow(), name, "Wrong-pass-1")
        answers.append(refused.value.message)
        assert checks == ["Wrong-pass-1"], name
    assert set(answers) == {BAD_CREDENTIALS}


def test_password_policy(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    for weak, why in (("wangfang2026", "用户名"), ("password1", "常见"), (DEMO_PASSWORD, "演示密码"),
                      ("11111111a", "简单"), ("abcdefgh", "字母和数字"), ("Ab1", "至少8位"), ("x1" * 65, "128")):
        with pytest.raises(ValidationError, match=why):
            accounts.add_user(hall.uow(), admin, username="wangfang", full_name="王芳", role="clerk", password=weak)
    clerk = log_in(hall, "clerk1")
    with pytest.raises(ValidationError, match="不能包含用户名"):
        accounts.set_password(hall.uow(), clerk, "clerk1", "Clerk1-2026", DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="常见"):
        accounts.set_password(hall.uow(), clerk, "clerk1", "Demo@12345", DEMO_PASSWORD)


def test_initial_and_reset_passwords_must_be_changed(hall: HallDesk) -> None:
    # The demo accounts share a published password; an admin's new or reset password is known to the admin.
    assert login(hall.uow(), "clerk1", DEMO_PASSWORD).must_change_password
    admin = log_in(hall, "admin")
    accounts.add_user(hall.uow(), admin, username="zhao.lei", full_name="赵磊", role="clerk", password="Window7start",
                      counter=1)
    zhao = login(hall.uow(), "zhao.lei", "Window7start")
    assert zhao.must_change_password
    with pytest.raises(ValidationError, match="不能与原密码相同"):
        accounts.set_password(hall.uow(), zhao, "zhao.lei", "Window7start", "Window7start")
    accounts.set_password(hall.uow(), zhao, "zhao.lei", "Mine4ever9", "Window7start")
    assert not login(hall.uow(), "zhao.lei", "Mine4ever9").must_change_password
    accounts.set_password(hall.uow(), admin, "zhao.lei", "Reset8now1")
    assert login(hall.uow(), "zhao.lei", "Reset8now1").must_change_password
    [reset] = [e for e in _events(hall, "user.passwd") if json.loads(e.payload)["reset"]]
    assert reset.actor == "admin"


def test_hash_is_upgraded_when_parameters_change(hall: HallDesk) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEMO_PASSWORD)
    with hall.uow() as uow:
        uow.session.execute(select(User).where(User.username == "clerk1")).scalar_one().password_hash = weak
        uow.commit()
    login(hall.uow(), "clerk1", DEMO_PASSWORD)
    new_hash = _user(hall, "clerk1").password_hash
    assert new_hash != weak
    assert not PasswordHasher().check_needs_rehash(new_hash)


def test_user_administration(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    view = accounts.add_user(hall.uow(), admin, username="li.na", full_name="李娜", role="reviewer",
                             password="Passw0rd!", dept="ZJJ")
    assert view.as_json() == {"username": "li.na", "role": "reviewer", "dept": "ZJJ", "counter": None}
    assert login(hall.uow(), "li.na", "Passw0rd!").dept_name == "区住建局"
    before = accounts.list_users(hall.uow(), admin)
    with pytest.raises(Conflict, match="已存在"):
        accounts.add_user(hall.uow(), admin, username="li.na", full_name="李娜", role="clerk", password="Passw0rd!")
    with pytest.raises(ValidationError, match="必须属于一个部门"):
        accounts.add_user(hall.uow(), admin, username="wang", full_name="王", role="chief_rep", password="Passw0rd!")
    with pytest.raises(ValidationError, match="部门代码 XXX 不存在"):
        accounts.add_user(hall.uow(), admin, username="wang", full_name="王", role="reviewer", password="Passw0rd!",
                          dept="XXX")
    with pytest.raises(ValidationError, match="至少8位"):
        accounts.add_user(hall.uow(), admin, username="wang", full_name="王", role="clerk", password="short1")
    with pytest.raises(ValidationError, match="角色"):
        accounts.add_user(hall.uow(), admin, username="wang", full_name="王", role="boss", password="Passw0rd!")
    clerk = log_in(hall, "clerk1")
    with pytest.raises(PermissionDenied):
        accounts.add_user(hall.uow(), clerk, username="wang", full_name="王", role="clerk", password="Passw0rd!")
    assert accounts.list_users(hall.uow(), admin) == before
    moved = accounts.update_user(hall.uow(), admin, "li.na", full_name="李娜", role="chief_rep", dept="ZJJ",
                                 counter=None, active=False)
    assert (moved.role, moved.active) == ("chief_rep", False)
    with pytest.raises(AuthenticationError):
        login(hall.uow(), "li.na", "Passw0rd!")
    assert [e.action for e in _events(hall, "user.add")] == ["user.add"]


def test_password_change_rules(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    with pytest.raises(ValidationError, match="原密码不正确"):
        accounts.set_password(hall.uow(), clerk, "clerk1", "NewPass123", "wrong")
    with pytest.raises(PermissionDenied):
        accounts.set_password(hall.uow(), clerk, "clerk2", "NewPass123", DEMO_PASSWORD)
    accounts.set_password(hall.uow(), clerk, "clerk1", "NewPass123", DEMO_PASSWORD)
    assert login(hall.uow(), "clerk1", "NewPass123").username == "clerk1"
    admin = log_in(hall, "admin")
    accounts.set_password(hall.uow(), admin, "clerk1", "Another123")
    assert login(hall.uow(), "clerk1", "Another123").username == "clerk1"


def test_counters(hall: HallDesk) -> None:
    admin = log_in(hall, "admin")
    view = accounts.save_counter(hall.uow(), admin, number=5, name="综合受理5号窗口", kind="comprehensive",
                                 printer_uri="tcp://127.0.0.1:9100")
    assert view.kind_name == "综合受理"
    with pytest.raises(ValidationError, match="打印机地址"):
        accounts.save_counter(hall.uow(), admin, number=5, name="x", kind="comprehensive", printer_uri="lpt1")
    with pytest.raises(ValidationError, match="窗口类型"):
        accounts.save_counter(hall.uow(), admin, number=6, name="x", kind="vip")
    numbers = [c.number for c in accounts.list_counters(hall.uow())]
    assert numbers == [1, 2, 3, 5, 8, 9]
    assert next(c for c in accounts.list_counters(hall.uow()) if c.number == 5).printer_uri == "tcp://127.0.0.1:9100"
