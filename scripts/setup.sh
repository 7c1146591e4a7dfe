#!/usr/bin/env bash
# Installs everything hatang needs on Debian 12 with Node.js >= 20.19, then builds it.
# Idempotent: installs only what is missing. Debian packages need root (CI and the demo run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

# influxdb: the storage; fping/iputils-ping/iproute2/nftables: ICMP and the namespace tests;
# snmp/snmpd/snmpsim: SNMP tools, a real agent and the device simulator; clamav*: antivirus
# detection tests; prometheus-node-exporter: the peer in bench/agent-footprint; openssl: test certs;
# wine/wine64: run the Windows agent (node.exe, NSSM, ping.exe) in tests; wixl/msitools: build and
# inspect the agent's MSI (agent/package/); chromium: auditors' page tests and snapshot PDFs;
# poppler-utils: pdftotext reads the PDFs back in tests; influxdb-client: the `influx` shell the
# demo points newcomers to; unzip/jq: tests check a snapshot bundle unzips and verifies as its README says.
packages=(influxdb fping iputils-ping iproute2 nftables snmp snmpd snmpsim clamav clamav-daemon
  prometheus-node-exporter openssl wine wine64 wixl msitools chromium poppler-utils influxdb-client unzip jq)

node_major=$(node -p 'process.versions.node.split(".").map(Number).slice(0,2).join(".")' 2>/dev/null || echo 0)
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js >= 20.19 is required (found ${node_major})" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # The packages' own services (a system influxd on :8086, snmpd on :161, freshclam reaching for
  # the internet) must not start: hatang runs its own instances. policy-rc.d tells invoke-rc.d no.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
fi

# npm packages at the locked versions; skipped when node_modules already matches the lock file.
# `npm install --no-save` rather than `npm ci`: this workplace's npm writes lock files without other
# platforms' optional packages (biome's binaries), which `npm ci` then refuses as out of sync.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "setup: ready"
