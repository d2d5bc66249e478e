/*
 * fuzz_totp: otpauth:// key URIs and typed base32 secrets (broker/secrets/totp.c).
 * Neither parser may crash; what they accept must be in range and give a
 * code; what they refuse must leave the struct wiped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/secrets/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_totp: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static void
check(int r, const struct bg_totp *t)
{
	static const struct bg_totp zero;
	char code[16];

	if (r != BG_OK) {
		CHECK(memcmp(t, &zero, sizeof(*t)) == 0);
		return;
	}
	CHECK(t->key_len >= BG_TOTP_KEY_MIN && t->key_len <= BG_TOTP_KEY_MAX);
	CHECK(t->digits == 6 || t->digits == 8);
	CHECK(t->period >= BG_TOTP_PERIOD_MIN &&
	    t->period <= BG_TOTP_PERIOD_MAX);
	CHECK(bg_totp_code(t, 1700000000, code, sizeof(code), NULL) == BG_OK);
	CHECK(strlen(code) == t->digits);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bg_totp t;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&t, 0xa5, sizeof(t));
	check(bg_totp_parse_uri(s, &t), &t);
	bg_totp_wipe(&t);
	memset(&t, 0xa5, sizeof(t));
	check(bg_totp_from_base32(s, &t), &t);
	bg_totp_wipe(&t);
	free(s);
	return 0;
}
