/*
 * fuzz_vault: the vault's files, all of format v2: vault.json (first byte
 * 0 mod 4), requests/<id>.json (first byte odd) and rekeys/<id>.json
 * (first byte 2 mod 4). None may crash; what they accept must serialise
 * to a form that parses to the same form again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/ceremony.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_vault: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static char *
vault_text(const cJSON *j)
{
	struct bg_vault *v = NULL;
	cJSON *out = NULL;
	char *s = NULL;

	if (bg_vault_from_json(j, &v) != BG_OK)
		return NULL;
	CHECK(bg_vault_to_json(v, &out) == BG_OK);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	bg_vault_free(&v);
	return s;
}

static char *
request_text(const cJSON *j)
{
	struct bg_rqfile *f = NULL;
	cJSON *out = NULL;
	char *s = NULL;

	if (bg_rqfile_from_json(j, &f) != BG_OK)
		return NULL;
	CHECK(bg_rqfile_to_json(f, &out) == BG_OK);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	bg_rqfile_free(&f);
	return s;
}

static char *
rekey_text(const cJSON *j)
{
	struct bg_rkfile *f = NULL;
	cJSON *out = NULL;
	char *s = NULL;
	uint8_t h[32], id[16] = { 0 };

	if (bg_rkfile_from_json(j, &f) != BG_OK)
		return NULL;
	CHECK(bg_rkfile_hash(id, f, h) == BG_OK);
	CHECK(bg_rkfile_to_json(f, &out) == BG_OK);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	bg_rkfile_free(&f);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *(*text)(const cJSON *);
	char *first, *second;
	cJSON *j;

	if (size < 1)
		return 0;
	text = data[0] & 1 ? request_text : data[0] & 2 ? rekey_text :
	    vault_text;
	if ((j = bg_json_parse((const char *)data + 1, size - 1)) == NULL)
		return 0;
	first = text(j);
	cJSON_Delete(j);
	if (first == NULL)
		return 0;
	CHECK((j = bg_json_parse(first, strlen(first))) != NULL);
	CHECK((second = text(j)) != NULL);
	CHECK(strcmp(first, second) == 0);
	cJSON_Delete(j);
	free(first);
	free(second);
	return 0;
}
