#!/usr/bin/env bash
# Fills a content-addressed mirror (DIR/sha256/<hex>) with the upstream tarballs of pkgs/, taken
# from Debian's source packages as pinned in pkgs/mirror.txt. Needs apt-get (Debian or Ubuntu) but
# not root: source packages are enabled in a private apt configuration under the cache directory,
# so the system's sources are not touched.
#
#   scripts/fill-mirror.sh [DIR]      default DIR: ${EKA_CACHE:-~/.cache/eka}/mirror
#
# Files already in the mirror with the right hash are kept; nothing half-written is ever visible
# (each file is moved into place after its hash is checked). Exits non-zero naming what failed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${EKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eka}"
mirror="${1:-$cache/mirror}"
pins="$here/pkgs/mirror.txt"
mkdir -p "$mirror/sha256"

want=()
while read -r pkg file hash; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  if [[ -f "$mirror/sha256/$hash" ]] && [[ "$(sha256sum "$mirror/sha256/$hash" | cut -d' ' -f1)" == "$hash" ]]; then continue; fi
  want+=("$pkg $file $hash")
done <"$pins"
if ((${#want[@]} == 0)); then echo "mirror $mirror: all $(grep -c '^[^#]' "$pins") files present"; exit 0; fi

command -v apt-get >/dev/null || { echo "fill-mirror: apt-get not found; this script needs Debian's apt to fetch source packages" >&2; exit 1; }

# A private apt: the system's binary sources plus deb-src for the same suites and bookworm-backports.
apt="$cache/apt"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
cat >"$apt/etc/sources.list" <<SOURCES
deb-src http://deb.debian.org/debian $suite $suite-updates $suite-backports main
deb-src http://deb.debian.org/debian-security $suite-security main
SOURCES
opts=(-o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=/var/lib/dpkg/status"
  -o "Dir::Cache=$apt" -o "Dir::Cache::archives=$apt/archives" -o "Dir::Etc::SourceList=$apt/etc/sources.list"
  -o "Dir::Etc::SourceParts=$apt/etc/none" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
echo "fill-mirror: updating the source package lists (private apt in $apt)" >&2
apt-get "${opts[@]}" -qq update >&2 || { echo "fill-mirror: apt-get update failed; check the network to deb.debian.org" >&2; exit 1; }

work=$(mktemp -d "$mirror/.fill.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for line in "${want[@]}"; do
  read -r pkg file hash <<<"$line"
  echo "fill-mirror: $pkg ($file)" >&2
  # Exits non-zero where only the .orig tarball is served; the file and its hash decide.
  (cd "$work" && apt-get "${opts[@]}" -qq source --download-only "$pkg" >/dev/null 2>&1) || true
  if [[ ! -f "$work/$file" ]]; then echo "fill-mirror: $pkg: apt-get source did not fetch $file" >&2; failed=1; continue; fi
  got=$(sha256sum "$work/$file" | cut -d' ' -f1)
  if [[ "$got" != "$hash" ]]; then echo "fill-mirror: $file: sha256 $got, pinned $hash in pkgs/mirror.txt" >&2; failed=1; continue; fi
  mv "$work/$file" "$mirror/sha256/$hash"
done
((failed)) && exit 1
echo "mirror $mirror: filled"
