#!/usr/bin/env bash
# Installs Chromium from Debian's packages when no usable browser is found.
# corslab looks in the same places (harness.FindBrowser).
set -euo pipefail
if [[ -n "${CORSLAB_BROWSER:-}" ]]; then
  if command -v "$CORSLAB_BROWSER" >/dev/null 2>&1; then exit 0; fi
  echo "CORSLAB_BROWSER=$CORSLAB_BROWSER is not an executable" >&2
  exit 3
fi
for b in /usr/lib/chromium/chromium chromium chromium-browser google-chrome google-chrome-stable headless_shell; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
echo "corslab: Chromium not found; installing Debian's chromium package" >&2
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "corslab: need root (or sudo) to run apt-get install -y chromium" >&2
    exit 3
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v /usr/lib/chromium/chromium >/dev/null || command -v chromium >/dev/null
echo "corslab: installed $(/usr/lib/chromium/chromium --version 2>/dev/null || chromium --version)" >&2
