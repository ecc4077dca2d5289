#!/bin/sh
# Runs sql/demo.sql in the sqlite3 shell from the repository root.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build
sqlite3 :memory: < sql/demo.sql
