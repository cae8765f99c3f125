#!/usr/bin/python3
"""Verified connections from Python with the drivers you already use.

    python_connect.py CA.pem postgres://user:pw@db.example.com:5432/app mysql://user:pw@db.example.com:3306/app
"""
import sys

import MySQLdb
import psycopg2

import verifull


def main(ca_file, postgres_url, mysql_url):
    trust = verifull.Trust.from_file(ca_file)  # keep it alive while connecting

    # psycopg2 (or psycopg 3): a libpq string with sslmode=verify-full and the anchors set
    # so that no environment variable can weaken them.
    with psycopg2.connect(verifull.postgres.conninfo(postgres_url, trust)) as pg:
        cur = pg.cursor()
        cur.execute("SELECT current_user")
        print("PostgreSQL: connected as", cur.fetchone()[0])

    # mysqlclient: verifull verifies the server first, then pins MySQLdb to that exact
    # certificate (raises verifull.VerificationError with .outcome when it refuses).
    my = MySQLdb.connect(**verifull.mysql.connect_kwargs(mysql_url, trust))
    cur = my.cursor()
    cur.execute("SELECT CURRENT_USER()")
    print("MySQL: connected as", cur.fetchone()[0])
    my.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except verifull.VerificationError as e:
        sys.exit(f"refused ({e.outcome}): {e}")
