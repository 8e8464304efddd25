"""The lab's reaper: `python3 -m pairlab.reaper --prefix P --parent PID --parent-start TICKS`.

Started by Lab.start() in a session of its own, it waits for the lab's process to end. A lab that
stopped normally ends the reaper first; if the lab's process is gone without that (kill -9, a
CTest timeout, a crash), the reaper removes what the lab left (pairlab.lab.clean under the
prefix's lock, which the dead process no longer holds): processes, namespaces, files."""

import argparse
import signal
import sys
import time

from . import netns
from .lab import LabError, clean_locked


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m pairlab.reaper")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--parent-start", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while netns.start_time(args.parent) == args.parent_start:
        time.sleep(0.5)
    # The lab's process is gone; its lock went with it (or a new lab already holds it: then
    # that lab cleaned up at its start and nothing is ours any more).
    for _ in range(20):
        try:
            clean_locked(args.prefix)
            return 0
        except LabError:
            time.sleep(0.5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
