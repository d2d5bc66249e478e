/*
 * fuzz_statement2: v2 approval statement texts (quorum/statement2.c).
 * The parser may not crash or leak; what it accepts must build back to
 * the same bytes and hash, and its view for the approver must fit the
 * documented bound.
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
		fprintf(stderr, "fuzz_statement2: %s:%d: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

static struct bg_statement2 st;
static char text[BG_STATEMENT2_MAX];
static char view[2 * BG_STATEMENT2_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	uint8_t h[32];
	size_t n;

	if (bg_statement2_parse(in, size, &st) != BG_OK) {
		CHECK(bg_why()[0] != '\0');
		CHECK(bg_statement2_hash(in, size, h) == BG_EFORMAT);
		return 0;
	}
	CHECK(bg_statement2_build(&st, text, sizeof(text), &n) == BG_OK);
	CHECK(n == size && memcmp(text, in, size) == 0);
	CHECK(bg_statement2_hash(in, size, h) == BG_OK);
	CHECK(bg_statement2_describe(in, size, view, sizeof(view)) == BG_OK);
	CHECK(strlen(view) < sizeof(view));
	return 0;
}
