# SPDX-License-Identifier: GPL-2.0
# Shared paths for the iopass test rig.  Sourced, never run.
#
# Everything expensive lives in $IOPASS_CACHE, outside the checkout, so a
# fresh clone on a machine that already built it pays nothing again.

IOPASS_CACHE=${IOPASS_CACHE:-/var/cache/iopass}
RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$RIG_DIR/../../.." && pwd)

die() { echo "rig: $*" >&2; exit 1; }

# Version of Debian's linux-source-6.12 package; it names the source cache.
src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed (run 'make deps')"
}

# The pristine 6.12 source tree: checkpatch, kernel-doc, kunit.py,
# kselftest_harness.h and the debug kernel all come from it.
src_tree() {
	local dir="$IOPASS_CACHE/linux-source-$(src_version)"

	if [ ! -e "$dir/.extracted" ]; then
		mkdir -p "$IOPASS_CACHE"
		(
			flock 9
			if [ ! -e "$dir/.extracted" ]; then
				rm -rf "$dir" && mkdir -p "$dir"
				tar -xf /usr/src/linux-source-6.12.tar.xz \
					-C "$dir" --strip-components=1 ||
					die "cannot extract linux-source-6.12"
				touch "$dir/.extracted"
			fi
		) 9>"$IOPASS_CACHE/.src.lock" >&2
	fi
	echo "$dir"
}

# The debug kernel's build directory, keyed on the config fragment, the
# build script and the source version.
debug_build_dir() {
	local key

	key=$(cat "$RIG_DIR/debug.config" "$RIG_DIR/build-debug-kernel.sh" |
	      { cat; src_version; } | sha256sum | cut -c1-16)
	echo "$IOPASS_CACHE/linux-debug-$key"
}

# The bench kernel's build directory, keyed the same way.
bench_build_dir() {
	local key

	key=$(cat "$RIG_DIR/bench.config" "$RIG_DIR/build-bench-kernel.sh" |
	      { cat; src_version; } | sha256sum | cut -c1-16)
	echo "$IOPASS_CACHE/linux-bench-$key"
}
