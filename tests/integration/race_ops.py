"""Clients racing lifecycle operations on the same containers.

Usage: race_ops.py SOCKET CLIENTS ITERATIONS.  CLIENTS threads each run
ITERATIONS random operations (start, stop, restart, kill, pause,
unpause, rm -f, cp, exec) on containers r0..r3, re-creating a container
that is gone, then unpauses them all.  Every answer must be one Docker gives for that operation
(2xx, 304, 404, 409); anything else is printed as "bad METHOD PATH
STATUS BODY".  Ends with "ops N bad M".
"""
import http.client
import json
import random
import socket
import sys
import threading

SOCK, CLIENTS, ITERS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
NAMES = ["r0", "r1", "r2", "r3"]
OK = {200, 201, 204, 304, 404, 409}
lock = threading.Lock()
count = {"ops": 0, "bad": 0}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=60)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(SOCK)


def call(method, path, body=None):
    conn = UnixConnection()
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, "/v1.41" + path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read()
        return r.status, text
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e).encode()
    finally:
        conn.close()


def create(name):
    return call("POST", "/containers/create?name=" + name,
                {"Image": "busybox", "Cmd": ["sh", "-c",
                 "trap 'exit 0' TERM; while true; do sleep 0.2; done"]})


def op(rng):
    name = rng.choice(NAMES)
    kind = rng.choice(["start", "start", "stop", "restart", "kill",
                       "pause", "unpause", "rm", "cp", "exec", "exec"])
    if kind in ("start", "stop", "restart", "kill", "pause", "unpause"):
        q = "?t=1" if kind in ("stop", "restart") else ""
        st, body = call("POST", "/containers/%s/%s%s" % (name, kind, q))
    elif kind == "rm":
        st, body = call("DELETE", "/containers/%s?force=1&v=1" % name)
    elif kind == "cp":
        st, body = call("GET", "/containers/%s/archive?path=/etc/hostname"
                        % name)
    else:
        st, body = call("POST", "/containers/%s/exec" % name,
                        {"Cmd": ["true"], "AttachStdout": False})
        if st == 201:
            eid = json.loads(body)["Id"]
            st, body = call("POST", "/exec/%s/start" % eid,
                            {"Detach": True})
    if st == 404 and b"No such container" in body:
        cst, cbody = create(name)
        if cst not in (201, 409):
            record("POST", "create " + name, cst, cbody)
    record(kind, name, st, body)


def record(kind, name, st, body):
    with lock:
        count["ops"] += 1
        if st not in OK:
            count["bad"] += 1
            print("bad %s %s %d %s" % (kind, name, st,
                                       body[:200].decode("utf-8",
                                                         "replace")))


def client(seed):
    rng = random.Random(seed)
    for _ in range(ITERS):
        op(rng)
    # An exec started as a pause froze the container waits, as with
    # dockerd, until it is thawed: the last client leaving thaws them.
    for n in NAMES:
        call("POST", "/containers/%s/unpause" % n)


for n in NAMES:
    create(n)
    call("POST", "/containers/%s/start" % n)
threads = [threading.Thread(target=client, args=(i,)) for i in
           range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ops %d bad %d" % (count["ops"], count["bad"]))
