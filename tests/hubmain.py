"""How tests run the hub's command line in a separate process (`python -m tests.hubmain serve
...`): under the same loopback-only guard as the test process, so a hub a test starts cannot
reach past 127.0.0.1 or resolve a name either; and, where HUBBUB_TEST_CLOCK_OFFSET is set, with
its clock moved by that many seconds (ticking on from there). Every process of one test gets the
same offset, so the hub, its command line and the test agree on "now"."""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext
from typing import Any

from tests import loopback
from tests.clock import CLOCK_ENV

if __name__ == "__main__":
    loopback.install()
    from hubbub.cli import main

    offset = os.environ.get(CLOCK_ENV)
    moved: Any = nullcontext()
    if offset is not None:
        import time_machine

        moved = time_machine.travel(time.time() + float(offset), tick=True)
    with moved:
        sys.exit(main())
