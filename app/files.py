"""电子件: a case's scanned materials, stored by content in the shared database, opened only by those who need them.

A file is stored once, keyed by its SHA-256 (``StoredFile``), its bytes in chunks of at most 1 MiB
(``StoredFileChunk``): a 50 MB scan is hashed and written from the one buffer the counter holds, and read back
chunk by chunk, so it never sits in memory twice.  ``CaseFile`` attaches it to one material of a case, in the
clerk's page order.  The files of an intake are written in the intake's own transaction
(``app.intake.take_application``): a failed upload leaves no case, and a refused case leaves no file.

Who may open a case's files (``may_open``) is this module's rule: they hold ID card copies.  Every opening and
every export is an audit row (查看留痕), and an export needs a reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PureWindowsPath
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from app import limits
from app.auth import Actor
from app.errors import NotFound, PermissionDenied, ValidationError
from app.hall_settings import write_setting
from app.infra import outbox
from app.roles import require
from app.scans import KIND_NAMES, ScannedFile, check_size, normalise
from app.uow import UnitOfWork, retry_transient
from db.models import Case, CaseFile, CaseMaterial, Counter, FileOutbox, Setting, StoredFile, StoredFileChunk
from db.types import utcnow
from db.upsert import insert_ignore

CHUNK_BYTES = 1024 * 1024
MB = 1024 * 1024
# A material's file may be attached while the material was handed in (已收) or handed in with faults (有误).
ATTACHABLE_STATES = ("received", "defective")
FILE_LIMITS_KEY = "files"


@dataclass(frozen=True)
class FileLimits:
    """The hall's limits on scanned materials (大厅设置 → 电子件): per file, per case, and a counter store's budget."""

    max_file_mb: int = 50
    max_case_mb: int = 200
    # An offline counter keeps its scans until they are uploaded: past this it warns (it never refuses a case).
    store_budget_mb: int = 2048

    def as_json(self) -> dict[str, int]:
        return asdict(self)


_FILE_LIMIT_RANGES = {"max_file_mb": (1, 500, "每个文件上限（MB）"), "max_case_mb": (1, 5000, "每件上限（MB）"),
                      "store_budget_mb": (100, 200_000, "窗口本机存储预算（MB）")}


def limit_problems(lim: FileLimits) -> list[ValidationError]:
    problems = []
    for name, (low, high, title) in _FILE_LIMIT_RANGES.items():
        value = getattr(lim, name)
        if not isinstance(value, int) or not low <= value <= high:
            problems.append(ValidationError(name, f"{title}应为 {low}–{high} 之间的整数"))
    if not problems and lim.max_case_mb < lim.max_file_mb:
        problems.append(ValidationError("max_case_mb", "每件上限不能小于每个文件上限"))
    return problems


def read_limits(session: Session) -> FileLimits:
    raw = session.get(Setting, FILE_LIMITS_KEY)
    if raw is None:
        return FileLimits()
    values = json.loads(raw.value)
    return FileLimits(**{k: int(v) for k, v in values.items() if k in _FILE_LIMIT_RANGES})


def get_limits(uow: UnitOfWork) -> FileLimits:
    with uow:
        return read_limits(uow.session)


def save_limits(uow: UnitOfWork, actor: Actor, lim: FileLimits) -> FileLimits:
    require(actor, "hall.settings")
    problems = limit_problems(lim)
    if problems:
        raise problems[0]
    with uow:
        write_setting(uow.session, FILE_LIMITS_KEY, lim.as_json())
        uow.audit(actor.username, "files.limits", "setting", FILE_LIMITS_KEY, lim.as_json())
        uow.commit()
    return lim


# ---- what goes in ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileInput:
    """One file for one material, already normalised (``prepare``): what the counter hands to the intake."""

    material: str
    name: str
    file: ScannedFile

    @property
    def size(self) -> int:
        return len(self.file.data)

    @property
    def sha256(self) -> str:
        return _sha256(self.file.data)


def prepare(material: str, name: str, data: bytes, lim: FileLimits | None = None) -> FileInput:
    """Judge and normalise one file the clerk added (``ValidationError`` with a Chinese message if refused)."""
    lim = lim or FileLimits()
    # The name without the folder it had on the clerk's PC (a Windows path, too, whatever this PC runs).
    name = PureWindowsPath(name).name or name
    limits.check(limits.FILE_NAME, name, "file")
    scanned = normalise(data, name, max_bytes=lim.max_file_mb * MB)
    return FileInput(material.strip(), name, scanned)


def prepare_path(material: str, path: Path, lim: FileLimits | None = None) -> FileInput:
    """``prepare`` for a file on disk; its size is checked before it is read."""
    lim = lim or FileLimits()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError("file", f"无法读取文件“{path.name}”：{exc.strerror or exc}") from exc
    check_size(size, path.name, lim.max_file_mb * MB)
    return prepare(material, path.name, path.read_bytes(), lim)


def check_case_total(files: Sequence[FileInput], lim: FileLimits, already: int = 0) -> None:
    total = already + sum(f.size for f in files)
    if total > lim.max_case_mb * MB:
        raise ValidationError("file", f"本件电子件合计 {total / MB:.1f} MB，超过每件 {lim.max_case_mb} MB 的上限："
                                      "请降低扫描分辨率，或只扫描审批需要的页")


def _sha256(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- storage --------------------------------------------------------------------------------------------------


def store(session: Session, scanned: ScannedFile, sha256: str | None = None) -> str:
    """Write ``scanned``'s bytes once, in ``session``'s transaction; return its SHA-256.  A file already stored
    is not written again (identical scans of a 营业执照 from many cases take the space of one)."""
    data = memoryview(scanned.data)
    digest = sha256 or _sha256(data)
    if session.get(StoredFile, digest) is not None:
        return digest
    conn = session.connection()
    # Chunks without a file row are an offline counter's upload under way (or cut off): checked only when it
    # finishes, so this whole copy replaces them rather than trusting them.
    if session.execute(select(StoredFileChunk.seq).where(StoredFileChunk.sha256 == digest).limit(1)).first():
        conn.execute(delete(StoredFileChunk).where(StoredFileChunk.sha256 == digest))
    # Insert-if-absent: two counters storing the same scan at once both succeed instead of one failing.
    files_table, chunk_table = cast(Table, StoredFile.__table__), cast(Table, StoredFileChunk.__table__)
    count = 0
    for seq, start in enumerate(range(0, len(data), CHUNK_BYTES)):
        # One statement per chunk: MariaDB refuses a statement bigger than max_allowed_packet.
        insert_ignore(conn, chunk_table, [{"sha256": digest, "seq": seq,
                                           "data": bytes(data[start:start + CHUNK_BYTES])}])
        count += 1
    insert_ignore(conn, files_table, [{"sha256": digest, "size": len(data), "kind": scanned.kind,
                                       "pages": scanned.pages, "chunks": count, "created_at": utcnow()}])
    return digest


def chunks(session: Session, sha256: str) -> Iterator[bytes]:
    """The stored bytes of ``sha256``, one chunk at a time: one query whose rows stream from the server two
    chunks at a time (a server-side cursor on PostgreSQL and MariaDB), so the whole file is never held."""
    found = session.execute(select(StoredFile.chunks, StoredFile.archive_path)
                            .where(StoredFile.sha256 == sha256)).first()
    if found is None:
        raise NotFound("电子件尚未上传到服务器（窗口离线时采集，联网后自动上传），请稍后再试")
    n, archived = found
    if archived is not None:  # moved to the hall's file share (app.file_archive)
        yield from _from_share(Path(archived))
        return
    rows = session.execute(select(StoredFileChunk.seq, StoredFileChunk.data)
                           .where(StoredFileChunk.sha256 == sha256).order_by(StoredFileChunk.seq)
                           .execution_options(yield_per=2))
    expected = 0
    try:
        for seq, data in rows:
            if seq != expected:
                break
            expected += 1
            yield bytes(data)
    finally:
        rows.close()
    if expected != n:  # a counter's store keeps uploaded files only while it is under its size budget
        raise NotFound("电子件已上传到服务器，本机窗口库不再保存其内容：请在联网时查看")


def _from_share(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk
    except OSError as exc:
        raise NotFound(f"电子件已归档到文件共享（{path}），现在无法读取：请确认本机已连接该共享"
                       f"（{exc.strerror or exc}）") from exc


def attach_rows(session: Session, case_id: uuid.UUID, actor: str, files: Sequence[FileInput],
                first_positions: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Store ``files`` and attach them to ``case_id`` in ``session``'s transaction; the new ``case_file`` rows."""
    positions = dict(first_positions or {})
    now = utcnow()
    rows = []
    for f in files:
        digest = store(session, f.file)
        pos = positions.get(f.material, 0)
        positions[f.material] = pos + 1
        rows.append({"id": uuid.uuid4(), "case_id": case_id, "material_code": f.material, "sha256": digest,
                     "name": f.name[:255], "kind": f.file.kind, "pages": f.file.pages, "size": f.size,
                     "position": pos, "added_by": actor, "added_at": now})
    if rows:
        session.execute(insert(CaseFile), rows)
    return rows


