from tests.conftest import log_in
from tests.ui.helpers import settle
from tests.ui.test_mainwindow import open_window
from tests.ui.test_no_raw_insides import _busy_hall
def test_x(hall, qtbot):
    _busy_hall(hall)
    window = open_window(hall, log_in(hall, "rev_scj"), qtbot)
    window.resize(1366, 768); settle()
    window.grab().save("/tmp/shot_rev.png")
