# Times "forgot password" for addresses with and without an account,
# interleaved, against a running `pharos serve`; prints medians and p90
# (docs/BENCHMARKS.md, "No account enumeration by time"). Start the server
# with PHAROS_TRUST_FORWARDED_FOR=true (each request comes from its own
# address, past the per-client limit) and a high
# PHAROS_REGISTRATION_LIMIT_PER_CLIENT, then:
#   python3 tests/bench/forgot_password_timing.py <port> <accounts>
import http.client, json, statistics, sys, time
host, port = "127.0.0.1", int(sys.argv[1])
n = int(sys.argv[2])
def post(path, body, ip):
    c = http.client.HTTPConnection(host, port)
    t = time.perf_counter()
    c.request("POST", path, json.dumps(body), {"content-type": "application/json", "x-forwarded-for": ip})
    r = c.getresponse(); data = r.read(); dt = time.perf_counter() - t
    c.close()
    return r.status, data, dt
for i in range(n):
    s, d, _ = post("/api/v1/auth/register", {"email": f"known{i}@example.com", "password": "correct horse battery"}, f"10.1.{i//250}.{i%250}")
    assert s == 201, (s, d)
known, unknown = [], []
bodies = set()
for i in range(n):
    for kind, email, out in (("k", f"known{i}@example.com", known), ("u", f"nobody{i}@example.com", unknown)):
        s, d, dt = post("/api/v1/auth/forgot-password", {"email": email}, f"10.2.{i//250}.{i%250}")
        assert s == 202, (s, d)
        bodies.add(d)
        out.append(dt * 1000)
def q(xs, p): return sorted(xs)[int(p * (len(xs) - 1))]
print(f"requests per kind: {n}; distinct bodies: {len(bodies)}")
for name, xs in (("account exists", known), ("no account", unknown)):
    print(f"{name:15s} median {statistics.median(xs):.3f} ms  p90 {q(xs,0.9):.3f} ms  mean {statistics.mean(xs):.3f} ms")
print(f"median ratio (exists / none): {statistics.median(known)/statistics.median(unknown):.3f}")
