#!/usr/bin/env bash
# Installs the Debian packages Saker's build and tests need, when they are missing.
# The live driver (make -C driver) needs clang/llvm (the BPF target), libbpf-dev (headers,
# libbpf.so), bpftool (vmlinux.h from the kernel's BTF, the skeleton), libelf-dev and
# zlib1g-dev (libbpf's link deps), linux-libc-dev (asm/unistd_64.h); its tests need gcc.
# Tests compare fields with Debian's sysdig (no kernel module needed to read captures);
# the benchmarks time commands with GNU time; the webhook test uses openssl and curl;
# the container tests run real containers with runc, containerd (CRI) and podman; the
# metrics test has a real Prometheus scrape Saker's /metrics.
set -euo pipefail
need=()
for pkg in make g++ gcc python3 clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev sysdig time curl openssl runc busybox-static containerd containernetworking-plugins podman jq iproute2 prometheus; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "  APT     ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
