#!/usr/bin/env bash
# The whole Marquee topology on one machine, on local ports (`make cluster`, `make cluster-stop`):
#
#   HAProxy :8080 (stats :8404)  ->  app instances :3201 :3202 :3203
#   Redis Cluster: primaries :7001 :7002 :7003, one replica each :7004 :7005 :7006
#   Postgres: primary :5433, streaming replica :5434 (made with pg_basebackup)
#
#   scripts/cluster.sh up       start whatever is not running (a second `up` says what runs)
#   scripts/cluster.sh down     stop everything: SIGTERM, wait, then SIGKILL; pid files removed
#   scripts/cluster.sh status   each component and whether it answers (exit 1 if one does not)
#   scripts/cluster.sh reset    down, then delete the data (Postgres and Redis start empty)
#
# `up` expects the server built (`make cluster` runs `cargo leptos build` first). Data and pid
# files live in /var/lib/marquee/cluster: one cluster per machine, as its ports are fixed.
# Logs are in target/cluster-logs. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=/var/lib/marquee/cluster
RUN=$STATE/run     # pid files
PG_RUN=$STATE/pg   # Postgres' Unix sockets (owned by postgres)
LOGS=$PWD/target/cluster-logs
HAPROXY_CFG=$PWD/deploy/haproxy.cfg
# The build `cargo leptos build` leaves (as for `make run`), and the copy the instances run.
BUILT_BIN=$(realpath -m "${CARGO_TARGET_DIR:-target}/debug/marquee")
BUILT_SITE=$PWD/target/site
BIN=$STATE/build/marquee
SITE=$STATE/build/site

LB_PORT=8080
STATS_URL=http://127.0.0.1:8404/stats
APP_PORTS=(3201 3202 3203) # as in deploy/haproxy.cfg
REDIS_PORTS=(7001 7002 7003 7004 7005 7006)
PG_PRIMARY_PORT=5433
PG_REPLICA_PORT=5434
PG_BIN=/usr/lib/postgresql/15/bin
PG_PRIMARY=$STATE/pg-primary
PG_REPLICA=$STATE/pg-replica
PG_SLOT=marquee_replica
PG_REPLICA_NAME=marquee-replica

# What the instances are told. DRAIN_SECS must outlast HAProxy's way to "down" (inter 1 s,
# fastinter 0.5 s, fall 2: ~1.5 s); HEADER_READ_TIMEOUT_SECS must outlast HAProxy's idle
# connections (timeout http-keep-alive 5 s, pool-purge-delay 5 s), see deploy/haproxy.cfg.
DATABASE_URL=postgres://marquee:marquee@127.0.0.1:$PG_PRIMARY_PORT/marquee
DATABASE_REPLICA_URL=postgres://marquee:marquee@127.0.0.1:$PG_REPLICA_PORT/marquee
REDIS_CLUSTER_NODES=$(printf 'redis://127.0.0.1:%s,' "${REDIS_PORTS[@]}")
REDIS_CLUSTER_NODES=${REDIS_CLUSTER_NODES%,}
DRAIN_SECS=3
HEADER_READ_TIMEOUT_SECS=30
SHUTDOWN_GRACE_SECS=20

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() {
  printf '\033[1;31mcluster: %s\033[0m\n' "$*" >&2
  exit 1
}
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# Polls `$@` every 0.25 s for up to $1 seconds.
wait_for() {
  local seconds=$1
  shift
  local tries=$((seconds * 4))
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    sleep 0.25
  done
  "$@"
}

