"""Intake transaction on PostgreSQL: cases/s and p95, beside the same rows written as raw SQL in the same run.

The raw baseline writes what one accepted case writes — the case (with its item, department, enterprise, counter
and clerk), its materials, its status event, the acceptance notice, two print jobs, the two sequence bumps and the
audit row with its chain head — as plain psycopg INSERT/UPDATE statements in one transaction, with no checks, no
ORM, no reference reads and no documents built.
Targets (issue 4): ≥ 0.5× the raw rate, p95 ≤ 10 ms on a local server.  Run: python bench/bench_intake.py [N]
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime

import psycopg

from app import intake
from app.auth import login
from app.demo import DEMO_PASSWORD
from bench.common import ms, p95, postgres_hall
from tests.intake_support import ENTERPRISE, all_received, item_with_tolerable, request


def raw_intake(conn: psycopg.Connection, ids: dict[str, uuid.UUID], n: int, materials: int) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    case_id = uuid.uuid4()
    with conn.transaction():
        cur = conn.cursor()
        cur.execute("UPDATE counter_sequence SET value = value + 1 WHERE scope = 'bench' AND period = 'x' RETURNING value")
        # Every reference an accepted case carries (item, department, enterprise, counter, clerk): the foreign-key
        # checks and the queue trigger (0004, when a department is set) cost the baseline what they cost us.
        cur.execute(
            "INSERT INTO hd_case (id, case_no, item_id, dept_id, enterprise_id, counter_id, clerk_id, agent_name,"
            " agent_id_number, agent_phone, channel, status, received_at, accepted_at, promised_due, legal_due,"
            " correction_deadline, due_provisional, pickup_code, slip, supplement_due, refusal_reason, refusal_basis,"
            " deemed_accepted, version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'window',"
            "'accepted',%s,%s,%s,%s,%s,false,'123456',%s,NULL,'','',false,1,%s,%s)",
            (case_id, f"RAW-{n:08d}", ids["item"], ids["dept"], ids["enterprise"], ids["counter"], ids["clerk"], "张伟",
             "11010519491231002X", "13807910001", now, now, now.date(), now.date(), now.date(), "x" * 150, now, now))
        for m in range(materials):
            cur.execute(
                "INSERT INTO case_material (id, case_id, code, name, required, state, originals, copies, electronic,"
                " note, assessment, sort_order) VALUES (%s,%s,%s,%s,true,'received',1,0,false,'','',%s)",
                (uuid.uuid4(), case_id, f"M{m:02d}", "申请材料", m))
        cur.execute("INSERT INTO case_event (id, case_id, at, actor, action, from_status, to_status, note)"
                    " VALUES (%s,%s,%s,'clerk1','intake.accept','','accepted','')", (uuid.uuid4(), case_id, now))
        cur.execute("UPDATE counter_sequence SET value = value + 1 WHERE scope = 'bench' AND period = 'y' RETURNING value")
        notice_id = uuid.uuid4()
        payload = json.dumps({"x": "y" * 1500})
        cur.execute("INSERT INTO notice (id, case_id, kind, doc_no, issued_at, issued_by, payload)"
                    " VALUES (%s,%s,'acceptance',%s,%s,'clerk1',%s)", (notice_id, case_id, f"RAW{n}", now, payload))
        for kind, notice in (("receipt", None), ("notice", notice_id)):
            cur.execute(
                "INSERT INTO print_job (id, case_id, counter_id, notice_id, kind, printer_uri, status, reprint, reason,"
                " requested_by, attempts, last_error, next_attempt_at, payload, created_at) VALUES (%s,%s,%s,%s,%s,'',"
                "'pending',false,'','clerk1',0,'',%s,%s,%s)",
                (uuid.uuid4(), case_id, ids["counter"], notice, kind, now, payload, now))
        cur.execute("SELECT seq, hash FROM audit_chain_head WHERE chain = 'user:clerk1' FOR UPDATE")
        seq, _ = cur.fetchone() or (0, "")
        cur.execute("INSERT INTO audit_event (id, chain, seq, at, actor, action, entity, entity_id, payload, prev_hash,"
                    " hash) VALUES (%s,'user:clerk1',%s,%s,'clerk1','case.create','case',%s,'{}',%s,%s)",
                    (uuid.uuid4(), seq + 1, now, str(case_id), "0" * 64, "1" * 64))
        cur.execute("UPDATE audit_chain_head SET seq = %s, hash = %s WHERE chain = 'user:clerk1'", (seq + 1, "1" * 64))


BLOCKS = 10


def main(n: int = 300) -> None:
    with postgres_hall() as hall:
        clerk = login(hall.uow(), "clerk1", DEMO_PASSWORD)
        item = item_with_tolerable(hall)
        req = request(item, materials=all_received(item))
        for _ in range(10):  # warm up caches and the connection pool
            intake.take_application(hall.uow(), clerk, req)
        url = hall.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO counter_sequence (scope, period, value) VALUES ('bench','x',0), ('bench','y',0)")
            conn.commit()
            ids = {}
            for key, sql, arg in (
                ("item", "SELECT id FROM service_item WHERE code = %s", item.code),
                ("dept", "SELECT dept_id FROM service_item WHERE code = %s", item.code),
                ("enterprise", "SELECT id FROM enterprise WHERE uscc = %s", ENTERPRISE.uscc),
                ("counter", "SELECT id FROM counter WHERE number = %s", 1),
                ("clerk", "SELECT id FROM hd_user WHERE username = %s", "clerk1"),
            ):
                found = conn.execute(sql, (arg,)).fetchone()
                assert found is not None, key
                ids[key] = found[0]
            conn.commit()  # each raw intake must be its own transaction, not a savepoint inside this one
            for i in range(10):
                raw_intake(conn, ids, -1 - i, len(item.materials))
            # Interleaved blocks, so that both sides see the same machine (other load, disk flush times).
            ours: list[float] = []
            raw: list[float] = []
            cpu = {"ours": 0.0, "raw": 0.0}
            for block in range(BLOCKS):
                c = time.process_time()
                for _ in range(n // BLOCKS):
                    t = time.perf_counter()
                    intake.take_application(hall.uow(), clerk, req)
                    ours.append(time.perf_counter() - t)
                cpu["ours"] += time.process_time() - c
                c = time.process_time()
                for i in range(n // BLOCKS):
                    t = time.perf_counter()
                    raw_intake(conn, ids, block * n + i, len(item.materials))
                    raw.append(time.perf_counter() - t)
                cpu["raw"] += time.process_time() - c
    ours_rate, raw_rate = len(ours) / sum(ours), len(raw) / sum(raw)
    print(f"intake on PostgreSQL, {len(ours)} cases of {item.code} ({len(item.materials)} materials),"
          f" in {BLOCKS} interleaved blocks")
    print(f"{'':26}{'cases/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'client CPU ms':>15}")
    for name, rate, times, key in (("HallDesk take_application", ours_rate, ours, "ours"),
                                   ("raw SQL, same rows", raw_rate, raw, "raw")):
        print(f"{name:26}{rate:10.1f}{ms(sorted(times)[len(times) // 2]):>10}{ms(p95(times)):>10}"
              f"{ms(cpu[key] / len(times)):>15}")
    print(f"ratio (HallDesk / raw rate): {ours_rate / raw_rate:.2f}   target ≥ 0.5;  p95 target ≤ 10 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
