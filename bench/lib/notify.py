"""A NOTIFY_SOCKET of our own: receives sd_notify() datagrams (sd_notify(3)) from a child.

Used to time sipd from exec to READY=1 without systemd.
"""

import os
import select
import socket
import time


class NotifySocket:
    def __init__(self, path):
        self.path_ = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock_ = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock_.bind(path)
        self.messages_ = []

    @property
    def path(self):
        return self.path_

    def env(self):
        return {"NOTIFY_SOCKET": self.path_}

    def waitFor(self, assignment, deadline, alive=lambda: True):
        """Waits until a datagram holds the line `assignment` (e.g. "READY=1").

        Returns the monotonic time it arrived, or None at `deadline` or when alive() says the
        sender is gone.
        """
        found = self.waitForPrefix(assignment, deadline, alive, whole=True)
        return found[0] if found else None

    def waitForPrefix(self, prefix, deadline, alive=lambda: True, whole=False):
        """Waits for a line starting with `prefix` (the whole line when `whole`); returns
        (monotonic arrival time, the line) or None."""
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            ready, _, _ = select.select([self.sock_], [], [], min(0.05, deadline - now))
            if not ready:
                if not alive():
                    return None
                continue
            data = self.sock_.recv(65536)
            arrived = time.monotonic()
            lines = data.decode("utf-8", "replace").split("\n")
            self.messages_.extend(lines)
            for line in lines:
                if line == prefix or (not whole and line.startswith(prefix)):
                    return arrived, line

    def drain(self):
        """Discards the datagrams already queued (e.g. the STATUS= sent at start-up)."""
        while select.select([self.sock_], [], [], 0)[0]:
            self.messages_.extend(self.sock_.recv(65536).decode("utf-8", "replace").split("\n"))

    def messages(self):
        return list(self.messages_)

    def close(self):
        self.sock_.close()
        try:
            os.unlink(self.path_)
        except FileNotFoundError:
            pass
