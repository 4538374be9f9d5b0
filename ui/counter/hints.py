"""What the line above the outcome buttons says while the clerk works: what stands in the way, or what will
happen.  The problems themselves come from the services' rules (``intake.request_problems``); this only words
the first of them, or the outcome the form allows."""

from __future__ import annotations

from app.catalog import Item
from app.lifecycle import Problem
from ui.counter.checklist import MARK_ALL_KEY, MaterialChecklist
from ui.widgets import format_date

GREY, RED, AMBER, GREEN = "#5b6b7f", "#c0392b", "#9a6200", "#1e7d45"


def outcome_hint(*, busy: bool, item: Item | None, fields: list[Problem], accept: list[Problem],
                 checklist: MaterialChecklist) -> tuple[str, str]:
    """(text, colour) for the form as it stands; ``fields`` are the applicant's problems, ``accept`` those in
    the way of 受理."""
    model = checklist.model
    if busy:
        return "正在提交…", GREY
    if item is None:
        return "请先选择办理事项（Ctrl+F）", GREY
    if fields:
        more = f"（共{len(fields)}处）" if len(fields) > 1 else ""
        return f"申请人信息尚未填好{more}：{fields[0].message}", RED
    if accept:
        hint = accept[0].message
        if model.pending():
            hint += f"；确已全部提交的，可按 {MARK_ALL_KEY} 将其余材料全部标为已收"
        return hint, RED
    if model.any_state("tolerated"):
        due = checklist.supplement_due()
        hint, colour = "有容缺材料：将容缺受理，申请人须签署容缺受理承诺书（一式两份）", AMBER
        hint += f"，并于{format_date(due)}前补交" if due else ""
    elif model.any_state("defective"):
        hint, colour = "非必需材料有误：可受理，也可一次性告知补正", AMBER
    else:
        hint, colour = "材料齐全，可以受理" + ("或即办" if item.immediate else ""), GREEN
    optional_pending = [r for r in model.pending() if not r.material.required]
    if optional_pending:
        names = "、".join(f"“{r.material.name}”" for r in optional_pending)
        hint += f"；非必需材料{names}未核验，将记为未提交"
    return hint, colour
