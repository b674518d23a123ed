/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_lex.c - splits SQL text into tokens for the parser (query_parse.c).
 * The lexer is table-driven on character classes (as SQLite's aiClass[]):
 * one lookup per first byte picks the scanner; every token carries its byte
 * offset and length so that errors can point at line:column.  Keywords are
 * identifiers here; the parser recognizes them case-insensitively.
 * Comments: "-- to end of line" and C-style block comments.
 */
#include <ctype.h>

#include "query/query_int.h"

enum cc { CC_SPACE, CC_ALPHA, CC_DIGIT, CC_QUOTE, CC_DQUOTE, CC_BQUOTE, CC_PUNCT, CC_OTHER };

static uint8_t cls[256];
static bool cls_ready;

/* Fill the class table once (idempotent; races write the same bytes). */
static void cls_init(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = CC_OTHER;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
            k = CC_SPACE;
        else if (isalpha(c) || c == '_' || c >= 0x80)
            k = CC_ALPHA;
        else if (isdigit(c))
            k = CC_DIGIT;
        else if (c == '\'')
            k = CC_QUOTE;
        else if (c == '"')
            k = CC_DQUOTE;
        else if (c == '`')
            k = CC_BQUOTE;
        else if (strchr("(),.*+-/%=<>!|;", c))
            k = CC_PUNCT;
        cls[c] = k;
    }
    cls_ready = true;
}

struct qtoken fl__qlex_next(const char *sql, size_t n, uint32_t *pos)
{
    if (!cls_ready)
        cls_init();
    size_t i = *pos;
    for (;;) {
        while (i < n && cls[(uint8_t)sql[i]] == CC_SPACE)
            i++;
        if (i + 1 < n && sql[i] == '-' && sql[i + 1] == '-') {
            while (i < n && sql[i] != '\n')
                i++;
            continue;
        }
        if (i + 1 < n && sql[i] == '/' && sql[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < n && !(sql[j] == '*' && sql[j + 1] == '/'))
                j++;
            if (j + 1 >= n) { /* unterminated comment */
                struct qtoken t = {TK_ILLEGAL, (uint32_t)i, (uint32_t)(n - i)};
                *pos = (uint32_t)n;
                return t;
            }
            i = j + 2;
            continue;
        }
        break;
    }
    struct qtoken t = {TK_EOF, (uint32_t)i, 0};
    if (i >= n) {
        *pos = (uint32_t)n;
        return t;
    }
    uint8_t c = (uint8_t)sql[i];
    size_t j = i + 1;
    switch (cls[c]) {
    case CC_ALPHA:
        while (j < n && (cls[(uint8_t)sql[j]] == CC_ALPHA || cls[(uint8_t)sql[j]] == CC_DIGIT))
            j++;
        t.k = TK_IDENT;
        break;
    case CC_DIGIT:
        t.k = TK_INT;
        while (j < n && isdigit((uint8_t)sql[j]))
            j++;
        if (j < n && sql[j] == '.') {
            t.k = TK_FLOAT;
            j++;
            while (j < n && isdigit((uint8_t)sql[j]))
                j++;
        }
        if (j < n && (sql[j] == 'e' || sql[j] == 'E')) {
            size_t k = j + 1;
            if (k < n && (sql[k] == '+' || sql[k] == '-'))
                k++;
            if (k < n && isdigit((uint8_t)sql[k])) {
                t.k = TK_FLOAT;
                j = k;
                while (j < n && isdigit((uint8_t)sql[j]))
                    j++;
            }
        }
        if (j < n && cls[(uint8_t)sql[j]] == CC_ALPHA)
            t.k = TK_ILLEGAL; /* 12abc */
        break;
    case CC_QUOTE:
    case CC_DQUOTE:
    case CC_BQUOTE:
        /* quoted: the quote character doubled is a literal quote */
        t.k = cls[c] == CC_QUOTE ? TK_STRING : TK_QIDENT;
        for (;;) {
            if (j >= n) {
                t.k = TK_ILLEGAL;
                break;
            }
            if ((uint8_t)sql[j] == c) {
                if (j + 1 < n && (uint8_t)sql[j + 1] == c) {
                    j += 2;
                    continue;
                }
                j++;
                break;
            }
            j++;
        }
        break;
    case CC_PUNCT:
        switch (c) {
        case '(': t.k = TK_LP; break;
        case ')': t.k = TK_RP; break;
        case ',': t.k = TK_COMMA; break;
        case '.':
            if (j < n && isdigit((uint8_t)sql[j])) { /* .5 */
                t.k = TK_FLOAT;
                while (j < n && isdigit((uint8_t)sql[j]))
                    j++;
            } else {
                t.k = TK_DOT;
            }
            break;
        case '*': t.k = TK_STAR; break;
        case '+': t.k = TK_PLUS; break;
        case '-': t.k = TK_MINUS; break;
        case '/': t.k = TK_SLASH; break;
        case '%': t.k = TK_PERCENT; break;
        case ';': t.k = TK_SEMI; break;
        case '=':
            t.k = TK_EQ;
            if (j < n && sql[j] == '=')
                j++;
            break;
        case '<':
            t.k = TK_LT;
            if (j < n && sql[j] == '=') {
                t.k = TK_LE;
                j++;
            } else if (j < n && sql[j] == '>') {
                t.k = TK_NE;
                j++;
            }
            break;
        case '>':
            t.k = TK_GT;
            if (j < n && sql[j] == '=') {
                t.k = TK_GE;
                j++;
            }
            break;
        case '!':
            t.k = TK_ILLEGAL;
            if (j < n && sql[j] == '=') {
                t.k = TK_NE;
                j++;
            }
            break;
        case '|':
            t.k = TK_ILLEGAL;
            if (j < n && sql[j] == '|') {
                t.k = TK_CONCAT;
                j++;
            }
            break;
        default: t.k = TK_ILLEGAL; break;
        }
        break;
    default:
        t.k = TK_ILLEGAL;
        break;
    }
    t.len = (uint32_t)(j - i);
    *pos = (uint32_t)j;
    return t;
}
