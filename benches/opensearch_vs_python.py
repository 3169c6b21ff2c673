#!/usr/bin/env python3
"""tributary's OpenSearch sink against opensearch-py's helpers.parallel_bulk,
side by side in one run, on the same node with the same documents.

Both index a generated clickstream recording (200,000 events by default,
about 450 bytes each) into their own index of the same settings, with ids
from the `event_id` field, four requests in flight, 500 documents a request:

  tributary   `tributary replay` of the recording (release build; batches of
              10,000 as Lambda's largest), sink `opensearch` with
              max_documents = 500, max_in_flight = 4;
  python      the recording read and parsed line by line (as a Python handler
              would get its records), then parallel_bulk(thread_count=4,
              chunk_size=500).

Reported: documents/s (wall clock) and the client's CPU seconds (user +
system; for tributary, of its process; for Python, of this process). The
node runs on the same machine, so each run competes with it for the cores.

    pip install -r benches/requirements.txt
    python3 benches/opensearch_vs_python.py [RECORDS]
"""
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    from opensearchpy import OpenSearch, helpers
except ImportError:
    sys.exit("opensearch-py is missing: pip install -r benches/requirements.txt")


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_tributary(url, recording, index):
    pipeline = f"""
[pipeline]
name = "bench"
[source]
type = "kinesis"
batch_size = 10000
[sinks.search]
type = "opensearch"
endpoint = "{url}"
auth = "none"
index = "{index}"
document_id = "field:event_id"
max_documents = 500
max_in_flight = 4
"""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(pipeline)
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([os.path.join(ROOT, "target/release/tributary"), "replay", f.name, "--recording", recording,
                    "--no-progress"], check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_CHILDREN) - before


def run_python(url, recording, index):
    client = OpenSearch(url, timeout=60)
    before = cpu_seconds(resource.RUSAGE_SELF)
    started = time.perf_counter()

    def actions():
        with open(recording) as f:
            next(f)
            for line in f:
                record = json.loads(line)
                doc = record["data"] if "data" in record else json.loads(base64.b64decode(record["data_base64"]))
                yield {"_index": index, "_id": doc["event_id"], "_source": doc}

    for ok, info in helpers.parallel_bulk(client, actions(), thread_count=4, chunk_size=500):
        if not ok:
            sys.exit(f"parallel_bulk failed: {info}")
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_SELF) - before


def count(client, index):
    client.indices.refresh(index=index)
    return client.count(index=index)["count"]


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "tributary"], cwd=ROOT, check=True)
    url = subprocess.run([os.path.join(ROOT, "scripts/opensearch-node"), "start"], check=True,
                         capture_output=True, text=True).stdout.strip()
    recording = os.path.join(ROOT, f"target/bench/clickstream-{records}.jsonl")
    if not os.path.exists(recording):
        os.makedirs(os.path.dirname(recording), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "examples/clickstream/generate.py"), "--records",
                        str(records), "--shards", "4", "--malformed-every", "0", "--out", recording], check=True)
    client = OpenSearch(url, timeout=60)
    settings = {"settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "30s"}}
    results = {}
    # A warm-up of each, so neither pays for the node's first requests.
    for name in ("tributary", "python", "tributary", "python"):
        index = f"bench-{name}-{len(results)}"
        if client.indices.exists(index=index):
            client.indices.delete(index=index)
        client.indices.create(index=index, body=settings)
        run = run_tributary if name == "tributary" else run_python
        wall, cpu = run(url, recording, index)
        indexed = count(client, index)
        if indexed != records:
            sys.exit(f"{name}: {indexed} documents indexed of {records}")
        results.setdefault(name, []).append((wall, cpu))
        client.indices.delete(index=index)
    (t_wall, t_cpu), (p_wall, p_cpu) = results["tributary"][-1], results["python"][-1]
    print(f"{records:,} documents, same node, same documents; second run of each")
    print(f"{'':12}{'docs/s':>12}{'client CPU s':>15}")
    print(f"{'tributary':12}{records / t_wall:12,.0f}{t_cpu:15.2f}")
    print(f"{'opensearch-py':12}{records / p_wall:12,.0f}{p_cpu:15.2f}")
    print(f"tributary: {p_wall / t_wall:.2f}x the documents/s, {t_cpu / p_cpu:.2f} of the CPU")


if __name__ == "__main__":
    main()
