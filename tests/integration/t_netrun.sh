#!/bin/bash
# t_netrun.sh - containers on networks, through the real docker CLI:
# reaching each other by name, alias and IP on a user network and not
# across networks; --internal with no way out; network connect and
# disconnect of a running container; published ports (127.0.0.1 and the
# host's address, from the host and from another container), docker port
# and ps; Docker's event order around a run; a kill -9 of berthd with
# containers on two networks; nothing of berth's left after removal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

for m in networks net-bridge images containers; do
	if [ ! -f "$MODULE_DIR/$m.so" ]; then
		fail "modules" "$m.so must be built"
		exit 1
	fi
done
busybox_daemon -m net-bridge -m networks
# This daemon's own nftables table (named after its exec-root).
NFT=$(sed -n 's/.*nftables table: ip //p' "$B_LOG" | head -n 1)
HOSTIP=$(ip -4 -o route get 1.1.1.1 2>/dev/null |
    sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$HOSTIP" ] || HOSTIP=$(ip -4 -o addr show scope global |
    awk '{ sub(/\/.*/, "", $4); print $4; exit }')
mkdir -p "$T_TMP/www"
echo hello-from-berth >"$T_TMP/www/index.html"
# A free port for publishing, twice.
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done

# crun CMD... - a throwaway container's output (its exit status kept).
crun_()
{
	dk run --rm "$@" 2>&1
}

# --- a user network: names, aliases, addresses ----------------------------------

dk network create --subnet 10.231.0.0/24 front >/dev/null
dk network create --subnet 10.232.0.0/24 back >/dev/null
dk network create --internal --subnet 10.233.0.0/24 sealed >/dev/null
dk run -d --name web --network front --network-alias www \
    -v "$T_TMP/www:/www" busybox httpd -f -p 80 -h /www >/dev/null
