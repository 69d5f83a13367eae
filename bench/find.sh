# bench/find.sh — sourced by `bench/run.sh find` (make bench): chperms find
# against GNU find and BusyBox find on the ~100k-entry vhost run.sh built,
# one row per expression, the three tools alternating, medians of $RUNS runs
# (warm page cache, output to /dev/null). Each row also checks that chperms
# printed what GNU printed (sorted, so that only the set of lines counts),
# and counts syscalls per entry with strace -f. Writes the find section of
# BENCHMARKS.md. Uses run.sh's helpers: t_us, median, sysc, sysc_top, secs,
# ratio, machine, replace_section, say; and $BIN, $V, $WORK, $ENTRIES, $RUNS.

BB=$(command -v busybox 2>/dev/null || true)
[ -n "$BB" ] || say "busybox not installed: its column says n/a (apt-get install busybox)"
REF_FILE=$V/web/app/public/a020/b00/f00.php
[ -f "$REF_FILE" ] || REF_FILE=$V/web/app/public/wp-config.php

# The rows: a label, then the expression (one string, split by the shell).
# -printf: Debian's BusyBox is built without it.
ROWS="name|-name f0*.php
type f + name|-type f -name f1?.php
perm|-perm -g+r ! -perm -o+r
newer|-newer $REF_FILE
printf|-printf %p\\t%s\\t%m\\t%u\\n"

# tool_cmd TOOL — the command prefix of a column; empty when absent.
tool_cmd() {
	case $1 in
	chperms) echo "$BIN find" ;;
	gnu) echo "find" ;;
	busybox) [ -n "$BB" ] && echo "$BB find" ;;
	esac
}

# run_find TOOL EXPR — runs one tool (expression words split on spaces and
# tabs; no globbing, so f0*.php reaches find as it is).
run_find() {
	cmd=$(tool_cmd "$1")
	set -f
	# shellcheck disable=SC2086 # word splitting of the command and expression
	$cmd "$V" $2
	st=$?
	set +f
	return $st
}

# supports TOOL EXPR — whether the tool accepts the expression at all.
supports() {
	[ -n "$(tool_cmd "$1")" ] || return 1
	run_find "$1" "$2" >/dev/null 2>&1
}

sec=$WORK/section
rows_md=$WORK/find-rows
syscalls_md=$WORK/find-syscalls
: >"$rows_md"
: >"$syscalls_md"
printf '%s\n' "$ROWS" | while IFS='|' read -r label expr; do
	say "find: $label ($RUNS runs each)"
	for t in chperms gnu busybox; do : >"$WORK/f.$t"; done
	bb_ok=no
	supports busybox "$expr" && bb_ok=yes
	run_find chperms "$expr" 2>/dev/null | LC_ALL=C sort >"$WORK/out.c"
	run_find gnu "$expr" 2>/dev/null | LC_ALL=C sort >"$WORK/out.g"
	same="same output"
	cmp -s "$WORK/out.c" "$WORK/out.g" || same="OUTPUT DIFFERS from GNU"
	lines=$(wc -l <"$WORK/out.g")
	i=0
	while [ $i -lt "$RUNS" ]; do
		t_us run_find chperms "$expr" >>"$WORK/f.chperms"
		t_us run_find gnu "$expr" >>"$WORK/f.gnu"
		[ $bb_ok = yes ] && t_us run_find busybox "$expr" >>"$WORK/f.busybox"
		i=$((i + 1))
	done
	mc=$(median "$WORK/f.chperms")
	mg=$(median "$WORK/f.gnu")
	# The expression reaches find as words of $2 (split, not globbed, no
	# backslash removal); exec, so that only the shell's start is extra.
	sc=$(sysc sh -c 'set -f; exec "$0" find "$1" $2' "$BIN" "$V" "$expr")
	tc=$(sysc_top)
	sg=$(sysc sh -c 'set -f; exec find "$1" $2' sh "$V" "$expr")
	tg=$(sysc_top)
	if [ $bb_ok = yes ]; then
		mb=$(median "$WORK/f.busybox")
		sb=$(sysc sh -c 'set -f; exec "$0" find "$1" $2' "$BB" "$V" "$expr")
		bcell="$(secs "$mb") | $(ratio "$mc" "$mb")"
	else
		sb="n/a"
		bcell="n/a | —"
	fi
	verdict=$(awk -v c="$mc" -v g="$mg" 'BEGIN {print (c <= g ? "yes" : "NO")}')
	# printf, not echo: dash's echo would turn the \t of -printf into a tab.
	shown=$(printf '%s' "$expr" | sed "s|$REF_FILE|REF|")
	printf '| `%s` | %s | %s | %s | **%s** | %s | %s / %s / %s | %s, %s |\n' "$shown" "$lines" \
		"$(secs "$mc")" "$(secs "$mg")" "$(ratio "$mc" "$mg")" "$bcell" "$sc" "$sg" "$sb" "$verdict" "$same" >>"$rows_md"
	printf -- '- `%s`: chperms %s; GNU %s.\n' "$shown" "$tc" "$tg" >>"$syscalls_md"
done

{
	echo "## find: chperms vs GNU find vs BusyBox find (\`make bench\`)"
	echo
	machine
	echo "GNU $(find --version | head -n 1 | sed 's/^find //'); BusyBox $([ -n "$BB" ] && "$BB" 2>&1 | head -n 1 | awk '{print $2}' || echo 'not installed')."
	echo "Tree: $ENTRIES entries (a vhost made as for the audit table: $DIRS dirs × $FILES empty files, owned by $U); REF is web/app/public/a020/b00/f00.php, a file made halfway through; \`find TREE EXPR > /dev/null\`, medians of $RUNS runs, the three alternating; warm page cache. Syscalls per entry from \`strace -f\` (the shell that starts find included: about 60 syscalls, 0.0006 per entry)."
	echo
	echo "| expression | lines | chperms (s) | GNU (s) | **chperms ÷ GNU** | BusyBox (s) | chperms ÷ BusyBox | syscalls/entry chperms / GNU / BusyBox | chperms ≤ GNU, output |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$rows_md"
	echo
	echo "Syscalls per entry:"
	echo
	cat "$syscalls_md"
	echo
	echo "Why chperms makes fewer calls: it asks for an entry's metadata only when the expression needs it (\`-name\` and \`-type\` are answered from the directory listing's d_type), and it opens each directory once, by a handle relative to its parent."
	echo
	echo "Reproduce: \`make bench\` (as root; \`sh tests/setup-users.sh\` once), or \`sh bench/run.sh find\` after \`make bench-bin\`."
} >"$sec"
grep -q '| NO,\|DIFFERS' "$sec" && say "find: chperms is slower than GNU on a row, or printed something else: see the table"
replace_section find "$sec"
cat "$sec"
