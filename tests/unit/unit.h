/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit.h - a tiny unit-test harness (libuv task.h style): TEST(name) defines
 * a case, ASSERT_* print both sides and abort the case (not the program),
 * UNIT_MAIN() runs every case and prints "PASS <file>/<case>" or
 * "FAIL <file>/<case>: why" lines that tests/run.sh counts.
 * `./test_x NAME` runs only the cases whose name contains NAME.
 */
#ifndef FL_UNIT_H
#define FL_UNIT_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*unit_fn)(void);
struct unit_case {
    const char *name;
    unit_fn fn;
};
static struct unit_case unit_cases[512];
static int unit_n;
static jmp_buf unit_jmp;
static char unit_msg[1024];

#define TEST(tname)                                                            \
    static void test_##tname(void);                                            \
    __attribute__((constructor)) static void reg_##tname(void)                 \
    {                                                                          \
        unit_cases[unit_n].name = #tname;                                      \
        unit_cases[unit_n++].fn = test_##tname;                                \
    }                                                                          \
    static void test_##tname(void)

#define UNIT_FAIL(...)                                                         \
    do {                                                                       \
        int unit_k_ = snprintf(unit_msg, sizeof unit_msg, "%s:%d: ", __FILE__, \
                               __LINE__);                                      \
        snprintf(unit_msg + unit_k_, sizeof unit_msg - (size_t)unit_k_,        \
                 __VA_ARGS__);                                                 \
        longjmp(unit_jmp, 1);                                                  \
    } while (0)

#define ASSERT(c)                                                              \
    do {                                                                       \
        if (!(c))                                                              \
            UNIT_FAIL("assertion failed: %s", #c);                             \
    } while (0)
#define ASSERT_EQ_INT(a, b)                                                    \
    do {                                                                       \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);          \
        if (unit_a_ != unit_b_)                                                \
            UNIT_FAIL("%s == %s: %lld != %lld", #a, #b, unit_a_, unit_b_);     \
    } while (0)
#define ASSERT_EQ_STR(a, b)                                                    \
    do {                                                                       \
        const char *unit_a_ = (a), *unit_b_ = (b);                             \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0)             \
            UNIT_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                    \
                      unit_a_ ? unit_a_ : "(null)",                            \
                      unit_b_ ? unit_b_ : "(null)");                           \
    } while (0)
#define ASSERT_EQ_MEM(a, an, b, bn)                                            \
    do {                                                                       \
        size_t unit_an_ = (an), unit_bn_ = (bn);                               \
        if (unit_an_ != unit_bn_ || memcmp((a), (b), unit_an_) != 0)           \
            UNIT_FAIL("%s == %s: \"%.*s\" != \"%.*s\"", #a, #b, (int)unit_an_, \
                      (const char *)(a), (int)unit_bn_, (const char *)(b));    \
    } while (0)

#define UNIT_MAIN()                                                            \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        const char *file = strrchr(__FILE__, '/');                             \
        file = file ? file + 1 : __FILE__;                                     \
        volatile int failed = 0;                                               \
        for (volatile int i = 0; i < unit_n; i++) {                            \
            if (argc > 1 && !strstr(unit_cases[i].name, argv[1]))              \
                continue;                                                      \
            if (setjmp(unit_jmp) == 0) {                                       \
                unit_cases[i].fn();                                            \
                printf("PASS %.*s/%s\n", (int)(strlen(file) - 2), file,        \
                       unit_cases[i].name);                                    \
            } else {                                                           \
                printf("FAIL %.*s/%s: %s\n", (int)(strlen(file) - 2), file,    \
                       unit_cases[i].name, unit_msg);                          \
                failed++;                                                      \
            }                                                                  \
            fflush(stdout);                                                    \
        }                                                                      \
        return failed ? 1 : 0;                                                 \
    }

#endif
