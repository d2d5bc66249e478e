# tests/attack/lib.sh: the drill's people for the attack scripts, sourced
# after tests/e2e/lib.sh with $bg, $vfido, $vyk, $pre_fido, $pre_yk,
# $virt, $out, $err, $dir and $A set and must() defined (the caller's
# must runs the binary on its state, with its preloads).
#
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

# seal_items [note]: root-password (generated, $PW) sealed by bob, root-mfa
# by dave; with "note", recovery-codes (needs both groups) by rita.
seal_items() {
	must vault arm
	must seal "$A" root-password --generate --as bob
	PW=$(tail -1 "$out")
	printf 'otpauth://totp/AWS:root?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n' >"$dir/uri"
	must seal "$A" root-mfa --otpauth - --as dave <"$dir/uri"
	if [ "${1:-}" = note ]; then
		printf 'recovery codes: 1111-2222 3333-4444\n' >"$dir/note"
		must seal "$A" recovery-codes --note --as rita <"$dir/note"
	fi
}
