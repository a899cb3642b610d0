#!/usr/bin/env bash
# Make the local PostgreSQL cluster fit for the CDC tests. Idempotent.
#
# Usage:
#   bash test/services/postgres.sh       # prints FICUS_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres
#
# What it ensures, on the Debian cluster found under /etc/postgresql:
#   - the cluster runs (pg_ctlcluster ... start when it is down);
#   - wal_level=logical, max_replication_slots>=20, max_wal_senders>=20, set
#     with ALTER SYSTEM; the server is restarted only when a running value
#     falls short, since these three are fixed at server start;
#   - inactive slots named ficus_test_% are dropped, so slots leaked by
#     crashed test runs do not pile up until max_replication_slots is hit.
#     Run it before tests, not during: a test_decoding slot read through SQL
#     is inactive between reads.
# Then it checks the running values and fails loudly if any is still wrong.
#
# Environment (all optional): FICUS_PG_VERSION, FICUS_PG_CLUSTER (default main),
# FICUS_PG_PORT (default 5432). Connects as postgres over 127.0.0.1 (trust auth).
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

version=${FICUS_PG_VERSION:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)}
cluster=${FICUS_PG_CLUSTER:-main}
port=${FICUS_PG_PORT:-5432}
[[ -n $version && -d /etc/postgresql/$version/$cluster ]] \
  || die "no PostgreSQL cluster at /etc/postgresql/${version:-?}/$cluster"

want_slots=20
want_senders=20

psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -X -At -v ON_ERROR_STOP=1 "$@"; }
ctl() { pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" "$@"; }

wait_ready() {
  for _ in $(seq 60); do
    pg_isready -q -h 127.0.0.1 -p "$port" && return 0
    sleep 1
  done
  tail -n 40 "/var/log/postgresql/postgresql-$version-$cluster.log" >&2 || true
  die "PostgreSQL $version/$cluster does not accept connections on 127.0.0.1:$port"
}

if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
  say "starting PostgreSQL $version/$cluster"
  ctl start || die "pg_ctlcluster $version $cluster start failed"
fi
wait_ready

# Prints "wal_level max_replication_slots max_wal_senders" as running now.
running() {
  psql_ -F ' ' -c "SELECT current_setting('wal_level'),
                          current_setting('max_replication_slots')::int,
                          current_setting('max_wal_senders')::int"
}

fits() {
  local wal slots senders
  read -r wal slots senders <<<"$(running)"
  [[ $wal == logical && $slots -ge $want_slots && $senders -ge $want_senders ]]
}

if ! fits; then
  read -r wal slots senders <<<"$(running)"
  say "running wal_level=$wal max_replication_slots=$slots max_wal_senders=$senders; reconfiguring"
  psql_ -c "ALTER SYSTEM SET wal_level = 'logical'" >/dev/null
  ((slots >= want_slots)) || psql_ -c "ALTER SYSTEM SET max_replication_slots = $want_slots" >/dev/null
  ((senders >= want_senders)) || psql_ -c "ALTER SYSTEM SET max_wal_senders = $want_senders" >/dev/null
  say "restarting PostgreSQL $version/$cluster (these settings only change at server start)"
  ctl restart || die "pg_ctlcluster $version $cluster restart failed"
  wait_ready
fi

read -r wal slots senders <<<"$(running)"
[[ $wal == logical ]] || die "SHOW wal_level says '$wal' after restart, expected logical (postgresql.conf overriding postgresql.auto.conf?)"
((slots >= want_slots)) || die "max_replication_slots is $slots after restart, expected >= $want_slots"
((senders >= want_senders)) || die "max_wal_senders is $senders after restart, expected >= $want_senders"

dropped=$(psql_ -c "SELECT count(pg_drop_replication_slot(slot_name))
                      FROM pg_replication_slots
                     WHERE slot_name LIKE 'ficus\_test\_%' AND NOT active")
((dropped == 0)) || say "dropped $dropped stale ficus_test_% replication slot(s)"

say "ready: PostgreSQL $version/$cluster wal_level=$wal max_replication_slots=$slots max_wal_senders=$senders"
echo "FICUS_TEST_PG=postgres://postgres@127.0.0.1:$port/postgres"