# The pid in pid file $1 if that process runs and its command line contains $2 (a pid file
# left by a crash, whose number now belongs to something else, does not count).
running_pid() {
  local file=$1 pattern=$2 pid
  [ -f "$file" ] || return 1
  pid=$(head -n1 "$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern" || return 1
  echo "$pid"
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
must_be_free() {
  port_free "$1" || fail "port $1 is taken by something this script did not start: $(ss -Hltnp "sport = :$1")"
}

# SIGTERM, up to $3 seconds to exit, then SIGKILL; the pid file goes either way.
stop_pid() {
  local name=$1 file=$2 patience=$3 pattern=$4 pid
  if pid=$(running_pid "$file" "$pattern"); then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$patience" eval "! kill -0 $pid 2>/dev/null"; then
      echo "  $name did not stop in ${patience}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 eval "! kill -0 $pid 2>/dev/null" || true
    fi
    echo "  $name stopped"
  fi
  rm -f "$file"
}

# --- Postgres: a primary and a streaming replica --------------------------------------------
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1"; }
# psql as the superuser, over the primary's Unix socket (peer authentication).
psql_on() {
  local port=$1
  shift
  as_postgres psql -h "$PG_RUN" -p "$port" -d postgres -v ON_ERROR_STOP=1 -qtAX "$@"
}
pg_log() {
  local file=$LOGS/$1.log
  touch "$file"
  chown postgres: "$file" 2>/dev/null || $SUDO chown postgres: "$file"
  echo "$file"
}
pg_start() {
  local dir=$1 port=$2 name=$3
  if pg_ready "$port"; then
    echo "  $name already running on :$port"
    return
  fi
  must_be_free "$port"
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$(pg_log "$name")" -w -t 60 start >/dev/null ||
    fail "$name did not start; see $LOGS/$name.log"
}

pg_primary_up() {
  if [ ! -f "$PG_PRIMARY/PG_VERSION" ]; then
    step "Postgres primary: initdb in $PG_PRIMARY"
    $SUDO install -d -o postgres -g postgres -m 700 "$PG_PRIMARY"
    as_postgres "$PG_BIN/initdb" -D "$PG_PRIMARY" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$LOGS/pg-initdb.log"
    as_postgres tee -a "$PG_PRIMARY/postgresql.conf" >/dev/null <<EOF

# --- scripts/cluster.sh: the primary of \`make cluster\` ---
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$PG_RUN'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
# The replica's slot keeps WAL for it while it is down, but never more than this.
max_slot_wal_keep_size = '1GB'
EOF
    # Loopback only: the superuser through its Unix socket, everyone else with a password.
    as_postgres tee "$PG_PRIMARY/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE     USER        ADDRESS        METHOD
local   all          postgres                   peer
host    replication  replicator  127.0.0.1/32   scram-sha-256
host    all          all         127.0.0.1/32   scram-sha-256
EOF
  fi
  step "Postgres primary on :$PG_PRIMARY_PORT"
  pg_start "$PG_PRIMARY" "$PG_PRIMARY_PORT" pg-primary
  psql_on "$PG_PRIMARY_PORT" <<'EOF'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN
    CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'marquee') THEN
    CREATE ROLE marquee LOGIN PASSWORD 'marquee';
  END IF;
END $$;
EOF
  if [ -z "$(psql_on "$PG_PRIMARY_PORT" -c "SELECT 1 FROM pg_database WHERE datname = 'marquee'")" ]; then
    psql_on "$PG_PRIMARY_PORT" -c "CREATE DATABASE marquee OWNER marquee"
  fi
}

pg_replica_up() {
  if [ ! -f "$PG_REPLICA/PG_VERSION" ]; then
    step "Postgres replica: pg_basebackup from :$PG_PRIMARY_PORT into $PG_REPLICA"
    # A slot left by an earlier replica whose data is gone would hold WAL for nobody.
    psql_on "$PG_PRIMARY_PORT" -c "SELECT pg_drop_replication_slot(slot_name)
      FROM pg_replication_slots WHERE slot_name = '$PG_SLOT' AND NOT active" >/dev/null
    $SUDO rm -rf "$PG_REPLICA"
    $SUDO install -d -o postgres -g postgres -m 700 "$PG_REPLICA"
    # -R writes standby.signal and primary_conninfo; -C -S streams through a slot of its own.
    as_postgres "$PG_BIN/pg_basebackup" -D "$PG_REPLICA" -R -X stream -C -S "$PG_SLOT" \
      -c fast -d "host=127.0.0.1 port=$PG_PRIMARY_PORT user=replicator password=replicator" \
      >"$LOGS/pg-basebackup.log" 2>&1 || fail "pg_basebackup failed; see $LOGS/pg-basebackup.log"
    # The primary's settings came along; these come later in the file, so they win.
    as_postgres tee -a "$PG_REPLICA/postgresql.conf" >/dev/null <<EOF

# --- scripts/cluster.sh: the streaming replica of \`make cluster\` ---
port = $PG_REPLICA_PORT
cluster_name = '$PG_REPLICA_NAME'  # also the name it streams under (pg_stat_replication)
hot_standby = on
# Catalog reads run here; keep the primary from vacuuming away rows they still read.
hot_standby_feedback = on
EOF
  fi
  step "Postgres replica on :$PG_REPLICA_PORT"
  pg_start "$PG_REPLICA" "$PG_REPLICA_PORT" pg-replica
  replica_streaming() {
    [ "$(psql_on "$PG_PRIMARY_PORT" -c "SELECT state FROM pg_stat_replication
      WHERE application_name = '$PG_REPLICA_NAME'")" = streaming ]
  }
  wait_for 30 replica_streaming || fail "the replica is not streaming; see $LOGS/pg-replica.log"
  echo "  streaming from the primary"
}

pg_down() {
  local dir name
  # The replica first: stopped the other way round, it would keep asking for the primary.
  for name in pg-replica pg-primary; do
    dir=$STATE/$name
    [ -f "$dir/postmaster.pid" ] || continue
    if as_postgres "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null ||
        as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w -t 10 stop >/dev/null ||
        echo "  $name did not stop (see $LOGS/$name.log)"
      echo "  $name stopped"
    fi
  done
}

# --- Redis Cluster: three primaries, one replica each ----------------------------------------
redis_pidfile() { echo "$RUN/redis-$1.pid"; }
redis_info() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r'; }
redis_field() { redis_info "$1" | sed -n "s/^$2://p"; }
redis_role() { redis-cli -h 127.0.0.1 -p "$1" role 2>/dev/null | head -n1; }
redis_replication() {
  redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

redis_up() {
  local port dir
  step "Redis Cluster nodes on :${REDIS_PORTS[0]}-:${REDIS_PORTS[-1]}"
  for port in "${REDIS_PORTS[@]}"; do
    if running_pid "$(redis_pidfile "$port")" "redis-server 127.0.0.1:$port" >/dev/null; then
      echo "  :$port already running"
      continue
    fi
    must_be_free "$port"
    dir=$STATE/redis-$port
    mkdir -p "$dir"
    # Each node its own directory: its cluster state (nodes.conf) and append-only file, fsynced
    # every second like the single Redis of `make run`. A node unheard of for 2 s is failing:
    # its replica takes over quickly, which keeps failover tests short.
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --appendonly yes --appendfsync everysec --save '' --maxmemory-policy noeviction \
      --daemonize yes --pidfile "$(redis_pidfile "$port")" --logfile "$LOGS/redis-$port.log"
    echo "  :$port started"
  done
  for port in "${REDIS_PORTS[@]}"; do
    wait_for 10 eval "redis-cli -p $port ping >/dev/null 2>&1" ||
      fail "Redis :$port does not answer; see $LOGS/redis-$port.log"
  done

  if [ "$(redis_field "${REDIS_PORTS[0]}" cluster_slots_assigned)" != 16384 ]; then
    # Only nodes that know nobody and own nothing can be made into a cluster.
    for port in "${REDIS_PORTS[@]}"; do
      if [ "$(redis_field "$port" cluster_known_nodes)" != 1 ] ||
        [ "$(redis_field "$port" cluster_slots_assigned)" != 0 ]; then
        fail "Redis :$port already belongs to a partial cluster; \`scripts/cluster.sh reset\` starts over"
      fi
    done
    step "redis-cli --cluster create (3 primaries, --cluster-replicas 1)"
    local nodes=()
    for port in "${REDIS_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
      >"$LOGS/redis-cluster-create.log" 2>&1 ||
      fail "redis-cli --cluster create failed; see $LOGS/redis-cluster-create.log"
  fi
  # Ok everywhere, and every replica in sync with its primary (after a restart they resync
  # for a few seconds), so that a failover right after `up` finds a replica to promote.
  cluster_ok() {
    local p
    for p in "${REDIS_PORTS[@]}"; do
      [ "$(redis_field "$p" cluster_state)" = ok ] || return 1
      if [ "$(redis_role "$p")" = slave ]; then
        [ "$(redis_replication "$p" master_link_status)" = up ] || return 1
      fi
    done
  }
  wait_for 30 cluster_ok || fail "the Redis Cluster is not ok; see $LOGS/redis-*.log"
  echo "  cluster_state:ok, $(redis_field "${REDIS_PORTS[0]}" cluster_known_nodes) nodes"
}

redis_down() {
  local port
  for port in "${REDIS_PORTS[@]}"; do
    # SIGTERM: Redis flushes its append-only file and exits.
    stop_pid "redis :$port" "$(redis_pidfile "$port")" 15 "redis-server 127.0.0.1:$port" &
  done
  wait
}

# --- App instances ------------------------------------------------------------------------
app_pidfile() { echo "$RUN/app-$1.pid"; }
app_healthy() { curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:$1/healthz"; }

app_start() {
  local port=$1 pid
  if running_pid "$(app_pidfile "$port")" "$BIN" >/dev/null; then
    echo "  :$port already running"
    return
  fi
  must_be_free "$port"
  # setsid: the instance outlives this script and the terminal's Ctrl-C. It inherits the
  # environment (RUST_LOG, RATE_* …); the settings below are the topology's.
  LEPTOS_SITE_ADDR=127.0.0.1:$port LEPTOS_SITE_ROOT=$SITE \
    DATABASE_URL=$DATABASE_URL DATABASE_REPLICA_URL=$DATABASE_REPLICA_URL \
    REDIS_CLUSTER_NODES=$REDIS_CLUSTER_NODES TRUSTED_PROXIES=127.0.0.1 \
    DRAIN_SECS=$DRAIN_SECS HEADER_READ_TIMEOUT_SECS=$HEADER_READ_TIMEOUT_SECS \
    SHUTDOWN_GRACE_SECS=$SHUTDOWN_GRACE_SECS \
    setsid "$BIN" </dev/null >>"$LOGS/app-$port.log" 2>&1 &
  pid=$!
  echo "$pid" >"$(app_pidfile "$port")"
  app_wait "$port" "$pid"
}

app_wait() {
  local port=$1 pid=$2
  for _ in $(seq 1 240); do
    app_healthy "$port" && {
      echo "  :$port healthy (pid $pid)"
      return
    }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 20 "$LOGS/app-$port.log" >&2
  fail "the instance on :$port is not healthy; see $LOGS/app-$port.log"
}

apps_up() {
  step "app instances on :${APP_PORTS[*]}"
  # Every instance runs the same build: a copy taken when none runs, so that rebuilding (say
  # for `make run`) and then restarting one instance cannot mix two versions behind HAProxy.
  local port any=""
  for port in "${APP_PORTS[@]}"; do
    running_pid "$(app_pidfile "$port")" "$BIN" >/dev/null && any=yes
  done
  if [ -z "$any" ] || [ ! -x "$BIN" ]; then
    if [ ! -x "$BUILT_BIN" ] || [ ! -d "$BUILT_SITE/pkg" ]; then
      fail "no server build at $BUILT_BIN and $BUILT_SITE: run \`make cluster\` (it runs \`cargo leptos build\`)"
    fi
    rm -rf "$STATE/build.new"
    mkdir -p "$STATE/build.new"
    cp "$BUILT_BIN" "$STATE/build.new/marquee"
    cp -a "$BUILT_SITE" "$STATE/build.new/site"
    rm -rf "$STATE/build"
    mv "$STATE/build.new" "$STATE/build"
  elif [ -x "$BUILT_BIN" ] && [ "$BUILT_BIN" -nt "$BIN" ]; then
    echo "  (running an older build than $BUILT_BIN; \`make cluster-stop && make cluster\` switches)"
  fi
  # The first alone: it migrates the new database and loads the demo catalog; the others
  # then find both done.
  app_start "${APP_PORTS[0]}"
  local pids=() failed=0
  for port in "${APP_PORTS[@]:1}"; do
    app_start "$port" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || fail "an instance did not start"
}

apps_down() {
  local port patience=$((DRAIN_SECS + SHUTDOWN_GRACE_SECS + 5))
  # Each drains (DRAIN_SECS), then shuts down (at most SHUTDOWN_GRACE_SECS); in parallel.
  for port in "${APP_PORTS[@]}"; do
    stop_pid "app :$port" "$(app_pidfile "$port")" "$patience" "$BIN" &
  done
  wait
}

# --- HAProxy -----------------------------------------------------------------------------
haproxy_pidfile=$RUN/haproxy.pid

# One line per server of the `app` backend, from the stats CSV:
# "app1 UP (L7OK 200 in 1 ms, 0 sessions, 12 served)"; the state may be "UP", "DOWN",
# "UP 1/2" (failing, not yet down), "DOWN 1/2" (recovering), "MAINT", "no check".
backend_states() {
  curl -fsS --max-time 3 "$STATS_URL;csv" 2>/dev/null | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { sub(/^# /, "", $i); col[$i] = i }; next }
    $1 == "app" && $2 != "BACKEND" && $2 != "FRONTEND" {
      printf "%s %s (%s %s in %s ms, %s sessions, %s served)\n", $2, $col["status"],
        $col["check_status"], $col["check_code"], $col["check_duration"], $col["scur"], $col["stot"]
    }'
}
backend_up() { [[ $1 =~ ^[^\ ]+\ UP\ \( ]]; }

haproxy_up() {
  step "HAProxy on :$LB_PORT (stats $STATS_URL)"
  if ! command -v haproxy >/dev/null; then
    step "apt-get install haproxy"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
  fi
  if running_pid "$haproxy_pidfile" "haproxy -db -f" >/dev/null; then
    echo "  already running"
  else
    must_be_free "$LB_PORT"
    must_be_free 8404
    haproxy -c -q -f "$HAPROXY_CFG" || fail "$HAPROXY_CFG is not valid"
    setsid haproxy -db -f "$HAPROXY_CFG" </dev/null >>"$LOGS/haproxy.log" 2>&1 &
    echo $! >"$haproxy_pidfile"
  fi
  all_up() {
    local line n=0
    while read -r line; do backend_up "$line" && n=$((n + 1)); done < <(backend_states)
    [ "$n" -eq "${#APP_PORTS[@]}" ]
  }
  wait_for 15 all_up || fail "HAProxy does not see every instance up: $(backend_states)"
  echo "  every instance UP"
}

# --- Status ------------------------------------------------------------------------------
status() {
  local ok=0 port pid line
  say() { printf '  %-22s %s\n' "$1" "$2"; }
  bad() {
    say "$1" "$(printf '\033[31m%s\033[0m' "$2")"
    ok=1
  }

  echo "HAProxy"
  if pid=$(running_pid "$haproxy_pidfile" "haproxy -db -f"); then
    say "haproxy :$LB_PORT" "running (pid $pid)"
    while read -r line; do
      if backend_up "$line"; then say "  backend" "$line"; else bad "  backend" "$line"; fi
    done < <(backend_states)
  else
    bad "haproxy :$LB_PORT" "not running"
  fi

  echo "App instances"
  for port in "${APP_PORTS[@]}"; do
    if pid=$(running_pid "$(app_pidfile "$port")" "$BIN"); then
      line=$(curl -sS --max-time 3 "http://127.0.0.1:$port/healthz" 2>&1 || true)
      case $line in
        *'"status":"ok"'*) say "app :$port" "running (pid $pid), /healthz $line" ;;
        *) bad "app :$port" "running (pid $pid), /healthz $line" ;;
      esac
    else
      bad "app :$port" "not running"
    fi
  done

  echo "Redis Cluster"
  # The cluster as the first node that answers sees it.
  local seen=""
  for port in "${REDIS_PORTS[@]}"; do
    [ -n "$(redis_field "$port" cluster_state)" ] && seen=$port && break
  done
  if [ -z "$seen" ]; then
    bad "cluster" "no node answers"
  elif [ "$(redis_field "$seen" cluster_state)" = ok ]; then
    say "cluster" "cluster_state:ok, $(redis_field "$seen" cluster_known_nodes) nodes, $(redis_field "$seen" cluster_slots_ok) slots ok"
  else
    bad "cluster" "cluster_state:$(redis_field "$seen" cluster_state), $(redis_field "$seen" cluster_slots_ok) slots ok (seen from :$seen)"
  fi
  for port in "${REDIS_PORTS[@]}"; do
    case $(redis_role "$port") in
      master)
        line=$(redis-cli -p "$port" cluster nodes | awk '/myself/ { $1 = $2 = $3 = $4 = $5 = $6 = $7 = $8 = ""; print }' | xargs)
        say "redis :$port" "primary, slots ${line:-none}"
        ;;
      slave)
        line="replica of :$(redis_replication "$port" master_port), link $(redis_replication "$port" master_link_status)"
        case $line in
          *up) say "redis :$port" "$line" ;;
          *) bad "redis :$port" "$line" ;;
        esac
        ;;
      *) bad "redis :$port" "not answering" ;;
    esac
  done

  echo "Postgres"
  if pg_ready "$PG_PRIMARY_PORT"; then
    say "primary :$PG_PRIMARY_PORT" "accepting connections"
  else
    bad "primary :$PG_PRIMARY_PORT" "not answering"
  fi
  if pg_ready "$PG_REPLICA_PORT"; then
    say "replica :$PG_REPLICA_PORT" "accepting connections, in recovery: $(psql_on "$PG_REPLICA_PORT" -c 'SELECT pg_is_in_recovery()')"
  else
    bad "replica :$PG_REPLICA_PORT" "not answering"
  fi
  if pg_ready "$PG_PRIMARY_PORT"; then
    line=$(psql_on "$PG_PRIMARY_PORT" -F ', ' -c "SELECT state,
        pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) || ' bytes behind',
        'replay lag ' || coalesce(replay_lag::text, '0 (idle)')
      FROM pg_stat_replication WHERE application_name = '$PG_REPLICA_NAME'")
    case $line in
      streaming*) say "replication" "$line" ;;
      *) bad "replication" "${line:-no replica connected}" ;;
    esac
  fi
  return $ok
}

# --- Commands ----------------------------------------------------------------------------
up() {
  $SUDO mkdir -p "$STATE"
  if [ -n "$SUDO" ]; then $SUDO chown "$(id -u):$(id -g)" "$STATE"; fi
  mkdir -p "$RUN" "$LOGS"
  $SUDO install -d -o postgres -g postgres -m 755 "$PG_RUN"
  pg_primary_up
  pg_replica_up
  redis_up
  apps_up
  haproxy_up
  echo
  status || true
  echo
  echo "Marquee through HAProxy: http://127.0.0.1:$LB_PORT  (stats: $STATS_URL, logs: $LOGS)"
}

down() {
  step "stopping the cluster"
  stop_pid haproxy "$haproxy_pidfile" 10 "haproxy -db -f"
  apps_down
  redis_down
  pg_down
  step "stopped"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  reset)
    down
    step "deleting $STATE"
    $SUDO rm -rf "$STATE"
    ;;
  *)
    echo "usage: $0 up|down|status|reset" >&2
    exit 2
    ;;
esac
