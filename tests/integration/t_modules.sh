#!/bin/bash
# t_modules.sh - engine.yaml and the module loader as an operator meets
# them: --validate, errors citing file:line:col, required and optional
# modules, names that could escape the module directory.
. "$(dirname "$0")/lib.sh"

# validate NAME YAML - run berthd --validate on YAML; sets OUT and RC.
validate()
{
	printf '%s\n' "$2" >"$T_TMP/$1.yaml"
	OUT=$("$BERTHD" --validate --config-file "$T_TMP/$1.yaml" \
	    --module-dir "$MODULE_DIR" 2>&1)
	RC=$?
}

good='log-level: info
authorization-plugins: [noop]
modules:
  - name: authz-noop
    required: true'

validate good "$good"
assert_eq "--validate good.yaml: exit 0, 'configuration OK'" \
    "$RC $OUT" "0 configuration OK"

validate rules "modules:
$(rules_module 'deny: ["* /version"]' 'fail: /x' "log: $T_TMP/x.log")"
assert_eq "--validate with authz-rules by path: OK" "$RC" 0

validate toplevel "$good
bogus-key: 1"
assert_eq "unknown top-level key: non-zero exit" "$([ $RC -ne 0 ] && echo nz)" nz
assert_match "unknown top-level key: file:line:col" "$OUT" \
    "toplevel\\.yaml:6:1: .*bogus-key"

validate modkey 'modules:
  - name: authz-noop
    required: true
    config:
      colour: blue'
assert_eq "unknown module config key: non-zero exit" \
    "$([ $RC -ne 0 ] && echo nz)" nz
assert_match "unknown module config key: named, with file:line:col" "$OUT" \
    "modkey\\.yaml:5:7: .*colour"

validate modtype "modules:
$(rules_module 'deny: /not/a/list')"
assert_eq "module config key of the wrong type: non-zero exit" \
    "$([ $RC -ne 0 ] && echo nz)" nz
assert_contains "module config key of the wrong type: named" "$OUT" deny

validate dotdot 'modules:
  - name: ../authz-noop
    required: true'
assert_eq "module name with ../: refused" "$([ $RC -ne 0 ] && echo nz)" nz
assert_contains "module name with ../: says why" "$OUT" "invalid module name"

validate slash 'modules:
  - name: /tmp/authz-noop'
assert_eq "module name with a slash: refused" "$([ $RC -ne 0 ] && echo nz)" nz

# --- start-up -------------------------------------------------------------

berth_start -n 'modules:
  - name: no-such-module
    required: true'
wait_exit "$B_PID" 5
rc=$?
assert_match "required module missing: berthd exits non-zero" "$rc" \
    '^([1-9]|[1-9][0-9]|1[01][0-9]|12[0-3])$'
assert_contains "required module missing: names it" "$(cat "$B_LOG")" \
    no-such-module
assert_eq "required module missing: socket never created" \
    "$([ -e "$B_SOCK" ] && echo exists || echo absent)" absent

berth_start -n "modules:
$(rules_module 'deny: [{not: a string}]')"
wait_exit "$B_PID" 5
rc=$?
assert_match "required module whose init fails: exits non-zero" "$rc" \
    '^([1-9]|[1-9][0-9]|1[01][0-9]|12[0-3])$'
assert_contains "init failure: the module's own message" "$(cat "$B_LOG")" \
    "rule 1 is not a string"
assert_eq "init failure: socket never created" \
    "$([ -e "$B_SOCK" ] && echo exists || echo absent)" absent

if berth_start 'modules:
  - name: no-such-module
    required: false
  - name: authz-noop
    required: true'; then
	pass "optional module missing: berthd starts"
	warns=$(grep -c ' warn ' "$B_LOG")
	assert_eq "optional module missing: one warning line" "$warns" 1
	assert_contains "optional module missing: the warning names it" \
	    "$(grep ' warn ' "$B_LOG")" no-such-module
	out=$(dk version --format \
	    '{{range .Server.Components}}{{.Name}} {{.Version}}{{"\n"}}{{end}}' 2>&1)
	assert_match "docker version lists authz-noop and its version" \
	    "$out" '^authz-noop 0\.1\.0$'
	assert_no_match "docker version does not list the missing module" \
	    "$out" no-such-module
	berth_stop
	assert_eq "optional module missing: stops cleanly" "$?" 0
else
	fail "optional module missing: berthd starts" "$(cat "$B_LOG")"
fi
