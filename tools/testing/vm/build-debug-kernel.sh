#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once per machine) the debug kernel the rig boots for KUnit and the
# sanitizer runs: tinyconfig of Debian's linux-source-6.12 plus
# debug.config (what the rig's machine and the tests need, and the
# sanitizers).  Prints the build directory.  A finished build is marked by
# .iopass-built; an interrupted one is resumed by make, not restarted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(src_tree)
out=$(debug_build_dir)
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

if [ ! -e "$out/.iopass-built" ]; then
	echo "rig: building debug kernel in $out (about 7 min, once)" >&2
	make -s -C "$src" O="$out" tinyconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$RIG_DIR/debug.config" >&2
	make -s -C "$src" O="$out" olddefconfig >&2

	# merge_config only warns when an option is dropped: refuse instead.
	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qxF "$line" "$out/.config" ||
			{ echo "rig: debug.config: '$line' did not stick" >&2; missing=1; }
	done <"$RIG_DIR/debug.config"
	[ $missing = 0 ] || exit 1

	make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >&2
	touch "$out/.iopass-built"
fi
echo "$out"
