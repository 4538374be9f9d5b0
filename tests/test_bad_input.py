"""A corpus of bad input through the CLI, on every engine: each is refused with its exit code and a Chinese
message — never a traceback or English exception text — and changes nothing in the database.

The inputs are what an attacker tried at the command line: fields over their limit, NUL and other control
characters, lone surrogates (a command-line argument or a JSON ``\\ud800`` escape that is not text), a
UTF-8 BOM, 100,000 nested brackets, numbers beyond any column, wrong JSON types, broken JSON and YAML,
files that are not UTF-8, and the ordinary mistakes.  They run in-process through ``cli.main.run`` on one
database per engine with a claimed case, an approved case awaiting pickup, a grievance, a rectification and
a print job in it; after each, every table but the audit trail (logins are audited) is compared row by row.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app import auth, claims, decisions, evaluation, grievance, intake
from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.printing import queue
from cli.main import run
from db.models import Base
from tests.conftest import log_in
from tests.intake_support import AGENT, ENTERPRISE, item_with_tolerable, request

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"Traceback|[A-Za-z]*(Error|Exception)\b|\b(invalid|Expecting|expected|required|unrecognized|"
                     r"argument|not allowed|could not|cannot|found|line \d+ column)\b")
UNCHANGED_EXCEPT = {"audit_event", "audit_chain_head"}  # every login writes its audit row
NEW_PASSWORD = "Passw0rd2026"


@dataclass(frozen=True)
class Bad:
    """One bad input: ``argv`` after ``--db URL [--user U]``; ``{file}`` stands for ``file`` written to disk."""

    name: str
    argv: tuple[str, ...]
    user: str | None = None
    file: bytes | None = None
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """What the corpus works on: the setup's case numbers and ids."""

    claimed: str  # in review, held by the department's reviewer
    reviewer: str
    chief: str
    dept: str
    approved: str  # approved, awaiting pickup
    pickup_code: str
    grievance_no: str
    rectification: str
    job: str
    item: str
    materials: dict[str, str]


def _setup(hall: HallDesk) -> World:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    dept = item.dept.lower()
    reviewer, chief = log_in(hall, f"rev_{dept}"), log_in(hall, f"chief_{dept}")
    claimed = intake.take_application(hall.uow(), clerk, request(item))
    approved = intake.take_application(hall.uow(), clerk, request(item))
    claims.claim(hall.uow(), reviewer, approved.case_no)
    decisions.decide(hall.uow(), reviewer, approved.case_no, "approve", reason="符合条件")
    claims.claim(hall.uow(), reviewer, claimed.case_no)
    rated = evaluation.rate(hall.uow(), clerk, claimed.case_no, 1, reasons=["attitude"])
    rectification = next(r.id for r in evaluation.list_rectifications(hall.uow(), chief) if r.case_no == rated.case_no)
    supervisor = log_in(hall, "supervisor")
    registered = grievance.register(hall.uow(), supervisor, complainant="王芳", content="营业执照变更跑了三趟")
    grievance.classify(hall.uow(), supervisor, registered.grievance_no, "complaint")
    grievance.assign(hall.uow(), supervisor, registered.grievance_no, item.dept)
    job = next(j for j in queue.list_jobs(hall.uow(), case_no=claimed.case_no) if j.status == "pending")
    return World(claimed=claimed.case_no, reviewer=f"rev_{dept}", chief=f"chief_{dept}", dept=item.dept,
                 approved=approved.case_no, pickup_code=approved.pickup_code, grievance_no=registered.grievance_no,
                 rectification=str(rectification), job=str(job.id), item=item.code,
                 materials={m.code: ("waived" if m.covered_by else "received") for m in item.materials})


# ---- the corpus ----------------------------------------------------------------------------------------

