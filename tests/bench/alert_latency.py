#!/usr/bin/env python3
# The first alert's latency (docs/BENCHMARKS.md): a `pharos serve` on a
# scratch SQLite file, one default webhook channel to a receiver in this
# process, N heartbeat targets each failed once through its ping URL; the
# time from the ping (its state change, committed with its event) to the
# webhook arriving. Usage: alert_latency.py <pharos binary> [N]
import json, os, subprocess, sys, threading, time, urllib.request, http.server, socket, tempfile, http.cookiejar, statistics

BIN = sys.argv[1]
arrivals = {}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('content-length', 0)); body = json.loads(self.rfile.read(n))
        arrivals.setdefault(body.get('target_id'), (time.time(), body.get('event')))
        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
    def log_message(self, *a): pass
rs = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
threading.Thread(target=rs.serve_forever, daemon=True).start()
hook = f"http://127.0.0.1:{rs.server_address[1]}/hook"
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
data = tempfile.mkdtemp()
env = dict(os.environ, PHAROS_LISTEN=f"127.0.0.1:{port}", PHAROS_DATA_DIR=data, PHAROS_ALLOW_PRIVATE_TARGETS="true", PHAROS_LOG="warn")
p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/readyz"); break
    except Exception: time.sleep(0.1)
jar = http.cookiejar.CookieJar(); op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def post(path, body):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={'content-type': 'application/json'}, method='POST')
    return json.loads(op.open(r).read() or b'{}')
acct = {"email": "bench@example.com", "password": "a long passphrase"}
post("/api/v1/auth/register", acct); post("/api/v1/auth/login", acct)
post("/api/v1/channels", {"kind": "webhook", "name": "bench", "config": {"url": hook}, "is_default": True})
N = int(sys.argv[2]) if len(sys.argv) > 2 else 30
targets = [post("/api/v1/targets", {"kind": "heartbeat", "interval_seconds": 3600}) for _ in range(N)]
sent = {}
for t in targets:
    sent[t["id"]] = time.time()
    urllib.request.urlopen(base + t["ping_url"] + "/fail").read()
    time.sleep(0.37)  # spread the changes over the sender's poll period
deadline = time.time() + 60
while len(arrivals) < N and time.time() < deadline: time.sleep(0.05)
delays = sorted((arrivals[i][0] - sent[i]) * 1000 for i in sent if i in arrivals)
p.terminate(); p.wait()
print(f"n={len(delays)} of {N}; ms: min {delays[0]:.0f}, p50 {statistics.median(delays):.0f}, p95 {delays[int(len(delays)*0.95)-1]:.0f}, max {delays[-1]:.0f}")
