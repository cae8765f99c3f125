#!/usr/bin/python3
"""Starts and stops the real database servers the integration tests use.

  servers.py start STATE_DIR   # needs STATE_DIR/pki from make_test_pki
  servers.py stop STATE_DIR

Each server gets its own data directory under STATE_DIR and a free port on 127.0.0.1:
  pg-tls      PostgreSQL 15, ssl=on with pki/server.pem (names localhost only),
              hostssl-only pg_hba with scram-sha-256
  pg-plain    PostgreSQL 15, ssl=off
  maria-tls   MariaDB, TLS with pki/server.pem, require_secure_transport=ON
  maria-plain MariaDB, --skip-ssl
  maria-ip    MariaDB, TLS with pki/server-ip.pem (also names IP 127.0.0.1), for clients
              that cannot force TCP to "localhost" (mysqlclient)
  pg-interop, maria-interop
              like pg-tls and maria-tls, for tests/integration/test_interop.cpp, which
              replaces their certificate and key and reloads them (pg_reload_conf,
              FLUSH SSL) to serve each certificate of the interop corpus
  maria-rotate, maria-ip-rotate, pg-rotate
              like maria-tls, maria-ip and pg-tls, each for the one suite that rotates
              its certificate (tests/integration/test_mysql.cpp; the python suite's
              tests/python/rotation.py), so the suites that share maria-tls, maria-ip
              and pg-tls run alongside those
The TLS servers also accept client certificates from pki/client-ca.pem (ssl_ca_file,
--ssl-ca) and have a user verifull_cert (the CN of pki/client.pem) that must present one:
PostgreSQL's hba line says clientcert=verify-full (scram-sha-256 as well), MariaDB's
user is REQUIRE SUBJECT '/CN=verifull_cert'. PostgreSQL also has verifull_clear, whose
hba line asks for the password in clear text (method password).
STATE_DIR/env.sh exports the ports and credentials for the tests. As root, PostgreSQL
runs as the postgres user and MariaDB as mysql.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

PG_BIN = "/usr/lib/postgresql/15/bin"
APP_USER, APP_PASSWORD, APP_DB = "verifull_app", "app-Pa55word", "verifull_test"
ADMIN_PASSWORD = "admin-Pa55word"
CERT_USER, CERT_PASSWORD = "verifull_cert", "cert-Pa55word"  # CERT_USER = the CN of pki/client.pem
CLEAR_USER, CLEAR_PASSWORD = "verifull_clear", "clear-Pa55word"
IS_ROOT = os.geteuid() == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count):
    """`count` distinct free ports: all held open together, so none is handed out twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run(cmd, user=None, **kw):
    if user and IS_ROOT:
        cmd = ["runuser", "-u", user, "--"] + cmd
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def chown(path, user):
    if IS_ROOT:
        shutil.chown(path, user, user)


def install_cert(pki, dest_dir, user, name="server"):
    for ext in ("pem", "key"):
        dst = os.path.join(dest_dir, f"{name}.{ext}")
        shutil.copy(os.path.join(pki, f"{name}.{ext}"), dst)
        os.chmod(dst, 0o600)
        chown(dst, user)


# ---- PostgreSQL ----------------------------------------------------------------

def pg_initdb(state):
    template = os.path.join(state, "pg-template")
    os.makedirs(template)
    chown(template, "postgres")
    pwfile = os.path.join(state, "pg-pwfile")
    with open(pwfile, "w") as f:
        f.write(ADMIN_PASSWORD + "\n")
    chown(pwfile, "postgres")
    run([f"{PG_BIN}/initdb", "-D", os.path.join(template, "data"), "-U", "postgres", "-A", "scram-sha-256",
         f"--pwfile={pwfile}", "--no-sync"], user="postgres")
    os.unlink(pwfile)
    return os.path.join(template, "data")


