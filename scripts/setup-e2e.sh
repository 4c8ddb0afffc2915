#!/usr/bin/env bash
# Installs and starts what the end-to-end tests use on a fresh Debian machine (run as root):
# strace, bpftrace (the eBPF backend; tracefs is mounted below), Docker engine (no bridge, no iptables: test containers use --network none), auditd,
# busybox-static (for an image built offline), runc/crun/podman, libseccomp's scmp_sys_resolver,
# Chromium (the HTML report test), gcc-multilib (a 32-bit static program for the bpf backend's ABI test),
# and binutils, gcc and python3 (the reachability tests
# disassemble real binaries and check them against strace of a compiled program), musl and
# musl-tools (musl's libc.so and musl-gcc for the same checks against musl), libc6-arm64-cross and
# binutils-aarch64-linux-gnu (aarch64 glibc read with the cross objdump), and debootstrap (a Debian
# image with real programs for the held-out suite), lxc (LXC loads the generated lxc policies),
# systemd (systemd-analyze verify/security check the systemd drop-ins; no service manager is started),
# libseccomp-dev (compiling `generate --format c`'s program) and firejail (loading `--format
# firejail`'s seccomp.keep list). Safe to run again: it only starts what is not running.
set -euo pipefail

packages=(strace bpftrace docker.io auditd busybox-static runc crun podman seccomp chromium binutils gcc gcc-multilib libc6-dev python3 musl musl-tools libc6-arm64-cross binutils-aarch64-linux-gnu debootstrap lxc systemd libseccomp-dev firejail)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! pgrep -x auditd >/dev/null; then
  mkdir -p /var/log/audit
  auditd
fi
auditctl -b 8192 >/dev/null

# bpftrace (the bpf recording backend) attaches to tracepoints found in tracefs.
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing
fi


if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null; then
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/seccomp-learn-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null
fi

# A busybox image built offline: no registry is reachable. Rebuilt when an older one lacks /tmp.
if ! docker run --rm --network none sl-busybox:test test -d /tmp >/dev/null 2>&1; then
  rootfs=$(mktemp -d)
  chmod 755 "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  tar -C "$rootfs" -c . | docker import - sl-busybox:test >/dev/null
  rm -rf "$rootfs"
fi
if ! podman image exists localhost/sl-busybox:test 2>/dev/null; then
  docker save sl-busybox:test | podman load >/dev/null
fi

# A Debian image with real programs for the held-out suite (test/e2e/held-out.test.ts), built offline
# from a debootstrap cached in /var/cache/seccomp-learn (about 5 minutes the first time). The cache
# is rebuilt when the package list changes.
debian_packages=sqlite3,python3,git,redis-server,nginx-light,xz-utils
debian_root=/var/cache/seccomp-learn/bookworm
if [ "$(cat "$debian_root.packages" 2>/dev/null)" != "$debian_packages" ]; then
  rm -rf "$debian_root" "$debian_root.partial"
  mkdir -p "$(dirname "$debian_root")"
  debootstrap --variant=minbase --include="$debian_packages" bookworm "$debian_root.partial" \
    http://deb.debian.org/debian >/var/log/seccomp-learn-debootstrap.log 2>&1
  rm -rf "$debian_root.partial/var/cache/apt/archives"/*.deb
  mv "$debian_root.partial" "$debian_root"
  echo "$debian_packages" >"$debian_root.packages"
  docker image rm -f sl-debian:test >/dev/null 2>&1 || true
fi
if ! docker image inspect sl-debian:test >/dev/null 2>&1; then
  tar -C "$debian_root" -c . | docker import - sl-debian:test >/dev/null
fi

echo "e2e set-up ready: $(strace -V | head -1); docker $(docker version -f '{{.Server.Version}}'); auditd $(pgrep -x auditd)"
