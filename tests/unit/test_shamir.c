/*
 * Shamir sharing over GF(2^8): known answers (FIPS-197 field products,
 * SLIP-0039 raw shares), every threshold subset recovering the secret,
 * fewer shares not, bad parameters refused, share commitments binding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <openssl/rand.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define SLIP39 BG_VECTORS "/shamir/slip39_python-shamir-mnemonic/" \
    "slip39_raw_shares_derived.json"

/* FIPS-197 4.2 and 4.2.1: {57}.{83} = {c1}, {57}.{13} = {fe}. */
static void
test_gf_known(void **state)
{
	unsigned a, b;

	(void)state;
	assert_int_equal(bg_gf256_mul(0x57, 0x83), 0xc1);
	assert_int_equal(bg_gf256_mul(0x57, 0x13), 0xfe);
	assert_int_equal(bg_gf256_mul(0x57, 0x02), 0xae);
	for (a = 0; a < 256; a++) {
		assert_int_equal(bg_gf256_mul((uint8_t)a, 1), a);
		assert_int_equal(bg_gf256_mul((uint8_t)a, 0), 0);
		for (b = 0; b < 256; b += 7)
			assert_int_equal(bg_gf256_mul((uint8_t)a, (uint8_t)b),
			    bg_gf256_mul((uint8_t)b, (uint8_t)a));
	}
}

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2;

	assert_true(n <= max);
	assert_int_equal(bg_hex_decode_exact(s, 2 * n, out, n), BG_OK);
	return n;
}

/* Member shares of one group interpolate to the published values. */
static void
check_group(const cJSON *g, unsigned *checked)
{
	const cJSON *ms = cJSON_GetObjectItem(g, "member_shares"), *m;
	const cJSON *t = cJSON_GetObjectItem(g, "member_threshold");
	uint8_t xs[16], ybuf[16][64], out[64], want[64];
	const uint8_t *ys[16];
	unsigned k = 0;
	size_t len = 0, wl;

	assert_non_null(ms);
	if (t->valueint == 1)
		return;	/* SLIP-39: threshold 1 shares are the secret */
	cJSON_ArrayForEach(m, ms) {
		assert_true(k < 16);
		xs[k] = (uint8_t)cJSON_GetObjectItem(m, "x")->valueint;
		len = unhex(cJSON_GetObjectItem(m, "y_hex")->valuestring,
		    ybuf[k], sizeof(ybuf[k]));
		ys[k] = ybuf[k];
		k++;
	}
	assert_int_equal(k, (unsigned)t->valueint);
	assert_int_equal(bg_shamir_interpolate(xs, ys, k, len, 255, out), BG_OK);
	wl = unhex(cJSON_GetObjectItem(g, "interpolated_at_255_hex")->valuestring,
	    want, sizeof(want));
	assert_int_equal(wl, len);
	assert_memory_equal(out, want, len);
	assert_int_equal(bg_shamir_interpolate(xs, ys, k, len, 254, out), BG_OK);
	wl = unhex(cJSON_GetObjectItem(g,
	    "interpolated_at_254_hex (digest[4]||random)")->valuestring, want,
	    sizeof(want));
	assert_memory_equal(out, want, wl);
	++*checked;
}

static void
test_slip39_raw_shares(void **state)
{
	cJSON *doc = tu_read_json(SLIP39), *v, *g;
	unsigned checked = 0;

	(void)state;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "vectors"))
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(v, "groups"))
			check_group(g, &checked);
	/* SOURCES.md: 11 groups with threshold > 1 */
	assert_int_equal(checked, 11);
	cJSON_Delete(doc);
}

