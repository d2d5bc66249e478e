# tests/attack/lib.sh: what the attack scripts share, sourced after
# tests/e2e/lib.sh with $bg, $vfido, $vyk, $pre_fido, $pre_yk and $attack
# set. $preload and $extra_env (an array) may be set before to add a
# library or variables (the fake clock).

# workdir NAME: $dir (removed at exit), $virt, $out, $err, $ST, $A.
workdir() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	trap 'rm -rf "$dir"' EXIT
	virt=$dir/virtual
	mkdir "$virt"
	out=$dir/stdout
	err=$dir/stderr
	ST=$dir/state
	A=111122223333
}

# bgin STATE ARGS...: the shipped binary on STATE; rc, $out, $err.
bgin() {
	local st=$1
	shift
	env "${asan_env[@]}" "${extra_env[@]}" \
	    LD_PRELOAD="${preload:-$pre_fido:$pre_yk}" BG_VIRTUAL_DIR="$virt" \
	    "$bg" --state "$st" "$@" >"$out" 2>"$err"
	rc=$?
}
bgrun() { bgin "$ST" "$@"; }
must() { bgrun "$@"; [ "$rc" -eq 0 ] || { echo "setup failed: $*" >&2;
    cat "$out" "$err" >&2; exit 1; }; }
# run_attack ARGS...: the test's attack program, with the same preloads.
run_attack() {
	env "${asan_env[@]}" "${extra_env[@]}" \
	    LD_PRELOAD="${preload:-$pre_fido:$pre_yk}" BG_VIRTUAL_DIR="$virt" \
	    "$attack" "$@" >"$out" 2>"$err"
	rc=$?
}
extra_env=("${extra_env[@]}")

# people [NAME...] [-- POLICY-ARGS...]: account $A; alice, bob, carol in
# group password, dave, erin, frank in mfa, thresholds 2 and 2 (plus
# POLICY-ARGS); a FIDO2 key each, and for each extra NAME, made and
# enrolled as a person outside any group; rita, requester, on a YubiKey.
people() {
	local extra=() p
	while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	must init --account "$A" --account-name prod --root-email root@example.com
	for p in alice bob carol; do must custodian add $p --group password; done
	for p in dave erin frank; do must custodian add $p --group mfa; done
	must requester add rita
	must policy set --threshold password=2 --threshold mfa=2 "$@"
	must policy set --note recovery-codes
	PEOPLE=(alice bob carol dave erin frank rita "${extra[@]}")
	for p in "${extra[@]}"; do	# a person: added to a group and out again
		must custodian add "$p" --group password
		must custodian remove "$p" --group password
	done
	for p in alice bob carol dave erin frank "${extra[@]}"; do
		"$vfido" "$virt" create $p-key >/dev/null
		must token enroll $p --fido2 --device "$("$vfido" "$virt" path $p-key)"
	done
	"$vyk" "$virt" create 3000001 >/dev/null
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" BG_VIRTUAL_DIR="$virt" \
	    "$bg" token program-yubikey --serial 3000001 >/dev/null 2>&1
	must token enroll rita --yubikey --serial 3000001
}

# change_id: the change request id the last command printed.
change_id() {
	grep -oE 'change request [0-9a-f]{32}' "$out" | head -1 | cut -d' ' -f3
}
# signed ID NAME...: each NAME approves change ID (a touch per token).
signed() {
	local id=$1 p
	shift
	for p in "$@"; do must change approve "$id" --as "$p"; done
}
# PEOPLE: everyone people() made (extra names appended by it).
PEOPLE=(alice bob carol dave erin frank rita)
# arm: vault arm, the genesis signed by every person, applied; $FP.
arm() {
	local id
	must vault arm
	id=$(change_id)
	signed "$id" "${PEOPLE[@]}"
	must change apply "$id"
	FP=$(grep -oE 'fingerprint [0-9a-f]{64}' "$out" | cut -d' ' -f2)
}

# seal_items [note]: root-password (generated, $PW) sealed by bob, root-mfa
# by dave; with "note", recovery-codes (needs both groups) by rita.
seal_items() {
	arm
	must seal "$A" root-password --generate --as bob
	PW=$(tail -1 "$out")
	printf 'otpauth://totp/AWS:root?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n' >"$dir/uri"
	must seal "$A" root-mfa --otpauth - --as dave <"$dir/uri"
	if [ "${1:-}" = note ]; then
		printf 'recovery codes: 1111-2222 3333-4444\n' >"$dir/note"
		must seal "$A" recovery-codes --note --as rita <"$dir/note"
	fi
}
