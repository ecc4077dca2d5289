# An allocation failure in a worker thread of compress(x, codec, 'threads=N') or of a
# multi-block decompress() must be SQLITE_NOMEM, with nothing leaked and no thread left waiting.
table: a INTEGER, e BLOB | a INTEGER, e BLOB | a, e
SELECT squeeze_config('threads', 2)
INSERT INTO %T VALUES (1, compress(zeroblob(3500000) || 'x', 'zstd', 'threads=2'))
INSERT INTO %T VALUES (2, compress(zeroblob(2500000), 'lz4', 'threads=3'))
INSERT INTO %T VALUES (3, compress(zeroblob(2100000), 'zstd', 'format=zstd,threads=2'))
SELECT a, length(decompress(e)) FROM %T ORDER BY a
UPDATE %T SET e = compress(decompress(e), 'huffman', 'threads=2') WHERE a = 1
SELECT a, length(decompress(e)), compressed_codec(e) FROM %T ORDER BY a
