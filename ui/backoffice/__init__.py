"""后台审批: the reviewer's desk — the department queue, the case in hand, decisions and the clocks' dialogs."""