/* Every t-subset of n shares (by bitmask) recovers; any t-1 does not. */
static void
check_subsets(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    const uint8_t *shares)
{
	uint8_t xs[8], out[64];
	const uint8_t *ys[8];
	unsigned mask, i, k;

	for (mask = 1; mask < (1u << n); mask++) {
		for (k = 0, i = 0; i < n; i++)
			if (mask & (1u << i)) {
				xs[k] = (uint8_t)(i + 1);
				ys[k++] = shares + (size_t)i * len;
			}
		if (k != t && k != t - 1)
			continue;
		assert_int_equal(bg_shamir_combine(xs, ys, k, len, out), BG_OK);
		if (k == t)
			assert_memory_equal(out, secret, len);
		else if (t > 1)
			assert_memory_not_equal(out, secret, len);
	}
}

static void
test_split_combine(void **state)
{
	static const unsigned tn[][2] = { { 1, 1 }, { 1, 3 }, { 2, 2 },
	    { 2, 3 }, { 3, 5 }, { 4, 7 }, { 7, 7 }, { 5, 8 } };
	uint8_t secret[32], *shares;
	size_t i;

	(void)state;
	assert_non_null(shares = malloc(8 * 32));
	for (i = 0; i < sizeof(tn) / sizeof(tn[0]); i++) {
		assert_int_equal(RAND_bytes(secret, sizeof(secret)), 1);
		assert_int_equal(bg_shamir_split(secret, 32, tn[i][0], tn[i][1],
		    shares), BG_OK);
		check_subsets(secret, 32, tn[i][0], tn[i][1], shares);
	}
	/* t == 1: every share is the secret */
	assert_int_equal(bg_shamir_split(secret, 32, 1, 3, shares), BG_OK);
	assert_memory_equal(shares + 64, secret, 32);
	free(shares);
}

/* The largest scheme: 255 shares, any 255 of them (all) recover. */
static void
test_255_shares(void **state)
{
	uint8_t secret[16], xs[255], out[16], *shares;
	const uint8_t *ys[255];
	unsigned i;

	(void)state;
	assert_non_null(shares = malloc(255 * 16));
	assert_int_equal(RAND_bytes(secret, sizeof(secret)), 1);
	assert_int_equal(bg_shamir_split(secret, 16, 255, 255, shares), BG_OK);
	for (i = 0; i < 255; i++) {
		xs[i] = (uint8_t)(255 - i);	/* any order */
		ys[i] = shares + (size_t)(254 - i) * 16;
	}
	assert_int_equal(bg_shamir_combine(xs, ys, 255, 16, out), BG_OK);
	assert_memory_equal(out, secret, 16);
	assert_int_equal(bg_shamir_combine(xs, ys, 254, 16, out), BG_OK);
	assert_memory_not_equal(out, secret, 16);
	free(shares);
}

static void
test_bad_parameters(void **state)
{
	uint8_t secret[65] = { 1 }, shares[256 * 2], xs[3] = { 1, 2, 2 };
	const uint8_t *ys[3] = { shares, shares + 2, shares + 4 };

	(void)state;
	assert_int_equal(bg_shamir_split(secret, 2, 0, 3, shares), BG_ERANGE);
	assert_int_equal(bg_shamir_split(secret, 2, 4, 3, shares), BG_ERANGE);
	assert_int_equal(bg_shamir_split(secret, 2, 2, 256, shares), BG_ERANGE);
	assert_int_equal(bg_shamir_split(secret, 0, 2, 3, shares), BG_EINVAL);
	assert_int_equal(bg_shamir_split(secret, 65, 2, 3, shares), BG_EINVAL);
	assert_int_equal(bg_shamir_split(NULL, 2, 2, 3, shares), BG_EINVAL);
	assert_int_equal(bg_shamir_split(secret, 2, 2, 3, shares), BG_OK);
	/* duplicate x, x = 0, nothing to combine */
	assert_int_equal(bg_shamir_combine(xs, ys, 3, 2, secret), BG_EINVAL);
	xs[2] = 0;
	assert_int_equal(bg_shamir_combine(xs, ys, 3, 2, secret), BG_EINVAL);
	assert_int_equal(bg_shamir_combine(xs, ys, 0, 2, secret), BG_EINVAL);
	ys[1] = NULL;
	xs[2] = 3;
	assert_int_equal(bg_shamir_combine(xs, ys, 3, 2, secret), BG_EINVAL);
}

