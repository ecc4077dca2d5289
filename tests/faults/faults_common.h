/*
** faults_common.h: the runner shared by the fault-injection harnesses in tests/faults.
**
** The harnesses prove (or disprove) that every statement on a squeeze table is atomic
** whatever fails inside it, the way SQLite tests itself (its test_malloc.c, test_vfs.c and
** malloc_common.tcl): a fault injector is armed around each statement of a fixed workload, the
** N-th fault point fails, and the workload goes on as an application would. They are black-box:
** they use only SQL and the public entry point sqlite3_squeeze_init, so they keep working while
** the extension's internals change.
**
** The expected state is exact because the squeeze table t has a mirror, the plain table p, in
** the same database. Each data-changing statement runs on t with the injector armed and, only
** if it succeeded, on p with the injector disarmed. Whatever SQLite does to the transaction
** after a failure (statement rollback, or the whole transaction rolled back: the runner reads
** sqlite3_get_autocommit() after each statement) it does to both tables at once, so t must
** always equal p: same rowids, same values, same storage classes.
**
** What counts as a problem in a run (each is printed with the run's label, N, the step, the
** statement, its result code and message):
**   rc           a statement returned something other than SQLITE_OK, a code the fault can cause
**                (SQLITE_NOMEM for allocation faults, the SQLITE_IOERR family and SQLITE_FULL for
**                I/O faults, SQLITE_INTERRUPT, SQLITE_TOOBIG) or the step's own expected code;
**   check-text   squeeze_check() under faults returned a row that is not 'ok' (an error
**                swallowed as text), or squeeze_optimize() a row that is not a count;
**   read         a read on t succeeded with an answer that differs from the same read on p;
**   plain        t accepted a statement that p then refused;
**   atomicity    right after a failed statement t differs from p (the failure left something);
**   unreadable   right after a failed statement, with faults off, t or p cannot be read;
**   create       a failed CREATE VIRTUAL TABLE left the table or a shadow table behind;
**   commit       the final COMMIT, with faults off, failed;
**   live         before closing, with faults off, t differs from p;
**   close        sqlite3_close() failed;
**   leak         allocations (or sqlite3_memory_used() bytes) outstanding after sqlite3_close();
**   integrity    after reopening without faults, PRAGMA integrity_check is not 'ok';
**   squeeze_check  after reopening, squeeze_check('t') is not 'ok';
**   final        after reopening, t differs from p;
**   setup        the harness could not run the workload (a bug of the harness or the machine).
** After an atomicity, read, plain or unreadable problem the run stops its workload (later steps
** would only echo it) but still closes, reopens and checks.
**
** Each harness ends with one line "faults: N passed, N failed" (one count per run) after a
** table of the distinct problems (a result code or squeeze_check answer by its message with
** numbers masked, anything else by its workload step), most frequent first.
*/
#ifndef SQZ_FAULTS_COMMON_H
#define SQZ_FAULTS_COMMON_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The extension's public entry point (build/libsqueeze.a, compiled with SQLITE_CORE). */
int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

/* What a workload step does. In SQL text, %T stands for the table's name (t or p). */
typedef enum {
  FH_END = 0,  /* ends a workload */
  FH_CREATE,   /* CREATE VIRTUAL TABLE t (the workload's declaration) under faults */
  FH_DML,      /* INSERT/UPDATE/DELETE: on t under faults, then on p when it succeeded */
  FH_READ,     /* a SELECT on t under faults, its answer compared with the same on p */
  FH_CHECK,    /* SELECT squeeze_check('t') under faults: 'ok' or an error, nothing else */
  FH_OPTIMIZE, /* SELECT squeeze_optimize('t') under faults */
  FH_CTL,      /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT x, RELEASE x, ROLLBACK TO x */
  FH_LIMIT     /* sets SQLITE_LIMIT_LENGTH to arg (the application changing its limit) */
} fh_kind;

typedef struct fh_step {
  fh_kind kind;
  const char *sql; /* the statement, %T for the table; NULL for FH_CHECK/FH_OPTIMIZE/FH_LIMIT */
  int arg;         /* a primary result code the step may return without any fault (for
                      example SQLITE_CONSTRAINT), or 0; for FH_LIMIT the new length limit */
} fh_step;

typedef struct fh_workload {
  const char *name;
  const char *squeeze_args; /* CREATE VIRTUAL TABLE t USING squeeze(<squeeze_args>) */
  const char *plain_cols;   /* CREATE TABLE p(<plain_cols>), and t in --plain mode */
  const char *cols;         /* the column list compared, after the rowid */
  const fh_step *steps;     /* ended by an FH_END step */
  int sweep_all;            /* every fault point, sampled run or not (--script workloads) */
} fh_workload;

/* The workloads shared by the harnesses. */
extern const fh_workload fh_small; /* ~25 statements: every fault point is swept */
extern const fh_workload fh_large; /* ~70 statements, more rows: fault points are sampled */

/* A fault injector. arm() is called just before a statement under test is prepared and
** disarm() just after it is finalized; between them the injector counts its fault points and
** fails the ones it was configured to fail. Everything else the runner does (the mirror
** statements on p, comparisons, COMMIT at the end, close, reopen, checks) runs disarmed. */
typedef struct fh_injector {
  const char *name;
  void *self;
  void (*arm)(void *self, sqlite3 *db);
  void (*disarm)(void *self, sqlite3 *db);
  /* nonzero when rc (an extended result code) is one that this kind of fault may cause */
  int (*fault_rc)(int rc);
  /* optional: called once the connection under test is open (to install a progress handler) */
  void (*on_open)(void *self, sqlite3 *db);
  /* optional: allocations outstanding in the process, for the leak check */
  int64_t (*outstanding)(void *self);
} fh_injector;

