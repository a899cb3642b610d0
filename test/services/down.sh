#!/usr/bin/env bash
# Stop what test/services/up.sh started and nobody else would: the Kafka
# broker. PostgreSQL and MariaDB are system services and keep running.
#
# Usage: bash test/services/down.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/kafka.sh" stop
