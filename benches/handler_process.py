#!/usr/bin/env python3
"""Process-level figures for the Lambda bootstrap, on this machine:

  start      from spawning the release bootstrap to its first poll of the
             runtime API (median of 30 starts);
  peak RSS   the bootstrap's VmHWM after it answered the 10,000-record,
             6.2 MB Kinesis event (benches/data/kinesis_event.py);
  handler    the same event through a plain Python handler
             (benches/peers/python_handler.py), as Lambda's Python runtime
             would run it: json.loads of the body, then the handler (median
             of 10 runs);
  zip        the size of the zip `tributary package` makes (cargo lambda build).

With --remap, the same for the bootstrap built with the `remap` feature
(VRL), running benches/data/remap-pipeline.toml (the cloudwatch-logs
example's parse.vrl, JSON Lines to /dev/null) on a CloudWatch Logs event of
1,000 Kinesis records (18,849 log events; benches/remap_vs_python.py makes
it), beside benches/peers/python_logs_handler.py; the zip is the one
`tributary package examples/cloudwatch-logs/pipeline.toml` makes, which
must hold parse.vrl.

The runtime API here is a minimal one written in this script: Lambda's own
cannot run on this machine, and cargo lambda's emulator cannot say when a
poll arrives. It serves the event once, and records the time of each request.

    python3 benches/handler_process.py [--remap] [--no-zip]
"""
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
import json
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
REMAP = "--remap" in sys.argv


class Setup:
    """What one kind of bootstrap runs, and how it is built and packaged."""

    def __init__(self, features, pipeline, event, peer, packaged):
        self.features = features
        self.pipeline = os.path.join(ROOT, pipeline)
        self.event = event
        self.peer = peer
        self.packaged = packaged


def kinesis_event():
    path = os.path.join(ROOT, "target/bench/kinesis-10k.json")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "benches/data/kinesis_event.py"), path], check=True)
    return path


def cloudwatch_logs_event():
    import remap_vs_python
    remap_vs_python.generate()
    return remap_vs_python.EVENT


PLAIN = Setup([], "benches/data/handler-pipeline.toml", kinesis_event, "python_handler",
              "examples/search/pipeline.toml")
WITH_REMAP = Setup(["--features", "remap"], "benches/data/remap-pipeline.toml", cloudwatch_logs_event,
                   "python_logs_handler", "examples/cloudwatch-logs/pipeline.toml")


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """GET /next hands out the event once; POST .../response records it."""
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        state = RuntimeApi.state
        if state["first_poll"] is None:
            state["first_poll"] = time.perf_counter()
        if state["event"] is None:
            state["idle"].set()
            time.sleep(3600)  # a real runtime API holds the poll open
            return
        body, state["event"] = state["event"], None
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        RuntimeApi.state["response"] = self.rfile.read(length)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_bootstrap(server, pipeline, event):
    """Starts the bootstrap; gives (seconds to first poll, peak RSS in kB, response)."""
    RuntimeApi.state = {"first_poll": None, "event": event, "response": None, "idle": threading.Event()}
    env = dict(os.environ, TRIBUTARY_PIPELINE=pipeline, AWS_LAMBDA_FUNCTION_NAME="bench",
               AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}", RUST_LOG="warn")
    started = time.perf_counter()
    process = subprocess.Popen([os.path.join(TARGET, "release/bootstrap")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not RuntimeApi.state["idle"].wait(60):
            sys.exit("the bootstrap did not come back for a second event")
        with open(f"/proc/{process.pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    finally:
        process.kill()
        process.wait()
    return RuntimeApi.state["first_poll"] - started, peak, RuntimeApi.state["response"]


def python_handler_ms(name, body):
    sys.path.insert(0, os.path.join(ROOT, "benches/peers"))
    peer = __import__(name)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        peer.handler(json.loads(body), None)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main():
    setup = WITH_REMAP if REMAP else PLAIN
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "tributary", "--bin", "bootstrap"]
                   + setup.features, cwd=ROOT, check=True)
    event = setup.event()
    with open(event, "rb") as f:
        body = f.read()
    records = len(json.loads(body)["Records"])
    server = serve()
    starts = [run_bootstrap(server, setup.pipeline, None)[0] for _ in range(30)]
    _, peak_kb, response = run_bootstrap(server, setup.pipeline, body)
    assert json.loads(response) == {"batchItemFailures": []}, response
    print(f"event: {len(body):,} bytes, {records:,} records")
    print(f"start to first poll: median {statistics.median(starts) * 1000:.1f} ms "
          f"(min {min(starts) * 1000:.1f}, max {max(starts) * 1000:.1f}, 30 starts)")
    print(f"peak RSS after the event: {peak_kb / 1024:.1f} MB")
    print(f"plain Python handler on the same event: {python_handler_ms(setup.peer, body):.0f} ms (median of 10)")
    if "--no-zip" not in sys.argv:
        out = os.path.join(ROOT, "target/package/handler-bench" + ("-remap" if REMAP else ""))
        subprocess.run(["cargo", "run", "--release", "--quiet", "-p", "tributary-cli", "--", "package",
                        setup.packaged, "--out", out], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        zipped = os.path.join(out, "bootstrap.zip")
        names = zipfile.ZipFile(zipped).namelist()
        print(f"zipped bootstrap: {os.path.getsize(zipped) / 1e6:.2f} MB ({', '.join(names)})")


if __name__ == "__main__":
    main()
