"""Counter signing keys: made on the counter PC, public halves registered in the shared database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import limits, slips
from app.auth import Actor
from app.errors import Conflict, NotFound
from app.infra.refcache import RefData
from app.roles import require
from app.uow import UnitOfWork
from db.models import Counter, CounterKey
from db.paths import data_dir
from db.types import utcnow


def default_key_dir() -> Path:
    return data_dir() / "keys"


def _counter(s: Session, number: int) -> Counter:
    counter = s.execute(select(Counter).where(Counter.number == number)).scalar_one_or_none()
    if counter is None:
        raise NotFound(f"{number}号窗口不存在")
    return counter


def _register(uow: UnitOfWork, who: str, counter: Counter, signer: slips.Signer) -> None:
    s = uow.session
    if s.execute(select(CounterKey.id).where(CounterKey.fingerprint == signer.fingerprint)).first():
        return
    # Older keys stay valid for the slips they signed; they are only marked retired.
    for old in s.execute(select(CounterKey).where(CounterKey.counter_id == counter.id,
                                                  CounterKey.retired_at.is_(None))).scalars():
        old.retired_at = utcnow()
    s.add(CounterKey(counter_id=counter.id, fingerprint=signer.fingerprint,
                     public_key=slips.public_key_text(signer.public_raw)))
    uow.audit(who, "counter.key", "counter", str(counter.id),
              {"counter": counter.number, "fingerprint": signer.fingerprint})


def generate_counter_key(uow: UnitOfWork, actor: Actor | None, number: int, key_dir: Path | None = None) -> str:
    """Make a new key pair for counter ``number`` on this PC and register its public key; returns the fingerprint."""
    if actor is not None:
        require(actor, "counter.manage")
    with uow:
        counter = _counter(uow.session, number)
        signer = slips.create_key_file(key_dir or default_key_dir(), number)
        _register(uow, actor.username if actor else "system", counter, signer)
        uow.commit()
        return signer.fingerprint


def ensure_counter_key(uow: UnitOfWork, number: int, key_dir: Path | None = None) -> str:
    """Demo/setup: make sure this PC holds a registered key for ``number``; returns the fingerprint."""
    directory = key_dir or default_key_dir()
    signer = slips.load_key_file(directory, number)
    if signer is None:
        return generate_counter_key(uow, None, number, directory)
    with uow:
        _register(uow, "system", _counter(uow.session, number), signer)
        uow.commit()
    return signer.fingerprint


# Loaded keys, by key file and its modification time: parsing PEM on every intake would cost more than the
# signature itself.  Whether the key is registered (and not revoked) comes from the reference-data cache.
_loaded: dict[tuple[Path, float], slips.Signer] = {}


def signer_for(session: Session, number: int, key_dir: Path | None = None, ref: RefData | None = None) -> slips.Signer:
    """This PC's signer for counter ``number``, refused unless its public key is registered and not revoked."""
    path = slips.key_path(key_dir or default_key_dir(), number)
    try:
        stamp = (path, path.stat().st_mtime)
    except FileNotFoundError:
        stamp = None
    signer = _loaded.get(stamp) if stamp is not None else None
    if signer is None:
        signer = slips.load_key_file(key_dir or default_key_dir(), number)
        if signer is None or stamp is None:
            raise slips.SlipError(f"本机没有{number}号窗口的签名密钥：请管理员在本机运行 python -m app counter keygen {number}")
        _loaded[stamp] = signer
    fp = signer.fingerprint

    def registration() -> bool | None:
        """None: not registered; True: revoked; False: in force."""
        row = session.execute(select(CounterKey.revoked_at).where(CounterKey.fingerprint == fp)).first()
        return None if row is None else row[0] is not None

    state = ref.get(("counter_key", fp), registration) if ref is not None else registration()
    if state is None:
        raise slips.SlipError(f"本机{number}号窗口的签名密钥未登记：请管理员在本机运行 python -m app counter keygen {number}")
    if state:
        raise slips.SlipError(f"本机{number}号窗口的签名密钥已被吊销：请管理员在本机运行 python -m app counter keygen {number} 换新密钥")
    return signer


def public_keys(uow: UnitOfWork) -> dict[str, str]:
    with uow:
        return {k.fingerprint: k.public_key for k in uow.session.execute(select(CounterKey)).scalars()}


