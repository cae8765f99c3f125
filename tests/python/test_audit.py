"""The least-privilege audit from Python, on psycopg2, psycopg and MySQLdb connections."""
import os

import MySQLdb
import psycopg
import psycopg2
import pytest

import verifull


def admin_pg_url(servers):
    return servers.pg_url().replace(f"{servers.user}:{servers.password}", f"postgres:{os.environ['VERIFULL_ADMIN_PASSWORD']}")


def test_postgres_admin_and_app_user(servers, trust):
    with psycopg2.connect(verifull.postgres.conninfo(admin_pg_url(servers), trust)) as conn:
        report = verifull.postgres.audit(conn)
    assert report.verdict == "admin" and report.is_admin
    assert "superuser" in report.admin_findings
    with psycopg.connect(verifull.postgres.conninfo(servers.pg_url(), trust)) as conn:
        report = verifull.postgres.audit(conn)
    assert report.verdict == "broad"
    assert any("owns database" in f for f in report.broad_findings)


def test_mysql_admin_and_app_user(servers, trust):
    admin_url = servers.mysql_url().replace(f"{servers.user}:{servers.password}",
                                            f"verifull_admin:{os.environ['VERIFULL_ADMIN_PASSWORD']}")
    conn = MySQLdb.connect(**verifull.mysql.connect_kwargs(admin_url, trust))
    assert verifull.mysql.audit(conn).verdict == "admin"
    conn.close()
    conn = MySQLdb.connect(**verifull.mysql.connect_kwargs(servers.mysql_url(), trust))
    report = verifull.mysql.audit(conn)
    assert report.verdict == "broad"
    assert "ALL PRIVILEGES on database verifull_test" in report.broad_findings
    conn.close()


def test_suggest_readonly_sql():
    sql = verifull.suggest_readonly_sql("mysql", ["shop.orders"], user="bi")
    assert "GRANT SELECT ON `shop`.`orders` TO 'bi'@'%'" in sql and "REQUIRE SSL" in sql
    with pytest.raises(verifull.InputError):
        verifull.suggest_readonly_sql("postgres", ["drop table x"])
    with pytest.raises(verifull.InputError):
        verifull.suggest_readonly_sql("oracle", ["t"])


def test_audit_needs_a_connection():
    with pytest.raises(verifull.InputError):
        verifull.postgres.audit(object())
    with pytest.raises(verifull.InputError):
        verifull.mysql.audit(object())