def pg_start(state, name, template_data, pki, tls, port=None):
    home = os.path.join(state, name)
    os.makedirs(home)
    chown(home, "postgres")
    data = os.path.join(home, "data")
    run(["cp", "-a", template_data, data], user="postgres")
    port = port or free_port()
    conf = [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{home}'",
        "fsync = off",
        "shared_buffers = 16MB",
        "max_connections = 60",
        "password_encryption = 'scram-sha-256'",
    ]
    if tls:
        install_cert(pki, data, "postgres")
        shutil.copy(os.path.join(pki, "client-ca.pem"), os.path.join(data, "client-ca.pem"))
        chown(os.path.join(data, "client-ca.pem"), "postgres")
        conf += ["ssl = on", "ssl_cert_file = 'server.pem'", "ssl_key_file = 'server.key'",
                 "ssl_min_protocol_version = 'TLSv1.2'", "ssl_ca_file = 'client-ca.pem'"]
        hba = ["local all postgres trust",
               f"hostssl all {CERT_USER} 127.0.0.1/32 scram-sha-256 clientcert=verify-full",
               f"hostssl all {CLEAR_USER} 127.0.0.1/32 password",
               "hostssl all all 127.0.0.1/32 scram-sha-256"]
    else:
        conf += ["ssl = off"]
        hba = ["local all postgres trust", "host all all 127.0.0.1/32 scram-sha-256"]
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("\n".join(conf) + "\n")
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write("\n".join(hba) + "\n")
    run([f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(home, "log"), "-w", "-t", "60", "start"], user="postgres")
    psql = [f"{PG_BIN}/psql", "-h", home, "-p", str(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]
    run(psql + [f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'"], user="postgres")
    run(psql + [f"CREATE DATABASE {APP_DB} OWNER {APP_USER}"], user="postgres")
    run(psql + [f"CREATE ROLE {CERT_USER} LOGIN PASSWORD '{CERT_PASSWORD}'"], user="postgres")
    run(psql + [f"CREATE ROLE {CLEAR_USER} LOGIN PASSWORD '{CLEAR_PASSWORD}'"], user="postgres")
    return port


def pg_stop(state, name):
    data = os.path.join(state, name, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(([ "runuser", "-u", "postgres", "--"] if IS_ROOT else []) +
                       [f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- MariaDB -------------------------------------------------------------------

def maria_install(state):
    template = os.path.join(state, "maria-template")
    os.makedirs(template)
    chown(template, "mysql")
    run(["mariadb-install-db", "--no-defaults", "--user=mysql" if IS_ROOT else f"--user={os.getlogin()}",
         f"--datadir={template}/data", "--auth-root-authentication-method=normal", "--skip-test-db"])
    return os.path.join(template, "data")


def maria_start(state, name, template_data, pki, tls, cert="server", port=None):
    home = os.path.join(state, name)
    os.makedirs(home)
    chown(home, "mysql")
    data = os.path.join(home, "data")
    subprocess.run(["cp", "-a", template_data, data], check=True)
    port = port or free_port()
    sock = os.path.join(home, "sock")
    args = ["mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
            f"--socket={sock}", f"--pid-file={home}/pid", f"--log-error={home}/log", "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M", "--skip-log-bin", "--max-connections=80"]
    if IS_ROOT:
        args.append("--user=mysql")
    if tls:
        install_cert(pki, home, "mysql", cert)
        shutil.copy(os.path.join(pki, "client-ca.pem"), os.path.join(home, "client-ca.pem"))
        args += [f"--ssl-cert={home}/{cert}.pem", f"--ssl-key={home}/{cert}.key", f"--ssl-ca={home}/client-ca.pem",
                 "--require-secure-transport=ON", "--tls-version=TLSv1.2,TLSv1.3"]
    else:
        args.append("--skip-ssl")
    subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot"]
    for _ in range(300):
        if subprocess.run(client + ["-e", "SELECT 1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    else:
        sys.exit(f"{name} did not start; see {home}/log")
    sql = (f"CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}';"
           f"CREATE DATABASE {APP_DB};"
           f"GRANT ALL ON {APP_DB}.* TO '{APP_USER}'@'%';"
           f"CREATE USER 'verifull_admin'@'%' IDENTIFIED BY '{ADMIN_PASSWORD}';"
           f"GRANT ALL ON *.* TO 'verifull_admin'@'%' WITH GRANT OPTION;"
           f"CREATE USER '{CERT_USER}'@'%' IDENTIFIED BY '{CERT_PASSWORD}' REQUIRE SUBJECT '/CN={CERT_USER}';"
           f"GRANT SELECT ON {APP_DB}.* TO '{CERT_USER}'@'%';")
    run(client + ["-e", sql])
    return port


def maria_stop(state, name):
    pidfile = os.path.join(state, name, "pid")
    try:
        pid = int(open(pidfile).read().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 15)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


# ---- main ----------------------------------------------------------------------

def start(state):
    os.chmod(state, 0o755)  # the server users must reach their folders
    pki = os.path.join(state, "pki")
    for f in os.listdir(pki):
        os.chmod(os.path.join(pki, f), 0o644 if f.endswith(".pem") else 0o600)
    os.chmod(pki, 0o755)
    # Every step waits mostly on the servers' own start-up, so the two data templates are
    # made side by side, then every server starts at once (about 50 s one after another,
    # a fraction of that together).
    with ThreadPoolExecutor(max_workers=2) as pool:
        pg_template_future = pool.submit(pg_initdb, state)
        maria_template_future = pool.submit(maria_install, state)
        pg_template, maria_template = pg_template_future.result(), maria_template_future.result()
    starts = {
        "VERIFULL_PG_PORT": (pg_start, "pg-tls", pg_template, dict(tls=True)),
        "VERIFULL_PG_PLAIN_PORT": (pg_start, "pg-plain", pg_template, dict(tls=False)),
        "VERIFULL_MYSQL_PORT": (maria_start, "maria-tls", maria_template, dict(tls=True)),
        "VERIFULL_MYSQL_PLAIN_PORT": (maria_start, "maria-plain", maria_template, dict(tls=False)),
        "VERIFULL_MYSQL_IP_PORT": (maria_start, "maria-ip", maria_template, dict(tls=True, cert="server-ip")),
        "VERIFULL_PG_INTEROP_PORT": (pg_start, "pg-interop", pg_template, dict(tls=True)),
        "VERIFULL_MYSQL_INTEROP_PORT": (maria_start, "maria-interop", maria_template, dict(tls=True)),
        "VERIFULL_MYSQL_ROTATE_PORT": (maria_start, "maria-rotate", maria_template, dict(tls=True)),
        "VERIFULL_MYSQL_IP_ROTATE_PORT": (maria_start, "maria-ip-rotate", maria_template,
                                          dict(tls=True, cert="server-ip")),
        "VERIFULL_PG_ROTATE_PORT": (pg_start, "pg-rotate", pg_template, dict(tls=True)),
    }
    with ThreadPoolExecutor(max_workers=len(starts)) as pool:
        futures = {var: pool.submit(begin, state, name, template, pki, port=port, **kw)
                   for (var, (begin, name, template, kw)), port in zip(starts.items(), free_ports(len(starts)))}
        ports = {var: future.result() for var, future in futures.items()}
    env = dict(ports)
    env.update({
        "VERIFULL_SERVERS_DIR": state,
        "VERIFULL_PKI_DIR": pki,
        "VERIFULL_DB_USER": APP_USER,
        "VERIFULL_DB_PASSWORD": APP_PASSWORD,
        "VERIFULL_DB_NAME": APP_DB,
        "VERIFULL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "VERIFULL_CERT_USER": CERT_USER,
        "VERIFULL_CERT_PASSWORD": CERT_PASSWORD,
        "VERIFULL_CLEAR_USER": CLEAR_USER,
        "VERIFULL_CLEAR_PASSWORD": CLEAR_PASSWORD,
        "VERIFULL_MYSQL_SOCKET": os.path.join(state, "maria-tls", "sock"),
        # Where the interop servers read their certificate (server.pem, server.key), and
        # their Unix sockets, where the administrator logs in without TLS to reload it.
        "VERIFULL_PG_INTEROP_DATA": os.path.join(state, "pg-interop", "data"),
        "VERIFULL_PG_INTEROP_SOCKET_DIR": os.path.join(state, "pg-interop"),
        "VERIFULL_MYSQL_INTEROP_DIR": os.path.join(state, "maria-interop"),
        "VERIFULL_MYSQL_INTEROP_SOCKET": os.path.join(state, "maria-interop", "sock"),
    })
    with open(os.path.join(state, "env.sh"), "w") as f:
        for k, v in env.items():
            f.write(f"export {k}='{v}'\n")
    print("servers up: " + ", ".join(f"{k}={v}" for k, v in ports.items()))


def stop(state):
    with ThreadPoolExecutor(max_workers=10) as pool:
        for name in ("pg-tls", "pg-plain", "pg-interop", "pg-rotate"):
            pool.submit(pg_stop, state, name)
        for name in ("maria-tls", "maria-plain", "maria-ip", "maria-interop", "maria-rotate", "maria-ip-rotate"):
            pool.submit(maria_stop, state, name)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    try:
        (start if sys.argv[1] == "start" else stop)(sys.argv[2])
    except subprocess.CalledProcessError as e:
        stop(sys.argv[2])
        sys.exit(f"command failed: {' '.join(e.cmd)}\n{e.stdout}")
