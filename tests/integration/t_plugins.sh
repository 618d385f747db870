#!/bin/bash
# t_plugins.sh - Docker's legacy (v1) plugins through plugin-proxy, with
# the real docker CLI: a volume plugin on a unix socket found after
# berthd started, used by containers and refusing removal; discovery by
# spec file; the wire format dockerd uses; a missing plugin; a dead
# plugin failing fast and working again once back; an authorization
# plugin given by --authorization-plugin that denies DELETE /volumes/*.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

for m in plugin-proxy volumes volume-local networks net-bridge; do
	if [ ! -f "$MODULE_DIR/$m.so" ]; then
		fail "modules" "$m.so must be built"
		exit 1
	fi
done
PLUGIN=$TESTS_DIR/plugins/legacy.py
PDIR=$T_TMP/plugins
SPECDIR=$T_TMP/spec
mkdir -p "$PDIR" "$SPECDIR"
PP_CONF="      socket-dir: $PDIR
      spec-dirs: [$SPECDIR]
      lookup-timeout: 3
      privileges:
        network: [host]
        mount: [$T_TMP/hostdata]
        capabilities: [CAP_SYS_ADMIN]
      timeouts:
        VolumeDriver.List: 10
        pvol/VolumeDriver.Mount: 30"

# plugin NAME SOCKET KIND [ARG] - start legacy.py; P_PID is its pid.
plugin()
{
	python3 "$PLUGIN" "$2" "$T_TMP/$1.log" "$3" ${4:+"$4"} \
	    >>"$T_TMP/$1.out" 2>&1 &
	P_PID=$!
	track_pid "$P_PID"
}

# calls NAME - the methods plugin NAME was sent, one per line.
calls()
{
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["path"].lstrip("/"))' "$T_TMP/$1.log" 2>/dev/null
}

# sent NAME METHOD FIELD - a field of the last METHOD body NAME got.
sent()
{
	python3 -c 'import json, sys
v = None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["path"] == "/" + sys.argv[2]:
        v = e
print(json.dumps(v[sys.argv[3]] if v else "none"))' "$T_TMP/$1.log" "$2" "$3"
}

busybox_daemon -m plugin-proxy -c "$PP_CONF" -m volume-local -m volumes \
    -m net-bridge -m networks

# --- a volume plugin that appears after berthd ------------------------------

plugin pvol "$PDIR/pvol.sock" volume "$T_TMP/pvol-data"
VOL_PID=$P_PID
assert_eq "docker volume create -d pvol v1" \
    "$(dk volume create -d pvol v1 2>&1)" v1
assert_eq "the plugin was activated first, then asked for the volume" \
    "$(calls pvol | head -n 3 | tr '\n' ' ')" \
    "Plugin.Activate VolumeDriver.Capabilities VolumeDriver.Create "
assert_eq "Create's body is dockerd's (Opts null without -o)" \
    "$(sent pvol VolumeDriver.Create body)" '{"Name": "v1", "Opts": null}'
assert_eq "Accept: the plugin protocol's media type, v1.2" \
    "$(sent pvol VolumeDriver.Create accept)" \
    '"application/vnd.docker.plugins.v1.2+json"'
assert_eq "no Content-Type on plugin calls, as dockerd" \
    "$(sent pvol VolumeDriver.Create ctype)" null
assert_match "docker volume ls lists it with its driver" \
    "$(dk volume ls 2>&1)" '^pvol +v1$'
assert_eq "docker volume inspect: driver, the plugin's scope, its Status" \
    "$(dk volume inspect -f '{{.Driver}} {{.Scope}} {{json .Status}}' v1 2>&1)" \
    'pvol global {"opts":null}'

OUT=$(dk run --rm -v v1:/data busybox sh -c 'echo written > /data/f; cat /data/f' 2>&1)
assert_eq "a container mounts it and writes to it" "$OUT" written
assert_eq "the data is in the plugin's own directory" \
    "$(cat "$T_TMP/pvol-data/v1/f" 2>&1)" written
