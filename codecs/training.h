/*
** training.h: training a dictionary with libzstd's ZDICT from sample
** values, sampling large inputs down to a bounded total
** (docs/dictionaries.md).
**
**   sqz_sampler *s = sqz_sampler_create(NULL, 100 * 16384);
**   for each value: sqz_sampler_add(s, value, size);
**   size_t n = sqz_sampler_train(s, dict, 16384, 3, &info);
**   sqz_sampler_free(s);
**
** Sampling is a deterministic, uniform sample of the values: the value
** added n-th gets the priority splitmix64(n), a fixed pseudo-random
** permutation of the positions, and the sampler keeps the values of lowest
** priority whose bytes fit the budget (a bottom-k sample by bytes: after
** every value it drops the highest priorities until the rest fits). So
** frequent values keep their share, and the same values in the same order
** give the same samples on every machine (a query with ORDER BY gives an
** order that no query plan changes). The kept values go to ZDICT in the
** order they came; when all fit the budget, that is exactly
** ZDICT_trainFromBuffer's input for the whole column. Each value counts at
** most its first SQZ_SAMPLE_PIECE_MAX bytes.
**
** Training is ZDICT_optimizeTrainFromBuffer_fastCover with the parameters
** ZDICT_trainFromBuffer uses (d = 8, steps = 4, one thread, so the search
** is deterministic too) and the zstd level the dictionary is meant for,
** which ZDICT uses to choose among candidates and to build the entropy
** tables (facebook/zstd lib/dictBuilder/fastcover.c).
**
** Pure C: memory comes from the allocator given; no sqlite3.h.
*/
#ifndef SQZ_TRAINING_H
#define SQZ_TRAINING_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqz_sampler sqz_sampler;

/* The most bytes one value contributes to the samples: its first 128 KiB. */
#define SQZ_SAMPLE_PIECE_MAX ((size_t)128 << 10)

/* What a sampler saw and kept, and what training made of it. */
typedef struct sqz_training_info {
  uint64_t values;         /* values added */
  uint64_t value_bytes;    /* their bytes (each counted up to SQZ_SAMPLE_PIECE_MAX) */
  uint64_t samples;        /* values kept as samples */
  uint64_t sample_bytes;   /* their bytes */
  const char *zdict_error; /* sqz_sampler_train failed in ZDICT: its error name (static) */
} sqz_training_info;

/* A sampler keeping at most budget bytes of samples (>= 1). NULL when the
** allocator fails. Free with sqz_sampler_free(). */
sqz_sampler *sqz_sampler_create(const sqz_allocator *allocator, size_t budget);

/* Frees the sampler and its samples. NULL is a no-op. */
void sqz_sampler_free(sqz_sampler *s);

/* Offers one value of n bytes (its first SQZ_SAMPLE_PIECE_MAX bytes). The
** sampler copies what it keeps. Returns 0, or SQZ_ERROR(MEMORY), after which
** the sampler is as it was before the call. */
size_t sqz_sampler_add(sqz_sampler *s, const void *p, size_t n);

/* Copies the counters into *info (zdict_error NULL). */
void sqz_sampler_info(const sqz_sampler *s, sqz_training_info *info);

/* Trains a dictionary of at most capacity bytes (>= 256, ZDICT's minimum)
** for zstd level from the kept samples into dict, and fills *info. Returns
** its size, or an error: PARAMETER (capacity below 256), MEMORY, GENERIC
** (ZDICT failed, info->zdict_error says why: "Src size is incorrect" when
** there are too few samples, fewer than 7 or fewer bytes than ZDICT needs).
** Its buffers (the samples laid end to end and their sizes) come from the
** sampler's allocator; ZDICT itself, which takes no allocator, uses malloc:
** a few MiB for fastCover's tables (2^f counters, f = 20) plus about the
** sample bytes again. */
size_t sqz_sampler_train(sqz_sampler *s, void *dict, size_t capacity, int level,
                         sqz_training_info *info);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_TRAINING_H */
