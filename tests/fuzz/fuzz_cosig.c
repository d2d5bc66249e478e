/*
 * fuzz_cosig: a witness's cosigned checkpoint (audit/cosig.c,
 * bg_audit_cosig_check) and cosignature keys (bg_audit_cosig_key_parse),
 * as a witness, an attacker's proxy or an auditor's file hands them
 * over. It may not crash or read out of bounds; a note accepted must
 * hold a line in the key's name, and a key accepted must give the same
 * key when its fields are parsed again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_cosig: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* tests/witness/witness.py's key, seed 00 01 .. 1f */
#define WVKEY "witness.test/w1+a67560cf+" \
	"BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bg_audit_cosig_key k, k2;
	uint64_t t;
	char *s;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1) {
		if (bg_audit_cosig_key_parse(s, size - 1, &k) == BG_OK) {
			CHECK(strlen(k.name) > 0 && strlen(k.name) < size);
			CHECK(bg_audit_cosig_key_parse(s, strlen(s), &k2) ==
			    BG_OK && memcmp(&k, &k2, sizeof(k)) == 0);
		}
	} else {
		CHECK(bg_audit_cosig_key_parse(WVKEY, strlen(WVKEY), &k) ==
		    BG_OK);
		if (bg_audit_cosig_check(s, size - 1, &k, &t) == BG_OK)
			CHECK(strstr(s, "\xe2\x80\x94 witness.test/w1 ") !=
			    NULL);
	}
	free(s);
	return 0;
}