ID=$(sent pvol VolumeDriver.Mount body | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
assert_match "Mount carries a 64-hex mount ID" "$ID" '^[0-9a-f]{64}$'
assert_eq "Unmount names the same ID" \
    "$(sent pvol VolumeDriver.Unmount body | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')" "$ID"

OUT=$(dk volume rm v1 2>&1)
assert_contains "docker volume rm v1 fails with the plugin's message" "$OUT" \
    "remove v1: VolumeDriver.Remove: volume is precious: never removed"
assert_match "and v1 is still listed" "$(dk volume ls -q 2>&1)" '^v1$'

# -o reaches the plugin; --volume-driver names the driver on run.
dk volume create -d pvol -o size=1g v2 >/dev/null 2>&1
assert_eq "-o size=1g arrives as Opts" \
    "$(sent pvol VolumeDriver.Create body)" '{"Name": "v2", "Opts": {"size": "1g"}}'
OUT=$(dk run --rm --volume-driver pvol -v v3:/d busybox sh -c 'echo 3 > /d/f' 2>&1)
assert_eq "run --volume-driver pvol -v v3:/d makes v3 with pvol" \
    "$OUT$(dk volume inspect -f '{{.Driver}}' v3 2>&1)" pvol

# A volume the plugin has and berthd never made: listed, as dockerd does.
mkdir -p "$T_TMP/pvol-data/other"
OUT=$(curl -s --unix-socket "$PDIR/pvol.sock" -X POST \
    -d '{"Name":"other"}' http://p/VolumeDriver.Create)
assert_match "docker volume ls asks the plugin's List" \
    "$(dk volume ls 2>&1)" '^pvol +other$'

assert_match "docker info lists pvol among the volume plugins" \
    "$(dk info -f '{{json .Plugins.Volume}}' 2>&1)" '"pvol"'

# --- spec files, a missing plugin ------------------------------------------------

plugin pspec "$T_TMP/elsewhere.sock" volume "$T_TMP/pspec-data"
echo "unix://$T_TMP/elsewhere.sock" >"$SPECDIR/pspec.spec"
assert_eq "a plugin found by its .spec file" \
    "$(dk volume create -d pspec s1 2>&1)" s1
printf '{"Name":"pjson","Addr":"unix://%s"}\n' "$T_TMP/elsewhere.sock" \
    >"$SPECDIR/pjson.json"
assert_eq "a plugin found by its .json file" \
    "$(dk volume create -d pjson j1 2>&1)" j1
echo "ftp://nowhere" >"$SPECDIR/pbad.spec"
assert_contains "a spec file without a known scheme: Docker's error" \
    "$(dk volume create -d pbad b1 2>&1)" "Unknown protocol"

t0=$(date +%s%N)
OUT=$(dk volume create -d nope n1 2>&1)
t1=$(date +%s%N)
assert_contains "no such plugin: Docker's message" "$OUT" \
    'error looking up volume plugin nope: plugin "nope" not found'
assert_match "it was waited for (lookup-timeout 3 s), not longer" \
    "$(( (t1 - t0) / 1000000 ))" '^(2[5-9][0-9][0-9]|3[0-9][0-9][0-9]|4[0-4][0-9][0-9])$'
assert_no_match "and no volume n1 was left" "$(dk volume ls -q)" '^n1$'
req GET /_ping
assert_eq "/_ping answered meanwhile" "$STATUS" 200
OUT=$(dk volume create -d ../x n2 2>&1)
assert_contains "a plugin name that is a path is not looked up" "$OUT" \
    "not found"

# docker info finds and activates every plugin there is, as dockerd.
plugin pscan "$PDIR/pscan.sock" volume "$T_TMP/pscan-data"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S "$PDIR/pscan.sock" ] && break
	sleep 0.2
done
sleep 2		# one scan every 2 s at most
dk info >/dev/null 2>&1
OUT=""
for _ in $(seq 1 20); do
	OUT=$(dk info -f '{{json .Plugins.Volume}}' 2>&1)
	case $OUT in *'"pscan"'*) break ;; esac
	sleep 0.2
done
assert_contains "docker info activates a plugin nobody asked for yet" "$OUT" '"pscan"'
assert_eq "it was sent Plugin.Activate" "$(calls pscan | head -n 1)" Plugin.Activate

# --- a plugin that dies, then comes back ---------------------------------------

