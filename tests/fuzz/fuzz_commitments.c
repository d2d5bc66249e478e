/*
 * fuzz_commitments: the binary commitments file of an item version
 * (quorum/commitments.c). It may not crash or leak; what it accepts must
 * encode back to the same bytes, and no check may read out of range.
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
		fprintf(stderr, "fuzz_commitments: %s:%d: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_commitments_t *c = NULL;
	struct bg_slot_group g;
	struct bg_label l;
	uint8_t *buf = NULL, v[BG_SLOT_KEY_LEN] = { 0 };
	size_t len, i;

	if (bg_commitments_decode(data, size, &c) != BG_OK) {
		CHECK(c == NULL);
		return 0;
	}
	CHECK(bg_commitments_encode(c, &buf, &len) == BG_OK);
	CHECK(len == size && memcmp(buf, data, size) == 0);
	bg_label_init(&l, "fuzz");
	for (i = 0; i < bg_commitments_ngroups(c); i++) {
		g = bg_commitments_group(c, i);
		CHECK(g.t >= 1 && g.t <= g.n);
		/* the last share and part of each group are in range */
		CHECK(bg_commitments_check_share(c, &l, i, (uint8_t)g.n,
		    bg_commitments_nslots(c) - 1, v) != BG_ERANGE);
		CHECK(bg_commitments_check_part(c, &l, i,
		    bg_commitments_nslots(c) - 1, v) != BG_ERANGE);
		CHECK(bg_commitments_check_share(c, &l, i, 1,
		    bg_commitments_nslots(c), v) == BG_ERANGE);
	}
	free(buf);
	bg_commitments_free(&c);
	return 0;
}
