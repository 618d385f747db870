# shellcheck shell=bash
# busybox.sh - a busybox root filesystem for the tests; source it.
#
#   busybox_rootfs DIR     DIR gets bin/busybox (Debian's busybox-static)
#                          and a symlink per applet (sh, true, cat, echo,
#                          ls, sleep, date, id, ...), etc/passwd, etc/group,
#                          tmp (1777), root, home/www, proc, sys, dev
#   busybox_tarball FILE   that tree as an uncompressed tar, owned by root
#   busybox_daemon ...     berthd for the container tests, busybox imported
#                          (below; needs lib.sh)
#
# The first two return non-zero (and print why) if busybox-static is
# missing.

busybox_rootfs()
{
	local d=$1 a bb

	bb=$(command -v busybox) || bb=/bin/busybox
	if [ ! -x "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
		echo "busybox_rootfs: no busybox (apt-get install busybox-static)" >&2
		return 1
	fi
	mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/home/www" \
	    "$d/proc" "$d/sys" "$d/dev" || return 1
	cp "$bb" "$d/bin/busybox" || return 1
	for a in $("$d/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	    'www:x:33:33:www:/home/www:/bin/sh' \
	    'nobody:x:65534:65534:nobody:/home:/bin/false' >"$d/etc/passwd"
	printf '%s\n' 'root:x:0:' 'www:x:33:' 'audio:x:29:www' \
	    'nogroup:x:65534:' >"$d/etc/group"
	chmod 1777 "$d/tmp"
}

busybox_tarball()
{
	local out=$1 dir

	dir=$(mktemp -d "${TMPDIR:-/tmp}/busybox-rootfs.XXXXXX") || return 1
	if ! busybox_rootfs "$dir"; then
		rm -rf "$dir"
		return 1
	fi
	tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$out" . ||
	    { rm -rf "$dir"; return 1; }
	rm -rf "$dir"
}

# busybox_daemon [-m MODULE]... [BERTHD FLAG...] - the daemon the
# container tests share: ROOTFS ($T_TMP/rootfs) built from busybox-static,
# berthd with authz-noop, images (where images.so is not built, the
# image-stub serving ROOTFS as busybox), runtime-oci, each -m MODULE in
# order, and containers (with CONTAINERS_CONF, if set, as the lines of
# its config: mapping); then ROOTFS imported as busybox.  YAML holds the
# configuration (a test may restart berthd on it).  Ends the test if any
# of it fails.
busybox_daemon()
{
	local extra="" images

	while [ "${1:-}" = -m ]; do
		extra="$extra
  - name: $2
    required: true"
		shift 2
	done
	ROOTFS=$T_TMP/rootfs
	busybox_rootfs "$ROOTFS" ||
	    { fail "busybox root filesystem" "no busybox"; exit 1; }
	if [ -f "$MODULE_DIR/images.so" ]; then
		images='  - name: images
    required: true'
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
$CONTAINERS_CONF}"
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