kill "$VOL_PID"
wait "$VOL_PID" 2>/dev/null
t0=$(date +%s%N)
OUT=$(dk run --rm -v v1:/data busybox true 2>&1)
t1=$(date +%s%N)
assert_contains "with the plugin dead, a run names it as unavailable" "$OUT" \
    "VolumeDriver.Mount: plugin pvol is not available: cannot connect to unix://$PDIR/pvol.sock"
t2=$(date +%s%N)
OUT=$(dk run --rm -v v1:/data busybox true 2>&1)
t3=$(date +%s%N)
assert_contains "the next call fails the same way" "$OUT" \
    "plugin pvol is not available"
assert_eq "after one wait (~3 s), calls fail fast (< 1 s)" \
    "$([ $(( (t1 - t0) / 1000000 )) -ge 2500 ] && [ $(( (t3 - t2) / 1000000 )) -lt 1000 ] && echo yes)" yes
rm -f "$PDIR/pvol.sock"
plugin pvol "$PDIR/pvol.sock" volume "$T_TMP/pvol-data"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S "$PDIR/pvol.sock" ] && break
	sleep 0.2
done
OUT=$(dk run --rm -v v2:/data busybox sh -c 'echo back > /data/f; cat /data/f' 2>&1)
assert_eq "the plugin back: volumes work again, berthd untouched" "$OUT" back

# --- a network and IPAM plugin ----------------------------------------------------

plugin pnet "$PDIR/pnet.sock" network
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S "$PDIR/pnet.sock" ] && break
	sleep 0.2
done
check "docker network create -d pnet --ipam-driver pnet n1" \
    dk network create -d pnet --ipam-driver pnet n1
assert_eq "inspect: the plugin's drivers and the pool it chose" \
    "$(dk network inspect -f '{{.Driver}} {{.IPAM.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' n1 2>&1)" \
    "pnet pnet 10.123.1.0/24 10.123.1.1"
OUT=$(dk run --rm --network n1 busybox sh -c 'ip -4 -o addr show eth0; ip route' 2>&1)
assert_match "a container on it has the plugin's address on eth0" "$OUT" \
    'eth0 +inet 10\.123\.1\.2/24'
assert_match "and the plugin's static route (connected)" "$OUT" \
    '^10\.200\.0\.0/16 dev eth0'
check "docker network rm n1" dk network rm n1
assert_eq "the plugin was driven in Docker's order" \
    "$(calls pnet | grep -v Capabilities | tr '\n' ' ')" \
    "Plugin.Activate IpamDriver.GetDefaultAddressSpaces IpamDriver.RequestPool NetworkDriver.CreateNetwork IpamDriver.RequestAddress NetworkDriver.CreateEndpoint NetworkDriver.Join NetworkDriver.ProgramExternalConnectivity NetworkDriver.RevokeExternalConnectivity NetworkDriver.Leave NetworkDriver.DeleteEndpoint IpamDriver.ReleaseAddress NetworkDriver.DeleteNetwork IpamDriver.ReleasePool "
assert_eq "RequestPool's body is dockerd's" \
    "$(sent pnet IpamDriver.RequestPool body)" \
    '{"AddressSpace": "plocal", "Pool": "", "SubPool": "", "Options": {}, "V6": false}'
assert_eq "ReleaseAddress gives back the plain address" \
    "$(sent pnet IpamDriver.ReleaseAddress body)" \
    '{"PoolID": "pool1", "Address": "10.123.1.2"}'
assert_eq "Leave reached the plugin: its veth is gone" \
    "$(ip -o link show | grep -c ' pn[0-9a-f]\{8\}')" 0
assert_match "docker info lists pnet among the network plugins" \
    "$(dk info -f '{{json .Plugins.Network}}' 2>&1)" '"pnet"'
assert_eq "docker info lists the log drivers containers may use" \
    "$(dk info -f '{{json .Plugins.Log}}' 2>&1)" '["json-file","none"]'

# --- a managed plugin: built here, run as a container ------------------------------

