"""Audit anchors: every chain head, signed, in a file kept away from the database and on paper.

The hash chains of :mod:`app.audit` find any change that leaves the rest of a chain alone, but whoever can
write to the database can also recompute a chain from the changed row to its head.  An anchor pins each
chain's head, ``(seq, hash)``, outside the database: ``write_anchor`` (meant to run daily) appends one line
to an anchor file, and the A4 page of ``anchor_page`` goes into the hall's paper records.  ``check_anchors``
then proves that no anchored row was rewritten, cut off or dropped since: the row at each anchored seq must
still be there with exactly the anchored hash (the chain itself proves every row before it).

A line is compact canonical JSON (``audit.canonical_json``), here wrapped::

    {"at":"2026-11-27T08:05:09Z","chains":{"hall":[12,"<sha256>"],"user:admin":[40,"<sha256>"]},
     "hall":{"code":"XJ","name":"…"},"key":{"fingerprint":"<32 hex>","public":"<base64>"},
     "sig":"<base64>","v":1}

``sig`` is an Ed25519 signature over the canonical JSON of the other fields.  The line carries its public key,
so the file verifies on its own; the fingerprint printed on the page tells the hall's key from a forger's.
The private key stays on the anchoring PC (``<data folder>/keys/audit-anchor.key``); moving it away makes the
next anchor start a new key (rotation): lines signed by older keys stay valid.  Chains are named after user
names only (``user:<name>``), so a line holds nothing personal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, select

from app import audit, slips
from app.auth import Actor
from app.errors import HallDeskError, NotFound, ValidationError
from app.hall_settings import HALL_TZ, read_settings
from app.infra.keys import default_key_dir
from app.printing.report import ReportColumn, TableReport, render_table_report
from app.roles import require
from app.uow import UnitOfWork
from db.models import AuditChainHead, AuditEvent
from db.types import utcnow

FORMAT = 1
KEY_FILE = "audit-anchor.key"
# 128 bits: a forger cannot make a key with the printed fingerprint (a slip's 8 digits would be found in a day).
FINGERPRINT_CHARS = 32
_FIELDS = frozenset({"v", "hall", "at", "chains", "key", "sig"})
_HASH_RE = re.compile(r"[0-9a-f]{64}")
_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_HEADS, _EVENTS = cast(Table, AuditChainHead.__table__), cast(Table, AuditEvent.__table__)
_LOOKUP_CHUNK = 500  # seqs per IN list: well under every engine's bind-parameter limit


def default_key_path() -> Path:
    return default_key_dir() / KEY_FILE


def group(fingerprint: str) -> str:
    """A fingerprint in groups of four, as printed and read out loud: ``3F2A 91B0 …``."""
    return " ".join(fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4))


def local_time(at: datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ChainMark:
    """One chain as anchored: its head's seq and hash."""

    chain: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """One line of an anchor file, as written or as read back (signature checked)."""

    hall_code: str
    hall_name: str
    at: datetime
    marks: tuple[ChainMark, ...]
    fingerprint: str
    public_key: str  # base64 of the raw Ed25519 public key
    line: str  # the line as in the file, without its newline

    @property
    def digest(self) -> str:
        """SHA-256 of the line: printed on the page, and in the ``audit.anchor`` audit row."""
        return hashlib.sha256(self.line.encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {"hall": {"code": self.hall_code, "name": self.hall_name}, "at": self.at.strftime(_AT_FORMAT),
                "chains": {m.chain: [m.seq, m.hash] for m in self.marks}, "fingerprint": self.fingerprint,
                "digest": self.digest}


@dataclass(frozen=True)
class AnchorWritten:
    anchor: Anchor
    path: Path
    line_no: int
    key_path: Path
    new_key: bool  # this anchor started a new signing key: print the page, so the new fingerprint is on paper


# ---- writing --------------------------------------------------------------------------------------------


def _signing_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    try:
        private = slips.read_private_key(path)
    except (slips.SlipError, ValueError):
        raise HallDeskError(f"审计锚点签名密钥文件 {path} 已损坏或不是 Ed25519 私钥：请移走该文件后重试（将生成新密钥）") from None
    if private is not None:
        return private, False
    return slips.write_private_key(path), True


def _body(hall_code: str, hall_name: str, at: datetime, marks: tuple[ChainMark, ...], fingerprint: str,
          public_key: str) -> dict[str, Any]:
    return {"v": FORMAT, "hall": {"code": hall_code, "name": hall_name}, "at": at.strftime(_AT_FORMAT),
            "chains": {m.chain: [m.seq, m.hash] for m in marks},
            "key": {"fingerprint": fingerprint, "public": public_key}}


def sign_anchor(private: Ed25519PrivateKey, *, hall_code: str, hall_name: str, at: datetime,
                marks: tuple[ChainMark, ...]) -> Anchor:
    """The signed line for these chain heads."""
    raw = slips.public_raw(private)
    fingerprint, public_key = slips.fingerprint(raw, FINGERPRINT_CHARS), slips.public_key_text(raw)
    body = _body(hall_code, hall_name, at, marks, fingerprint, public_key)
    signature = private.sign(audit.canonical_json(body).encode("utf-8"))
    line = audit.canonical_json({**body, "sig": base64.b64encode(signature).decode("ascii")})
    return Anchor(hall_code, hall_name, at, marks, fingerprint, public_key, line)


def _append_line(path: Path, line: str) -> int:
    """Append ``line`` to ``path`` and force it to disk; returns its line number.  Earlier lines are never
    rewritten: the file is opened for appending only."""
    created = not path.exists()
    try:
        existing = b"" if created else path.read_bytes()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ValidationError("out", f"无法写入锚点文件 {path}：{exc.strerror}") from None
    # A line cut short by a crash stays on its own line (and is reported as damaged), never glued to ours.
    lead = b"\n" if existing and not existing.endswith(b"\n") else b""
    line_no = existing.count(b"\n") + (2 if lead else 1)
    try:
        os.write(fd, lead + line.encode("utf-8") + b"\n")  # one write: appended whole
        os.fsync(fd)
    finally:
        os.close(fd)
    if created and os.name == "posix":  # the new file's directory entry must survive a power cut too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return line_no


def write_anchor(uow: UnitOfWork, actor: Actor, path: Path, *, key_path: Path | None = None) -> AnchorWritten:
    """Anchor every chain head: one signed line appended to ``path``, and an ``audit.anchor`` row (with the
    line's digest) on the actor's chain.

    The heads are read by one statement, so they are one consistent snapshot.  The line is on disk before the
    transaction commits: should the commit fail, the file holds a valid anchor without its audit row, never an
    audit row for a line that was not written.
    """
    require(actor, "audit.anchor")
    key_file = key_path or default_key_path()
    private, new_key = _signing_key(key_file)
    with uow:
        s = uow.session
        heads = s.execute(select(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.hash)
                          .where(_HEADS.c.seq > 0).order_by(_HEADS.c.chain)).all()
        hall = read_settings(s)
        marks = tuple(ChainMark(chain, seq, digest) for chain, seq, digest in heads)
        anchor = sign_anchor(private, hall_code=hall.code, hall_name=hall.name,
                             at=utcnow().replace(microsecond=0), marks=marks)
        uow.audit(actor.username, "audit.anchor", "anchor", anchor.digest,
                  {"digest": anchor.digest, "fingerprint": anchor.fingerprint, "chains": len(marks),
                   "at": anchor.at.strftime(_AT_FORMAT)})
        line_no = _append_line(path, anchor.line)
        uow.commit()
    return AnchorWritten(anchor, path, line_no, key_file, new_key)


# The page's columns on A4 landscape (267 mm between the margins): a hash needs about 125 mm at 10 pt.
_PAGE_COLUMNS = (ReportColumn("序号", 14, centre=True), ReportColumn("审计链", 70),
                 ReportColumn("条数", 23, centre=True), ReportColumn("最后一条的哈希（SHA-256）", 160))


def anchor_page(written: AnchorWritten, printed_by: str) -> bytes:
    """The anchor as an A4 page for the hall's paper records: what to compare the file against later."""
    a = written.anchor
    rows = tuple((str(i), m.chain, str(m.seq), m.hash) for i, m in enumerate(a.marks, start=1))
    return render_table_report(TableReport(
        title="审计链锚点", header=a.hall_name,
        printed=f"打印：{datetime.now(HALL_TZ):%Y-%m-%d %H:%M}　{printed_by}",
        lines=(f"大厅：{a.hall_name}（{a.hall_code}）　　锚定时间：{local_time(a.at)}",
               f"签名密钥指纹：{group(a.fingerprint)}",
               f"锚点文件：{written.path.name}　第 {written.line_no} 行"),
        columns=_PAGE_COLUMNS, rows=rows, empty="没有任何审计链", closing=(
            f"共 {len(rows)} 条审计链。本锚点行的 SHA-256：{a.digest}\n"
            "核对：python -m app audit verify --anchor 锚点文件；文件中此行的 SHA-256 与签名密钥指纹应与本页一致。"),
        signatures=("经办人（签字）：", "监督人（签字）：")))


# ---- reading and checking -------------------------------------------------------------------------------


class _BadLine(Exception):
    pass


def _parse_marks(chains: Any) -> tuple[ChainMark, ...]:
    if not isinstance(chains, dict):
        raise _BadLine("格式不符")
    marks = []
    for chain, value in sorted(chains.items()):
        if not (isinstance(value, list) and len(value) == 2 and type(value[0]) is int and value[0] >= 1
                and isinstance(value[1], str) and _HASH_RE.fullmatch(value[1])):
            raise _BadLine("格式不符")
        marks.append(ChainMark(chain, value[0], value[1]))
    return tuple(marks)


def parse_line(line: str) -> Anchor:
    """A line read back, its signature checked against the public key it carries; ``_BadLine`` says why not."""
    try:
        doc = json.loads(line)
    except json.JSONDecodeError:
        raise _BadLine("不是有效的 JSON") from None
    if not isinstance(doc, dict) or set(doc) != _FIELDS:
        raise _BadLine("格式不符")
    if doc["v"] != FORMAT:
        raise _BadLine(f"格式版本 {doc['v']!r} 不受支持")
    hall, key = doc["hall"], doc["key"]
    try:
        hall_code, hall_name = str(hall["code"]), str(hall["name"])
        fingerprint, public_key, sig = str(key["fingerprint"]), str(key["public"]), str(doc["sig"])
        at = datetime.strptime(str(doc["at"]), _AT_FORMAT).replace(tzinfo=UTC)
        raw, signature = base64.b64decode(public_key, validate=True), base64.b64decode(sig, validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (TypeError, KeyError, ValueError, binascii.Error):
        raise _BadLine("格式不符") from None
    marks = _parse_marks(doc["chains"])
    body = {k: v for k, v in doc.items() if k != "sig"}
    try:
        public.verify(signature, audit.canonical_json(body).encode("utf-8"))
    except InvalidSignature:
        raise _BadLine("签名不符") from None
    if slips.fingerprint(raw, FINGERPRINT_CHARS) != fingerprint:
        raise _BadLine("密钥指纹与公钥不符")
    return Anchor(hall_code, hall_name, at, marks, fingerprint, public_key, line)


@dataclass(frozen=True)
class AnchorKey:
    """A signing key seen in the file: compare its fingerprint with the printed pages."""

    fingerprint: str
    lines: int
    first: datetime
    last: datetime

    def as_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "lines": self.lines, "first": self.first.strftime(_AT_FORMAT),
                "last": self.last.strftime(_AT_FORMAT)}


@dataclass(frozen=True)
class AnchorProblem:
    """``kind``: ``line`` (the anchor line itself is damaged or forged), ``dropped`` (the whole chain is gone),
    ``truncated`` (the anchored row is gone), ``rewritten`` (the anchored row has another hash)."""

    line_no: int
    at: datetime | None  # when the line anchored; None when the line cannot be read
    chain: str | None
    seq: int | None
    kind: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line_no, "at": None if self.at is None else self.at.strftime(_AT_FORMAT),
                "chain": self.chain, "seq": self.seq, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class AnchorCheck:
    audit: audit.AuditReport  # the plain chain verification, done in the same transaction
    lines: int  # readable anchor lines
    checked: int  # (line, chain) pairs compared with the database
    skipped: int  # anchored chains this database does not hold (a counter's store holds its own only)
    keys: tuple[AnchorKey, ...]
    problems: tuple[AnchorProblem, ...]  # in file order

    @property
    def ok(self) -> bool:
        return self.audit.ok and not self.problems

    @property
    def problem(self) -> AnchorProblem | None:
        return self.problems[0] if self.problems else None


def read_anchor_file(path: Path) -> tuple[list[tuple[int, Anchor]], list[AnchorProblem]]:
    """The file's anchors with their line numbers, and a problem for each line that is not a genuine anchor."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"锚点文件不存在：{path}") from None
    anchors: list[tuple[int, Anchor]] = []
    problems: list[AnchorProblem] = []
    for line_no, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            anchors.append((line_no, parse_line(raw.decode("utf-8").rstrip("\r"))))
        except (_BadLine, UnicodeDecodeError) as exc:
            why = str(exc) if isinstance(exc, _BadLine) else "不是 UTF-8 文本"
            problems.append(AnchorProblem(line_no, None, None, None, "line",
                                          f"锚点文件第 {line_no} 行被篡改或损坏（{why}）：该行不能作为证据"))
    if not anchors and not problems:
        raise ValidationError("anchor", f"锚点文件中没有锚点：{path}")
    return anchors, problems


def _anchored_hashes(uow: UnitOfWork, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    conn = uow.session.connection()
    for chain, seqs in wanted.items():
        ordered = sorted(seqs)
        for i in range(0, len(ordered), _LOOKUP_CHUNK):
            rows = conn.execute(select(_EVENTS.c.seq, _EVENTS.c.hash).where(
                _EVENTS.c.chain == chain, _EVENTS.c.seq.in_(ordered[i:i + _LOOKUP_CHUNK])))
            found.update(((chain, seq), digest) for seq, digest in rows)
    return found


def _mark_problem(line_no: int, anchor: Anchor, mark: ChainMark, found: dict[tuple[str, int], str],
                  rows: int, has_head: bool) -> AnchorProblem | None:
    proof = f"第 {line_no} 行锚点（{local_time(anchor.at)}）"
    digest = found.get((mark.chain, mark.seq))
    if digest == mark.hash:
        return None
    if digest is not None:
        return AnchorProblem(line_no, anchor.at, mark.chain, mark.seq, "rewritten",
                             f"链 {mark.chain} 第 {mark.seq} 条的哈希与{proof}不符：该条或其之前的记录被改写")
    if rows == 0 and not has_head:
        return AnchorProblem(line_no, anchor.at, mark.chain, mark.seq, "dropped",
                             f"链 {mark.chain} 整条不存在（记录和链头均被删除）；{proof}时该链已有 {mark.seq} 条")
    return AnchorProblem(line_no, anchor.at, mark.chain, mark.seq, "truncated",
                         f"链 {mark.chain} 第 {mark.seq} 条不存在（现有 {rows} 条）；{proof}时该链已有 {mark.seq} 条：记录被删除或截断")


def check_anchors(uow: UnitOfWork, path: Path, *, only: Collection[str] | None = None) -> AnchorCheck:
    """``audit.verify`` and, for every line of the anchor file, its signature and every anchored chain head
    against the database.  ``only`` limits the comparison to these chains (a counter's store, which holds its
    own chain only); the others are counted as skipped."""
    anchors, problems = read_anchor_file(path)
    wanted: dict[str, set[int]] = {}
    for _, anchor in anchors:
        for m in anchor.marks:
            if only is None or m.chain in only:
                wanted.setdefault(m.chain, set()).add(m.seq)
    with uow:
        report = audit.verify(uow.session)
        heads = set(uow.session.execute(select(_HEADS.c.chain)).scalars())
        found = _anchored_hashes(uow, wanted)
    checked = skipped = 0
    keys: dict[str, AnchorKey] = {}
    for line_no, anchor in anchors:
        seen = keys.get(anchor.fingerprint)
        keys[anchor.fingerprint] = AnchorKey(anchor.fingerprint, 1, anchor.at, anchor.at) if seen is None else \
            AnchorKey(seen.fingerprint, seen.lines + 1, min(seen.first, anchor.at), max(seen.last, anchor.at))
        for m in anchor.marks:
            if m.chain not in wanted:
                skipped += 1
                continue
            checked += 1
            problem = _mark_problem(line_no, anchor, m, found, report.chains.get(m.chain, 0), m.chain in heads)
            if problem is not None:
                problems.append(problem)
    problems.sort(key=lambda p: p.line_no)  # stable: a line's chains stay in chain order
    return AnchorCheck(report, len(anchors), checked, skipped, tuple(keys.values()), tuple(problems))
