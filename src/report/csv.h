/* Reading the project's small CSV files (internal: run folders, data/ files, step costs): line
 * iteration that skips blank and '#' lines and counts line numbers, an RFC 4180 field splitter,
 * header lookup and strict number parsing. */
#ifndef CLKFAC_REPORT_CSV_H
#define CLKFAC_REPORT_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 64 /* columns looked at */

/* Lines of a text buffer (modified in place). With drop_partial, a last line lacking its
 * newline is not returned (it may be half written) and partial_line says where it was. */
typedef struct csv_lines {
    char *p, *end;
    size_t lineno;
    int drop_partial;
    size_t partial_line;
} csv_lines;

/* The next non-blank, non-comment line, trimmed; NULL at the end. */
char *csv_next_line(csv_lines *L);
/* Splits one line in place (RFC 4180 quotes, "" inside quotes). Returns the field count, -1 for
 * an unterminated quote or text after a closing quote, -2 for more than max fields. */
int csv_split(char *s, char **f, int max);
/* Index of the column named name (case-insensitive) among n header fields, or -1. */
int csv_col(char **f, int n, const char *name);
/* A whole finite number: 0, or -1 for empty text, trailing characters, inf or nan. */
int csv_num(const char *s, double *v);
/* Trims blanks (and a '\r') from both ends in place. */
char *csv_trim(char *s);

#endif
