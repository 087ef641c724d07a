#!/usr/bin/env bash
# Brings this host to a runnable state: system packages, npm dependencies, native addon,
# Prisma client, build. Idempotent and quick when nothing is missing.
#   scripts/setup.sh          what `npm start` needs
#   scripts/setup.sh --test   also what `npm test` needs (Chromium for the dashboard tests)
#   scripts/setup.sh --bench  also the load generator and peer proxy of bench/router-vs-nginx.mjs
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-start}
say() { printf 'setup: %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------
# package:reason; a package is needed when its probe fails.
declare -a need=()
want() { # want PACKAGE PROBE REASON
  if ! eval "$2" >/dev/null 2>&1; then need+=("$1"); say "missing $1 — $3"; fi
}
static_busybox() { file -L "$1" 2>/dev/null | grep -q 'statically linked'; }
want redis-server "command -v redis-server" "Berth runs its own Redis for queues and log streams when REDIS_URL is not set"
want file "command -v file" "used to check that busybox is statically linked"
want busybox-static "static_busybox /bin/busybox || static_busybox /usr/bin/busybox" "the busybox:latest base image is made from it"
want g++ "command -v g++" "builds the native runtime addon"
want make "command -v make" "builds the native runtime addon"
want python3 "command -v python3" "node-gyp needs it to build the native addon"
want iproute2 "command -v ip" "network namespace checks"
want libseccomp-dev "test -f /usr/include/seccomp.h" "the runtime's seccomp filter is built with libseccomp"
want pkg-config "command -v pkg-config" "finds libseccomp when building the native addon"
want debootstrap "command -v debootstrap" "berth image bootstrap makes debian images with it"
want iptables "command -v iptables" "container networking: NAT for outbound traffic and forwarding on Berth's bridges"
want git "test -x /usr/lib/git-core/git-http-backend" "projects: Berth serves git push and clone through git http-backend"
want nftables "command -v nft" "anti-spoofing on Berth's bridges: a container sends only from its own MAC and IP"
if [ "$mode" = "--test" ]; then
  want chromium "command -v chromium" "the dashboard tests drive a real headless Chromium"
  want util-linux "command -v unshare" "isolation tests compare with the host"
  want skopeo "command -v skopeo" "the registry tests push and pull with a real registry client"
  want docker.io "test -x /usr/sbin/dockerd" "images are checked against docker load / docker save"
  want crun "command -v crun" "the runtime is compared with crun on the same bundle"
  want runc "command -v runc" "the runtime is compared with runc on the same bundle"
  want podman "command -v podman" "the registry tests push and pull with podman too"
  want docker-registry "command -v docker-registry" "the registry benchmark compares with the reference distribution registry; promotion to another registry is tested against it"
  want apache2-utils "command -v htpasswd" "the registry-promotion test gives the reference registry an htpasswd (bcrypt) user"
  want docker-compose "command -v docker-compose" "stack files are read as Compose reads them (docker-compose config is the peer)"
  want openssl "command -v openssl" "the edge's TLS tests make a self-signed certificate"
  want curl "command -v curl" "the edge tests speak HTTP/1.1 and HTTP/2 (TLS, ALPN) to it with a real client"
  want pebble "command -v pebble && command -v pebble-challtestsrv" "the edge's ACME test gets a certificate from a real ACME server (Let's Encrypt's test server)"
fi
if [ "$mode" = "--bench" ]; then
  want wrk "command -v wrk" "bench/router-vs-nginx.mjs loads the edge with it"
  want nginx-light "command -v nginx" "bench/router-vs-nginx.mjs and bench/deploy.mjs compare the edge with nginx as the proxy"
  want openssl "command -v openssl" "bench/deploy.mjs makes a self-signed certificate for the HTTPS comparison"
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "cannot install packages here (needs root and apt-get). Run:"
    say "  sudo apt-get update && sudo apt-get install -y ${need[*]}"
    exit 1
  fi
  say "installing with apt-get: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- npm dependencies ------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm install --no-audit --no-fund >&2
fi

# --- Prisma client (offline: JS engine, driver adapters) ------------------------------
export BERTH_HOME=${BERTH_HOME:-/var/lib/berth}
stamp=node_modules/.prisma/client/schema.prisma
if [ ! -f "$stamp" ] || ! cmp -s prisma/schema.prisma "$stamp"; then
  say "generating the Prisma client"
  # prisma.config.ts needs a URL to parse the schema; generate does not connect.
  DATABASE_URL=${DATABASE_URL:-file:/tmp/berth-generate.db} npx prisma generate >&2
fi

# --- build (turbo: cached, so a no-op when nothing changed) ----------------------------
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
npx turbo run build --output-logs=errors-only >&2
# --- the `berth` command on PATH --------------------------------------------------------
# `npx berth` works from the checkout but adds npm's own start-up (about half a second, more on
# a slow host) to every command: link the CLI as /usr/local/bin/berth, unless something else
# of that name is there (a link to another checkout's CLI, or a dangling one, is replaced).
bin=/usr/local/bin/berth
cli="$PWD/cli/bin/berth.js"
if [ "$(id -u)" -eq 0 ] && [ -d /usr/local/bin ]; then
  if [ ! -e "$bin" ] && [ ! -L "$bin" ]; then
    ln -s "$cli" "$bin" && say "linked $bin -> $cli"
  elif [ -L "$bin" ] && { [ ! -e "$bin" ] || [ "$(basename "$(readlink "$bin")")" = berth.js ]; }; then
    [ "$(readlink "$bin")" = "$cli" ] || { ln -sfn "$cli" "$bin" && say "linked $bin -> $cli"; }
  elif [ "$(readlink -f "$bin")" != "$cli" ]; then
    say "left $bin alone (not Berth's); use npx berth, or $cli"
  fi
fi
say "ready"
