/*
 * fuzz_request2: v2 request texts (quorum/request2.c). The parser may
 * not crash or leak; what it accepts must build back to the same bytes
 * and hash; and once its reason-sha256 is made to match a reason, the
 * approver's view must fit the documented bound.
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
		fprintf(stderr, "fuzz_request2: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static struct bg_request2 rq;
static char text[BG_REQUEST2_MAX];
static char view[2 * BG_REQUEST2_MAX + 4 * BG_REASON_MAX + 512];

/* The approver's view of rq with its reason set to the input's head. */
static void
describe(const char *reason, size_t len)
{
	size_t n;

	if (len > BG_REASON_MAX)
		len = BG_REASON_MAX;
	CHECK(bg_reason_sha256(reason, len, rq.reason_sha256) == BG_OK);
	CHECK(bg_request2_build(&rq, text, sizeof(text), &n) == BG_OK);
	CHECK(bg_request2_describe(text, n, reason, len, view,
	    sizeof(view)) == BG_OK);
	CHECK(strlen(view) < sizeof(view));
	CHECK(bg_request2_describe(text, n, reason, len, view, 16) ==
	    BG_ETOOBIG && view[0] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	uint8_t h[32];
	size_t n;

	if (bg_request2_parse(in, size, &rq) != BG_OK) {
		CHECK(bg_why()[0] != '\0');
		CHECK(bg_request2_hash(in, size, h) == BG_EFORMAT);
		return 0;
	}
	CHECK(bg_request2_build(&rq, text, sizeof(text), &n) == BG_OK);
	CHECK(n == size && memcmp(text, in, size) == 0);
	CHECK(bg_request2_hash(in, size, h) == BG_OK);
	describe(in, size);
	return 0;
}
