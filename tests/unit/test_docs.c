/* SPDX-License-Identifier: MIT */
/*
 * Unit tests that keep the reference documentation true to the code.
 *
 * Owns: comparing docs/configuration.md with the keys the configuration
 * parser accepts (from its own tables, ls_config_keys_foreach()), checking
 * that docs/lockstep.conf.example and the configurations shown in README.md
 * and configuration.md load, and comparing the metric families
 * agent/health.c writes with the /metrics table of docs/monitoring.md. Each
 * check goes both ways: what the code has must be documented, and what the
 * documents name must exist.
 * Must not: edit the files it reads; they are found relative to tests/data
 * (LS_TEST_DATA), as every unit test finds its data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/config.h"

#define SRC LS_TEST_DATA "/../.."
#define MAX_ENTRIES 512
#define MAX_NAME 64

/* A whole file as one NUL-terminated string; fails the test when unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* ---- docs/configuration.md against the parser ----------------------------- */

struct key_entry {
	char section[MAX_NAME];
	char key[MAX_NAME];
	bool required;
	const char *row; /* the documentation's table row (doc entries only) */
	size_t row_len;
};

struct key_set {
	struct key_entry e[MAX_ENTRIES];
	size_t n;
	/* headings "### `X`" under "## Sections" */
	char headings[32][MAX_NAME];
	size_t nheadings;
};

static void collect_parser_key(const char *section, const char *key, bool required, void *arg)
{
	struct key_set *s = arg;
	struct key_entry *e;

	assert_true(s->n < MAX_ENTRIES);
	e = &s->e[s->n++];
	assert_true(strlen(section) < MAX_NAME && strlen(key) < MAX_NAME);
	strcpy(e->section, section);
	strcpy(e->key, key);
	e->required = required;
}

/* Copies the text between the first pair of backticks at @p into @out. */
static bool backticked(const char *p, const char *end, char *out)
{
	const char *a = memchr(p, '`', (size_t)(end - p)), *b;

	if (!a)
		return false;
	b = memchr(a + 1, '`', (size_t)(end - a - 1));
	if (!b || b - a - 1 <= 0 || b - a - 1 >= MAX_NAME)
		return false;
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = '\0';
	return true;
}

/*
 * The documented keys: under "## Sections", each "### `SECTION`" heading
 * starts a section whose table rows begin "| `KEY` |".
 */
static void collect_doc_keys(const char *md, struct key_set *s)
{
	char section[MAX_NAME] = "";
	bool in_sections = false;

	for (const char *line = md; *line;) {
		const char *end = strchr(line, '\n');

		if (!end)
			end = line + strlen(line);
		if (strncmp(line, "## ", 3) == 0) {
			in_sections = strncmp(line, "## Sections", 11) == 0;
			section[0] = '\0';
		} else if (in_sections && strncmp(line, "### ", 4) == 0) {
			assert_true(backticked(line, end, section));
			assert_true(s->nheadings < 32);
			strcpy(s->headings[s->nheadings++], section);
		} else if (in_sections && section[0] && strncmp(line, "| `", 3) == 0) {
			struct key_entry *e;

			assert_true(s->n < MAX_ENTRIES);
			e = &s->e[s->n++];
			strcpy(e->section, section);
			assert_true(backticked(line, end, e->key));
			e->row = line;
			e->row_len = (size_t)(end - line);
		}
		line = *end ? end + 1 : end;
	}
}

static const struct key_entry *find_key(const struct key_set *s, const char *section,
					const char *key)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->e[i].section, section) == 0 && strcmp(s->e[i].key, key) == 0)
			return &s->e[i];
	}
	return NULL;
}

static bool row_mentions(const struct key_entry *row, const char *key)
{
	char want[MAX_NAME + 2];
	size_t n = (size_t)snprintf(want, sizeof(want), "`%s`", key);

	for (size_t i = 0; i + n <= row->row_len; i++) {
		if (memcmp(row->row + i, want, n) == 0)
			return true;
	}
	return false;
}

/* The third cell of a row: the default column. */
static bool default_says_required(const struct key_entry *row)
{
	const char *p = row->row, *end = row->row + row->row_len;
	int bars = 0;

	/* "\|" inside a cell is a literal bar (`a` \| `b`), not a separator */
	for (; p < end && bars < 3; p++)
		bars += *p == '|' && (p == row->row || p[-1] != '\\');
	while (p < end && *p == ' ')
		p++;
	return (size_t)(end - p) >= 12 && memcmp(p, "**required**", 12) == 0;
}

