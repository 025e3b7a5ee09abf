#!/bin/sh
# Install the Debian packages listed in scripts/packages.txt, or say what is missing.
#   deps.sh          install what is missing (as root, or through sudo)
#   deps.sh --check  exit 0 when nothing is missing, 1 otherwise (installs nothing)
set -eu
here=$(dirname "$0")
list="$here/packages.txt"

missing=""
for p in $(sed -e 's/#.*//' "$list"); do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	[ "${1:-}" = --check ] || echo "deps: all packages of $list are installed"
	exit 0
fi
[ "${1:-}" = --check ] && exit 1

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run="sudo"
else
	echo "deps: not root and no password-less sudo; run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get update -qq
# shellcheck disable=SC2086
$run apt-get install -y -qq --no-install-recommends $missing
