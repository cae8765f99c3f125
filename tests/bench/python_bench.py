"""Python rows of tools/bench: a warm connect + SELECT 1 through verifull's helpers for
PyMySQL, aiomysql and asyncpg (the shared approval cache: no probe, the approved
certificate pinned in-band) against the same driver with its own full verification
(ssl.create_default_context(cafile=the CA): chain and host name), interleaved, as medians
and a ratio with the 1.05x target. Asserts nothing about timing.
Usage (inside tools/with-servers, Debian's /usr/bin/python3): python_bench.py [CONNECTS]
"""
import asyncio
import os
import ssl
import statistics
import sys
import time

import aiomysql
import asyncpg
import pymysql

import verifull

env = os.environ
CONNECTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CA = f"{env['VERIFULL_PKI_DIR']}/ca.pem"
trust = verifull.Trust.from_file(CA)
USER, PASSWORD, DB = env["VERIFULL_DB_USER"], env["VERIFULL_DB_PASSWORD"], env["VERIFULL_DB_NAME"]
PG_PORT, MY_PORT = int(env["VERIFULL_PG_PORT"]), int(env["VERIFULL_MYSQL_PORT"])
PG_URL = f"postgres://{USER}:{PASSWORD}@localhost:{PG_PORT}/{DB}"
MY_URL = f"mysql://{USER}:{PASSWORD}@localhost:{MY_PORT}/{DB}"
# The raw side's own full verification, made once as an application would.
RAW_CONTEXT = ssl.create_default_context(cafile=CA)
assert RAW_CONTEXT.check_hostname and RAW_CONTEXT.verify_mode == ssl.CERT_REQUIRED


def pymysql_verifull():
    conn = verifull.pymysql.connect(MY_URL, trust)
    conn.cursor().execute("SELECT 1")
    conn.close()


def pymysql_raw():
    conn = pymysql.connect(host="localhost", port=MY_PORT, user=USER, password=PASSWORD, database=DB, ssl=RAW_CONTEXT)
    conn.cursor().execute("SELECT 1")
    conn.close()


async def aiomysql_verifull():
    conn = await verifull.aiomysql.connect(MY_URL, trust)
    async with conn.cursor() as cur:
        await cur.execute("SELECT 1")
    conn.close()


async def aiomysql_raw():
    conn = await aiomysql.connect(host="localhost", port=MY_PORT, user=USER, password=PASSWORD, db=DB,
                                  ssl=RAW_CONTEXT)
    async with conn.cursor() as cur:
        await cur.execute("SELECT 1")
    conn.close()


async def asyncpg_verifull():
    conn = await verifull.asyncpg.connect(PG_URL, trust)
    await conn.fetchval("SELECT 1")
    await conn.close()


async def asyncpg_raw():
    conn = await asyncpg.connect(host="localhost", port=PG_PORT, user=USER, password=PASSWORD, database=DB,
                                 ssl=RAW_CONTEXT, direct_tls=False)
    await conn.fetchval("SELECT 1")
    await conn.close()


CASES = [
    ("PyMySQL: verifull.pymysql vs pymysql, ssl=create_default_context", pymysql_verifull, pymysql_raw),
    ("aiomysql: verifull.aiomysql vs aiomysql, same context", aiomysql_verifull, aiomysql_raw),
    ("asyncpg: verifull.asyncpg vs asyncpg, same context", asyncpg_verifull, asyncpg_raw),
]


def timed(loop, fn) -> float:
    start = time.perf_counter()
    result = fn()
    if asyncio.iscoroutine(result):
        loop.run_until_complete(result)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    print(f"\n8. Python: warm connect + SELECT 1 ({CONNECTS} each, interleaved; Python {sys.version.split()[0]}, "
          f"PyMySQL {pymysql.__version__}, aiomysql {aiomysql.__version__}, asyncpg {asyncpg.__version__})")
    loop = asyncio.new_event_loop()
    missed = False
    for label, ours_fn, raw_fn in CASES:
        for _ in range(10):  # warm: code paths, the approval cache, TLS contexts
            timed(loop, ours_fn)
            timed(loop, raw_fn)
        ours, raw = [], []
        for i in range(CONNECTS):
            pair = [(ours, ours_fn), (raw, raw_fn)]
            for samples, fn in (pair if i % 2 else reversed(pair)):
                samples.append(timed(loop, fn))
        p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95)]  # noqa: E731
        ratio = statistics.median(ours) / statistics.median(raw)
        met = ratio <= 1.05
        missed |= not met
        print(f"{label:<64} verifull median {statistics.median(ours):6.2f} ms p95 {p95(ours):6.2f} ms | "
              f"raw median {statistics.median(raw):6.2f} ms p95 {p95(raw):6.2f} ms | ratio {ratio:4.2f}  "
              f"target <= 1.05 {'met' if met else 'MISSED'}")
    loop.close()
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