LONG = {n: "长" * n for n in (17, 19, 21, 33, 65, 129, 256, 501, 1001, 2001)}
SURROGATE = "\udcff"  # what Python makes of an undecodable byte in a command-line argument


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _case_doc(w: World, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "item": w.item, "outcome": "accept", "materials": dict(w.materials),
        "agent": {"name": AGENT.name, "id_number": AGENT.id_number, "phone": AGENT.phone},
        "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name, "legal_rep": ENTERPRISE.legal_rep,
                       "address": ENTERPRISE.address},
    }
    for key, value in changes.items():
        where, _, sub = key.partition(".")
        if sub:
            doc[where] = {**doc[where], sub: value}
        else:
            doc[key] = value
    return doc


def _case_create(name: str, body: bytes, code: int = 2) -> Bad:
    return Bad(f"case create: {name}", ("case", "create", "--json", "{file}"), "clerk1", body, code)


def _case_inputs(w: World) -> Iterator[Bad]:
    m1 = next(iter(w.materials))
    text_fields: dict[str, tuple[int, dict[str, Any]]] = {
        "agent.name": (65, {}), "agent.id_number": (19, {}), "agent.phone": (21, {}), "enterprise.uscc": (19, {}),
        "enterprise.name": (129, {}), "enterprise.legal_rep": (65, {}), "enterprise.address": (256, {}),
        "enterprise.phone": (21, {}), "reason": (1001, {"outcome": "refuse"}),
        "legal_basis": (1001, {"outcome": "refuse", "reason": "不具备申请资格"}), "external_id": (65, {}),
        "item": (33, {}),
    }
    for key, (too_long, extra) in text_fields.items():
        for label, value in (("over-long", LONG[too_long]), ("NUL", "9\x001"), ("ESC", "9\x1b1"),
                             ("lone surrogate", "9\ud8001"), ("line break", "张\n伟")):
            if label == "line break" and key in ("reason", "legal_basis"):
                continue  # multi-line fields
            # json.dumps writes a lone surrogate as the escape \ud800, as an attacker would
            body = json.dumps(_case_doc(w, **extra, **{key: value}), ensure_ascii=True).encode()
            yield _case_create(f"{key} {label}", body)
    material_notes = {"over-long": LONG[256], "NUL": "缺\x00章", "surrogate": "缺\udc80章", "tab": "缺\t章"}
    for label, note in material_notes.items():
        materials = {**w.materials, m1: {"state": "defective", "note": note}}
        yield _case_create(f"material note {label}",
                           json.dumps(_case_doc(w, outcome="correction", materials=materials)).encode())
    yield _case_create("material code over-long", _json(_case_doc(w, materials={"M" * 17: "received"})))
    yield _case_create("material code NUL", _json(_case_doc(w, materials={"M\x0001": "received"})))
    wrong_types: dict[str, Any] = {
        "agent.name": 123, "agent.id_number": ["1"], "agent.phone": {"a": 1}, "enterprise.name": 5,
        "enterprise.uscc": None, "item": 5, "reason": 5, "external_id": {"x": 1}, "supplement_due": 20261399,
        "received_at": "0001-01-01T00:00:00+08:00", "agent": [], "enterprise": "x", "materials": ["M01"],
    }
    for key, value in wrong_types.items():
        yield _case_create(f"{key} wrong type {type(value).__name__}", _json(_case_doc(w, **{key: value})))
    counts = {"string": "2", "negative": -1, "fraction": 1.5, "huge": 10**30, "NaN": float("nan")}
    for label, count in counts.items():
        materials = {**w.materials, m1: {"state": "received", "originals": count}}
        yield _case_create(f"originals {label}", json.dumps(_case_doc(w, materials=materials)).encode())
    yield _case_create("material state number", _json(_case_doc(w, materials={m1: 5})))
    yield _case_create("material state unknown", _json(_case_doc(w, materials={m1: "lost"})))
    yield _case_create("unknown item", _json(_case_doc(w, item="NOPE999")))
    yield _case_create("unknown material", _json(_case_doc(w, materials={"ZZ9": "received"})))
    yield _case_create("ID check digit", _json(_case_doc(w, **{"agent.id_number": AGENT.id_number[:-1] + "0"})))
    yield _case_create("phone", _json(_case_doc(w, **{"agent.phone": "12345"})))
    yield _case_create("uscc", _json(_case_doc(w, **{"enterprise.uscc": "91360112MA35XJ0170"})))
    yield _case_create("supplement date", _json(_case_doc(w, supplement_due="2026-13-45")))
    yield _case_create("supplement far past", _json(_case_doc(w, supplement_due="0001-01-01")))
    valid = _json(_case_doc(w))
    broken = {
        "empty file": b"", "only spaces": b"   \n", "BOM and nothing": b"\xef\xbb\xbf", "truncated": valid[:-5],
        "single quotes": b"{'item': 'x'}", "trailing comma": b'{"item": "x",}', "extra data": valid + b"{}",
        "null": b"null", "array": b"[]", "string": b'"x"', "number": b"5", "control char in string": b'{"item": "a\x01"}',
        "bad escape": b'{"item": "\\q"}', "bad unicode escape": b'{"item": "\\u12"}',
        "nested arrays": b"[" * 100_000 + b"]" * 100_000, "nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "5000-digit number": b'{"item": ' + b"9" * 5000 + b"}", "GBK file": _case_doc_gbk(w),
        "UTF-16 file": json.dumps(_case_doc(w), ensure_ascii=False).encode("utf-16"),
        "binary": bytes(range(256)), "BOM then broken": b"\xef\xbb\xbf{",
    }
    for label, body in broken.items():
        yield _case_create(label, body)
    yield Bad("case create: missing file", ("case", "create", "--json", "/nonexistent/case.json"), "clerk1")
    yield Bad("case create: a folder", ("case", "create", "--json", "/tmp"), "clerk1")
    for label, note in material_notes.items():
        yield Bad(f"case resubmit: note {label}", ("case", "resubmit", w.claimed, "--json", "{file}"), "clerk1",
                  json.dumps({"materials": {m1: {"state": "defective", "note": note}}}).encode())
    yield Bad("case resubmit: not an object", ("case", "resubmit", w.claimed, "--json", "{file}"), "clerk1", b"[1]")
    yield Bad("case resubmit: nested", ("case", "resubmit", w.claimed, "--json", "{file}"), "clerk1",
              b"[" * 50_000 + b"]" * 50_000)
    lines = {
        "external_id over-long": _json({**_case_doc(w), "external_id": LONG[65]}),
        "external_id NUL": _json({**_case_doc(w), "external_id": "W\x001"}),
        "nested line": b"[" * 100_000 + b"]" * 100_000,
        "broken line": b'{"external_id": "W1", ',
    }
    for label, line in lines.items():
        yield Bad(f"case import: {label}", ("case", "import", "{file}"), "clerk1", line + b"\n")


