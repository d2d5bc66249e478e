/*
 * The public keys of a descriptor, checked before anything uses them, and
 * the comparison of two descriptors (docs/tokens.md "Keys a descriptor may
 * carry", "One token, one enrollment").
 *
 * X25519 (RFC 7748): u is 255 bits, little-endian. RFC 7748 §5 has
 * receivers mask the top bit and accept u >= p = 2^255 - 19, so 2^255
 * byte strings would name the same keys twice; a descriptor must carry the
 * one canonical encoding (top bit clear, u < p). The points of small order
 * (order dividing 8, on the curve or on its twist: cofactors 8 and 4) give
 * an all-zero shared secret with every clamped scalar, so a box sealed to
 * one opens for anyone: refused. Their canonical u values are 0, 1, p - 1
 * and the two u of the order-8 points, computed from the Edwards torsion
 * points below with u = (1 + y) / (1 - y) (tests check each against
 * OpenSSL's X25519).
 *
 * Ed25519 (RFC 8032 §5.1.3): y < p, and x = 0 with the sign bit set does
 * not decode; y must give a point (x^2 = (y^2 - 1) / (d y^2 + 1) a
 * square). The eight points of order dividing 8 are refused: a signature
 * by such a "key" proves nothing.
 *
 * ES256 credential keys: a point of P-256 with both coordinates below the
 * field prime, which OpenSSL's decoder checks; kept as x || y.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "common/common.h"
#include "tokens/internal.h"

#define KEY_LEN 32

/* Curve25519's canonical small-order u (little-endian). */
static const uint8_t x25519_small[][KEY_LEN] = {
	{ 0 },						/* order 1 and 2 */
	{ 1 },						/* order 4 */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* p - 1:
							 * twist, order 4 */
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },	/* 8 */
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },	/* 8 */
};

/* Edwards25519's points of order 1, 2, 4 and 8, canonically encoded. */
static const uint8_t ed25519_small[][KEY_LEN] = {
	{ 1 },						/* identity */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* 2 */
	{ 0 },						/* 4 */
	{ [31] = 0x80 },				/* 4 */
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },	/* 8 */
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85 },	/* 8 */
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },	/* 8 */
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa },	/* 8 */
};

/* d = -121665 / 121666 mod p (RFC 8032 §5.1), big-endian hex. */
static const char ed25519_d[] =
    "52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3";

/* The low 255 bits, little-endian, are below p = 2^255 - 19. */
static int
below_p(const uint8_t k[KEY_LEN])
{
	int i;

	if ((k[31] & 0x7f) != 0x7f)
		return 1;
	for (i = 30; i > 0; i--)
		if (k[i] != 0xff)
			return 1;
	return k[0] < 0xed;
}

static int
listed(const uint8_t k[KEY_LEN], const uint8_t (*list)[KEY_LEN], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(k, list[i], KEY_LEN) == 0)
			return 1;
	return 0;
}

