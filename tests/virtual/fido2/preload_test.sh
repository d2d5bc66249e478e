#!/bin/sh
# An unmodified libfido2 program (preload_probe) under LD_PRELOAD of
# libbgvfido.so sees exactly the virtual devices of $BG_VIRTUAL_DIR/fido2
# (removed ones excluded), can enroll and assert on them, and sees the
# real manifest again when BG_VIRTUAL_DIR is unset.
#
# usage: preload_test.sh BG_VFIDO_TOOL PROBE PRELOAD_LIB [EXTRA_PRELOAD_ENV]
# EXTRA_PRELOAD_ENV (e.g. ASAN_OPTIONS=verify_asan_link_order=0) is set for
# the preloaded runs only.
set -eu

tool=$1
probe=$2
lib=$3
extra=${4:-}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

base=$(mktemp -d /tmp/bg-vfido-preload-XXXXXX)
trap 'rm -rf "$base"' EXIT INT TERM

"$tool" "$base" create alpha
"$tool" "$base" create beta --pin 4711-open
"$tool" "$base" create gamma
"$tool" "$base" knob gamma removed on
"$tool" "$base" list

run() {
	if [ -n "$extra" ]; then
		env "$extra" BG_VIRTUAL_DIR="$base" BG_PROBE_PIN=4711-open \
		    LD_PRELOAD="$lib" "$@"
	else
		env BG_VIRTUAL_DIR="$base" BG_PROBE_PIN=4711-open \
		    LD_PRELOAD="$lib" "$@"
	fi
}

# manifest + fido_dev_new_with_info + fido_dev_open_with_info
out=$(run "$probe") || fail "probe failed: $out"
echo "$out"
echo "$out" | grep -qx 'devices 2' || fail "expected 2 devices"
[ "$(echo "$out" | grep -c '^ok vfido:')" -eq 2 ] || fail "expected 2 ok"
echo "$out" | grep -q gamma && fail "removed device listed"

# fido_dev_new + fido_dev_open with a vfido: path
path=$("$tool" "$base" path alpha)
out=$(run "$probe" "$path") || fail "probe by path failed: $out"
echo "$out"

# one touch per makeCredential and per assertion, two rounds on alpha
[ "$("$tool" "$base" touches alpha)" -eq 4 ] || fail "alpha touches"
[ "$("$tool" "$base" counter alpha)" -eq 2 ] || fail "alpha counter"
[ "$("$tool" "$base" touches beta)" -eq 2 ] || fail "beta touches"

# without BG_VIRTUAL_DIR the real manifest answers: no virtual device
out=$(env LD_PRELOAD="$lib" ${extra:+"$extra"} "$probe" list) ||
    fail "real manifest failed"
echo "$out" | grep -q vfido: && fail "virtual device without BG_VIRTUAL_DIR"

# without the preload library nothing virtual is seen either
out=$(env BG_VIRTUAL_DIR="$base" "$probe" list) || fail "plain probe failed"
echo "$out" | grep -q vfido: && fail "virtual device without LD_PRELOAD"

echo "1 passed, 0 failed"
