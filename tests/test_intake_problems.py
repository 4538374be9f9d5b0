"""Every problem of an intake at once (``intake.request_problems``), in the counter form's order, from the
service as from the pure check; nothing is stored.  On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app import intake
from app.context import HallDesk
from app.errors import ValidationError
from app.intake import EnterpriseInput, MaterialInput
from app.validators import make_uscc
from cli.main import _guarded
from tests.conftest import log_in
from tests.intake_support import AGENT, ENTERPRISE, all_received, item_with_tolerable, request, row_counts

BAD_ID = AGENT.id_number[:17] + ("0" if AGENT.id_number[17] != "0" else "1")
BAD_PHONE = "1380791000"  # ten digits
UNKNOWN_USCC = make_uscc(9191)  # valid, and no enterprise on record has it


def test_four_mistakes_are_refused_together_in_form_order(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    req = request(item, agent=replace(AGENT, id_number=BAD_ID, phone=BAD_PHONE),
                  enterprise=EnterpriseInput(uscc=UNKNOWN_USCC, name=""))
    before = row_counts(hall)
    with pytest.raises(ValidationError) as refused:
        intake.take_application(hall.uow(), clerk, req)
    assert [field for field, _ in refused.value.problems] == ["enterprise.name", "agent.id_number", "agent.phone"]
    assert refused.value.field == "enterprise.name" and "尚未登记" in refused.value.message
    assert row_counts(hall) == before

    # A wrong code and a missing name: no enterprise on record has a wrong code, so its name is needed too.
    wrong = replace(req, enterprise=EnterpriseInput(uscc=UNKNOWN_USCC[:-1] + "Z", name=""))
    with pytest.raises(ValidationError) as refused:
        intake.take_application(hall.uow(), clerk, wrong)
    fields = [field for field, _ in refused.value.problems]
    assert fields == ["enterprise.uscc", "enterprise.name", "agent.id_number", "agent.phone"]
    assert "第18位“Z”" in refused.value.problems[0][1]
    assert row_counts(hall) == before

    # The same list from the pure check the counter calls while the clerk types.
    pure = intake.request_problems(wrong, enterprise_known=False)
    assert [(p.field, p.message) for p in pure] == list(refused.value.problems)


def test_materials_follow_the_fields_and_the_first_problem_is_the_error(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    hard = next(m for m in item.materials if m.required and not m.tolerable and not m.covered_by)
    req = request(item, agent=replace(AGENT, name=" "),
                  materials={**all_received(item), hard.code: MaterialInput("missing")})
    before = row_counts(hall)
    with pytest.raises(ValidationError) as refused:
        intake.take_application(hall.uow(), clerk, req)
    assert refused.value.problems[0] == ("agent.name", "请填写经办人姓名")
    assert refused.value.field == "agent.name"
    assert any("必需材料不齐" in message for _, message in refused.value.problems[1:])
    assert row_counts(hall) == before


def test_a_known_enterprise_needs_no_name_and_a_good_request_has_no_problems(hall: HallDesk) -> None:
    clerk = log_in(hall, "clerk1")
    item = item_with_tolerable(hall)
    intake.take_application(hall.uow(), clerk, request(item))  # registers ENTERPRISE
    again = request(item, enterprise=EnterpriseInput(uscc=ENTERPRISE.uscc))
    assert intake.request_problems(again, enterprise_known=True) == []
    view = intake.take_application(hall.uow(), clerk, again)
    assert view.enterprise_name == ENTERPRISE.name


def test_the_cli_prints_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    # _guarded: the CLI's one place that turns an error into words and an exit code.
    def refuse() -> int:
        raise ValidationError("agent.id_number", "一", problems=[("agent.id_number", "一"), ("agent.phone", "二")])

    assert _guarded(None, refuse) == ValidationError.exit_code  # type: ignore[arg-type]
    assert capsys.readouterr().err.splitlines() == ["错误：一", "错误：二"]
