#!/bin/bash
# t_networks.sh - networks through the real docker CLI and plain HTTP:
# the predefined bridge, host and none; user bridge networks with
# --subnet, --gateway, --ip-range, -o, --label, --internal; their Linux
# bridges and gateway addresses; Docker's statuses and words for bad
# input with nothing half-made left; ls filters; prune; network events;
# records and bridges that survive a kill -9 and a lost bridge.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MODULE_DIR/networks.so" ] || [ ! -f "$MODULE_DIR/net-bridge.so" ]; then
	fail "modules" "networks.so and net-bridge.so must be built"
	exit 1
fi

# The default bridge gets a name of this test's own, so that nothing
# here touches a berth0 (or docker0) another daemon uses.
BR=bt$$
BR=${BR:0:15}
T_LINKS="$BR"
berth_start "log-level: info
authorization-plugins: [noop]
modules:
  - name: authz-noop
    required: true
  - name: net-bridge
    required: true
  - name: networks
    required: true
    config:
      bridge: $BR" || exit 1
T0=$(date +%s.%N)

# brt_links - the user networks' bridges (brt-*) now on the host.
brt_links()
{
	ip -o link show | awk -F': ' '$2 ~ /^brt-/ { sub(/@.*/, "", $2); print $2 }' | sort
}
# bridge_of ID - the Linux bridge of a user network.
bridge_of()
{
	echo "brt-${1:0:11}"
}
# addr_of LINK - its IPv4 address/prefix.
addr_of()
{
	ip -4 -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }'
}
LINKS0=$(brt_links)

# --- predefined networks -------------------------------------------------------

assert_eq "network ls: bridge, host and none" \
    "$(dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}' 2>&1 | sort)" \
    "bridge bridge local
host host local
none null local"
OUT=$(dk network inspect -f '{{index .Options "com.docker.network.bridge.name"}} {{index .Options "com.docker.network.bridge.default_bridge"}} {{.IPAM.Driver}}' bridge 2>&1)
assert_eq "bridge: its own Linux bridge, the default, IPAM default" "$OUT" \
    "$BR true default"
SUB=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge)
GW=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' bridge)
assert_match "bridge: one of Docker's default pools ($SUB)" "$SUB" \
    '^(172\.(1[7-9]|2[0-9]|3[01])\.0\.0/16|192\.168\.[0-9]+\.0/20)$'
assert_eq "bridge: gateway $GW/${SUB#*/} on $BR" "$(addr_of "$BR")" \
    "$GW/${SUB#*/}"
assert_match "bridge: $BR is up" "$(ip -o link show dev "$BR")" '[<,]UP[,>]'
assert_eq "host and none have no addresses" \
    "$(dk network inspect -f '{{.Name}}:{{len .IPAM.Config}}' host none | tr '\n' ' ')" \
    "host:0 none:0 "

# --- a user network with everything given ---------------------------------------

N1=$(dk network create --subnet 10.201.0.0/24 --gateway 10.201.0.254 \
    --ip-range 10.201.0.128/25 --label team=a --internal --attachable \
    -o com.docker.network.driver.mtu=1400 n1 2>&1)
assert_match "network create n1 prints its ID" "$N1" '^[0-9a-f]{64}$'
OUT=$(dk network inspect -f '{{.Name}} {{.Driver}} {{.Internal}} {{.Attachable}} {{.Labels.team}} {{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.Gateway}}{{end}}' n1 2>&1)
assert_eq "inspect n1" "$OUT" \
    "n1 bridge true true a 10.201.0.0/24 10.201.0.128/25 10.201.0.254"
assert_eq "inspect by ID prefix" \
    "$(dk network inspect -f '{{.Name}}' "${N1:0:5}" 2>&1)" n1
B1=$(bridge_of "$N1")
T_LINKS="$T_LINKS $B1"
assert_eq "n1: bridge $B1 with the gateway" "$(addr_of "$B1")" \
    10.201.0.254/24
assert_match "n1: bridge MTU 1400" "$(ip -o link show dev "$B1")" 'mtu 1400 '

N2=$(dk network create n2 2>&1)
assert_match "network create n2 (no subnet)" "$N2" '^[0-9a-f]{64}$'
B2=$(bridge_of "$N2")
T_LINKS="$T_LINKS $B2"
SUB2=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' n2)
GW2=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' n2)
assert_match "n2: the next free default pool ($SUB2)" "$SUB2" \
    '^(172\.(1[7-9]|2[0-9]|3[01])\.0\.0/16|192\.168\.[0-9]+\.0/20)$'
