/*
** workers.c: the worker pool and the ordered pipeline of workers.h.
**
** One mutex guards the pool: its list of runs in progress and the state of
** their items. A worker waits on `work` until some run has a queued item
** and room under its thread share, takes the queued item of lowest index,
** runs it unlocked with its own sqz_ctx, marks it done and wakes the callers
** waiting on `done`. A caller fills items up to its window, then waits for
** the oldest one; while it is not done and an item of its run is still
** queued, the caller runs that item itself.
*/
#include "workers.h"

#include <pthread.h>
#include <string.h>

enum { ITEM_FREE, ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE };

/* One sqz_pipe_run in progress. */
typedef struct run {
  struct run *next_run; /* the pool's list */
  const sqz_pipe *pipe; /* its steps */
  sqz_pipe_item *items; /* its window */
  unsigned window;      /* items in the window */
  unsigned active;      /* items workers are running now */
  unsigned share;       /* the most workers it takes: threads - 1 (io_caller: threads) */
  unsigned queued;      /* items queued, not yet taken */
  int caller_helps;     /* the caller runs queued items while it waits */
} run;

typedef struct worker {
  pthread_t thread;
  sqz_ctx *ctx;
  struct sqz_workers *pool;
} worker;

struct sqz_workers {
  sqz_allocator allocator;
  pthread_mutex_t lock;
  pthread_cond_t work; /* a queued item, or quit */
  pthread_cond_t done; /* an item finished */
  run *runs;           /* runs in progress */
  int quit;
  unsigned count;                      /* workers started */
  worker workers[SQZ_THREADS_MAX - 1]; /* the caller is the last thread of a run */
};

sqz_workers *sqz_workers_create(const sqz_allocator *allocator) {
  sqz_allocator a = sqz_allocator_or_default(allocator);
  sqz_workers *w = a.alloc(a.opaque, sizeof(*w));
  if (!w) return NULL;
  memset(w, 0, sizeof(*w));
  w->allocator = a;
  if (pthread_mutex_init(&w->lock, NULL) != 0) goto fail_lock;
  if (pthread_cond_init(&w->work, NULL) != 0) goto fail_work;
  if (pthread_cond_init(&w->done, NULL) != 0) goto fail_done;
  return w;
fail_done:
  pthread_cond_destroy(&w->work);
fail_work:
  pthread_mutex_destroy(&w->lock);
fail_lock:
  a.free(a.opaque, w);
  return NULL;
}

void sqz_workers_free(sqz_workers *w) {
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  w->quit = 1;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->lock);
  for (unsigned i = 0; i < w->count; i++) {
    pthread_join(w->workers[i].thread, NULL);
    sqz_ctx_free(w->workers[i].ctx);
  }
  pthread_cond_destroy(&w->done);
  pthread_cond_destroy(&w->work);
  pthread_mutex_destroy(&w->lock);
  w->allocator.free(w->allocator.opaque, w);
}

unsigned sqz_workers_count(const sqz_workers *w) {
  return w ? w->count : 0;
}

/* The queued item of lowest index of r, or NULL. Under the lock. */
static sqz_pipe_item *first_queued(run *r) {
  sqz_pipe_item *best = NULL;
  if (!r->queued) return NULL;
  for (unsigned i = 0; i < r->window; i++) {
    sqz_pipe_item *it = &r->items[i];
    if (it->state == ITEM_QUEUED && (!best || it->index < best->index)) best = it;
  }
  return best;
}

