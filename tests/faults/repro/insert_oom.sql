# An allocation failure inside INSERT, UPDATE or DELETE must be reported as SQLITE_NOMEM.
table: a INTEGER, chunk_rows = 4 | a INTEGER | a
INSERT INTO %T VALUES (1)
UPDATE %T SET a = 2 WHERE rowid = 1
DELETE FROM %T WHERE rowid = 1
