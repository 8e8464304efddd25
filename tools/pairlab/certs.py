"""Throw-away certificates made with the openssl command line: self-signed, or signed by a
test CA (EC P-256). Used by the lab (the pair's CA and node certificates of the HA link) and by
the integration tests (tests/integration/harness/certs.py re-exports these)."""

import os
import subprocess


def self_signed(directory, cn="sipd.test", ip="127.0.0.1"):
    """Writes cert.pem and key.pem (EC P-256, SAN IP) into directory; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={cn}", "-addext",
                    f"subjectAltName=IP:{ip},DNS:{cn}"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def signed_by(directory, name, ca, ca_key, cn):
    """A certificate for cn (EC P-256) signed by the CA (ca, ca_key): writes <name>.pem and
    <name>.key into directory; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    key, csr, cert = (os.path.join(directory, f"{name}{ext}") for ext in (".key", ".csr", ".pem"))
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", f"/CN={cn}"], check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", cert, "-days", "2"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def ca_signed_client(directory, cn="phone"):
    """A CA and a client certificate it signed; returns (ca.pem, client.pem, client.key)."""
    ca, ca_key = self_signed(os.path.join(directory, "ca"), cn="test-ca")
    cert, key = signed_by(directory, "client", ca, ca_key, cn)
    return ca, cert, key


def pair_ca(directory, nodes, cn="sipha-pair-ca"):
    """The pair's CA and one certificate per node name (CN sipd-<name>): returns
    (ca.pem, {name: (cert.pem, key.pem)}). The certificates have no extendedKeyUsage, so they
    serve both ends of the HA link's mutually authenticated TLS (docs/configuration.md)."""
    ca, ca_key = self_signed(os.path.join(directory, "ca"), cn=cn)
    os.chmod(ca_key, 0o600)
    return ca, {name: signed_by(directory, f"node-{name}", ca, ca_key, f"sipd-{name}")
                for name in nodes}
