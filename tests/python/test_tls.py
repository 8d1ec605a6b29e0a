"""TLS to Spark Connect, proven against a TLS endpoint: a loopback proxy with a test
certificate authority terminates TLS in front of the plain Spark Connect server. With the CA
trusted through SSL_CERT_FILE queries work, and everything that crossed the wire between the
kernel and the proxy was TLS records (so the token never crossed in clear); an unknown CA, a
certificate for another host name and a server that does not speak TLS each get a message
that says which."""

import asyncio
import datetime
import os
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.kernel import execute, start_kernel

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


class Proxies:
    """On one event loop in a thread: a TLS-terminating proxy in front of Spark Connect, and
    in front of that a plain TCP relay that keeps every byte the client sent."""

    def __init__(self, certificates):
        self.wire = bytearray()
        self.loop = asyncio.new_event_loop()
        self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls_context.load_cert_chain(certificates["cert"], certificates["key"])
        self.tls_context.set_alpn_protocols(["h2"])
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(30)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)

        async def start():
            tls = await asyncio.start_server(self._terminate_tls, "127.0.0.1", 0, ssl=self.tls_context)
            self.tls_port = tls.sockets[0].getsockname()[1]
            relay = await asyncio.start_server(self._relay, "127.0.0.1", 0)
            self.relay_port = relay.sockets[0].getsockname()[1]

        self.loop.run_until_complete(start())
        ready.set()
        self.loop.run_forever()

    @staticmethod
    async def _pipe(reader, writer, keep=None):
        try:
            while data := await reader.read(65536):
                if keep is not None:
                    keep.extend(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _terminate_tls(self, client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", SPARK_PORT)
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))

    async def _relay(self, client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.tls_port)
        await asyncio.gather(
            self._pipe(client_reader, server_writer, self.wire), self._pipe(server_reader, client_writer)
        )


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    proxies = Proxies(certificates)
    yield certificates, proxies
    proxies.loop.call_soon_threadsafe(proxies.loop.stop)


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