def _case_doc_gbk(w: World) -> bytes:
    return json.dumps(_case_doc(w), ensure_ascii=False).encode("gbk")


def _admin_inputs(w: World) -> Iterator[Bad]:
    user_add = ("user", "add")
    for label, args in {
        "name over-long": ("newbie", "--name", LONG[65], "--role", "clerk"),
        "name NUL": ("newbie", "--name", "张\x00伟", "--role", "clerk"),
        "name ESC": ("newbie", "--name", "张\x1b伟", "--role", "clerk"),
        "name tab": ("newbie", "--name", "张\t伟", "--role", "clerk"),
        "name surrogate": ("newbie", "--name", "张" + SURROGATE, "--role", "clerk"),
        "username over-long": ("u" * 65, "--name", "张伟", "--role", "clerk"),
        "username Chinese": ("张伟", "--name", "张伟", "--role", "clerk"),
        "username surrogate": ("u" + SURROGATE, "--name", "张伟", "--role", "clerk"),
        "dept over-long": ("newbie", "--name", "张伟", "--role", "reviewer", "--dept", "D" * 17),
        "dept surrogate": ("newbie", "--name", "张伟", "--role", "reviewer", "--dept", SURROGATE),
        "counter huge": ("newbie", "--name", "张伟", "--role", "clerk", "--counter", "99999999999999999999"),
        "counter text": ("newbie", "--name", "张伟", "--role", "clerk", "--counter", "一"),
        "counter unknown": ("newbie", "--name", "张伟", "--role", "clerk", "--counter", "77"),
        "role unknown": ("newbie", "--name", "张伟", "--role", "root"),
        "no name": ("newbie", "--role", "clerk"),
    }.items():
        yield Bad(f"user add: {label}", (*user_add, *args), "admin")
    yield Bad("user add: new password surrogate", (*user_add, "newbie", "--name", "张伟", "--role", "clerk"), "admin",
              env={"HALLDESK_NEW_PASSWORD": "Passw0rd" + SURROGATE})
    yield Bad("user add: new password short", (*user_add, "newbie", "--name", "张伟", "--role", "clerk"), "admin",
              env={"HALLDESK_NEW_PASSWORD": "abc1"})
    yield Bad("user set: name over-long", ("user", "set", "clerk2", "--name", LONG[65]), "admin")
    yield Bad("user set: name NUL", ("user", "set", "clerk2", "--name", "a\x00"), "admin")
    yield Bad("user set: counter huge", ("user", "set", "clerk2", "--counter", str(2**40)), "admin")
    for option, value in {"--name": LONG[65], "--address": LONG[256], "--code": "ABCDE", "--area-code": "1234567",
                          "--phone": "1" * 21}.items():
        yield Bad(f"hall set: {option} over-long", ("hall", "set", option, value), "admin")
    for option in ("--name", "--address", "--phone", "--code"):
        for label, value in (("NUL", "新\x00建"), ("tab", "新\t建"), ("surrogate", "新" + SURROGATE), ("line", "新\n建")):
            yield Bad(f"hall set: {option} {label}", ("hall", "set", option, value), "admin")
    for label, args in {
        "name over-long": ("5", "--name", LONG[65]), "name NUL": ("5", "--name", "窗\x00口"),
        "printer over-long": ("1", "--printer", "tcp://" + "h" * 256), "a4 printer ESC": ("1", "--a4-printer", "cups://\x1b"),
        "number 1000": ("1000", "--name", "窗口"), "number huge": ("99999999999", "--name", "窗口"),
    }.items():
        yield Bad(f"counter set: {label}", ("counter", "set", *args, "--kind", "comprehensive"), "admin")
    for label, args in {
        "note over-long": ("2026-10-08", "--off", "--note", LONG[256]),
        "note NUL": ("2026-10-08", "--off", "--note", "国\x00庆"),
        "note surrogate": ("2026-10-08", "--off", "--note", SURROGATE),
        "year 9999": ("9999-12-31", "--off"),
        "not a date": ("2026-02-30", "--off"),
    }.items():
        yield Bad(f"holiday set: {label}", ("holiday", "set", *args), "admin")
    yield Bad("holiday list: year 99999", ("holiday", "list", "--year", "99999"))
    yield Bad("workdays add: a million days", ("workdays", "add", "2026-01-05", "1000000"))
    yield Bad("workdays add: end of the calendar", ("workdays", "add", "9999-12-30", "5"))
    yield Bad("workdays add: negative", ("workdays", "add", "2026-01-05", "-1"))


