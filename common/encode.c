/*
 * common/encode.c: strict, exact-length base64 (RFC 4648 section 4) and hex.
 *
 * Decoders accept exactly one spelling of each value: the canonical
 * padded base64 that EVP_EncodeBlock() would produce, or hex of the exact
 * length. Decoded bytes may be secrets, so temporaries are wiped.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/common.h"

/* Largest input whose encoding length still fits EVP_EncodeBlock's int. */
#define BG_B64_MAX_IN	((size_t)INT_MAX / 4 * 3)

size_t
bg_b64_len(size_t n)
{
	if (n > BG_B64_MAX_IN)
		return 0;	/* cannot be encoded; never a valid length */
	return (n + 2) / 3 * 4 + 1;
}

int
bg_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t need;

	if (out == NULL || (in == NULL && n > 0))
		return BG_EINVAL;
	if ((need = bg_b64_len(n)) == 0 || outsz < need)
		return BG_ETOOBIG;
	if (n == 0) {
		out[0] = '\0';
		return BG_OK;
	}
	if (EVP_EncodeBlock((unsigned char *)out, in, (int)n) != (int)need - 1)
		return BG_EINTERNAL;
	return BG_OK;
}

static int
b64_is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Checks the shape of padded base64 and returns the decoded length in
 * *declen: a multiple of 4 characters from the standard alphabet, with
 * at most two '=' and only at the very end. -1 when malformed.
 */
static int
b64_shape(const char *in, size_t inlen, size_t *declen)
{
	size_t i, pad = 0;

	if (inlen % 4 != 0 || inlen > INT_MAX)
		return -1;
	if (inlen > 0 && in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	for (i = 0; i < inlen - pad; i++)
		if (!b64_is_alpha(in[i]))
			return -1;
	*declen = inlen / 4 * 3 - pad;
	return 0;
}

/*
 * Decodes in into the temporary tmp (inlen / 4 * 3 bytes) and checks that
 * re-encoding reproduces in exactly, which rejects non-zero pad bits.
 */
static int
b64_decode_canonical(const char *in, size_t inlen, uint8_t *tmp,
    size_t declen)
{
	char *re = NULL;
	size_t relen = inlen + 1;
	int r = BG_EFORMAT;

	if (EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)inlen) !=
	    (int)(inlen / 4 * 3))
		return BG_EFORMAT;
	if ((re = OPENSSL_malloc(relen)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_encode(tmp, declen, re, relen) != BG_OK)
		goto out;
	if (memcmp(re, in, inlen) != 0)
		goto out;
	r = BG_OK;
out:
	OPENSSL_clear_free(re, relen);
	return r;
}

/* Decodes the well-shaped in, of decoded length declen, into out. */
static int
b64_decode_into(const char *in, size_t inlen, uint8_t *out, size_t declen)
{
	uint8_t *tmp;
	size_t tmplen = inlen / 4 * 3;
	int r;

	if (inlen == 0)
		return BG_OK;
	if ((tmp = OPENSSL_malloc(tmplen)) == NULL)
		return BG_ENOMEM;
	if ((r = b64_decode_canonical(in, inlen, tmp, declen)) == BG_OK)
		memcpy(out, tmp, declen);
	OPENSSL_clear_free(tmp, tmplen);
	return r;
}

int
bg_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	size_t declen = 0;
	int r;

	if (in == NULL || out == NULL || outlen == NULL)
		return BG_EINVAL;
	*outlen = 0;
	if (b64_shape(in, inlen, &declen) != 0)
		return BG_EFORMAT;
	if (declen > outsz)
		return BG_ETOOBIG;
	if ((r = b64_decode_into(in, inlen, out, declen)) == BG_OK)
		*outlen = declen;
	return r;
}

int
bg_b64_decode_exact(const char *in, size_t inlen, uint8_t *out,
    size_t outlen)
{
	size_t declen = 0;

	if (in == NULL || out == NULL)
		return BG_EINVAL;
	if (b64_shape(in, inlen, &declen) != 0 || declen != outlen)
		return BG_EFORMAT;
	return b64_decode_into(in, inlen, out, declen);
}

int
bg_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (out == NULL || (in == NULL && n > 0))
		return BG_EINVAL;
	if (n > (SIZE_MAX - 1) / 2 || outsz < 2 * n + 1)
		return BG_ETOOBIG;
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
	return BG_OK;
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bg_hex_decode_exact(const char *in, size_t inlen, uint8_t *out,
    size_t outlen)
{
	size_t i;
	int hi, lo;

	if (in == NULL || out == NULL)
		return BG_EINVAL;
	if (inlen % 2 != 0 || inlen / 2 != outlen)
		return BG_EFORMAT;
	for (i = 0; i < outlen; i++) {
		hi = hex_nibble(in[2 * i]);
		lo = hex_nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			bg_wipe(out, outlen);	/* no partial secrets */
			return BG_EFORMAT;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return BG_OK;
}

size_t
bg_utf8_next(const uint8_t *p, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (p == NULL || len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, c = p[0] & 0x1fu, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, c = p[0] & 0x0fu, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, c = p[0] & 0x07u, min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}
