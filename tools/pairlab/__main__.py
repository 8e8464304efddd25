"""The pair lab's command line (`make run` runs `tools/run-pair.sh build/bin`):

    python3 -m pairlab run --bin DIR [--agent PATH] [--takeover] [--prefix P] [--workdir DIR]
                           [--keep-files] [--monitor-interval S] [--monitor-timeout S]
                           [--no-agent] [--timeout S]
    python3 -m pairlab clean [--prefix P | --all]

`run` builds the lab, prints where everything is and stays in the foreground; Ctrl-C (SIGINT),
SIGTERM or SIGHUP stops every process and removes the namespaces, links and files. If the lab's
process is killed, its reaper (pairlab/reaper.py) removes them; `clean` removes what is left
anyway (so does the next `run` with the same prefix)."""

import argparse
import datetime
import signal
import sys
import threading

from .guide import instructions
from .lab import Lab, LabError, clean_locked, leftover_prefixes
from .process import ProcessError


def say(text):
    now = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[pairlab {now}] {text}", flush=True)


class Stop(Exception):
    pass


def run(args):
    stop = threading.Event()

    def on_signal(signum, frame):
        for other in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(other, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        if not lab.started:
            raise Stop(signal.Signals(signum).name)  # interrupts start(), which cleans up
        stop.set()

    try:
        lab = Lab(args.bin, agent=args.agent, takeover=args.takeover, prefix=args.prefix,
                  workdir=args.workdir, keep_files=args.keep_files,
                  monitor_interval=args.monitor_interval, monitor_timeout=args.monitor_timeout,
                  static_roles=args.no_agent, say=say)
    except LabError as e:
        say(f"failed: {e}")
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    say(f"starting the pair lab {args.prefix!r} ({'takeover' if args.takeover else 'BIG-IP'} "
        f"mode), files in {lab.workdir}")
    try:
        lab.start(timeout=args.timeout)
        primary = lab.primary()
        say(f"primary: {primary}")
        print(instructions(lab), flush=True)
        reported = set()
        while not stop.wait(0.5):
            # Say once when a process ends by itself (a crash, a kill -9 from the user).
            procs = [proc for node in lab.nodes.values() for proc in node.processes.values()]
            procs += [lab.bigip.monitor] if lab.bigip else []
            for proc in procs:
                key = (proc.name, proc.starts)
                if proc.starts and not proc.alive() and key not in reported:
                    reported.add(key)
                    say(f"{proc.name} exited {proc.returncode} (log {proc.log_path})")
    except Stop as e:
        say(f"{e}: stopping")
    except (LabError, ProcessError, ValueError, OSError) as e:
        say(f"failed: {e}")
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        if lab.started:
            say("stopping every process, removing namespaces, links and files")
            problems = lab.stop()
            for problem in problems:
                say(f"problem: {problem}")
            left = problems or args.keep_files
            say("stopped" + ("" if left else "; nothing left"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m pairlab",
                                     description="The sipha pair on one machine.")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="build the lab and stay in the foreground until Ctrl-C")
    r.add_argument("--bin", required=True, help="the build's bin directory (sipd, sipha-netcfg)")
    r.add_argument("--agent", help="sipha-agent (default: BIN/sipha-agent when it exists)")
    r.add_argument("--takeover", action="store_true",
                   help="no BIG-IP: a LAN and a floating VIP moved by sipha-netcfg")
    r.add_argument("--prefix", default="sipha", help="namespace name prefix (default sipha)")
    r.add_argument("--workdir", help="files (default /run/pairlab/PREFIX)")
    r.add_argument("--keep-files", action="store_true", help="leave the files after the stop")
    r.add_argument("--monitor-interval", type=float, default=1.0)
    r.add_argument("--monitor-timeout", type=float, default=4.0)
    r.add_argument("--no-agent", action="store_true",
                   help="run no sipha-agent: the lab makes a primary and b backup")
    r.add_argument("--timeout", type=float, default=60, help="for the start (s)")
    c = sub.add_parser("clean", help="remove what a killed run left")
    c.add_argument("--prefix", default="sipha")
    c.add_argument("--all", action="store_true",
                   help="every prefix with a record in /run/pairlab whose lab is not running")
    args = parser.parse_args(argv)
    if args.command == "clean":
        removed, failed = [], 0
        for prefix in leftover_prefixes() if args.all else [args.prefix]:
            try:
                removed += clean_locked(prefix, say)
            except LabError as e:
                say(str(e))
                failed += not args.all  # --all skips the running ones
        if not removed:
            say("nothing to remove")
        return 1 if failed else 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