def _catalog_inputs(w: World) -> Iterator[Bad]:
    head = "version: 1\ndepartments:\n- code: SCJ\n  name: 区市场监管局\n  items:\n"

    def item(**fields: str) -> str:
        values = {"code": "SCJ001", "name": "食品经营许可", "kind": "行政许可", "legal_days": "20", "promised_days": "5",
                  "legal_basis": "依据", **fields}
        lines = "".join(f"    {k}: {v}\n" for k, v in values.items() if k != "code")
        material = fields.get("material", "    - code: M01\n      name: 申请书\n")
        return f"  - code: {values['code']}\n{lines.replace('    material: ' + fields.get('material', ''), '')}" \
               f"    materials:\n{material}"

    files: dict[str, str] = {
        "item name over-long": head + item(name=LONG[129]),
        "legal basis over-long": head + item(legal_basis=LONG[1001]),
        "fee over-long": head + item(fee=LONG[256]),
        "dept name over-long": head.replace("区市场监管局", LONG[65]) + item(),
        "material note over-long": head + item(material=f"    - code: M01\n      name: 申请书\n      note: {LONG[256]}\n"),
        "item name NUL escape": head + item(name='"食品\\0许可"'),
        "item name surrogate escape": head + item(name='"食品\\ud800许可"'),
        "legal basis ESC escape": head + item(legal_basis='"依据\\e"'),
        "name is a number": head + item(name="12345"),
        "originals huge": head + item(material="    - code: M01\n      name: 申请书\n      originals: " + "9" * 30 + "\n"),
        "originals hex": head + item(material="    - code: M01\n      name: 申请书\n      originals: 0x1A\n"),
        "originals tagged text": head + item(material="    - code: M01\n      name: 申请书\n      originals: !!int abc\n"),
        "tab indentation": head + "\t- code: SCJ001\n",
        "unclosed bracket": head + "  - [1, 2\n",
        "alias": "version: 1\nx: &a [1]\ndepartments: *a\n",
        "nested": "[" * 100_000,
        "version 2": "version: 2\ndepartments: []\n",
        "empty": "",
        "not a mapping": "- 1\n- 2\n",
    }
    for label, text in files.items():
        yield Bad(f"catalog import: {label}", ("catalog", "import", "{file}"), "admin", text.encode("utf-8"))
    yield Bad("catalog import: raw control character", ("catalog", "import", "{file}"), "admin",
              (head + item(name="食品\x01许可")).encode())
    yield Bad("catalog import: GBK file", ("catalog", "import", "{file}"), "admin", (head + item()).encode("gbk"))
    yield Bad("catalog import: BOM then tab", ("catalog", "import", "{file}"), "admin",
              b"\xef\xbb\xbf" + (head + "\t- x\n").encode())
    guide = {"code": w.item, "name": "事项", "kind": "行政许可", "legal_basis": "", "legal_days": 20, "promised_days": 5,
             "immediate": False, "fee": "不收费", "materials": [{"code": "M01", "name": "申请书"}]}
    updates: dict[str, Any] = {
        "name over-long": {**guide, "name": LONG[129]}, "legal basis NUL": {**guide, "legal_basis": "依\x00据"},
        "name number": {**guide, "name": 5}, "days text": {**guide, "legal_days": "二十"},
        "days true": {**guide, "legal_days": True}, "materials object": {**guide, "materials": {"M01": 1}},
        "material not object": {**guide, "materials": ["M01"]}, "version text": {**guide, "version": "1"},
        "no code": {k: v for k, v in guide.items() if k != "code"}, "list": [guide],
        "material note surrogate": {**guide, "materials": [{"code": "M01", "name": "申请书", "note": "\ud800"}]},
    }
    for label, doc in updates.items():
        yield Bad(f"catalog update: {label}", ("catalog", "update", "--json", "{file}"), "admin",
                  json.dumps(doc).encode())


