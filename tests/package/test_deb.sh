#!/usr/bin/env bash
# tests/package/test_deb.sh: the Debian package as a user gets it.
#
# Configures and builds the source tree afresh in a scratch directory (so
# the build tree that runs this test is neither rebuilt nor written to),
# runs `cpack -G DEB` there, and checks the .deb: its control fields and
# computed Depends, that it holds exactly the intended files (no test
# program, no software token) owned by root, md5sums, a stripped binary,
# `--version` and `--help` of the unpacked binary, the man page (renders
# without warnings, documents every command and option the binary's usage
# names), the bash completion (offers every command and option the usage
# names), changelog and copyright, and lintian with no error (E:); its
# other tags are printed.
#
# Usage: test_deb.sh SRC VERSION MODE CMAKE CPACK [CMAKE-OPTION...]
# MODE "asan" skips (exit 77): a sanitizer build is not a shippable package.
set -u
src=$1 version=$2 mode=$3 cmake=$4 cpack=$5
shift 5

if [ "$mode" = asan ]; then
	echo "SKIP: sanitizer build; the package test runs in the normal build"
	exit 77
fi

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
finish() {
	echo "package_deb: $pass passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
show() { sed 's/^/    /' "$1"; }

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog lintian man groff \
    readelf gzip md5sum; do
	command -v "$tool" >/dev/null ||
	    bad "$tool is missing (scripts/setup installs it)"
done
[ "$failed" -eq 0 ] || finish

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bg-deb.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
build=$tmp/build root=$tmp/root

# ------------------------------------------------------------ build, pack
if ! "$cmake" -S "$src" -B "$build" -DBUILD_TESTING=OFF "$@" \
    >"$tmp/configure.log" 2>&1; then
	bad "configure"; show "$tmp/configure.log"; finish
fi
if ! "$cmake" --build "$build" -j "$(nproc)" >"$tmp/build.log" 2>&1; then
	bad "build"; tail -40 "$tmp/build.log" | show /dev/stdin; finish
fi
if ! (cd "$build" && "$cpack" -G DEB) >"$tmp/cpack.log" 2>&1; then
	bad "cpack -G DEB"; show "$tmp/cpack.log"
	cat "$build"/_CPack_Packages/*/DEB/*.log 2>/dev/null | show /dev/stdin
	finish
fi
debs=("$build"/breakglass_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
	bad "cpack made one breakglass_*.deb (${debs[*]})"; finish
fi
deb=${debs[0]}
ok "cpack -G DEB made ${deb##*/}"

# ---------------------------------------------------------- control fields
field() { dpkg-deb -f "$deb" "$1"; }
depends=$(field Depends)
echo "    Depends: $depends"
check "Package: breakglass" [ "$(field Package)" = breakglass ]
check "Version: $version" [ "$(field Version)" = "$version" ]
check "Section: admin" [ "$(field Section)" = admin ]
check "Priority: optional" [ "$(field Priority)" = optional ]
check "Maintainer: set" [ -n "$(field Maintainer)" ]
check "Description: a synopsis and an extended description" \
    [ "$(field Description | wc -l)" -gt 2 ]
for lib in libc6 libfido2-1 libykpers-1-1 libssl3 libcurl4 libcjson1; do
	check "Depends names $lib" \
	    grep -Eq "(^|, )$lib( |,|$)" <<<"$depends"
done
dpkg-deb -e "$deb" "$tmp/control"
check "control has md5sums" [ -s "$tmp/control/md5sums" ]

# ---------------------------------------------------------------- contents
dpkg-deb -c "$deb" >"$tmp/contents"
files=$(awk '$1 !~ /^d/ { print $6 }' "$tmp/contents" | sort)
want=$(sort <<'EOF'
./etc/breakglass/breakglass.conf
./usr/bin/breakglass
./usr/lib/systemd/system/breakglassd.service
./usr/lib/systemd/system/breakglassd.socket
./usr/sbin/breakglassd
./usr/share/bash-completion/completions/breakglass
./usr/share/bash-completion/completions/breakglassd
./usr/share/doc/breakglass/changelog.gz
./usr/share/doc/breakglass/copyright
./usr/share/man/man1/breakglass.1.gz
./usr/share/man/man8/breakglassd.8.gz
EOF
)
if [ "$files" = "$want" ]; then
	ok "the package holds exactly the intended files"
else
	bad "the package holds exactly the intended files"
	diff <(echo "$want") <(echo "$files") | show /dev/stdin
fi
check "every entry is owned by root/root" \
    awk '$2 != "root/root" { exit 1 }' "$tmp/contents"
