"""Real git servers on loopback for the remote tests: OpenSSH's ``sshd`` and git's own
``git http-backend`` behind a small HTTP server with basic auth.

Each fixture starts its server on a free loopback port, waits until it answers, and stops
it (and everything it started) at the end; it skips, naming the binary, only when that
binary is missing.
"""

from __future__ import annotations

import base64
import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

GIT_HTTP_BACKEND_PLACES = (
    "/usr/lib/git-core/git-http-backend",
    "/usr/libexec/git-core/git-http-backend",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[bytes] | None = None, within: float = 15
) -> None:
    """Until something accepts on ``127.0.0.1:port`` (bounded; the server's own exit fails fast)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before listening")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {within} s")


def bare_repository(path: Path) -> Path:
    """A remote as a git host's admin makes it: plain ``git init --bare``."""
    subprocess.run(["git", "init", "--bare", "-q", str(path)], check=True)
    return path


@dataclass
class SshServer:
    url: str
    """``ssh://user@127.0.0.1:PORT/abs/path/remote.git``"""
    ssh_command: str
    """What a user puts in ``GIT_SSH_COMMAND`` or ``core.sshCommand`` for this server."""
    remote: Path


@pytest.fixture
def sshd_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    """A real ``sshd`` on a loopback port serving a bare repository, key authentication only.

    The client side comes from the usual git place, ``GIT_SSH_COMMAND``: the user key, a
    known-hosts file holding the generated host key, batch mode (never a prompt).
    """
    sshd = shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/bin/sshd") if Path(p).exists()), None
    )
    ssh, keygen = shutil.which("ssh"), shutil.which("ssh-keygen")
    if not (sshd and ssh and keygen):
        pytest.skip("needs OpenSSH's sshd, ssh and ssh-keygen (Debian: openssh-server)")
    conf = tmp_path / "sshd"
    conf.mkdir(mode=0o700)
    host_key, user_key = conf / "host_ed25519", conf / "user_ed25519"
    for key in (host_key, user_key):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = conf / "authorized_keys"
    authorized.write_text((user_key.with_suffix(".pub")).read_text())
    authorized.chmod(0o600)
    port = free_port()
    known_hosts = conf / "known_hosts"
    host_pub = host_key.with_suffix(".pub").read_text().split()
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    config = conf / "sshd_config"
    config.write_text(
        "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {port}",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                f"PidFile {conf / 'sshd.pid'}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "AllowTcpForwarding no",
                "X11Forwarding no",
                "PrintMotd no",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(exist_ok=True) if os.geteuid() == 0 else None
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        remote = bare_repository(tmp_path / "remote.git")
        user = os.environ.get("USER") or _login_name()
        command = (
            f"{ssh} -i {user_key} -o IdentitiesOnly=yes -o BatchMode=yes"
            f" -o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes"
            " -o LogLevel=ERROR"
        )
        monkeypatch.setenv("GIT_SSH_COMMAND", command)
        yield SshServer(f"ssh://{user}@127.0.0.1:{port}{remote}", command, remote)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _login_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


@dataclass
class HttpServer:
    url: str
    """``http://127.0.0.1:PORT/remote.git`` (no credentials in it)."""
    user: str
    password: str
    remote: Path
    requests: list[str]
    """``METHOD path user`` of each request the server answered, for the tests to read."""


def _git_http_backend() -> str | None:
    return next((p for p in GIT_HTTP_BACKEND_PLACES if Path(p).exists()), None)


class _Handler(BaseHTTPRequestHandler):
    """Basic auth, then git's ``http-backend`` as a CGI program (RFC 3875), one per request."""

    protocol_version = "HTTP/1.1"
    server: _GitHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read requests
        pass

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if (user, password) == (self.server.user, self.server.password) else None

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._body()
        user = self._user()
        path, _, query = self.path.partition("?")
        self.server.requests.append(f"{self.command} {path} {user or '-'}")
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": user,
            "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        for header in ("Content-Encoding", "Git-Protocol"):
            if header in self.headers:
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        result = subprocess.run(
            [self.server.backend], input=body, capture_output=True, env=env, timeout=60
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = result.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _GitHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    backend: str
    user: str
    password: str
    requests: list[str]


@pytest.fixture
def http_backend_remote(tmp_path: Path) -> Iterator[HttpServer]:
    """``git http-backend`` (smart HTTP) behind basic auth on a loopback port."""
    backend = _git_http_backend()
    if backend is None:
        pytest.skip("needs git's git-http-backend (Debian: git)")
    root = tmp_path / "srv"
    root.mkdir()
    remote = bare_repository(root / "remote.git")
    subprocess.run(["git", "-C", str(remote), "config", "http.receivepack", "true"], check=True)
    server = _GitHttpServer(("127.0.0.1", 0), _Handler)
    server.root, server.backend = root, backend
    server.user, server.password, server.requests = "ann", "s3cret pass", []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpServer(
            f"http://127.0.0.1:{server.server_port}/remote.git",
            server.user,
            server.password,
            remote,
            server.requests,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


DOVECOT = "/usr/sbin/dovecot"


@dataclass
class Dovecot:
    """A running Dovecot IMAP server with one passwd-file user and a Maildir."""

    port: int
    """Plain IMAP (STARTTLS offered when ``cert`` is set)."""
    tls_port: int | None
    """IMAP over TLS from the first byte (``imaps://``), when ``cert`` is set."""
    user: str
    password: str
    cert: Path | None
    """The server's self-signed certificate: a client trusts it via ``SSL_CERT_FILE``."""
    maildir: Path

    def url(self, scheme: str = "imap") -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        return f"{scheme}://{self.user}@127.0.0.1:{port}"

    def session(self) -> imaplib.IMAP4:
        """A logged-in connection, as the test's own mail client."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=15)
        if self.cert is not None:
            conn.starttls(ssl.create_default_context(cafile=str(self.cert)))
        conn.login(self.user, self.password)
        return conn

    def append(self, folder: str, *messages: bytes) -> None:
        """Put messages into ``folder`` with IMAP APPEND (the folder made when missing)."""
        conn = self.session()
        try:
            conn.create(folder)  # NO when it exists: fine
            for raw in messages:
                status, data = conn.append(folder, None, None, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create ``folder`` again: empty, with a new UIDVALIDITY."""
        conn = self.session()
        try:
            assert conn.delete(folder)[0] == "OK"
            assert conn.create(folder)[0] == "OK"
        finally:
            conn.logout()

    def uidvalidity(self, folder: str) -> int:
        conn = self.session()
        try:
            conn.select(folder, True)
            return int(conn.response("UIDVALIDITY")[1][0])
        finally:
            conn.logout()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate (Debian: openssl)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj",
            "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _dovecot_users() -> tuple[str, str, int, int]:
    """Dovecot's login and internal users, and the uid/gid mail is stored as.

    As root, Dovecot's own unprivileged users (made by its Debian package) and the
    ``dovecot`` user for mail (uid 0 may not own mail); otherwise the user running the tests.
    """
    import grp
    import pwd

    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    try:
        internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
    except KeyError:
        pytest.skip("needs the dovecot and dovenull users (Debian: dovecot-core)")
    return login.pw_name, internal.pw_name, internal.pw_uid, grp.getgrgid(internal.pw_gid).gr_gid


def start_dovecot(tls: bool) -> tuple[Dovecot, subprocess.Popen[bytes], Path]:
    """A throwaway Dovecot: its own config, run and state dirs, no system config used."""
    if not Path(DOVECOT).exists():
        pytest.skip(f"needs Dovecot's IMAP server at {DOVECOT} (Debian: dovecot-imapd)")
    login_user, internal_user, uid, gid = _dovecot_users()
    # under /tmp, not tmp_path: Dovecot's unprivileged processes must reach the Maildir
    root = Path(tempfile.mkdtemp(prefix="tcrm-dovecot-"))
    root.chmod(0o755)
    home = root / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, uid, gid)
    password = "s3cret pass"
    (root / "passwd").write_text(f"ann:{{PLAIN}}{password}::::::\n")
    port, tls_port = free_port(), free_port()
    cert = key = None
    ssl_lines = ["ssl = no"]
    listeners = [f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}"]
    if tls:
        cert, key = _self_signed(root)
        ssl_lines = ["ssl = required", f"ssl_cert = <{cert}", f"ssl_key = <{key}"]
        listeners.append(
            f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {tls_port}\n"
            "    ssl = yes\n  }"
        )
    else:
        listeners.append("  inet_listener imaps {\n    port = 0\n  }")
    config = root / "dovecot.conf"
    config.write_text(
        "\n".join(
            [
                f"base_dir = {root / 'run'}",
                f"state_dir = {root / 'state'}",
                f"log_path = {root / 'dovecot.log'}",
                "protocols = imap",
                "listen = 127.0.0.1",
                *ssl_lines,
                "disable_plaintext_auth = no",
                "auth_mechanisms = plain login",
                "auth_failure_delay = 0",
                f"default_internal_user = {internal_user}",
                f"default_login_user = {login_user}",
                "first_valid_uid = 1",
                f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {root / 'passwd'}\n}}",
                f"userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={home}/%u\n}}",
                "mail_location = maildir:~/Maildir",
                "service imap-login {",
                *listeners,
                "}",
                "service auth {\n  user = $default_internal_user\n}" if os.geteuid() else "",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, process)
        if tls:
            wait_for_port(tls_port, process)
    except BaseException:
        stop_dovecot(process, root)
        raise
    server = Dovecot(port, tls_port if tls else None, "ann", password, cert, home / "ann")
    return server, process, root


def stop_dovecot(process: subprocess.Popen[bytes], root: Path) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """Dovecot on a loopback port, plain IMAP (allowed to loopback only), user ``ann``."""
    server, process, root = start_dovecot(tls=False)
    try:
        yield server
    finally:
        stop_dovecot(process, root)


@pytest.fixture
def dovecot_tls() -> Iterator[Dovecot]:
    """Dovecot with a self-signed certificate: imaps on ``tls_port``, STARTTLS on ``port``."""
    server, process, root = start_dovecot(tls=True)
    try:
        yield server
    finally:
        stop_dovecot(process, root)


@dataclass
class SmtpServer:
    """aiosmtpd on a loopback port; ``received`` holds each accepted message."""

    port: int
    received: list[Received]
    refuse: set[str]
    """Recipients answered ``550`` (a test's way to make a send fail)."""

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Recorder:
    def __init__(self, received: list[Received], refuse: set[str]) -> None:
        self.received, self.refuse = received, refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that records what it accepts."""
    aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="needs aiosmtpd (pip: .[test])")
    received: list[Received] = []
    refuse: set[str] = set()
    port = free_port()
    controller = aiosmtpd.Controller(_Recorder(received, refuse), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, received, refuse)
    finally:
        controller.stop()


@dataclass
class SmtpTlsServer(SmtpServer):
    """aiosmtpd offering STARTTLS (a self-signed certificate) and requiring a login."""

    user: str = "ann"
    password: str = "smtp pass"
    cert: Path | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.user}@127.0.0.1:{self.port}"


@pytest.fixture
def smtp_tls_server() -> Iterator[SmtpTlsServer]:
    """Like ``smtp_server``, but STARTTLS first, then AUTH, then mail (as port 587 is)."""
    controller_module = pytest.importorskip("aiosmtpd.controller", reason="needs aiosmtpd")
    smtp_module = pytest.importorskip("aiosmtpd.smtp", reason="needs aiosmtpd")
    root = Path(tempfile.mkdtemp(prefix="tcrm-smtp-"))
    cert, key = _self_signed(root)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[Received] = []
    server = SmtpTlsServer(free_port(), received, set(), cert=cert)

    def authenticate(smtp, session, envelope, mechanism, data):
        ok = isinstance(data, smtp_module.LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (server.user, server.password)
        return smtp_module.AuthResult(success=ok, handled=False)  # aiosmtpd answers 535

    controller = controller_module.Controller(
        _Recorder(received, server.refuse),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
        shutil.rmtree(root, ignore_errors=True)
