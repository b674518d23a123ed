/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.c - the field catalog table and the reusable column batch.
 * fl_fields[] is generated from fl_fields.def by the preprocessor.
 */
#include "../common/common_int.h"
#include "fl/fl_record.h"

#define FL_FIELD(ID, name, type, flags, doc)                                   \
    {#name, ((flags) & FL_AWS) ? #name : NULL, type, flags, doc},
const struct fl_field fl_fields[FL_NCOLS] = {
#include "fl/fl_fields.def"
};
#undef FL_FIELD

/* The hyphenated AWS names are derived on lookup (name with '-' for '_'). */
int fl_field_lookup(const char *name, size_t n)
{
    for (int c = 0; c < FL_NCOLS; c++) {
        const char *f = fl_fields[c].name;
        size_t i = 0;
        for (; i < n && f[i]; i++) {
            char a = name[i], b = f[i];
            if (a >= 'A' && a <= 'Z')
                a += 32;
            if (a == '-' && b == '_' && (fl_fields[c].flags & FL_AWS))
                continue;
            if (a != b)
                break;
        }
        if (i == n && f[i] == 0)
            return c;
    }
    return -1;
}

struct fl_batch *fl_batch_new(uint32_t cap)
{
    if (cap == 0)
        cap = FL_BATCH_ROWS;
    struct fl_batch *b = fl_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = cap;
    for (int c = 0; c < FL_NCOLS; c++) {
        struct fl_column *col = &b->col[c];
        col->valid = fl_calloc(cap, 1);
        if (fl_fields[c].type == FL_STR)
            col->s = fl_calloc(cap, sizeof *col->s);
        else
            col->i = fl_calloc(cap, sizeof *col->i);
        if (!col->valid || (!col->s && !col->i)) {
            fl_batch_free(b);
            return NULL;
        }
    }
    b->arena_cap = (size_t)cap * 64;
    b->arena_limit = (size_t)1 << 31; /* offsets are 32-bit */
    b->arena = fl_malloc(b->arena_cap);
    if (!b->arena) {
        fl_batch_free(b);
        return NULL;
    }
    return b;
}

void fl_batch_free(struct fl_batch *b)
{
    if (!b)
        return;
    for (int c = 0; c < FL_NCOLS; c++) {
        fl_free(b->col[c].valid);
        fl_free(b->col[c].s);
        fl_free(b->col[c].i);
    }
    fl_free(b->arena);
    fl_free(b);
}

void fl_batch_reset(struct fl_batch *b)
{
    b->n = 0;
    b->arena_len = 0;
}

int fl_batch_add_row(struct fl_batch *b)
{
    if (b->n >= b->cap)
        return -1;
    uint32_t r = b->n++;
    for (int c = 0; c < FL_NCOLS; c++)
        b->col[c].valid[r] = 0;
    return (int)r;
}

void fl_batch_drop_row(struct fl_batch *b)
{
    if (b->n)
        b->n--;
}

int fl_batch_intern(struct fl_batch *b, const char *p, size_t n, struct fl_sref *ref_out)
{
    if (FL_UNLIKELY(b->arena_len + n > b->arena_cap)) {
        if (b->arena_len + n > b->arena_limit)
            return FL_ELIMIT;
        size_t cap = b->arena_cap * 2;
        while (cap < b->arena_len + n)
            cap *= 2;
        if (cap > b->arena_limit)
            cap = b->arena_limit;
        char *a = fl_realloc(b->arena, cap);
        if (!a)
            return FL_ENOMEM;
        b->arena = a;
        b->arena_cap = cap;
    }
    if (n)
        memcpy(b->arena + b->arena_len, p, n);
    ref_out->off = (uint32_t)b->arena_len;
    ref_out->len = (uint32_t)n;
    b->arena_len += n;
    return FL_OK;
}

int fl_set_str(struct fl_batch *b, int col, uint32_t row, const char *p, size_t n)
{
    struct fl_sref r;
    FL_TRY(fl_batch_intern(b, p, n, &r));
    fl_set_sref(b, col, row, r);
    return FL_OK;
}