WEBIP=$(dk inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' web)
assert_match "web has an address on front" "$WEBIP" '^10\.231\.0\.[0-9]+$'
OUT=$(dk inspect -f '{{with .NetworkSettings.Networks.front}}{{.Gateway}} {{.IPPrefixLen}} {{.MacAddress}} {{len .EndpointID}}{{end}}' web)
assert_match "inspect: gateway, prefix, Docker's MAC, endpoint ID" "$OUT" \
    '^10\.231\.0\.1 24 02:42:0a:e7:00:[0-9a-f]{2} 64$'
assert_contains "network inspect lists web" \
    "$(dk network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' front)" \
    "web $WEBIP/24"
assert_contains "ping by IP" "$(crun_ --network front busybox ping -c1 -W2 "$WEBIP")" \
    "1 packets received"
assert_contains "ping by name" "$(crun_ --network front busybox ping -c1 -W2 web)" \
    "1 packets received"
assert_contains "ping by alias" "$(crun_ --network front busybox ping -c1 -W2 www)" \
    "1 packets received"
assert_eq "wget by name" "$(crun_ --network front busybox wget -q -O - http://web/)" \
    hello-from-berth
assert_eq "wget by alias" "$(crun_ --network front busybox wget -q -O - http://www/)" \
    hello-from-berth
assert_eq "resolv.conf points at the embedded DNS" \
    "$(crun_ --network front busybox cat /etc/resolv.conf | head -n 1)" \
    "nameserver 127.0.0.11"
OUT=$(crun_ --network front --dns 10.9.9.9 busybox sh -c \
    'head -n 1 /etc/resolv.conf; nslookup web 127.0.0.11')
assert_contains "--dns on a user network: still the embedded server" "$OUT" \
    "nameserver 127.0.0.11"
assert_contains "--dns on a user network: names still resolve" "$OUT" "$WEBIP"
OUT=$(crun_ --network back busybox nslookup web 127.0.0.11)
assert_contains "another network: the embedded server answers" "$OUT" \
    "Server:"
assert_no_match "another network does not resolve web" "$OUT" "$WEBIP"
# timeout under sh, which must not exec it: busybox's timeout runs the
# command in its own process, and as PID 1 wget would never see the
# signal.
OUT=$(crun_ --network back busybox sh -c \
    "timeout 3 wget -q -O - http://$WEBIP/ || echo unreachable")
assert_contains "another network: wget ran and timed out" "$OUT" unreachable
assert_no_match "another network cannot reach web's address" "$OUT" \
    hello-from-berth
OUT=$(crun_ --network sealed busybox ping -c1 -W2 "$HOSTIP")
assert_contains "--internal: ping ran" "$OUT" "PING $HOSTIP"
assert_no_match "--internal: the host's address is out of reach" "$OUT" \
    "1 packets received"
OUT=$(crun_ --network sealed busybox ip route)
assert_no_match "--internal: no default route" "$OUT" default

req POST /v1.41/containers/create -H 'Content-Type: application/json' \
    --data-binary '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"front"},"NetworkingConfig":{"EndpointsConfig":{"front":{},"back":{}}}}'
assert_json_error "create on two networks at once: Docker's 400" 400 \
    '^Container cannot be connected to network endpoints: (front, back|back, front)$'

# --- connect and disconnect a running container ---------------------------------

dk run -d --name roam --network back busybox sleep 300 >/dev/null
assert_eq "network connect front roam" "$(dk network connect front roam 2>&1)" ""
assert_eq "roam has a second interface at once" \
    "$(dk exec roam ip -o -4 addr show eth1 | awk '{ print $4 }' | cut -d. -f1-3)" \
    10.231.0
assert_contains "roam reaches web through it" \
    "$(dk exec roam ping -c1 -W2 "$WEBIP" 2>&1)" "1 packets received"
assert_contains "roam resolves web now" \
    "$(dk exec roam nslookup web 127.0.0.11 2>&1)" "$WEBIP"
OUT=$(dk network connect front roam 2>&1)
assert_contains "connecting twice: Docker's refusal" "$OUT" \
    "endpoint with name roam already exists in network front"
assert_eq "network disconnect front roam" "$(dk network disconnect front roam 2>&1)" ""
assert_eq "the interface is gone" \
    "$(dk exec roam ip -o link show eth1 >/dev/null 2>&1 || echo gone)" gone
assert_eq "inspect shows back only" \
    "$(dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' roam)" \
    "back "
dk stop -t 1 roam >/dev/null
dk network connect front roam
dk start roam >/dev/null
assert_eq "connected while stopped: joined at start" \
    "$(dk exec roam ip -o -4 addr | grep -c 'eth[01]')" 2

# --- published ports --------------------------------------------------------------

dk run -d --name pub -p "127.0.0.1:$P1:80" -v "$T_TMP/www:/www" busybox \
    httpd -f -p 80 -h /www >/dev/null
dk run -d --name pub2 -p "$P2:80" -v "$T_TMP/www:/www" busybox \
    httpd -f -p 80 -h /www >/dev/null
assert_eq "docker port pub" "$(dk port pub 2>&1)" "80/tcp -> 127.0.0.1:$P1"
assert_contains "docker ps shows the mapping" \
    "$(dk ps --format '{{.Names}} {{.Ports}}' 2>&1)" "pub 127.0.0.1:$P1->80/tcp"
got_page()
{
	[ "$(curl -s --max-time 2 "$1")" = hello-from-berth ]
}
check "wget on the host: 127.0.0.1:$P1" wait_for 3 got_page "http://127.0.0.1:$P1/"
check "the host's address: $HOSTIP:$P2" wait_for 3 got_page "http://$HOSTIP:$P2/"
assert_eq "another container through the host's address" \
    "$(crun_ busybox wget -q -O - "http://$HOSTIP:$P2/")" hello-from-berth
assert_eq "a container on another network through the host's address" \
    "$(crun_ --network back busybox wget -q -O - "http://$HOSTIP:$P2/")" \
    hello-from-berth
OUT=$(dk run -d -p "$P2:80" busybox true 2>&1)
assert_contains "a port already published: Docker's words" "$OUT" \
    "Bind for 0.0.0.0:$P2 failed: port is already allocated"
dk run -d --name pall -P --expose 7070 busybox sleep 300 >/dev/null
assert_match "-P publishes exposed ports from 49153 up" "$(dk port pall 2>&1)" \
    '^7070/tcp -> 0\.0\.0\.0:(49(15[3-9]|1[6-9][0-9]|[2-9][0-9]{2})|[5-6][0-9]{4})$'
assert_eq "ps --filter publish=80" \
    "$(dk ps --filter publish=80 --format '{{.Names}}' | sort | tr '\n' ' ')" \
    "pub pub2 "
assert_eq "ps --filter expose=7070" \
    "$(dk ps --filter expose=7070 --format '{{.Names}}')" pall
assert_eq "ps --filter network=front" \
    "$(dk ps --filter network=front --format '{{.Names}}' | sort | tr '\n' ' ')" \
    "roam web "
assert_contains "berth's table holds the DNAT rule" \
    "$(nft list chain ip "$NFT" ports 2>&1)" "dport $P1 "
dk rm -f pub pall >/dev/null
assert_no_match "after rm -f the rule is gone" \
    "$(nft list chain ip "$NFT" ports 2>&1)" "dport $P1 "
assert_eq "and the port no longer answers" \
    "$(curl -s --max-time 1 "http://127.0.0.1:$P1/" || echo refused)" refused

# --- the default bridge: --link, the MAC address ------------------------------------

dk run -d --name lnk busybox sleep 300 >/dev/null
LIP=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' lnk)
assert_match "the default bridge: legacy IPAddress in inspect" "$LIP" \
    '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
assert_contains "--link: the alias in /etc/hosts" \
    "$(crun_ --link lnk:db busybox cat /etc/hosts)" "$LIP	db lnk"
assert_contains "--link: ping the alias" \
    "$(crun_ --link lnk:db busybox ping -c1 -W2 db)" "1 packets received"
assert_contains "--link to nothing: refused" \
    "$(crun_ --link nosuch:db busybox true)" "could not get container for nosuch"
# --mac-address: the CLI at hand sends it only to API 1.44 and up, so
# the API itself is asked (Config.MacAddress, as 1.41 clients send it).
req POST /v1.41/containers/create -H 'Content-Type: application/json' \
    --data-binary '{"Image":"busybox","Cmd":["sleep","300"],"MacAddress":"02:42:ac:11:99:99"}'
MID=$(json_field "$BODY" Id)
dk start "$MID" >/dev/null
assert_contains "Config.MacAddress (--mac-address)" \
    "$(dk exec "$MID" ip link show eth0 2>&1)" "02:42:ac:11:99:99"
dk rm -f "$MID" >/dev/null
dk rm -f lnk >/dev/null

# --- Docker's event order around a run ----------------------------------------------

T0=$(date +%s.%N)
dk run --rm --name evrun busybox true
T1=$(date +%s.%N)
OUT=$(dk events --since "$T0" --until "$T1" \
    --format '{{.Type}} {{.Action}}' 2>&1 | tr '\n' ',')
assert_eq "events: Docker's seven in order" "$OUT" \
    "container create,container attach,network connect,container start,container die,network disconnect,container destroy,"
OUT=$(dk events --since "$T0" --until "$T1" --filter type=network \
    --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}' 2>&1 | head -n 1)
assert_match "network events: name, type and container" "$OUT" \
    '^connect bridge bridge [0-9a-f]{64}$'

# --- kill -9 with containers on two networks ------------------------------------

exec 3>&2 2>/dev/null
kill -KILL "$B_PID"
wait "$B_PID"
exec 2>&3 3>&-
berth_exec
check "berthd comes back after kill -9" wait_ping "$B_SOCK" 5
assert_eq "web still runs" "$(dk inspect -f '{{.State.Running}}' web)" true
assert_eq "after the restart: wget by name" \
    "$(crun_ --network front busybox wget -q -O - http://web/)" hello-from-berth
assert_contains "after the restart: roam still reaches web by name" \
    "$(dk exec roam ping -c1 -W2 web 2>&1)" "1 packets received"
check "after the restart: the published port answers" wait_for 3 got_page \
    "http://$HOSTIP:$P2/"
assert_eq "after the restart: the address is still held" \
    "$(dk run -d --network front --ip "$WEBIP" busybox true 2>&1 |
    grep -c 'already in use')" 1