int
bg_check_x25519(const uint8_t k[KEY_LEN])
{
	if ((k[31] & 0x80) != 0 || !below_p(k)) {
		bg_set_why("the X25519 public key is not canonically encoded "
		    "(%s)", (k[31] & 0x80) ? "top bit set" :
		    "not below 2^255-19");
		return BG_EFORMAT;
	}
	if (listed(k, x25519_small, sizeof(x25519_small) /
	    sizeof(x25519_small[0]))) {
		bg_set_why("the X25519 public key is a point of small order");
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* BN of the 255-bit little-endian y; NULL on failure. */
static BIGNUM *
le_y(const uint8_t k[KEY_LEN])
{
	uint8_t be[KEY_LEN];
	int i;

	for (i = 0; i < KEY_LEN; i++)
		be[i] = k[KEY_LEN - 1 - i];
	be[0] &= 0x7f;
	return BN_bin2bn(be, sizeof(be), NULL);
}

/*
 * x^2 = (y^2 - 1) / (d y^2 + 1) mod p: 1 when a square (x decodes),
 * 0 when not; *zero when x^2 = 0. Negative on a library failure.
 */
static int
ed25519_x2(const uint8_t k[KEY_LEN], int *zero)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = NULL, *d = NULL, *y, *u, *v, *x, *s;
	int r = -1;

	if (ctx == NULL)
		return -1;
	BN_CTX_start(ctx);
	y = le_y(k);
	u = BN_CTX_get(ctx);
	v = BN_CTX_get(ctx);
	x = BN_CTX_get(ctx);
	if (y == NULL || x == NULL || (p = BN_new()) == NULL ||
	    !BN_set_bit(p, 255) || !BN_sub_word(p, 19) ||
	    !BN_hex2bn(&d, ed25519_d) ||
	    !BN_mod_sqr(u, y, p, ctx) || !BN_mod_mul(v, d, u, p, ctx) ||
	    !BN_add_word(v, 1) || !BN_sub_word(u, 1) ||
	    !BN_mod_inverse(v, v, p, ctx) || !BN_mod_mul(x, u, v, p, ctx))
		goto out;
	*zero = BN_is_zero(x);
	if (*zero)
		r = 1;
	else if ((s = BN_mod_sqrt(NULL, x, p, ctx)) != NULL) {
		BN_free(s);
		r = 1;
	} else
		r = 0;
out:
	ERR_clear_error();	/* "not a square" is an answer here */
	BN_free(y);
	BN_free(p);
	BN_free(d);
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return r;
}

int
bg_check_ed25519(const uint8_t k[KEY_LEN])
{
	int zero = 0, sq;

	if (!below_p(k)) {
		bg_set_why("the Ed25519 public key is not canonically encoded "
		    "(y not below 2^255-19)");
		return BG_EFORMAT;
	}
	if ((sq = ed25519_x2(k, &zero)) < 0)
		return BG_ECRYPTO;
	if (sq == 0) {
		bg_set_why("the Ed25519 public key is not a point of the "
		    "curve");
		return BG_EFORMAT;
	}
	if (zero && (k[31] & 0x80) != 0) {
		bg_set_why("the Ed25519 public key is not canonically encoded "
		    "(x = 0 with the sign bit set)");
		return BG_EFORMAT;
	}
	if (listed(k, ed25519_small, sizeof(ed25519_small) /
	    sizeof(ed25519_small[0]))) {
		bg_set_why("the Ed25519 public key is a point of small order");
		return BG_EFORMAT;
	}
	return BG_OK;
}

int
bg_check_es256(const uint8_t *in, size_t len, uint8_t out[FIDO2_PUBKEY_LEN])
{
	uint8_t buf[1 + FIDO2_PUBKEY_LEN];
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	int r = BG_EFORMAT;

	/* x || y as libfido2 gives it, or SEC1 uncompressed or compressed;
	 * not SEC1's hybrid forms (0x06, 0x07) nor the point at infinity */
	if (len == FIDO2_PUBKEY_LEN) {
		buf[0] = 0x04;
		memcpy(buf + 1, in, len);
		in = buf;
		len = sizeof(buf);
	} else if (!(len == sizeof(buf) && in[0] == 0x04) &&
	    !(len == 33 && (in[0] == 0x02 || in[0] == 0x03))) {
		bg_set_why("the credential key is not a P-256 point encoding");
		return BG_EFORMAT;
	}
	if ((g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (pt = EC_POINT_new(g)) == NULL) {
		r = BG_ENOMEM;
		goto out;
	}
	if (EC_POINT_oct2point(g, pt, in, len, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, pt) ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, buf,
	    sizeof(buf), NULL) != sizeof(buf)) {
		bg_set_why("the credential key is not a point of P-256 with "
		    "coordinates below the field prime");
		goto out;
	}
	memcpy(out, buf + 1, FIDO2_PUBKEY_LEN);
	r = BG_OK;
out:
	ERR_clear_error();
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return r;
}

int
bg_desc_check_keys(const bg_token_desc_t *d)
{
	uint8_t cp[FIDO2_PUBKEY_LEN];
	int r;

	if ((r = bg_check_x25519(d->pub)) != BG_OK ||
	    (r = bg_check_ed25519(d->sign_pub)) != BG_OK)
		return r;
	if (d->kind == BG_TOKEN_FIDO2 &&
	    (r = bg_check_es256(d->cred_pub, sizeof(d->cred_pub), cp)) != BG_OK)
		return r;
	return BG_OK;
}

/* ------------------------------------------------------------- same */

/* The credential keys as points: the same point in any encoding. */
static int
same_es256(const bg_token_desc_t *a, const bg_token_desc_t *b)
{
	uint8_t ca[FIDO2_PUBKEY_LEN], cb[FIDO2_PUBKEY_LEN];

	if (bg_check_es256(a->cred_pub, sizeof(a->cred_pub), ca) != BG_OK ||
	    bg_check_es256(b->cred_pub, sizeof(b->cred_pub), cb) != BG_OK)
		return memcmp(a->cred_pub, b->cred_pub, sizeof(ca)) == 0;
	return memcmp(ca, cb, sizeof(ca)) == 0;
}

int
bg_token_desc_same(const bg_token_desc_t *a, const bg_token_desc_t *b)
{
	if (a == NULL || b == NULL)
		return 0;
	if (memcmp(a->id, b->id, sizeof(a->id)) == 0 ||
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0 ||
	    memcmp(a->sign_pub, b->sign_pub, sizeof(a->sign_pub)) == 0)
		return 1;
	if (a->kind != b->kind)
		return 0;
	if (a->kind == BG_TOKEN_YUBIKEY)
		return a->serial == b->serial && a->slot == b->slot;
	return (a->cred_id_len == b->cred_id_len &&
	    memcmp(a->cred_id, b->cred_id, a->cred_id_len) == 0) ||
	    same_es256(a, b);
}
