#!/usr/bin/env python3
"""Boot tests of the firmware image under qemu (docs/image.md, issue 5).

  image_test.py boot IMAGE         every sipha unit active, OPTIONS answered, no failed unit
  image_test.py persistence IMAGE  reboot of the same disk keeps a registration and a config change
  image_test.py tamper IMAGE       a flipped byte in the root partition: the boot refuses it
  image_test.py secureboot IMAGE   signed with the OVMF test keys boots with Secure Boot, unsigned not
  image_test.py lynis IMAGE        lynis inside the booted image (hardening index, warnings)

Each check prints 'N passed, N failed' and exits non-zero on a failure. Timeouts are generous
(TCG boots take 40-90 s) and bounded; every VM is killed at the end.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vm import OVMF_KEYS_DIR, Vm, sip_request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
BOOT_TIMEOUT = int(os.environ.get("SIPHA_BOOT_TIMEOUT", "600"))
REFUSE_TIMEOUT = int(os.environ.get("SIPHA_REFUSE_TIMEOUT", "240"))


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}", flush=True)
        return condition

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def layout():
    """The partition offsets of image/layout.sh, read through bash."""
    script = f". {SOURCE}/image/layout.sh; set | grep -E '^[A-Z_]+(MIB|UUID[A-Z_]*)='"
    values = {}
    for line in subprocess.run(["bash", "-c", script], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def sipha_units():
    """The sipha service units the image ships: image/services.list entries with a unit file."""
    units = []
    with open(os.path.join(SOURCE, "image", "services.list")) as services:
        for line in services:
            fields = line.split()
            if len(fields) == 2 and not fields[0].startswith("#"):
                units.append(fields[1])
    return units


def sparse_copy(source, target):
    subprocess.run(["cp", "--sparse=always", source, target], check=True)


def expect_boot(checks, vm, label):
    """Waits for the guest's first report and checks the unit states."""
    report, raw = vm.read_report(BOOT_TIMEOUT)
    if not checks.check(f"{label}: test console reports within {BOOT_TIMEOUT} s", report is not None,
                        f"(console tail: {vm.console_text()[-1500:]!r})"):
        return None
    print(f"  report after {vm.elapsed():.0f} s of qemu", flush=True)
    for line in raw:
        print(f"  | {line}")
    units = report.get("units", {})
    shipped = [unit for unit in units if unit in sipha_units()]
    checks.check(f"{label}: sipd.service is shipped", "sipd.service" in shipped, str(units))
    for unit, state in units.items():
        # The image's configuration is standalone: sipha-agent has nothing to decide and its
        # ExecCondition (siphactl pair-mode) skips it.
        expected = "skipped" if unit == "sipha-agent.service" else "active"
        checks.check(f"{label}: {unit} {expected}", state == expected, state)
    checks.check(f"{label}: no failed unit", report.get("failed", "") == "",
                 report.get("failed"))
    checks.check(f"{label}: system running", report.get("system") == "running",
                 report.get("system"))
    checks.check(f"{label}: journal has no failed unit", report.get("journal-failed") == "0",
                 report.get("journal-failed"))
    checks.check(f"{label}: root is the verity device, erofs, read-only",
                 report.get("root", "").startswith("/dev/mapper/root,erofs,")
                 and ",ro," in report.get("root", "") + ",", report.get("root"))
    checks.check(f"{label}: /var is the data partition (ext4)",
                 report.get("var", "").endswith(",ext4"), report.get("var"))
    ready_us = int(report.get("sipd-ready-us") or 0)
    if ready_us:
        print(f"  sipd READY {ready_us / 1e6:.1f} s after kernel start (guest monotonic clock)")
    return report


def expect_options(checks, vm, label):
    deadline = time.monotonic() + 120
    status = None
    while status is None and time.monotonic() < deadline:
        status = sip_request(vm.sip_port, "OPTIONS", "sip:sipha@127.0.0.1", timeout=3)
    checks.check(f"{label}: OPTIONS through the forwarded port answered 200",
                 status is not None and status.startswith("SIP/2.0 200"), str(status))
    print(f"  OPTIONS answered {vm.elapsed():.0f} s after qemu start", flush=True)


def power_off(checks, vm, label):
    try:
        vm.ask("poweroff", timeout=60)
    except TimeoutError:
        pass
    checks.check(f"{label}: guest powers off", vm.wait_exit(180))