def _back_office_inputs(w: World) -> Iterator[Bad]:
    decide = ("case", "decide", w.claimed)
    for label, args in {
        "reason over-long": ("--deny", "--reason", LONG[1001]), "reason NUL": ("--deny", "--reason", "不\x00符"),
        "reason surrogate": ("--deny", "--reason", "不符" + SURROGATE), "reason ESC": ("--return", "--reason", "\x1b[31m"),
        "basis over-long": ("--deny", "--reason", "不符", "--legal-basis", LONG[1001]),
        "transfer over-long": ("--transfer", "D" * 17, "--reason", "职能调整"),
        "transfer surrogate": ("--transfer", SURROGATE, "--reason", "职能调整"),
        "token huge": ("--approve", "--token", "1" * 30), "two decisions": ("--approve", "--deny"),
    }.items():
        yield Bad(f"case decide: {label}", (*decide, *args), w.reviewer)
    for label, text in {"over-long": LONG[1001], "NUL": "意\x00见", "surrogate": SURROGATE, "DEL": "意见\x7f"}.items():
        yield Bad(f"case opinion: {label}", ("case", "opinion", w.claimed, "--text", text), w.reviewer)
    yield Bad("dept settings: paused over-long", ("dept", "settings", "--dept", w.dept, "--paused", "u" * 65), w.chief)
    yield Bad("dept settings: paused surrogate", ("dept", "settings", "--dept", w.dept, "--paused", SURROGATE), w.chief)


