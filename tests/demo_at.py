"""Run ``enishi`` with its wall clock starting at a given moment (time-machine), for the demo tests.

    python -m tests.demo_at 2026-12-07T03:00:00+09:00 demo --port 8000

Only the wall clock moves (it ticks on from there); timers keep real time, so the demo behaves as it would at
that hour.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine


def main() -> None:
    at = datetime.fromisoformat(sys.argv[1])
    with time_machine.travel(at, tick=True):
        from enishi.cli import main as enishi

        sys.argv = ["enishi", *sys.argv[2:]]
        enishi()


if __name__ == "__main__":
    main()