static void
test_commitments(void **state)
{
	uint8_t vid[16], share[32], c1[32], c2[32];
	char long_group[257];

	(void)state;
	memset(vid, 7, sizeof(vid));
	memset(share, 9, sizeof(share));
	assert_int_equal(bg_share_commit(vid, "password", 1, share, 32, c1), BG_OK);
	assert_int_equal(bg_share_commit(vid, "password", 1, share, 32, c2), BG_OK);
	assert_memory_equal(c1, c2, 32);
	/* each input is bound */
	assert_int_equal(bg_share_commit(vid, "password", 2, share, 32, c2), BG_OK);
	assert_memory_not_equal(c1, c2, 32);
	assert_int_equal(bg_share_commit(vid, "mfa", 1, share, 32, c2), BG_OK);
	assert_memory_not_equal(c1, c2, 32);
	share[31] ^= 1;
	assert_int_equal(bg_share_commit(vid, "password", 1, share, 32, c2), BG_OK);
	assert_memory_not_equal(c1, c2, 32);
	share[31] ^= 1;
	vid[0] ^= 1;
	assert_int_equal(bg_share_commit(vid, "password", 1, share, 32, c2), BG_OK);
	assert_memory_not_equal(c1, c2, 32);
	memset(long_group, 'g', 256);
	long_group[256] = '\0';
	assert_int_equal(bg_share_commit(vid, long_group, 1, share, 32, c2),
	    BG_EINVAL);
	assert_int_equal(bg_share_commit(vid, "", 1, share, 32, c2), BG_EINVAL);
}

/*
 * Resharing 2-of-3 to 3-of-5 through the holders S (each holder's pieces
 * made in its own call, as in its own process): every 3 of the 5 new
 * shares give the secret, no 2 do.
 */
static void
reshare_from(const uint8_t *old, const uint8_t *S, unsigned k, uint8_t *neu)
{
	uint8_t pieces[5][5 * 32];
	const uint8_t *mine[5];
	unsigned i, j;

	for (i = 0; i < k; i++)
		assert_int_equal(bg_shamir_reshare(S, k, S[i],
		    old + (size_t)(S[i] - 1) * 32, 32, 3, 5, pieces[i]), BG_OK);
	for (j = 0; j < 5; j++) {
		for (i = 0; i < k; i++)
			mine[i] = pieces[i] + j * 32;
		bg_shamir_reshare_join(mine, k, 32, neu + j * 32);
	}
}

