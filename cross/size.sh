#!/bin/sh
# cross/size.sh — binary sizes of dist/*/chperms and where the bytes go.
#
# Prints (and writes to dist/size-report.txt):
#   1. a table of the five stripped binaries: bytes, KiB, and the budget;
#   2. for mipsel (the budget target): bytes per crate and the largest
#      functions/data, from the unstripped twin kept by cross/build.sh in
#      target/cross/<target>/release/chperms (nm -S --size-sort, demangled).
# Fails when dist/mipsel-unknown-linux-musl/chperms is over SIZE_BUDGET_KIB
# (default 344 KiB: see cross/README.md for why; the aim is 160 KiB). Run
# `make cross` first.
set -eu
. "$(dirname "$0")/env.sh"

BUDGET_KIB=${SIZE_BUDGET_KIB:-344}
AIM_KIB=160
BUDGET_TARGET=mipsel-unknown-linux-musl
TOP=${SIZE_TOP:-25}
report="$DIST/size-report.txt"
mkdir -p "$DIST"

{
	printf '%-32s %9s %8s %9s %7s %7s\n' target bytes KiB text data bss
	for t in $ALL_TARGETS; do
		f="$DIST/$t/chperms"
		[ -f "$f" ] || die "$f missing: run 'make cross'"
		b=$(wc -c <"$f")
		# Berkeley sizes: text (code + read-only data), data, bss (RAM only).
		tdb=$(size "$f" 2>/dev/null | awk 'NR==2 {print $1, $2, $3}')
		note=""
		[ "$t" = "$BUDGET_TARGET" ] && note="  <- budget $BUDGET_KIB KiB, aim $AIM_KIB KiB"
		# shellcheck disable=SC2086
		printf '%-32s %9d %8.1f %9s %7s %7s%s\n' "$t" "$b" "$(echo "$b" | awk '{print $1/1024}')" $tdb "$note"
	done

	unstripped="$CROSS_TARGET_DIR/$BUDGET_TARGET/release/chperms"
	if [ -f "$unstripped" ]; then
		syms=$(mktemp)
		# Text (t/T), read-only data (r/R) and data (d/D) symbols with sizes.
		nm -S --size-sort --radix=d -C "$unstripped" 2>/dev/null \
			| awk '$3 ~ /^[tTrRdDbBvVwW]$/ { sz=$2+0; $1=""; $2=""; $3=""; sub(/^ +/, ""); print sz "\t" $0 }' >"$syms"
		printf '\n%s: bytes per crate (symbols in the unstripped build)\n' "$BUDGET_TARGET"
		# Crate = the first path segment of the demangled name ("<a::B as c::D>::f" -> a).
		awk -F'\t' '{ n=$2; sub(/^[<&* ]+(mut |dyn |const )?/, "", n); c=n; sub(/::.*/, "", c);
			if (c ~ /[ <>(),]/ || c == n) c="[C: musl libc, zig crt, asm]"; s[c]+=$1; tot+=$1 }
			END { for (c in s) printf "%10d %5.1f%%  %s\n", s[c], 100*s[c]/tot, c }' "$syms" \
			| sort -rn | head -15
		printf '\n%s: %d largest symbols\n' "$BUDGET_TARGET" "$TOP"
		sort -t"$(printf '\t')" -k1,1 -rn "$syms" | head -"$TOP" \
			| awk -F'\t' '{ n=$2; if (length(n) > 100) n=substr(n, 1, 97) "..."; printf "%10d  %s\n", $1, n }'
		rm -f "$syms"
	else
		printf '\n(no unstripped build at %s: symbol table skipped)\n' "$unstripped"
	fi
} | tee "$report"

b=$(wc -c <"$DIST/$BUDGET_TARGET/chperms")
limit=$((BUDGET_KIB * 1024))
if [ "$b" -gt "$limit" ]; then
	die "$BUDGET_TARGET binary is $b bytes, over the $BUDGET_KIB KiB budget ($limit bytes): see the symbol table above"
fi
say "$BUDGET_TARGET: $b bytes, within the $BUDGET_KIB KiB budget (report: $report)"
