#!/bin/sh
# Runs sql/demo.sql in the sqlite3 shell from the repository root. Its section 6
# imports a CSV into two database files under build/; they start afresh. Then
# sql/demo_cache.sh: the chunk cache shared by two processes.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build
rm -f build/demo_birds_plain.db build/demo_birds_plain.db-journal \
      build/demo_birds_squeeze.db build/demo_birds_squeeze.db-journal
sqlite3 :memory: < sql/demo.sql
sh sql/demo_cache.sh
