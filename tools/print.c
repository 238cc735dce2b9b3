// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pb_util.h"
#include "print.h"

struct pr_cell {
	char *label;
	char *text;
};

void pr_init(struct pr *p, FILE *out, bool json)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
}

/* JSON: the document opens with its first field, so a failed command
 * leaves stdout empty.
 */
static void pr_json_start(struct pr *p)
{
	if (p->depth)
		return;
	fprintf(p->out, "{\"schema\": %d", PB_JSON_SCHEMA);
	p->depth = 1;
	p->need_comma = true;
}

static void pr_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void pr_json_sep(struct pr *p)
{
	pr_json_start(p);
	if (p->need_comma)
		fputs(", ", p->out);
	p->need_comma = true;
}

static void pr_json_key(struct pr *p, const char *key)
{
	pr_json_sep(p);
	if (key) {
		pr_json_string(p->out, key);
		fputs(": ", p->out);
	}
}

void pr_list_begin(struct pr *p, const char *key)
{
	p->in_list = true;
	if (p->json) {
		pr_json_key(p, key);
		fputc('[', p->out);
		p->need_comma = false;
		p->depth++;
	}
}

static void pr_table_cell(struct pr *p, unsigned int col, const char *text,
			  size_t width)
{
	if (col + 1 < p->ncols)
		fprintf(p->out, "%-*s  ", (int)width, text);
	else
		fprintf(p->out, "%s\n", text);
}

static void pr_table_flush(struct pr *p)
{
	size_t *width;
	unsigned int c, r;

	if (!p->ncols)
		return;
	width = calloc(p->ncols, sizeof(*width));
	if (!width)
		return;
	for (c = 0; c < p->ncols; c++)
		width[c] = strlen(p->cells[c].label);
	for (r = 0; r < p->nrows; r++)
		for (c = 0; c < p->ncols; c++) {
			size_t l = strlen(p->cells[r * p->ncols + c].text);

			if (l > width[c])
				width[c] = l;
		}
	for (c = 0; c < p->ncols; c++)
		pr_table_cell(p, c, p->cells[c].label, width[c]);
	for (r = 0; r < p->nrows; r++)
		for (c = 0; c < p->ncols; c++)
			pr_table_cell(p, c, p->cells[r * p->ncols + c].text,
				      width[c]);
	free(width);
}

static void pr_table_free(struct pr *p)
{
	unsigned int i;

	for (i = 0; i < p->ncells; i++) {
		free(p->cells[i].label);
		free(p->cells[i].text);
	}
	free(p->cells);
	p->cells = NULL;
	p->ncells = p->cap = p->ncols = p->nrows = 0;
}

void pr_list_end(struct pr *p)
{
	p->in_list = false;
	if (p->json) {
		fputc(']', p->out);
		p->depth--;
		p->need_comma = true;
		return;
	}
	pr_table_flush(p);
	pr_table_free(p);
}

void pr_obj_begin(struct pr *p, const char *key)
{
	if (p->json) {
		pr_json_key(p, key);
		fputc('{', p->out);
		p->need_comma = false;
		p->depth++;
	}
}

void pr_obj_end(struct pr *p)
{
	if (p->json) {
		fputc('}', p->out);
		p->depth--;
		p->need_comma = true;
	} else if (p->in_list) {
		if (!p->nrows)
			p->ncols = p->ncells;
		p->nrows++;
	}
}

/* text mode: one cell of the current table row, or one "label: value" line */
static void pr_text(struct pr *p, const char *label, const char *text)
{
	struct pr_cell *cells;

	if (!p->in_list) {
		fprintf(p->out, "%s: %s\n", label, text);
		return;
	}
	if (p->ncells == p->cap) {
		unsigned int cap = p->cap ? 2 * p->cap : 16;

		cells = realloc(p->cells, cap * sizeof(*cells));
		if (!cells)
			return;
		p->cells = cells;
		p->cap = cap;
	}
	p->cells[p->ncells].label = strdup(label);
	p->cells[p->ncells].text = strdup(text);
	if (!p->cells[p->ncells].label || !p->cells[p->ncells].text) {
		free(p->cells[p->ncells].label);
		free(p->cells[p->ncells].text);
		return;
	}
	p->ncells++;
}

void pr_null(struct pr *p, const char *key, const char *label,
	     const char *text)
{
	if (p->json) {
		pr_json_key(p, key);
		fputs("null", p->out);
	} else {
		pr_text(p, label, text);
	}
}

void pr_str(struct pr *p, const char *key, const char *label,
	    const char *val)
{
	if (!val) {
		pr_null(p, key, label, "-");
	} else if (p->json) {
		pr_json_key(p, key);
		pr_json_string(p->out, val);
	} else {
		pr_text(p, label, val);
	}
}

void pr_strv(struct pr *p, const char *key, const char *label,
	     const char *const *vals, unsigned int n)
{
	char text[1024] = "-";
	size_t at = 0;
	unsigned int i;

	if (p->json) {
		pr_json_key(p, key);
		fputc('[', p->out);
		for (i = 0; i < n; i++) {
			if (i)
				fputs(", ", p->out);
			pr_json_string(p->out, vals[i]);
		}
		fputc(']', p->out);
		return;
	}
	for (i = 0; i < n && at < sizeof(text); i++)
		at += snprintf(text + at, sizeof(text) - at, "%s%s",
			       i ? "," : "", vals[i]);
	pr_text(p, label, text);
}

void pr_u64(struct pr *p, const char *key, const char *label, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	if (p->json) {
		pr_json_key(p, key);
		fputs(buf, p->out);
	} else {
		pr_text(p, label, buf);
	}
}

void pr_bool(struct pr *p, const char *key, const char *label, bool val)
{
	if (p->json) {
		pr_json_key(p, key);
		fputs(val ? "true" : "false", p->out);
	} else {
		pr_text(p, label, val ? "yes" : "no");
	}
}

void pr_size(struct pr *p, const char *key, const char *label,
	     uint64_t bytes)
{
	char buf[24];

	if (p->json) {
		pr_u64(p, key, label, bytes);
		return;
	}
	pb_format_size(bytes, buf, sizeof(buf));
	pr_text(p, label, buf);
}

void pr_finish(struct pr *p)
{
	if (p->json) {
		pr_json_start(p);
		fputs("}\n", p->out);
	}
	pr_discard(p);
	fflush(p->out);
}

void pr_discard(struct pr *p)
{
	pr_table_free(p);
}