def queue_upload(session: Session, digests: Iterable[str]) -> None:
    """A counter's local store: queue files for upload to the shared database (after their case)."""
    known = set(session.execute(select(FileOutbox.sha256).where(FileOutbox.sha256.in_(set(digests)))).scalars())
    new = [{"sha256": d, "created_at": utcnow(), "sent_chunks": 0, "attempts": 0, "last_error": ""}
           for d in dict.fromkeys(digests) if d not in known]
    if new:
        session.execute(insert(FileOutbox), new)


def material_problems(materials: dict[str, tuple[str, str]], files: Sequence[FileInput]) -> list[ValidationError]:
    """Each file must belong to a material of the case that was handed in (``materials``: code → (name, state))."""
    problems = []
    for f in files:
        found = materials.get(f.material)
        if found is None:
            problems.append(ValidationError("file", f"文件“{f.name}”的材料 {f.material} 不是本事项的材料"))
        elif found[1] not in ATTACHABLE_STATES:
            problems.append(ValidationError("file", f"材料“{found[0]}”没有标为已收或有误，不能附电子件（文件“{f.name}”）"))
    return problems


# ---- what comes out -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFileView:
    """One attached file as the viewer and ``case files --json`` list it."""

    id: uuid.UUID
    material_code: str
    material_name: str
    name: str
    sha256: str
    kind: str
    pages: int
    size: int
    position: int
    added_by: str
    added_at: datetime
    # False while an offline counter's upload of it is still under way.
    available: bool = True

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "material": self.material_code, "material_name": self.material_name,
                "name": self.name, "sha256": self.sha256, "type": self.kind, "pages": self.pages,
                "bytes": self.size, "position": self.position, "added_by": self.added_by,
                "added_at": self.added_at.isoformat(), "available": self.available}


