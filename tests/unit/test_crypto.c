/*
 * tests/unit/test_crypto.c: the key derivation and agreement primitives of
 * common/crypto.c against published vectors: HKDF-SHA256 (RFC 5869
 * appendix A, as shipped by pyca/cryptography, and every Wycheproof
 * hkdf_sha256 case) and X25519 (RFC 7748 5.2 and 6.1), plus the low-order
 * peers that must be refused with the output wiped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define RFC5869_FILE BG_VECTORS \
	"/crypto_vectors/pyca_cryptography_vectors/KDF/rfc-5869-HKDF-SHA256.txt"
#define WYCHEPROOF_FILE BG_VECTORS \
	"/crypto_vectors/wycheproof/hkdf_sha256_test.json"
#define VECTOR_FILE_MAX (4u << 20)
#define HKDF_MAX (255u * 32u)

/* ------------------------------------------------------------ helpers */

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex of any even length into a fresh buffer (at least 1 byte). */
static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *out;

	assert_int_equal(n % 2, 0);
	out = malloc(n / 2 + 1);
	assert_non_null(out);
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

static void
unhex32(const char *s, uint8_t out[32])
{
	size_t len;
	uint8_t *p = unhex(s, &len);

	assert_int_equal(len, 32);
	memcpy(out, p, 32);
	free(p);
}

static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(bg_file_read(path, VECTOR_FILE_MAX, &text, &len),
	    BG_OK);
	return text;
}

/* ------------------------------------------------------------ HKDF */

struct hkdf_case {
	char *ikm, *salt, *info, *okm;
	unsigned long len;
	int count;
};

static void
hkdf_case_free(struct hkdf_case *c)
{
	free(c->ikm);
	free(c->salt);
	free(c->info);
	free(c->okm);
	memset(c, 0, sizeof(*c));
}

/* Runs one case; valid: exact output; invalid: an error, output wiped. */
static void
run_hkdf(const char *name, int id, const char *ikm_hex, const char *salt_hex,
    const char *info_hex, size_t outlen, const char *okm_hex, int valid)
{
	size_t ikm_len, salt_len, info_len, okm_len;
	uint8_t *ikm = unhex(ikm_hex, &ikm_len);
	uint8_t *salt = unhex(salt_hex, &salt_len);
	uint8_t *info = unhex(info_hex, &info_len);
	uint8_t *okm = unhex(okm_hex, &okm_len);
	uint8_t *out = malloc(outlen + 1);
	int r;

	assert_non_null(out);
	memset(out, 0xa5, outlen + 1);
	r = bg_hkdf_sha256(salt, salt_len, ikm, ikm_len, info, info_len, out,
	    outlen);
	if (valid) {
		if (r != BG_OK)
			fail_msg("%s case %d: valid case rejected (%s)", name, id,
			    bg_strerror(r));
		assert_int_equal(okm_len, outlen);
		if (memcmp(out, okm, outlen) != 0)
			fail_msg("%s case %d: wrong output", name, id);
		assert_int_equal(out[outlen], 0xa5);	/* no overrun */
	} else if (r == BG_OK)
		fail_msg("%s case %d: invalid case (L = %zu) accepted", name,
		    id, outlen);
	free(ikm);
	free(salt);
	free(info);
	free(okm);
	free(out);
}

/* "KEY = value" of the pyca text format; the value may be empty. */
static int
kv(char *line, const char *key, char **val)
{
	size_t k = strlen(key);
	char *v, *end;

	if (strncmp(line, key, k) != 0 || (line[k] != ' ' && line[k] != '='))
		return 0;
	if ((v = strchr(line, '=')) == NULL)
		return 0;
	for (v++; *v == ' '; v++)
		;
	end = v + strlen(v);
	while (end > v && isspace((unsigned char)end[-1]))
		*--end = '\0';
	*val = strdup(v);
	assert_non_null(*val);
	return 1;
}

static void
test_hkdf_rfc5869(void **state)
{
	struct hkdf_case c;
	char *text = slurp(RFC5869_FILE), *line, *save = NULL, *v;
	int done = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (kv(line, "COUNT", &v)) {
			c.count = atoi(v);
			free(v);
		} else if (kv(line, "IKM", &v))
			c.ikm = v;
		else if (kv(line, "salt", &v))
			c.salt = v;
		else if (kv(line, "info", &v))
			c.info = v;
		else if (kv(line, "L", &v)) {
			c.len = strtoul(v, NULL, 10);
			free(v);
		} else if (kv(line, "OKM", &v)) {
			c.okm = v;
			assert_non_null(c.ikm);
			assert_non_null(c.salt);
			assert_non_null(c.info);
			run_hkdf("RFC 5869", c.count, c.ikm, c.salt, c.info,
			    c.len, c.okm, 1);
			hkdf_case_free(&c);
			done++;
		}
	}
	hkdf_case_free(&c);
	free(text);
	/* A.1 to A.3: the SHA-256 cases of RFC 5869 appendix A. */
	assert_int_equal(done, 3);
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void
test_hkdf_wycheproof(void **state)
{
	char *text = slurp(WYCHEPROOF_FILE);
	cJSON *doc = cJSON_Parse(text);
	const cJSON *groups, *g, *tests, *t, *num;
	int valid = 0, invalid = 0;

	(void)state;
	assert_non_null(doc);
	groups = cJSON_GetObjectItemCaseSensitive(doc, "testGroups");
	assert_true(cJSON_IsArray(groups));
	cJSON_ArrayForEach(g, groups) {
		tests = cJSON_GetObjectItemCaseSensitive(g, "tests");
		assert_true(cJSON_IsArray(tests));
		cJSON_ArrayForEach(t, tests) {
			const char *res = jstr(t, "result");
			const cJSON *size = cJSON_GetObjectItemCaseSensitive(t,
			    "size");
			int ok = strcmp(res, "valid") == 0;

			assert_true(ok || strcmp(res, "invalid") == 0);
			assert_true(cJSON_IsNumber(size) && size->valuedouble > 0);
			num = cJSON_GetObjectItemCaseSensitive(t, "tcId");
			run_hkdf("wycheproof", num->valueint, jstr(t, "ikm"),
			    jstr(t, "salt"), jstr(t, "info"),
			    (size_t)size->valuedouble, ok ? jstr(t, "okm") : "",
			    ok);
			if (ok)
				valid++;
			else
				invalid++;
		}
	}
	num = cJSON_GetObjectItemCaseSensitive(doc, "numberOfTests");
	assert_int_equal(valid + invalid, num->valueint);
	assert_true(invalid >= 3);	/* the SizeTooLarge cases */
	print_message("wycheproof hkdf_sha256: %d valid, %d invalid\n", valid,
	    invalid);
	cJSON_Delete(doc);
	free(text);
}