PVOLD=$BUILD_DIR/tests/plugins/pvold
M=$T_TMP/mplug
mkdir -p "$M" "$T_TMP/hostdata"
cp -a "$ROOTFS" "$M/rootfs"
cp "$PVOLD" "$M/rootfs/pvold"
# Keys in any case, as authors write them; inspect shows Docker's.
cat >"$M/config.json" <<EOF
{"description": "berth test volume plugin",
 "documentation": "https://example.invalid/pvold",
 "entrypoint": ["/pvold"],
 "interface": {"types": ["docker.volumedriver/1.0"], "socket": "pvold.sock"},
 "network": {"type": "host"},
 "propagatedMount": "/data",
 "mounts": [{"name": "hostdata", "settable": ["source"],
   "source": "$T_TMP/hostdata", "destination": "/hostdata", "type": "bind",
   "options": ["rbind", "rw"]}],
 "env": [{"name": "DEBUG", "settable": ["value"], "value": "0"}],
 "linux": {"capabilities": ["CAP_SYS_ADMIN"]}}
EOF
SINCE=$(date +%s)
assert_eq "docker plugin create mvol DIR" "$(dk plugin create mvol "$M" 2>&1)" mvol
assert_match "docker plugin ls: mvol:latest, disabled" \
    "$(dk plugin ls 2>&1)" '^[0-9a-f]{12} +mvol:latest +berth test volume plugin +false$'
assert_eq "docker plugin inspect: its Manifest, as Docker spells it" \
    "$(dk plugin inspect -f '{{.Config.Interface.Socket}} {{.Config.PropagatedMount}} {{.Config.Network.Type}} {{index .Config.Linux.Capabilities 0}} {{(index .Settings.Mounts 0).Source}} {{.Settings.Env}}' mvol 2>&1)" \
    "pvold.sock /data host CAP_SYS_ADMIN $T_TMP/hostdata [DEBUG=0]"
OUT=$(dk plugin create mvol "$M" 2>&1)
assert_contains "a second create of the name: refused" "$OUT" "already exists"
OUT=$(dk volume create -d mvol early 2>&1)
assert_contains "a disabled plugin is not a driver" "$OUT" "disabled"
check "docker plugin set DEBUG=1 while disabled" dk plugin set mvol DEBUG=1
check "docker plugin set hostdata.source=/etc" dk plugin set mvol hostdata.source=/etc
OUT=$(dk plugin enable mvol 2>&1)
assert_contains "engine.yaml's privilege policy refuses the mount, naming it" \
    "$OUT" "asks for privilege mount: /etc, which the plugin policy"
check "set it back" dk plugin set mvol "hostdata.source=$T_TMP/hostdata"
check "docker plugin enable mvol" dk plugin enable mvol
assert_match "ls: enabled" "$(dk plugin ls 2>&1)" 'mvol:latest +berth test volume plugin +true$'
OUT=$(dk plugin set mvol DEBUG=2 2>&1)
assert_contains "set on an enabled plugin: Docker's refusal" "$OUT" \
    "cannot set on an active plugin"
OUT=$(dk plugin enable mvol 2>&1)
assert_contains "enable again: 409" "$OUT" "plugin mvol:latest is enabled"
assert_contains "the plugin got its settings (DEBUG=1)" \
    "$(cat "$B_DIR"/exec/plugins/*/log.json 2>/dev/null)" "DEBUG=1"

assert_eq "a volume through it" "$(dk volume create -d mvol mv1 2>&1)" mv1
assert_eq "used by a container" \
    "$(dk run --rm -v mv1:/d busybox sh -c 'echo managed > /d/f; cat /d/f' 2>&1)" managed
assert_eq "the data is in the plugin's propagated mount, on the host" \
    "$(cat "$B_DIR"/data/plugins/*/propagated-mount/mv1/f 2>&1)" managed
check "the plugin used the host directory it asked to mount" \
    test -f "$T_TMP/hostdata/created-mv1"
assert_match "docker info lists mvol:latest among the volume plugins" \
    "$(dk info -f '{{json .Plugins.Volume}}' 2>&1)" '"mvol:latest"'

HOLDER=$(dk run -d -v mv1:/d busybox sleep 300)
OUT=$(dk plugin disable mvol 2>&1)
assert_contains "disable refused while a container has its volume" "$OUT" \
    "plugin mvol:latest is in use"

# Its process killed: calls fail fast, the supervisor brings it back.
kill -KILL $(pgrep -f '^/pvold') 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "mvol:latest exited" "$B_LOG" && break
	sleep 0.1