static void load_sets(struct key_set *parser, struct key_set *doc, char **md)
{
	memset(parser, 0, sizeof(*parser));
	memset(doc, 0, sizeof(*doc));
	ls_config_keys_foreach(collect_parser_key, parser);
	*md = slurp(SRC "/docs/configuration.md");
	collect_doc_keys(*md, doc);
	/* A broken extraction would make both directions pass vacuously. */
	assert_true(parser->n > 40);
	assert_true(doc->n > 40);
	assert_true(doc->nheadings >= 10);
}

/* Every key the parser accepts has a row (or a heading) in configuration.md. */
static void test_config_keys_documented(void **state)
{
	struct key_set *parser = calloc(1, sizeof(*parser)), *doc = calloc(1, sizeof(*doc));
	unsigned missing = 0;
	char *md;

	assert_true(parser && doc);
	load_sets(parser, doc, &md);
	for (size_t i = 0; i < parser->n; i++) {
		const struct key_entry *k = &parser->e[i];
		const char *dot = strchr(k->section, '.');
		bool found = false;

		if (!k->section[0]) {
			for (size_t h = 0; h < doc->nheadings; h++)
				found |= strcmp(doc->headings[h], k->key) == 0;
		} else if (dot) {
			/* keys of nested entries are described in their parent's row */
			char parent[MAX_NAME];
			const struct key_entry *row;

			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - k->section),
				 k->section);
			row = find_key(doc, parent, dot + 1);
			found = row && row_mentions(row, k->key);
		} else {
			found = find_key(doc, k->section, k->key) != NULL;
		}
		if (!found) {
			print_message("configuration.md does not document '%s%s%s'\n", k->section,
				      k->section[0] ? "." : "", k->key);
			missing++;
		}
	}
	free(md);
	free(parser);
	free(doc);
	assert_int_equal(missing, 0);
}

/*
 * Every key configuration.md documents is accepted by the parser, and its
 * default column says **required** exactly when the parser requires it.
 */
static void test_config_docs_only_accepted(void **state)
{
	struct key_set *parser = calloc(1, sizeof(*parser)), *doc = calloc(1, sizeof(*doc));
	unsigned wrong = 0;
	char *md;

	assert_true(parser && doc);
	load_sets(parser, doc, &md);
	for (size_t h = 0; h < doc->nheadings; h++) {
		if (!find_key(parser, "", doc->headings[h])) {
			print_message("configuration.md documents a section '%s' the parser does "
				      "not accept\n",
				      doc->headings[h]);
			wrong++;
		}
	}
	for (size_t i = 0; i < doc->n; i++) {
		const struct key_entry *d = &doc->e[i];
		const struct key_entry *p = find_key(parser, d->section, d->key);

		if (!p) {
			print_message("configuration.md documents '%s.%s', which the parser does "
				      "not accept\n",
				      d->section, d->key);
			wrong++;
		} else if (p->required != default_says_required(d)) {
			print_message("configuration.md: '%s.%s' is %srequired for the parser but "
				      "documented as %srequired\n",
				      d->section, d->key, p->required ? "" : "not ",
				      p->required ? "not " : "");
			wrong++;
		}
	}
	free(md);
	free(parser);
	free(doc);
	assert_int_equal(wrong, 0);
}

/* The shipped example loads without a single error. */
static void test_config_example_loads(void **state)
{
	struct ls_config_errors errs = { 0 };
	struct ls_config *cfg = NULL;
	int err = ls_config_load(SRC "/docs/lockstep.conf.example", &cfg, &errs);

	for (size_t i = 0; i < errs.count && i < LS_CONFIG_MAX_ERRORS; i++)
		print_message("%u:%u: %s\n", errs.err[i].line, errs.err[i].column, errs.err[i].msg);
	assert_int_equal(err, 0);
	assert_non_null(cfg);
	assert_int_equal(errs.count, 0);
	ls_config_free(cfg);
}

/*
 * Loads every ```yaml block of @path as a whole configuration; returns how
 * many blocks there were, and in *@bad how many did not load cleanly.
 */