assert_eq "n2: not the bridge's pool" "$([ "$SUB2" != "$SUB" ] && echo other)" other
assert_eq "n2: gateway is the pool's first address" "$GW2" \
    "$(echo "${SUB2%/*}" | awk -F. '{ print $1 "." $2 "." $3 "." $4 + 1 }')"
assert_eq "n2: bridge $B2 with the gateway" "$(addr_of "$B2")" "$GW2/${SUB2#*/}"

# --- bad input: Docker's status and words, nothing half-made --------------------

LINKS1=$(brt_links)
NETS1=$(dk network ls -q | sort)

# create_err NAME STATUS MESSAGE-RE BODY - POST /networks/create.
create_err()
{
	req POST /v1.41/networks/create -H 'Content-Type: application/json' \
	    --data-binary "$4"
	assert_json_error "$1: $2" "$2" "$3"
}
create_err "a name in use" 409 '^network with name n1 already exists$' \
    '{"Name":"n1"}'
create_err "an overlapping subnet" 403 \
    '^Pool overlaps with other one on this address space$' \
    '{"Name":"n3","IPAM":{"Config":[{"Subnet":"10.201.0.0/25"}]}}'
create_err "an unknown driver" 404 '^plugin "nosuch" not found$' \
    '{"Name":"n3","Driver":"nosuch"}'
create_err "an unknown IPAM driver" 404 '^plugin "nosuch" not found$' \
    '{"Name":"n3","IPAM":{"Driver":"nosuch"}}'
create_err "a predefined name" 403 \
    '^operation is not permitted on predefined bridge network$' \
    '{"Name":"bridge"}'
create_err "a second host network" 403 \
    '^only one instance of "host" network is allowed$' \
    '{"Name":"h2","Driver":"host"}'
create_err "a bad name" 400 '^invalid name: ' '{"Name":"a/b"}'
create_err "no name" 400 'name cannot be empty' '{"Driver":"bridge"}'
create_err "a gateway outside the subnet" 400 \
    '^no matching subnet for gateway 10\.9\.9\.1$' \
    '{"Name":"n3","IPAM":{"Config":[{"Subnet":"10.202.0.0/24","Gateway":"10.9.9.1"}]}}'
create_err "a range outside the subnet" 400 '^no matching subnet for range' \
    '{"Name":"n3","IPAM":{"Config":[{"Subnet":"10.202.0.0/24","IPRange":"10.203.0.0/25"}]}}'
create_err "a bad subnet" 400 '^invalid CIDR address: 10\.202\.0\.0$' \
    '{"Name":"n3","IPAM":{"Config":[{"Subnet":"10.202.0.0"}]}}'
create_err "IPv6" 400 'IPv6' '{"Name":"n3","EnableIPv6":true}'
create_err "a bad MTU (the driver refuses)" 400 '^invalid MTU 10' \
    '{"Name":"n3","Options":{"com.docker.network.driver.mtu":"10"}}'
create_err "a bridge name in use" 403 "^bridge name $BR is already used" \
    "{\"Name\":\"n3\",\"Options\":{\"com.docker.network.bridge.name\":\"$BR\"}}"
create_err "not JSON" 400 '' '{"Name":'
OUT=$(dk network create --subnet 10.201.0.0/16 n3 2>&1)
assert_contains "the CLI prints the overlap" "$OUT" \
    "Pool overlaps with other one on this address space"
assert_eq "after the refusals: no new bridge" "$(brt_links)" "$LINKS1"
assert_eq "after the refusals: no new network" "$(dk network ls -q | sort)" "$NETS1"
assert_eq "after the refusals: n3's pool was given back" \
    "$(dk network create --subnet 10.202.0.0/24 n3 >/dev/null 2>&1 && echo made)" made
dk network rm n3 >/dev/null

req DELETE /v1.41/networks/bridge
assert_json_error "rm bridge: 403" 403 \
    '^bridge is a pre-defined network and cannot be removed$'
req DELETE /v1.41/networks/nosuch
assert_json_error "rm of nothing: 404" 404 '^network nosuch not found$'
req GET /v1.41/networks/nosuch
assert_json_error "inspect of nothing: 404" 404 '^network nosuch not found$'
req GET '/v1.41/networks?filters=%7B%7B%7B'
assert_json_error "filters that are not JSON: 400" 400 'invalid filters parameter'
req GET '/v1.41/networks?filters=%7B%22colour%22%3A%7B%22red%22%3Atrue%7D%7D'
assert_json_error "an unknown filter: 400" 400 "^Invalid filter 'colour'$"
req GET '/v1.41/networks?filters=%7B%22type%22%3A%7B%22odd%22%3Atrue%7D%7D'
assert_json_error "a bad type filter: 400" 400 "^Invalid filter: 'type'='odd'$"

# --- list filters -------------------------------------------------------------

