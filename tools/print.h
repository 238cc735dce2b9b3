/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pbctl's one print layer.  Every field is emitted once, with its JSON key
 * and its column/label for people, so text and JSON output cannot
 * disagree.  Objects inside a list render as a table in text mode and as an
 * array of objects in JSON; a lone object renders as "label: value" lines.
 * JSON output is one document: {"schema": N, ...}.
 */
#ifndef PB_PRINT_H
#define PB_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PB_JSON_SCHEMA 2

struct pr_cell;

struct pr {
	FILE *out;
	bool json;
	int depth;		/* JSON nesting */
	bool need_comma;
	bool in_list;
	/* text mode: the list being collected as a table */
	struct pr_cell *cells;
	unsigned int ncells, cap, ncols, nrows;
};

void pr_init(struct pr *p, FILE *out, bool json);
void pr_list_begin(struct pr *p, const char *key);
void pr_list_end(struct pr *p);
/* @key names a top-level object; NULL for an element of a list */
void pr_obj_begin(struct pr *p, const char *key);
void pr_obj_end(struct pr *p);
/* a NULL @val is JSON null and "-" for people */
void pr_str(struct pr *p, const char *key, const char *label,
	    const char *val);
/*
 * JSON null, and @text for people: "-" for a value that does not exist,
 * "?" for one that could not be read, or a word ("not loaded").
 */
void pr_null(struct pr *p, const char *key, const char *label,
	     const char *text);
/* a JSON array of strings; people see them joined with commas, or "-" */
void pr_strv(struct pr *p, const char *key, const char *label,
	     const char *const *vals, unsigned int n);
void pr_u64(struct pr *p, const char *key, const char *label, uint64_t val);
void pr_bool(struct pr *p, const char *key, const char *label, bool val);
/* people see "64M", JSON carries exact bytes */
void pr_size(struct pr *p, const char *key, const char *label,
	     uint64_t bytes);
/* Close the document (JSON) and free what the table held. */
void pr_finish(struct pr *p);
/* Free what the table held without closing the document (failed command). */
void pr_discard(struct pr *p);

#endif /* PB_PRINT_H */
