#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: build.sh 6.1|6.12|debug
# Build iopass.ko and, as a test build (IOPASS_TEST=1), the mock backend
# iopass_mock.ko (and iopass_kunit.ko where the kernel has KUnit) for one
# kernel, with W=1, in build/<kver>/ so the three builds do not share
# objects.  Any compiler warning fails the build.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
eval "$("$top/tools/testing/vm/kernel.sh" "$kver")"

out="$top/build/$kver"
mkdir -p "$out/src"
cp -a "$top/Kbuild" "$top/drivers" "$top/include" "$out/src/"
log="$out/build.log"
if ! make -C "$KDIR" M="$out/src" W=1 IOPASS_TEST=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build $kver: FAILED" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build $kver: compiler warnings (W=1)" >&2
	exit 1
fi
