#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once per machine) the kernel `make bench` times the peers on:
# x86_64 defconfig of Debian's linux-source-6.12 plus bench.config (iommufd
# and the vfio cdev, which the stock 6.12 lacks; no sanitizers).  Prints
# the build directory.  Works like build-debug-kernel.sh, whose cache it
# shares.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(src_tree)
out=$(bench_build_dir)
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

if [ ! -e "$out/.iopass-built" ]; then
	echo "rig: building bench kernel in $out (about 15 min, once)" >&2
	make -s -C "$src" O="$out" defconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$RIG_DIR/bench.config" >&2
	make -s -C "$src" O="$out" olddefconfig >&2

	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qxF "$line" "$out/.config" ||
			{ echo "rig: bench.config: '$line' did not stick" >&2; missing=1; }
	done <"$RIG_DIR/bench.config"
	[ $missing = 0 ] || exit 1

	make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >&2
	touch "$out/.iopass-built"
fi
echo "$out"
