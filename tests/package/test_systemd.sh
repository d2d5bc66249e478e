#!/bin/bash
# tests/package/test_systemd.sh: the shipped units as systemd reads them.
# systemd-analyze verify checks their syntax (offline, no running
# systemd needed); systemd-analyze security --offline scores the
# service's sandbox and fails above EXPOSURE_MAX (tenths: 20 is 2.0,
# "OK"; docs/deploy.md gives the measured score). Exits 77 (skipped)
# where systemd-analyze is not installed.
#
# usage: test_systemd.sh PACKAGING_DIR BREAKGLASSD
set -u
units=$1/systemd
bgd=$2
EXPOSURE_MAX=20
command -v systemd-analyze >/dev/null ||
	{ echo "SKIP: systemd-analyze not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$units/breakglassd.service" "$units/breakglassd.socket" "$T/"
pass=0
failed=0
check() {
	local what=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		echo "ok - $what"
		pass=$((pass + 1))
	else
		echo "FAIL - $what"
		sed 's/^/    /' "$T/out"
		failed=$((failed + 1))
	fi
}
# verify: silent and 0, or what is wrong; ExecStart names this build's
# daemon (verify checks that it is executable)
clean() { ! systemd-analyze verify --man=no "$1" 2>&1 | grep . && \
    systemd-analyze verify --man=no "$1" >/dev/null 2>&1; }
sed -i "s|^ExecStart=.*|ExecStart=$bgd|" "$T/breakglassd.service"
mkdir "$T/bad"
sed 's/^NoNewPrivileges=yes/NoNewPrivileges=perhaps/' \
    "$T/breakglassd.service" >"$T/bad/typo.service"
check "a unit with a bad value is reported (the check can fail)" \
    bash -c "systemd-analyze verify --man=no '$T/bad/typo.service' 2>&1 | grep -q 'Failed to parse'"
check "the socket unit verifies clean" clean "$T/breakglassd.socket"
check "the service unit verifies clean" clean "$T/breakglassd.service"
systemd-analyze security --offline=true "$T/breakglassd.service" 2>&1 |
    grep -E "Overall exposure" | sed 's/^/# /'
check "the service's exposure is at most $((EXPOSURE_MAX / 10)).$((EXPOSURE_MAX % 10))" \
    systemd-analyze security --offline=true --threshold=$EXPOSURE_MAX \
    "$T/breakglassd.service"
# the score rises when the sandbox is dropped: the threshold bites
grep -vE '^(ProtectSystem|SystemCallFilter|CapabilityBoundingSet|PrivateDevices|NoNewPrivileges)=' \
    "$T/breakglassd.service" >"$T/bad/loose.service"
check "a unit without its sandbox fails the same threshold" bash -c \
    "! systemd-analyze security --offline=true --threshold=$EXPOSURE_MAX '$T/bad/loose.service'"
echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
