"""Counter signing keys: made on the counter PC, public halves registered in the shared database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import slips
from app.auth import Actor, require_role
from app.errors import NotFound
from app.uow import UnitOfWork
from db.engine import data_dir
from db.models import Counter, CounterKey
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
        require_role(actor, "admin")
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


# Loaded and checked keys, by key file and its modification time: parsing PEM and asking the database on
# every intake would cost more than the signature itself.
_checked: dict[tuple[Path, float], slips.Signer] = {}


def signer_for(session: Session, number: int, key_dir: Path | None = None) -> slips.Signer:
    """This PC's signer for counter ``number``, checked against the registered public keys."""
    path = slips.key_path(key_dir or default_key_dir(), number)
    try:
        stamp = (path, path.stat().st_mtime)
    except FileNotFoundError:
        stamp = None
    if stamp is not None and stamp in _checked:
        return _checked[stamp]
    signer = slips.load_key_file(key_dir or default_key_dir(), number)
    if signer is None or stamp is None:
        raise slips.SlipError(f"本机没有{number}号窗口的签名密钥：请管理员在本机运行 python -m app counter keygen {number}")
    known = session.execute(select(CounterKey.id).where(CounterKey.fingerprint == signer.fingerprint)).first()
    if known is None:
        raise slips.SlipError(f"本机{number}号窗口的签名密钥未登记：请管理员在本机运行 python -m app counter keygen {number}")
    _checked[stamp] = signer
    return signer


def public_keys(uow: UnitOfWork) -> dict[str, str]:
    with uow:
        return {k.fingerprint: k.public_key for k in uow.session.execute(select(CounterKey)).scalars()}
