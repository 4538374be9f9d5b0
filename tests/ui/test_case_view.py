"""The reviewer's case as a form (ui/case_view.py): masked agent, no codes, — for what was not handed in, lights."""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app import backoffice, catalog, intake, limits
from app.cases import CaseView
from app.claims import CaseLights
from app.context import HallDesk
from app.intake import MaterialInput
from app.validators import make_uscc, mask_phone
from tests.conftest import log_in, sqlite_only
from tests.intake_support import AGENT, ENTERPRISE, all_received, request
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from ui.backoffice.case_view import (
    NOT_HANDED_IN,
    CaseMaterialModel,
    CaseViewPanel,
    HistoryModel,
    NoticeModel,
    OpinionModel,
)
from ui.backoffice.page import BackOfficePage
from ui.models import LIGHT_BRUSHES

pytestmark = sqlite_only  # what the widgets show does not depend on the engine (README, Tests)

CODE = re.compile(r"\b[A-Z]{2,5}\d{3}\b|\bM\d\d\b")


def _tolerated_case(hall: HallDesk) -> tuple[CaseView, catalog.Item]:
    """A 容缺 case of SCJ taken at counter 1, waiting in the SCJ queue."""
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ")
                if not i.immediate and any(m.tolerable for m in i.materials))
    code = next(m.code for m in item.materials if m.tolerable)
    case = intake.take_application(hall.uow(), log_in(hall, "clerk1"),
                                   request(item, materials={**all_received(item), code: MaterialInput("tolerated")}))
    return case, item


def _page(hall: HallDesk, qtbot: QtBot) -> BackOfficePage:
    page = BackOfficePage(hall, log_in(hall, "rev_scj"))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    settle()
    return page


def test_claimed_case_shows_as_a_form(hall: HallDesk, qtbot: QtBot) -> None:
    case, item = _tolerated_case(hall)
    page = _page(hall, qtbot)
    page.claim_next_button.click()
    settle()
    assert page.claim is not None and page.claim.case.case_no == case.case_no
    panel = page.details
    texts = panel.visible_texts()
    shown = "\n".join(texts)
    # The agent's phone masked as on paper, never whole; the ID likewise.
    assert mask_phone(AGENT.phone) in panel.text_of("phone")
    assert AGENT.phone not in shown and AGENT.id_number not in shown
    assert panel.text_of("applicant") == case.enterprise_name
    # No item code, no material code anywhere in the panel.
    assert item.code not in shown and not CODE.search(shown), shown
    assert panel.text_of("item").startswith(item.name)
    # The 容缺 material: its counts are —, its deadline is shown; a received one has real counts.
    model = panel.material_model
    tolerated = next(r for r in range(model.rowCount()) if model.row_at(r).state == "tolerated")  # type: ignore[union-attr]
    assert model.index(tolerated, 1).data() == "容缺"
    assert model.index(tolerated, 2).data() == NOT_HANDED_IN and model.index(tolerated, 3).data() == NOT_HANDED_IN
    assert model.index(tolerated, 4).data()  # 补交期限
    received = next(r for r in range(model.rowCount()) if model.row_at(r).state == "received")  # type: ignore[union-attr]
    assert model.index(received, 2).data().endswith("份")
    assert "原件0份" not in shown
    # The clocks with the queue's light: the same light as the case's row in the queue.
    row = page.model.row_at(page.model.row_of(case.case_no))
    assert row is not None and page.claim.lights.promised == row.light
    assert f"● {backoffice.LIGHTS[row.light]}" in panel.text_of("promised")
    assert panel.fields["promised"].styleSheet() == f"color: {LIGHT_BRUSHES[row.light].color().name()};"
    # Who did what, by name: the clerk's display name, not the account.
    history = panel.history_model
    who = {history.index(r, 1).data() for r in range(history.rowCount())}
    assert "综合窗口一" in who and "clerk1" not in who and "rev_scj" not in who
    # The panel's tables are reachable by Tab from the queue.
    page.activateWindow()
    page.view.setFocus()
    reached = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert panel.material_view in reached, reached
    assert reached.index(panel.material_view) < reached.index(page.notice_combo)


