#!/usr/bin/env python3
"""The baseline of `bench/run queue`: PgQueuer (PyPI `pgqueuer`, asyncpg driver, its
fastest) draining no-op jobs, the way its own benchmark tool's drain strategy does.

    pgqueuer_drain.py install              # PgQueuer's schema, in $PGDATABASE
    pgqueuer_drain.py fill N               # enqueue N no-op jobs
    pgqueuer_drain.py drain C D BATCH      # C queue managers, stop after D jobs

drain runs C QueueManagers in one process, each on its own connection, dequeuing
BATCH jobs at a time; a no-op entrypoint counts completions and stops them all after
D. Prints one JSON line: {"seconds", "completed"}; the clock runs from the start of
the managers to the moment all of them have flushed their completions and returned.
"""
import asyncio
import json
import sys
import time

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager, Queries

ENTRYPOINT = "noop"


async def install():
    connection = await asyncpg.connect()
    try:
        queries = Queries(AsyncpgDriver(connection))
        if not await queries.schema_is_installed():
            await queries.install()
    finally:
        await connection.close()


async def fill(count):
    connection = await asyncpg.connect()
    try:
        queries = Queries(AsyncpgDriver(connection))
        for start in range(0, count, 10_000):
            n = min(10_000, count - start)
            await queries.enqueue([ENTRYPOINT] * n, [None] * n, [0] * n)
    finally:
        await connection.close()


async def drain(concurrency, wanted, batch):
    connections = [await asyncpg.connect() for _ in range(concurrency)]
    managers = [QueueManager(Queries(AsyncpgDriver(c))) for c in connections]
    completed = 0

    def stop_all():
        for manager in managers:
            manager.shutdown.set()

    for manager in managers:
        @manager.entrypoint(ENTRYPOINT)
        async def noop(job):
            nonlocal completed
            completed += 1
            if completed >= wanted:
                stop_all()

    started = time.perf_counter()
    await asyncio.gather(*(m.run(batch_size=batch) for m in managers))
    seconds = time.perf_counter() - started
    for c in connections:
        await c.close()
    print(json.dumps({"seconds": seconds, "completed": completed}))


def main():
    command, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if command == "install":
        asyncio.run(install())
        print("{}")
    elif command == "fill":
        asyncio.run(fill(*args))
        print("{}")
    elif command == "drain":
        asyncio.run(drain(*args))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
