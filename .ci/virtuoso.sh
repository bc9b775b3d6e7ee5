#!/usr/bin/env bash
# Install OpenLink Virtuoso 7 from Debian for the server tests (tests/test_virtuoso.py).
#
#   bash .ci/virtuoso.sh            install when CI=true, else only report what is there
#   bash .ci/virtuoso.sh --install  install in any case (or AIHKG_INSTALL_VIRTUOSO=1)
#
# Idempotent: when virtuoso-t and isql-vt are already on PATH it changes nothing. Needs root (or
# sudo) and Debian's package archive. The tests run their own private server (tests/servers.py:
# 127.0.0.1 only, random dba password set before it first listens), so no system service is
# wanted: the package installed is virtuoso-opensource-7-bin, which holds virtuoso-t and isql-vt
# and nothing else (no init script, no default database listening with the well-known dba
# password, no debconf questions). Only where that package does not exist does it fall back to
# the virtuoso-opensource metapackage, with service starts denied while it installs.
set -euo pipefail

want=0
case "${1:-}" in
  --install) want=1 ;;
  "") ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "usage: bash .ci/virtuoso.sh [--install]" >&2; exit 2 ;;
esac
[ "${CI:-}" = "true" ] && want=1
[ "${AIHKG_INSTALL_VIRTUOSO:-}" = "1" ] && want=1

have() { command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; }
version() { virtuoso-t -? 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p' | head -n 1; }

if have; then
  echo "virtuoso.sh: Virtuoso $(version) already installed ($(command -v virtuoso-t))"
  exit 0
fi
if [ "$want" != 1 ]; then
  echo "virtuoso.sh: Virtuoso is not installed; the Virtuoso tests will skip" \
       "(run 'bash .ci/virtuoso.sh --install' to install it)"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "virtuoso.sh: installing needs root (or sudo)" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "virtuoso.sh: no apt-get here; install Virtuoso 7 (virtuoso-t, isql-vt) by other means" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq

if apt-cache show virtuoso-opensource-7-bin >/dev/null 2>&1; then
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null
else
  # The metapackage's postinst starts a server on 0.0.0.0:1111/8890 with dba/dba where it can;
  # deny service starts for the install (policy-rc.d exit 101), unless a policy is already there.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  status=0
  "${as_root[@]}" apt-get install -y -qq virtuoso-opensource >/dev/null || status=$?
  [ "$added_policy" = 1 ] && "${as_root[@]}" rm -f "$policy"
  [ "$status" = 0 ] || exit "$status"
fi

if ! have; then
  echo "virtuoso.sh: installed, but virtuoso-t or isql-vt is still not on PATH" >&2
  exit 1
fi
echo "virtuoso.sh: installed Virtuoso $(version) ($(command -v virtuoso-t))"