@dataclass(frozen=True)
class CaseFiles:
    """A case's files in material order, then page order; ``allowed`` says whether this actor may open them."""

    case_no: str
    files: tuple[CaseFileView, ...] = field(default_factory=tuple)
    allowed: bool = False
    why_not: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "files": [f.as_json() for f in self.files]}


@dataclass(frozen=True)
class _CaseRef:
    id: uuid.UUID
    case_no: str
    dept_id: uuid.UUID | None
    counter_number: int | None
    clerk_id: uuid.UUID | None


def may_open(actor: Actor, case: _CaseRef, added_by: Iterable[str]) -> str:
    """Why ``actor`` may not open this case's files ('' when they may).

    The files hold ID card copies: the deciding department's reviewers and chief representative, the clerk who
    captured them, and an output window (it checks the result against the case at hand-over); nobody else."""
    if actor.role in ("reviewer", "chief_rep"):
        if actor.dept_id is not None and actor.dept_id == case.dept_id:
            return ""
        return "电子件只能由承办部门的审批人员和首席代表查看"
    if actor.role == "clerk":
        if actor.counter_kind == "output" or actor.username in set(added_by) or actor.user_id == case.clerk_id:
            return ""
        return "电子件只能由采集它的窗口人员或出件窗口查看"
    return "电子件含身份证件等个人信息，只有承办部门、采集的窗口和出件窗口可以查看"


def _case_ref(s: Session, case_no: str) -> _CaseRef:
    number = case_no.strip().upper()
    row = s.execute(select(Case.id, Case.case_no, Case.dept_id, Counter.number, Case.clerk_id)
                    .outerjoin(Counter, Case.counter_id == Counter.id).where(Case.case_no == number)).first()
    if row is None:
        raise NotFound(f"办件编号 {number} 不存在")
    return _CaseRef(row.id, row.case_no, row.dept_id, row.number, row.clerk_id)


