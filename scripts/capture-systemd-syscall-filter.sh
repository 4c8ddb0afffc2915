#!/usr/bin/env bash
# Captures systemd's syscall groups (@default, @file-system, …) as the installed systemd expands
# them, into data/reference/systemd-<version>-syscall-filter.txt, verbatim `systemd-analyze
# syscall-filter` output. `generate --format systemd` writes a group only where the profile allows
# every member, and diff/merge/report expand groups in unit files, both from this file
# (src/profile/systemd-groups.ts names the version it reads; bump it there when capturing another).
#
#   scripts/capture-systemd-syscall-filter.sh [output directory]
#
# The lines starting with '#' at the end list calls outside every group; the last block ("Unlisted
# System Calls") depends on the running kernel, and is not read.
set -euo pipefail

out_dir=${1:-"$(dirname "$0")/../data/reference"}
version=$(systemctl --version | awk 'NR == 1 { print $2 }')
package=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || echo unknown)
target="$out_dir/systemd-$version-syscall-filter.txt"
systemd-analyze syscall-filter --no-pager >"$target.tmp"
mv "$target.tmp" "$target"
echo "$target: systemd $version (package $package), kernel $(uname -r)"
