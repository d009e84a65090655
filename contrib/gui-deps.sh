#!/usr/bin/env bash
# Installs what bitcoin-gui loads at run time (X11, xkbcommon, GL/EGL through
# Mesa) and, with --test, the X server and input tool its window tests use.
# Installs only what is missing; safe to re-run.
set -euo pipefail
packages=(libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 libgl1 libegl1 libgl1-mesa-dri)
if [ "${1:-}" = "--test" ]; then
    packages+=(xvfb xdotool)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
