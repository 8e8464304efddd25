"""SIP over TLS (RFC 3261 section 26.2, RFC 5630): a configured certificate verified by the
client, a self-signed one generated under <data-dir>/tls/ when none is configured."""

import os
import ssl

from harness import certs, sip


def options_over(client, sipd):
    try:
        return client.exchange(sip.request("OPTIONS", sipd.uri(), "TLS", client.local))
    finally:
        client.close()


def test_options_over_tls_with_configured_certificate(make_sipd, tmp_path):
    cert, key = certs.self_signed(tmp_path / "pki")
    sipd = make_sipd(tls=True, tserver={"sip-tls-cert": cert, "sip-tls-key": key}).start()
    sipd.wait_bus_name()
    before = sipd.counter("tls.rx")
    client = sipd.tls(sip.verifying_tls_context(cert), server_hostname="127.0.0.1")
    resp = options_over(client, sipd)
    assert resp is not None and resp.code == 200, resp
    assert resp.get("via").startswith("SIP/2.0/TLS "), resp.get("via")
    assert sipd.counter("tls.rx") > before


def test_self_signed_certificate_generated_and_served(make_sipd):
    sipd = make_sipd(tls=True).start()
    tls_dir = os.path.join(sipd.data_dir, "tls")
    assert os.path.isdir(tls_dir), "no <data-dir>/tls/ after the first start"
    pems = []
    for name in os.listdir(tls_dir):
        with open(os.path.join(tls_dir, name), errors="replace") as f:
            text = f.read()
        if "BEGIN CERTIFICATE" in text:
            pems.append(ssl.PEM_cert_to_DER_cert(text[text.index("-----BEGIN CERTIFICATE"):]))
    assert pems, f"no certificate in {os.listdir(tls_dir)}"
    client = sipd.tls()
    served = client.sock.getpeercert(binary_form=True)
    resp = options_over(client, sipd)
    assert resp is not None and resp.code == 200, resp
    assert served in pems, "the served certificate is not the generated one"
    key_modes = [os.stat(os.path.join(tls_dir, n)).st_mode & 0o077 for n in os.listdir(tls_dir)
                 if "key" in n]
    assert all(mode == 0 for mode in key_modes), "private key readable by group/others"


def test_register_over_tls_keeps_the_connection(make_sipd):
    sipd = make_sipd(tls=True).start()
    c = sipd.tls()
    try:
        contact = f"<sip:7001@127.0.0.1:{c.local[1]};transport=tls>"
        r = sipd.register(c, "7001", contact=contact, expires=300)
        assert r is not None and r.code == 200, r
        assert any(f":{c.local[1]}" in x for x in r.contacts()), r.contacts()
        # Several requests on one connection (framing by Content-Length, section 18.3).
        for i in range(3):
            q = c.exchange(sip.request("OPTIONS", sipd.uri(), "TLS", c.local, cseq=10 + i))
            assert q is not None and q.code == 200, q
    finally:
        c.close()


def test_plain_tcp_to_tls_port_does_not_break_tls(make_sipd):
    sipd = make_sipd(tls=True).start()
    bogus = sip.StreamClient(sipd.tls_address)  # plain TCP on the TLS port
    try:
        bogus.send(sip.request("OPTIONS", sipd.uri(), "TCP", bogus.local))
        assert not bogus.recv(1.0), "a plaintext request on the TLS port got a SIP answer"
    finally:
        bogus.close()
    resp = options_over(sipd.tls(), sipd)
    assert resp is not None and resp.code == 200, resp


def tls_options(sipd, context):
    """OPTIONS over a new TLS connection: the response, or None if the handshake or the
    connection was refused."""
    try:
        client = sipd.tls(context)
    except (ssl.SSLError, OSError):
        return None
    try:
        return client.exchange(sip.request("OPTIONS", sipd.uri(), "TLS", client.local))
    except (ssl.SSLError, OSError):
        return None
    finally:
        client.close()


def test_verify_client_requires_a_certificate_from_the_ca(make_sipd, tmp_path):
    ca, cert, key = certs.ca_signed_client(tmp_path / "pki")
    rogue_cert, rogue_key = certs.self_signed(tmp_path / "rogue", cn="rogue")
    sipd = make_sipd(tls=True, tserver={"sip-tls-verify-client": "true",
                                        "sip-tls-ca": ca}).start()
    anonymous = sip.insecure_tls_context()
    assert tls_options(sipd, anonymous) is None, "served a client without a certificate"
    rogue = sip.insecure_tls_context()
    rogue.load_cert_chain(rogue_cert, rogue_key)
    assert tls_options(sipd, rogue) is None, "served a client whose certificate is not the CA's"
    good = sip.insecure_tls_context()
    good.load_cert_chain(cert, key)
    resp = tls_options(sipd, good)
    assert resp is not None and resp.code == 200, resp