def _output_inputs(w: World) -> Iterator[Bad]:
    issue = ("case", "issue", w.approved, "--pickup-code", w.pickup_code)
    collectors: dict[str, Any] = {
        "name over-long": {"name": LONG[65], "id_number": AGENT.id_number, "proxy": True},
        "name NUL": {"name": "李\x00娜", "id_number": AGENT.id_number, "proxy": True},
        "name surrogate": {"name": "李\ud800", "id_number": AGENT.id_number, "proxy": True},
        "id over-long": {"name": "李娜", "id_number": "1" * 19, "proxy": True},
        "id check digit": {"name": "李娜", "id_number": AGENT.id_number[:-1] + "0", "proxy": True},
        "proxy note over-long": {"name": "李娜", "id_number": AGENT.id_number, "proxy": True, "proxy_note": LONG[256]},
        "proxy note tab": {"name": "李娜", "id_number": AGENT.id_number, "proxy": True, "proxy_note": "委托\t书"},
        "name list": {"name": ["李娜"], "id_number": AGENT.id_number},
        "not an object": ["李娜"],
    }
    for label, doc in collectors.items():
        yield Bad(f"case issue: collector {label}", (*issue, "--collector-json", "{file}"), "clerk3",
                  json.dumps(doc).encode())
    mail = {"recipient": "王芳", "phone": "13807910002", "address": "江西省南昌市新建区长堎大道8号", "tracking_no": "EA123456789CN"}
    mails: dict[str, Any] = {
        "address over-long": {**mail, "address": LONG[256]}, "recipient over-long": {**mail, "recipient": LONG[65]},
        "phone over-long": {**mail, "phone": "1" * 21}, "tracking over-long": {**mail, "tracking_no": "E" * 33},
        "address NUL": {**mail, "address": "江西\x00省"}, "recipient surrogate": {**mail, "recipient": "\udc00"},
        "tracking bad": {**mail, "tracking_no": "12345"},
    }
    for label, doc in mails.items():
        yield Bad(f"case issue: mail {label}", (*issue, "--mail-json", "{file}"), "clerk3", json.dumps(doc).encode())
    yield Bad("case issue: collector JSON broken", (*issue, "--collector-json", "{file}"), "clerk3", b'{"name": ')
    yield Bad("case issue: pickup code over-long", ("case", "issue", w.approved, "--pickup-code", "1" * 9), "clerk3")
    yield Bad("case issue: slip surrogate", ("case", "issue", w.approved, "--slip", "HD1:" + SURROGATE), "clerk3")
    yield Bad("case pickup: slip over-long", ("case", "pickup", w.approved, "--slip", "H" * 201), "clerk3")
    for label, comment in {"over-long": LONG[501], "NUL": "好\x00评", "surrogate": SURROGATE}.items():
        yield Bad(f"case rate: comment {label}", ("case", "rate", w.approved, "--level", "5", "--comment", comment),
                  "clerk1")
    yield Bad("case rate: level huge", ("case", "rate", w.approved, "--level", "1" * 40), "clerk1")
    yield Bad("case rate: reason unknown", ("case", "rate", w.approved, "--level", "1", "--reason", "bogus"), "clerk1")
    for label, note in {"over-long": LONG[1001], "NUL": "回\x00访"}.items():
        yield Bad(f"rectification callback: {label}", ("rectification", "callback", w.rectification, "--note", note),
                  w.chief)
        yield Bad(f"rectification close: {label}", ("rectification", "close", w.rectification, "--fix", note), w.chief)
    yield Bad("rectification callback: id not a uuid", ("rectification", "callback", "x" * 100, "--note", "回访情况"),
              w.chief)


