# squeeze_optimize that fails (an allocation) must change nothing.
table: v INTEGER, b BLOB CODEC store, chunk_rows = 4 | v INTEGER, b BLOB | v, b
INSERT INTO %T(v, b) VALUES (1, x'01'), (2, x'02'), (3, x'03'), (4, x'04'), (5, x'05'), (6, x'06'), (7, x'07'), (8, x'08'), (9, x'09')
DELETE FROM %T WHERE v IN (2, 3, 6)
SELECT squeeze_optimize('t')
SELECT rowid, v, b FROM %T ORDER BY rowid
