"""TLS to Spark Connect, proven against a TLS endpoint: a loopback proxy with a test
certificate authority terminates TLS in front of the plain Spark Connect server. With the CA
trusted through SSL_CERT_FILE queries work, and everything that crossed the wire between the
kernel and the proxy was TLS records (so the token never crossed in clear); an unknown CA, a
certificate for another host name and a server that does not speak TLS each get a message
that says which."""

import datetime
import os
import ssl
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.kernel import execute, start_kernel
from support.proxy import FaultProxy

TOKEN = "tls-test-token-5f1e93ab27cd"
SPARK_PORT = int(os.environ["SPARK_REMOTE"].rsplit(":", 1)[1].strip("/"))


def make_certificates(directory):
    """A test CA and a server certificate it signed for `localhost`; returns the paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KBase Spark SQL test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: str(directory / f"{name}.pem") for name in ("ca", "cert", "key")}
    with open(paths["ca"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["key"], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A TLS-terminating proxy with a test certificate in front of Spark Connect, and in front
    of that a plain relay that keeps every byte the client sent."""
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    context.set_alpn_protocols(["h2"])
    terminator = FaultProxy(SPARK_PORT, tls=context)
    relay = FaultProxy(terminator.port, keep_sent=True)
    yield certificates, SimpleNamespace(tls_port=terminator.port, relay_port=relay.port, wire=relay.sent)
    relay.stop()
    terminator.stop()


def run_once(sql, **env):
    km, kc = start_kernel(KBASE_AUTH_TOKEN=None, **env)
    try:
        return execute(kc, sql, timeout=90)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def tls_records(data):
    """The content types of the TLS records that make up `data`, which must be nothing else."""
    types, i = [], 0
    while i < len(data):
        assert i + 5 <= len(data), "the stream ends inside a TLS record header"
        content_type, major, length = data[i], data[i + 1], int.from_bytes(data[i + 3 : i + 5], "big")
        assert content_type in (20, 21, 22, 23) and major == 3, f"not a TLS record at byte {i}"
        types.append(content_type)
        i += 5 + length
    return types


def test_with_the_ca_trusted_queries_run_and_nothing_crosses_in_clear(tls):
    certificates, proxies = tls
    proxies.wire.clear()
    reply, outputs = run_once(
        "SELECT 'over TLS' AS how",
        SPARK_REMOTE=f"sc://localhost:{proxies.relay_port}/;token={TOKEN}",
        SSL_CERT_FILE=certificates["ca"],
    )
    assert reply["status"] == "ok", reply
    assert "over TLS" in outputs[-1]["content"]["data"]["text/plain"]
    records = tls_records(bytes(proxies.wire))
    assert records[0] == 22 and 23 in records  # a handshake, then only encrypted data
    assert TOKEN.encode() not in proxies.wire and b"PRI * HTTP/2.0" not in proxies.wire


def test_an_unknown_certificate_authority_is_named(tls):
    _, proxies = tls
    reply, _ = run_once(
        "SELECT 1", SPARK_REMOTE=f"sc://localhost:{proxies.tls_port}/;use_ssl=true", SSL_CERT_FILE=None
    )
    assert reply["ename"] == "SparkConnectTlsError", reply
    assert "not signed by a certificate authority this kernel trusts" in reply["evalue"]
    assert "SSL_CERT_FILE" in reply["evalue"]


def test_a_certificate_for_another_host_name_is_named(tls):
    certificates, proxies = tls
    reply, _ = run_once(
        "SELECT 1",
        SPARK_REMOTE=f"sc://127.0.0.1:{proxies.tls_port}/;use_ssl=true",
        SSL_CERT_FILE=certificates["ca"],
    )
    assert reply["ename"] == "SparkConnectTlsError", reply
    assert "certificate is for another host name" in reply["evalue"] and "127.0.0.1" in reply["evalue"]


def test_a_server_that_does_not_speak_tls_is_named(tls):
    certificates, _ = tls
    reply, _ = run_once(
        "SELECT 1", SPARK_REMOTE=f"sc://localhost:{SPARK_PORT}/;use_ssl=true", SSL_CERT_FILE=certificates["ca"]
    )
    assert reply["ename"] == "SparkConnectTlsError", reply
    assert "does not speak TLS" in reply["evalue"]
