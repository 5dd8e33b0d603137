#!/bin/sh
# format.sh: apply .clang-format to every C file, or with --check fail when
# a file is not formatted.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
if [ "${1:-}" = "--check" ]; then
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files
	echo "format: ok"
else
	# shellcheck disable=SC2086
	clang-format -i $files
fi
