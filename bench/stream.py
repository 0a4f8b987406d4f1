#!/usr/bin/env python3
"""bench/run stream: `pgscorer stream`, the gateway, against its floors in the same runs.

HTTP: 4 clients post InfluxDB line protocol in 5,000-line bodies (--http-readings in all,
200 series) to /write, each body answered after its commit; the sustained readings/s is
compared with `pgscorer ingest` of the same readings from a CSV file (goal: within 1.5×).

MQTT: 8 mosquitto_pub publishers send one reading per message at QoS 1 (--mqtt-readings
in all) through a mosquitto broker on the same machine; readings stored per second by
the gateway are compared with what `mosquitto_sub` alone receives from the same
publishers (the broker is the floor; goal: at least half). Every message must be stored
exactly once. Each run starts from a fresh database; medians of --runs with min–max."""
import argparse
import http.client
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from benchlib import RESULTS, Samples, fresh_database, pgscorer, print_table, save_results, scalar

START_NS = 1_764_000_000 * 10**9  # 2025-11-24
GATEWAY_ARGS = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=120):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise SystemExit(f"waited {timeout} s for {what}")
        time.sleep(0.02)


class Gateway:
    """A `pgscorer stream` process; its output in a temp file."""

    def __init__(self, *args):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.process = subprocess.Popen([os.environ["PGSCORER"], "stream", *args], stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, "LOG_LEVEL": "warning"})
        self.port = None
        wanted = ["gateway subscribed"] if "--mqtt" in args else []
        wanted += ["gateway listening at"] if "--listen" in args else []

        def ready():
            text = pathlib.Path(self.log.name).read_text()
            if self.process.poll() is not None:
                raise SystemExit(f"the gateway exited:\n{text}")
            if "--listen" in args and "gateway listening at http://127.0.0.1:" in text:
                self.port = int(text.split("gateway listening at http://127.0.0.1:")[1].split("/")[0])
            return all(w in text for w in wanted)
        wait_for(ready, "the gateway to start", 30)

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
        os.unlink(self.log.name)


def http_case(readings, runs, records, table):
    series, per_body, clients = 200, 5_000, 4
    lines = [f"temp,device=pump-{i % series:03d} value={(i * 7919) % 1000 / 10} {START_NS + (i // series) * 60 * 10**9}"
             for i in range(readings)]
    bodies = ["\n".join(lines[i:i + per_body]).encode() for i in range(0, readings, per_body)]
    csv = RESULTS / "cache" / f"stream-http-{readings}.csv"
    if not csv.exists():
        with open(csv, "w") as out:
            out.write("ts,device,sensor,value\n")
            for i in range(readings):
                ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START_NS // 10**9 + (i // series) * 60))
                out.write(f"{ts},pump-{i % series:03d},temp,{(i * 7919) % 1000 / 10}\n")
    ours, floor = Samples(), Samples()
    for run in range(1, runs + 1):
        fresh_database("bench_stream_http")
        pgscorer("migrate")
        gateway = Gateway("--listen", "127.0.0.1:0", "--allow-anonymous", *GATEWAY_ARGS)
        queue = list(bodies)
        lock = threading.Lock()
        failures = []

        def client():
            connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=120)
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                while True:
                    connection.request("POST", "/write", body, {"Content-Type": "text/plain"})
                    answer = connection.getresponse()
                    answer.read()
                    if answer.status == 204:
                        break
                    if answer.status != 503:
                        failures.append(answer.status)
                        return
                    time.sleep(0.05)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        gateway.stop()
        stored = scalar("SELECT count(*) FROM pgscorer.readings")
        if failures or stored != readings:
            raise SystemExit(f"HTTP: stored {stored} of {readings}, answers {failures[:5]}")
        ours.add(seconds)
        fresh_database("bench_stream_ingest")
        pgscorer("migrate")
        ingest_seconds, _ = pgscorer("ingest", str(csv))
        floor.add(ingest_seconds)
        print(f"HTTP run {run}: gateway {seconds:.2f} s ({readings / seconds:,.0f} readings/s), "
              f"pgscorer ingest of the file {ingest_seconds:.2f} s ({readings / ingest_seconds:,.0f} readings/s)", flush=True)
        records += [{"case": "http", "run": run, "contender": "gateway /write", "seconds": seconds},
                    {"case": "http", "run": run, "contender": "pgscorer ingest", "seconds": ingest_seconds}]
    table.append([f"HTTP /write, {clients} clients × {per_body:,}-line bodies", ours.describe("{:.2f}"), f"{readings / ours.median:,.0f}",
                  f"{ours.median / floor.median:.2f}× the time"])
    table.append(["pgscorer ingest, same readings from a file", floor.describe("{:.2f}"), f"{readings / floor.median:,.0f}", "1.00×"])
    print(f"goal: HTTP within 1.5× of ingest; measured {ours.median / floor.median:.2f}×", flush=True)


