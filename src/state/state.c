/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c - the state database: opening $FLOWSIFT_HOME/state.db (SQLite,
 * WAL, synchronous=FULL so that a committed ledger transaction survives a
 * crash before the files it describes are renamed), numbered per-component
 * migrations, and a small statement API so that no other module needs
 * sqlite3.h.  The ledger tables themselves are in ledger.c.
 */
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

#include "state_int.h"

static int sql_err(struct fl_state *s, struct fl_error *err, const char *what)
{
    return fl_error_set(err, FL_EIO, "state.db: %s: %s", what,
                        s && s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

int fl_state_exec(fl_state *s, const char *sql, struct fl_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fl_error_set(err, FL_EIO, "state.db: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return FL_EIO;
    }
    return FL_OK;
}

int fl_state_begin(fl_state *s, struct fl_error *err)
{
    return fl_state_exec(s, "BEGIN IMMEDIATE", err);
}

int fl_state_commit(fl_state *s, struct fl_error *err)
{
    return fl_state_exec(s, "COMMIT", err);
}

void fl_state_rollback(fl_state *s)
{
    if (s && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t fl_state_last_id(fl_state *s) { return sqlite3_last_insert_rowid(s->db); }
int64_t fl_state_changes(fl_state *s) { return sqlite3_changes(s->db); }

/* ---- statements ---------------------------------------------------------- */
struct fl_stmt {
    sqlite3_stmt *st;
    struct fl_state *s;
};

int fl_stmt_prepare(fl_state *s, const char *sql, fl_stmt **out,
                    struct fl_error *err)
{
    *out = NULL;
    struct fl_stmt *x = fl_calloc(1, sizeof *x);
    FL_RETURN_IF(!x, err, FL_ENOMEM, "out of memory");
    if (sqlite3_prepare_v2(s->db, sql, -1, &x->st, NULL) != SQLITE_OK) {
        fl_free(x);
        return sql_err(s, err, "prepare");
    }
    x->s = s;
    *out = x;
    return FL_OK;
}

int fl_stmt_bind_i64(fl_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st->st, i, v) == SQLITE_OK ? FL_OK : FL_EINVAL;
}

int fl_stmt_bind_text(fl_stmt *st, int i, const char *p, size_t n)
{
    return sqlite3_bind_text64(st->st, i, p, n, SQLITE_TRANSIENT, SQLITE_UTF8) ==
                   SQLITE_OK
               ? FL_OK
               : FL_EINVAL;
}

int fl_stmt_bind_null(fl_stmt *st, int i)
{
    return sqlite3_bind_null(st->st, i) == SQLITE_OK ? FL_OK : FL_EINVAL;
}

int fl_stmt_step(fl_stmt *st, struct fl_error *err)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sql_err(st->s, err, "step");
}

int64_t fl_stmt_i64(fl_stmt *st, int col) { return sqlite3_column_int64(st->st, col); }

const char *fl_stmt_text(fl_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st->st, col);
    return t ? (const char *)t : "";
}

bool fl_stmt_is_null(fl_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void fl_stmt_reset(fl_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

void fl_stmt_finalize(fl_stmt *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->st);
    fl_free(st);
}

/* ---- migrations ---------------------------------------------------------- */
int fl_state_version(fl_state *s, const char *component)
{
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT max(version) FROM schema_migrations WHERE component=?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, component, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int fl_state_migrate(fl_state *s, const char *component,
                     const struct fl_migration *m, int n_m, struct fl_error *err)
{
    FL_TRY(fl_state_exec(s,
                         "CREATE TABLE IF NOT EXISTS schema_migrations("
                         "component TEXT NOT NULL, version INTEGER NOT NULL, "
                         "name TEXT, applied_at INTEGER, "
                         "PRIMARY KEY(component, version))",
                         err));
    for (int i = 0; i < n_m; i++) {
        FL_RETURN_IF(i > 0 && m[i].version <= m[i - 1].version, err, FL_EINTERNAL,
                     "migrations of %s are not in increasing order", component);
        FL_TRY(fl_state_begin(s, err));
        /* Re-read inside the write transaction: another process may have
         * applied it meanwhile. */
        if (fl_state_version(s, component) >= m[i].version) {
            fl_state_rollback(s);
            continue;
        }
        int rc = fl_state_exec(s, m[i].sql, err);
        if (rc == FL_OK) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(s->db,
                                   "INSERT INTO schema_migrations VALUES(?,?,?,?)",
                                   -1, &st, NULL) != SQLITE_OK) {
                rc = sql_err(s, err, "migrate");
            } else {
                sqlite3_bind_text(st, 1, component, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(st, 2, m[i].version);
                sqlite3_bind_text(st, 3, m[i].name, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = sql_err(s, err, "migrate");
                sqlite3_finalize(st);
            }
        }
        if (rc == FL_OK)
            rc = fl_state_commit(s, err);
        if (rc != FL_OK) {
            fl_state_rollback(s);
            size_t n = err ? strlen(err->msg) : 0;
            if (err)
                snprintf(err->msg + n, sizeof err->msg - n, " (migration %s %d %s)",
                         component, m[i].version, m[i].name);
            return rc;
        }
    }
    return FL_OK;
}

/* ---- open / close -------------------------------------------------------- */
int fl_state_open(fl_state **out, const char *home, struct fl_error *err)
{
    *out = NULL;
    FL_TRY(fl_mkdirs(home, err));
    char path[4096];
    int k = snprintf(path, sizeof path, "%s/state.db", home);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof path, err, FL_EINVAL, "home path too long");
    struct fl_state *s = fl_calloc(1, sizeof *s);
    FL_RETURN_IF(!s, err, FL_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        int rc = fl_error_set(err, FL_EIO, "cannot open %s: %s", path,
                              s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        fl_free(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    int rc = fl_state_exec(s,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                           "PRAGMA foreign_keys=ON",
                           err);
    if (rc == FL_OK)
        rc = fl__ledger_migrate(s, err);
    if (rc != FL_OK) {
        fl_state_close(s);
        return rc;
    }
    *out = s;
    return FL_OK;
}

void fl_state_close(fl_state *s)
{
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    fl_free(s);
}