check "the programs are mode 0755, the other files 0644" awk '
    $1 ~ /^-/ && $6 ~ /^\.\/usr\/s?bin\// && $1 != "-rwxr-xr-x" { exit 1 }
    $1 ~ /^-/ && $6 !~ /^\.\/usr\/s?bin\// && $1 != "-rw-r--r--" { exit 1 }
    $1 ~ /^d/ && $1 != "drwxr-xr-x" { exit 1 }' "$tmp/contents"

dpkg -x "$deb" "$root"
check "md5sums match the files" \
    sh -c 'cd "$1" && md5sum --quiet -c "$2"' sh "$root" \
    "$tmp/control/md5sums"
bin=$root/usr/bin/breakglass
check "the program is stripped (no .symtab, .debug_*, .comment)" \
    sh -c '! readelf -S -W "$1" | grep -Eq "\.symtab|\.debug_|\.comment"' \
    sh "$bin"

# ------------------------------------------------------ --version, --help
out=$("$bin" --version 2>"$tmp/err"); rc=$?
check "--version exits 0" [ "$rc" -eq 0 ]
check "--version prints 'breakglass $version'" \
    [ "$out" = "breakglass $version" ]
"$bin" --help >"$tmp/help" 2>"$tmp/err"; rc=$?
check "--help exits 0" [ "$rc" -eq 0 ]
check "--help prints the usage on stdout" \
    grep -q '^usage: breakglass \[--state DIR\] COMMAND' "$tmp/help"
check "--help names --version" grep -q -- '--version' "$tmp/help"

# The usage lines of the binary: the top-level --help, and what each command
# group prints when given nothing or a bad option (state: a directory that
# does not exist; nothing is created). One line per command: "CMD [SUB]
# ARGS...".
groups=$(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p; s/^  \([a-z][a-z-]*\)$/\1/p' \
    "$tmp/help" | sort -u)
nostate=$tmp/no-state
{
	for g in $groups; do
		BREAKGLASS_STATE=$nostate "$bin" "$g" </dev/null 2>&1 >/dev/null
		BREAKGLASS_STATE=$nostate "$bin" "$g" --no-such-option \
		    </dev/null 2>&1 >/dev/null
	done
	# the help lines of commands that print no usage of their own
	grep -E '^  (init|request|approve|deny|release|status|rekey) ' \
	    "$tmp/help" | sed 's/^  /breakglass /'
} | sed -n 's/^\(usage:\)\{0,1\} *breakglass \([a-z].*\)/\2/p' |
    sort -u >"$tmp/usage"
check "the command groups print their usage" [ -s "$tmp/usage" ]
check "nothing was created in a state directory" [ ! -e "$nostate" ]
# "CMD SUB" when the second word is a subcommand
cmdsub() {
	local w
	read -ra w <<<"$1"
	case ${w[1]-} in
	[a-z]*) echo "${w[0]} ${w[1]}" ;;
	*) echo "${w[0]}" ;;
	esac
}

# ---------------------------------------------------------------- man page
man1=$root/usr/share/man/man1/breakglass.1.gz
check "man page installed" [ -f "$man1" ]
check "man page gzip: valid, no name or time stamp (gzip -n)" sh -c '
    gzip -t "$1" &&
    [ "$(od -An -tu1 -j3 -N5 "$1" | tr -s " ")" = " 0 0 0 0 0" ]' sh "$man1"
zcat "$man1" | groff -man -Tutf8 -ww -z >"$tmp/groff.err" 2>&1
check "groff -man -ww: no warnings" [ ! -s "$tmp/groff.err" ]
show "$tmp/groff.err"
LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l \
    -Tutf8 -Z "$man1" >/dev/null 2>"$tmp/man.err"
check "man --warnings: none" [ ! -s "$tmp/man.err" ]
show "$tmp/man.err"
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man1" 2>/dev/null | col -b \
    >"$tmp/man.txt"
man8=$root/usr/share/man/man8/breakglassd.8.gz
check "breakglassd(8) installed" [ -f "$man8" ]
zcat "$man8" | groff -man -Tutf8 -ww -z >"$tmp/groff8.err" 2>&1
check "breakglassd(8): groff -man -ww: no warnings" [ ! -s "$tmp/groff8.err" ]
show "$tmp/groff8.err"
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man8" 2>/dev/null | col -b \
    >"$tmp/man8.txt"
for o in --config --run breakglass.conf verifier admins SO_PEERCRED; do
	check "breakglassd(8) names $o" grep -qF -- "$o" "$tmp/man8.txt"
