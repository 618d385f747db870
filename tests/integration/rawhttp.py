#!/usr/bin/env python3
"""rawhttp.py - raw HTTP clients for what curl cannot do.

  rawhttp.py big-header SOCK BYTES          a header of BYTES bytes
  rawhttp.py big-body SOCK PATH BYTES [chunked]
                                            a JSON body of BYTES bytes
  rawhttp.py raw SOCK                       send stdin as is
  rawhttp.py hold SOCK N READYFILE          N connections that sent half
                                            a request line, until killed

The first three print the response the daemon sent (head and up to
2 KiB of body), or "no response".  Sending and reading run at the same
time: a daemon that answers early and stops reading must not deadlock
the client, and its answer must still be read after a broken pipe.
"""
import resource
import signal
import socket
import sys
import threading
import time

CHUNK = 1 << 20


def connect(spec):
    if spec.startswith("tcp:"):
        host, port = spec[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec)
    return s


def exchange(spec, pieces, timeout=20):
    """Send the byte strings of iterable pieces while reading."""
    s = connect(spec)
    got = bytearray()

    def reader():
        s.settimeout(timeout)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got.extend(b)
        except OSError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent = 0
    try:
        for p in pieces:
            s.sendall(p)
            sent += len(p)
            if not t.is_alive():
                break
    except OSError:
        pass
    t.join(timeout)
    s.close()
    if not got:
        print("no response (sent %d bytes)" % sent)
        return
    head, _, body = bytes(got).partition(b"\r\n\r\n")
    sys.stdout.write(head.decode("latin-1") + "\n\n")
    sys.stdout.write(body[:2048].decode("latin-1") + "\n")
    sys.stderr.write("sent %d bytes\n" % sent)


def repeat(total, byte=b"a"):
    block = byte * CHUNK
    while total > 0:
        n = min(total, CHUNK)
        yield block[:n]
        total -= n


def big_header(spec, nbytes):
    def gen():
        yield b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: "
        yield from repeat(nbytes)
        yield b"\r\n\r\n"
    exchange(spec, gen())


def big_body(spec, path, nbytes, chunked):
    def gen():
        head = "POST %s HTTP/1.1\r\nHost: x\r\n" % path
        head += "Content-Type: application/json\r\n"
        if chunked:
            head += "Transfer-Encoding: chunked\r\n\r\n"
        else:
            head += "Content-Length: %d\r\n\r\n" % (nbytes + 2)
        yield head.encode()
        # A string value of nbytes: valid JSON, if anyone parses it.
        body = repeat(nbytes)
        first = True
        for b in body:
            if first:
                b = b'"' + b[1:]
                first = False
            if chunked:
                yield b"%x\r\n" % len(b) + b + b"\r\n"
            else:
                yield b
        tail = b'"}'
        if chunked:
            yield b"%x\r\n" % len(tail) + tail + b"\r\n0\r\n\r\n"
        else:
            yield tail
    exchange(spec, gen())


def raw(spec):
    data = sys.stdin.buffer.read()
    exchange(spec, [data], timeout=5)


def hold(spec, n, ready):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    conns = []
    for _ in range(n):
        s = connect(spec)
        s.sendall(b"GET /_pi")
        conns.append(s)
    with open(ready, "w") as f:
        f.write("%d\n" % len(conns))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        time.sleep(3600)


def main(argv):
    cmd = argv[1]
    if cmd == "big-header":
        big_header(argv[2], int(argv[3]))
    elif cmd == "big-body":
        big_body(argv[2], argv[3], int(argv[4]),
                 len(argv) > 5 and argv[5] == "chunked")
    elif cmd == "raw":
        raw(argv[2])
    elif cmd == "hold":
        hold(argv[2], int(argv[3]), argv[4])
    else:
        sys.exit("usage: see the top of " + argv[0])


if __name__ == "__main__":
    main(sys.argv)
