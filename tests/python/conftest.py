import os
import pathlib

import pytest

import verifull

REQUIRED = ["VERIFULL_PKI_DIR", "VERIFULL_PG_PORT", "VERIFULL_PG_PLAIN_PORT", "VERIFULL_MYSQL_PORT",
            "VERIFULL_MYSQL_PLAIN_PORT", "VERIFULL_MYSQL_IP_PORT", "VERIFULL_DB_USER", "VERIFULL_DB_PASSWORD",
            "VERIFULL_DB_NAME"]


class Servers:
    """The servers tools/test started (tests/servers/servers.py)."""

    def __init__(self):
        missing = [k for k in REQUIRED if k not in os.environ]
        if missing:
            pytest.fail("run through tools/test, which starts the servers; missing " + ", ".join(missing))
        self.env = os.environ
        self.pki = pathlib.Path(os.environ["VERIFULL_PKI_DIR"])
        self.user = os.environ["VERIFULL_DB_USER"]
        self.password = os.environ["VERIFULL_DB_PASSWORD"]
        self.db = os.environ["VERIFULL_DB_NAME"]

    def port(self, name):
        return int(self.env[f"VERIFULL_{name}_PORT"])

    def pg_url(self, host="localhost", port=None, password=None):
        port = port or self.port("PG")
        return f"postgres://{self.user}:{password or self.password}@{host}:{port}/{self.db}"

    def mysql_url(self, host="127.0.0.1", port=None, password=None):
        port = port or self.port("MYSQL_IP")
        return f"mysql://{self.user}:{password or self.password}@{host}:{port}/{self.db}"

    def file(self, name):
        return str(self.pki / name)


@pytest.fixture(scope="session")
def servers():
    return Servers()


@pytest.fixture
def trust(servers):
    return verifull.Trust.from_file(servers.file("ca.pem"))