static unsigned check_yaml_blocks(const char *path, unsigned *bad)
{
	char *md = slurp(path);
	unsigned blocks = 0;

	for (const char *p = strstr(md, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
		const char *start = p + 8, *end = strstr(start, "\n```");
		struct ls_config_errors errs = { 0 };
		struct ls_config *cfg = NULL;
		char name[64];
		int err;

		assert_non_null(end);
		end++; /* keep the block's last newline */
		snprintf(name, sizeof(name), "block %u", ++blocks);
		err = ls_config_parse_string(start, (size_t)(end - start), name, &cfg, &errs);
		for (size_t i = 0; i < errs.count && i < LS_CONFIG_MAX_ERRORS; i++)
			print_message("%s: %s\n", path, errs.err[i].text);
		*bad += err != 0 || errs.count != 0;
		ls_config_free(cfg);
		p = end;
	}
	free(md);
	return blocks;
}

/* The configurations shown in README.md and configuration.md load as shown. */
static void test_config_doc_examples_load(void **state)
{
	unsigned bad = 0;

	assert_true(check_yaml_blocks(SRC "/README.md", &bad) >= 1);
	assert_true(check_yaml_blocks(SRC "/docs/configuration.md", &bad) >= 2);
	assert_int_equal(bad, 0);
}

/* ---- docs/monitoring.md against agent/health.c ---------------------------- */

struct names {
	char v[128][MAX_NAME];
	size_t n;
};

static void add_name(struct names *s, const char *p, size_t len)
{
	assert_true(len < MAX_NAME);
	for (size_t i = 0; i < s->n; i++) {
		if (strlen(s->v[i]) == len && memcmp(s->v[i], p, len) == 0)
			return;
	}
	assert_true(s->n < 128);
	memcpy(s->v[s->n], p, len);
	s->v[s->n++][len] = '\0';
}

static bool has_name(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], name) == 0)
			return true;
	}
	return false;
}

static size_t ident_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n;
}

/*
 * The families health.c writes: every string literal that is exactly a
 * metric name ("lockstep_..."). A literal that continues with a label set
 * ("lockstep_zone_state{zone=\"") is a sample, whose family is written
 * elsewhere as a whole literal.
 */
static void collect_code_metrics(const char *src, struct names *s)
{
	for (const char *p = strstr(src, "\"lockstep_"); p; p = strstr(p + 1, "\"lockstep_")) {
		size_t n = ident_len(p + 1);

		if (p[1 + n] == '"')
			add_name(s, p + 1, n);
	}
}

/* The families named in the table of the "### `/metrics`" section. */
static void collect_doc_metrics(const char *md, struct names *s)
{
	const char *start = strstr(md, "### `/metrics`"), *end;

	assert_non_null(start);
	end = strstr(start, "\n## ");
	if (!end)
		end = start + strlen(start);
	for (const char *line = start; line && line < end; line = strchr(line, '\n')) {
		const char *eol;

		line += *line == '\n';
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (strncmp(line, "| `lockstep_", 12) != 0)
			continue;
		/* the first cell names the families, in backticks */
		for (const char *p = line + 1; p < eol && *p != '|'; p++) {
			if (p[0] == '`' && strncmp(p + 1, "lockstep_", 9) == 0) {
				size_t n = ident_len(p + 1);

				if (p[1 + n] == '`')
					add_name(s, p + 1, n);
			}
		}
	}
}

static void test_metrics_documented(void **state)
{
	struct names *code = calloc(1, sizeof(*code)), *doc = calloc(1, sizeof(*doc));
	char *src = slurp(SRC "/agent/health.c"), *md = slurp(SRC "/docs/monitoring.md");
	unsigned wrong = 0;

	assert_true(code && doc);
	collect_code_metrics(src, code);
	collect_doc_metrics(md, doc);
	assert_true(code->n > 20);
	assert_true(doc->n > 20);
	for (size_t i = 0; i < code->n; i++) {
		if (!has_name(doc, code->v[i])) {
			print_message("monitoring.md does not document metric %s\n", code->v[i]);
			wrong++;
		}
	}
	for (size_t i = 0; i < doc->n; i++) {
		if (!has_name(code, doc->v[i])) {
			print_message("monitoring.md documents metric %s, which health.c does not "
				      "write\n",
				      doc->v[i]);
			wrong++;
		}
	}
	free(src);
	free(md);
	free(code);
	free(doc);
	assert_int_equal(wrong, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_keys_documented),
		cmocka_unit_test(test_config_docs_only_accepted),
		cmocka_unit_test(test_config_example_loads),
		cmocka_unit_test(test_config_doc_examples_load),
		cmocka_unit_test(test_metrics_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
