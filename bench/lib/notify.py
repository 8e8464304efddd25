"""A NOTIFY_SOCKET of our own: receives sd_notify() datagrams (sd_notify(3)) from a child.

Used to time sipd from exec to READY=1 without systemd. A thread reads the socket for as long
as it is open, as systemd does: sd_notify() sends on a blocking socket, so a receiver that
stops reading (the kernel queues 10 datagrams, net.unix.max_dgram_qlen) would block the
sender. sipd sends a STATUS= about every second while bindings change; a bench that read only
while waiting for READY=1 froze sipd's event loop in sendmsg (`unix_wait_for_peer`) about 10 s
into a REGISTER run.
"""

import os
import select
import socket
import threading
import time


class NotifySocket:
    def __init__(self, path):
        self.path_ = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock_ = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock_.bind(path)
        self.lines_ = []  # (monotonic arrival time, line), every line received, in order
        self.cursor_ = 0  # the next line waitFor/waitForPrefix look at
        self.changed_ = threading.Condition()
        self.closed_ = False
        self.reader_ = threading.Thread(target=self.read_, name="notify-reader", daemon=True)
        self.reader_.start()

    @property
    def path(self):
        return self.path_

    def env(self):
        return {"NOTIFY_SOCKET": self.path_}

    def read_(self):
        while not self.closed_:
            try:
                ready, _, _ = select.select([self.sock_], [], [], 0.1)
                data = self.sock_.recv(65536) if ready else None
            except (OSError, ValueError):
                return
            if data is None:
                continue
            arrived = time.monotonic()
            with self.changed_:
                self.lines_.extend((arrived, line)
                                   for line in data.decode("utf-8", "replace").split("\n"))
                self.changed_.notify_all()

    def waitFor(self, assignment, deadline, alive=lambda: True):
        """Waits until a datagram holds the line `assignment` (e.g. "READY=1").

        Returns the monotonic time it arrived, or None at `deadline` or when alive() says the
        sender is gone.
        """
        found = self.waitForPrefix(assignment, deadline, alive, whole=True)
        return found[0] if found else None

    def waitForPrefix(self, prefix, deadline, alive=lambda: True, whole=False):
        """Waits for a line starting with `prefix` (the whole line when `whole`) after the
        ones already looked at; returns (monotonic arrival time, the line) or None."""
        with self.changed_:
            while True:
                while self.cursor_ < len(self.lines_):
                    arrived, line = self.lines_[self.cursor_]
                    self.cursor_ += 1
                    if line == prefix or (not whole and line.startswith(prefix)):
                        return arrived, line
                now = time.monotonic()
                if now >= deadline:
                    return None
                if not self.changed_.wait(min(0.05, deadline - now)) and not alive():
                    return None

    def drain(self):
        """Skips the lines received so far (e.g. the STATUS= sent at start-up)."""
        with self.changed_:
            self.cursor_ = len(self.lines_)

    def messages(self):
        with self.changed_:
            return [line for _, line in self.lines_]

    def close(self):
        self.closed_ = True
        self.reader_.join(2.0)
        self.sock_.close()
        try:
            os.unlink(self.path_)
        except FileNotFoundError:
            pass
