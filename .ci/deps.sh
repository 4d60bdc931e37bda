#!/bin/sh
# Installs the Debian packages the tests need, when they are missing.
# Usage: .ci/deps.sh PACKAGE...   (each PACKAGE is a Debian package name)
# As root it runs apt-get update (once) and apt-get install; otherwise it
# only lists what is missing. Tests that need a missing peer fail, not
# skip, when CI is set.
set -eu
missing=""
for pkg in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing system packages:$missing (run as root to install them)" >&2
	exit 0
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