def test_boot(image, workdir):
    checks = Checks()
    with Vm(image, workdir, name="boot") as vm:
        report = expect_boot(checks, vm, "boot")
        if report is not None:
            expect_options(checks, vm, "boot")
            checks.check("boot: sipd on the system bus, primary (standalone)",
                         report.get("sipd-role") == "primary", report.get("sipd-role"))
            checks.check("boot: nftables base ruleset loaded",
                         "sipha_base" in report.get("nft", ""), report.get("nft"))
            if "sipha-netcfg.service" in report.get("units", {}):
                # The first-boot configuration has no [network] section: netcfg serves
                # unconfigured, stays up and leaves the base ruleset alone.
                checks.check("boot: sipha-netcfg on the system bus, unconfigured",
                             report.get("netcfg-mode") == "unconfigured",
                             report.get("netcfg-mode"))
                checks.check("boot: sipha-netcfg never restarted",
                             report.get("netcfg-restarts") == "0", report.get("netcfg-restarts"))
                checks.check("boot: no netcfg firewall table without [network]",
                             report.get("nft", "").count("table") == 1, report.get("nft"))
            checks.check("boot: node identity and TLS certificate generated",
                         len(report.get("node-id", "")) == 36
                         and "CN=sipha-" in report.get("tls", ""), report.get("tls"))
            power_off(checks, vm, "boot")
    return checks.finish()


def test_persistence(image, workdir):
    checks = Checks()
    disk = os.path.join(workdir, "persistence.img")
    sparse_copy(image, disk)
    with Vm(disk, workdir, name="first", snapshot=False) as vm:
        first = expect_boot(checks, vm, "first boot")
        if first is None:
            return checks.finish()
        answer, _ = vm.ask("add-extension 7001")
        checks.check("first boot: configuration change (Extension 7001) applied",
                     answer == "ok add-extension 7001", answer)
        status = sip_request(vm.sip_port, "REGISTER", "sip:127.0.0.1",
                             ["Contact: <sip:7001@192.0.2.10:5060>", "Expires: 3600",
                              "To: <sip:7001@127.0.0.1>"], timeout=5, attempts=3)
        checks.check("first boot: REGISTER of 7001 accepted", str(status).startswith("SIP/2.0 200"),
                     str(status))
        vm.send("status")
        after, _ = vm.read_report(60)
        checks.check("first boot: one binding (D-Bus Bindings)", after is not None
                     and after.get("sipd-bindings") == "1", after and after.get("sipd-bindings"))
        power_off(checks, vm, "first boot")
    with Vm(disk, workdir, name="second", snapshot=False) as vm:
        second = expect_boot(checks, vm, "second boot")
        if second is None:
            return checks.finish()
        checks.check("second boot: another boot", second.get("boot-id") != first.get("boot-id"))
        for key in ("machine-id", "node-id", "tls"):
            checks.check(f"second boot: {key} kept", second.get(key) == first.get(key),
                         f"{first.get(key)} -> {second.get(key)}")
        checks.check("second boot: configuration change kept",
                     "7001" in second.get("dns", "").split(","), second.get("dns"))
        checks.check("second boot: registration kept (D-Bus Bindings)",
                     second.get("sipd-bindings") == "1", second.get("sipd-bindings"))
        checks.check("second boot: journal keeps both boots",
                     int(second.get("journal-boots") or 0) >= 2, second.get("journal-boots"))
        power_off(checks, vm, "second boot")
    os.unlink(disk)
    return checks.finish()


def test_tamper(image, workdir):
    checks = Checks()
    disk = os.path.join(workdir, "tampered.img")
    sparse_copy(image, disk)
    offsets = layout()
    # erofs superblock (offset 1024 of the root partition), read first at mount
    position = int(offsets["ROOT_A_START_MIB"]) * 1024 * 1024 + 1024 + 8
    with open(disk, "r+b") as raw:
        raw.seek(position)
        byte = raw.read(1)
        raw.seek(position)
        raw.write(bytes([byte[0] ^ 0x01]))
    with Vm(disk, workdir, name="tamper") as vm:
        report, _ = vm.read_report(REFUSE_TIMEOUT)
        checks.check("tamper: no test console report (root refused)", report is None)
        status = sip_request(vm.sip_port, "OPTIONS", "sip:sipha@127.0.0.1", timeout=2)
        checks.check("tamper: no SIP service", status is None, str(status))
        console = vm.console_text()
        evidence = [word for word in ("verity", "corrupt", "sysroot.mount", "Restarting system")
                    if word in console]
        checks.check("tamper: console shows the verity refusal", "verity" in console.lower()
                     or "corrupt" in console.lower(), console[-1500:])
        print(f"  evidence on the console: {evidence}")
    os.unlink(disk)
    return checks.finish()


def snakeoil_key(workdir):
    key = os.path.join(workdir, "snakeoil.key")
    subprocess.run(["openssl", "rsa", "-in", os.path.join(OVMF_KEYS_DIR, "PkKek-1-snakeoil.key"),
                    "-passin", "pass:snakeoil", "-out", key], check=True, capture_output=True)
    return key, os.path.join(OVMF_KEYS_DIR, "PkKek-1-snakeoil.pem")


