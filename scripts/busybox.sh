# shellcheck shell=sh
# busybox.sh - a busybox root filesystem from Debian's busybox-static, for
# `make run` (scripts/run.sh), the tests and the benchmarks; source it.
#
#   busybox_rootfs DIR     DIR gets bin/busybox (Debian's busybox-static)
#                          and a symlink per applet (sh, true, cat, echo,
#                          ls, sleep, date, id, ...), etc/passwd, etc/group,
#                          tmp (1777), root, home/www, proc, sys, dev
#   busybox_tarball FILE   that tree as an uncompressed tar, owned by root
#
# Both return non-zero (and print why) if busybox-static is missing.

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
