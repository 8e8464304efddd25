"""RFC 3263 end to end with sipd (docs/dns.md): sipd, its SIPp peers and a DNS server
(dns_server.py) run in a network namespace of the test's own whose /etc/resolv.conf
(/etc/netns/<ns>/resolv.conf, bind-mounted by `ip netns exec`) names that server, so sipd's
c-ares reads it as on an appliance and no query reaches the host's resolver. A trunk's contact
is a bare domain: NAPTR -> SRV -> A decide transport, port and address. Namespace, resolv.conf
and every process are removed by finalizers, also when a test fails."""

import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conftest import sipd_only  # noqa: E402
from harness.calls import explain  # noqa: E402

pytestmark = sipd_only

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args, check=True):
    result = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: {result.stderr}{result.stdout}")
    return result


class Namespace:
    def __init__(self, tmp_path):
        self.name = f"dns{os.getpid()}"
        self.etc = f"/etc/netns/{self.name}"
        self.tmp_path = tmp_path
        self.procs = []
        run("ip", "netns", "add", self.name)
        run("ip", "-n", self.name, "link", "set", "lo", "up")
        os.makedirs(self.etc, exist_ok=True)
        with open(os.path.join(self.etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        # sipd starts through this: same PID after the execs, so signals reach it.
        self.wrapper = tmp_path / "sipd-in-ns"
        self.wrapper.write_text(
            f"#!/bin/sh\nexec ip netns exec {self.name} {os.environ['SIPD']} \"$@\"\n")
        self.wrapper.chmod(0o755)

    def popen(self, cmd, **kwargs):
        proc = subprocess.Popen(["ip", "netns", "exec", self.name] + list(map(str, cmd)),
                                stdin=subprocess.DEVNULL, **kwargs)
        self.procs.append(proc)
        return proc

    def dns(self, records):
        zone = self.tmp_path / "zone.json"
        zone.write_text(json.dumps(records))
        self.log = self.tmp_path / "queries.log"
        self.log.write_text("")
        proc = self.popen([sys.executable, os.path.join(HERE, "dns_server.py"), "--zone", zone,
                           "--log", self.log], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"

    def queries(self):
        return self.log.read_text().split("\n")

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        run("ip", "netns", "del", self.name, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)


@pytest.fixture
def ns(tmp_path):
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2 (network namespaces)")
    n = Namespace(tmp_path)
    yield n
    n.close()


def udp_bound_in(ns, port):
    out = run("ip", "netns", "exec", ns.name, "ss", "-Hlun", f"sport = :{port}").stdout
    return f":{port}" in out


def call_through(ns, s, sipp_peers, gw_port, number):
    """A SIPp gateway on gw_port and a SIPp caller of `number`, both in the namespace."""
    in_ns = dict(prefix=("ip", "netns", "exec", ns.name), timeout=30,
                 bound=lambda port: udp_bound_in(ns, port))
    gateway = sipp_peers.start("call_uas.xml", s.address, port=gw_port, **in_ns)
    uac = sipp_peers.start("call_uac.xml", s.address, keys={"caller": "7001"},
                           extra=("-s", number), **in_ns)
    return uac.finish(), gateway.finish()


def test_trunk_domain_resolved_by_naptr_srv_a(ns, make_sipd, sipp_peers):
    gw_port = 5990
    ns.dns([
        {"name": "sipha.test", "type": "NAPTR",
         "data": '10 10 s SIP+D2U "" _sip._udp.sipha.test'},
        {"name": "sipha.test", "type": "NAPTR",
         "data": '20 10 s SIP+D2T "" _sip._tcp.sipha.test'},
        {"name": "_sip._udp.sipha.test", "type": "SRV", "data": f"10 0 {gw_port} gw.sipha.test"},
        {"name": "gw.sipha.test", "type": "A", "data": "127.0.0.1"},
    ])
    s = make_sipd(extensions=("7001", "7002"), dns={"gw1": {
        "type": "Trunk", "contact": "sipha.test", "prefix": "9"}})
    s.binary = str(ns.wrapper)
    s.start()
    uac, gateway = call_through(ns, s, sipp_peers, gw_port, "9301234")
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert "INVITE sip:9301234@sipha.test" in gateway.file_text("_messages.log")
    queries = ns.queries()
    for expected in ("sipha.test NAPTR", "_sip._udp.sipha.test SRV", "gw.sipha.test A"):
        assert expected in queries, queries
    s.wait_bus_name()
    assert s.counter("calls.unresolved") == 0


def test_failover_to_the_next_trunk_when_a_name_does_not_exist(ns, make_sipd, sipp_peers):
    gw_port = 5991
    ns.dns([{"name": "gw.sipha.test", "type": "A", "data": "127.0.0.1"}])
    s = make_sipd(extensions=("7001", "7002"), dns={
        "gw1": {"type": "Trunk", "contact": "missing.sipha.test:5060", "prefix": "9",
                "priority": 1},
        "gw2": {"type": "Trunk", "contact": f"gw.sipha.test:{gw_port}", "prefix": "9",
                "priority": 2}})
    s.binary = str(ns.wrapper)
    s.start()
    uac, gateway = call_through(ns, s, sipp_peers, gw_port, "9123")
    assert uac.returncode == 0 and gateway.returncode == 0, explain(s, uac, gateway)
    assert f"INVITE sip:9123@gw.sipha.test:{gw_port}" in gateway.file_text("_messages.log")
    assert "missing.sipha.test A" in ns.queries()
    s.wait_bus_name()
    assert s.counter("calls.unresolved") >= 1