static void *worker_main(void *arg) {
  worker *me = arg;
  sqz_workers *w = me->pool;
  pthread_mutex_lock(&w->lock);
  while (!w->quit) {
    run *r = w->runs;
    sqz_pipe_item *it = NULL;
    for (; r; r = r->next_run) {
      if (r->active < r->share && (it = first_queued(r)) != NULL) break;
    }
    if (!it) {
      pthread_cond_wait(&w->work, &w->lock);
      continue;
    }
    it->state = ITEM_RUNNING;
    r->queued--;
    r->active++;
    pthread_mutex_unlock(&w->lock);
    size_t out = r->pipe->work(me->ctx, r->pipe->opaque, it);
    pthread_mutex_lock(&w->lock);
    it->out_n = out;
    it->state = ITEM_DONE;
    r->active--;
    pthread_cond_broadcast(&w->done);
    if (r->queued) pthread_cond_signal(&w->work); /* room again under r's share */
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

/* Starts workers until the pool holds want (or a thread or its context
** cannot be had). */
static void grow(sqz_workers *w, unsigned want) {
  if (want > SQZ_THREADS_MAX - 1) want = SQZ_THREADS_MAX - 1;
  while (w->count < want) {
    worker *k = &w->workers[w->count];
    k->pool = w;
    k->ctx = sqz_ctx_create(&w->allocator);
    if (!k->ctx) return;
    if (pthread_create(&k->thread, NULL, worker_main, k) != 0) {
      sqz_ctx_free(k->ctx);
      return;
    }
    w->count++; /* the new thread waits for the lock before it reads count */
  }
}

/* Waits until item it of r is done, running r's queued items on this thread
** meanwhile (unless the workers do all), and frees its place: its output
** (out, out_n) is the caller's until it is filled again. With w NULL (one
** thread) it runs it at once. */
static void wait_item(sqz_workers *w, run *r, sqz_ctx *ctx, sqz_pipe_item *it) {
  if (!w) {
    it->out_n = r->pipe->work(ctx, r->pipe->opaque, it);
    it->state = ITEM_FREE;
    return;
  }
  pthread_mutex_lock(&w->lock);
  while (it->state != ITEM_DONE) {
    sqz_pipe_item *mine = it->state == ITEM_QUEUED ? it : first_queued(r);
    if (!r->caller_helps) mine = NULL; /* the workers do it all */
    if (!mine) {
      pthread_cond_wait(&w->done, &w->lock);
      continue;
    }
    mine->state = ITEM_RUNNING;
    r->queued--;
    pthread_mutex_unlock(&w->lock);
    size_t out = r->pipe->work(ctx, r->pipe->opaque, mine);
    pthread_mutex_lock(&w->lock);
    mine->out_n = out;
    mine->state = ITEM_DONE;
  }
  it->state = ITEM_FREE; /* under the lock: the workers read the states */
  pthread_mutex_unlock(&w->lock);
}

/* Queues it (filled by next) for the workers. */
static void queue_item(sqz_workers *w, run *r, sqz_pipe_item *it) {
  if (!w) {
    it->state = ITEM_QUEUED;
    return;
  }
  pthread_mutex_lock(&w->lock);
  it->state = ITEM_QUEUED;
  r->queued++;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->lock);
}

/* Allocates the window's buffers from ctx, at their exact sizes (the
** scratch pool would round a block and its bound up to twice the block);
** 0 or MEMORY. */
static size_t acquire_buffers(sqz_ctx *ctx, const sqz_pipe *p, sqz_pipe_item *items, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (p->in_cap && !(items[i].in = sqz_ctx_alloc(ctx, p->in_cap))) return SQZ_ERROR(MEMORY);
    if (p->out_cap && !(items[i].out = sqz_ctx_alloc(ctx, p->out_cap))) return SQZ_ERROR(MEMORY);
  }
  return 0;
}

size_t sqz_pipe_run(sqz_workers *w, sqz_ctx *ctx, unsigned threads, const sqz_pipe *p) {
  if (threads < 1 || threads > SQZ_THREADS_MAX) return SQZ_ERROR(PARAMETER);
  if (!w) threads = 1;
  unsigned share = p->io_caller ? threads : threads - 1; /* workers the run takes */
  if (share == 0 || (p->io_caller && threads == 1)) w = NULL;
  if (!w) share = 0;
  sqz_pipe_item items[2 * SQZ_THREADS_MAX + 2];
  run r = {NULL, p, items, w ? 2 * threads + (p->io_caller ? 2 : 0) : 1, 0, share, 0, 1};
  memset(items, 0, sizeof(items[0]) * r.window);
  size_t err = acquire_buffers(ctx, p, items, r.window);
  int listed = !err && w;
  if (listed) {
    pthread_mutex_lock(&w->lock);
    grow(w, share);
    r.caller_helps = !p->io_caller || w->count == 0; /* no worker at all: the caller must */
    r.next_run = w->runs;
    w->runs = &r;
    pthread_mutex_unlock(&w->lock);
  }
  uint64_t head = 0, tail = 0; /* next item to emit, next to fill */
  int end = 0;
  while (!err || head < tail) {
    while (!err && !end && tail - head < r.window) {
      sqz_pipe_item *it = &items[tail % r.window];
      size_t s = p->stop ? p->stop(p->opaque) : 0;
      if (s) {
        err = s;
        break;
      }
      it->index = tail;
      it->src = NULL;
      it->n = 0;
      it->aux = 0;
      size_t got = p->next(p->opaque, it);
      if (sqz_is_error(got)) {
        err = got;
      } else if (got == 0) {
        end = 1;
      } else {
        queue_item(w, &r, it);
        tail++;
      }
    }
    if (head == tail) break;
    sqz_pipe_item *it = &items[head % r.window];
    wait_item(w, &r, ctx, it);
    if (!err && sqz_is_error(it->out_n)) err = it->out_n;
    if (!err && p->emit) {
      size_t e = p->emit(p->opaque, it);
      if (sqz_is_error(e)) err = e;
    }
    head++;
  }
  if (listed) {
    pthread_mutex_lock(&w->lock);
    run **link = &w->runs;
    while (*link != &r)
      link = &(*link)->next_run;
    *link = r.next_run;
    pthread_mutex_unlock(&w->lock);
  }
  for (unsigned i = 0; i < r.window; i++) {
    sqz_ctx_dealloc(ctx, items[i].in);
    sqz_ctx_dealloc(ctx, items[i].out);
  }
  return err;
}
