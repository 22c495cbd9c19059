#!/usr/bin/env bash
# Faultline local services: PostgreSQL 15, Redis and nginx on private loopback ports, with private
# data directories. Used by the README, the test suite (scripts/test.sh, LocalServices) and .ci/run.
#
#   scripts/services.sh up [postgres|redis|nginx|dns ...] [--install] [--dir DIR]
#                                        start (idempotent), write services.env; --install first
#                                        installs missing packages (apt-get, as root)
#   scripts/services.sh down [--purge] [--dir DIR]   stop; --purge also deletes the state dir
#   scripts/services.sh status [--dir DIR]           one line per service; exit 1 if any is down
#   scripts/services.sh env [--dir DIR]              print the path of services.env
#   scripts/services.sh exec COMMAND [ARG...]        run COMMAND with services.env in its environment
#   scripts/services.sh reload nginx|dns [--dir DIR] nginx: re-read its configuration and certificates;
#                                        dns: re-read the hosts file (SIGHUP)
#   scripts/services.sh install                      apt-get install what is missing (as root)
#
# `dns` (dnsmasq answering the names in FAULTLINE_DNS_HOSTS, default <state>/dns/hosts, on
# FAULTLINE_DNS_PORT, default 25353, below the ephemeral port range: dnsmasq cannot bind over a TIME_WAIT) only starts when named; `down` without names stops it too.
# FAULTLINE_NGINX_INCLUDE=DIR makes nginx also load DIR/*.conf (extra servers, e.g. a TLS one).
# Everything lives in the state dir (default <repo>/.faultline/services, or FAULTLINE_SERVICES_DIR).
# Binaries: FAULTLINE_PG_BIN (PostgreSQL's bin directory, /usr/lib/postgresql/15/bin), FAULTLINE_REDIS_BIN
# (the directory of redis-server and redis-cli; default: PATH).
# Ports: FAULTLINE_PG_PORT (55432), FAULTLINE_REDIS_PORT (56379), FAULTLINE_REDIS_TLS_PORT (56380),
# FAULTLINE_NGINX_PORT (58080), FAULTLINE_UPSTREAM_PORT (58081). A port set in the environment wins
# over the one saved in services.env, which wins over the default. See docs/local-services.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PG_BIN=${FAULTLINE_PG_BIN:-/usr/lib/postgresql/15/bin}
# FAULTLINE_REDIS_BIN: the directory of redis-server and redis-cli (default: found on PATH).
REDIS_SERVER=${FAULTLINE_REDIS_BIN:+$FAULTLINE_REDIS_BIN/}redis-server
REDIS_CLI=${FAULTLINE_REDIS_BIN:+$FAULTLINE_REDIS_BIN/}redis-cli
NGINX_BIN=$(command -v nginx 2>/dev/null || printf '/usr/sbin/nginx')
DNSMASQ_BIN=$(command -v dnsmasq 2>/dev/null || printf '/usr/sbin/dnsmasq')
APT_HINT="apt-get install postgresql redis-server nginx dnsmasq-base"
ALL_SERVICES=(postgres redis nginx)
WAIT_SECONDS=${FAULTLINE_SERVICES_WAIT:-30}

say() { printf '%s\n' "$*"; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }

