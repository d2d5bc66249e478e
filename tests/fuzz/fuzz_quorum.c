/*
 * fuzz_quorum: the quorum module's parsers: approval statements (canonical
 * text), policies and request objects (JSON). None may crash; what they
 * accept must serialise back to the same form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "quorum/quorum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_quorum: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static void
statement(const char *text, size_t len)
{
	struct bg_statement st;
	char out[BG_STATEMENT_MAX];
	size_t n;

	if (bg_statement_parse(text, len, &st) != BG_OK)
		return;
	CHECK(bg_statement_build(&st, out, sizeof(out), &n) == BG_OK);
	CHECK(n == len && memcmp(out, text, len) == 0);
}

static void
json_forms(const char *text, size_t len)
{
	bg_policy_t *p = NULL;
	bg_request_t *rq = NULL;
	cJSON *j, *k = NULL;
	char why[512];

	if ((j = bg_json_parse(text, len)) == NULL)
		return;
	if (bg_policy_from_json(j, &p) == BG_OK) {
		CHECK(bg_policy_to_json(p, &k) == BG_OK);
		(void)bg_policy_validate(p, why, sizeof(why));
		bg_policy_free(&p);
		CHECK(bg_policy_from_json(k, &p) == BG_OK);
		bg_policy_free(&p);
		cJSON_Delete(k);
		k = NULL;
	}
	if (bg_request_from_json(j, &rq) == BG_OK) {
		CHECK(bg_request_to_json(rq, &k) == BG_OK);
		bg_request_free(&rq);
		CHECK(bg_request_from_json(k, &rq) == BG_OK);
		bg_request_free(&rq);
		cJSON_Delete(k);
	}
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	statement((const char *)data, size);
	json_forms((const char *)data, size);
	return 0;
}
