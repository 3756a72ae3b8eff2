#!/bin/bash
# Malformed API input gets a JSON-RPC error that names the problem, never a crash,
# a hang or a leaked sandbox; the supervisor keeps serving.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the raw API client"
start_supervisor
api() { EXPECT=${EXPECT:-1} timeout 20 python3 "$(dirname "$0")/api_client.py" "$@"; }

assert_contains "$(api 'not json')" '"code": -32700' "garbage: parse error"
assert_contains "$(api '[1,2]')" '"code": -32600' "array: invalid request"
# Valid JSON that is not an object is an invalid request (JSON-RPC 2.0), not a parse error.
for frame in 1 '"x"' null true; do
    assert_contains "$(api "$frame")" '"code": -32600' "$frame: invalid request"
done
# An error that quotes invalid UTF-8 (here a name cut inside a character by the
# message's fixed size) is still answered, never dropped, leaving the client waiting.
long="a$(printf '\u00e9%.0s' $(seq 300))"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.inspect","params":{"id":"'"$long"'"},"id":1}')" '"code": -32000' "a cut multibyte id: not found, answered"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.list","params":{"'"$long"'":1},"id":1}')" '"code": -32602' "a cut multibyte parameter name: answered"
assert_contains "$(api '{"jsonrpc":"2.0","method":"'"$long"'","id":1}')" '"code": -32601' "a cut multibyte method name: answered"
assert_contains "$(api '{"jsonrpc":"2.0","id":1}')" "'method' must be a non-empty string" "missing method"
assert_contains "$(api '{"jsonrpc":"1.0","method":"x","id":1}')" "'jsonrpc' must be" "wrong version"
assert_contains "$(api '{"jsonrpc":"2.0","method":"nope","id":1}')" "unknown method 'nope'" "unknown method: -32601"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.list","params":[1],"id":1}')" '"code": -32602' "positional params refused"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.list","params":{"al":true},"id":1}')" "unknown parameter 'al'" "unknown parameter named"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.inspect","params":{},"id":1}')" "parameter 'id' is required" "missing id"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.kill","params":{"id":"x","signal":"NOPE"},"id":1}')" "parameter 'signal' must be" "bad signal"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":[]}},"id":1}')" "no command given" "empty argv"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{},"id":1}')" "parameter 'spec' is required" "a create without a spec says so"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"]},"context":5},"id":1}')" "parameter 'context' must be an object" "a context that is not an object is named (it was an empty message)"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"]},"context":{"mode":"bind","files":"x"}},"id":1}')" "context.files must be a non-negative integer" "the context report's numbers are checked"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"],"cwd":"rel"}},"id":1}')" "absolute path" "relative cwd"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"]},"stdio":"passed"},"id":1}')" "needs 3 descriptors" "stdio passed without descriptors"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"]},"wait":"yes"},"id":1}')" "'wait' must be true or false" "wrong type"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"],"user":{"uid":1000}}},"id":1}')" "user.gid is missing" "a user without gid is refused (it was the root group)"
deep=$(printf '[%.0s' $(seq 3000))
assert_contains "$(api "$deep")" '"code": -32700' "deep nesting is a parse error"

# An oversized frame is refused and skipped; the same connection still works.
out=$(EXPECT=2 api '@big:1100000' '{"jsonrpc":"2.0","method":"supervisor.info","id":9}')
assert_contains "$out" '"code": -32005' "oversized frame refused"
assert_contains "$out" '"api_version"' "the connection survives it"

# Volume and secret entries of the wrong shape are named; a "readonly" that is not a
# boolean was taken as false (a read-write volume), an entry that is not an object got
# an empty message.
out=$(timeout 20 python3 - <<'PY'
import json, os, socket
for p in [{"volumes": [5]}, {"secrets": [5]}, {"volumes": [{"dest": "/x", "readonly": "yes"}]}]:
    p["spec"] = {"args": ["true"]}
    s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NUCLEUS_SOCKET"]); s.settimeout(10)
    fd = os.open("/etc/hostname", os.O_RDONLY)
    socket.send_fds(s, [(json.dumps({"jsonrpc": "2.0", "method": "sandbox.create", "params": p, "id": 1}) + "\n").encode()], [fd])
    print(json.loads(s.recv(65536))["error"]["message"])
PY
)
assert_contains "$(sed -n 1p <<<"$out")" "volumes[0] must be an object" "a volume that is not an object is named"
assert_contains "$(sed -n 2p <<<"$out")" "secrets[0] must be an object" "a secret that is not an object is named"
assert_contains "$(sed -n 3p <<<"$out")" "volumes[0].readonly must be true or false" "readonly \"yes\" is refused, not read-write"

