#!/usr/bin/env bash
# Installs the Debian packages the tests need (browser, CJK font, PostgreSQL, Redis) when missing.
set -euo pipefail
packages=(chromium fonts-noto-cjk postgresql redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] && sudo="" || sudo="sudo"
echo "Installing ${missing[*]} ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packaged services start nothing here: tests start their own instances on 127.0.0.1.