lsq()
{
	dk network ls --format '{{.Name}}' "$@" 2>&1 | sort | tr '\n' ' '
}
assert_eq "ls --filter label=team=a" "$(lsq --filter label=team=a)" "n1 "
assert_eq "ls --filter label=team" "$(lsq --filter label=team)" "n1 "
assert_eq "ls --filter driver=null" "$(lsq --filter driver=null)" "none "
assert_eq "ls --filter type=custom" "$(lsq --filter type=custom)" "n1 n2 "
assert_eq "ls --filter type=builtin" "$(lsq --filter type=builtin)" \
    "bridge host none "
assert_eq "ls --filter name=n2" "$(lsq --filter name=n2)" "n2 "
assert_eq "ls --filter id=<n1 prefix>" "$(lsq --filter "id=${N1:0:8}")" "n1 "
assert_eq "ls --filter dangling=true" "$(lsq --filter dangling=true)" "n1 n2 "
assert_eq "ls --filter scope=local --filter driver=bridge" \
    "$(lsq --filter scope=local --filter driver=bridge)" "bridge n1 n2 "

# --- events ----------------------------------------------------------------------

# evs SINCE - network events since SINCE: action, name, driver.
evs()
{
	dk events --since "$1" --until "$(date +%s.%N)" --filter type=network \
	    --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}' \
	    2>&1 | tr '\n' ','
}
assert_eq "events: create of n1, n2, n3 and destroy of n3, none for refusals" \
    "$(evs "$T0")" \
    "create n1 bridge,create n2 bridge,create n3 bridge,destroy n3 bridge,"
OUT=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter type=network \
    --filter event=create --format '{{.Actor.ID}}' 2>&1 | head -n 1)
assert_eq "events: Actor.ID is the network ID" "$OUT" "$N1"

# --- kill -9, a lost bridge, restart ---------------------------------------------

exec 3>&2 2>/dev/null
kill -KILL "$B_PID"
wait "$B_PID"
exec 2>&3 3>&-
# As after a reboot: the kernel forgot n1's bridge.
ip link del "$B1"
berth_exec
check "berthd comes back after kill -9" wait_ping "$B_SOCK" 5
T2=$(date +%s.%N)
assert_eq "after the restart: the same networks" "$(dk network ls -q | sort)" \
    "$NETS1"
wait_bridge()
{
	[ "$(addr_of "$B1")" = 10.201.0.254/24 ]
}
check "after the restart: n1's lost bridge is made again" wait_for 5 wait_bridge
assert_match "after the restart: its MTU too" "$(ip -o link show dev "$B1")" \
    'mtu 1400 '
assert_eq "after the restart: n2 keeps its pool" \
    "$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' n2)" \
    "$SUB2 $GW2"
OUT=$(dk network create --subnet 10.201.0.0/24 n4 2>&1)
assert_contains "after the restart: n1's pool is still taken" "$OUT" \
    "Pool overlaps"
N4=$(dk network create n4 2>&1)
assert_match "after the restart: a new network" "$N4" '^[0-9a-f]{64}$'
T_LINKS="$T_LINKS $(bridge_of "$N4")"
SUB4=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' n4)
assert_eq "after the restart: no pool handed out twice" \
    "$(printf '%s\n' "$SUB" "$SUB2" "$SUB4" | sort -u | wc -l)" 3

# --- remove, prune, events ------------------------------------------------------

assert_eq "network rm n4 prints its name" "$(dk network rm n4 2>&1)" n4
assert_eq "n4's bridge is gone" \
    "$(ip link show dev "$(bridge_of "$N4")" >/dev/null 2>&1 || echo gone)" gone
OUT=$(dk network prune -f --filter label=team=a 2>&1)
assert_contains "prune --filter label=team=a removes n1" "$OUT" n1
assert_no_match "prune --filter label=team=a keeps n2" "$OUT" 'n2'
assert_eq "prune keeps the predefined" "$(lsq)" "bridge host n2 none "
dk network prune -f >/dev/null 2>&1
assert_eq "prune: only the predefined left" "$(lsq)" "bridge host none "
assert_eq "no bridge of berth's user networks is left" "$(brt_links)" "$LINKS0"
assert_eq "events: destroy, then prune with no name" "$(evs "$T2")" \
    "create n4 bridge,destroy n4 bridge,destroy n1 bridge,prune <no value> <no value>,destroy n2 bridge,prune <no value> <no value>,"

OUT=$(dk info --format '{{json .Plugins.Network}}' 2>&1)
assert_eq "docker info lists the network drivers" "$OUT" \
    '["bridge","host","null"]'

berth_stop
assert_eq "stops cleanly" "$?" 0
assert_eq "no warnings in the log" \
    "$(grep -c ' warn ' "$B_LOG")" 0
