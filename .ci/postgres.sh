# Start a throwaway PostgreSQL server on loopback; installs it with apt-get when missing.
# Sets MOTCUA_PG_URL. Used by .ci/run and by bench scripts (see docs/operations.md).

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  local bindir port
  bindir=$(pg_bindir)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: installing PostgreSQL with apt-get" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    bindir=$(pg_bindir)
  fi
  # A free loopback port unless one is given (another server may hold the usual ones).
  port=${MOTCUA_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  PG_DATA=$(mktemp -d /tmp/motcua-pg.XXXXXX)
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent postgres
    chown postgres "$PG_DATA"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$PG_DATA/data" -A trust -U postgres -E UTF8 >/dev/null
  "${run[@]}" "$bindir/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DATA -c max_connections=200 -c fsync=on" start >/dev/null
  "${run[@]}" "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE motcua_test" >/dev/null
  PG_RUN=("${run[@]}")
  PG_BINDIR=$bindir
  export MOTCUA_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/motcua_test"
  echo "postgres.sh: PostgreSQL running at $MOTCUA_PG_URL" >&2
}

stop_postgres() {
  if [ -n "${PG_DATA:-}" ]; then
    "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DATA/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DATA"
  fi
}