static void
test_reshare(void **state)
{
	uint8_t secret[32], old[3 * 32], neu[5 * 32], got[32], xs[3];
	const uint8_t *ys[3];
	const uint8_t S2[2] = { 1, 3 }, S3[3] = { 1, 2, 3 }, bad[2] = { 1, 0 };
	uint8_t pieces[5 * 32];
	unsigned a, b, c;

	(void)state;
	assert_int_equal(RAND_bytes(secret, 32), 1);
	assert_int_equal(bg_shamir_split(secret, 32, 2, 3, old), BG_OK);
	reshare_from(old, S2, 2, neu);
	for (a = 1; a <= 5; a++)
		for (b = a + 1; b <= 5; b++) {
			xs[0] = (uint8_t)a, xs[1] = (uint8_t)b;
			ys[0] = neu + (a - 1) * 32, ys[1] = neu + (b - 1) * 32;
			assert_int_equal(bg_shamir_combine(xs, ys, 2, 32, got),
			    BG_OK);
			assert_memory_not_equal(got, secret, 32);
			for (c = b + 1; c <= 5; c++) {
				xs[2] = (uint8_t)c;
				ys[2] = neu + (c - 1) * 32;
				assert_int_equal(bg_shamir_combine(xs, ys, 3,
				    32, got), BG_OK);
				assert_memory_equal(got, secret, 32);
			}
		}
	/* more holders than the threshold work too */
	reshare_from(old, S3, 3, neu);
	xs[0] = 2, xs[1] = 4, xs[2] = 5;
	ys[0] = neu + 32, ys[1] = neu + 96, ys[2] = neu + 128;
	assert_int_equal(bg_shamir_combine(xs, ys, 3, 32, got), BG_OK);
	assert_memory_equal(got, secret, 32);
	/* one holder's pieces alone are not a sharing of the secret */
	assert_int_equal(bg_shamir_reshare(S2, 2, 1, old, 32, 3, 5, pieces),
	    BG_OK);
	xs[0] = 1, xs[1] = 2, xs[2] = 3;
	ys[0] = pieces, ys[1] = pieces + 32, ys[2] = pieces + 64;
	assert_int_equal(bg_shamir_combine(xs, ys, 3, 32, got), BG_OK);
	assert_memory_not_equal(got, secret, 32);
	/* a holder outside S, x = 0 in S, a repeated x: refused */
	assert_int_equal(bg_shamir_reshare(S2, 2, 2, old + 32, 32, 3, 5,
	    pieces), BG_EINVAL);
	assert_int_equal(bg_shamir_reshare(bad, 2, 1, old, 32, 3, 5, pieces),
	    BG_EINVAL);
	xs[0] = 1, xs[1] = 1;
	assert_int_equal(bg_shamir_reshare(xs, 2, 1, old, 32, 3, 5, pieces),
	    BG_EINVAL);
	assert_int_equal(bg_shamir_reshare(S2, 2, 1, old, 32, 6, 5, pieces),
	    BG_ERANGE);
}

/*
 * Every byte of a secret has its own random coefficients. Were one set
 * reused across bytes, one share and the secret's commitment would give
 * the secret byte by byte (256 guesses per split). For t = 2 the slope of
 * byte b is (y1 ^ y2) / (1 ^ 2); for t = 3 the top coefficient is
 * ((y1 ^ s) ^ (y2 ^ s) / 2) / (1 ^ 2).
 */
static void
test_coefficients_fresh_per_byte(void **state)
{
	uint8_t secret[32], sh[3 * 32], c[32];
	const uint8_t inv2 = 0x8d, inv3 = 0xf6;
	size_t b, same;

	(void)state;
	assert_int_equal(bg_gf256_mul(2, inv2), 1);
	assert_int_equal(bg_gf256_mul(3, inv3), 1);
	assert_int_equal(RAND_bytes(secret, 32), 1);
	assert_int_equal(bg_shamir_split(secret, 32, 2, 3, sh), BG_OK);
	for (b = 0; b < 32; b++)
		c[b] = bg_gf256_mul((uint8_t)(sh[b] ^ sh[32 + b]), inv3);
	for (b = 1, same = 1; b < 32; b++)
		same += c[b] == c[0];
	assert_true(same < 8);	/* 32 equal by chance: 2^-248 */
	assert_int_equal(bg_shamir_split(secret, 32, 3, 3, sh), BG_OK);
	for (b = 0; b < 32; b++) {
		uint8_t g1 = (uint8_t)(sh[b] ^ secret[b]);
		uint8_t g2 = bg_gf256_mul((uint8_t)(sh[32 + b] ^ secret[b]),
		    inv2);

		c[b] = bg_gf256_mul((uint8_t)(g1 ^ g2), inv3);
	}
	for (b = 1, same = 1; b < 32; b++)
		same += c[b] == c[0];
	assert_true(same < 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gf_known),
		cmocka_unit_test(test_slip39_raw_shares),
		cmocka_unit_test(test_split_combine),
		cmocka_unit_test(test_255_shares),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_commitments),
		cmocka_unit_test(test_reshare),
		cmocka_unit_test(test_coefficients_fresh_per_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
