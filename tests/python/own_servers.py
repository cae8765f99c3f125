"""The python suite's own servers, pg-rotate and maria-ip-rotate (tests/servers/servers.py),
for what would disturb a suite running alongside: rotating their certificate, or a fake
at their port on another loopback address. No other suite uses them, so the python suite
runs alongside the others. A certificate swap reloads the server as its administrator over its
Unix socket (no TLS, so it works whatever certificate is being served) and returns once
a new connection is served the new certificate."""
import contextlib
import hashlib
import pathlib
import shutil
import ssl
import subprocess
import time

import verifull

PG_PORT, MYSQL_PORT = "PG_ROTATE", "MYSQL_IP_ROTATE"
_HOME = {"pg": "pg-rotate", "mysql": "maria-ip-rotate"}
_DEFAULT = {"pg": "server", "mysql": "server-ip"}


def pg_url(servers, **kw):
    return servers.pg_url(port=servers.port(PG_PORT), **kw)


def mysql_url(servers, **kw):
    return servers.mysql_url(port=servers.port(MYSQL_PORT), **kw)


def leaf_sha256(servers, name):
    """The SHA-256 of the certificate file `name`, written as verifull's reports write it."""
    der = ssl.PEM_cert_to_DER_cert(pathlib.Path(servers.file(name + ".pem")).read_text())
    return hashlib.sha256(der).digest().hex(":").upper()


def served_sha256(servers, kind, trust):
    """The SHA-256 of the certificate the rotating server presents now (a probe; no
    credential is sent)."""
    report = verifull.check(pg_url(servers) if kind == "pg" else mysql_url(servers), trust, allow_cn_fallback=True)
    return report.chain[0].sha256 if report.chain else None


def install(servers, kind, name):
    """Gives the rotating `kind` server ("pg" or "mysql") the certificate and key `name`
    and reloads it (pg_reload_conf(), FLUSH SSL)."""
    home = pathlib.Path(servers.env["VERIFULL_SERVERS_DIR"]) / _HOME[kind]
    if kind == "pg":
        for ext in ("pem", "key"):
            shutil.copyfile(servers.file(f"{name}.{ext}"), home / "data" / f"server.{ext}")  # keeps owner and mode
        import psycopg2
        admin = psycopg2.connect(host=str(home), port=servers.port(PG_PORT), user="postgres", dbname="postgres")
        try:
            admin.cursor().execute("SELECT pg_reload_conf()")
        finally:
            admin.close()
    else:
        for ext in ("pem", "key"):
            shutil.copyfile(servers.file(f"{name}.{ext}"), home / f"server-ip.{ext}")
        subprocess.run(["mariadb", "--no-defaults", f"--socket={home / 'sock'}", "-uroot", "-e", "FLUSH SSL"],
                       check=True, timeout=30)
    want = leaf_sha256(servers, name)
    trust = verifull.Trust.from_file(servers.file("ca.pem"))
    deadline = time.monotonic() + 10
    while served_sha256(servers, kind, trust) != want:
        assert time.monotonic() < deadline, f"the rotating {kind} server never served {name}"
        time.sleep(0.05)


@contextlib.contextmanager
def rotating(servers, kind):
    """Yields install(name) for the rotating `kind` server; puts its own certificate back
    at the end, whatever happened."""
    try:
        yield lambda name: install(servers, kind, name)
    finally:
        install(servers, kind, _DEFAULT[kind])