/* Called by the injectors at every fault they inject: a place for a debugger's breakpoint
** (gdb --args build/faults/fault_oom --workload large --mode oom-once --n 5500, then
** break fh_fault_injected), as SQLite's test_malloc.c has sqlite3Fault(). */
void fh_fault_injected(void);

/* How the runner sets up and judges a run. */
typedef struct fh_env {
  const char *dir;          /* directory of the database file (made by fh_tempdir) */
  const char *vfs;          /* VFS of the connection under test, NULL for the default */
  const char *journal_mode; /* "DELETE" or "WAL" */
  int cache_size;           /* PRAGMA cache_size of the connection under test, 0 to leave it */
  int synchronous_off;      /* PRAGMA synchronous=OFF (allocation faults need no fsync) */
  int plain;                /* t is a plain table too: the harness's own self-test */
  int check_after_failure;  /* compare t and p right after each failed statement */
  int applied_on_error;     /* which failed statements may have taken effect whole, and are
                               then accepted when p with the mirror statement equals t:
                               0 none (allocation faults: SQLite never does it);
                               1 autocommit statements (I/O faults: the statement's own
                                 transaction may have reached the disk before the error);
                               2 any (interrupts: SQLite checks the progress handler once more
                                 after the statement has finished, and reports
                                 SQLITE_INTERRUPT for a statement that took effect) */
  int sticky_rollback;      /* when, after an I/O error, a transaction can no longer be read or
                               committed, ROLLBACK it (as SQLite's documentation asks) */
  int verbose;              /* print every statement and its result */
  int print_runs;           /* print the problems of at most this many failing runs */
} fh_env;

/* Run results: passed and failed runs, and the distinct problems. */
typedef struct fh_report fh_report;

fh_report *fh_report_new(const char *harness);
/* Prints the table of distinct problems and "faults: N passed, N failed"; returns the number
** of failed runs. Frees rep. */
int fh_report_finish(fh_report *rep);
/* Counts one run that could not be judged (a harness setup error) as failed. */
void fh_report_error(fh_report *rep, const char *fmt, ...);

/* Runs workload w once: a fresh database in env->dir, the injector armed around each statement
** under test, then the checks above. label names the run in messages ("oom-once"), n is its
** fault point. Returns the number of problems found (0: the run passed) and counts the run in
** rep. */
int fh_run(const fh_env *env, const fh_workload *w, fh_injector *inj, const char *label, long n,
           fh_report *rep);

/* Fault points to visit among 1..total: all of them when want >= total, otherwise want points
** spread over the range (one in each of want equal slices, at an offset drawn from a fixed
** seed), increasing. Writes them to out (room for want values) and returns their count. */
long fh_points(long total, long want, uint64_t seed, long *out);

/* Makes a fresh temporary directory (in TMPDIR, else /dev/shm, else /tmp) into buf;
 *fh_tempdir_remove deletes it
 ** and what the runs left in it. Both return 0 on success. */
int fh_tempdir(char *buf, size_t cap);
void fh_tempdir_remove(const char *dir);

/* Command-line options shared by the harnesses. */
typedef struct fh_options {
  int full;             /* --full: the long sweep (make faults) instead of the sampled one */
  int plain;            /* --plain: squeeze table replaced by a plain table (self-test) */
  int verbose;          /* -v */
  long only_n;          /* --n N: only fault point N (with -v, to replay one failure) */
  const char *workload; /* --workload small|large */
  const char *mode;     /* --mode NAME: only sweeps whose label contains NAME */
  const char *script;   /* --script FILE: this workload instead of the shared ones */
} fh_options;

/* Parses argv into opt; prints usage and returns nonzero on an unknown option.
** Also gives the run a chunk-cache segment of its own (SQUEEZE_CACHE_SEGMENT,
** unless set), removed at exit, so fault points are the same in every run. */
int fh_parse_options(int argc, char **argv, fh_options *opt, const char *usage_extra);
/* The shared workloads selected by opt->workload (NULL-terminated), or the --script workload.
** A script is a text file, one step a line ('#' starts a comment line):
**   table: <squeeze args> | <plain columns> | <compared columns>   (first; the CREATE step)
**   limit N                           SQLITE_LIMIT_LENGTH = N (FH_LIMIT)
**   BEGIN / COMMIT / ROLLBACK / SAVEPOINT x / RELEASE x / ROLLBACK TO x     (FH_CTL)
**   SELECT squeeze_check('t')         FH_CHECK;  SELECT squeeze_optimize('t')  FH_OPTIMIZE
**   SELECT ... FROM %T ...            FH_READ;   anything else                  FH_DML
** A step line may end with "-- may: CONSTRAINT" (or TOOBIG, MISMATCH): the code it may return
** without any fault. Exits with a message when the file cannot be read or parsed. */
const fh_workload *const *fh_selected_workloads(const fh_options *opt);
/* Nonzero when the sweep label is selected by opt->mode. */
int fh_mode_selected(const fh_options *opt, const char *label);

#endif /* SQZ_FAULTS_COMMON_H */
