"""Run the hub's command line with its clock moved by HUBBUB_TEST_CLOCK_OFFSET seconds (it ticks
on from there): `python -m tests.clocked serve ...`. Every process of one test gets the same
offset, so the hub, its command line and the test agree on "now"."""

from __future__ import annotations

import os
import sys
import time

import time_machine

from hubbub.cli import main
from tests.clock import CLOCK_ENV

if __name__ == "__main__":
    offset = float(os.environ[CLOCK_ENV])
    with time_machine.travel(time.time() + offset, tick=True):
        sys.exit(main())
