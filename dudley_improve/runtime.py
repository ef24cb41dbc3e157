"""How a serving process runs Python's garbage collector (wsgi.py calls ``tune_gc``).

A cold board page builds tens of thousands of short-lived objects (model
rows, dates, decimals, rows of the board); the collector's default (a young
collection every 700 allocations) spends about a quarter of a large page's
time walking them, and every object loaded at start-up with them. A higher
threshold collects less often, and ``gc.freeze`` moves what start-up loaded
(Django, the apps, the templates' code) out of every later collection.
Reference cycles are still collected; memory grows by at most a few MB.
"""

import gc

YOUNG_THRESHOLD = 50_000


def tune_gc() -> None:
    """Collect less often, and never walk the objects loaded so far again."""
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