done
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT \
    FILES EXAMPLES "SEE ALSO"; do
	check "man page has $s" grep -q "^$s\$" "$tmp/man.txt"
done
check "man page .TH names version $version" \
    sh -c 'zcat "$1" | grep -q "^\.TH BREAKGLASS 1 .*\"breakglass $2\""' \
    sh "$man1" "$version"
for f in breakglass.json vault.json requests/ audit/entries.jsonl \
    audit/checkpoint audit/signing.key audit/verifier.vkey spool/ \
    BREAKGLASS_STATE; do
	check "man page names $f" grep -qF -- "$f" "$tmp/man.txt"
done
missing=""
while read -r line; do
	c=$(cmdsub "$line")
	grep -Eq "^ +$c( |$)" "$tmp/man.txt" || missing+=" '$c'"
	for o in $(grep -o -- '--[a-z0-9-]*' <<<"$line"); do
		grep -qF -- "$o" "$tmp/man.txt" || missing+=" '$c $o'"
	done
done <"$tmp/usage"
check "man page documents every command and option of the usage" \
    [ -z "$missing" ]
[ -z "$missing" ] || echo "    not in the man page:$missing"

# ---------------------------------------------------------- bash completion
comp=$root/usr/share/bash-completion/completions/breakglass
check "bash completion installed" [ -f "$comp" ]
check "bash completion parses (bash -n)" bash -n "$comp"
compd=$root/usr/share/bash-completion/completions/breakglassd
check "breakglassd's completion parses (bash -n)" bash -n "$compd"
offd=$(bash -c 'source "$1"; source "$2"; shift 2
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _breakglassd
    printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$compd" breakglassd "")
check "breakglassd's completion offers --config and --run" sh -c \
    'printf "%s\n" "$1" | grep -qx -- --config &&
    printf "%s\n" "$1" | grep -qx -- --run' sh "$offd"
offd=$(bash -c 'source "$1"; source "$2"; shift 2
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _breakglassd
    printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$compd" breakglassd --run "")
check "... and after --run, breakglass's commands" sh -c \
    'printf "%s\n" "$1" | grep -qx -- rekey' sh "$offd"
# complete WORDS...: what the completion offers for the last word
complete_words() {
	bash -c 'source "$1"; shift
	    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    _breakglass breakglass "${COMP_WORDS[COMP_CWORD]}" \
	        "${COMP_WORDS[COMP_CWORD-1]}"
	    printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
}
offered=$(complete_words breakglass "")
missing=""
for g in $groups --state --help --version; do
	grep -qx -- "$g" <<<"$offered" || missing+=" $g"
done
check "completion offers every command group and --state/--help/--version" \
    [ -z "$missing" ]
[ -z "$missing" ] || echo "    not offered:$missing"
missing=""
while read -r line; do
	c=$(cmdsub "$line")
	read -ra w <<<"$c"
	if [ ${#w[@]} -eq 2 ]; then
		grep -qx -- "${w[1]}" <<<"$(complete_words breakglass \
		    "${w[0]}" "")" || missing+=" '$c'"
	fi
	opts=$(grep -o -- '--[a-z0-9-]*' <<<"$line" | sort -u)
	[ -n "$opts" ] || continue
	offered=$(complete_words breakglass "${w[@]}" --)
	for o in $opts; do
		grep -qx -- "$o" <<<"$offered" || missing+=" '$c $o'"
	done
done <"$tmp/usage"
check "completion offers every subcommand and option of the usage" \
    [ -z "$missing" ]
[ -z "$missing" ] || echo "    not offered:$missing"

# ------------------------------------------------------ changelog, copyright
doc=$root/usr/share/doc/breakglass
check "changelog.gz: its latest entry is version $version" sh -c '
    [ "$(zcat "$1" | dpkg-parsechangelog -l- -SVersion)" = "$2" ]' \
    sh "$doc/changelog.gz" "$version"
check "copyright is machine-readable (DEP-5)" grep -qx \
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
    "$doc/copyright"

# ------------------------------------------------------------------ lintian
# The tags are printed; an error (E:) fails the test. 300 s at most.
timeout 300 lintian --display-info --pedantic "$deb" >"$tmp/lintian" \
    2>"$tmp/lintian.err"
rc=$?
echo "    lintian (exit $rc):"
grep -v 'running with root privileges' "$tmp/lintian.err" | cat - \
    "$tmp/lintian" | show /dev/stdin
check "lintian ran (exit $rc)" [ "$rc" -eq 0 -o "$rc" -eq 1 ]
check "lintian reports no error (E:)" sh -c '! grep -q "^E: " "$1"' sh \
    "$tmp/lintian"

finish
