"""queue notify: PostgreSQL tells listeners when a department queue changes

Revision ID: 0004_queue_notify
Revises: 0003
Create Date: 2026-11-27 09:40:00

On PostgreSQL, a change to a case that moves it in or out of a department queue (a new case, status,
holder, department or lease) sends ``NOTIFY halldesk_queue, '<department code>'`` when the transaction
commits; ``app.infra.live.QueueListener`` listens for it.  A 转办 notifies both the old and the new department.
PostgreSQL drops duplicate payloads within one transaction, so a batch of claims costs one message per
department.  Other engines have no LISTEN/NOTIFY: their queue pages poll, and this migration does nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0004_queue_notify"
down_revision = "0003"
branch_labels = None
depends_on = None

CHANNEL = "halldesk_queue"

# One function for both triggers; the WHEN clauses below keep it from running for changes the queue page
# does not show (e.g. a recomputed due date alone), so an unrelated UPDATE costs no function call.
FUNCTION = f"""
CREATE OR REPLACE FUNCTION halldesk_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.dept_id IS NOT NULL THEN
        PERFORM pg_notify('{CHANNEL}', (SELECT code FROM department WHERE id = NEW.dept_id));
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.dept_id IS NOT NULL AND OLD.dept_id IS DISTINCT FROM NEW.dept_id THEN
        PERFORM pg_notify('{CHANNEL}', (SELECT code FROM department WHERE id = OLD.dept_id));
    END IF;
    RETURN NULL;
END
$$
"""

INSERT_TRIGGER = """
CREATE TRIGGER hd_case_queue_notify_insert AFTER INSERT ON hd_case
FOR EACH ROW WHEN (NEW.dept_id IS NOT NULL)
EXECUTE FUNCTION halldesk_queue_notify()
"""

UPDATE_TRIGGER = """
CREATE TRIGGER hd_case_queue_notify_update AFTER UPDATE ON hd_case
FOR EACH ROW WHEN (
    OLD.status IS DISTINCT FROM NEW.status
    OR OLD.holder_id IS DISTINCT FROM NEW.holder_id
    OR OLD.dept_id IS DISTINCT FROM NEW.dept_id
    OR OLD.lease_until IS DISTINCT FROM NEW.lease_until
)
EXECUTE FUNCTION halldesk_queue_notify()
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    op.execute(FUNCTION)
    op.execute(INSERT_TRIGGER)
    op.execute(UPDATE_TRIGGER)


def downgrade() -> None:
    if not _postgresql():
        return
    op.execute("DROP TRIGGER IF EXISTS hd_case_queue_notify_update ON hd_case")
    op.execute("DROP TRIGGER IF EXISTS hd_case_queue_notify_insert ON hd_case")
    op.execute("DROP FUNCTION IF EXISTS halldesk_queue_notify()")
