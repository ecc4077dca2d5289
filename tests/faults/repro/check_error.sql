# squeeze_check hit by an error (a read error, an interrupt) must fail with it, not return it
# as its answer.
table: a INTEGER, c TEXT, chunk_rows = 4 | a INTEGER, c TEXT | a, c
INSERT INTO %T(a, c) VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five'), (6, 'six'), (7, 'seven'), (8, 'eight'), (9, 'nine')
SELECT squeeze_check('t')
