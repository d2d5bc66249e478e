/*
 * fuzz_entry: audit entry lines (docs/design.md §6) through the strict
 * parser, bg_audit_entry_parse, and the fast scan verify and recovery use,
 * bg_entry_scan. Neither may crash on any bytes; when they accept a line,
 * what they return must hold the documented invariants, the two must agree,
 * and formatting the parsed fields must give a line that parses back to
 * the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_entry: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (internal.h BG_TIME_LEN). */
static int
time_shape(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	if (strlen(t) != BG_TIME_LEN)
		return 0;
	for (i = 0; i < BG_TIME_LEN; i++) {
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' :
		    t[i] != shape[i])
			return 0;
	}
	return 1;
}

/* A field as documented: at most BG_AUDIT_FIELD_MAX bytes, no controls. */
static int
field_shape(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) > BG_AUDIT_FIELD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
check_entry(const struct bg_audit_entry *e, const char *line, size_t len)
{
	char t[BG_TIME_LEN + 1];
	uint64_t seq = 0;

	CHECK(len <= BG_AUDIT_ENTRY_MAX);
	CHECK(cJSON_IsObject(e->json));
	CHECK(e->seq <= BG_JSON_INT_MAX);
	CHECK(e->time != NULL && time_shape(e->time));
	CHECK(e->event != NULL && bg_audit_event_name_ok(e->event));
	CHECK(field_shape(e->actor) && field_shape(e->account) &&
	    field_shape(e->request));
	CHECK(cJSON_IsObject(e->detail));
	/* the fast scan verify uses must agree with the strict parse */
	CHECK(bg_entry_scan(line, len, &seq, t) == BG_OK);
	CHECK(seq == e->seq && strcmp(t, e->time) == 0);
}

/* Formats the parsed fields again; the line must parse to the same. */
static void
check_reformat(const struct bg_audit_entry *e)
{
	struct bg_audit_event ev = { e->event, e->actor, e->account,
	    e->request, e->detail };
	struct bg_audit_entry f;
	char *line = NULL;
	size_t len = 0;
	int r;

	char where[128];

	r = bg_entry_format(e->seq, e->time, &ev, &line, &len);
	if (r == BG_ETOOBIG)
		return;		/* escapes can make the new line longer */
	/*
	 * A log written before the text rule may hold detail text it now
	 * refuses (reading keeps such a log readable): a refusal is right
	 * only for exactly that.
	 */
	if (r == BG_EINVAL) {
		CHECK(bg_text_check_json(e->detail, BG_TEXT_LINES, where,
		    sizeof(where), NULL) == BG_EFORMAT);
		return;
	}
	CHECK(r == BG_OK && len > 0 && line[len - 1] == '\n');
	CHECK(bg_audit_entry_parse(line, len - 1, &f) == BG_OK);
	CHECK(f.seq == e->seq && strcmp(f.time, e->time) == 0 &&
	    strcmp(f.event, e->event) == 0 && strcmp(f.actor, e->actor) == 0 &&
	    strcmp(f.account, e->account) == 0 &&
	    strcmp(f.request, e->request) == 0);
	bg_audit_entry_free(&f);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bg_audit_entry e;
	char t[BG_TIME_LEN + 1], *line;
	uint64_t seq = 0;

	/* exactly size bytes, no terminator: reads past len are caught */
	if ((line = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(line, data, size);
	if (bg_entry_scan(line, size, &seq, t) == BG_OK)
		CHECK(time_shape(t));
	if (bg_audit_entry_parse(line, size, &e) == BG_OK) {
		check_entry(&e, line, size);
		check_reformat(&e);
		bg_audit_entry_free(&e);
		CHECK(e.json == NULL);
	} else
		CHECK(e.json == NULL);
	free(line);
	return 0;
}
