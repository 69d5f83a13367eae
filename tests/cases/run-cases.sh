#!/bin/sh
# Differential tests for `chperms stat` / `chperms find`: build one fixed
# tree, run every case of the table files with a reference implementation
# (GNU stat/find on Debian) and with chperms, and compare stdout, stderr
# (program name normalised) and exit status byte for byte.
#
# Usage: run-cases.sh [CASEFILE...]        (default: stat.cases find.cases)
# Environment:
#   CHPERMS   how to run chperms, absolute path (default: chperms on PATH), e.g.
#             "qemu-mipsel-static ./target/mipsel-unknown-linux-musl/release/chperms"
#   REF       reference prefix: empty = GNU `stat`/`find` on PATH (default);
#             "busybox" = BusyBox applets (on a router)
#   ONLY_TAG  run only cases whose tags contain this word (e.g. "bb")
#   VERBOSE=1 print the diff of every failure (default: first 40 lines)
#   KEEP=1    keep the tree (printed) for inspection
#
# Table format, one case per line:  NAME :: TAGS :: EXIT :: ARGS
#   NAME  unique; its prefix (stat-/find-) picks the applet
#   TAGS  words or '-': "bb" = BusyBox agrees with GNU here (use ONLY_TAG=bb
#         when REF=busybox on a router), "sock" = needs the socket,
#         "utf8" = run in the C.UTF-8 locale instead of C,
#         "scratch" = a fresh copy of a small tree is made at ./scratch before
#         each run and listed after it (with the contents of scratch/out*),
#         for -delete and -fprint; "answers" = stdin holds y/n answers
#         (y n y n ...) for -ok; other cases get /dev/null on stdin
#   EXIT  expected exit status (checked for both implementations)
#   ARGS  shell words, evaluated with `eval` inside the tree (TZ=UTC, LC_ALL=C)
# Lines starting with # and blank lines are ignored.
#
# On a router (BusyBox, no GNU): copy this directory and the binary over, then
#   CHPERMS=/tmp/chperms REF=busybox ONLY_TAG=bb sh run-cases.sh
# Sockets are created with python3 or socat when present; otherwise the
# socket entry is absent and cases tagged "sock" are skipped (say so: the
# tree differs only by that entry, which both tools then agree on).
set -u
here=$(cd "$(dirname "$0")" && pwd)
CHPERMS=${CHPERMS:-chperms}
REF=${REF:-}
ONLY_TAG=${ONLY_TAG:-}
export TZ=UTC LC_ALL=C
[ $# -gt 0 ] || set -- "$here/stat.cases" "$here/find.cases"
files=
for f in "$@"; do
	case $f in /*) ;; *) f=$PWD/$f ;; esac
	files="$files $f"
done

work=$(mktemp -d /tmp/chperms-cases.XXXXXX) || exit 1
t=$work/tree
mkdir -p "$t" && cd "$t" || exit 1
old='2020-01-02 03:04:05'
mk() { printf '%s' "$2" > "$1"; }
mk f.txt 'hello
'
: > empty
mk exec.sh '#!/bin/sh
'
dd if=/dev/zero of=big bs=1024 count=1025 2>/dev/null
mk three 'abc'
mk k1 "$(printf '%1024s' x)"
mkdir sub sub/deep emptydir sticky nested nested/a nested/a/b
mk sub/a.log 'log
'
mk sub/b.LOG 'LOG
'
mk sub/deep/x 'x'
mk 'sp ace' 's'
mk "quo'te" 'q'
ln -s f.txt link
ln -s nowhere dangling
ln -s sub dirlink
ln -s ../.. nested/a/b/up
mkfifo fifo
mk hard1 'h'
ln hard1 hard2
mk orphan 'o'
chown 4242:4343 orphan
mk wworld 'w'
mk suid 's'
have_sock=0
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")' 2>/dev/null && have_sock=1
elif command -v socat >/dev/null 2>&1; then
	(socat UNIX-LISTEN:sock /dev/null &) ; sleep 1; [ -S sock ] && have_sock=1
fi
chmod 0644 f.txt three k1 'sp ace' "quo'te" hard1 orphan sub/a.log sub/b.LOG sub/deep/x big
chmod 0600 empty
chmod 0755 exec.sh nested nested/a nested/a/b emptydir sub/deep
chmod 0666 wworld
chmod 4755 suid
chmod 2750 sub
chmod 1777 sticky
mk new 'n'
chmod 0640 new
for e in f.txt empty exec.sh big three k1 sub/a.log sub/b.LOG sub/deep/x 'sp ace' "quo'te" \
	hard1 orphan wworld suid fifo; do
	touch -d "$old" "$e"
done
touch -d '2021-06-15 12:00:00' three
# Names for locale-aware matching and quoting: UTF-8 letters whose case
# folds (É/é, Ⱥ/ⱥ), control bytes, a newline, a backslash, a byte that is
# not UTF-8.
mkdir uni odd
mk 'uni/Élan' 'e'
mk 'uni/élan' 'e'
mk 'uni/aaaaaⱥⱥⱥ' 'a'
mk 'uni/ÉCOLE.txt' 'c'
mk "$(printf 'odd/nl\nname')" 'n'
mk 'odd/back\slash' 'b'
mk "$(printf 'odd/tab\tname')" 't'
mk "$(printf 'odd/ctl\001x')" 'c'
mk "$(printf 'odd/hi\377')" 'h'
chmod 0644 uni/* odd/*
chmod 0755 uni odd
touch -d "$old" uni/* odd/* uni odd
# Start-point lists for -files0-from.
printf 'sub\0f.txt\0' > list0
printf 'sub\0\0empty\0' > list0e
chmod 0644 list0 list0e
touch -d "$old" list0 list0e
# The template of ./scratch (tag "scratch"): files and directories to delete.
tmpl=$work/tmpl
mkdir -p "$tmpl/keep" "$tmpl/gone/deeper" "$tmpl/mixed/sub"
printf 'k' > "$tmpl/keep/k.txt"
printf 'g' > "$tmpl/gone/g.tmp"
printf 'g' > "$tmpl/gone/deeper/d.tmp"
printf 'm' > "$tmpl/mixed/a.tmp"
printf 'm' > "$tmpl/mixed/b.log"
printf 'm' > "$tmpl/mixed/sub/c.tmp"
ln -s ../keep "$tmpl/mixed/link.tmp"
chmod -R u=rwX,go=rX "$tmpl"
touch -d "$old" "$tmpl"/*/* "$tmpl"/*/*/* "$tmpl"/* 2>/dev/null
touch -h -d "$old" "$tmpl/mixed/link.tmp"
for l in link dangling dirlink nested/a/b/up; do touch -h -d "$old" "$l" 2>/dev/null; done
[ $have_sock = 1 ] && touch -d "$old" sock
touch -d "$old" sub/deep sub emptydir sticky nested/a/b nested/a nested
# settle directory atimes (relatime) before anything compares them
ls -laR . > /dev/null 2>&1
find . > /dev/null 2>&1

norm() { sed -e 's/^chperms \(stat\|find\):/PROG:/' -e 's/^\(stat\|find\):/PROG:/' "$1"; }
printf 'y\nn\ny\nn\ny\nn\ny\nn\ny\nn\ny\nn\n' > "$work/answers"

pass=0 fail=0 skip=0
for file in $files; do
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in ''|'#'*) continue ;; esac
		name=${line%% :: *}; rest=${line#* :: }
		tags=${rest%% :: *}; rest=${rest#* :: }
		case $rest in
		*' :: '*) want=${rest%% :: *}; args=${rest#* :: } ;;
		*) want=${rest%% ::*}; args= ;;
		esac
		case $name in stat-*) app=stat ;; *) app=find ;; esac
		if [ -n "$ONLY_TAG" ]; then
			case " $tags " in *" $ONLY_TAG "*) ;; *) skip=$((skip + 1)); continue ;; esac
		fi
		case " $tags " in *" sock "*) [ $have_sock = 1 ] || { skip=$((skip + 1)); continue; } ;; esac
		o=$work/out
		loc=C
		case " $tags " in *" utf8 "*) loc=C.UTF-8 ;; esac
		input=/dev/null
		case " $tags " in *" answers "*) input=$work/answers ;; esac
		scratch=0
		case " $tags " in *" scratch "*) scratch=1 ;; esac
		run_one() { # run_one PREFIX-COMMAND OUT-BASE
			runner=$1 base=$2
			[ $scratch = 1 ] && { rm -rf scratch; cp -a "$tmpl" scratch; }
			(eval "set -- $args"; LC_ALL=$loc $runner $app "$@" > "$base.1" 2> "$base.2" < "$input"; echo $? > "$base.rc")
			if [ $scratch = 1 ]; then
				{
					echo "--- scratch after the run:"
					if [ -e scratch ]; then find scratch | LC_ALL=C sort; else echo "(scratch itself is gone)"; fi
					for f in scratch/out*; do [ -f "$f" ] && { echo "--- $f:"; cat "$f"; }; done
				} >> "$base.1"
				rm -rf scratch
			fi
		}
		run_one "$REF" "$o.r"
		run_one "$CHPERMS" "$o.c"
		mv "$o.r.1" "$o.r1"; mv "$o.r.2" "$o.r2"; mv "$o.r.rc" "$o.rc"
		mv "$o.c.1" "$o.c1"; mv "$o.c.2" "$o.c2"; mv "$o.c.rc" "$o.cc"
		rc=$(cat "$o.rc"); cc=$(cat "$o.cc")
		norm "$o.r2" > "$o.r2n"; norm "$o.c2" > "$o.c2n"
		if cmp -s "$o.r1" "$o.c1" && cmp -s "$o.r2n" "$o.c2n" && [ "$rc" = "$cc" ] && [ "$cc" = "$want" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL $name: $app $args  (exit: reference $rc, chperms $cc, table $want)"
			{
				diff "$o.r1" "$o.c1" | sed 's/^/  stdout /'
				diff "$o.r2n" "$o.c2n" | sed 's/^/  stderr /'
			} | if [ "${VERBOSE:-0}" = 1 ]; then cat; else head -40; fi
		fi
	done < "$file"
done
echo "cases: $pass passed, $fail failed, $skip skipped (socket: $have_sock)"
cd /
if [ "${KEEP:-0}" = 1 ]; then echo "tree kept: $t"; else rm -rf "$work"; fi
[ $fail -eq 0 ]
