/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_state.c - the state database: WAL mode, per-component migrations
 * (ordered, idempotent, failing ones rolled back), the statement API and the
 * ingest ledger's object/run/op/file records surviving a reopen.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fl/fl_state.h"
#include "unit.h"

static char home[256];

static void fresh_home(void)
{
    snprintf(home, sizeof home, "/tmp/fl_test_state_%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0)
        UNIT_FAIL("rm");
}

TEST(open_wal_and_ledger_schema)
{
    fresh_home();
    fl_state *s;
    struct fl_error e;
    ASSERT_EQ_INT(fl_state_open(&s, home, &e), FL_OK);
    fl_stmt *st;
    ASSERT_EQ_INT(fl_stmt_prepare(s, "PRAGMA journal_mode", &st, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 1);
    ASSERT_EQ_STR(fl_stmt_text(st, 0), "wal");
    fl_stmt_finalize(st);
    ASSERT_EQ_INT(fl_state_version(s, "ledger"), 1);
    ASSERT_EQ_INT(fl_state_version(s, "nothing"), 0);
    fl_state_close(s);
    fl_state_close(NULL);
}

TEST(migrations_ordered_idempotent_and_rolled_back)
{
    fresh_home();
    fl_state *s;
    struct fl_error e;
    ASSERT_EQ_INT(fl_state_open(&s, home, &e), FL_OK);
    static const struct fl_migration m[] = {
        {1, "t", "CREATE TABLE t(a INTEGER)"},
        {2, "t2", "INSERT INTO t VALUES(42)"},
    };
    ASSERT_EQ_INT(fl_state_migrate(s, "x", m, 2, &e), FL_OK);
    ASSERT_EQ_INT(fl_state_migrate(s, "x", m, 2, &e), FL_OK); /* no-op */
    ASSERT_EQ_INT(fl_state_version(s, "x"), 2);
    fl_stmt *st;
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT count(*), sum(a) FROM t", &st, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 1);
    ASSERT_EQ_INT(fl_stmt_i64(st, 0), 1);
    ASSERT_EQ_INT(fl_stmt_i64(st, 1), 42);
    fl_stmt_finalize(st);
    /* a failing migration is rolled back entirely and reported */
    static const struct fl_migration bad[] = {
        {1, "t", "CREATE TABLE t(a INTEGER)"},
        {2, "t2", "INSERT INTO t VALUES(42)"},
        {3, "broken", "INSERT INTO t VALUES(7); SELECT * FROM no_such_table"},
    };
    ASSERT(fl_state_migrate(s, "x", bad, 3, &e) < 0);
    ASSERT(strstr(e.msg, "broken") != NULL);
    ASSERT_EQ_INT(fl_state_version(s, "x"), 2);
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT count(*) FROM t", &st, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 1);
    ASSERT_EQ_INT(fl_stmt_i64(st, 0), 1);
    fl_stmt_finalize(st);
    /* out of order lists are refused */
    static const struct fl_migration unordered[] = {{2, "a", "SELECT 1"}, {1, "b", "SELECT 1"}};
    ASSERT(fl_state_migrate(s, "y", unordered, 2, &e) < 0);
    fl_state_close(s);
}

TEST(ledger_records_survive_reopen)
{
    fresh_home();
    fl_state *s;
    struct fl_error e;
    ASSERT_EQ_INT(fl_state_open(&s, home, &e), FL_OK);
    struct fl_ledger_object o, g;
    ASSERT_EQ_INT(fl_ledger_object_get(s, "/x/a.log", &g, &e), FL_ENOTFOUND);
    ASSERT_EQ_INT(g.state, FL_OBJ_NEW);
    memset(&o, 0, sizeof o);
    snprintf(o.key, sizeof o.key, "/x/a.log");
    o.size = 1234;
    o.mtime_ns = 99;
    o.fingerprint = 0xfedcba9876543210ULL; /* > INT64_MAX: stored as bits */
    o.head_hash = 7;
    snprintf(o.format, sizeof o.format, "aws-vpc");
    o.state = FL_OBJ_DONE;
    o.records_read = 10;
    o.records_stored = 8;
    o.records_rejected = 2;
    o.resume_offset = 555;
    o.prefix_hash = 0x8000000000000001ULL;
    int64_t id = 0, id2 = 0;
    ASSERT_EQ_INT(fl_ledger_object_put(s, &o, &id, &e), FL_OK);
    ASSERT(id > 0);
    o.records_read = 11; /* update in place, same id */
    ASSERT_EQ_INT(fl_ledger_object_put(s, &o, &id2, &e), FL_OK);
    ASSERT_EQ_INT(id2, id);
    int64_t run;
    ASSERT_EQ_INT(fl_ledger_run_begin(s, "ingest", &run, &e), FL_OK);
    ASSERT_EQ_INT(fl_ledger_op_add(s, run, FL_OP_RENAME, "/a/.x.tmp", "/a/x", &e), FL_OK);
    int64_t fid;
    ASSERT_EQ_INT(fl_ledger_file_add(s, run, "p/x.parquet", "p", 8, 100, FL_FILE_LIVE, &fid, &e),
                  FL_OK);
    ASSERT_EQ_INT(fl_ledger_file_link(s, fid, id, 5, &e), FL_OK);
    ASSERT_EQ_INT(fl_ledger_file_link(s, fid, id, 3, &e), FL_OK); /* adds up */
    ASSERT_EQ_INT(fl_ledger_run_set(s, run, FL_RUN_DONE, &e), FL_OK);
    /* a duplicate file path is refused */
    ASSERT(fl_ledger_file_add(s, run, "p/x.parquet", "p", 1, 1, FL_FILE_LIVE, NULL, &e) < 0);
    fl_state_close(s);

    ASSERT_EQ_INT(fl_state_open(&s, home, &e), FL_OK);
    ASSERT_EQ_INT(fl_ledger_object_get(s, "/x/a.log", &g, &e), FL_OK);
    ASSERT_EQ_INT(g.id, id);
    ASSERT_EQ_INT(g.size, 1234);
    ASSERT(g.fingerprint == 0xfedcba9876543210ULL);
    ASSERT(g.prefix_hash == 0x8000000000000001ULL);
    ASSERT_EQ_STR(g.format, "aws-vpc");
    ASSERT_EQ_INT(g.records_read, 11);
    ASSERT_EQ_INT(g.records_rejected, 2);
    ASSERT_EQ_INT(g.resume_offset, 555);
    fl_stmt *st;
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT rows FROM file_objects WHERE file_id=?", &st, &e),
                  FL_OK);
    ASSERT_EQ_INT(fl_stmt_bind_i64(st, 1, fid), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 1);
    ASSERT_EQ_INT(fl_stmt_i64(st, 0), 8);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 0);
    fl_stmt_finalize(st);
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT state, kind FROM runs", &st, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(st, &e), 1);
    ASSERT_EQ_INT(fl_stmt_i64(st, 0), FL_RUN_DONE);
    ASSERT_EQ_STR(fl_stmt_text(st, 1), "ingest");
    fl_stmt_finalize(st);
    /* bad SQL is an error with SQLite's message, not a crash */
    ASSERT(fl_stmt_prepare(s, "SELEC nonsense", &st, &e) < 0);
    ASSERT(st == NULL);
    ASSERT(strstr(e.msg, "syntax") != NULL);
    fl_state_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0)
        UNIT_FAIL("rm");
}

UNIT_MAIN()