# Descriptors belong to the request they came with, even a refused one.
out=$(EXPECT=2 api '@fds:{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":[]},"stdio":"passed"},"id":1}' \
                 '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["true"]},"stdio":"passed"},"id":2}')
assert_contains "$(sed -n 2p <<<"$out")" "needs 3 descriptors" "a refused create does not leave its descriptors to the next"
# Descriptor floods (docs/api.md "Passing descriptors"): more than 64 in one message,
# or more than 64 queued without a request, are refused by name and end the
# connection; the loop keeps none of them.
# The descriptors sent are of one marker file, so whatever the warm pool does meanwhile,
# a copy kept by the loop would show.
loop=$(pgrep -P "$SUP_PID" -x nucleusd-loop)
: >"$T/fd-marker"
out=$(MARKER="$T/fd-marker" timeout 20 python3 - <<'PY'
import os, socket
marker = os.open(os.environ["MARKER"], os.O_RDONLY)
def answer(chunks):
    s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NUCLEUS_SOCKET"]); s.settimeout(10)
    for data, n in chunks:
        socket.send_fds(s, [data], [marker] * n)
    out = b""
    while (d := s.recv(65536)):
        out += d
    print(out.decode().strip(), "<closed>")
answer([(b'{"jsonrpc":"2.0","method":"supervisor.info","id":1}\n', 65)])
answer([(b" ", 64), (b" ", 1)])
PY
)
assert_contains "$(sed -n 1p <<<"$out")" '"message":"more than 64 descriptors in one message"}} <closed>' "65 descriptors in one message: refused, connection closed"
assert_contains "$(sed -n 2p <<<"$out")" 'passed without a request using them (at most 64)"}} <closed>' "65 queued: refused, connection closed"
assert_eq 0 "$(for f in /proc/"$loop"/fd/*; do readlink "$f"; done | grep -cF "$T/fd-marker" || true)" \
    "the loop holds no descriptor of either"

# Notifications get no reply, not even an error.
out=$(EXPECT=1 api '{"jsonrpc":"2.0","method":"nope"}' '{"jsonrpc":"2.0","method":"supervisor.info","id":7}')
assert_contains "$out" '"id": 7' "a notification is not answered; the next request is"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.kill","params":{"id":"x","signal":"STOP"},"id":1}')" "cannot be sent to a sandbox" "signals init cannot deliver are refused"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.kill","params":{"id":"x","signal":40},"id":1}')" "signal 40 (a real-time signal) cannot be sent" \
    "a refused real-time signal is named by its number (it was 'SIG?')"

# Non-UTF-8 argv travels base64-encoded, both ways.
out=$(EXPECT=2 api '@fds:{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["/bin/sh","-c","printf %s \"$0\" | od -An -tx1","'"$(printf '\\u00e9')"'"],"name":"utf8"},"stdio":"passed","wait":true},"id":3}')
assert_contains "$out" '"exit_code": 0' "a create+wait through the raw API"
out=$(EXPECT=2 api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["/bin/true",{"base64":"/w=="}],"name":"bin"},"wait":true},"id":4}')
assert_contains "$out" '"exit_code": 0' "a base64 argument is accepted"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.inspect","params":{"id":"bin"},"id":5}')" '{"base64": "/w=="}' "and reported base64-encoded"
out=$(EXPECT=2 api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["/bin/sh","-c","test \"$B\" = \"$(printf \"\\377\")\""],"env":[{"base64":"Qj3/"}],"name":"benv"},"wait":true},"id":6}')
assert_contains "$out" '"exit_code": 0' "a base64 environment entry (B=0xff) reaches the workload as bytes"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.inspect","params":{"id":"benv"},"id":7}')" '{"base64": "Qj3/"}' "and is reported base64-encoded"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":[{"base64":"!!"}]}},"id":8}')" "args[0]: invalid base64" "bad base64 is refused, naming the field"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":[{"base64":"/w==","x":1}]}},"id":9}')" '"code": -32602' "a base64 object with another member is refused"

