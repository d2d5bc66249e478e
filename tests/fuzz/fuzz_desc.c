/*
 * fuzz_desc: token descriptor files (tokens/desc.c) through the strict
 * JSON layer (bg_json_parse: exact length, no duplicate keys, bounded
 * depth) and bg_token_desc_from_json. Neither may crash on any bytes; an
 * accepted descriptor must serialise and parse back to the same JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tokens/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_desc: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* to_json(d) parses back into a descriptor that gives the same JSON. */
static void
round_trip(const bg_token_desc_t *d)
{
	bg_token_desc_t *d2 = NULL;
	cJSON *j1 = NULL, *j2 = NULL;
	char *t1, *t2;

	CHECK(bg_token_desc_to_json(d, &j1) == BG_OK);
	CHECK(bg_token_desc_from_json(j1, &d2) == BG_OK);
	CHECK(bg_token_desc_to_json(d2, &j2) == BG_OK);
	t1 = cJSON_PrintUnformatted(j1);
	t2 = cJSON_PrintUnformatted(j2);
	CHECK(t1 != NULL && t2 != NULL && strcmp(t1, t2) == 0);
	CHECK(bg_token_desc_kind(d2) == BG_TOKEN_FIDO2 ||
	    bg_token_desc_kind(d2) == BG_TOKEN_YUBIKEY);
	CHECK(strlen(bg_token_desc_id(d2)) == 2 * BG_TOKEN_ID_LEN);
	free(t1);
	free(t2);
	cJSON_Delete(j1);
	cJSON_Delete(j2);
	bg_token_desc_free(&d2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_token_desc_t *d = NULL;
	cJSON *j;

	if ((j = bg_json_parse((const char *)data, size)) == NULL)
		return 0;
	if (bg_token_desc_from_json(j, &d) == BG_OK) {
		round_trip(d);
		bg_token_desc_free(&d);
	}
	CHECK(d == NULL);
	cJSON_Delete(j);
	return 0;
}
