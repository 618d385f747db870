# shellcheck shell=bash
# busybox.sh - the busybox image for the tests; source it (after lib.sh).
#
#   busybox_rootfs, busybox_tarball   from scripts/busybox.sh
#   busybox_daemon ...     berthd for the container tests, busybox imported
#                          (below; needs lib.sh)

# shellcheck source=../../scripts/busybox.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/busybox.sh"

# busybox_daemon [-m MODULE [-c CONFIG]]... [BERTHD FLAG...] - the daemon the
# container tests share: ROOTFS ($T_TMP/rootfs) built from busybox-static,
# berthd with authz-noop, images (where images.so is not built, the
# image-stub serving ROOTFS as busybox), runtime-oci, each -m MODULE in
# order (-c CONFIG: the lines of its config: mapping, each indented six
# spaces; IMAGES_CONF likewise for images), and containers (with
# CONTAINERS_CONF, if set, as the lines of
# its config: mapping) and AFTER_CONTAINERS (more module entries, as
# YAML lines); then ROOTFS imported as busybox.  YAML holds the
# configuration (a test may restart berthd on it).  Ends the test if any
# of it fails.
busybox_daemon()
{
	local extra="" images

	while [ "${1:-}" = -m ] || [ "${1:-}" = -c ]; do
		if [ "$1" = -c ]; then
			extra="$extra
    config:
$2"
		else
			extra="$extra
  - name: $2
    required: true"
		fi
		shift 2
	done
	ROOTFS=$T_TMP/rootfs
	busybox_rootfs "$ROOTFS" ||
	    { fail "busybox root filesystem" "no busybox"; exit 1; }
	if [ -f "$MODULE_DIR/images.so" ]; then
		images="  - name: images
    required: true${IMAGES_CONF:+
    config:
$IMAGES_CONF}"
	else
		images="  - path: $TEST_MODULE_DIR/image-stub.so
    required: true
    config:
      rootfs: $ROOTFS
      ref: busybox"
	fi
	YAML="log-level: info
modules:
  - name: authz-noop
    required: true
$images
  - name: runtime-oci
    required: true$extra
  - name: containers
    required: true${CONTAINERS_CONF:+
    config:
$CONTAINERS_CONF}${AFTER_CONTAINERS:+
$AFTER_CONTAINERS}"
	berth_start "$YAML" "$@" ||
	    { fail "berthd for $T_NAME" "$(cat "$B_LOG")"; exit 1; }
	[ -f "$MODULE_DIR/images.so" ] || return 0
	if tar -C "$ROOTFS" -cf - . |
	    "$DOCKER" -H "unix://$B_SOCK" import - busybox >/dev/null 2>&1; then
		pass "docker import busybox"
	else
		fail "docker import busybox" "$(tail -n 8 "$B_LOG")"
		exit 1
	fi
}