# --- nothing of berth's left ---------------------------------------------------------

dk network create unused >/dev/null
OUT=$(dk system prune -f 2>&1)
assert_contains "docker system prune removes an unused network" "$OUT" unused

dk rm -f web roam pub2 >/dev/null 2>&1
dk container prune -f >/dev/null 2>&1
for n in front back sealed; do
	dk network rm "$n" >/dev/null 2>&1
done
no_veth()
{
	[ "$(ip -o link show | grep -c ': vb[0-9a-f]')" = 0 ]
}
# A veth goes in the background (its unregistering waits for the kernel).
check "no veth of berth's left" wait_for 2 no_veth
assert_eq "no bridge of a user network left" \
    "$(ip -o link show | grep -c ': brt-')" 0
assert_eq "no published port left in berth's table" \
    "$(nft list chain ip "$NFT" ports | grep -c dnat)" 0
assert_contains "berth's table is still there" \
    "$(nft list table ip "$NFT" 2>&1)" "chain ports"
assert_eq "no rule of a removed network left" \
    "$(nft list table ip "$NFT" | grep -c 'brt-')" 0
assert_eq "no sandbox left" "$(ls "$B_DIR/exec/netns" 2>/dev/null | wc -l)" 0
assert_eq "no warnings in the log" "$(grep " warn " "$B_LOG")" ""
