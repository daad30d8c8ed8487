#!/bin/sh
# Nightly logical backup of the shop database to /var/backups/shop (kept 14 days).
set -eu
stamp=$(date +%Y%m%d-%H%M%S)
docker compose exec -T db pg_dump -U shop -Fc shop > "/var/backups/shop/shop-$stamp.dump"
find /var/backups/shop -name 'shop-*.dump' -mtime +14 -delete
