"""The role table (app/roles.py) against the code and the README.

Every command the table names runs as every role, on every engine: a role the table allows is never refused
for its role (exit code 4), and a role it does not allow always is, before anything is written.  Every CLI
command is either in the table or listed as needing no login, and the README prints the table as the code
has it.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import backoffice, catalog, enterprises, evaluation, files, grievance, intake, roles, transfers
from app.auth import ROLES, Actor
from app.context import HallDesk
from app.demo import DEMO_ENTERPRISES, DEMO_PASSWORD
from cli.main import build_parser, run
from db.models import AuditEvent, Case, PrintJob
from tests.conftest import log_in
from tests.intake_support import all_received, item_with_tolerable, request
from tests.support import scanned
from tests.test_output import _decided, _scj_item

README = Path(__file__).resolve().parents[1] / "README.md"
ROLE_TABLE = re.compile(r"<!-- roles:begin -->\n(.*?)<!-- roles:end -->", re.S)

# Who plays each role.  A clerk is the one whose counter the command belongs to (its scope): the 办不成事
# window registers grievances, counter 1 took the cases.
PLAYERS = {"clerk": "clerk1", "reviewer": "rev_scj", "chief_rep": "chief_scj", "supervisor": "supervisor",
           "admin": "admin"}
CLERK_FOR = {"grievance.register": "clerk9", "case.handover": "clerk3"}


def all_commands() -> set[str]:
    """Every ``COMMAND [SUB]`` the CLI parser knows."""
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or (prefix and not subs[0].required):  # `setup --file F` and `setup show`
            found.add(prefix)
        if not subs:
            return
        for name, child in subs[0].choices.items():
            walk(child, f"{prefix} {name}".strip())

    walk(build_parser(), "")
    return found


def test_every_command_is_in_the_role_table_or_needs_no_login() -> None:
    named = {c.removesuffix(" NAME") for p in roles.PERMISSIONS.values() for c in p.commands}
    assert all_commands() == named | set(roles.OPEN_COMMANDS)
    assert not named & set(roles.OPEN_COMMANDS)


def test_the_readme_prints_the_role_table_as_the_code_has_it() -> None:
    found = ROLE_TABLE.search(README.read_text(encoding="utf-8"))
    assert found is not None, "README.md lacks the <!-- roles:begin --> … <!-- roles:end --> block"
    assert found.group(1) == roles.markdown(), "regenerate it: python -m app roles"


def test_roles_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["roles"]) == 0
    assert capsys.readouterr().out == roles.markdown()
    assert run(["roles", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert {row["action"] for row in table} == set(roles.PERMISSIONS)
    assert all(set(row["roles"]) <= set(ROLES) for row in table)


# ---- every command as every role -----------------------------------------------------------------------------


@dataclass
class World:
    """The cases, jobs and records the commands act on, made once per database."""

    hall: HallDesk
    tmp: Path
    queued: list[str]  # accepted SCJ cases, waiting in the queue
    decided: str  # approved SCJ case (容缺), taken at counter 1
    slip: str
    tolerable: str
    correction: str  # a case waiting for 补正
    job: str  # a print job of counter 1
    grievance_no: str
    rectification: str
    item_guide: dict[str, object]
    catalog_yaml: str
    received: str  # a material of ``decided`` handed in, with a scan attached
    scan: str  # that scan's path
    file_id: str  # and its 电子件 id
    batch: str  # a 交接单 of counter 1 to SCJ, not yet signed for (材料流转)
    registry: str  # the 园区企业名录 as exported (Excel)

    def file(self, name: str, doc: object) -> str:
        path = self.tmp / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return str(path)


@pytest.fixture
def world(hall: HallDesk, tmp_path: Path) -> World:
    clerk = log_in(hall, "clerk1")
    item = _scj_item(hall)
    queued = [intake.take_application(hall.uow(), clerk, request(item, materials=all_received(item))).case_no
              for _ in range(8)]
    decided = _decided(hall, tolerate=True)
    tolerable = next(m.code for m in decided.materials if m.state == "tolerated")
    required = next(m for m in item.materials if m.required and not m.covered_by)
    correction = intake.take_application(hall.uow(), clerk, request(
        item, "correction", materials={**all_received(item), required.code: intake.MaterialInput("missing")})).case_no
    with hall.uow() as uow:
        job = uow.session.execute(select(PrintJob.id).join(Case, PrintJob.case_id == Case.id)
                                  .where(Case.case_no == queued[0])).scalars().first()
    sup = log_in(hall, "supervisor")
    g = grievance.register(hall.uow(), sup, complainant="王芳", content="营业执照变更办了三次没办成")
    grievance.classify(hall.uow(), sup, g.grievance_no, "complaint")
    grievance.assign(hall.uow(), sup, g.grievance_no, "SCJ")
    rated = evaluation.rate(hall.uow(), clerk, decided.case_no, 2, reasons=["attitude"], occasion="intake")
    [rect] = evaluation.list_rectifications(hall.uow(), sup)
    assert rated.rectification_due is not None
    received = next(m.code for m in decided.materials if m.state == "received")
    scan = tmp_path / "scan.png"
    scan.write_bytes(scanned.text_scan(400, 560))
    attached = files.attach(hall.uow(), clerk, decided.case_no, [files.prepare_path(received, scan)])
    batch = transfers.create_batch(hall.uow(), clerk, "SCJ", [queued[0]]).batch_no
    registry = enterprises.export_xlsx(hall.uow(), sup, tmp_path / "registry.xlsx").path
    return World(hall, tmp_path, queued, decided.case_no, decided.slip, tolerable, correction, str(job),
                 g.grievance_no, str(rect.id), _item_guide(hall, item.code),
                 catalog.export_yaml(hall.uow()), received, str(scan), str(attached.files[0].id), batch, registry)


def _argv(command: str, w: World, role: str, step: int) -> list[str]:
    """Arguments that make ``command`` do its work for an allowed role; ``step`` tells the roles apart."""
    item = item_with_tolerable(w.hall)  # an FGW item: the chief representative edits an SCJ one below
    case = {"item": item.code, "agent": {"name": "张伟", "id_number": request(item).agent.id_number,
                                         "phone": "13807910001"},
            "materials": {m.code: "waived" if m.covered_by else "received" for m in item.materials},
            "outcome": "accept"}
    queued = w.queued[step % len(w.queued)]
    table: dict[str, list[str]] = {
        "case create": ["--json", w.file("case.json", case)],
        "case resubmit": [w.correction, "--json", w.file("resubmit.json", {"materials": {}})],
        "case import": [w.file("online.jsonl", json.dumps({**case, "external_id": f"W-{role}"}) + "\n")],
        "case show": [w.decided, "--json"],
        "case list": ["--json"],
        "case credentials": [w.decided, "--json"],
        "case attach": [w.decided, "--material", w.received, w.scan, "--json"],
        "case files": [w.decided, "--json"],
        "files archive": ["--finished-before", "2026-01-01", "--to", str(w.tmp), "--json"],
        "case file-get": [w.decided, w.file_id, "--out", str(w.tmp / f"file-{role}.png"), "--reason", "复核"],
        "transfer create": ["--dept", "SCJ", "--out", str(w.tmp / f"jjd-{role}.pdf"), "--json"],
        "transfer receive": [f"HDTB:{w.batch}", "--json"],
        "transfer list": ["--json"],
        "print receipt": [queued, "--reprint", "--reason", "回执遗失", "--printer", "file:///dev/null"],
        "print notice": [w.decided, "--kind", "acceptance", "--out", str(w.tmp / "n.pdf")],
        "print retry": [w.job],
        "print cancel": [w.job, "--reason", "测试"],
        "print redirect": [w.job, "--printer", "file:///dev/null"],
        "printer set": ["file:///dev/null", "--paper", "58"],
        "print test": ["--printer", f"file://{w.tmp}/test-page"],
        "printer test": ["--counter", "1", "--printer", f"folder://{w.tmp}/test-folder"],
        "queue": ["--dept", "SCJ", "--json"],
        "case claim": [queued, "--json"],
        "case renew": [queued, "--json"],
        "case release": [queued],
        "case opinion": [queued, "--text", "符合条件"],
        "case decide": [queued, "--approve", "--reason", "符合条件"],
        "case reassign": [queued, "--to", "rev_scj"],
        "case suspend": [queued, "--procedure", "检验", "--reason", "需送检样品", "--json"],
        "case resume": [queued, "--json"],
        "case extend": [queued, "--days", "5", "--approver", "李局长", "--reason", "需现场核查", "--json"],
        "seal authorise": [queued],
        "seal log": ["--dept", "SCJ", "--json"],
        "workload": ["--dept", "SCJ", "--json"],
        "dept settings": ["--dept", "SCJ", "--review-days", "4"],
        "catalog update": ["--json", w.file("item.json", w.item_guide)],
        "case pickup": [w.decided, "--slip", w.slip, "--json"],
        "case issue": [w.decided, "--slip", w.slip, "--json"],
        "output list": ["--json"],
        "case supplement": [w.decided, "--material", w.tolerable, "--json"],
        "supplement overdue": ["--json"],
        "case remind": [w.decided, "--json"],
        "case terminate": [queued, "--reason", "申请人书面申请撤回", "--withdrawn", "--json"],
        "case unlock-pickup": [w.decided],
        "case rate": [w.queued[0], "--level", "5", "--occasion", "intake", "--json"],
        "rating summary": ["--json"],
        "overview": ["--json"],
        "rectification list": ["--json"],
        "rectification callback": [w.rectification, "--note", "电话回访，已说明进度", "--json"],
        "rectification close": [w.rectification, "--fix", "已提醒窗口人员改进", "--json"],
        "rating settings": ["--rectification-days", "6"],
        "grievance add": ["--name", "李娜", "--content", "想咨询开办企业的流程", "--json"],
        "grievance list": ["--json"],
        "grievance show": [w.grievance_no, "--json"],
        "grievance classify": [w.grievance_no, "--category", "complaint", "--json"],
        "grievance assign": [w.grievance_no, "--dept", "SCJ", "--json"],
        "grievance urge": [w.grievance_no, "--note", "请加快办理", "--json"],
        "grievance resolve": [w.grievance_no, "--reply", "已当面解释并办结", "--json"],
        "grievance callback": [w.grievance_no, "--satisfied", "yes", "--note", "满意", "--json"],
        "grievance archive": [w.grievance_no, "--json"],
        "grievance settings": ["--days", "6"],
        "user list": ["--json"],
        "user add": [f"new_{role}", "--name", "新用户", "--role", "clerk", "--counter", "2"],
        "user set": ["clerk2", "--name", "综合窗口二"],
        "user unlock": ["clerk2"],
        "user passwd NAME": ["clerk2"],
        "user passwd": [],
        "counter set": ["7", "--name", "综合受理7号窗口", "--kind", "comprehensive"],
        "counter keygen": ["7"],
        "counter keys": ["--json"],
        "counter revoke-key": ["00000000"],
        "hall set": ["--phone", "0791-83700000"],
        "hall files-set": ["--max-file-mb", "40", "--json"],
        "hall backup-set": ["--keep-days", "10", "--json"],
        "holiday set": ["2030-10-08", "--workday", "--note", "调休"],
        "holiday remove": ["2030-10-08"],
        "holiday confirm": ["2030"],
        "catalog import": [w.file("catalog.yaml", w.catalog_yaml)],
        "demo": [],
        "enterprise show": [DEMO_ENTERPRISES[0][0], "--json"],
        "enterprise list": ["--query", "赣新", "--json"],
        "enterprise import": [w.registry, "--json"],
        "enterprise export": [str(w.tmp / f"registry-{role}.xlsx"), "--json"],
        "enterprise tier": ["--recompute", "--json"],
        "enterprise tier-scheme": [w.file("scheme.json", {"indicators": {"revenue": {"weight": 50, "full": 10000}},
                                                          "tiers": [{"name": "瞪羚", "min": 30}]}), "--json"],
        "audit anchor": ["--out", str(w.tmp / "anchors.txt")],
    }
    return [*command.removesuffix(" NAME").split(), *table[command]]


def _item_guide(hall: HallDesk, code: str) -> dict[str, object]:
    item = catalog.get_item(hall.uow(), code)
    doc = catalog._item_doc(item)
    doc.update(version=item.version)
    return doc


def _audit_rows(hall: HallDesk) -> int:
    with hall.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def test_every_command_as_every_role_matches_the_table(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = world.hall
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("HALLDESK_NEW_PASSWORD", "Fresh2026pw")
    cache: dict[str, Actor] = {}

    def actor(username: str) -> Actor:
        if username not in cache:
            cache[username] = log_in(hall, username)
        return cache[username]

    wrong: list[str] = []
    for permission in roles.PERMISSIONS.values():
        for command in permission.commands:
            for step, role in enumerate(PLAYERS):
                username = CLERK_FOR.get(permission.action, PLAYERS[role]) if role == "clerk" else PLAYERS[role]
                argv = ["--user", username, *_argv(command, world, role, step)]
                who = actor(username)  # logged in first: a login writes its own audit row
                before = _audit_rows(hall)
                code = run(argv, hall=hall, actor=who)
                _out, err = capsys.readouterr()
                allowed = role in permission.roles
                if allowed and code in (1, 4):
                    wrong.append(f"{command} as {role}: allowed by the table, got {code}: {err.strip()}")
                if not allowed:
                    if code != 4:
                        wrong.append(f"{command} as {role}: not in the table, got {code}: {err.strip()}")
                    elif _audit_rows(hall) != before:
                        wrong.append(f"{command} as {role}: refused, but wrote audit rows")
    assert not wrong, "\n".join(wrong)


def test_a_refusal_names_the_roles_that_may(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    with pytest.raises(Exception, match="综合窗口人员无权解除取件码锁定（仅限营商办/管委会）"):
        roles.require(clerk, "pickup.unlock")
    assert roles.allowed(clerk, "case.intake") and not roles.allowed(clerk, "case.review")
    assert tuple(r for r in ROLES if roles.allowed(
        Actor(clerk.user_id, "x", "x", r, None, None, None, None), "case.review")) == backoffice.BACK_OFFICE_ROLES
