#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the end-to-end tests.
#
# Missing, it is installed with apt-get when this runs as root (as CI does). When it
# cannot be installed this says so plainly and exits non-zero; scripts/test.sh then
# lets the e2e tests skip, except under CI (CI=true), where they must run.
set -uo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "!! Chromium is not installed at ${CHROMIUM} and cannot be installed here" >&2
  echo "   (installing needs root and apt-get). Install it with: apt-get install -y chromium" >&2
  exit 1
fi
echo "==> Installing Debian's chromium package for the end-to-end tests"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq || ! apt-get install -y -qq chromium >/dev/null; then
  echo "!! apt-get could not install chromium." >&2
  exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "!! The chromium package installed, but ${CHROMIUM} is still missing." >&2
  exit 1
fi
echo "==> $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
