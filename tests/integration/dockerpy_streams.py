"""docker-py (python3-docker 5) against berthd: exec and attach streams.

Usage: dockerpy_streams.py SOCKET.  Prints one "ok NAME" or "fail NAME:
detail" line per check; t_dockerpy.sh counts them.
"""
import sys
import time

import docker

BYTES = b"0123456789abcdef" * 64          # 1 KiB: every byte is checked


def check(name, got, want):
    if got == want:
        print("ok %s" % name)
    else:
        print("fail %s: want %r got %r" % (name, want[:80], got[:80]))


def read_all(sock):
    data = b""
    while True:
        b = sock.recv(65536)
        if not b:
            return data
        data += b


def demux(data):
    """Docker's 8-byte headers into (stdout, stderr); None if malformed."""
    out, err = b"", b""
    while data:
        if len(data) < 8 or data[0] not in (1, 2):
            return None
        n = int.from_bytes(data[4:8], "big")
        stream, chunk, data = data[0], data[8:8 + n], data[8 + n:]
        if len(chunk) != n:
            return None
        if stream == 1:
            out += chunk
        else:
            err += chunk
    return out, err


def attach_logs(api, cid, **kw):
    """attach(logs=True, stream=False), tried up to 3 times: docker-py
    reads the 101's headers through a buffered reader and then the raw
    socket, so output that arrives with the headers is lost to it (with
    dockerd as with berthd; berthd waits 20 ms to make it rare)."""
    got = b""
    for _ in range(3):
        got = api.attach(cid, logs=True, stream=False, **kw)
        if got:
            break
    return got


def main():
    c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="1.41")
    api = c.api
    ct = c.containers.run("busybox", ["sh", "-c", "echo hello-logs; "
                                      "echo to-stderr >&2; sleep 60"],
                          detach=True)
    for _ in range(50):
        if api.logs(ct.id) == b"hello-logs\nto-stderr\n":
            break
        time.sleep(0.1)
    cmd = ["sh", "-c", "printf %s " % BYTES.decode() + "; printf E >&2"]

    # exec without a TTY: demultiplexed by docker-py, and raw frames.
    e = api.exec_create(ct.id, cmd, tty=False)
    check("exec_start, no TTY, demux=True: every byte of each stream",
          api.exec_start(e["Id"], demux=True), (BYTES, b"E"))
    e = api.exec_create(ct.id, cmd, tty=False)
    check("exec_start, no TTY: stdout and stderr, every byte",
          api.exec_start(e["Id"]), BYTES + b"E")
    e = api.exec_create(ct.id, cmd, tty=False)
    got = read_all(api.exec_start(e["Id"], socket=True)._sock)
    check("exec_start(socket=True), no TTY: framed, every byte",
          demux(got), (BYTES, b"E"))

    # exec with a TTY: the framing follows the start request's Tty.
    e = api.exec_create(ct.id, cmd, tty=True)
    check("exec_start, TTY exec, start without tty: every byte",
          api.exec_start(e["Id"]), BYTES + b"E")
    check("exec_inspect: ProcessConfig.tty as created",
          api.exec_inspect(e["Id"])["ProcessConfig"]["tty"], True)
    e = api.exec_create(ct.id, cmd, tty=True)
    check("exec_start(tty=True), TTY exec: raw, every byte",
          api.exec_start(e["Id"], tty=True), BYTES + b"E")
    e = api.exec_create(ct.id, cmd, tty=True)
    got = read_all(api.exec_start(e["Id"], socket=True, tty=True)._sock)
    check("exec_start(socket=True, tty=True): raw, every byte", got,
          BYTES + b"E")
    e = api.exec_create(ct.id, cmd, tty=True)
    got = read_all(api.exec_start(e["Id"], socket=True)._sock)
    check("exec_start(socket=True), TTY exec, start without tty: framed",
          demux(got), (BYTES + b"E", b""))

    # attach with logs and no stream: the log so far, then the end.
    check("attach(logs=True, stream=False): the logs, then the end",
          attach_logs(api, ct.id), b"hello-logs\nto-stderr\n")
    check("attach(stdout only, logs=True, stream=False)",
          attach_logs(api, ct.id, stdout=True, stderr=False),
          b"hello-logs\n")
    ct.stop(timeout=0)
    check("attach(logs=True, stream=False) of a stopped container",
          attach_logs(api, ct.id), b"hello-logs\nto-stderr\n")
    ct.remove(force=True)


main()
