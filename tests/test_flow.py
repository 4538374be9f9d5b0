"""受审分离 end to end through the CLI, as a hall's scripts would drive it, on every engine.

综合受理 at counter 1 on its own store (容缺 acceptance, offline first, then synced) → 后台分类审批 (claim,
opinion, sealed approval) → 统一窗口出件 at counter 3 (the supplement brought in, the slip scanned, a
collector by proxy) → 好差评 with a 差评 → 整改 by the chief representative. Every step is a CLI call with
``--json``; at the end every audit chain verifies.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.context import HallDesk
from app.demo import DEMO_PASSWORD
from app.validators import make_id_number
from cli.main import run
from tests.intake_support import ENTERPRISE, item_with_tolerable, request
from tests.test_sync import closed_port_url


def test_from_intake_to_hand_over_and_rectification(
    hall: HallDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLDESK_PASSWORD", DEMO_PASSWORD)

    def cli(*argv: str, db: str | None = None) -> Any:
        code = run(["--db", db or hall.url, *argv])
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out) if out.strip() else None

    def write(name: str, doc: object) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return str(path)

    item = item_with_tolerable(hall)
    tolerable = next(m.code for m in item.materials if m.tolerable)
    application = write("case.json", {
        "item": item.code,
        "enterprise": {"uscc": ENTERPRISE.uscc, "name": ENTERPRISE.name, "legal_rep": ENTERPRISE.legal_rep,
                       "address": ENTERPRISE.address},
        "agent": {"name": "张伟", "id_number": request(item).agent.id_number, "phone": "13807910001"},
        "materials": {m.code: ("waived" if m.covered_by else "tolerated" if m.code == tolerable else "received")
                      for m in item.materials},
        "outcome": "accept",
    })
    store = str(tmp_path / "counter1.sqlite3")

    # 综合受理: counter 1 fills its store while the network is up, then takes the case offline.
    cli("--local", store, "sync", "run")
    case = cli("--local", store, "--user", "clerk1", "case", "create", "--json", application, db=closed_port_url())
    assert case["status"] == "accepted" and case["synced"] is False
    assert [c["material"] for c in case["commitments"]] == [tolerable]
    assert cli("--local", store, "sync", "status", "--json", db=closed_port_url())["pending"] == 1
    cli("--local", store, "sync", "run")
    number = case["case_no"]

    # 后台分类审批: the department's reviewer claims it, writes an opinion, and approves under the seal.
    dept = item.dept
    reviewer, chief = f"rev_{dept.lower()}", f"chief_{dept.lower()}"
    queue = cli("--user", reviewer, "queue", "--dept", dept, "--json")
    assert [r["case_no"] for r in queue] == [number]
    claimed = cli("--user", reviewer, "case", "claim", "--dept", dept, "--json")
    assert claimed["case_no"] == number and claimed["status"] == "in_review"
    assert run(["--db", hall.url, "--user", reviewer, "case", "opinion", number, "--text", "符合条件，拟准予"]) == 0
    assert run(["--db", hall.url, "--user", chief, "seal", "authorise", number]) == 0
    capsys.readouterr()
    decided = cli("--user", reviewer, "case", "decide", number, "--approve", "--seal", "--reason", "材料齐全，符合法定条件",
                  "--json")
    assert decided["status"] == "approved"
    assert [u["case_no"] for u in cli("--user", chief, "seal", "log", "--dept", dept, "--json")] == [number]

    # 统一窗口出件: counter 3 waits for the 容缺 material, then hands over to a collector with a 委托书.
    waiting = cli("--user", "clerk3", "output", "list", "--json")
    assert [c["case_no"] for c in waiting] == [number]
    found = cli("--user", "clerk3", "case", "pickup", number, "--slip", case["slip"], "--json")
    assert found["ready"] is False and [m["material"] for m in found["outstanding"]] == [tolerable]
    cli("--user", "clerk3", "case", "supplement", number, "--material", tolerable, "--json")
    proxy = write("collector.json", {"name": "李娜", "id_number": make_id_number("360112", date(1990, 3, 8), 77),
                                     "proxy": True, "proxy_note": "委托书原件留存"})
    issued = cli("--user", "clerk3", "case", "issue", number, "--slip", case["slip"], "--collector-json", proxy,
                 "--json")
    assert issued["status"] == "issued" and issued["handover"]["by_proxy"] is True

    # 好差评 and 整改: a 差评 at the output window; the chief representative calls back and fixes.
    rated = cli("--user", "clerk3", "case", "rate", number, "--level", "2", "--reason", "efficiency", "--json")
    assert rated["occasion"] == "issue" and rated["rectification_due"]
    [rect] = cli("--user", "supervisor", "rectification", "list", "--json")
    assert rect["case_no"] == number and rect["dept"] == dept
    cli("--user", chief, "rectification", "callback", rect["id"], "--note", "电话回访，已说明审批进度", "--json")
    closed = cli("--user", chief, "rectification", "close", rect["id"], "--fix", "审批环节限时提醒已启用", "--json")
    assert closed["status"] == "closed"

    shown = cli("--user", "supervisor", "case", "show", number, "--json")
    assert "pickup_code" not in shown and "slip" not in shown  # only the counters that hand them out see them
    history = [e["action"] for e in shown["history"]]
    assert history[0] == "intake.accept" and "decide.approve" in history and history[-1] == "issue.window"
    assert run(["--db", hall.url, "audit", "verify"]) == 0
