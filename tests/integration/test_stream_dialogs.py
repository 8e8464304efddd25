"""Dialogs over TCP and TLS with SIPp (issue 10): a SIPp caller (7001, one connection to sipd)
and a SIPp callee (7002, listening; registered over the same transport from its own port by a
python client whose connection is then reset, so sipd connects to it).

Debian's SIPp (sip-tester 3.6.1) is built without OpenSSL (`-t l1`: "To use a TLS transport you
must compile SIPp with OpenSSL"), so over TLS SIPp runs `-t t1` through a TLS relay of this
file (`TlsRelay`, python ssl): the caller's relay connects to sipd's TLS port, the callee's
relay is the TLS server sipd connects to (self-signed certificate; sipd does not verify
servers without sip-tls-ca). The scenarios name the transport with the `tr` key (TLS), so the
messages are those of a TLS phone; only the relay speaks TCP to SIPp. A caller's relay has no
listening side: sipd can reach that caller only on its connection (like a phone, which
accepts no inbound TLS).

Each dialog must stay on its transport:
- sipd's Contact (in the INVITE to the callee, in the 200 to the caller) names the transport
  and that transport's port (`;transport=tcp|tls`, or `sips:`), so a phone that resolves the
  remote target reaches sipd over the same transport (item 1);
- the top Via of a request sipd sends over TLS names TLS and the TLS port (item 2);
- sipd's requests toward the caller (BYE, re-INVITE, INFO) come on the caller's connection:
  a caller whose Contact port has nothing listening still gets the callee's BYE (item 3).

Scenarios (scenarios/stream_*.xml): call with BYE from the caller, BYE from the callee,
re-INVITE both ways, INFO both ways, BYE from the callee to a caller that accepts no inbound
connection. Every SIPp run is bounded (a request expected toward a peer: 8 s)."""

import select
import socket
import ssl
import struct
import threading

import pytest

from conftest import sipd_only
from harness import certs, net, sip, sipp, softphone
from harness.calls import explain
from harness.peers import trace_of

pytestmark = sipd_only

TRANSPORTS = ["tcp", "tls"]


class TlsRelay:
    """Relays TCP <-> TLS for SIPp: listens on 127.0.0.1:port and for each connection opens one
    to target, pumping bytes both ways in one thread per pair (select; pending TLS bytes
    drained). client: the TLS side is toward target (a caller's relay to sipd's TLS port);
    server (cert, key): the listening side is TLS (a callee's relay, sipd connects to it) and
    target is SIPp's TCP port. stop() closes everything and joins the threads."""

    def __init__(self, port, target, server_cert=None):
        self.port, self.target = port, target
        self.server_ctx = None
        if server_cert:
            self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.server_ctx.load_cert_chain(*server_cert)
        self.client_ctx = sip.insecure_tls_context()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(8)
        self.stopping = False
        self.sockets = []
        self.threads = [threading.Thread(target=self._accept_loop, daemon=True)]
        self.threads[0].start()

    def _accept_loop(self):
        while not self.stopping:
            ready, _, _ = select.select([self.listener], [], [], 0.1)
            if not ready:
                continue
            try:
                inbound, _ = self.listener.accept()
                inbound.settimeout(3)
                if self.server_ctx:
                    inbound = self.server_ctx.wrap_socket(inbound, server_side=True)
                outbound = socket.create_connection(self.target, timeout=3)
                if not self.server_ctx:
                    outbound = self.client_ctx.wrap_socket(outbound)
            except (OSError, ssl.SSLError):
                continue
            self.sockets += [inbound, outbound]
            pump = threading.Thread(target=self._pump, args=(inbound, outbound), daemon=True)
            self.threads.append(pump)
            pump.start()

    def _pump(self, a, b):
        peers = {a: b, b: a}
        for s in peers:
            s.setblocking(False)
        try:
            while not self.stopping:
                ready = [s for s in peers if isinstance(s, ssl.SSLSocket) and s.pending()]
                if not ready:
                    ready, _, _ = select.select(list(peers), [], [], 0.1)
                for s in ready:
                    try:
                        data = s.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    if not data:
                        return
                    peers[s].setblocking(True)
                    peers[s].sendall(data)
                    peers[s].setblocking(False)
        except (OSError, ssl.SSLError):
            return
        finally:
            for s in peers:
                try:
                    s.close()
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(3)
        self.listener.close()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass


@pytest.fixture
def relays():
    made = []
    yield made
    for relay in made:
        relay.stop()


@pytest.fixture
def sipd(make_sipd):
    s = make_sipd(tls=True, extensions=("7001", "7002"))
    softphone.start_sipd(s)
    s.wait_bus_name()
    return s


@pytest.fixture(scope="module")
def relay_cert(tmp_path_factory):
    """The callee relay's TLS certificate and key."""
    return certs.self_signed(str(tmp_path_factory.mktemp("relay-tls")), cn="callee.test")


def server_of(sipd, transport):
    return sipd.tls_address if transport == "tls" else sipd.address


def register_callee(sipd, transport, port):
    """7002 registered with Contact 127.0.0.1:port;transport=<t> over a connection made from
    that same port (as a phone that binds its SIP port for outgoing connections does), then
    reset (SO_LINGER 0: no TIME_WAIT), so the callee SIPp can listen on it. sipd must then
    connect to the callee: the REGISTER's source and its Contact are one address here. (A
    sipd that, once the registration's connection is gone, connects to the REGISTER's source
    port rather than to the Contact would not reach a callee registered from another port.)"""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    raw.bind(("127.0.0.1", port))
    raw.settimeout(3)
    raw.connect(server_of(sipd, transport))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client = sip.StreamClient.__new__(sip.StreamClient)
    client.local = raw.getsockname()
    client.sock = sip.insecure_tls_context().wrap_socket(raw) if transport == "tls" else raw
    client.transport = transport.upper()
    client.buffer = b""
    try:
        resp = sipd.register(client, "7002",
                             contact=f"<sip:7002@127.0.0.1:{port};transport={transport}>",
                             expires=300)
    finally:
        client.sock.close()
    assert resp is not None and resp.code == 200, resp