done
t0=$(date +%s%N)
OUT=$(dk run --rm -v mv1:/d busybox true 2>&1)
t1=$(date +%s%N)
assert_contains "with its process dead, a mount fails naming why" "$OUT" \
    "plugin mvol:latest is not running"
assert_eq "and fails fast (< 1 s)" \
    "$([ $(( (t1 - t0) / 1000000 )) -lt 1000 ] && echo yes)" yes
for _ in $(seq 1 40); do
	[ "$(grep -c 'mvol:latest is up' "$B_LOG")" -ge 2 ] && break
	sleep 0.1
done
assert_eq "restarted by the supervisor: volumes work again" \
    "$(dk run --rm -v mv1:/d busybox cat /d/f 2>&1)" managed

dk rm -f "$HOLDER" >/dev/null 2>&1
check "docker plugin disable, the volume no longer in use" dk plugin disable mvol
OUT=$(dk run --rm -v mv1:/d busybox true 2>&1)
assert_contains "a disabled plugin's volume cannot be mounted" "$OUT" "disabled"

assert_eq "plugin events: create, enable, disable" \
    "$(dk events --since "$SINCE" --until "$(( $(date +%s) + 1 ))" --filter type=plugin --format '{{.Action}}' | tr '\n' ' ')" \
    "create enable disable "

# --- a plugin volume across a restart of berthd ----------------------------------

