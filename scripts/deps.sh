#!/bin/sh
# Installs every Debian package the build, the tests and `make run` need.
# Idempotent: does nothing when everything is present.  Runs as root.
set -eu
PKGS="build-essential pkg-config libevent-dev libjson-c-dev libyaml-dev
libhttp-parser-dev check libseccomp-dev libcap-dev libarchive-dev
libcurl4-openssl-dev libssl-dev libmnl-dev libnftables-dev nftables
busybox-static runc crun tini socat curl wrk docker-registry apache2-utils openssl
docker-compose python3-docker
procps iproute2 man-db groff-base psmisc util-linux"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi
# The docker CLI drives the integration tests; Debian's docker.io brings one
# where the machine has none.
if ! command -v docker >/dev/null 2>&1; then
	echo "deps: installing docker.io for its client"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io
fi
