#!/usr/bin/env bash
# Installs WebKit (Debian's webkit2gtk-driver, which brings WebKitGTK's
# MiniBrowser) and a virtual display (xvfb) when either is missing.
# corslab looks in the same places (engine/webkit.FindTools).
set -euo pipefail
driver="${CORSLAB_WEBKIT_DRIVER:-WebKitWebDriver}"
if command -v "$driver" >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1; then exit 0; fi
if [[ -n "${CORSLAB_WEBKIT_DRIVER:-}" ]] && ! command -v "$driver" >/dev/null 2>&1; then
  echo "CORSLAB_WEBKIT_DRIVER=$CORSLAB_WEBKIT_DRIVER is not an executable" >&2
  exit 3
fi
echo "corslab: WebKitWebDriver or Xvfb not found; installing Debian's webkit2gtk-driver and xvfb packages" >&2
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "corslab: need root (or sudo) to run apt-get install -y webkit2gtk-driver xvfb" >&2
    exit 3
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq webkit2gtk-driver xvfb >/dev/null
command -v "$driver" >/dev/null && command -v Xvfb >/dev/null
echo "corslab: installed WebKitWebDriver ($(command -v "$driver")) and Xvfb" >&2
