"""A throw-away self-signed certificate made with the openssl command line."""

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
