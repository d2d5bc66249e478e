/*
 * Shamir secret sharing over GF(2^8), byte by byte, with the AES
 * polynomial (the field of SLIP-0039 and most byte-wise implementations).
 * Arithmetic is branch-free and table-free so timing does not depend on
 * share bytes.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "quorum/quorum.h"

uint8_t
bg_gf256_mul(uint8_t a, uint8_t b)
{
	unsigned p = 0, x = a, y = b;
	int i;

	for (i = 0; i < 8; i++) {
		p ^= x & (0u - (y & 1u));
		/* x *= X mod x^8+x^4+x^3+x+1 */
		x = ((x << 1) ^ (0x11bu & (0u - (x >> 7)))) & 0xffu;
		y >>= 1;
	}
	return (uint8_t)p;
}

/* a^254 = a^-1 for a != 0 (and 0 for 0), by square-and-multiply. */
static uint8_t
gf_inv(uint8_t a)
{
	uint8_t r = 1, s = a;
	int i;

	for (i = 1; i < 8; i++) {	/* 254 = 0b11111110 */
		s = bg_gf256_mul(s, s);
		r = bg_gf256_mul(r, s);
	}
	return r;
}

int
bg_shamir_split(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    uint8_t *shares)
{
	uint8_t coef[BG_SHAMIR_MAX], *rnd = NULL, y;
	size_t b, rlen = 0;
	unsigned i, j, k;
	int r = BG_OK;

	if (secret == NULL || shares == NULL || len == 0 ||
	    len > BG_SHAMIR_SECRET_MAX)
		return BG_EINVAL;
	if (t < 1 || t > n || n > BG_SHAMIR_MAX)
		return BG_ERANGE;
	/* every coefficient in one draw (as secret as the secret: the
	 * private generator); a call per byte of the secret cost more than
	 * the arithmetic (bench_slots) */
	rlen = (size_t)(t - 1) * len;
	if (rlen > 0 && (rnd = bg_secure_alloc(rlen)) == NULL)
		return BG_ENOMEM;
	if (rlen > 0 && RAND_priv_bytes(rnd, (int)rlen) != 1)
		r = BG_ECRYPTO;
	for (b = 0; b < len && r == BG_OK; b++) {
		coef[0] = secret[b];
		if (t > 1)
			memcpy(coef + 1, rnd + b * (t - 1), t - 1);
		for (i = 0; i < n; i++) {
			/* Horner: f(x) at x = i + 1 */
			for (y = 0, j = t; j-- > 0;)
				y = (uint8_t)(bg_gf256_mul(y, (uint8_t)(i + 1)) ^
				    coef[j]);
			shares[(size_t)i * len + b] = y;
		}
	}
	bg_wipe(coef, sizeof(coef));
	bg_secure_free(&rnd, rlen);
	if (r != BG_OK)
		for (k = 0; k < n; k++)
			bg_wipe(shares + (size_t)k * len, len);
	return r;
}

static int
distinct(const uint8_t *xs, unsigned k)
{
	unsigned i, j;

	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (xs[i] == xs[j])
				return 0;
	return 1;
}


/* Lagrange basis polynomial i at x: prod_{j != i} (x - xj) / (xi - xj). */
static uint8_t
basis(const uint8_t *xs, unsigned k, unsigned i, uint8_t x)
{
	uint8_t num = 1, den = 1;
	unsigned j;

	for (j = 0; j < k; j++) {
		if (j == i)
			continue;
		num = bg_gf256_mul(num, (uint8_t)(x ^ xs[j]));
		den = bg_gf256_mul(den, (uint8_t)(xs[i] ^ xs[j]));
	}
	return bg_gf256_mul(num, gf_inv(den));
}

