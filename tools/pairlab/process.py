"""One process of the lab: started by argv in a namespace, known by its pid, its output in a log
file, its sd_notify messages read all the time from a datagram socket of its own (as systemd
does: an unread socket fills up and blocks the service in sd_notify)."""

import os
import select
import signal
import socket
import subprocess
import threading
import time


class ProcessError(RuntimeError):
    pass


class Process:
    """argv is run as `prefix + argv` (prefix must exec it: `ip netns exec NAME`, so the Popen's
    pid is the program's). Each start() appends to the same log file, marked with a line."""

    def __init__(self, name, argv, *, prefix=(), env=None, log_path, notify_path=None,
                 cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.prefix = [str(a) for a in prefix]
        self.env = dict(env or {})
        self.log_path = log_path
        self.notify_path = notify_path
        self.cwd = cwd
        self.proc = None
        self.starts = 0
        self.paused = False
        self.notify_lines = []
        self._cond = threading.Condition()
        self._sock = None
        self._thread = None
        self._stop_reader = False

    def __repr__(self):
        return f"<{self.name} pid {self.pid}>"

    # ---- state -------------------------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self):
        return self.proc.poll() if self.proc is not None else None

    def log(self, tail=None):
        """The log file's text (the last `tail` characters)."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return text[-tail:] if tail else text

    # ---- sd_notify ---------------------------------------------------------------------------

    def _open_notify(self):
        self._close_notify()
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.notify_path)
        with self._cond:
            self.notify_lines = []
        self._stop_reader = False
        self._thread = threading.Thread(target=self._read_notify, args=(self._sock,),
                                        name=f"notify-{self.name}", daemon=True)
        self._thread.start()

    def _read_notify(self, sock):
        while not self._stop_reader:
            ready, _, _ = select.select([sock], [], [], 0.1)
            if not ready:
                continue
            try:
                data = sock.recv(65536).decode("utf-8", "replace")
            except OSError:
                return
            with self._cond:
                self.notify_lines.extend(line for line in data.split("\n") if line)
                self._cond.notify_all()

    def _close_notify(self):
        if self._sock is not None:
            self._stop_reader = True
            self._thread.join(5)
            self._sock.close()
            self._sock = None

    def wait_notify(self, line, timeout):
        """True once the process sent `line` (e.g. READY=1) since its last start."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while line not in self.notify_lines:
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive():
                    return line in self.notify_lines
                self._cond.wait(min(left, 0.1))
            return True

    @property
    def status(self):
        """The last STATUS= it sent."""
        with self._cond:
            for line in reversed(self.notify_lines):
                if line.startswith("STATUS="):
                    return line[7:]
        return None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self):
        """Starts it (not waiting for anything); a running one is an error."""
        if self.alive():
            raise ProcessError(f"{self.name} is running (pid {self.pid})")
        env = dict(os.environ)
        for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
                    "LISTEN_PID", "INVOCATION_ID"):
            env.pop(key, None)
        env.update(self.env)
        if self.notify_path:
            self._open_notify()
            env["NOTIFY_SOCKET"] = self.notify_path
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"==== pairlab: start #{self.starts} at {time.strftime('%H:%M:%S')}: "
                      f"{' '.join(self.prefix + self.argv)}\n".encode())
            log.flush()
            # A session of its own: a Ctrl-C on the lab's terminal reaches the lab only, which
            # then stops everything in order.
            self.proc = subprocess.Popen(self.prefix + self.argv, env=env, cwd=self.cwd,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        self.paused = False
        return self

    def wait_ready(self, timeout, ready=None):
        """Waits until READY=1 (or the callable ready() is true); ProcessError with the log's
        tail when it exits or the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            if ready is None:
                if self.wait_notify("READY=1", min(0.1, max(0.0, deadline - time.monotonic()))):
                    return self
            elif ready():
                return self
            if not self.alive():
                raise ProcessError(f"{self.name} exited {self.returncode} before it was "
                                   f"ready; log {self.log_path}:\n{self.log(3000)}")
            if time.monotonic() >= deadline:
                raise ProcessError(f"{self.name} not ready after {timeout} s; log "
                                   f"{self.log_path}:\n{self.log(3000)}")
            if ready is not None:
                time.sleep(0.02)

    def signal(self, signum):
        if not self.alive():
            raise ProcessError(f"{self.name} is not running")
        os.kill(self.proc.pid, signum)

    def kill(self):
        """SIGKILL (kill -9) and reap; returns the exit code."""
        if self.alive():
            self.signal(signal.SIGKILL)
        return self.wait(10)

    def pause(self):
        """SIGSTOP: the process hangs (no event loop, no heartbeat, no answer)."""
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.signal(signal.SIGCONT)
        self.paused = False

    def wait(self, timeout):
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=10):
        """SIGTERM (after SIGCONT if paused), SIGKILL after timeout; returns the exit code
        (negative: a signal), None if it never ran."""
        if self.proc is None:
            self._close_notify()
            return None
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGCONT)  # a stopped process acts on it only now
            self.paused = False
            if self.wait(timeout) is None:
                self.proc.kill()
                self.wait(10)
        self._close_notify()
        return self.proc.returncode