static void
test_hkdf_bounds(void **state)
{
	static const uint8_t ikm[16] = { 1 };
	uint8_t *out = malloc(HKDF_MAX + 1);

	(void)state;
	assert_non_null(out);
	/* the largest output (255 * HashLen, RFC 5869 2.3) works ... */
	assert_int_equal(bg_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out,
	    HKDF_MAX), BG_OK);
	/* ... one byte more is refused and nothing is left in out */
	memset(out, 0xa5, HKDF_MAX + 1);
	assert_int_not_equal(bg_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0,
	    out, HKDF_MAX + 1), BG_OK);
	assert_int_equal(bg_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, out,
	    0), BG_EINVAL);
	assert_int_equal(bg_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, out, 32),
	    BG_EINVAL);
	assert_int_equal(bg_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0,
	    NULL, 32), BG_EINVAL);
	assert_int_equal(bg_hkdf_sha256(NULL, 4, ikm, sizeof(ikm), NULL, 0, out,
	    32), BG_EINVAL);
	assert_int_equal(bg_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 4, out,
	    32), BG_EINVAL);
	free(out);
}

/* ------------------------------------------------------------ X25519 */

#define ALICE_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define BOB_PRIV   "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define BOB_PUB    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define SHARED     "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

/* RFC 7748 6.1 */
static void
test_x25519_rfc7748_dh(void **state)
{
	uint8_t a[32], b[32], apub[32], bpub[32], want[32], got[32];

	(void)state;
	unhex32(ALICE_PRIV, a);
	unhex32(BOB_PRIV, b);
	assert_int_equal(bg_x25519_public(a, got), BG_OK);
	unhex32(ALICE_PUB, apub);
	assert_memory_equal(got, apub, 32);
	assert_int_equal(bg_x25519_public(b, got), BG_OK);
	unhex32(BOB_PUB, bpub);
	assert_memory_equal(got, bpub, 32);

	unhex32(SHARED, want);
	memset(got, 0, sizeof(got));
	assert_int_equal(bg_x25519(a, bpub, got), BG_OK);
	assert_memory_equal(got, want, 32);
	memset(got, 0, sizeof(got));
	assert_int_equal(bg_x25519(b, apub, got), BG_OK);
	assert_memory_equal(got, want, 32);
}

/* RFC 7748 5.2: scalar multiplication of arbitrary u-coordinates. */
static void
test_x25519_rfc7748_scalarmult(void **state)
{
	static const char *const v[][3] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t k[32], u[32], want[32], got[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex32(v[i][0], k);
		unhex32(v[i][1], u);
		unhex32(v[i][2], want);
		assert_int_equal(bg_x25519(k, u, got), BG_OK);
		assert_memory_equal(got, want, 32);
	}
}

/*
 * Low-order peers give the all-zero shared secret (RFC 7748 6.1: "check
 * ... and abort if so"): refused, and the output buffer wiped.
 */
static void
test_x25519_low_order(void **state)
{
	static const char *const bad[] = {
		/* 0 and 1 */
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		/* points of order 8 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		/* p - 1 (order 2), and p, p + 1 (non-canonical 0 and 1) */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	static const uint8_t zero[32];
	uint8_t a[32], peer[32], shared[32];
	size_t i;

	(void)state;
	unhex32(ALICE_PRIV, a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unhex32(bad[i], peer);
		memset(shared, 0xa5, sizeof(shared));
		if (bg_x25519(a, peer, shared) != BG_ECRYPTO)
			fail_msg("low-order peer %s accepted", bad[i]);
		assert_memory_equal(shared, zero, 32);
	}
}

static void
test_x25519_args(void **state)
{
	uint8_t k[32] = { 9 }, out[32];

	(void)state;
	assert_int_equal(bg_x25519_public(NULL, out), BG_EINVAL);
	assert_int_equal(bg_x25519_public(k, NULL), BG_EINVAL);
	assert_int_equal(bg_x25519(NULL, k, out), BG_EINVAL);
	assert_int_equal(bg_x25519(k, NULL, out), BG_EINVAL);
	assert_int_equal(bg_x25519(k, k, NULL), BG_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_hkdf_wycheproof),
		cmocka_unit_test(test_hkdf_bounds),
		cmocka_unit_test(test_x25519_rfc7748_dh),
		cmocka_unit_test(test_x25519_rfc7748_scalarmult),
		cmocka_unit_test(test_x25519_low_order),
		cmocka_unit_test(test_x25519_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
