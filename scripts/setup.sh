#!/usr/bin/env bash
# Installs everything cleardit needs on a fresh Debian 12/13 machine, then the workspace's packages.
#   system: Mesa's EGL/GL (llvmpipe, the software WebGPU adapter through Dawn's OpenGL backend),
#           the Vulkan loader and Debian's chromium (SwiftShader's Vulkan driver, and the browser the
#           browser tests drive); redis-server (the job queue of cleardit serve --redis, for its test);
#   node:   pnpm 10.34.9 (the last line that runs on Node 20), then `pnpm install --frozen-lockfile`.
# Safe to run again: it installs only what is missing. Set CLEARDIT_SKIP_APT=1 to skip system packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
APT_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 libvulkan1 chromium redis-server)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if [ "${CLEARDIT_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    say "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

say "installing workspace packages"
pnpm install --frozen-lockfile --reporter=silent
say "ready: pnpm cleardit device | pnpm test | pnpm bench"
