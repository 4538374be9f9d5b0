"""The signed QR slip (取件码凭条): proves a case number and pickup code genuine without the shared database.

Payload (short ASCII, so a keyboard-wedge scanner can type it, and QR alphanumeric mode can carry it)::

    HD1:<case_no>:<pickup_code>:<key fingerprint>:<Ed25519 signature, base32, no padding>

The signature covers everything before the last colon.  Each counter signs with its own key pair, made at
setup: the private key stays in the counter PC's data folder, the public key goes to the shared database
(and, offline, to each counter's cache).  Verification is strict: the encoding must be canonical, so that
no single-character change of a valid slip is ever accepted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.errors import HallDeskError

PREFIX = "HD1"
_SIG_CHARS = 103  # 64 bytes in base32 without padding
_PAYLOAD_RE = re.compile(r"^HD1:([A-Z0-9-]{6,32}):(\d{6}):([0-9A-F]{8}):([A-Z2-7]{103})$")


class SlipError(HallDeskError):
    """A slip that is not genuine, or cannot be checked; the message says why, in Chinese."""

    exit_code = 8


@dataclass(frozen=True)
class SlipInfo:
    case_no: str
    pickup_code: str
    fingerprint: str


def fingerprint(public_raw: bytes, chars: int = 8) -> str:
    """The first ``chars`` hex digits of the key's SHA-256, upper case (8 fit a slip; others may want more)."""
    return hashlib.sha256(public_raw).hexdigest()[:chars].upper()


def public_raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


@dataclass(frozen=True)
class Signer:
    """A counter's private key, loaded from its key file."""

    counter_number: int
    private_key: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return public_raw(self.private_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def sign(self, case_no: str, pickup_code: str) -> str:
        body = f"{PREFIX}:{case_no}:{pickup_code}:{self.fingerprint}"
        if not _PAYLOAD_RE.match(body + ":" + "A" * _SIG_CHARS):
            raise ValueError(f"case number or pickup code not fit for a slip: {case_no!r} {pickup_code!r}")
        return f"{body}:{_b32(self.private_key.sign(body.encode('ascii')))}"


_CASE_COUNTER_RE = re.compile(r"^[A-Z]{1,4}\d{6}-(\d{2,3})-\d{4,}$")


def counter_of(case_no: str) -> int | None:
    """The counter that took a case, read from its number (``XJ261127-01-0042`` → 1); None if not of that form."""
    m = _CASE_COUNTER_RE.match(case_no)
    return int(m.group(1)) if m else None


def public_key_text(public_raw: bytes) -> str:
    return base64.b64encode(public_raw).decode("ascii")


def verify(payload: str, public_keys: Mapping[str, str]) -> SlipInfo:
    """Check a scanned slip against the known public keys (fingerprint → base64 raw key)."""
    text = payload.strip()
    m = _PAYLOAD_RE.match(text)
    if m is None:
        if text != text.upper() and _PAYLOAD_RE.match(text.upper()):
            raise SlipError("凭条内容为小写：请关闭扫码枪所在电脑的大写锁定（Caps Lock）后重扫")
        raise SlipError("这不是有效的取件凭条（格式不符），请核对后重扫或手工输入办件编号和取件码")
    case_no, pickup, fp, sig_text = m.groups()
    key_text = public_keys.get(fp)
    if key_text is None:
        raise SlipError(f"凭条签名密钥 {fp} 不属于本大厅任何窗口：凭条可能伪造")
    try:
        signature = _unb32(sig_text)
    except ValueError:
        raise SlipError("凭条签名损坏：凭条可能被篡改") from None
    # Base32 leaves spare bits in the last character: insist on the one canonical spelling.
    if len(signature) != 64 or _b32(signature) != sig_text:
        raise SlipError("凭条签名损坏：凭条可能被篡改")
    body = text[: -(_SIG_CHARS + 1)]
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text)).verify(signature, body.encode("ascii"))
    except (InvalidSignature, ValueError):
        raise SlipError("凭条签名不符：凭条被篡改或伪造") from None
    return SlipInfo(case_no=case_no, pickup_code=pickup, fingerprint=fp)


# ---- key files on the counter PC -------------------------------------------------------------------


def key_path(key_dir: Path, counter_number: int) -> Path:
    return key_dir / f"counter-{counter_number:02d}.key"


def write_private_key(path: Path) -> Ed25519PrivateKey:
    """Make a new Ed25519 key and write it to ``path`` (PEM), readable by this user only; replaces a file there
    only once the new one is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)
    return private


def read_private_key(path: Path) -> Ed25519PrivateKey | None:
    """The Ed25519 key in ``path``; None when there is no such file."""
    if not path.exists():
        return None
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise SlipError(f"{path} 不是 Ed25519 私钥")
    return private


def create_key_file(key_dir: Path, counter_number: int) -> Signer:
    """Make a new key pair; the private key is written readable by this user only."""
    return Signer(counter_number, write_private_key(key_path(key_dir, counter_number)))


def load_key_file(key_dir: Path, counter_number: int) -> Signer | None:
    private = read_private_key(key_path(key_dir, counter_number))
    return None if private is None else Signer(counter_number, private)
