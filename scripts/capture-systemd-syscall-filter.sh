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
# System Calls") depends on the running kernel.
#
# It also writes systemd-<version>-unresolved.txt: the names of that listing which systemd cannot
# turn into a number (its libseccomp is older than its tables: uretprobe, mseal, …). systemd ignores
# them in SystemCallFilter= ("Failed to parse system call, ignoring"), so a unit cannot allow them.
# They are found by systemd itself: `systemd-analyze verify` of a unit that lists every name.
set -euo pipefail

out_dir=${1:-"$(dirname "$0")/../data/reference"}
version=$(systemctl --version | awk 'NR == 1 { print $2 }')
package=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || echo unknown)
target="$out_dir/systemd-$version-syscall-filter.txt"
systemd-analyze syscall-filter --no-pager >"$target.tmp"
mv "$target.tmp" "$target"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/probe.service.d"
printf '[Service]\nExecStart=/bin/true\n' >"$work/probe.service"
names=$(grep -E '^(    |#   )[a-z_0-9]+$' "$target" | awk '{ print $NF }' | sort -u | tr '\n' ' ')
printf '[Service]\nSystemCallFilter=%s\n' "$names" >"$work/probe.service.d/all.conf"
unresolved="$out_dir/systemd-$version-unresolved.txt"
{
  echo "# Names of systemd-$version-syscall-filter.txt that systemd $version (package $package) cannot resolve:"
  echo "# systemd-analyze verify says \"Failed to parse system call, ignoring\" for each. One per line."
  systemd-analyze verify --man=no "$work/probe.service" 2>&1 |
    sed -n 's/.*Failed to parse system call, ignoring: //p' | sort -u
} >"$unresolved.tmp"
mv "$unresolved.tmp" "$unresolved"
echo "$target, $unresolved: systemd $version (package $package), kernel $(uname -r)"
