"""`verifull check --format prometheus` read by Prometheus' own parser (Debian's
python3-prometheus-client), its values checked against the servers' real certificate."""
import datetime
import os
import pathlib
import subprocess
import time

import pytest
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families

BAD_URL = "postgres://monitor-user:monitor-S3cret@-bad.example.com:5432/db"
FAMILIES = {"verifull_endpoint_verified", "verifull_leaf_expiry_seconds", "verifull_chain_expiry_seconds",
            "verifull_check_duration_seconds"}


def cli_path():
    """The verifull CLI of this build: $VERIFULL_CLI, else next to the library meson built."""
    if os.environ.get("VERIFULL_CLI"):
        return os.environ["VERIFULL_CLI"]
    path = pathlib.Path(os.environ["VERIFULL_LIBRARY"]).parent / "verifull"
    if not path.exists():
        pytest.fail(f"no verifull CLI at {path}: set VERIFULL_CLI")
    return str(path)


def seconds_until_not_after(pem_path):
    cert = x509.load_pem_x509_certificate(pathlib.Path(pem_path).read_bytes())
    not_after = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return not_after.timestamp() - time.time()


def check_prometheus(*args):
    run = subprocess.run([cli_path(), "check", *args, "--format", "prometheus"], capture_output=True, text=True,
                         timeout=60)
    samples = {}
    for family in text_string_to_metric_families(run.stdout):
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        for s in family.samples:
            key = (s.name, s.labels.get("endpoint"))
            assert key not in samples, f"{key} twice"
            samples[key] = s
    return run, samples


def test_prometheus_output_parses_and_matches_the_server_certificate(servers):
    pg = f"localhost:{servers.port('PG')}"
    my = f"localhost:{servers.port('MYSQL')}"
    by_ip = f"127.0.0.1:{servers.port('PG')}"
    run, samples = check_prometheus(servers.pg_url(), servers.mysql_url(host="localhost", port=servers.port("MYSQL")),
                                    f"postgres://{by_ip}", BAD_URL, "--ca", servers.file("ca.pem"))
    assert run.returncode == 2, run.stderr  # the bad input row, as in the table format
    assert {name for name, _ in samples} == FAMILIES

    verified = {ep: s for (name, ep), s in samples.items() if name == "verifull_endpoint_verified"}
    assert verified[pg].value == 1 and verified[pg].labels == {"endpoint": pg, "protocol": "postgres", "outcome": "ok"}
    assert verified[my].value == 1 and verified[my].labels["protocol"] == "mysql"
    assert verified[by_ip].value == 0 and verified[by_ip].labels["outcome"] == "name_mismatch"
    bad = verified["postgres://-bad.example.com:5432/db"]
    assert bad.value == 0 and bad.labels == {"endpoint": "postgres://-bad.example.com:5432/db", "outcome": "input_error"}

    # Both servers present pki/server.pem; its CA outlives it, so the chain's first expiry
    # is the leaf's too. The CLI took "now" a moment before this test's clock.
    expected = seconds_until_not_after(servers.file("server.pem"))
    for endpoint in (pg, my, by_ip):
        for name in ("verifull_leaf_expiry_seconds", "verifull_chain_expiry_seconds"):
            assert abs(samples[(name, endpoint)].value - expected) <= 60, (name, endpoint)
    for endpoint in (pg, my):
        assert 0 < samples[("verifull_check_duration_seconds", endpoint)].value < 10 + 5  # --timeout 10, a margin
    # Not checked: no expiry, no duration.
    assert not [k for k in samples if k[1] == bad.labels["endpoint"] and k[0] != "verifull_endpoint_verified"]

    # What Prometheus stores holds neither a password nor a user; standard error quotes the
    # bad input as the table does (its user, the password as ***).
    for secret in (servers.password, "monitor-S3cret"):
        assert secret not in run.stdout + run.stderr
    for user in (servers.user, "monitor-user"):
        assert user not in run.stdout


def test_prometheus_label_values_are_escaped(servers, tmp_path):
    odd = 'postgres://db"x\\y:5432'
    listing = tmp_path / "endpoints.txt"
    listing.write_text(f"# endpoints\n{servers.pg_url()}\n{odd}\n")
    run, samples = check_prometheus("--from", str(listing), "--ca", servers.file("ca.pem"))
    assert run.returncode == 2
    row = samples[("verifull_endpoint_verified", odd)]  # the parser undid the escaping
    assert row.labels == {"endpoint": odd, "line": "3", "outcome": "input_error"}
    assert samples[("verifull_endpoint_verified", f"localhost:{servers.port('PG')}")].value == 1