@dataclass(frozen=True)
class KeyRecord:
    """A registered counter key as a slip check needs it: the key, whose it is, and whether it is revoked."""

    public_key: str
    counter: int
    revoked: bool


def read_key_records(session: Session) -> dict[str, KeyRecord]:
    rows = session.execute(select(CounterKey.fingerprint, CounterKey.public_key, Counter.number,
                                  CounterKey.revoked_at).join(Counter, CounterKey.counter_id == Counter.id))
    return {fp: KeyRecord(key, number, revoked is not None) for fp, key, number, revoked in rows}


def key_records(uow: UnitOfWork) -> dict[str, KeyRecord]:
    with uow:
        return read_key_records(uow.session)


def verify_slip(payload: str, records: Mapping[str, KeyRecord]) -> slips.SlipInfo:
    """A slip is genuine when a registered key signed it, that key is not revoked, and it belongs to the counter
    that took the case (the counter is part of the case number, so this holds offline too).  A retired key still
    verifies the slips it signed before it was replaced."""
    info = slips.verify(payload, {fp: r.public_key for fp, r in records.items()})
    record = records[info.fingerprint]
    if record.revoked:
        raise slips.SlipError(f"凭条的签名密钥 {info.fingerprint} 已被吊销：凭条不能作为取件凭证，"
                              "请核验申请人身份证件后按办件编号和取件码办理")
    taken_at = slips.counter_of(info.case_no)
    if taken_at != record.counter:
        raise slips.SlipError(f"凭条不是受理该办件的窗口签发的（签名密钥属于{record.counter}号窗口，"
                              f"办件由{taken_at if taken_at is not None else '其他'}号窗口受理）：凭条可能伪造")
    return info


@dataclass(frozen=True)
class CounterKeyView:
    counter: int
    fingerprint: str
    created_at: datetime
    retired_at: datetime | None
    revoked_at: datetime | None

    @property
    def state(self) -> str:
        """in_force, retired (replaced; its slips stay valid) or revoked (its slips are refused)."""
        return "revoked" if self.revoked_at else "retired" if self.retired_at else "in_force"

    def as_json(self) -> dict[str, object]:
        return {"counter": self.counter, "fingerprint": self.fingerprint, "state": self.state,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "retired_at": self.retired_at.isoformat(timespec="seconds") if self.retired_at else None,
                "revoked_at": self.revoked_at.isoformat(timespec="seconds") if self.revoked_at else None}


def list_counter_keys(uow: UnitOfWork, actor: Actor) -> list[CounterKeyView]:
    """Every counter's registered keys, newest first per counter: which to revoke when a PC is lost."""
    require(actor, "counter.manage")
    with uow:
        rows = uow.session.execute(
            select(Counter.number, CounterKey.fingerprint, CounterKey.created_at, CounterKey.retired_at,
                   CounterKey.revoked_at).join(Counter, CounterKey.counter_id == Counter.id)
            .order_by(Counter.number, CounterKey.created_at.desc()))
        return [CounterKeyView(*row) for row in rows]


def revoke_counter_key(uow: UnitOfWork, actor: Actor, fingerprint: str) -> None:
    """A counter key that may be compromised (a stolen PC, a copied key file): its slips are refused from now
    on.  The counter needs a new key (``counter keygen``) before it takes the next case."""
    require(actor, "counter.manage")
    limits.check(limits.KEY_FINGERPRINT, fingerprint, "fingerprint")
    fp = fingerprint.strip().upper()
    with uow:
        s = uow.session
        row = s.execute(select(CounterKey).where(CounterKey.fingerprint == fp).with_for_update()).scalar_one_or_none()
        if row is None:
            raise NotFound(f"签名密钥 {fp} 未登记")
        if row.revoked_at is not None:
            raise Conflict(f"签名密钥 {fp} 已于{row.revoked_at:%Y-%m-%d %H:%M}吊销")
        now = utcnow()
        row.revoked_at = now
        if row.retired_at is None:
            row.retired_at = now
        number = s.get(Counter, row.counter_id)
        uow.audit(actor.username, "counter.key_revoke", "counter", str(row.counter_id),
                  {"counter": number.number if number else None, "fingerprint": fp})
        uow.commit()
