"""The demo's 园区企业名录: 200 made-up enterprises across industries and scales, with certifications and three
years of figures, the same on every run (seeded), written in a few bulk inserts.

The scale each carries is computed from its latest year by the national criteria, so the registry agrees with
``app.enterprise_scale``; the tiers are left to a 综合评价.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.enterprise_scale import classify
from app.validators import make_uscc
from db.models import Department, Enterprise, EnterpriseCertification, EnterpriseYear, new_id

SEED = 20261208
TOTAL = 200  # with the demo's three named enterprises
YEARS = (2023, 2024, 2025)

# (GB/T 4754-2017 code, the words in the name, employees' typical size, revenue per employee in 万元)
INDUSTRIES: tuple[tuple[str, str, int, int], ...] = (
    ("C3831", "电线电缆", 120, 90), ("C3670", "汽车零部件", 200, 80), ("C3985", "电子元件", 150, 60),
    ("C1495", "食品", 80, 50), ("C2710", "医药", 180, 100), ("C3340", "金属制品", 60, 70),
    ("C3511", "矿山机械", 90, 75), ("E4710", "建筑工程", 120, 120), ("F5137", "电子产品贸易", 12, 400),
    ("F5212", "超市", 40, 30), ("G5430", "物流运输", 90, 40), ("G5920", "仓储", 40, 25),
    ("H6210", "餐饮管理", 35, 15), ("I6510", "软件", 60, 35), ("I6450", "网络科技", 30, 40),
    ("K7020", "物业服务", 150, 8), ("L7212", "企业管理咨询", 15, 30), ("M7320", "检测技术", 45, 25),
)
PLACES = ("新建", "长堎", "望城", "赣江", "昌北", "璜溪", "溪霞", "象山", "乐化", "石岗", "西山", "联圩")
STYLES = ("", "科技", "智能", "实业", "新材料")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀英", "志强", "海燕", "伟", "芳", "军", "丽娟", "晓明", "桂兰", "国华", "文斌")
ROADS = ("兴业大道", "璜溪大道", "长堎大道", "港口大道", "望城大道", "工业大道")
LIAISONS = ("FGW", "SCJ", "RSJ", "ZJJ", "YSB")  # the 挂点 departments the demo spreads them over


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def load_registry(s: Session, named: list[Enterprise]) -> int:
    """Add the demo registry unless some enterprise already has figures; returns the enterprises added."""
    if s.execute(select(EnterpriseYear.year).limit(1)).first() is not None:
        return 0
    rng = random.Random(SEED)
    depts = {c: i for c, i in s.execute(select(Department.code, Department.id))}
    liaisons: list[uuid.UUID | None] = [depts[c] for c in LIAISONS if c in depts] or [None]
    ents: list[dict[str, Any]] = []
    years: list[dict[str, Any]] = []
    certs: list[dict[str, Any]] = []
    names = {e.name for e in named}
    for i in range(TOTAL):
        code, words, size, per_head = INDUSTRIES[i % len(INDUSTRIES)]
        # Sizes spread over three orders of magnitude: most are small, a few large (as in a 园区).
        employees = max(3, int(size * rng.lognormvariate(0, 1.1)))
        revenue = employees * per_head * rng.uniform(0.5, 1.6)
        assets = revenue * rng.uniform(0.6, 2.0)
        rows: list[dict[str, Any]] = []
        for k, year in enumerate(YEARS):
            growth = rng.uniform(0.85, 1.25) ** (k - 2)
            rev = revenue * growth
            rows.append({"year": year, "employees": max(1, int(employees * (growth ** 0.5))),
                         "revenue": _money(rev), "assets": _money(assets * growth),
                         "output_value": _money(rev * rng.uniform(1.0, 1.15)) if code[0] in "BCD" else None,
                         "tax": _money(rev * rng.uniform(0.02, 0.07)),
                         "rd_spend": _money(rev * rng.uniform(0.0, 0.08))})
        latest = rows[-1]
        scale = classify(code, employees=latest["employees"], revenue=latest["revenue"], assets=latest["assets"]).scale
        fields = {"industry_code": code, "scale": scale, "liaison_dept_id": liaisons[i % len(liaisons)],
                  "registered_capital": _money(rng.choice((50, 100, 200, 500, 1000, 3000, 5000)) * 1.0),
                  "founded_on": dt.date(2003 + rng.randrange(20), 1 + rng.randrange(12), 1 + rng.randrange(28))}
        if i < len(named):  # the demo's named enterprises get their registry fields too
            e = named[i]
            for key, value in fields.items():
                setattr(e, key, value)
            ent_id = e.id
        else:
            name = f"南昌{PLACES[i % len(PLACES)]}{words}{STYLES[(i // len(PLACES)) % len(STYLES)]}有限公司"
            if name in names:
                name = name.replace("有限公司", f"{i}号有限公司")
            names.add(name)
            ent_id = new_id()
            ents.append({"id": ent_id, "uscc": make_uscc(10_000 + i), "name": name,
                         "legal_rep": rng.choice(SURNAMES) + rng.choice(GIVEN),
                         "address": f"新建经开区{rng.choice(ROADS)}{rng.randrange(1, 300)}号",
                         "contact_phone": f"139{rng.randrange(10**8):08d}", **fields})
        years += [{"enterprise_id": ent_id, **r} for r in rows]
        rd_share = latest["rd_spend"] / latest["revenue"] if latest["revenue"] else 0
        if rd_share >= Decimal("0.03") and rng.random() < 0.7:
            start = dt.date(2022 + rng.randrange(3), 11, 20)
            certs.append({"id": new_id(), "enterprise_id": ent_id, "kind": "高新技术企业", "level": "",
                          "number": f"GR{start.year}36{i:06d}", "valid_from": start,
                          "valid_to": start.replace(year=start.year + 3) - dt.timedelta(days=1)})
        if scale in ("小型", "微型", "中型") and rng.random() < 0.35:
            certs.append({"id": new_id(), "enterprise_id": ent_id, "kind": "科技型中小企业", "level": "",
                          "number": f"2025360112A{i:07d}", "valid_from": dt.date(2025, 5, 1),
                          "valid_to": dt.date(2025, 12, 31)})
        if scale in ("中型", "小型") and rng.random() < 0.15:
            great = rng.random() < 0.2
            certs.append({"id": new_id(), "enterprise_id": ent_id,
                          "kind": "专精特新“小巨人”企业" if great else "专精特新中小企业",
                          "level": "国家级" if great else "省级", "number": f"ZJTX{2024}{i:04d}",
                          "valid_from": dt.date(2024, 7, 1), "valid_to": dt.date(2027, 6, 30)})
    s.flush()
    if ents:
        s.execute(insert(Enterprise), ents)
    s.execute(insert(EnterpriseYear), years)
    if certs:
        s.execute(insert(EnterpriseCertification), certs)
    return len(ents) + len(named)