usage() { # the comment block at the top of this file
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

# ---------------------------------------------------------------------------------------------
# Arguments and settings
# ---------------------------------------------------------------------------------------------

COMMAND=${1:-}
[[ -n $COMMAND ]] || { usage >&2; exit 2; }
shift
STATE_DIR=${FAULTLINE_SERVICES_DIR:-$REPO_ROOT/.faultline/services}
PURGE=0
INSTALL=0
SELECTED=()
EXEC_ARGS=()
if [[ $COMMAND == exec ]]; then
  [[ $# -gt 0 ]] || die "exec needs a command, e.g.: $0 exec ./faultline check --config examples/local.yaml"
  EXEC_ARGS=("$@")
  set --
fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --install) INSTALL=1; shift ;;
    --dir) [[ $# -ge 2 ]] || die "--dir needs a directory"; STATE_DIR=$2; shift 2 ;;
    --dir=*) STATE_DIR=${1#--dir=}; shift ;;
    --purge) PURGE=1; shift ;;
    postgres|redis|nginx|dns) SELECTED+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
if [[ ${#SELECTED[@]} -eq 0 ]]; then
  SELECTED=("${ALL_SERVICES[@]}")
  # `down` also stops dnsmasq when it runs, so nothing is left behind.
  if [[ $COMMAND == down ]]; then SELECTED+=(dns); fi
fi
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
ENV_FILE=$STATE_DIR/services.env
SECRETS_DIR=$STATE_DIR/secrets

# A value saved by a previous `up` in services.env (empty when none).
saved() {
  [[ -f $ENV_FILE ]] || return 0
  sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1
}

setting() { # NAME DEFAULT → environment, then services.env, then default
  local name=$1 default=$2 value
  value=${!name:-}
  [[ -n $value ]] || value=$(saved "$name")
  printf '%s' "${value:-$default}"
}

PG_PORT=$(setting FAULTLINE_PG_PORT 55432)
REDIS_PORT=$(setting FAULTLINE_REDIS_PORT 56379)
REDIS_TLS_PORT=$(setting FAULTLINE_REDIS_TLS_PORT 56380)
NGINX_PORT=$(setting FAULTLINE_NGINX_PORT 58080)
UPSTREAM_PORT=$(setting FAULTLINE_UPSTREAM_PORT 58081)
DNS_PORT=$(setting FAULTLINE_DNS_PORT 25353)
DNS_HOSTS=$(setting FAULTLINE_DNS_HOSTS "$STATE_DIR/dns/hosts")
NGINX_INCLUDE=$(setting FAULTLINE_NGINX_INCLUDE "")
for port in "$PG_PORT" "$REDIS_PORT" "$REDIS_TLS_PORT" "$NGINX_PORT" "$UPSTREAM_PORT" "$DNS_PORT"; do
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "invalid port '$port'"
done

is_root() { [[ $EUID -eq 0 ]]; }

require() { # BINARY... → die naming the apt packages when one is missing
  local missing=()
  for bin in "$@"; do
    if [[ $bin == */* ]]; then [[ -x $bin ]] || missing+=("$bin"); else command -v "$bin" >/dev/null 2>&1 || missing+=("$bin"); fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local packages=() bin package
  for bin in "${missing[@]}"; do
    package=$(package_of "$bin")
    [[ " ${packages[*]} " == *" $package "* ]] || packages+=("$package")
  done
  die "missing ${missing[*]} (package ${packages[*]}); install with: apt-get install ${packages[*]} (or, as root: $0 install)"
}

package_of() { # BINARY → the Debian package that provides it
  case ${1##*/} in
    initdb|pg_ctl|pg_isready|psql) printf 'postgresql' ;;
    redis-server|redis-cli) printf 'redis-server' ;;
    dnsmasq) printf 'dnsmasq-base' ;;
    *) printf '%s' "${1##*/}" ;;
  esac
}

# Debian packages for every binary the services need; installs only when one is missing.
PACKAGES=(postgresql redis-server nginx dnsmasq-base openssl ca-certificates curl)
install_missing() {
  local missing=()
  for bin in "$PG_BIN/initdb" "$REDIS_SERVER" "$REDIS_CLI" "$NGINX_BIN" "$DNSMASQ_BIN" openssl curl; do
    if [[ $bin == */* ]]; then [[ -x $bin ]] || missing+=("$bin"); else command -v "$bin" >/dev/null 2>&1 || missing+=("$bin"); fi
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  is_root || die "missing ${missing[*]}; run as root: apt-get install ${PACKAGES[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get; install PostgreSQL 15, Redis, nginx, dnsmasq, openssl and curl"
  say "installing ${PACKAGES[*]} (missing: ${missing[*]})"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
}

# A password generated once per state dir, kept in secrets/NAME (mode 600).
secret() {
  local file=$SECRETS_DIR/$1
  if [[ ! -s $file ]]; then
    require openssl
    (umask 077 && mkdir -p "$SECRETS_DIR" && openssl rand -hex 16 >"$file")
  fi
  tr -d '\n' <"$file"
}

wait_for() { # DESCRIPTION COMMAND... → poll until the command succeeds or WAIT_SECONDS pass
  local what=$1 deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# True when something already accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_port_free() { # PORT VARIABLE
  if port_busy "$1"; then die "127.0.0.1:$1 is already in use by another process; choose another port with $2=..."; fi
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(tr -d '\n' <"$1")" 2>/dev/null; }

stop_pid() { # PIDFILE NAME
  local pidfile=$1 pid deadline=$((SECONDS + WAIT_SECONDS))
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(tr -d '\n' <"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.1
  done
  rm -f "$pidfile"
}

# ---------------------------------------------------------------------------------------------
# TLS material: a private CA and a server certificate for localhost / 127.0.0.1 (PostgreSQL ssl)
# ---------------------------------------------------------------------------------------------

TLS_DIR=$STATE_DIR/tls

tls_ensure() {
  [[ -s $TLS_DIR/server.pem && -s $TLS_DIR/server.key && -s $TLS_DIR/ca.pem ]] && return 0
  require openssl
  mkdir -p "$TLS_DIR"
  (
    umask 077
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Faultline local CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
      -extfile server.ext -out server.pem 2>/dev/null
    rm -f server.csr server.ext ca.srl
  )
  chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL 15 — initdb/pg_ctl as the postgres user when running as root
# ---------------------------------------------------------------------------------------------

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The cluster lives in <state>/postgres when the postgres user can reach it; otherwise (a state dir
# under a private home) in /tmp/faultline-postgres-<checksum of the state dir>.
pg_dir() {
  if is_root && ! runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
    printf '/tmp/faultline-postgres-%s' "$(printf '%s' "$STATE_DIR" | cksum | cut -d' ' -f1)"
  else
    printf '%s/postgres' "$STATE_DIR"
  fi
}

PG_DIR=$(pg_dir)
PG_DATA=$PG_DIR/data
PG_SOCKET_DIR=$PG_DIR/socket

pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1; }

pg_psql() { # superuser over the private unix socket; SQL on stdin
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_configure() {
  cat >"$PG_DATA/faultline.conf" <<EOF
# Written by scripts/services.sh on every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
unix_socket_permissions = 0700
max_connections = 40
superuser_reserved_connections = 3
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$PG_DIR/server.pem'
ssl_key_file = '$PG_DIR/server.key'
shared_buffers = 32MB
# Throwaway test data: trade durability for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by scripts/services.sh. The unix socket sits in a 0700 directory of the cluster owner.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
EOF
  grep -q "^include_if_exists = 'faultline.conf'" "$PG_DATA/postgresql.conf" ||
    printf "\ninclude_if_exists = 'faultline.conf'\n" >>"$PG_DATA/postgresql.conf"
  install -m 644 "$TLS_DIR/server.pem" "$PG_DIR/server.pem"
  install -m 600 "$TLS_DIR/server.key" "$PG_DIR/server.key"
  if is_root; then chown -R postgres:postgres "$PG_DIR"; fi
}

pg_bootstrap() { # roles and database; idempotent
  local app_password=$1 admin_password=$2
  pg_psql <<EOF
ALTER ROLE postgres WITH PASSWORD '$admin_password';
SELECT 'CREATE ROLE faultline LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'faultline') \gexec
ALTER ROLE faultline WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$app_password';
SELECT 'CREATE DATABASE faultline OWNER faultline' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'faultline') \gexec
EOF
}

postgres_up() {
  require "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/pg_isready" "$PG_BIN/psql"
  if is_root; then id postgres >/dev/null 2>&1 || die "no 'postgres' user; install with: $APT_HINT"; fi
  local app_password admin_password
  app_password=$(secret postgres-app)
  admin_password=$(secret postgres-admin)

  if pg_running; then
    wait_for "postgres" pg_ready || die "postgres is running from $PG_DATA but does not answer on 127.0.0.1:$PG_PORT (changed the port? run: $0 down)"
    say "postgres  already up   127.0.0.1:$PG_PORT"
  else
    ensure_port_free "$PG_PORT" FAULTLINE_PG_PORT
    tls_ensure
    if [[ -L $PG_DIR ]] || { [[ -e $PG_DIR ]] && [[ ! -O $PG_DIR ]] && [[ $(stat -c %U "$PG_DIR") != postgres ]]; }; then
      die "$PG_DIR exists but belongs to someone else; remove it or use another --dir"
    fi
    mkdir -p "$PG_DIR"
    chmod 700 "$PG_DIR"
    if is_root; then chown postgres:postgres "$PG_DIR"; fi
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
      local pwfile=$PG_DIR/.initdb-password
      (umask 077 && printf '%s\n' "$admin_password" >"$pwfile")
      if is_root; then chown postgres:postgres "$pwfile"; fi
      as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { rm -f "$pwfile"; die "initdb failed; see $PG_DIR/initdb.log"; }
      rm -f "$pwfile"
    fi
    mkdir -p "$PG_SOCKET_DIR"
    pg_configure
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t "$WAIT_SECONDS" start >/dev/null 9>&- ||
      die "postgres did not start; see $PG_DIR/postgres.log"
    wait_for "postgres" pg_ready || die "postgres does not answer on 127.0.0.1:$PG_PORT; see $PG_DIR/postgres.log"
    say "postgres  started      127.0.0.1:$PG_PORT  (data $PG_DATA)"
  fi
  pg_bootstrap "$app_password" "$admin_password" || die "could not create the faultline role and database"
}

postgres_down() {
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$WAIT_SECONDS" stop >/dev/null
    say "postgres  stopped"
  else
    say "postgres  not running"
  fi
}

postgres_status() {
  if pg_running && pg_ready; then say "postgres  up    127.0.0.1:$PG_PORT"; return 0; fi
  say "postgres  down  127.0.0.1:$PG_PORT"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Redis — requirepass, no persistence
# ---------------------------------------------------------------------------------------------

REDIS_DIR=$STATE_DIR/redis
REDIS_PID=$REDIS_DIR/redis.pid

redis_ping() { REDISCLI_AUTH=$(secret redis) "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG; }

redis_write_conf() { # FILE
  local password
  password=$(secret redis)
  (
    umask 077
    cat >"$1" <<EOF
# Written by scripts/services.sh on every up; a change restarts Redis (it keeps no data).
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
requirepass $password
dir $REDIS_DIR
daemonize yes
pidfile $REDIS_PID
logfile $REDIS_DIR/redis.log
save ""
appendonly no
# TLS on a second port, with the private CA's server certificate; clients need no certificate.
tls-port $REDIS_TLS_PORT
tls-cert-file $TLS_DIR/server.pem
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.pem
tls-auth-clients no
EOF
  )
}

redis_up() {
  require "$REDIS_SERVER" "$REDIS_CLI"
  tls_ensure
  mkdir -p "$REDIS_DIR"
  local conf=$REDIS_DIR/redis.conf
  redis_write_conf "$conf.new"
  if pid_alive "$REDIS_PID"; then
    if cmp -s "$conf.new" "$conf"; then
      rm -f "$conf.new"
      wait_for "redis" redis_ping || die "redis (pid $(cat "$REDIS_PID")) does not answer PING on 127.0.0.1:$REDIS_PORT; see $REDIS_DIR/redis.log"
      say "redis     already up   127.0.0.1:$REDIS_PORT"
      return 0
    fi
    say "redis     configuration changed; restarting"
    stop_pid "$REDIS_PID"
  fi
  mv -f "$conf.new" "$conf"
  ensure_port_free "$REDIS_PORT" FAULTLINE_REDIS_PORT
  ensure_port_free "$REDIS_TLS_PORT" FAULTLINE_REDIS_TLS_PORT
  "$REDIS_SERVER" "$conf" 9>&- || die "redis-server did not start; see $REDIS_DIR/redis.log"
  wait_for "redis" redis_ping || die "redis does not answer PING on 127.0.0.1:$REDIS_PORT; see $REDIS_DIR/redis.log"
  say "redis     started      127.0.0.1:$REDIS_PORT  (TLS 127.0.0.1:$REDIS_TLS_PORT)"
}

redis_down() {
  if pid_alive "$REDIS_PID"; then stop_pid "$REDIS_PID"; say "redis     stopped"; else say "redis     not running"; fi
}

redis_status() {
  if pid_alive "$REDIS_PID" && redis_ping; then say "redis     up    127.0.0.1:$REDIS_PORT"; return 0; fi
  say "redis     down  127.0.0.1:$REDIS_PORT"
  return 1
}

# ---------------------------------------------------------------------------------------------
# nginx — reverse proxy: /health (200 JSON), /dead/ (502 from a closed port), /app/ (upstream)
# ---------------------------------------------------------------------------------------------

NGINX_DIR=$STATE_DIR/nginx
NGINX_PID=$NGINX_DIR/nginx.pid
# Port 1 on loopback: privileged and never served, so a proxy_pass there is always refused.
DEAD_PORT=1

nginx_health() { curl -fsS --max-time 2 "http://127.0.0.1:$NGINX_PORT/health" | grep -q '"status":"ok"'; }

nginx_configure() { # FILE
  mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/temp"
  local user_line="" include_line=""
  if is_root; then user_line="user root;"; fi
  # Extra servers (the lab's TLS load balancer); without FAULTLINE_NGINX_INCLUDE the file is unchanged.
  if [[ -n $NGINX_INCLUDE ]]; then include_line=$'\n'"  include $NGINX_INCLUDE/*.conf;"; fi
  cat >"$1" <<EOF
# Written by scripts/services.sh on every up; a change reloads nginx.
$user_line
worker_processes 1;
daemon on;
pid $NGINX_PID;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log $NGINX_DIR/logs/access.log;
  client_body_temp_path $NGINX_DIR/temp/client_body;
  proxy_temp_path $NGINX_DIR/temp/proxy;
  fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
  scgi_temp_path $NGINX_DIR/temp/scgi;
  server_tokens on;$include_line
  server {
    listen 127.0.0.1:$NGINX_PORT;
    server_name localhost;
    location = /health {
      default_type application/json;
      return 200 '{"status":"ok"}';
    }
    location /dead/ {
      proxy_pass http://127.0.0.1:$DEAD_PORT;
      proxy_connect_timeout 2s;
    }
    location /app/ {
      proxy_pass http://127.0.0.1:$UPSTREAM_PORT;
      proxy_http_version 1.1;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_connect_timeout 2s;
      proxy_read_timeout 5s;
    }
  }
}
EOF
}

nginx_up() {
  require "$NGINX_BIN" curl
  local conf=$NGINX_DIR/nginx.conf
  local nginx=("$NGINX_BIN" -p "$NGINX_DIR" -c "$conf" -e "$NGINX_DIR/logs/error.log")
  nginx_configure "$conf.new"
  if pid_alive "$NGINX_PID"; then
    if cmp -s "$conf.new" "$conf"; then
      rm -f "$conf.new"
      wait_for "nginx" nginx_health || die "nginx (pid $(cat "$NGINX_PID")) does not answer /health on 127.0.0.1:$NGINX_PORT; see $NGINX_DIR/logs/error.log"
      say "nginx     already up   127.0.0.1:$NGINX_PORT"
      return 0
    fi
    mv -f "$conf.new" "$conf"
    "${nginx[@]}" -t -q || die "nginx rejected $conf"
    "${nginx[@]}" -s reload 9>&- || die "nginx did not reload; see $NGINX_DIR/logs/error.log"
    wait_for "nginx" nginx_health || die "nginx does not answer /health on 127.0.0.1:$NGINX_PORT after a reload; see $NGINX_DIR/logs/error.log"
    say "nginx     reloaded     127.0.0.1:$NGINX_PORT  (/app/ → 127.0.0.1:$UPSTREAM_PORT)"
    return 0
  fi
  mv -f "$conf.new" "$conf"
  ensure_port_free "$NGINX_PORT" FAULTLINE_NGINX_PORT
  "${nginx[@]}" -t -q || die "nginx rejected $conf"
  "${nginx[@]}" 9>&- || die "nginx did not start; see $NGINX_DIR/logs/error.log"
  wait_for "nginx" nginx_health || die "nginx does not answer /health on 127.0.0.1:$NGINX_PORT; see $NGINX_DIR/logs/error.log"
  say "nginx     started      127.0.0.1:$NGINX_PORT  (/app/ → 127.0.0.1:$UPSTREAM_PORT)"
}

nginx_down() {
  if pid_alive "$NGINX_PID"; then stop_pid "$NGINX_PID"; say "nginx     stopped"; else say "nginx     not running"; fi
}

nginx_status() {
  if pid_alive "$NGINX_PID" && nginx_health; then say "nginx     up    127.0.0.1:$NGINX_PORT"; return 0; fi
  say "nginx     down  127.0.0.1:$NGINX_PORT"
  return 1
}

nginx_reload() {
  pid_alive "$NGINX_PID" || die "nginx is not running; start it with: $0 up nginx"
  local nginx=("$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log")
  "${nginx[@]}" -t -q || die "nginx rejected $NGINX_DIR/nginx.conf (or a file it includes)"
  "${nginx[@]}" -s reload 9>&- || die "nginx did not reload; see $NGINX_DIR/logs/error.log"
  say "nginx     reloaded"
}

# ---------------------------------------------------------------------------------------------
# dns — dnsmasq answering only the names of a hosts file (no upstream, nothing else read)
# ---------------------------------------------------------------------------------------------

DNS_DIR=$STATE_DIR/dns
DNS_PID=$DNS_DIR/dnsmasq.pid

dns_up() {
  require "$DNSMASQ_BIN"
  mkdir -p "$DNS_DIR" "$(dirname "$DNS_HOSTS")"
  [[ -f $DNS_HOSTS ]] || : >"$DNS_HOSTS"
  if pid_alive "$DNS_PID"; then
    kill -HUP "$(tr -d '\n' <"$DNS_PID")" 2>/dev/null || true
    say "dns       already up   127.0.0.1:$DNS_PORT  (hosts $DNS_HOSTS)"
    return 0
  fi
  ensure_port_free "$DNS_PORT" FAULTLINE_DNS_PORT
  # --local: names of the zones in the hosts file that are not listed answer NXDOMAIN, not REFUSED.
  local zones=() zone
  while read -r zone; do [[ -n $zone ]] && zones+=("--local=/$zone/"); done < <(
    awk '!/^#/ { for (i = 2; i <= NF; i++) { n = split($i, p, "."); if (n >= 2) print p[n-1] "." p[n] } }' "$DNS_HOSTS" | sort -u)
  "$DNSMASQ_BIN" --conf-file=/dev/null --no-resolv --no-hosts --no-poll --port="$DNS_PORT" \
    --listen-address=127.0.0.1 --bind-interfaces --addn-hosts="$DNS_HOSTS" "${zones[@]}" \
    --pid-file="$DNS_PID" --user="$(id -un)" --group="$(id -gn)" --log-facility="$DNS_DIR/dnsmasq.log" 9>&- ||
    die "dnsmasq did not start; see $DNS_DIR/dnsmasq.log"
  wait_for "dns" port_busy "$DNS_PORT" || die "dnsmasq does not listen on 127.0.0.1:$DNS_PORT; see $DNS_DIR/dnsmasq.log"
  say "dns       started      127.0.0.1:$DNS_PORT  (hosts $DNS_HOSTS)"
}

dns_down() {
  if pid_alive "$DNS_PID"; then stop_pid "$DNS_PID"; say "dns       stopped"; elif [[ " ${SELECTED[*]} " == *" dns "* && -d $DNS_DIR ]]; then say "dns       not running"; fi
}

dns_status() {
  if pid_alive "$DNS_PID" && port_busy "$DNS_PORT"; then say "dns       up    127.0.0.1:$DNS_PORT"; return 0; fi
  say "dns       down  127.0.0.1:$DNS_PORT"
  return 1
}

dns_reload() {
  pid_alive "$DNS_PID" || die "dnsmasq is not running; start it with: $0 up dns"
  kill -HUP "$(tr -d '\n' <"$DNS_PID")"
  say "dns       reloaded     $DNS_HOSTS"
}

# ---------------------------------------------------------------------------------------------
# services.env
# ---------------------------------------------------------------------------------------------

write_env() {
  local app admin redis tmp
  app=$(secret postgres-app)
  admin=$(secret postgres-admin)
  redis=$(secret redis)
  tmp=$(mktemp "$STATE_DIR/.services.env.XXXXXX")
  cat >"$tmp" <<EOF
FAULTLINE_SERVICES_DIR=$STATE_DIR
FAULTLINE_PG_PORT=$PG_PORT
FAULTLINE_REDIS_PORT=$REDIS_PORT
FAULTLINE_REDIS_TLS_PORT=$REDIS_TLS_PORT
FAULTLINE_NGINX_PORT=$NGINX_PORT
FAULTLINE_UPSTREAM_PORT=$UPSTREAM_PORT
FAULTLINE_DNS_PORT=$DNS_PORT
FAULTLINE_DNS_HOSTS=$DNS_HOSTS
FAULTLINE_NGINX_INCLUDE=$NGINX_INCLUDE
FAULTLINE_NGINX_URL=http://127.0.0.1:$NGINX_PORT
DATABASE_URL=postgres://faultline:$app@127.0.0.1:$PG_PORT/faultline
FAULTLINE_PG_ADMIN_URL=postgres://postgres:$admin@127.0.0.1:$PG_PORT/postgres
FAULTLINE_PG_PASSWORD=$app
FAULTLINE_PG_ADMIN_PASSWORD=$admin
FAULTLINE_PG_SOCKET_DIR=$PG_SOCKET_DIR
FAULTLINE_PG_DATA=$PG_DATA
FAULTLINE_TLS_CA_FILE=$TLS_DIR/ca.pem
REDIS_URL=redis://:$redis@127.0.0.1:$REDIS_PORT/0
REDIS_TLS_URL=rediss://:$redis@localhost:$REDIS_TLS_PORT/0
FAULTLINE_REDIS_PASSWORD=$redis
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

# One `up` or `down` at a time per state dir: test assemblies started in parallel may all ask for the
# services at once. The daemons are started with fd 9 closed so they do not inherit the lock.
if [[ $COMMAND == up || $COMMAND == down || $COMMAND == reload ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || die "another services.sh holds $STATE_DIR/.lock"
fi

# Most of the default ports lie inside Linux's ephemeral range (32768-60999): a recent outgoing
# connection may hold one as its source port, and a server cannot bind it then. Reserving them keeps
# the kernel from handing them out (best effort: needs root and a writable /proc/sys).
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports current add="" port
  [[ -w $file ]] || return 0
  current=$(cat "$file" 2>/dev/null) || return 0
  for port in "$PG_PORT" "$REDIS_PORT" "$REDIS_TLS_PORT" "$NGINX_PORT" "$UPSTREAM_PORT" "$DNS_PORT"; do
    [[ ",$current," == *",$port,"* ]] || add+="${add:+,}$port"
  done
  [[ -n $add ]] || return 0
  printf '%s\n' "${current:+$current,}$add" > "$file" 2>/dev/null || true
}

case $COMMAND in
  install)
    install_missing
    ;;
  up)
    if ((INSTALL)); then install_missing; fi
    reserve_ports
    say "Faultline services in $STATE_DIR"
    for service in "${SELECTED[@]}"; do "${service}_up"; done
    write_env
    say "env: $ENV_FILE"
    ;;
  down)
    for service in "${SELECTED[@]}"; do "${service}_down"; done
    if ((PURGE)); then
      [[ $PG_DIR == "$STATE_DIR"/* ]] || rm -rf "$PG_DIR"
      rm -rf "$STATE_DIR"
      say "purged $STATE_DIR"
    fi
    ;;
  status)
    rc=0
    for service in "${SELECTED[@]}"; do "${service}_status" || rc=1; done
    exit "$rc"
    ;;
  reload)
    for service in "${SELECTED[@]}"; do
      case $service in
        nginx|dns) "${service}_reload" ;;
        *) die "reload knows nginx and dns, not $service" ;;
      esac
    done
    ;;
  env)
    [[ -f $ENV_FILE ]] || die "no $ENV_FILE yet; run: $0 up"
    say "$ENV_FILE"
    ;;
  exec)
    [[ -f $ENV_FILE ]] || die "no $ENV_FILE yet; run: $0 up"
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    exec "${EXEC_ARGS[@]}"
    ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
