/*
** workers.h: a small pool of worker threads and the ordered block pipeline
** that large values and the sqz tool run on it.
**
** A pipeline (sqz_pipe) has three steps, in the manner of a reader, a set of
** compressors and a writer joined by bounded queues:
**
**   next   on the calling thread, in order: fills the next item (its input)
**   work   on any thread, each with its own sqz_ctx: item input -> item output
**   emit   on the calling thread, in the order next produced the items
**
** At most 2 x threads items exist at once, each with one input buffer
** (in_cap bytes, may be 0 when next points into memory it already has) and
** one output buffer (out_cap bytes), allocated from the caller's sqz_ctx
** for the run (sqz_ctx_alloc, exact sizes): the
** memory is bounded by threads x block size whatever the length of the
** stream. The calling thread runs queued items itself while it waits, so
** threads = N means N threads at work: the caller and N - 1 workers. With
** threads = 1 no worker is used and nothing is locked; the items, and so the
** bytes emitted, are the same for every thread count as long as work depends
** only on its item.
**
** The pool (sqz_workers) belongs to one owner (an SQLite connection, the sqz
** program): it starts threads on first use, keeps them for later runs, and
** joins them in sqz_workers_free. Each worker has its own sqz_ctx over the
** pool's allocator, so codec states (ZSTD_CCtx, ...) are reused across runs.
** Several runs may share a pool at once; each takes at most threads - 1
** workers. POSIX threads.
*/
#ifndef SQZ_WORKERS_H
#define SQZ_WORKERS_H

#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest thread count a run takes. */
#define SQZ_THREADS_MAX 64

typedef struct sqz_workers sqz_workers;

/* One unit of a pipeline: a block of input and its output. */
typedef struct sqz_pipe_item {
  uint64_t index;     /* 0, 1, 2, ... in the order next produced the items */
  const uint8_t *src; /* next: the block's input (into in, or memory of its own) */
  size_t n;           /* next: its bytes */
  uint8_t *in;        /* the item's input buffer, in_cap bytes (NULL when in_cap is 0) */
  uint8_t *out;       /* the item's output buffer, out_cap bytes (NULL when out_cap is 0) */
  size_t out_n;       /* work's return: bytes in out, or an error */
  uint64_t aux;       /* free for next to pass to work and emit (an offset, a flag) */
  int state;          /* the pipeline's own */
} sqz_pipe_item;

typedef struct sqz_pipe {
  size_t in_cap;  /* bytes of each item's input buffer (0: none) */
  size_t out_cap; /* bytes of each item's output buffer (0: none) */
  /* Fills item->src, n (and aux). Returns 1 for an item, 0 at the end, or an
  ** error, which ends the run with it. Calling thread. */
  size_t (*next)(void *opaque, sqz_pipe_item *item);
  /* Turns the item's input into output with ctx (the running thread's).
  ** Returns the bytes written to item->out, or an error. Any thread: it
  ** may read opaque but must not change it. */
  size_t (*work)(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *item);
  /* Takes the output of item (out_n bytes), in order. Returns 0 or an error,
  ** which ends the run with it. Calling thread; NULL emits nothing. */
  size_t (*emit)(void *opaque, const sqz_pipe_item *item);
  /* Optional, asked before each item: nonzero stops the run with that
  ** status (an error). Calling thread. */
  size_t (*stop)(void *opaque);
  void *opaque;
  /* 0: threads = the caller and threads - 1 workers, the caller running
  ** items while it waits. 1: threads workers, the caller only reading and
  ** writing (next and emit), as the zstd tool's I/O thread does: for
  ** streams whose next and emit cost time of their own. */
  int io_caller;
} sqz_pipe;

/* A pool with no thread yet, whose workers' contexts draw on *allocator
** (copied; NULL: malloc/free). NULL when out of memory. */
sqz_workers *sqz_workers_create(const sqz_allocator *allocator);

/* Stops and joins every worker and frees their contexts and the pool. No run
** may be in progress. NULL is a no-op. */
void sqz_workers_free(sqz_workers *w);

/* Worker threads the pool holds now. */
unsigned sqz_workers_count(const sqz_workers *w);

/* Runs the pipeline p with threads threads (1..SQZ_THREADS_MAX; w may be
** NULL, then 1), ctx being the caller's context, for the caller's share of
** the work and for the item buffers. Starts workers in w as needed; when a
** thread cannot be started the run goes on with those there are. Returns 0
** when next reached the end and every item was emitted, or the first error
** of next, work (in item order), emit or stop; in every case all items are
** finished and the buffers released before it returns. MEMORY when the item
** buffers cannot be had, PARAMETER for threads out of range. */
size_t sqz_pipe_run(sqz_workers *w, sqz_ctx *ctx, unsigned threads, const sqz_pipe *p);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_WORKERS_H */