def _views(s: Session, case_id: uuid.UUID) -> list[CaseFileView]:
    names = {code: name for code, name in s.execute(
        select(CaseMaterial.code, CaseMaterial.name).where(CaseMaterial.case_id == case_id))}
    order = {code: i for i, code in enumerate(s.execute(
        select(CaseMaterial.code).where(CaseMaterial.case_id == case_id).order_by(CaseMaterial.sort_order)).scalars())}
    rows = s.execute(select(CaseFile, StoredFile.sha256.is_not(None).label("stored"))
                     .outerjoin(StoredFile, StoredFile.sha256 == CaseFile.sha256)
                     .where(CaseFile.case_id == case_id)).all()
    views = [CaseFileView(f.id, f.material_code, names.get(f.material_code, f.material_code), f.name, f.sha256,
                          f.kind, f.pages, f.size, f.position, f.added_by, f.added_at, bool(stored))
             for f, stored in rows]
    return sorted(views, key=lambda v: (order.get(v.material_code, len(order)), v.position))


def list_files(uow: UnitOfWork, actor: Actor, case_no: str) -> CaseFiles:
    """The case's files (names, pages, sizes) and whether ``actor`` may open them: listing opens nothing."""
    require(actor, "case.view")
    limits.check(limits.CASE_NO, case_no, "case_no")
    with uow:
        s = uow.session
        case = _case_ref(s, case_no)
        views = _views(s, case.id)
        why = may_open(actor, case, (v.added_by for v in views))
        return CaseFiles(case.case_no, tuple(views), allowed=not why, why_not=why)


def _file_of(s: Session, actor: Actor, case_no: str, file_id: str) -> tuple[_CaseRef, CaseFile]:
    case = _case_ref(s, case_no)
    try:
        fid = uuid.UUID(file_id.strip())
    except ValueError:
        raise ValidationError("file_id", f"电子件编号 {file_id} 不正确（应为 case files 列出的编号）") from None
    row = s.execute(select(CaseFile).where(CaseFile.id == fid, CaseFile.case_id == case.id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"办件 {case.case_no} 没有编号为 {file_id} 的电子件")
    added = s.execute(select(CaseFile.added_by).where(CaseFile.case_id == case.id)).scalars()
    why = may_open(actor, case, added)
    if why:
        raise PermissionDenied(why)
    return case, row


@dataclass(frozen=True)
class OpenedFile:
    """A file's bytes as stored, for the viewer or an export; ``data`` is the whole file (one copy)."""

    file: CaseFileView
    data: bytes


def open_file(uow: UnitOfWork, actor: Actor, case_no: str, file_id: str) -> OpenedFile:
    """Read one file for the viewer: allowed actors only, and the opening is an audit row (查看留痕)."""
    require(actor, "case.files.view")
    limits.check(limits.CASE_NO, case_no, "case_no")
    with uow:
        s = uow.session
        case, row = _file_of(s, actor, case_no, file_id)
        view = next(v for v in _views(s, case.id) if v.id == row.id)
        data = b"".join(chunks(s, row.sha256))
        uow.audit(actor.username, "case.file.open", "case", str(case.id),
                  {"case_no": case.case_no, "file": str(row.id), "material": row.material_code, "sha256": row.sha256})
        uow.commit()
        return OpenedFile(view, data)


def export_file(uow: UnitOfWork, actor: Actor, case_no: str, file_id: str, out: BinaryIO | Path,
                reason: str) -> CaseFileView:
    """Write one file's bytes exactly as stored to ``out``, chunk by chunk; needs a reason, and is audited."""
    require(actor, "case.files.export")
    limits.check(limits.CASE_NO, case_no, "case_no")
    reason = reason.strip()
    if not reason:
        raise ValidationError("reason", "导出电子件须填写导出原因（记入查看留痕）")
    limits.check(limits.FILE_EXPORT_REASON, reason, "reason")
    # A file on disk is written beside it first and renamed when whole and checked: nothing half-written stays.
    tmp = out.with_name(out.name + ".part") if isinstance(out, Path) else None
    try:
        view = _export(uow, actor, case_no, file_id, out, reason, tmp)
        # Renamed after the audit row is committed: no export leaves the database unrecorded.
        if tmp is not None and isinstance(out, Path):
            try:
                tmp.replace(out)
            except OSError as exc:
                raise ValidationError("out", f"无法写入 {out}：{exc.strerror or exc}") from exc
        return view
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):  # nothing to remove where nothing could be written
                tmp.unlink(missing_ok=True)
        raise