def _grievance_inputs(w: World) -> Iterator[Bad]:
    add = ("grievance", "add")
    for label, args in {
        "name over-long": ("--name", LONG[65], "--content", "办不成"),
        "name tab": ("--name", "王\t芳", "--content", "办不成"),
        "name surrogate": ("--name", "王" + SURROGATE, "--content", "办不成"),
        "content over-long": ("--name", "王芳", "--content", LONG[2001]),
        "content NUL": ("--name", "王芳", "--content", "办\x00不成"),
        "content surrogate": ("--name", "王芳", "--content", "办不成" + SURROGATE),
        "content ESC": ("--name", "王芳", "--content", "\x1b[2J办不成"),
        "phone over-long": ("--name", "王芳", "--content", "办不成", "--phone", "1" * 21),
        "phone letters": ("--name", "王芳", "--content", "办不成", "--phone", "abc"),
        "case over-long": ("--name", "王芳", "--content", "办不成", "--case", "X" * 33),
        "case surrogate": ("--name", "王芳", "--content", "办不成", "--case", SURROGATE),
        "channel unknown": ("--name", "王芳", "--content", "办不成", "--channel", "fax"),
        "empty content": ("--name", "王芳", "--content", "  "),
    }.items():
        yield Bad(f"grievance add: {label}", (*add, *args), "supervisor")
    no = w.grievance_no
    steps = {
        "urge note over-long": ("grievance", "urge", no, "--note", LONG[1001]),
        "urge note NUL": ("grievance", "urge", no, "--note", "督\x00办"),
        "urge days huge": ("grievance", "urge", no, "--note", "督办", "--days", "9" * 12),
        "urge days zero": ("grievance", "urge", no, "--note", "督办", "--days", "0"),
        "resolve reply over-long": ("grievance", "resolve", no, "--reply", LONG[2001]),
        "resolve reply surrogate": ("grievance", "resolve", no, "--reply", SURROGATE),
        "callback note over-long": ("grievance", "callback", no, "--satisfied", "no", "--note", LONG[1001]),
        "callback note NUL": ("grievance", "callback", no, "--satisfied", "yes", "--note", "\x00"),
        "assign dept over-long": ("grievance", "assign", no, "--dept", "D" * 17),
        "assign days 61": ("grievance", "assign", no, "--dept", w.dept, "--days", "61"),
        "number surrogate": ("grievance", "classify", SURROGATE, "--category", "complaint"),
    }
    for label, argv in steps.items():
        yield Bad(f"grievance {label}", argv, "supervisor")


def _printing_inputs(w: World) -> Iterator[Bad]:
    for label, reason in {"over-long": LONG[256], "NUL": "遗\x00失", "surrogate": SURROGATE, "empty": " "}.items():
        yield Bad(f"print receipt: reprint reason {label}",
                  ("print", "receipt", w.claimed, "--reprint", "--reason", reason), "clerk1")
    yield Bad("print cancel: reason over-long", ("print", "cancel", w.job, "--reason", LONG[256]), "clerk1")
    yield Bad("print redirect: printer over-long", ("print", "redirect", w.job, "--printer", "tcp://" + "h" * 300),
              "clerk1")
    yield Bad("print redirect: printer NUL", ("print", "redirect", w.job, "--printer", "tcp://a\x00:9100"), "clerk1")
    yield Bad("print redirect: printer scheme", ("print", "redirect", w.job, "--printer", "ftp://x"), "clerk1")
    yield Bad("print test: printer over-long", ("print", "test", "--printer", "file://" + "x" * 300), "clerk1")
    yield Bad("printer set: URI over-long", ("printer", "set", "tcp://" + "h" * 300, "--paper", "58"), "clerk1")
    yield Bad("printer set: URI surrogate", ("printer", "set", "tcp://" + SURROGATE, "--paper", "58"), "clerk1")
    yield Bad("printer show: URI ESC", ("printer", "show", "tcp://\x1b:9100"))


