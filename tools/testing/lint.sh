#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint with the kernel's own tools from Debian's linux-source-6.12:
# checkpatch --strict, sparse (C=2 against the 6.12 headers) and
# kernel-doc -none -Wall.  Any report fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$("$top/tools/testing/vm/src-tree.sh") || exit 1
cd "$top"
rc=0

kfiles=$(ls drivers/iopass/*.[ch] drivers/iopass/tests/*.c include/uapi/linux/iopass.h)
ufiles=$(ls selftests/*.[ch])
# User-space programs: kernel rules that do not apply to them are off.
# Messages for people are wrapped (SPLIT_STRING); errnos are positive
# (USE_NEGATIVE_ERRNO); there is no compiler.h (PREFER_DEFINED_ATTRIBUTE_MACRO);
# MMIO through a mapped BAR is volatile (VOLATILE); usage text names the
# program (EMBEDDED_FUNCTION_NAME).
tfiles=$(ls tools/iopassctl/*.[ch] tools/examples/*/*.c tools/bench/*.c)
tignore=SPLIT_STRING,USE_NEGATIVE_ERRNO,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE,EMBEDDED_FUNCTION_NAME

echo "== checkpatch --strict"
for f in $kfiles $ufiles; do
	ignore=$(awk -v f="$f" '$1 == f { printf ",%s", $2 }' \
		 "$top/tools/testing/checkpatch-allow")
	"$src/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore "FILE_PATH_CHANGES$ignore" -f "$f" || rc=1
done
for f in $tfiles; do
	"$src/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore "FILE_PATH_CHANGES,$tignore" -f "$f" || rc=1
done

echo "== kernel-doc -none -Wall"
out=$("$src/scripts/kernel-doc" -none -Wall $kfiles 2>&1)
[ -z "$out" ] || { echo "$out"; rc=1; }

echo "== sparse"
kdir=$(ls -d /usr/src/linux-headers-6.12.*-amd64 | sort -V | tail -n1)
out_dir="$top/build/lint/src"
mkdir -p "$out_dir"
cp -a Kbuild drivers include "$out_dir/"
find "$out_dir" -name '*.o' -delete
out=$(make -C "$kdir" M="$out_dir" C=2 CHECK="sparse" modules 2>&1)
echo "$out" | grep -E 'warning:|error:' && rc=1

[ $rc = 0 ] && echo "lint: clean"
exit $rc