def _export(uow: UnitOfWork, actor: Actor, case_no: str, file_id: str, out: BinaryIO | Path, reason: str,
            tmp: Path | None) -> CaseFileView:
    with uow:
        s = uow.session
        case, row = _file_of(s, actor, case_no, file_id)
        view = next(v for v in _views(s, case.id) if v.id == row.id)
        digest = hashlib.sha256()
        try:
            if tmp is not None:
                with tmp.open("wb") as fh:
                    for chunk in chunks(s, row.sha256):
                        digest.update(chunk)
                        fh.write(chunk)
            elif not isinstance(out, Path):
                for chunk in chunks(s, row.sha256):
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as exc:
            raise ValidationError("out", f"无法写入 {out}：{exc.strerror or exc}") from exc
        if digest.hexdigest() != row.sha256:
            raise ValidationError("file", "电子件内容与其校验值不符，未导出：请报告系统管理员")
        uow.audit(actor.username, "case.file.export", "case", str(case.id),
                  {"case_no": case.case_no, "file": str(row.id), "material": row.material_code,
                   "sha256": row.sha256, "reason": reason})
        uow.commit()
        return view


def audit_payload(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an audit row says of attached files: material, hash, pages, bytes (never the name: it may hold one)."""
    return [{"material": r["material_code"], "sha256": r["sha256"], "pages": r["pages"], "bytes": r["size"]}
            for r in rows]


def check_more(session: Session, case_id: uuid.UUID, materials: dict[str, tuple[str, str]],
               files: Sequence[FileInput]) -> None:
    """Files for a case already stored: each for a material handed in (``materials``: code → (name, state)), and
    the case's total within the hall's limit."""
    problems = material_problems(materials, files)
    if problems:
        raise problems[0]
    already = int(session.execute(select(func.coalesce(func.sum(CaseFile.size), 0))
                                  .where(CaseFile.case_id == case_id)).scalar_one())
    check_case_total(files, read_limits(session), already)


def add_to_case(uow: UnitOfWork, case_id: uuid.UUID, case_no: str, actor: str,
                files: Sequence[FileInput]) -> list[dict[str, Any]]:
    """Store ``files`` after the case's earlier ones (page order per material), queue them for upload at a
    counter, and write the audit row, in ``uow``'s transaction; the new ``case_file`` rows."""
    s = uow.session
    first = {code: int(pos) for code, pos in s.execute(
        select(CaseFile.material_code, func.max(CaseFile.position) + 1)
        .where(CaseFile.case_id == case_id).group_by(CaseFile.material_code))}
    rows = attach_rows(s, case_id, actor, files, first)
    if isinstance(uow, outbox.CounterUnitOfWork):
        queue_upload(s, [r["sha256"] for r in rows])
    uow.audit(actor, "case.file.attach", "case", str(case_id), {"case_no": case_no, "files": audit_payload(rows)})
    return rows


@retry_transient
def attach(uow: UnitOfWork, actor: Actor, case_no: str, files: Sequence[FileInput]) -> CaseFiles:
    """Add files to a case already taken (scanned afterwards, or brought in with a supplement): all or none."""
    require(actor, "case.files.attach")
    limits.check(limits.CASE_NO, case_no, "case_no")
    if not files:
        raise ValidationError("file", "请选择要附上的文件")
    with uow:
        s = uow.session
        case = _case_ref(s, case_no)
        if actor.role == "clerk":
            if actor.user_id != case.clerk_id:
                raise PermissionDenied("窗口人员只能给本人受理的办件附电子件")
        elif actor.dept_id is None or actor.dept_id != case.dept_id:
            raise PermissionDenied("审批人员和首席代表只能给本部门的办件附电子件")
        materials = {m.code: (m.name, m.state) for m in s.execute(
            select(CaseMaterial).where(CaseMaterial.case_id == case.id)).scalars()}
        check_more(s, case.id, materials, files)
        rows = add_to_case(uow, case.id, case.case_no, actor.username, files)
        codes = {r["material_code"] for r in rows}
        for m in s.execute(select(CaseMaterial).where(CaseMaterial.case_id == case.id,
                                                     CaseMaterial.code.in_(codes))).scalars():
            m.electronic = True
        if isinstance(uow, outbox.CounterUnitOfWork):
            outbox.record(uow, case.id)  # the new case_file rows go up with the case again, the bytes after
        uow.commit()
        views = _views(s, case.id)
        return CaseFiles(case.case_no, tuple(views), allowed=True)
