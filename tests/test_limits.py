"""app.limits: every typed field has a limit derived from the schema, checked first in every service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app import (
    accounts,
    backoffice,
    catalog,
    decisions,
    evaluation,
    grievance,
    hall_settings,
    holidays,
    intake,
    limits,
    output,
)
from app.auth import Actor, check_password_rules, login
from app.errors import ValidationError
from app.printing import desk, queue
from app.printing.model import PrinterProfile
from db.models import Base
from tests.intake_support import AGENT, ENTERPRISE

# The Text columns left unlimited hold the program's own text (JSON, service wording), never typing as such.
MACHINE_TEXT = {"hd_case.result_docs", "handover.result_docs", "notice.payload", "print_job.payload",
                "audit_event.payload", "setting.value", "evaluation.reasons", "outbox.last_error", "sync_state.value",
                "file_outbox.last_error", "tier_scheme.doc"}


def test_only_machine_text_is_unlimited() -> None:
    unlimited = {f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns
                 if isinstance(c.type, sa.Text) and "max_chars" not in c.info}
    assert unlimited == MACHINE_TEXT


def test_limits_come_from_the_columns() -> None:
    for limit in limits.ALL:
        if "." not in limit.source or " " in limit.source:
            continue  # settings (JSON) and the password: declared in app.limits
        table, column = limit.source.split(".")
        stored = Base.metadata.tables[table].columns[column].type
        assert isinstance(stored, sa.String) and stored.length is not None and limit.chars <= stored.length
    assert limits.AGENT_NAME.chars == 64 and limits.GRIEVANCE_CONTENT.chars == 2000
    assert limits.OPINION.chars == 1000 < Base.metadata.tables["case_event"].columns["note"].type.length


@pytest.mark.parametrize(("limit", "value", "message"), [
    (limits.AGENT_NAME, "张" * 65, "经办人姓名不能超过64个字（现为65个字）"),
    (limits.AGENT_NAME, "张\x00伟", "经办人姓名含有不可见的控制字符（第2个字符，U+0000）"),
    (limits.AGENT_NAME, "张\x1b伟", "U+001B"),
    (limits.AGENT_NAME, "张\t伟", "经办人姓名只能填写一行（第2个字符是制表符或换行）"),
    (limits.AGENT_NAME, "张\n伟", "只能填写一行"),
    (limits.AGENT_NAME, "张\udcff伟", "经办人姓名含有无法识别的字符（第2个字符不是有效的文字"),
    (limits.GRIEVANCE_CONTENT, "第一行\r\n\x7f", "U+007F"),
    (limits.GRIEVANCE_CONTENT, "诉" * 2001, "诉求内容不能超过2000个字"),
    (limits.PASSWORD, "Demo@12345\ud800", "密码含有无法识别的字符"),
])
def test_problems_name_the_field_in_chinese(limit: limits.Limit, value: str, message: str) -> None:
    assert message in (limit.problem(value) or "")
    with pytest.raises(ValidationError) as refused:
        limits.check(limit, value, "agent.name")
    assert refused.value.field == "agent.name" and message in refused.value.message


@pytest.mark.parametrize(("limit", "value"), [
    (limits.AGENT_NAME, "张" * 64),
    (limits.AGENT_NAME, "张\U00020000"),  # a rare character and an emoji are one character each
    (limits.AGENT_NAME, "😀" * 64),
    (limits.AGENT_NAME, "张伟\n"),  # a trailing line break from a scanner or a file is dropped by the service
    (limits.GRIEVANCE_CONTENT, "第一行\n\t第二行\r\n第三行"),
    (limits.INTAKE_REASON, ""),
])
def test_what_may_be_stored_passes(limit: limits.Limit, value: str) -> None:
    assert limit.problem(value) is None
    assert limits.check(limit, value, "f") == value


def test_the_readme_table_is_app_limits() -> None:
    """The README's table of limits is ``python -m app.limits``: regenerate it there when a limit changes."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start, end = readme.index("<!-- limits:begin -->\n"), readme.index("<!-- limits:end -->")
    assert readme[start + len("<!-- limits:begin -->\n"):end] == limits.markdown_table()


def test_table_rows_cover_every_limit() -> None:
    rows = limits.table_rows()
    assert len(rows) == len(limits.ALL) and ("经办人姓名", "hd_case.agent_name", 64, "单行") in rows
    assert ("诉求内容", "grievance.content", 2000, "多行") in rows


# ---- every service checks first, before it opens a unit of work -----------------------------------------


class Untouchable:
    """A unit of work that fails the test when a service enters it."""

    def __enter__(self) -> Any:
        raise AssertionError("the service touched the database before checking its input")

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self) -> Untouchable:  # where a service takes a factory
        return self


def _actor(role: str) -> Actor:
    return Actor(uuid.uuid4(), "someone", "某人", role, uuid.uuid4(), "SCJ", "区市场监管局", 1, "comprehensive")


LONG = "长" * 3000
NUL = "a\x00b"
NO: Any = Untouchable()  # typed as any unit of work
GUIDE = catalog.ItemGuide(code="SCJ001", name="食品经营许可", kind="行政许可", legal_basis=LONG, legal_days=20,
                          promised_days=5, immediate=False, fee="不收费",
                          materials=(catalog.Material("M01", "申请书"),))

CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("intake", lambda: intake.take_application(NO, _actor("clerk"), intake.IntakeRequest(
        item="SCJ001", agent=AGENT.__class__("张" * 65, AGENT.id_number, AGENT.phone), materials={},
        outcome="accept")), "agent.name"),
    ("intake enterprise", lambda: intake.take_application(NO, _actor("clerk"), intake.IntakeRequest(
        item="SCJ001", agent=AGENT, materials={}, outcome="accept",
        enterprise=ENTERPRISE.__class__(ENTERPRISE.uscc, NUL))), "enterprise.name"),
    ("intake material note", lambda: intake.take_application(NO, _actor("clerk"), intake.IntakeRequest(
        item="SCJ001", agent=AGENT, outcome="refuse", reason="理由",
        materials={"M01": intake.MaterialInput("defective", note=LONG)})), "materials.M01"),
    ("resubmit", lambda: intake.resubmit(NO, _actor("clerk"), "XJ1", {"M01": intake.MaterialInput("received", note=NUL)}),
     "materials.M01"),
    ("catalog update", lambda: catalog.update_item(NO, _actor("admin"), GUIDE), "legal_basis"),
    ("catalog create", lambda: catalog.create_item(NO, _actor("admin"), "SCJ", GUIDE), "legal_basis"),
    ("user add", lambda: accounts.add_user(NO, _actor("admin"), username="newbie", full_name=LONG,
                                           role="clerk", password="Passw0rd!"), "full_name"),
    ("user set", lambda: accounts.update_user(NO, _actor("admin"), "clerk1", full_name=NUL, role="clerk",
                                              dept=None, counter=None, active=True), "full_name"),
    ("counter", lambda: accounts.save_counter(NO, _actor("admin"), number=5, name=LONG, kind="output"),
     "name"),
    ("counter printers", lambda: accounts.set_counter_printers(NO, _actor("admin"), 1, "tcp://" + LONG, ""),
     "printer_uri"),
    ("hall", lambda: hall_settings.save_hall_settings(NO, _actor("admin"), hall_settings.HallSettings(address=LONG)), "address"),
    ("holiday", lambda: holidays.set_override(NO, _actor("admin"), date(2026, 10, 1), False, NUL), "note"),
    ("opinion", lambda: decisions.add_opinion(NO, _actor("reviewer"), "XJ1", LONG), "opinion"),
    ("decide", lambda: decisions.decide(NO, _actor("reviewer"), "XJ1", "deny", reason=LONG), "reason"),
    ("dept settings", lambda: backoffice.save_dept_settings(NO, _actor("chief_rep"), "SCJ",
                                                            backoffice.DeptSettings(paused=(NUL,))), "paused"),
    ("issue collector", lambda: output.issue(NO, _actor("clerk"), case_no="XJ1", pickup_code="123456",
                                             collector=output.Collector(LONG, "x")), "collector.name"),
    ("issue mail", lambda: output.issue(NO, _actor("clerk"), case_no="XJ1", pickup_code="123456",
                                        mail=output.Mailing("王芳", "13800000000", LONG, "EA123456789CN")), "mail.address"),
    ("pickup", lambda: output.find_for_pickup(NO, _actor("clerk"), slip="HD1:\udcff"), "slip"),
    ("supplement", lambda: output.record_supplement(NO, _actor("clerk"), "XJ1", NUL), "material"),
    ("rate", lambda: evaluation.rate(NO, _actor("clerk"), "XJ1", 5, comment="评" * 501), "comment"),
    ("rectification callback", lambda: evaluation.record_callback(NO, _actor("chief_rep"), "x", LONG), "note"),
    ("rectification close", lambda: evaluation.close_rectification(NO, _actor("chief_rep"), "x", NUL), "fix"),
    ("grievance add", lambda: grievance.register(NO, _actor("supervisor"), complainant="王芳", content=NUL),
     "content"),
    ("grievance urge", lambda: grievance.urge(NO, _actor("supervisor"), "BC1", LONG), "note"),
    ("grievance resolve", lambda: grievance.resolve(NO, _actor("supervisor"), "BC1", LONG), "reply"),
    ("grievance callback", lambda: grievance.callback(NO, _actor("supervisor"), "BC1", satisfied=True,
                                                      note="回访\udcff"), "note"),
    ("reprint", lambda: desk.receipt_job(NO, _actor("clerk"), "XJ1", reprint=True, reason=LONG), "reason"),
    ("notice reprint", lambda: desk.notice_pdf(NO, _actor("clerk"), "XJ1", "acceptance", reprint=True,
                                               reason=NUL), "reason"),
    ("printer profile", lambda: desk.save_profile(NO, _actor("clerk"), "tcp://" + LONG, PrinterProfile()), "uri"),
    ("print cancel", lambda: queue.cancel_job(NO, _actor("clerk"), "x", LONG), "reason"),
    ("print redirect", lambda: queue.redirect_job(NO, _actor("clerk"), "x", "tcp://" + LONG), "printer_uri"),
    ("print test", lambda: queue.enqueue_test_page(NO, _actor("clerk"), "file://\x00"), "printer_uri"),
    ("login", lambda: login(NO, "admin\udcff", "Demo@12345"), "username"),
    ("new password", lambda: check_password_rules("Passw0rd\udcff"), "password"),
]


@pytest.mark.parametrize(("what", "call", "field"), CALLS, ids=[c[0] for c in CALLS])
def test_every_service_checks_its_text_before_the_database(what: str, call: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        call()
    assert refused.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)