def sign_esp(disk, workdir):
    """Signs BOOTX64.EFI and every UKI inside the image's ESP (mtools on the image file)."""
    key, cert = snakeoil_key(workdir)
    esp = f"{disk}@@{int(layout()['ESP_START_MIB']) * 1024 * 1024}"
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    listing = subprocess.run(["mdir", "-b", "-i", esp, "::/EFI/Linux"], check=True,
                             capture_output=True, text=True, env=env).stdout.split()
    targets = ["::/EFI/BOOT/BOOTX64.EFI"] + [entry for entry in listing if entry.endswith(".efi")]
    for target in targets:
        local = os.path.join(workdir, "unsigned.efi")
        subprocess.run(["mcopy", "-o", "-i", esp, target, local], check=True, env=env)
        subprocess.run(["sbsign", "--key", key, "--cert", cert, "--output", local + ".signed",
                        local], check=True, capture_output=True)
        subprocess.run(["mcopy", "-o", "-i", esp, local + ".signed", target], check=True, env=env)
    return targets


def test_secureboot(image, workdir):
    checks = Checks()
    signed = os.path.join(workdir, "signed.img")
    sparse_copy(image, signed)
    signed_files = sign_esp(signed, workdir)
    checks.check("secure boot: bootloader and UKI signed", len(signed_files) >= 2, signed_files)
    with Vm(signed, workdir, name="sb-signed", secure_boot=True) as vm:
        report = expect_boot(checks, vm, "signed, Secure Boot on")
        if report is not None:
            checks.check("signed: firmware reports Secure Boot enabled",
                         report.get("secureboot") == "1", report.get("secureboot"))
            expect_options(checks, vm, "signed")
            power_off(checks, vm, "signed")
    with Vm(image, workdir, name="sb-unsigned", secure_boot=True) as vm:
        # the firmware refuses the disk's boot loader, then tries other boot options (PXE...)
        deadline = time.monotonic() + REFUSE_TIMEOUT
        reported = False
        while (time.monotonic() < deadline and vm.running()
               and "Access Denied" not in vm.console_text()):
            line = vm.read_line(time.monotonic() + 2)
            reported = reported or line == "BEGIN"
        console = vm.console_text()
        checks.check("unsigned: firmware denied the image (Access Denied)",
                     "Access Denied" in console, console[-800:])
        line = vm.read_line(time.monotonic() + 20)
        reported = reported or line == "BEGIN"
        checks.check("unsigned: refused with Secure Boot on (no report)", not reported)
    os.unlink(signed)
    return checks.finish()


def lynis_disk(workdir):
    """A read-only erofs disk holding the host's lynis (Debian package), mounted by the guest."""
    tree = os.path.join(workdir, "lynis")
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree("/usr/share/lynis", tree, symlinks=True)
    shutil.copy("/usr/sbin/lynis", os.path.join(tree, "lynis"))
    shutil.copy("/etc/lynis/default.prf", os.path.join(tree, "default.prf"))
    shutil.copytree("/etc/lynis/plugins", os.path.join(tree, "plugins"), symlinks=True)
    disk = os.path.join(workdir, "lynis.erofs")
    subprocess.run(["mkfs.erofs", "--quiet", "--all-root", disk, tree], check=True)
    size = os.path.getsize(disk)
    os.truncate(disk, (size + 511) // 512 * 512)
    return disk


def test_lynis(image, workdir):
    checks = Checks()
    if not checks.check("lynis installed on the host", os.path.exists("/usr/sbin/lynis")):
        return checks.finish()
    disk = lynis_disk(workdir)
    with Vm(image, workdir, name="lynis", extra_disk=disk) as vm:
        report = expect_boot(checks, vm, "lynis boot")
        if report is not None:
            answer, output = vm.ask("lynis", timeout=1800)
            for line in output:
                print(f"  | {line}")
            index = [line for line in output if line.startswith("lynis hardening_index=")]
            checks.check("lynis ran and gave a hardening index", bool(index), output[-5:])
            power_off(checks, vm, "lynis")
    return checks.finish()


TESTS = {"boot": test_boot, "persistence": test_persistence, "tamper": test_tamper,
         "secureboot": test_secureboot, "lynis": test_lynis}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in TESTS:
        print(__doc__)
        return 2
    image = os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix=f"sipha-image-{sys.argv[1]}-") as workdir:
        result = TESTS[sys.argv[1]](image, workdir)
        if result != 0:
            keep = os.path.join(os.path.dirname(image), f"test-{sys.argv[1]}-logs")
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(workdir, keep, ignore=shutil.ignore_patterns("*.img", "*.erofs",
                                                                         "*.sock", "lynis"))
            print(f"logs kept in {keep}")
        return result


if __name__ == "__main__":
    sys.exit(main())
