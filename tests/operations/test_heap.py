"""The web process freezes its start-up heap, so garbage collection during requests skips it."""

import gc
import sys

from operations.heap import freeze_startup_heap


def test_the_start_up_heap_is_frozen_with_the_views_loaded():
    try:
        frozen = freeze_startup_heap()

        # Other threads (the click-spool replayer, a browser test's event loop) may free a few frozen objects
        # between the two counts: the count is what was frozen, give or take those.
        assert frozen > 10_000 and abs(gc.get_freeze_count() - frozen) < 1_000
        assert "content.api.views" in sys.modules  # the URLconf's views were imported first
        # The collector no longer walks what start-up made (here: the module table).
        assert not any(obj is sys.modules for obj in gc.get_objects())
    finally:
        gc.unfreeze()
