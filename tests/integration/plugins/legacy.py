#!/usr/bin/env python3
"""legacy.py - a legacy Docker plugin for the tests, on a unix socket.

    legacy.py SOCKET LOG KIND [ARG]

KIND is what it implements:
  volume ROOT   a VolumeDriver keeping volumes as directories under ROOT;
                it refuses Remove ("volume is precious: never removed").
  authz         an AuthZPlugin denying DELETE /volumes/* ("volumes are
                not deleted here"), allowing everything else.
  network       a NetworkDriver and IpamDriver: pools from 10.123.0.0/16,
                addresses in order, a veth pair per endpoint made with
                ip(8) (the plugin's own business), no external
                connectivity methods (404, as a minimal plugin).
Every call is appended to LOG as one JSON line {"path": ..., "body": ...},
so a test can see exactly what berthd sent.
"""
import json
import os
import re
import socketserver
import subprocess
import sys
from http.server import BaseHTTPRequestHandler

SOCK, LOG, KIND = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = sys.argv[4] if len(sys.argv) > 4 else None
created = {}
# Volumes outlive the process, as a real plugin's would.
if ROOT and os.path.isdir(ROOT):
    created = {n: None for n in os.listdir(ROOT)}


def log(path, body, headers):
    with open(LOG, "a") as f:
        f.write(json.dumps({"path": path, "body": body,
                            "accept": headers.get("Accept"),
                            "ctype": headers.get("Content-Type")}) + "\n")


def volume(method, req):
    name = req.get("Name", "")
    if method == "VolumeDriver.Capabilities":
        return {"Capabilities": {"Scope": "global"}}
    if method == "VolumeDriver.Create":
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            return {"Err": "bad name"}
        os.makedirs(os.path.join(ROOT, name), exist_ok=True)
        created[name] = req.get("Opts")
        return {"Err": ""}
    if method == "VolumeDriver.Remove":
        return {"Err": "volume is precious: never removed"}
    if method in ("VolumeDriver.Get", "VolumeDriver.Path",
                  "VolumeDriver.Mount"):
        if name not in created:
            return {"Err": "no such volume"}
        mp = os.path.join(ROOT, name)
        if method == "VolumeDriver.Get":
            return {"Volume": {"Name": name, "Mountpoint": mp,
                               "Status": {"opts": created[name]}},
                    "Err": ""}
        return {"Mountpoint": mp, "Err": ""}
    if method == "VolumeDriver.Unmount":
        return {"Err": ""}
    if method == "VolumeDriver.List":
        return {"Volumes": [{"Name": n, "Mountpoint":
                             os.path.join(ROOT, n)} for n in created],
                "Err": ""}
    return None


pools = {}
endpoints = {}


def network(method, req):
    if method == "NetworkDriver.GetCapabilities":
        return {"Scope": "local", "ConnectivityScope": "local"}
    if method in ("NetworkDriver.CreateNetwork", "NetworkDriver.DeleteNetwork",
                  "NetworkDriver.DeleteEndpoint"):
        return {}
    if method == "NetworkDriver.CreateEndpoint":
        endpoints[req["EndpointID"]] = req["Interface"]["Address"]
        return {"Interface": {}}
    if method == "NetworkDriver.EndpointOperInfo":
        return {"Value": {"plugin": "pnet"}}
    if method == "NetworkDriver.Join":
        eid = req["EndpointID"][:8]
        subprocess.run(["ip", "link", "add", "pn" + eid, "type", "veth",
                        "peer", "name", "pc" + eid], check=True)
        subprocess.run(["ip", "link", "set", "pn" + eid, "up"], check=True)
        return {"InterfaceName": {"SrcName": "pc" + eid, "DstPrefix": "eth"},
                "Gateway": "", "StaticRoutes": [
                    {"Destination": "10.200.0.0/16", "RouteType": 1,
                     "NextHop": ""}]}
    if method == "NetworkDriver.Leave":
        subprocess.run(["ip", "link", "del", "pn" + req["EndpointID"][:8]])
        return {}
    if method == "IpamDriver.GetCapabilities":
        return {"RequiresMACAddress": False}
    if method == "IpamDriver.GetDefaultAddressSpaces":
        return {"LocalDefaultAddressSpace": "plocal",
                "GlobalDefaultAddressSpace": "pglobal"}
    if method == "IpamDriver.RequestPool":
        pid = "pool%d" % (len(pools) + 1)
        pools[pid] = 2
        net = "10.123.%d" % len(pools)
        return {"PoolID": pid, "Pool": net + ".0/24",
                "Data": {"com.docker.network.gateway": net + ".1/24"}}
    if method == "IpamDriver.RequestAddress":
        if req["PoolID"] not in pools:
            return {"Error": "no such pool"}
        n = pools[req["PoolID"]]
        pools[req["PoolID"]] = n + 1
        return {"Address": "10.123.%s.%d/24" % (req["PoolID"][4:], n),
                "Data": {}}
    if method in ("IpamDriver.ReleaseAddress", "IpamDriver.ReleasePool"):
        return {}
    return None


def authz(method, req):
    if method not in ("AuthZPlugin.AuthZReq", "AuthZPlugin.AuthZRes"):
        return None
    uri = req.get("RequestUri", "")
    if req.get("RequestMethod") == "DELETE" and \
            re.match(r"^(/v[0-9.]+)?/volumes/", uri):
        return {"Allow": False, "Msg": "volumes are not deleted here"}
    return {"Allow": True}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        req = json.loads(raw) if raw.strip() else None
        method = self.path.lstrip("/")
        log(self.path, req, self.headers)
        if method == "Plugin.Activate":
            out = {"Implements": {
                "volume": ["VolumeDriver"], "authz": ["authz"],
                "network": ["NetworkDriver", "IpamDriver"]}[KIND]}
        elif KIND == "volume":
            out = volume(method, req or {})
        elif KIND == "network":
            out = network(method, req or {})
        else:
            out = authz(method, req or {})
        status = 200
        if out is None:
            status, out = 404, {"Err": "unknown method " + method}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type",
                         "application/vnd.docker.plugins.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
os.makedirs(os.path.dirname(SOCK), exist_ok=True)
Server(SOCK, Handler).serve_forever()
