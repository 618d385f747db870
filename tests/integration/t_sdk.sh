#!/bin/bash
# t_sdk.sh - what a packager and a module author meet: `make install`
# into a DESTDIR, then a module built out of tree against the installed
# SDK alone (pkg-config berth-module), loaded by berthd.
. "$(dirname "$0")/lib.sh"

new_root
D=$NEW_ROOT/dest
make -s -C "$ROOT" install DESTDIR="$D" BUILD="$BUILD" \
    >"$NEW_ROOT/install.log" 2>&1
check "make install DESTDIR=… succeeds" [ $? -eq 0 ]
for f in usr/local/sbin/berthd usr/local/lib/berth/modules/authz-noop.so \
    usr/local/include/berth/host.h usr/local/lib/pkgconfig/berth-module.pc \
    usr/local/share/man/man8/berthd.8 usr/local/share/man/man5/engine.yaml.5 \
    usr/local/share/man/man3/berth-module.3 etc/berth/engine.yaml \
    usr/local/lib/systemd/system/berthd.service \
    usr/local/lib/systemd/system/berthd.socket; do
	check "installed $f" [ -f "$D/$f" ]
done
check "man -l renders berth-module(3)" \
    sh -c "man -l '$D/usr/local/share/man/man3/berth-module.3' 2>&1 | grep -q req_body_to_fd"

# An out-of-tree module: the reference module's source, another name.
src=$NEW_ROOT/oot
mkdir -p "$src"
sed -e 's/"authz-noop"/"authz-oot"/' -e 's/"noop"/"oot"/' \
    "$ROOT/modules/authz-noop/authz_noop.c" >"$src/authz_oot.c"
export PKG_CONFIG_PATH=$D/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
flags=$(pkg-config --cflags --libs berth-module 2>&1)
check "pkg-config berth-module answers" [ $? -eq 0 ]
want=$(sed -n 's/^#define BERTH_ABI_MAJOR[[:space:]]*\([0-9]*\).*/\1/p;
    s/^#define BERTH_ABI_MINOR[[:space:]]*\([0-9]*\).*/\1/p' \
    "$ROOT/sdk/include/berth/abi.h" | paste -sd.)
assert_eq "the pkg-config file's ABI is abi.h's" \
    "$(pkg-config --variable=abi_major berth-module).$(pkg-config \
    --variable=abi_minor berth-module)" "$want"
assert_contains "... and its description says so" \
    "$(grep '^Description' "$D/usr/local/lib/pkgconfig/berth-module.pc")" \
    "(ABI $want)"
# shellcheck disable=SC2086 # flags are words
cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -o "$src/authz-oot.so" \
    "$src/authz_oot.c" $flags -ljson-c >"$src/cc.log" 2>&1
check "out-of-tree module builds against the installed SDK" [ $? -eq 0 ]
exports=$(nm -D --defined-only "$src/authz-oot.so" 2>/dev/null | awk '{print $3}')
assert_eq "it exports only berth_module" "$exports" berth_module

chmod 0644 "$src/authz-oot.so"
berth_start "authorization-plugins: [oot]
modules:
  - path: $src/authz-oot.so
    required: true"
check "berthd loads it and starts" [ -S "$B_SOCK" ]
out=$("$DOCKER" -H "unix://$B_SOCK" version --format '{{range .Server.Components}}{{.Name}} {{end}}' 2>&1)
assert_contains "docker version lists it" "$out" "authz-oot"
berth_stop