def _login_inputs(w: World) -> Iterator[Bad]:
    yield Bad("login: user over-long", ("user", "list"), "a" * 65)
    yield Bad("login: user surrogate", ("user", "list"), "admin" + SURROGATE)
    yield Bad("login: password surrogate", ("user", "list"), "admin",
              env={"HALLDESK_PASSWORD": DEMO_PASSWORD + SURROGATE})
    yield Bad("login: user NUL", ("user", "list"), "ad\x00min")
    yield Bad("check: ID surrogate", ("check", "id", "3601" + SURROGATE))
    yield Bad("check: phone over-long", ("check", "phone", "1" * 1000))


def corpus(w: World) -> list[Bad]:
    return [*_case_inputs(w), *_admin_inputs(w), *_catalog_inputs(w), *_back_office_inputs(w), *_output_inputs(w),
            *_grievance_inputs(w), *_printing_inputs(w), *_login_inputs(w)]


# ---- running it ------------------------------------------------------------------------------------------


def snapshot(hall: HallDesk) -> dict[str, str]:
    """Every table but the audit trail: a digest of its rows in key order."""
    out: dict[str, str] = {}
    with hall.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in UNCHANGED_EXCEPT:
                continue
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


def _run(hall: HallDesk, bad: Bad, path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    if bad.file is not None:
        path.write_bytes(bad.file)
    argv = ["--db", hall.url, *(("--user", bad.user) if bad.user else ()),
            *(str(path) if a == "{file}" else a for a in bad.argv)]
    with monkeypatch.context() as m:
        for key, value in bad.env.items():
            m.setenv(key, value)
        try:
            code = run(argv)
        except SystemExit as stop:  # argparse refuses before run() has anything to do
            code = int(stop.code or 0)
        except Exception as exc:  # what a user would have seen as a traceback
            return -1, capsys.readouterr().err + f"\nTraceback: {type(exc).__name__}"
    return code, capsys.readouterr().err


def test_the_corpus(hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Each command logs in: argon2 costs half a second here, so a password checked once is remembered.
    monkeypatch.setattr(auth, "verify_password", functools.cache(auth.verify_password))
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("HALLDESK_NEW_PASSWORD", NEW_PASSWORD)
    world = _setup(hall)
    inputs = corpus(world)
    assert len(inputs) >= 200 and len({b.name for b in inputs}) == len(inputs)
    before = snapshot(hall)
    failures: list[str] = []
    for i, bad in enumerate(inputs):
        code, err = _run(hall, bad, tmp_path / f"input-{i}", capsys, monkeypatch)
        problems = []
        if code != bad.code:
            problems.append(f"exit {code}, expected {bad.code}")
        if not CJK.search(err):
            problems.append("no Chinese message")
        english = ENGLISH.search(err)
        if english:
            problems.append(f"English/traceback text {english.group()!r}")
        after = snapshot(hall)
        changed = sorted(t for t in before if after[t] != before[t])
        if changed:
            problems.append(f"changed {', '.join(changed)}")
            before = after
        if problems:
            failures.append(f"{bad.name}: {'; '.join(problems)} — {err.strip()[-300:]!r}")
    assert not failures, f"{len(failures)} of {len(inputs)} bad inputs misbehaved:\n" + "\n".join(failures)


def test_a_bom_is_accepted(hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A UTF-8 byte order mark (Windows Notepad) is not bad input: the case is taken."""
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    item = item_with_tolerable(hall)
    doc = {"item": item.code, "outcome": "accept",
           "agent": {"name": AGENT.name, "id_number": AGENT.id_number, "phone": AGENT.phone},
           "materials": {m.code: ("waived" if m.covered_by else "received") for m in item.materials}}
    path = tmp_path / "case.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    code = run(["--db", hall.url, "--user", "clerk1", "case", "create", "--json", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["status"] == "accepted"
