#!/bin/sh
# Installs the Debian packages named as arguments that are missing.
# As root it runs apt-get; otherwise it prints the exact line and fails.
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "make deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing >/dev/null || exit 1
else
  echo "make deps: missing Debian packages:$missing"
  echo "run: sudo apt-get install -y$missing"
  exit 1
fi