def test_lights_and_paused_clock_follow_app(hall: HallDesk, qtbot: QtBot) -> None:
    case, _item = _tolerated_case(hall)
    panel = CaseViewPanel()
    qtbot.addWidget(panel)
    panel.show_case(case, lights=CaseLights("red", "yellow"))
    assert panel.text_of("promised").endswith("● 超期") and panel.text_of("legal").endswith("● 临期")
    panel.show_case(case, lights=CaseLights("green", "green"))
    assert panel.text_of("promised").endswith("● 正常")
    paused = replace(case, status="suspended", clock=replace(case.clock, paused_promised=3, paused_legal=12,
                                                             procedure="专家评审", procedure_reason="需专家论证"))
    panel.show_case(paused, lights=CaseLights("paused", "paused"))
    assert panel.text_of("promised") == "● 暂停计时（剩3个工作日）"
    assert panel.text_of("clock").startswith("专家评审中，暂停计时")
    panel.show_case(None)
    assert panel.text_of("promised") == "" and panel.material_model.rowCount() == 0


def test_long_values_elide_with_the_whole_text_in_a_tooltip(hall: HallDesk, qtbot: QtBot) -> None:
    case, _item = _tolerated_case(hall)
    long_name = "南昌" + "新建经开区长堎大道" * 14 + "有限公司"
    panel = CaseViewPanel()
    qtbot.addWidget(panel)
    panel.resize(520, 600)
    panel.show()
    panel.show_case(replace(case, enterprise_name=long_name))
    settle()
    field = panel.fields["applicant"]
    assert field.toolTip() == long_name and field.width() <= panel.width()
    assert panel.sizeHint().width() < 700  # the form does not grow with the name


def test_the_reviewers_page_fits_1366_by_768_with_the_longest_name(hall: HallDesk, qtbot: QtBot) -> None:
    """A 128-character company name: the form elides it, the window keeps its size and the panel its place."""
    item = next(i for i in catalog.list_items(hall.uow(), "SCJ") if not i.immediate)
    name = ("南昌" + "新建经开区长堎大道国际商贸物流" * 9)[: limits.ENTERPRISE_NAME.chars - 4] + "有限公司"
    enterprise = replace(ENTERPRISE, uscc=make_uscc(9191), name=name)
    intake.take_application(hall.uow(), log_in(hall, "clerk1"), request(item, enterprise=enterprise))
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    window.resize(1366, 768)
    page = window.show_page("backoffice")
    assert isinstance(page, BackOfficePage)
    panel = page.details
    layout = panel.layout()
    assert layout is not None
    before = layout.minimumSize().width()
    page.claim_next_button.click()
    settle()
    assert page.claim is not None and panel.text_of("applicant") == name
    # The name asks for no room: the panel's size hints are those of the empty form, and modest.
    assert layout.minimumSize().width() == before <= panel.minimumSizeHint().width()
    right = panel.mapTo(window, panel.rect().topRight()).x()
    assert right <= window.width() and panel.fields["applicant"].width() < panel.width()
    assert panel.fields["applicant"].toolTip() == name


def test_models_pass_the_model_tester(hall: HallDesk, qtmodeltester: ModelTester) -> None:
    case, _item = _tolerated_case(hall)
    materials = CaseMaterialModel(case.materials)
    qtmodeltester.check(materials)
    notices = NoticeModel(case.notices)
    qtmodeltester.check(notices)
    history = HistoryModel()
    history.set_events(case.history, {"clerk1": "综合窗口一"})
    qtmodeltester.check(history)
    opinions = OpinionModel(case.history)
    qtmodeltester.check(opinions)
