"""A qemu virtual machine booting the firmware image, for tests/image/ (docs/image.md).

UEFI (OVMF) under TCG (no KVM assumed), one vCPU, user networking with SIP UDP forwarded to a free
port on 127.0.0.1, the console on ttyS0 logged to a file and the guest's test console
(sipha-test-console.service) on ttyS1 through a Unix socket. A VM is always killed at the end
(context manager). Standard library only.
"""

import os
import select
import shutil
import socket
import subprocess
import time
import uuid

OVMF_DIR = "/usr/share/OVMF"
OVMF_KEYS_DIR = "/usr/share/ovmf"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Vm:
    """One qemu process. `disk` is used in place unless snapshot is true."""

    def __init__(self, disk, workdir, name="vm", snapshot=True, secure_boot=False,
                 extra_disk=None, memory_mib=1024):
        self.disk = disk
        self.workdir = workdir
        self.name = name
        self.snapshot = snapshot
        self.secure_boot = secure_boot
        self.extra_disk = extra_disk
        self.memory_mib = memory_mib
        self.console_log = os.path.join(workdir, f"{name}-console.log")
        self.report_log = os.path.join(workdir, f"{name}-ttyS1.log")
        self.socket_path = os.path.join(workdir, f"{name}-ttyS1.sock")
        self.sip_port = free_udp_port()
        self.process = None
        self.channel = None
        self.buffer = b""
        self.lines = []
        self.started_at = None

    def command(self):
        accel = os.environ.get("SIPHA_QEMU_ACCEL", "tcg")
        vars_copy = os.path.join(self.workdir, f"{self.name}-vars.fd")
        if self.secure_boot:
            code = os.path.join(OVMF_DIR, "OVMF_CODE_4M.secboot.fd")
            shutil.copyfile(os.path.join(OVMF_DIR, "OVMF_VARS_4M.snakeoil.fd"), vars_copy)
            machine = ["-machine", "q35,smm=on", "-global",
                       "driver=cfi.pflash01,property=secure,value=on"]
        else:
            code = os.path.join(OVMF_DIR, "OVMF_CODE_4M.fd")
            shutil.copyfile(os.path.join(OVMF_DIR, "OVMF_VARS_4M.fd"), vars_copy)
            machine = ["-machine", "q35"]
        snapshot = ",snapshot=on" if self.snapshot else ""
        command = ["nice", "-n", "10", "qemu-system-x86_64", "-accel", accel, *machine,
                   "-smp", "1", "-m", str(self.memory_mib), "-display", "none", "-no-reboot",
                   "-uuid", str(uuid.uuid4()),
                   "-drive", f"if=pflash,format=raw,readonly=on,file={code}",
                   "-drive", f"if=pflash,format=raw,file={vars_copy}",
                   "-drive", f"file={self.disk},format=raw,if=virtio{snapshot}",
                   "-netdev", f"user,id=n0,hostfwd=udp:127.0.0.1:{self.sip_port}-:5060",
                   "-device", "virtio-net-pci,netdev=n0",
                   "-smbios", "type=11,value=sipha-test-console",
                   "-serial", f"file:{self.console_log}",
                   "-chardev", f"socket,id=s1,path={self.socket_path},server=on,wait=off,"
                               f"logfile={self.report_log}",
                   "-serial", "chardev:s1"]
        if self.extra_disk:
            command += ["-drive", f"file={self.extra_disk},format=raw,if=virtio,readonly=on"]
        return command

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()

    def start(self):
        for path in (self.socket_path, self.console_log, self.report_log):
            if os.path.exists(path):
                os.unlink(path)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=open(os.path.join(self.workdir,
                                                                 f"{self.name}-qemu.out"), "w"),
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while self.channel is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"qemu exited at once ({self.process.returncode}), see "
                                   f"{self.workdir}/{self.name}-qemu.out")
            try:
                channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                channel.connect(self.socket_path)
                self.channel = channel
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def elapsed(self):
        return time.monotonic() - self.started_at

    def kill(self):
        if self.channel:
            self.channel.close()
            self.channel = None
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def running(self):
        return self.process.poll() is None

    def wait_exit(self, timeout):
        """True when qemu exits (guest power-off, or reboot with -no-reboot) within timeout."""
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def read_line(self, deadline):
        """The next line from ttyS1, or None at the deadline or when qemu is gone."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.channel is None:
                return None
            ready, _, _ = select.select([self.channel], [], [], min(remaining, 1.0))
            if ready:
                data = self.channel.recv(4096)
                if not data:
                    self.channel.close()
                    self.channel = None
                    return None
                self.buffer += data
            elif not self.running():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        text = line.decode("utf-8", "replace").strip("\r")
        self.lines.append(text)
        return text

    def read_report(self, timeout):
        """The guest's next BEGIN..END report as (dict of first words -> rest, raw lines)."""
        deadline = time.monotonic() + timeout
        report, raw, inside = {}, [], False
        while True:
            line = self.read_line(deadline)
            if line is None:
                return None, raw
            if line == "BEGIN":
                report, raw, inside = {}, [], True
                continue
            if not inside:
                continue
            if line == "END":
                return report, raw
            raw.append(line)
            key, _, value = line.partition(" ")
            if key == "unit":
                unit, _, state = value.partition(" ")
                report.setdefault("units", {})[unit] = state
            else:
                report.setdefault(key, value)

    def send(self, command):
        self.channel.sendall(command.encode() + b"\n")

    def ask(self, command, timeout=120):
        """Sends a console command; the output lines up to its 'ok ...' or 'error ...' line."""
        self.send(command)
        deadline = time.monotonic() + timeout
        output = []
        while True:
            line = self.read_line(deadline)
            if line is None:
                raise TimeoutError(f"no answer to {command!r}")
            if line.startswith("ok ") or line.startswith("error "):
                return line, output
            output.append(line)

    def console_text(self):
        try:
            with open(self.console_log, "rb") as log:
                return log.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


def sip_request(port, method, uri, extra_headers=(), timeout=5.0, attempts=1):
    """Sends one SIP request over UDP to 127.0.0.1:port; the status line of the answer or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.settimeout(timeout)
        local_port = client.getsockname()[1]
        for attempt in range(attempts):
            branch = f"z9hG4bK-image-{uuid.uuid4().hex[:12]}"
            overridden = {header.split(":", 1)[0].lower() for header in extra_headers}
            headers = [f"{method} {uri} SIP/2.0",
                       f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch={branch};rport",
                       "Max-Forwards: 70",
                       f"From: <sip:image-test@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
                       *([] if "to" in overridden else [f"To: <{uri}>"]),
                       f"Call-ID: {uuid.uuid4().hex}@image-test",
                       f"CSeq: 1 {method}",
                       *extra_headers,
                       "Content-Length: 0", "", ""]
            client.sendto("\r\n".join(headers).encode(), ("127.0.0.1", port))
            try:
                while True:
                    data, _ = client.recvfrom(65535)
                    status = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
                    if not status.startswith("SIP/2.0 1"):
                        return status
            except socket.timeout:
                continue
    return None
