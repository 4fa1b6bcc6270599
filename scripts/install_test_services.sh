#!/usr/bin/env bash
# Install the servers the test suite runs for real, from Debian's packages, when missing:
# PostgreSQL (a throwaway cluster per run), Mosquitto (an MQTT broker for shelf sensors) and
# Chromium (the console's end-to-end tests drive it headless with Playwright).
set -euo pipefail
need=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing ${need[*]} and this is not root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${need[@]}" >&2
# Debian starts the broker as a service; the tests run their own on a free port.
if command -v systemctl >/dev/null 2>&1; then systemctl stop mosquitto >/dev/null 2>&1 || true; fi
