#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) for the test suite.
#
# Usage:
#   bash test/services/kafka.sh start    # idempotent; prints FICUS_TEST_KAFKA=127.0.0.1:9092
#   bash test/services/kafka.sh status   # exit 0 when our broker runs and answers, 3 otherwise
#   bash test/services/kafka.sh stop     # SIGTERM, wait, then SIGKILL
#
# Needs Java 17+ and Maven. The first start resolves the broker jars pinned in
# test/services/kafka/pom.xml from Maven Central into
# ~/.cache/ficus/kafka-<version>/libs (through ~/.m2); later starts reuse them.
# No tarball, no Docker: CI reaches Maven Central and nothing else.
#
# Environment (all optional):
#   FICUS_CACHE_DIR            default ${XDG_CACHE_HOME:-~/.cache}/ficus
#   FICUS_KAFKA_PORT           client listener port, default 9092
#   FICUS_KAFKA_CONTROLLER_PORT  KRaft controller port, default 9093
#   FICUS_KAFKA_START_TIMEOUT  seconds to wait for the broker, default 90
#   FICUS_KAFKA_HEAP           JVM heap, default 512m
#
# Files: <cache>/kafka-run/{server.properties,kafka.pid,kafka.log} and the
# broker's data in <cache>/kafka-data (formatted once; wiped and reformatted
# when the pinned Kafka version changes, since it only ever holds test data).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pom="$here/kafka/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
[[ -n $version ]] || { echo "kafka.sh: no <kafka.version> in $pom" >&2; exit 1; }

cache=${FICUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ficus}
libs="$cache/kafka-$version/libs"
data="$cache/kafka-data"
run="$cache/kafka-run"
props="$run/server.properties"
pidfile="$run/kafka.pid"
logfile="$run/kafka.log"
port=${FICUS_KAFKA_PORT:-9092}
cport=${FICUS_KAFKA_CONTROLLER_PORT:-9093}
timeout_s=${FICUS_KAFKA_START_TIMEOUT:-90}
heap=${FICUS_KAFKA_HEAP:-512m}

say() { echo "kafka.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# The pid in our pid file, if that process is still our broker (pids get reused).
our_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $props" || return 1
  echo "$pid"
}

# True when something on $port answers a Kafka ApiVersions v0 request with
# error_code 0. The broker only processes requests once it is registered and
# unfenced, so this means "ready for clients", not merely "port open".
# Request: size=10, api_key=18, api_version=0, correlation_id=42, client_id=null.
answers() {
  local out
  out=$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\xff\xff" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"
  ' _ "$port" 2>/dev/null) || return 1
  # response: size(4) correlation_id(4)=42 error_code(2)=0
  [[ ${out:8:12} == 0000002a0000 ]]
}

port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

ensure_java() {
  command -v java >/dev/null || die "java not found (Kafka $version needs Java 17+)"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${major%%.*} -ge 17 ]] 2>/dev/null || die "Kafka $version needs Java 17+, found ${major:-unknown}"
}

ensure_libs() {
  if [[ -f $libs/.complete ]]; then return; fi
  command -v mvn >/dev/null || die "mvn not found; it fetches the Kafka jars from Maven Central"
  say "resolving Kafka $version jars from Maven Central into $libs (first run only)"
  local tmp="$libs.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Copy into a scratch dir and rename, so an interrupted download is never
  # mistaken for a complete classpath.
  # sed: Debian's Maven 3.8 prints bare colour resets even in batch mode.
  mvn -q -B -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2 \
    || { rm -rf "$tmp"; die "mvn could not resolve $pom"; }
  ls "$tmp"/kafka_2.13-"$version".jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "kafka_2.13-$version.jar missing after mvn"; }
  touch "$tmp/.complete"
  rm -rf "$libs"
  mv "$tmp" "$libs"
  say "jars ready in $((SECONDS - t0))s"
}

write_props() {
  mkdir -p "$run" "$data"
  cat >"$props.new" <<EOF
# Written by test/services/kafka.sh; regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=1
# One broker: every internal topic must live with replication factor 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: creating 50 of them on a 2-core CI box costs
# seconds on the first consumer group / transaction of every run.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
# No 3 s wait before the first rebalance of each new consumer group.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
# Test data: keep the disk bounded across many runs.
log.retention.hours=24
log.segment.bytes=16777216
EOF
  mv "$props.new" "$props"
}

format_storage() {
  local stamp="$data/.ficus-kafka-version"
  if [[ -f $data/logs/meta.properties && -f $stamp && $(<"$stamp") == "$version" ]]; then
    return
  fi
  say "formatting KRaft storage in $data"
  rm -rf "$data/logs"
  local id
  id=$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
  [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid printed '$id'"
  java -cp "$libs/*" kafka.tools.StorageTool format -t "$id" -c "$props" >>"$logfile" 2>&1 \
    || { tail -n 40 "$logfile" >&2; die "StorageTool format failed"; }
  echo "$version" >"$stamp"
}

start() {
  if pid=$(our_pid); then
    if answers; then
      say "already running (pid $pid)"
      echo "FICUS_TEST_KAFKA=127.0.0.1:$port"
      return
    fi
    say "pid $pid is ours but does not answer yet; waiting for it"
  else
    rm -f "$pidfile"
    if answers; then
      say "a Kafka broker not started by this script already answers on 127.0.0.1:$port; using it"
      echo "FICUS_TEST_KAFKA=127.0.0.1:$port"
      return
    fi
    for p in "$port" "$cport"; do
      port_open "$p" && die "127.0.0.1:$p is taken by something that is not our broker"
    done
    ensure_java
    ensure_libs
    write_props
    : >"$logfile"
    format_storage
    say "starting Kafka $version on 127.0.0.1:$port (log: $logfile)"
    # setsid: the broker must outlive this script and the CI step's process
    # group. The inner shell records its own pid, then becomes the JVM.
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
      java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
      -Dorg.slf4j.simpleLogger.showDateTime=true \
      -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
      -Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn \
      -cp "$libs/*" kafka.Kafka "$props" \
      </dev/null >>"$logfile" 2>&1 &
    for _ in $(seq 50); do [[ -s $pidfile ]] && break; sleep 0.1; done
    pid=$(<"$pidfile")
  fi

  local deadline=$((SECONDS + timeout_s))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 60 "$logfile" >&2
      rm -f "$pidfile"
      die "broker exited during startup (log above, full log in $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 60 "$logfile" >&2
      die "broker did not answer on 127.0.0.1:$port within ${timeout_s}s (pid $pid left running; log above)"
    fi
    sleep 1
  done
  say "ready (pid $pid)"
  echo "FICUS_TEST_KAFKA=127.0.0.1:$port"
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$pidfile"
    say "not running"
    return
  fi
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  # A combined broker+controller shuts down in a few seconds; 60 s covers a
  # loaded CI box before we stop asking nicely.
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM for 60s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  say "stopped"
}

status() {
  local pid
  if pid=$(our_pid) && answers; then
    say "running (pid $pid, Kafka $version, 127.0.0.1:$port)"
    echo "FICUS_TEST_KAFKA=127.0.0.1:$port"
  elif pid=$(our_pid); then
    say "pid $pid is running but does not answer on 127.0.0.1:$port"
    exit 3
  else
    say "not running"
    exit 3
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
