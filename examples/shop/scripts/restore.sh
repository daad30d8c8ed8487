#!/bin/sh
# Restore a dump made by backup.sh into the running database: restore.sh FILE
set -eu
test -f "$1"
docker compose exec -T db pg_restore -U shop -d shop --clean --if-exists < "$1"
