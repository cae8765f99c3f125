"""What a multiprocessing child (spawn, forkserver) does with what the parent handed it:
plain kwargs and strings, no verifull object. Module-level so that spawn can import it."""


def mysqldb_tls_version(kwargs: dict) -> str:
    import MySQLdb
    try:
        conn = MySQLdb.connect(**kwargs)
    except MySQLdb.OperationalError as e:
        return "refused: " + str(e)
    cur = conn.cursor()
    cur.execute("SHOW STATUS LIKE 'Ssl_version'")
    version = cur.fetchone()[1]
    conn.close()
    return version


def psycopg2_ssl(conninfo: str) -> str:
    import psycopg2
    try:
        conn = psycopg2.connect(conninfo)
    except psycopg2.OperationalError as e:
        return "refused: " + str(e)
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    ssl = cur.fetchone()[0]
    conn.close()
    return "ssl" if ssl else "plaintext"
