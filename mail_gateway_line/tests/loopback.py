"""Providers' APIs on loopback, for the messaging-app connectors' tests.

``LoopbackApi``: a small HTTP server on 127.0.0.1 standing in for a provider's API. It
records every request (method, host, path, headers, raw body and the JSON body) and
answers with what ``route`` (one per provider, in a subclass), ``answers`` (an answer a
test sets, e.g. an error) or ``files`` (a download) give. A connector whose API base URL
is a field (LINE) is pointed at ``url``.

``TlsInterceptor``: for connectors that hard-code their provider's HTTPS host (OCA's
Telegram connector: api.telegram.org; WhatsApp: graph.facebook.com). A CONNECT proxy on
127.0.0.1 that terminates TLS for those hosts only, with a certificate signed by a CA
made for the test run, and pipes the decrypted HTTP stream to a ``LoopbackApi``; a
tunnel to any other host is refused (and recorded in ``refused``). ``environ()`` gives
the variables that ``requests`` (``HTTPS_PROXY``, ``REQUESTS_CA_BUNDLE``) and ``httpx``
(``HTTPS_PROXY``, ``SSL_CERT_FILE``; python-telegram-bot) read for every new request or
client, so the connectors' own HTTP calls, unchanged, reach the loopback API and nothing
leaves the machine.
"""
import datetime
import email.parser
import email.policy
import json
import os
import select
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from requests.structures import CaseInsensitiveDict


def json_answer(status, body, headers=None):
    """An answer of ``LoopbackApi.route``: ``body`` as JSON."""
    return status, json.dumps(body).encode(), "application/json", headers or {}


def form_fields(request):
    """The fields of a recorded request's form body (``application/x-www-form-urlencoded``
    or ``multipart/form-data``): name -> text, or (file name, content, content type) for a
    file part."""
    ctype = request["headers"].get("Content-Type") or ""
    if ctype.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(request["body"].decode(), keep_blank_values=True))
    if not ctype.startswith("multipart/form-data"):
        return {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request["body"])
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        if part.get_filename() is not None:
            fields[name] = (part.get_filename(), content, part.get_content_type())
        else:
            fields[name] = content.decode()
    return fields


def query_of(request):
    """The query string of a recorded request's path, as a dict."""
    return dict(parse_qsl(urlsplit(request["path"]).query, keep_blank_values=True))


class _LoopbackServer:
    """A ``socketserver`` server on 127.0.0.1 (any free port), served by a daemon thread."""

    def _serve(self, server):
        server.daemon_threads = True
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def address(self):
        return self.server.server_address[:2]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class LoopbackApi(_LoopbackServer):
    """A provider's API on 127.0.0.1 (see the module's docstring). A recorded request's
    ``headers`` are case-insensitive.

    ``answers[(method, path)]`` = (status, body, content type, extra headers) overrides the
    answer of a request; ``files[path]`` = (content, content type) answers a GET."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        self.files = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                request = {
                    "method": self.command, "host": (self.headers.get("Host") or "").split(":")[0],
                    "path": self.path, "headers": CaseInsensitiveDict(self.headers.items()), "body": raw,
                    "json": parsed,
                }
                api.requests.append(request)
                status, payload, ctype, extra = api._reply(request)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args):
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def _reply(self, request):
        key = (request["method"], request["path"])
        if key in self.answers:
            status, body, ctype, extra = self.answers[key]
            return status, body if isinstance(body, bytes) else json.dumps(body).encode(), ctype, extra
        if request["method"] == "GET" and request["path"] in self.files:
            content, ctype = self.files[request["path"]]
            return 200, content, ctype, {}
        return self.route(request)

    def route(self, request):
        """The provider's answer to ``request`` (a recorded request): (status, body bytes,
        content type, extra headers). Subclasses answer what their provider documents."""
        return json_answer(404, {"message": "Not found"})

    def answer(self, method, path, status, body, content_type="application/json", headers=None):
        """Answer ``method path`` with ``status`` and ``body`` (JSON when not bytes) until
        ``answers`` is cleared."""
        self.answers[(method, path)] = (status, body, content_type, headers or {})

    def reset(self):
        self.requests.clear()
        self.answers.clear()
        self.files.clear()

    def requests_to(self, method, path=None, host=None, prefix=None):
        """The recorded requests of ``method`` to ``path`` (or starting with ``prefix``),
        on ``host`` when given."""
        return [
            r for r in self.requests
            if r["method"] == method
            and (path is None or r["path"] == path)
            and (prefix is None or r["path"].startswith(prefix))
            and (host is None or r["host"] == host)
        ]


def _make_test_pki(directory, hosts):
    """A CA made for this test run and one server certificate for ``hosts`` signed by it;
    writes ca.pem, server.pem, server.key in ``directory`` and returns their paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Odoo Helpdesk throwaway test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


class TlsInterceptor(_LoopbackServer):
    """CONNECT proxy on 127.0.0.1 terminating TLS for ``hosts`` (port 443) and piping the
    decrypted stream to ``api`` (a started ``LoopbackApi``); see the module's docstring."""

    def __init__(self, api, hosts):
        self.api = api
        self.hosts = frozenset(hosts)
        self.refused = []
        self.directory = tempfile.mkdtemp(prefix="helpdesk-test-pki-")
        self.paths = _make_test_pki(self.directory, sorted(self.hosts))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.paths["server.pem"], self.paths["server.key"])
        interceptor = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, _, rest = request_line.partition(" ")
                target = rest.split(" ", 1)[0]
                host, _, port = target.rpartition(":")
                if method != "CONNECT" or host not in interceptor.hosts or port != "443":
                    interceptor.refused.append(request_line)
                    self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                try:
                    tls = context.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    interceptor.refused.append(f"{request_line} (TLS handshake failed)")
                    return
                with tls, socket.create_connection(interceptor.api.address) as upstream:
                    interceptor._pipe(tls, upstream)

        self._serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler))

    @staticmethod
    def _pipe(tls, upstream):
        """Copy bytes both ways until either side closes (one thread: an SSL socket is not
        read and written from two threads at once)."""
        sockets = [tls, upstream]
        try:
            while True:
                readable = [tls] if tls.pending() else select.select(sockets, [], [], 60)[0]
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is tls else tls).sendall(data)
        except (ssl.SSLError, OSError):
            return

    def environ(self):
        """The process environment that sends the HTTPS requests of ``requests`` and
        ``httpx`` through this proxy and trusts only the test CA (``None``: unset)."""
        ca = self.paths["ca.pem"]
        return {
            "HTTPS_PROXY": self.url, "https_proxy": self.url,
            "NO_PROXY": None, "no_proxy": None, "ALL_PROXY": None, "all_proxy": None,
            "REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca, "SSL_CERT_FILE": ca, "SSL_CERT_DIR": None,
        }

    def stop(self):
        super().stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def set_environ(values):
    """Set (or unset, for ``None``) the environment variables ``values``; returns the
    function restoring the previous ones."""
    previous = {name: os.environ.get(name) for name in values}

    def apply(mapping):
        for name, value in mapping.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    apply(values)
    return lambda: apply(previous)