# A subscriber whose connection breaks while an event goes out to its subscriptions:
# the send fails, the connection is closed, and its subscriptions were freed while the
# event was still walking them (a use after free that killed the loop process). Here
# the client stops reading (shutdown SHUT_RD: writes to it fail, it sends no EOF).
loop=$(pgrep -P "$SUP_PID" -x nucleusd-loop)
out=$(timeout 30 python3 - <<'PY'
import os, socket, time
sock = os.environ["NUCLEUS_SOCKET"]
s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(10)
s.sendall(b"".join(b'{"jsonrpc":"2.0","method":"events.subscribe","id":%d}\n' % i for i in range(200)))
buf = b""
while buf.count(b"\n") < 200:
    buf += s.recv(65536)
s.shutdown(socket.SHUT_RD)
time.sleep(0.2)
c = socket.socket(socket.AF_UNIX); c.connect(sock); c.settimeout(10)
c.sendall(b'{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["true"]},"auto_remove":true,"wait":true},"id":1}\n')
buf = b""
try:
    while b'"id":1,' not in buf:
        d = c.recv(65536)
        if not d:
            break
        buf += d
except OSError:
    pass
print("replied" if b'"exit_code":0' in buf else "no reply: %r" % buf[:200])
PY
)
assert_eq replied "$out" "an event to a broken subscriber's connection: the create still gets its reply"
assert_eq "$loop" "$(pgrep -P "$SUP_PID" -x nucleusd-loop)" "and the loop process did not crash"

# At most 16 event subscriptions per connection: every event walks every subscription,
# and 500,000 on one connection made each create take 12 s for everyone.
subs=()
for i in $(seq 17); do subs+=("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":$i}"); done
out=$(EXPECT=17 api "${subs[@]}")
assert_eq 16 "$(grep -c '"subscription"' <<<"$out")" "16 subscriptions on one connection are accepted"
assert_contains "$(sed -n 17p <<<"$out")" "already has 16 event subscriptions" "the 17th is refused, saying the limit"
assert_contains "$(sed -n 17p <<<"$out")" '"code": -32006' "as busy (-32006)"

# At most 4096 requests waiting for their sandboxes per connection (sandbox.wait here):
# 300,000 waits with 1 KB ids held 330 MB of the loop's memory. Answered ones free
# their place.
"$N" run -d --name w1 -- sleep 60 >/dev/null
"$N" run -d --name w2 -- sleep 60 >/dev/null
out=$(timeout 60 python3 - <<'PY'
import json, os, socket
sock = os.environ["NUCLEUS_SOCKET"]
s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(20)
def req(m, p, i): return (json.dumps({"jsonrpc": "2.0", "method": m, "params": p, "id": i}) + "\n").encode()
def lines(buf): return [json.loads(l) for l in buf.split(b"\n") if l]
s.sendall(b"".join(req("sandbox.wait", {"id": "w1"}, i) for i in range(4097)))
buf = b""
while buf.count(b"\n") < 1:
    buf += s.recv(65536)
print("first:", lines(buf)[0].get("error", {}).get("code"), lines(buf)[0].get("id"))
k = socket.socket(socket.AF_UNIX); k.connect(sock); k.sendall(req("sandbox.kill", {"id": "w1"}, 1)); k.recv(4096)
while buf.count(b"\n") < 4097:
    buf += s.recv(1 << 20)
print("results:", sum(1 for r in lines(buf) if "result" in r))
s.sendall(req("sandbox.wait", {"id": "w2"}, "again"))
k.sendall(req("sandbox.kill", {"id": "w2"}, 2)); k.recv(4096)
buf = b""
while b'"again"' not in buf:
    buf += s.recv(65536)
print("again:", "result" in lines(buf)[-1])
PY
)
assert_contains "$out" "first: -32006 4096" "the 4097th waiting request is refused as busy"
assert_contains "$out" "results: 4096" "the 4096 others get their results"
assert_contains "$out" "again: True" "and once answered, the connection may wait again"

# A client that disconnects mid-frame or mid-create leaks nothing.
printf '{"jsonrpc":"2.0","method":"sand' | timeout 2 python3 -c 'import os,socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(os.environ["NUCLEUS_SOCKET"]); s.sendall(sys.stdin.buffer.read())'
for _ in $(seq 20); do
    assert_contains "$(api '{"jsonrpc":"2.0","method":"supervisor.info","id":1}')" '"live": 0' "no sandbox leaked" >/dev/null
done
kill -0 "$SUP_PID" && echo "ok - the supervisor is still running" || fail "the supervisor died"
finish
