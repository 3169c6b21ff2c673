#!/usr/bin/env python3
"""`tributary backfill` throughput, by scan and from an export, against moto.

Starts moto in server mode on a free port, fills a table with ITEMS items
of every attribute type (tests/fixtures/moto/tables.py, with point-in-time
recovery), exports it to S3 once, then runs the release build of
`tributary backfill` into a JSON Lines sink RUNS times each way:

  scan     --segments 4 (a parallel Scan; moto answers each page itself, so
           this measures moto's Scan as much as tributary)
  export   --export s3://exports/bench (the export read back from S3)

Reported: the summary's throughput line (records/s over the whole run,
reading included) of each run. Neither is a figure for AWS, whose Scan pages
and export files behave differently.

    cargo build --release -p tributary-cli
    python3 benches/backfill.py [ITEMS] [RUNS]
    TRIBUTARY=target/debug/tributary python3 benches/backfill.py   # a debug build
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The release build, or the binary TRIBUTARY names (a debug build, say).
TRIBUTARY = os.environ.get("TRIBUTARY", os.path.join(ROOT, "target", "release", "tributary"))
TABLES = os.path.join(ROOT, "tests", "fixtures", "moto", "tables.py")
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
           AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("moto did not start: pip install \"moto[server]\"")


def export(url):
    import boto3
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = dynamodb.describe_table(TableName="bench")["Table"]["TableArn"]
    started = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="bench")
    export_arn = started["ExportDescription"]["ExportArn"]
    while dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]["ExportStatus"] == "IN_PROGRESS":
        time.sleep(0.5)


def throughput(args, url, workdir):
    out = os.path.join(workdir, "out.jsonl")
    pipeline = os.path.join(workdir, "bench.toml")
    with open(pipeline, "w") as f:
        f.write('[pipeline]\nname = "bench"\n[source]\ntype = "dynamodb_streams"\ntable = "bench"\n'
                f'[sinks.out]\ntype = "jsonl"\npath = "{out}"\n')
    checkpoint = os.path.join(workdir, "checkpoint.json")
    command = [TRIBUTARY, "backfill", pipeline, "--table", "bench", "--endpoint-url", url,
               "--no-progress", "--checkpoint", checkpoint, "--restart", *args]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    found = re.search(r"throughput\s+(\d+)\s+records/s", done.stderr)
    if not found:
        sys.exit(f"no throughput line in:\n{done.stderr}")
    return int(found.group(1))


def main():
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not os.path.exists(TRIBUTARY):
        sys.exit("build it first: cargo build --release -p tributary-cli")
    server, url = start_moto()
    try:
        subprocess.run([sys.executable, TABLES, url, "fill", "bench", str(items), "pitr"],
                       check=True, stdout=subprocess.DEVNULL, env=ENV)
        export(url)
        with tempfile.TemporaryDirectory() as workdir:
            for name, args in [("scan", ["--segments", "4"]),
                               ("export", ["--export", "s3://exports/bench",
                                           "--export-time", "2026-12-01T00:00:00Z"])]:
                figures = [throughput(args, url, workdir) for _ in range(runs)]
                print(f"{name:<8} {items} items: " + ", ".join(f"{f} items/s" for f in figures))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
