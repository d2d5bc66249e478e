#!/usr/bin/env bash
# tests/e2e/test_text_cli.sh: three rules of governance as shipped (no
# token needed):
#  - text: an argument that is not UTF-8 without control or direction
#    characters (a note, a reason, --as, a name) is refused up front with
#    exit 2, named by its place and never echoed, and nothing changes;
#  - permissions: a state directory, state file or audit directory that
#    others may write, a signing key others may read, a symbolic link or
#    a file of another owner is refused by reading and writing commands
#    (exit 1, the path and the chmod to run), nothing changes; restored,
#    it works again;
#  - actors: no entry of a set-up names an empty actor.
# Usage: test_text_cli.sh BREAKGLASS
set -u
if [ $# -lt 1 ]; then
	echo "usage: $0 BREAKGLASS" >&2
	exit 2
fi
bin=$1
mode=plain
work=$(mktemp -d "${TMPDIR:-/tmp}/bg-text.XXXXXX") || exit 1
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
out=$work/out err=$work/err rc=0
. "${BASH_SOURCE%/*}/lib.sh"

st=$work/state
ACCT=111122223333
run() { "$bin" --state "$st" "$@" >"$out" 2>"$err"; rc=$?; }

# what must not change: the log's bytes and every state file's
snapshot() {
	(cd "$st" && find . -type f ! -name '*.lock' -print0 | sort -z |
	    xargs -0 sha256sum) 2>/dev/null
}
same() { [ "$(snapshot)" = "$1" ]; }
entries() {
	"$bin" --state "$st" audit verify 2>/dev/null |
	    sed -n 's/^ok: \([0-9]*\) entries.*/\1/p'
}
# the message must not carry the refused bytes (a terminal escape, a
# direction override): only its description
not_echoed() { ! LC_ALL=C grep -q "$1" "$err"; }

run init --account "$ACCT" --account-name prod --root-email root@example.com
check "init: exit 0" is_rc 0
run custodian add alice --group password
check "custodian add: exit 0" is_rc 0
run requester add rita
check "requester add: exit 0" is_rc 0
run account add 444455556666 --account-name dev --root-email dev@example.com
check "account add: exit 0" is_rc 0
run audit note "été, 🔑 and a plain note"
check "a note in UTF-8 (é, U+1F511) is recorded" is_rc 0

# ---------------------------------------------------------------- text
n0=$(entries)
s0=$(snapshot)
check "the log verifies ($n0 entries)" test -n "$n0"

refused() {	# DESC WHAT-THE-MESSAGE-SAYS BYTES-NOT-ECHOED -- ARGS...
	local desc=$1 says=$2 bytes=$3
	shift 4
	run "$@"
	check "$desc: exit 2" is_rc 2
	check "$desc: says '$says'" has_err "$says"
	check "$desc: says the rule" has_err "UTF-8 without control or direction"
	check "$desc: the bytes are not echoed" not_echoed "$bytes"
	check "$desc: log and state unchanged" same "$s0"
}
refused "audit note \\xff" "invalid UTF-8 at byte 0" $'\xff' -- \
    audit note $'\xff'
refused "audit note with U+202E (RLO)" "direction control character at byte 4" \
    $'\xe2\x80\xae' -- audit note $'file\u202egnp.exe'
refused "audit note with U+2066 (LRI)" "direction control character" \
    $'\xe2\x81\xa6' -- audit note $'a\u2066b'
refused "audit note with U+200F (RLM)" "direction control character" \
    $'\xe2\x80\x8f' -- audit note $'a\u200fb'
refused "audit note with C1 U+0085" "a control character at byte 1" \
    $'\xc2\x85' -- audit note $'a\xc2\x85b'
refused "audit note with C1 U+009B (CSI)" "a control character" \
    $'\xc2\x9b' -- audit note $'a\xc2\x9b2Jb'
refused "audit note with ESC" "a control character" $'\x1b' -- \
    audit note $'\x1b[2Jgone'
refused "audit note with a newline" "a control character at byte 3" \
    "NOTICE" -- audit note $'one\nNOTICE: forged line'
refused "audit note with a tab" "a control character" $'\t' -- \
    audit note $'a\tb'
refused "audit note with DEL" "a control character" $'\x7f' -- \
    audit note $'a\x7fb'
refused "audit note, overlong '/'" "invalid UTF-8 at byte 2" $'\xc0\xaf' -- \
    audit note $'..\xc0\xafetc'
refused "audit note, CESU-8 surrogates" "invalid UTF-8" $'\xed\xa0\xbd' -- \
    audit note $'x\xed\xa0\xbd\xed\xb8\x80'
refused "audit note above U+10FFFF" "invalid UTF-8" $'\xf4\x90' -- \
    audit note $'\xf4\x90\x80\x80'
refused "audit note, truncated sequence" "invalid UTF-8 at byte 1" \
    $'\xe2\x82' -- audit note $'a\xe2\x82'
refused "audit note --as with C1" "the value of --as holds" $'\xc2\x9b' -- \
    audit note hello --as $'eve\xc2\x9b'
refused "deny --reason \\xff" "the value of --reason holds invalid UTF-8" \
    $'\xff' -- deny abcdef --as alice --reason $'\xff'
refused "request --reason with U+202E" "the value of --reason holds a direction" \
    $'\xe2\x80\xae' -- request "$ACCT" --reason $'ok\u202e' --as rita
refused "request --as with a bidi isolate" "the value of --as holds" \
    $'\xe2\x81\xa9' -- request "$ACCT" --reason fine --as $'rita\u2069'
# (argument 5: after --state DIR, the command and its word)
refused "custodian add, a name with U+202D" "argument 5 holds a direction" \
    $'\xe2\x80\xad' -- custodian add $'bob\u202d' --group mfa
refused "requester add, a name with \\xff" "argument 5 holds invalid UTF-8" \
    $'\xff' -- requester add $'ri\xffta'
check "after every refusal the log has the same $n0 entries" \
    test "$(entries)" = "$n0"

# control: the same commands with clean text work
run audit note "a clean note" --as eve
check "control: a clean note --as eve is recorded" is_rc 0

# every line of the log is strict UTF-8 JSON without controls
run audit show --json
check "audit show --json: exit 0" is_rc 0
cp "$out" "$work/log.json"
check "every entry is strict UTF-8 JSON with clean strings" python3 -c '
import json, sys, unicodedata
bad = set(range(0x20)) | {0x7f} | set(range(0x80, 0xa0)) | {0x61c, 0x200e,
    0x200f} | set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
def walk(v, key):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(k, False)
            walk(x, True)
    elif isinstance(v, list):
        for x in v:
            walk(x, True)
    elif isinstance(v, str):
        for c in v:
            if ord(c) in bad and not (key and c == "\n"):
                sys.exit("control %r in %r" % (c, v))
n = 0
for line in open(sys.argv[1], "rb").read().decode("utf-8", "strict").splitlines():
    walk(json.loads(line), False)
    n += 1
sys.exit(0 if n > 0 else 1)
' "$work/log.json"

# -------------------------------------------------------------- actors
me=$(id -un 2>/dev/null || echo "uid:$(id -u)")
actor_of() {	# EVENT -> the actor of its last entry
	python3 -c '
import json, sys
a = None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == sys.argv[2]:
        a = e["actor"]
print(a)' "$work/log.json" "$1"
}
check "no entry names an empty actor" python3 -c '
import json, sys
empty = [e["seq"] for e in map(json.loads, open(sys.argv[1])) if not e["actor"]]
sys.exit("empty actor in entries %s" % empty if empty else 0)' "$work/log.json"
check "audit.init names breakglass" test "$(actor_of audit.init)" = breakglass
check "config.init names the login name ($me)" test "$(actor_of config.init)" = "$me"
check "vault.init names the login name" test "$(actor_of vault.init)" = "$me"
check "custodian.added names the login name" test "$(actor_of custodian.added)" = "$me"
check "account.added names the login name" test "$(actor_of account.added)" = "$me"
check "a note --as eve names eve" test "$(actor_of operator.note)" = eve

# --------------------------------------------------------- permissions
n0=$(entries)
s0=$(snapshot)
perm_refused() {	# DESC PATH BAD-MODE FIX
	local desc=$1 path=$2 badmode=$3 fix=$4 good
	good=$(stat -c %a "$path")
	chmod "$badmode" "$path"
	run vault verify
	check "$desc: vault verify (reads) exit 1" is_rc 1
	check "$desc: vault verify names the path and '$fix'" \
	    has_err "$path.*$fix $path"
	run vault show
	check "$desc: vault show (reads) exit 1" is_rc 1
	run audit show
	check "$desc: audit show (reads) exit 1" is_rc 1
	check "$desc: audit show says '$fix'" has_err "$fix $path"
	run audit verify
	check "$desc: audit verify exit 1" is_rc 1
	run custodian add carol --group mfa
	check "$desc: custodian add (writes) exit 1" is_rc 1
	check "$desc: custodian add names the mode" has_err "(mode 0"
	run audit note "while open"
	check "$desc: audit note (writes) exit 1" is_rc 1
	chmod "$good" "$path"
	check "$desc: nothing changed" same "$s0"
	run vault verify
	check "$desc: mode restored: vault verify works again" is_rc 0
}
perm_refused "state directory o+w" "$st" o+w "chmod go-w"
perm_refused "state directory g+w" "$st" g+w "chmod go-w"
perm_refused "vault.json g+w" "$st/vault.json" g+w "chmod go-w"
perm_refused "audit directory o+w" "$st/audit" o+w "chmod go-w"
perm_refused "entries.jsonl g+w" "$st/audit/entries.jsonl" g+w "chmod go-w"
perm_refused "audit/signing.key o+r" "$st/audit/signing.key" o+r "chmod go-rwx"
perm_refused "audit/signing.key g+r" "$st/audit/signing.key" g+r "chmod go-rwx"

# a symbolic link planted in the state directory
ln -s vault.json "$st/breakglass.json.link"
run custodian add carol --group mfa
check "a symlink in the state directory: refused (exit 1)" is_rc 1
check "a symlink: named" has_err "breakglass.json.link is a symbolic link"
run vault verify
check "a symlink: vault verify refuses too" is_rc 1
rm "$st/breakglass.json.link"
check "a symlink: nothing changed" same "$s0"

# a file of another owner (only root can make one)
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$st/vault.json"
	run custodian add carol --group mfa
	check "vault.json of another owner: refused (exit 1)" is_rc 1
	check "another owner: the uid named" has_err "owned by uid 65534"
	run vault verify
	check "another owner: vault verify refuses too" is_rc 1
	chown 0 "$st/vault.json"
	check "another owner: nothing changed" same "$s0"
else
	echo "# skipped: another owner (needs root)"
fi

check "after every refusal the log has the same $n0 entries" \
    test "$(entries)" = "$n0"
run custodian add carol --group mfa
check "restored: a writing command works (custodian add)" is_rc 0
run audit note "after the permissions were restored"
check "restored: audit note works" is_rc 0

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
