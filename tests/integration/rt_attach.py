#!/usr/bin/env python3
"""rt_attach.py - a hijacked attach, as the docker CLI makes it.

  rt_attach.py SOCK PATH [--stdin TEXT] [--keep-open SECS] [--raw]
               [--ready FILE] [--timeout SECS]

POSTs PATH with Connection/Upgrade headers, expects 101, then sends
TEXT (if any) and half-closes its side at once (as the CLI does when
its input ends; --keep-open delays that), reads until the daemon
closes, and prints what came: with 8-byte frames decoded as
"stdout: ..."/"stderr: ..." lines, or the bytes as they are with --raw.
--ready FILE is created once the 101 has arrived.  Exits 0 if the
daemon closed the stream, 2 on a timeout, 1 on a protocol error.
"""
import socket
import sys
import time


def main():
    a = sys.argv[1:]
    sock, path = a[0], a[1]
    opts = {"--stdin": None, "--keep-open": "0", "--ready": None,
            "--timeout": "20"}
    raw = False
    i = 2
    while i < len(a):
        if a[i] == "--raw":
            raw = True
            i += 1
            continue
        opts[a[i]] = a[i + 1]
        i += 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(float(opts["--timeout"]))
    s.sendall(("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
               "Connection: Upgrade\r\nUpgrade: tcp\r\n"
               "Content-Type: text/plain\r\n\r\n" % path).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            print("no response", file=sys.stderr)
            return 1
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n")[0].decode()
    if " 101 " not in status:
        print(status, file=sys.stderr)
        print(rest.decode(errors="replace"), file=sys.stderr)
        return 1
    if opts["--ready"]:
        open(opts["--ready"], "w").close()
    if opts["--stdin"] is not None:
        s.sendall(opts["--stdin"].encode().decode("unicode_escape").encode("latin-1"))
    keep = float(opts["--keep-open"])
    data = bytearray(rest)
    deadline = time.time() + keep
    half = False
    try:
        while True:
            if not half and time.time() >= deadline:
                s.shutdown(socket.SHUT_WR)
                half = True
            if not half:
                s.settimeout(max(0.01, deadline - time.time()))
            else:
                s.settimeout(float(opts["--timeout"]))
            try:
                b = s.recv(65536)
            except socket.timeout:
                if half:
                    raise
                continue
            if not b:
                break
            data.extend(b)
    except socket.timeout:
        sys.stdout.write(data.decode(errors="replace"))
        print("\ntimeout", file=sys.stderr)
        return 2
    if raw:
        sys.stdout.buffer.write(bytes(data))
        return 0
    p = 0
    while p + 8 <= len(data):
        st, n = data[p], int.from_bytes(data[p + 4:p + 8], "big")
        if data[p + 1:p + 4] != b"\0\0\0" or st not in (0, 1, 2):
            print("bad frame at %d" % p, file=sys.stderr)
            return 1
        name = {0: "stdin", 1: "stdout", 2: "stderr"}[st]
        for line in data[p + 8:p + 8 + n].decode(errors="replace").splitlines():
            print("%s: %s" % (name, line))
        p += 8 + n
    if p != len(data):
        print("trailing %d bytes" % (len(data) - p), file=sys.stderr)
        return 1
    return 0


sys.exit(main())
