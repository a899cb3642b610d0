#!/usr/bin/env bash
# Bring up every service the test suite talks to: PostgreSQL (logical
# decoding), MariaDB (row binlog) and a single-node Kafka. Idempotent.
#
# Usage:
#   eval "$(bash test/services/up.sh)"   # sets FICUS_TEST_PG, FICUS_TEST_MYSQL, FICUS_TEST_KAFKA
#   npm test
#   bash test/services/down.sh           # stops Kafka (the databases stay up)
#
# Progress goes to stderr; stdout carries only the `export` lines, so eval is
# safe. Tests that find a variable unset are skipped locally and fail under
# CI=true (test/helpers/services.ts).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Each script prints NAME=value on stdout once its service is ready. One
# assignment per script: set -e does not reach inside a $(...) holding several.
pg=$(bash "$here/postgres.sh")
mysql=$(bash "$here/mariadb.sh")
kafka=$(bash "$here/kafka.sh" start)

while IFS= read -r line; do
  [[ $line =~ ^FICUS_TEST_[A-Z]+=[^[:space:]]+$ ]] || continue
  echo "export $line"
done <<<"$pg"$'\n'"$mysql"$'\n'"$kafka"