def run_dialog(sipd, sipp_peers, relays, tmp_path, relay_cert, transport, uac, uas,
               dead_contact=False):
    """The callee SIPp (uas) in the background, the caller SIPp (uac) to its end; both must
    exit 0. Over TLS each talks through a TlsRelay. dead_contact: the caller's Contact names a
    port where nothing listens. Returns (caller's parsed trace, callee's parsed trace)."""
    server = server_of(sipd, transport)
    keys = {"tr": transport.upper(), "server_port": server[1]}
    # The callee: SIPp on uas_port; over TLS sipd connects to the relay on contact_port.
    uas_port = net.free_udp_tcp_port()
    uas_contact = net.free_udp_tcp_port() if transport == "tls" else uas_port
    register_callee(sipd, transport, uas_contact)
    if transport == "tls":
        relays.append(TlsRelay(uas_contact, ("127.0.0.1", uas_port), relay_cert))
    callee = sipp_peers.start(uas, server, port=uas_port, transport="t1", bound=lambda port: net.port_bound(port, kind=socket.SOCK_STREAM),
                              timeout=30, keys={**keys, "contact_port": uas_contact})
    # The caller: SIPp on uac_port, to sipd (TCP) or to its relay (TLS).
    uac_port = net.free_udp_tcp_port()
    to = server
    if transport == "tls":
        relay_port = net.free_tcp_port()
        relays.append(TlsRelay(relay_port, server))
        to = ("127.0.0.1", relay_port)
    contact = net.free_tcp_port() if dead_contact else uac_port
    caller = sipp.run(uac, to, str(tmp_path / "uac"), timeout=30, transport="t1",
                      port=uac_port, keys={**keys, "caller": "7001", "contact_port": contact},
                      extra=("-s", "7002"))
    callee_result = callee.finish(timeout=30)
    assert caller.returncode == 0 and callee_result.returncode == 0, \
        explain(sipd, caller, callee_result)
    return trace_of(caller), callee.messages()


def contact_names_transport(message, sipd, transport):
    """sipd's Contact names the dialog's transport and that transport's port."""
    contact = message.get("contact") or ""
    port = sipd.tls_port if transport == "tls" else sipd.port
    lowered = contact.lower()
    named = f"transport={transport}" in lowered or (transport == "tls"
                                                    and lowered.lstrip("<").startswith("sips:"))
    assert named and f":{port}" in contact, \
        f"sipd's Contact on a {transport.upper()} dialog: {contact!r} (expected the " \
        f"transport and port {port})"


def sipd_messages(trace, kind):
    return [m for m in trace if m.direction == "received"
            and (m.method == kind if isinstance(kind, str) else m.code == kind)]


def check_sipd_headers(sipd, transport, caller_trace, callee_trace):
    invites = sipd_messages(callee_trace, "INVITE")
    assert invites, "the callee got no INVITE"
    via = invites[0].get("via")
    port = sipd.tls_port if transport == "tls" else sipd.port
    assert via.upper().startswith(f"SIP/2.0/{transport.upper()} ") and \
        f":{port};" in via, f"top Via of sipd's INVITE over {transport.upper()}: {via!r}"
    contact_names_transport(invites[0], sipd, transport)
    oks = [m for m in sipd_messages(caller_trace, 200) if m.cseq[1] == "INVITE"]
    assert oks, "the caller got no 200 to its INVITE"
    contact_names_transport(oks[0], sipd, transport)


def no_calls_left(sipd):
    net.wait_for(lambda: sipd.get_property("ActiveCalls") == 0, 5, interval=0.1,
                 what="ActiveCalls 0")


# (caller scenario, callee scenario, a method sipd must have relayed to the caller or None)
DIALOGS = {
    "bye-from-caller": ("stream_uac_call.xml", "stream_uas_call.xml", None),
    "bye-from-callee": ("stream_uac_wait_bye.xml", "stream_uas_bye.xml", None),
    "reinvite-both-ways": ("stream_uac_reinvite.xml", "stream_uas_reinvite.xml", "INVITE"),
    "info-both-ways": ("stream_uac_info.xml", "stream_uas_info.xml", None),
}


@pytest.mark.parametrize("dialog", list(DIALOGS))
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dialog(sipd, sipp_peers, relays, tmp_path, relay_cert, transport, dialog):
    uac, uas, toward_caller = DIALOGS[dialog]
    caller, callee = run_dialog(sipd, sipp_peers, relays, tmp_path, relay_cert, transport,
                                uac, uas)
    no_calls_left(sipd)
    if toward_caller:
        assert sipd_messages(caller, toward_caller), f"no {toward_caller} reached the caller"
    check_sipd_headers(sipd, transport, caller, callee)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_bye_from_callee_to_caller_accepting_no_inbound_connection(sipd, sipp_peers, relays,
                                                                   tmp_path, relay_cert,
                                                                   transport):
    """The caller's Contact (and Via) name a port where nothing listens: the callee's BYE
    reaches the caller only on the connection its INVITE came on."""
    caller, callee = run_dialog(sipd, sipp_peers, relays, tmp_path, relay_cert, transport,
                                "stream_uac_wait_bye.xml", "stream_uas_bye.xml",
                                dead_contact=True)
    assert sipd_messages(caller, "BYE"), "no BYE reached the caller"
    no_calls_left(sipd)
    check_sipd_headers(sipd, transport, caller, callee)
