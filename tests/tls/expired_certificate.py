# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

"""Writes a self-signed certificate that expired yesterday, and its key.

expired_certificate.py CERTFILE KEYFILE

openssl req cannot date a certificate in the past; Python's cryptography can.
"""

import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
now = datetime.datetime.now(datetime.timezone.utc)
certificate = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=2))
    .not_valid_after(now - datetime.timedelta(days=1))
    .sign(key, hashes.SHA256())
)
with open(sys.argv[1], "wb") as out:
    out.write(certificate.public_bytes(serialization.Encoding.PEM))
with open(sys.argv[2], "wb") as out:
    out.write(key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
