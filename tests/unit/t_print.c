// SPDX-License-Identifier: GPL-2.0
/* pbctl's print layer: one set of calls, text and JSON renderings. */
#include <stdio.h>
#include <stdlib.h>

#include "print.h"
#include "unit.h"

static char *buf;
static size_t buflen;

static struct pr *open_pr(bool json)
{
	static struct pr p;
	FILE *f = open_memstream(&buf, &buflen);

	ck_assert(f);
	pr_init(&p, f, json);
	return &p;
}

static const char *close_pr(struct pr *p)
{
	pr_finish(p);
	fclose(p->out);
	return buf;
}

static void two_rows(struct pr *p)
{
	pr_list_begin(p, "regions");
	pr_obj_begin(p, NULL);
	pr_str(p, "name", "REGION", "a-bar2");
	pr_size(p, "size", "SIZE", 64ULL << 20);
	pr_bool(p, "wc", "WC", true);
	pr_obj_end(p);
	pr_obj_begin(p, NULL);
	pr_str(p, "name", "REGION", "longer-name-cmb");
	pr_size(p, "size", "SIZE", 4096);
	pr_bool(p, "wc", "WC", false);
	pr_obj_end(p);
	pr_list_end(p);
}

static void teardown(void)
{
	free(buf);
	buf = NULL;
}

START_TEST(list_renders_json_array_with_exact_bytes)
{
	struct pr *p = open_pr(true);

	two_rows(p);
	ck_assert_str_eq(close_pr(p),
		"{\"schema\": 2, \"regions\": [{\"name\": \"a-bar2\", \"size\": 67108864, \"wc\": true}, "
		"{\"name\": \"longer-name-cmb\", \"size\": 4096, \"wc\": false}]}\n");
}
END_TEST

START_TEST(list_renders_aligned_text_table)
{
	struct pr *p = open_pr(false);

	two_rows(p);
	ck_assert_str_eq(close_pr(p),
		"REGION           SIZE  WC\n"
		"a-bar2           64M   yes\n"
		"longer-name-cmb  4K    no\n");
}
END_TEST

START_TEST(object_renders_label_lines_and_keyed_json)
{
	struct pr *t = open_pr(false);
	const char *out;

	pr_obj_begin(t, "binding");
	pr_str(t, "device", "device", "0000:03:00.0");
	pr_u64(t, "bar", "bar", 2);
	pr_obj_end(t);
	ck_assert_str_eq(close_pr(t), "device: 0000:03:00.0\nbar: 2\n");
	free(buf);

	t = open_pr(true);
	pr_obj_begin(t, "binding");
	pr_str(t, "device", "device", "0000:03:00.0");
	pr_obj_end(t);
	out = close_pr(t);
	ck_assert_str_eq(out,
		"{\"schema\": 2, \"binding\": {\"device\": \"0000:03:00.0\"}}\n");
}
END_TEST

START_TEST(json_strings_are_escaped)
{
	struct pr *p = open_pr(true);

	pr_str(p, "k", "K", "a\"b\\c\nd\x01");
	ck_assert_str_eq(close_pr(p),
			 "{\"schema\": 2, \"k\": \"a\\\"b\\\\c\\u000ad\\u0001\"}\n");
}
END_TEST

START_TEST(empty_json_document_still_carries_schema)
{
	struct pr *p = open_pr(true);

	ck_assert_str_eq(close_pr(p), "{\"schema\": 2}\n");
}
END_TEST

/* null is null in JSON whatever people are told: absent, unreadable, a word */
START_TEST(null_is_json_null_and_its_word_for_people)
{
	struct pr *p = open_pr(true);

	pr_null(p, "size", "size", "?");
	pr_str(p, "node", "node", NULL);
	ck_assert_str_eq(close_pr(p), "{\"schema\": 2, \"size\": null, \"node\": null}\n");
	free(buf);
	p = open_pr(false);
	pr_null(p, "size", "size", "?");
	pr_str(p, "node", "node", NULL);
	ck_assert_str_eq(close_pr(p), "size: ?\nnode: -\n");
}
END_TEST

START_TEST(discarded_output_prints_nothing)
{
	struct pr *p = open_pr(false);

	pr_list_begin(p, "regions");
	pr_obj_begin(p, NULL);
	pr_str(p, "name", "REGION", "x");
	pr_obj_end(p);
	pr_discard(p);
	fclose(p->out);
	ck_assert_uint_eq(buflen, 0);
}
END_TEST

Suite *suite_print(void)
{
	Suite *s = suite_create("print");
	TCase *tc = tcase_create("print");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, list_renders_json_array_with_exact_bytes);
	tcase_add_test(tc, list_renders_aligned_text_table);
	tcase_add_test(tc, object_renders_label_lines_and_keyed_json);
	tcase_add_test(tc, json_strings_are_escaped);
	tcase_add_test(tc, empty_json_document_still_carries_schema);
	tcase_add_test(tc, discarded_output_prints_nothing);
	tcase_add_test(tc, null_is_json_null_and_its_word_for_people);
	suite_add_tcase(s, tc);
	return s;
}
