#!/usr/bin/env bash
# Make the local MariaDB server fit for the binlog CDC tests. Idempotent.
#
# Usage:
#   bash test/services/mariadb.sh        # prints FICUS_TEST_MYSQL=mysql://root@127.0.0.1:3306/test
#
# What it ensures:
#   - /etc/mysql/mariadb.conf.d/99-ficus.cnf holds log_bin, binlog_format=ROW,
#     binlog_row_image=FULL and server_id=1 (what a row-based binlog reader
#     such as @vlasky/zongji needs; MariaDB defaults to binlog off and MIXED),
#     and /etc/mysql/my.cnf includes that directory (Debian's stock my.cnf
#     does; a trimmed one may not);
#   - mariadbd runs; it is restarted only when the running values differ from
#     the file, since log_bin is fixed at server start;
#   - the `test` database exists.
# Then it checks SELECT @@log_bin, @@binlog_format, @@binlog_row_image,
# @@server_id and fails loudly if any is still wrong.
#
# No systemd here: the server is stopped with `mysqladmin shutdown` and started
# with start-stop-daemon. Connects as root with an empty password over TCP
# 127.0.0.1; zongji >= 0.6 speaks through mysql2, which handles the
# mysql_native_password root account, so no dedicated replication user is needed.
#
# Environment (optional): FICUS_MYSQL_PORT (default 3306).
set -euo pipefail

say() { echo "mariadb.sh: $*" >&2; }
die() { say "$*"; exit 1; }

port=${FICUS_MYSQL_PORT:-3306}
mariadbd=/usr/sbin/mariadbd
mycnf=/etc/mysql/my.cnf
confdir=/etc/mysql/mariadb.conf.d
conf=$confdir/99-ficus.cnf
errlog=/var/log/mysql/error.log
want="1 ROW FULL 1"

[[ -x $mariadbd ]] || die "$mariadbd not found"

sql() { mysql -uroot -h127.0.0.1 -P"$port" --connect-timeout=5 -N -B -e "$1"; }
answers() { mysqladmin -uroot -h127.0.0.1 -P"$port" --connect-timeout=2 ping >/dev/null 2>&1; }

start_server() {
  # /run is a tmpfs: after a reboot the socket/pid directory is gone.
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec "$mariadbd"
  for _ in $(seq 60); do
    answers && return 0
    sleep 1
  done
  tail -n 40 "$errlog" >&2 || true
  die "mariadbd does not answer on 127.0.0.1:$port after 60s"
}

stop_server() {
  local pid
  pid=$(sql "SELECT @@pid_file" | xargs cat 2>/dev/null || true)
  mysqladmin -uroot -h127.0.0.1 -P"$port" shutdown || die "mysqladmin shutdown failed"
  if [[ $pid =~ ^[0-9]+$ ]]; then
    for _ in $(seq 120); do
      [[ -d /proc/$pid ]] || return 0
      sleep 0.5
    done
    die "mariadbd (pid $pid) still running 60s after mysqladmin shutdown"
  fi
}

write_conf() {
  mkdir -p "$confdir"
  local body
  body=$(cat <<'EOF'
# Written by test/services/mariadb.sh: the binlog settings Ficus's CDC tests need.
[mariadbd]
server_id = 1
log_bin = mariadb-bin
binlog_format = ROW
binlog_row_image = FULL
# Test churn only: do not let binlogs fill the disk across many runs.
binlog_expire_logs_seconds = 86400
EOF
)
  if [[ ! -f $conf || $(<"$conf") != "$body" ]]; then
    say "writing $conf"
    printf '%s\n' "$body" >"$conf"
  fi
  if ! grep -Eq "^[[:space:]]*!includedir[[:space:]]+$confdir/?[[:space:]]*$" "$mycnf"; then
    say "adding '!includedir $confdir/' to $mycnf"
    printf '\n# Added by test/services/mariadb.sh\n!includedir %s/\n' "$confdir" >>"$mycnf"
  fi
  # Proves the server will actually read the file, whatever my.cnf looks like.
  "$mariadbd" --print-defaults | grep -Eq -- '--binlog[-_]format=ROW' \
    || die "mariadbd --print-defaults does not show $conf; check the !includedir lines in $mycnf"
}

running() {
  sql "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id" | tr '\t' ' '
}

write_conf

if ! answers; then
  say "starting mariadbd"
  start_server
fi

now=$(running)
if [[ $now != "$want" ]]; then
  say "running log_bin/binlog_format/binlog_row_image/server_id = '$now', want '$want'; restarting"
  stop_server
  start_server
fi

now=$(running)
[[ $now == "$want" ]] \
  || die "after restart SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id gives '$now', expected '$want'"

sql "CREATE DATABASE IF NOT EXISTS test"

say "ready: $(sql "SELECT VERSION()") log_bin=1 binlog_format=ROW binlog_row_image=FULL server_id=1"
echo "FICUS_TEST_MYSQL=mysql://root@127.0.0.1:$port/test"
