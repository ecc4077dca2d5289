#!/bin/sh
# Runs sql/demo.sql in the sqlite3 shell from the repository root. Its sections 6
# and 8 write database files under build/; they start afresh. Then
# sql/demo_cache.sh (the chunk cache shared by two processes) and, last,
# sql/litestream_ship.sh.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build
rm -f build/demo_birds_plain.db build/demo_birds_plain.db-journal \
      build/demo_birds_squeeze.db build/demo_birds_squeeze.db-journal \
      build/demo_strikes.db build/demo_strikes.db-journal
sqlite3 :memory: < sql/demo.sql
sh sql/demo_cache.sh
# Last: section 6's two databases replicated with Litestream, restored and checked
# (sql/litestream_ship.sh prints the bytes it shipped for each).
echo
sh sql/litestream_ship.sh build/litestream build/demo_birds_squeeze.db build/demo_birds_plain.db
