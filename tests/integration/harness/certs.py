"""Throw-away certificates (openssl CLI): tools/pairlab/certs.py, shared with the pair lab."""

from pairlab.certs import ca_signed_client, pair_ca, self_signed, signed_by

__all__ = ["ca_signed_client", "pair_ca", "self_signed", "signed_by"]