check "enable it again" dk plugin enable mvol
KEEPER=$(dk run -d --restart=always -v mv1:/d busybox sh -c 'cat /d/f > /d/seen; sleep 300')
berth_stop
# As after a reboot: neither the plugin nor the container survived.
kill -KILL $(pgrep -f '^/pvold') $(pgrep -f 'sleep 300') 2>/dev/null
PROP=$(echo "$B_DIR"/data/plugins/*/propagated-mount)
rm -f "$PROP/mv1/seen"
sleep 0.5
SINCE2=$(date +%s)
berth_exec
wait_ping "$B_SOCK" 10 || fail "berthd came back" "$(tail "$B_LOG")"
for _ in $(seq 1 50); do
	[ "$(dk inspect -f '{{.State.Running}}' "$KEEPER" 2>/dev/null)" = true ] &&
	    [ -f "$PROP/mv1/seen" ] && break
	sleep 0.2
done
assert_eq "restarted: the --restart=always container runs with its plugin volume" \
    "$(dk inspect -f '{{.State.Running}}' "$KEEPER" 2>&1) $(cat "$PROP/mv1/seen" 2>&1)" \
    "true managed"
dk rm -f "$KEEPER" >/dev/null 2>&1

OUT=$(dk plugin rm mvol 2>&1)
assert_contains "rm of an enabled plugin: refused" "$OUT" "plugin mvol:latest is enabled"
check "docker plugin rm -f" dk plugin rm -f mvol
assert_eq "ls: nothing left" "$(dk plugin ls -q 2>&1)" ""
assert_eq "nothing left on disk" "$(ls "$B_DIR/data/plugins")" ""
assert_eq "a plugin event for the remove, with its name" \
    "$(dk events --since "$SINCE2" --until "$(( $(date +%s) + 1 ))" --filter type=plugin --format '{{.Action}} {{.Actor.Attributes.name}}' | tr '\n' ' ')" \
    "remove mvol:latest "
assert_eq "a name with a namespace and a tag" \
    "$(dk plugin create berth/mvol:v1 "$M" 2>&1)" berth/mvol:v1
assert_eq "inspect finds it by that name" \
    "$(dk plugin inspect -f '{{.Name}} {{.Enabled}}' berth/mvol:v1 2>&1)" \
    "berth/mvol:v1 false"
OUT=$(dk plugin create Berth/Up "$M" 2>&1)
assert_contains "an upper-case name: Docker's refusal" "$OUT" \
    "must be lowercase"
check "rm berth/mvol:v1" dk plugin rm berth/mvol:v1
tar -C "$M" -cf "$T_TMP/mplug.tar" config.json
req POST "/v1.41/plugins/create?name=Up" -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/mplug.tar"
assert_json_error "the API refuses an upper-case name too, after the body" \
    400 "must be lowercase"
req POST "/v1.41/plugins/create?name=norootfs" \
    -H 'Content-Type: application/x-tar' --data-binary "@$T_TMP/mplug.tar"
assert_eq "an archive with a config and no rootfs/ makes an empty rootfs" \
    "$STATUS $(dk plugin ls --format '{{.Name}}' 2>&1)" "204 norootfs:latest"
tar -cf "$T_TMP/evil.tar" -C "$M" config.json --transform 's|^|rootfs/../../|' 2>/dev/null
req POST "/v1.41/plugins/create?name=evil" -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/evil.tar"
assert_json_error "an entry climbing out of rootfs/ is refused" 400 "invalid path"
check "rm norootfs" dk plugin rm norootfs

# --- an authorization plugin ---------------------------------------------------------

AUTHZ_SOCK=$PDIR/pauthz.sock
plugin pauthz "$AUTHZ_SOCK" authz
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S "$AUTHZ_SOCK" ] && break
	sleep 0.2
done
berth_stop
berth_exec --authorization-plugin pauthz
wait_ping "$B_SOCK" 5 || fail "berthd with --authorization-plugin" "$(tail "$B_LOG")"
dk volume create keep >/dev/null 2>&1
OUT=$(dk volume rm keep 2>&1)
assert_contains "docker volume rm denied with Docker's message" "$OUT" \
    "authorization denied by plugin pauthz: volumes are not deleted here"
assert_match "the volume is still there" "$(dk volume ls -q 2>&1)" '^keep$'
assert_eq "docker info lists the authorization plugin" \
    "$(dk info -f '{{json .Plugins.Authorization}}' 2>&1)" '["pauthz"]'
req DELETE "/v1.41/%76olumes/keep"
assert_json_error "an escaped path is denied too" 403 "pauthz"
assert_eq "AuthZReq carries the peer's uid (SO_PEERCRED)" \
    "$(sent pauthz AuthZPlugin.AuthZReq body | python3 -c 'import json,sys; print(json.load(sys.stdin).get("RequestPeerUid"))')" \
    "$(id -u)"
assert_eq "and the RequestUri the router routed" \
    "$(sent pauthz AuthZPlugin.AuthZReq body | python3 -c 'import json,sys; print(json.load(sys.stdin)["RequestUri"])')" \
    "/v1.41/volumes/keep"

req POST /v1.41/volumes/create -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary '{"Name":"chunky"}'
B64=$(sent pauthz AuthZPlugin.AuthZReq body | python3 -c 'import json,sys; print(json.load(sys.stdin).get("RequestBody"))')
assert_eq "a chunked JSON body is shown to the plugin, de-chunked" \
    "$STATUS $(printf '%s' "$B64" | base64 -d 2>/dev/null)" '201 {"Name":"chunky"}'
assert_eq "AuthZRes saw the response status" \
    "$(sent pauthz AuthZPlugin.AuthZRes body | python3 -c 'import json,sys; print(json.load(sys.stdin).get("ResponseStatusCode"))')" 201
req POST /v1.41/volumes/create -H 'Content-Type: application/json'
assert_eq "an empty body: checked (no RequestBody), allowed" \
    "$STATUS $(sent pauthz AuthZPlugin.AuthZReq body | python3 -c 'import json,sys; print("RequestBody" in json.load(sys.stdin))')" \
    "201 False"
python3 -c 'import sys
sys.stdout.write("{\"Name\":\"" + "x" * (5 << 20) + "\"}")' >"$T_TMP/5m.json"
req POST /v1.41/volumes/create -H 'Content-Type: application/json' \
    --data-binary "@$T_TMP/5m.json"
assert_match "a body over the bound is refused, never let through" \
    "$STATUS" '^(403|413)$'

kill "$P_PID"
wait "$P_PID" 2>/dev/null
OUT=$(dk volume ls 2>&1)
assert_contains "with the authz plugin dead, requests fail closed" "$OUT" \
    "plugin pauthz failed with error"
t0=$(date +%s%N)
OUT=$(dk volume ls 2>&1)
t1=$(date +%s%N)
assert_eq "and fast once it is known dead (< 1 s)" \
    "$([ $(( (t1 - t0) / 1000000 )) -lt 1000 ] && echo yes)" yes