def mqtt_case(readings, runs, records, table):
    publishers = 8
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    folder = pathlib.Path(tempfile.mkdtemp(prefix="pgscorer-bench-mqtt-"))
    port = free_port()
    (folder / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence false\n")
    broker = subprocess.Popen([mosquitto, "-c", str(folder / "mosquitto.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, "the broker", 10)
    per = readings // publishers
    files = []
    for p in range(publishers):
        path = folder / f"publisher-{p}.txt"
        path.write_text("".join(f'{{"ts":{START_NS // 1000 + i * 60_000_000},"value":{(i * 31) % 1000 / 10}}}\n' for i in range(per)))
        files.append(path)

    def publish():
        return [subprocess.Popen(["sh", "-c", f'exec mosquitto_pub -h 127.0.0.1 -p {port} -q 1 -t bench/dev-{p}/temp -l < "{files[p]}"'])
                for p in range(publishers)]

    ours, floor = Samples(), Samples()
    try:
        for run in range(1, runs + 1):
            # The floor: mosquitto_sub alone, counting what it receives.
            subscriber = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", "bench/#",
                                           "-C", str(per * publishers)], stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            started = time.perf_counter()
            for publisher in publish():
                publisher.wait()
            subscriber.wait(300)
            floor_seconds = time.perf_counter() - started
            floor.add(floor_seconds)
            # The gateway, from a fresh database.
            fresh_database(f"bench_stream_mqtt_{run}")
            pgscorer("migrate")
            gateway = Gateway("--mqtt", f"mqtt://127.0.0.1:{port}", "--topic", "bench/{device}/{sensor}", "--client-id", f"bench-{run}",
                              *GATEWAY_ARGS)
            started = time.perf_counter()
            running = publish()
            wait_for(lambda: scalar("SELECT count(*) FROM pgscorer.readings") >= per * publishers, "every message stored", 600)
            seconds = time.perf_counter() - started
            for publisher in running:
                publisher.wait()
            gateway.stop()
            stored = scalar("SELECT count(*) FROM pgscorer.readings")
            rejected = scalar("SELECT count(*) FROM pgscorer.rejected_readings")
            if stored != per * publishers or rejected:
                raise SystemExit(f"MQTT: stored {stored} of {per * publishers}, {rejected} rejected")
            ours.add(seconds)
            print(f"MQTT run {run}: gateway stored {per * publishers:,} in {seconds:.2f} s ({per * publishers / seconds:,.0f}/s), "
                  f"mosquitto_sub received them in {floor_seconds:.2f} s ({per * publishers / floor_seconds:,.0f}/s)", flush=True)
            records += [{"case": "mqtt", "run": run, "contender": "gateway", "seconds": seconds},
                        {"case": "mqtt", "run": run, "contender": "mosquitto_sub", "seconds": floor_seconds}]
    finally:
        broker.terminate()
        shutil.rmtree(folder, ignore_errors=True)
    total = per * publishers
    table.append([f"MQTT, {publishers} publishers, QoS 1, stored by the gateway", ours.describe("{:.2f}"), f"{total / ours.median:,.0f}",
                  f"{(total / ours.median) / (total / floor.median):.2f}× the rate"])
    table.append(["MQTT, received by mosquitto_sub alone", floor.describe("{:.2f}"), f"{total / floor.median:,.0f}", "1.00×"])
    print(f"goal: MQTT at least 0.5× the rate of mosquitto_sub; measured {floor.median / ours.median:.2f}×", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http-readings", type=int, default=1_000_000)
    parser.add_argument("--mqtt-readings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default="http,mqtt")
    parser.add_argument("--gateway-args", default="", help="more arguments for pgscorer stream, e.g. '--connections 1'")
    options = parser.parse_args()
    GATEWAY_ARGS.extend(options.gateway_args.split())
    (RESULTS / "cache").mkdir(parents=True, exist_ok=True)
    records, table = [], []
    if "http" in options.cases:
        http_case(options.http_readings, options.runs, records, table)
    if "mqtt" in options.cases:
        mqtt_case(options.mqtt_readings, options.runs, records, table)
    print()
    print_table(["contender", "seconds", "readings/s", "vs floor"], table)
    save_results("stream", records, vars(options))


if __name__ == "__main__":
    main()