int
bg_shamir_interpolate(const uint8_t *xs, const uint8_t *const *ys,
    unsigned k, size_t len, uint8_t x, uint8_t *out)
{
	uint8_t l;
	unsigned i;
	size_t b;

	if (xs == NULL || ys == NULL || out == NULL || k == 0 ||
	    k > BG_SHAMIR_MAX + 1 || len == 0)
		return BG_EINVAL;
	if (!distinct(xs, k))
		return BG_EINVAL;
	for (i = 0; i < k; i++)
		if (ys[i] == NULL)
			return BG_EINVAL;
	memset(out, 0, len);
	for (i = 0; i < k; i++) {
		l = basis(xs, k, i, x);
		for (b = 0; b < len; b++)
			out[b] ^= bg_gf256_mul(l, ys[i][b]);
	}
	return BG_OK;
}

int
bg_shamir_combine(const uint8_t *xs, const uint8_t *const *ys, unsigned k,
    size_t len, uint8_t *secret)
{
	unsigned i;

	if (xs == NULL)
		return BG_EINVAL;
	for (i = 0; i < k; i++)
		if (xs[i] == 0)
			return BG_EINVAL;
	return bg_shamir_interpolate(xs, ys, k, len, 0, secret);
}

/*
 * Resharing (docs/design.md 5.2, "Rekey by resharing"): holder x_i of the
 * set S = xs[0..k) multiplies its share by its Lagrange coefficient at 0,
 * lambda_i = prod_{m in S, m != i} x_m / (x_m xor x_i), and splits the
 * product t2 of n2. Each new member XORs the k pieces addressed to it: the
 * results are a fresh t2-of-n2 sharing of the same secret. No holder ever
 * sees another holder's share or the secret.
 */
int
bg_shamir_reshare(const uint8_t *xs, unsigned k, uint8_t xi,
    const uint8_t *share, size_t len, unsigned t2, unsigned n2,
    uint8_t *pieces)
{
	uint8_t lambda, *y;
	unsigned i;
	size_t b;
	int r;

	if (xs == NULL || share == NULL || pieces == NULL || k == 0 ||
	    k > BG_SHAMIR_MAX || len == 0 || len > BG_SHAMIR_SECRET_MAX ||
	    xi == 0 || !distinct(xs, k))
		return BG_EINVAL;
	for (i = 0; i < k && xs[i] != xi; i++)
		;
	if (i == k || memchr(xs, 0, k) != NULL)
		return BG_EINVAL;	/* xi must be in S, S without 0 */
	lambda = basis(xs, k, i, 0);
	if ((y = bg_secure_alloc(len)) == NULL)
		return BG_ENOMEM;
	for (b = 0; b < len; b++)
		y[b] = bg_gf256_mul(lambda, share[b]);
	r = bg_shamir_split(y, len, t2, n2, pieces);
	bg_secure_free(&y, len);
	return r;
}

void
bg_shamir_reshare_join(const uint8_t *const *pieces, unsigned k, size_t len,
    uint8_t *share)
{
	unsigned i;
	size_t b;

	memset(share, 0, len);
	for (i = 0; i < k; i++)
		for (b = 0; b < len; b++)
			share[b] ^= pieces[i][b];
}

int
bg_share_commit(const uint8_t vault_id[16], const char *group, uint8_t x,
    const uint8_t *share, size_t len, uint8_t out[BG_COMMIT_LEN])
{
	static const char dom[] = "breakglass/v1/share-commitment";
	EVP_MD_CTX *ctx;
	uint8_t glen;
	size_t gl;
	int ok;

	if (vault_id == NULL || group == NULL || share == NULL || out == NULL ||
	    (gl = strlen(group)) == 0 || gl > 255 || len == 0)
		return BG_EINVAL;
	glen = (uint8_t)gl;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, dom, sizeof(dom)) == 1 &&	/* with NUL */
	    EVP_DigestUpdate(ctx, vault_id, 16) == 1 &&
	    EVP_DigestUpdate(ctx, &glen, 1) == 1 &&
	    EVP_DigestUpdate(ctx, group, gl) == 1 &&
	    EVP_DigestUpdate(ctx, &x, 1) == 1 &&
	    EVP_DigestUpdate(ctx, share, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? BG_OK : BG_ECRYPTO;
}
