/*
 * fuzz_chain: chain links (chain/<n>.json, and the links change requests
 * and chain.link entries carry). None may crash; a link that parses must
 * serialise to a form that parses to the same form, message and state
 * hash again; and the genesis rules (bg_chain_link_check) must give the
 * same answer on both.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/chain/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_chain: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* The link's text, message and rule verdict; NULL when it does not parse. */
static char *
link_text(const cJSON *j, uint8_t m[32], uint8_t h[32], int *verdict)
{
	struct bg_chain_link *l = NULL;
	cJSON *out = NULL;
	char why[1024], *s;

	if (bg_chain_link_from_json(j, &l) != BG_OK)
		return NULL;
	memcpy(m, l->m, 32);
	memcpy(h, l->state_hash, 32);
	*verdict = bg_chain_link_check(NULL, NULL, NULL, 0, l, why,
	    sizeof(why));
	CHECK(bg_chain_link_to_json(l, &out) == BG_OK);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	bg_chain_link_free(&l);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t m1[32], m2[32], h1[32], h2[32];
	char *first, *second;
	int v1, v2;
	cJSON *j;

	if ((j = bg_json_parse((const char *)data, size)) == NULL)
		return 0;
	first = link_text(j, m1, h1, &v1);
	cJSON_Delete(j);
	if (first == NULL)
		return 0;
	CHECK((j = bg_json_parse(first, strlen(first))) != NULL);
	CHECK((second = link_text(j, m2, h2, &v2)) != NULL);
	CHECK(strcmp(first, second) == 0);
	CHECK(memcmp(m1, m2, 32) == 0 && memcmp(h1, h2, 32) == 0);
	CHECK(v1 == v2);
	cJSON_Delete(j);
	free(first);
	free(second);
	return 0;
}
