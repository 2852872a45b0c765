#!/usr/bin/env bash
# Installs Firefox (Debian's firefox-esr) when no usable Firefox is found.
# corslab looks in the same places (engine/firefox.FindBrowser).
set -euo pipefail
if [[ -n "${CORSLAB_FIREFOX:-}" ]]; then
  if command -v "$CORSLAB_FIREFOX" >/dev/null 2>&1; then exit 0; fi
  echo "CORSLAB_FIREFOX=$CORSLAB_FIREFOX is not an executable" >&2
  exit 3
fi
for b in /usr/lib/firefox-esr/firefox-esr firefox-esr firefox /usr/lib/firefox/firefox; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
echo "corslab: Firefox not found; installing Debian's firefox-esr package" >&2
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "corslab: need root (or sudo) to run apt-get install -y firefox-esr" >&2
    exit 3
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq firefox-esr >/dev/null
command -v firefox-esr >/dev/null
echo "corslab: installed $(firefox-esr --version 2>/dev/null)" >&2
