/*
 * broker/secrets/totp.c: TOTP (RFC 6238) over HOTP (RFC 4226), RFC 4648 base32,
 * and the Google Authenticator key URI; secrets.h says what is accepted.
 *
 * The key is a secret: it is decoded straight into the caller's struct,
 * and the MAC and code temporaries are wiped. Neither OpenSSL nor libc
 * has base32, so it is here, small and strict.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "broker/secrets/secrets.h"

#define TOTP_MAC_MAX 64

/* ---------------------------------------------------------------- base32 */

/*
 * 0..31 for an RFC 4648 base32 letter of either case, -1 for any other
 * byte, without a branch on c: (x & y) >> 8 is -1 exactly when both
 * differences are negative, i.e. c is in the range.
 */
static int
b32_val(unsigned char ch)
{
	int c = ch, v = -1;

	v += ((('A' - 1 - c) & (c - 'Z' - 1)) >> 8) & (c - 'A' + 1);
	v += ((('a' - 1 - c) & (c - 'z' - 1)) >> 8) & (c - 'a' + 1);
	v += ((('2' - 1 - c) & (c - '7' - 1)) >> 8) & (c - '2' + 27);
	return v;
}

/* The letter of v (0..31), without a branch on v. */
static char
b32_char(unsigned v)
{
	int x = (int)v;

	return (char)('A' + x + (((25 - x) >> 8) & ('2' - 26 - 'A')));
}

/* Characters counted by the decoder: all, or all but spaces. */
static size_t
b32_count(const char *in, size_t inlen, int skip_spaces)
{
	size_t i, n = 0;

	for (i = 0; i < inlen; i++)
		if (!skip_spaces || in[i] != ' ')
			n++;
	return n;
}

/*
 * The byte count that n base32 characters encode, or (size_t)-1 when no
 * byte count encodes to n characters (n % 8 is 1, 3 or 6).
 */
static size_t
b32_declen(size_t n)
{
	switch (n % 8) {
	case 1:
	case 3:
	case 6:
		return (size_t)-1;
	default:
		return n / 8 * 5 + (n % 8) * 5 / 8;
	}
}

/*
 * Decodes the base32 characters of in (spaces skipped when asked) into
 * exactly declen bytes of out. 0, or -1 for a bad character or non-zero
 * trailing bits (out is then wiped).
 */
static int
b32_decode_into(const char *in, size_t inlen, int skip_spaces, uint8_t *out,
    size_t declen)
{
	uint32_t acc = 0, bits = 0;
	size_t i, k = 0;
	int v, bad = 0;

	for (i = 0; i < inlen; i++) {
		if (skip_spaces && in[i] == ' ')
			continue;
		v = b32_val((unsigned char)in[i]);
		bad |= v;
		acc = ((acc << 5) | ((uint32_t)v & 31)) & 0xfff;
		if ((bits += 5) >= 8) {
			bits -= 8;
			if (k < declen)
				out[k++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bad < 0 || acc != 0 || k != declen) {
		bg_wipe(out, declen);
		bad = -1;
	}
	bg_wipe(&acc, sizeof(acc));
	return bad < 0 ? -1 : 0;
}

int
bg_totp_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	uint32_t acc = 0, bits = 0;
	size_t i, k = 0;

	if (out == NULL || (in == NULL && n > 0))
		return BG_EINVAL;
	if (n > (SIZE_MAX - 5) / 8 || outsz < (n * 8 + 4) / 5 + 1)
		return BG_ETOOBIG;
	for (i = 0; i < n; i++) {
		acc = ((acc << 8) | in[i]) & 0xfff;
		for (bits += 8; bits >= 5; bits -= 5)
			out[k++] = b32_char((acc >> (bits - 5)) & 31);
	}
	if (bits > 0)
		out[k++] = b32_char((acc << (5 - bits)) & 31);
	out[k] = '\0';
	bg_wipe(&acc, sizeof(acc));
	return BG_OK;
}

/* Decodes with bg_why() set; the caller has cleared it. */
static int
b32_decode(const char *in, size_t inlen, int skip_spaces, uint8_t *out,
    size_t outsz, size_t *outlen)
{
	size_t n = b32_count(in, inlen, skip_spaces), declen;

	if ((declen = b32_declen(n)) == (size_t)-1) {
		bg_set_why("base32 text of %zu characters cannot encode whole "
		    "bytes (is it cut short?)", n);
		return BG_EFORMAT;
	}
	if (declen > outsz) {
		bg_set_why("base32 text decodes to more than %zu bytes", outsz);
		return BG_ETOOBIG;
	}
	if (b32_decode_into(in, inlen, skip_spaces, out, declen) != 0) {
		bg_set_why("not RFC 4648 base32: a character outside A-Z and "
		    "2-7 (padding '=' is not used), or non-zero trailing "
		    "bits");
		return BG_EFORMAT;
	}
	*outlen = declen;
	return BG_OK;
}

int
bg_totp_b32_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	bg_clear_why();
	if (in == NULL || out == NULL || outlen == NULL)
		return BG_EINVAL;
	*outlen = 0;
	return b32_decode(in, inlen, 0, out, outsz, outlen);
}

/* ------------------------------------------------------------------ HOTP */

static const char *
alg_digest(int alg)
{
	switch (alg) {
	case BG_TOTP_SHA1:
		return "SHA1";
	case BG_TOTP_SHA256:
		return "SHA256";
	case BG_TOTP_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

/* The fields a code depends on are in range. */
static int
totp_valid(const struct bg_totp *t)
{
	return t->key_len >= BG_TOTP_KEY_MIN && t->key_len <= BG_TOTP_KEY_MAX &&
	    alg_digest(t->alg) != NULL && (t->digits == 6 || t->digits == 8) &&
	    t->period >= BG_TOTP_PERIOD_MIN && t->period <= BG_TOTP_PERIOD_MAX;
}

/* HMAC(key, counter as 8 bytes big-endian) through EVP_MAC. */
static int
totp_mac(const struct bg_totp *t, uint64_t counter, uint8_t *mac,
    size_t *maclen)
{
	EVP_MAC *m;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM p[2];
	uint8_t msg[8];
	int i, ok;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)alg_digest(t->alg), 0);
	p[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL)
		ctx = EVP_MAC_CTX_new(m);
	ok = ctx != NULL && EVP_MAC_init(ctx, t->key, t->key_len, p) == 1 &&
	    EVP_MAC_update(ctx, msg, sizeof(msg)) == 1 &&
	    EVP_MAC_final(ctx, mac, maclen, TOTP_MAC_MAX) == 1 &&
	    *maclen >= 20;
	EVP_MAC_CTX_free(ctx);	/* cleanses the keyed state */
	EVP_MAC_free(m);
	bg_wipe(msg, sizeof(msg));
	if (!ok) {
		bg_wipe(mac, TOTP_MAC_MAX);
		bg_set_why("HMAC-%s failed in OpenSSL", alg_digest(t->alg));
	}
	return ok ? BG_OK : BG_ECRYPTO;
}

uint32_t
bg_totp_truncate(const uint8_t *mac, size_t maclen)
{
	size_t off;

	if (mac == NULL || maclen < 20)
		return 0;
	off = mac[maclen - 1] & 0xf;	/* RFC 4226 5.3 */
	return ((uint32_t)(mac[off] & 0x7f) << 24) |
	    ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	    (uint32_t)mac[off + 3];
}

/* HOTP of counter into code; t is valid and codesz > t->digits. */
static int
hotp(const struct bg_totp *t, uint64_t counter, char *code)
{
	uint8_t mac[TOTP_MAC_MAX];
	size_t maclen = 0;
	uint32_t v;
	unsigned i;
	int r;

	code[0] = '\0';
	if ((r = totp_mac(t, counter, mac, &maclen)) != BG_OK)
		return r;
	v = bg_totp_truncate(mac, maclen);
	for (i = t->digits; i > 0; i--) {
		code[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	code[t->digits] = '\0';
	bg_wipe(mac, sizeof(mac));
	bg_wipe(&v, sizeof(v));
	return BG_OK;
}

static int
code_args(const struct bg_totp *t, char *code, size_t codesz)
{
	if (t == NULL || code == NULL)
		return BG_EINVAL;
	if (!totp_valid(t)) {
		bg_set_why("TOTP parameters out of range (key length, "
		    "algorithm, digits or period)");
		return BG_EINVAL;
	}
	if (codesz <= t->digits) {
		bg_set_why("the code buffer holds fewer than %u digits and a "
		    "NUL", t->digits);
		return BG_EINVAL;
	}
	return BG_OK;
}

int
bg_totp_hotp(const struct bg_totp *t, uint64_t counter, char *code,
    size_t codesz)
{
	int r;

	bg_clear_why();
	if ((r = code_args(t, code, codesz)) != BG_OK)
		return r;
	return hotp(t, counter, code);
}

int
bg_totp_code(const struct bg_totp *t, uint64_t unix_time, char *code,
    size_t codesz, unsigned *seconds_left)
{
	int r;

	bg_clear_why();
	if ((r = code_args(t, code, codesz)) != BG_OK)
		return r;
	/* RFC 6238 4.2: T = (time - T0) / X, T0 = 0 */
	if ((r = hotp(t, unix_time / t->period, code)) != BG_OK)
		return r;
	if (seconds_left != NULL)
		*seconds_left = t->period - (unsigned)(unix_time % t->period);
	return BG_OK;
}

void
bg_totp_wipe(struct bg_totp *t)
{
	if (t != NULL)
		bg_wipe(t, sizeof(*t));
}

/* ----------------------------------------------------------- the secret */

/*
 * Decodes a secret into t->key: 10..64 bytes. Range errors are told
 * before character errors so a short paste says "short".
 */
static int
secret_decode(const char *in, size_t inlen, int skip_spaces,
    struct bg_totp *t)
{
	size_t n = b32_count(in, inlen, skip_spaces), declen;

	if (n == 0) {
		bg_set_why("the secret is empty");
		return BG_EFORMAT;
	}
	declen = b32_declen(n);
	if (declen != (size_t)-1 && (declen < BG_TOTP_KEY_MIN ||
	    declen > BG_TOTP_KEY_MAX)) {
		bg_set_why("the secret has %zu bits; %d to %d bits (%d to %d "
		    "base32 characters) are required", declen * 8,
		    BG_TOTP_KEY_MIN * 8, BG_TOTP_KEY_MAX * 8,
		    (BG_TOTP_KEY_MIN * 8 + 4) / 5, (BG_TOTP_KEY_MAX * 8 + 4) / 5);
		return BG_ERANGE;
	}
	return b32_decode(in, inlen, skip_spaces, t->key, sizeof(t->key),
	    &t->key_len);
}

/* Wipes *t and sets the defaults of the key URI format. */
static void
totp_defaults(struct bg_totp *t)
{
	bg_totp_wipe(t);
	t->alg = BG_TOTP_SHA1;
	t->digits = BG_TOTP_DIGITS_DEFAULT;
	t->period = BG_TOTP_PERIOD_DEFAULT;
}

int
bg_totp_from_base32(const char *b32, struct bg_totp *t)
{
	size_t len;
	int r;

	bg_clear_why();
	if (t == NULL)
		return BG_EINVAL;
	totp_defaults(t);
	if (b32 == NULL)
		return BG_EINVAL;
	if ((len = strnlen(b32, BG_TOTP_URI_MAX + 1)) > BG_TOTP_URI_MAX) {
		bg_set_why("the secret is longer than %d characters",
		    BG_TOTP_URI_MAX);
		r = BG_ETOOBIG;
	} else
		r = secret_decode(b32, len, 1, t);
	if (r != BG_OK)
		bg_totp_wipe(t);
	return r;
}

/* ------------------------------------------------------------- key URI */

/* RFC 3986 pchar, with '%' (escapes are checked when decoding). */
static int
is_pchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("-._~!$&'()*+,;=:@%", c) != NULL);
}

/* Well-formed UTF-8 without C0, DEL or C1 control characters. */
static int
utf8_printable(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t i, len;

	/* no C0 or C1 control, no DEL */
	for (i = 0; i < n; i += len)
		if ((len = bg_utf8_next(s + i, n - i, &cp)) == 0 || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f))
			return 0;
	return 1;
}

/*
 * Percent-decodes in[0..n) (a '+' is a space when form is set) into out
 * as a NUL-terminated string; what names the part for bg_why().
 */
static int
text_decode(const char *in, size_t n, int form, char *out, size_t outsz,
    const char *what)
{
	size_t i, k = 0;
	uint8_t byte;

	for (i = 0; i < n; i++) {
		if (k + 1 >= outsz) {
			bg_set_why("the %s is longer than %zu bytes", what,
			    outsz - 1);
			return BG_ERANGE;
		}
		if (in[i] == '%') {
			if (n - i < 3 || bg_hex_decode_exact(in + i + 1, 2,
			    &byte, 1) != BG_OK) {
				bg_set_why("the %s has a '%%' not followed by "
				    "two hex digits", what);
				return BG_EFORMAT;
			}
			out[k++] = (char)byte;
			i += 2;
		} else
			out[k++] = form && in[i] == '+' ? ' ' : in[i];
	}
	out[k] = '\0';
	if (!utf8_printable((const unsigned char *)out, k)) {
		bg_set_why("the %s is not UTF-8 text without control "
		    "characters", what);
		return BG_EFORMAT;
	}
	return BG_OK;
}

/*
 * The label: "account" or "issuer:account" (spaces allowed after the
 * colon). *prefix_len receives the issuer prefix's length, 0 if none.
 */
static int
parse_label(const char *s, size_t n, struct bg_totp *t, size_t *prefix_len)
{
	const char *colon;
	size_t i;
	int r;

	*prefix_len = 0;
	for (i = 0; i < n; i++)
		if (!is_pchar(s[i])) {
			bg_set_why("the label has a character that must be "
			    "percent-encoded (RFC 3986)");
			return BG_EFORMAT;
		}
	if ((r = text_decode(s, n, 0, t->label, sizeof(t->label),
	    "label")) != BG_OK)
		return r;
	if (t->label[0] == '\0') {
		bg_set_why("the label (account name) is missing");
		return BG_EFORMAT;
	}
	if ((colon = strchr(t->label, ':')) == NULL)
		return BG_OK;
	i = strspn(colon + 1, " ");
	if (strchr(colon + 1, ':') != NULL || colon == t->label ||
	    colon[1 + i] == '\0') {
		bg_set_why("the label must be \"account\" or \"issuer:account\""
		    " with neither part empty or holding a ':'");
		return BG_EFORMAT;
	}
	*prefix_len = (size_t)(colon - t->label);
	return BG_OK;
}

/* A decimal of 1..3 digits without a leading zero. */
static int
parse_small_uint(const char *s, size_t n, unsigned *out)
{
	size_t i;

	if (n == 0 || n > 3 || s[0] == '0')
		return -1;
	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static int
param_alg(const char *v, size_t n, struct bg_totp *t)
{
	static const int algs[] = { BG_TOTP_SHA1, BG_TOTP_SHA256,
	    BG_TOTP_SHA512 };
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(alg_digest(algs[i])) == n &&
		    memcmp(alg_digest(algs[i]), v, n) == 0) {
			t->alg = algs[i];
			return BG_OK;
		}
	bg_set_why("algorithm must be SHA1, SHA256 or SHA512");
	return BG_EFORMAT;
}

static int
param_digits(const char *v, size_t n, struct bg_totp *t)
{
	if (parse_small_uint(v, n, &t->digits) != 0) {
		bg_set_why("digits must be 6 or 8");
		return BG_EFORMAT;
	}
	if (t->digits != 6 && t->digits != 8) {
		bg_set_why("digits must be 6 or 8, not %u", t->digits);
		return BG_ERANGE;
	}
	return BG_OK;
}

static int
param_period(const char *v, size_t n, struct bg_totp *t)
{
	if (parse_small_uint(v, n, &t->period) != 0) {
		bg_set_why("period must be a number of seconds, %d to %d",
		    BG_TOTP_PERIOD_MIN, BG_TOTP_PERIOD_MAX);
		return BG_EFORMAT;
	}
	if (t->period < BG_TOTP_PERIOD_MIN || t->period > BG_TOTP_PERIOD_MAX) {
		bg_set_why("period must be %d to %d seconds, not %u",
		    BG_TOTP_PERIOD_MIN, BG_TOTP_PERIOD_MAX, t->period);
		return BG_ERANGE;
	}
	return BG_OK;
}

static int
param_issuer(const char *v, size_t n, struct bg_totp *t)
{
	int r;

	if ((r = text_decode(v, n, 1, t->issuer, sizeof(t->issuer),
	    "issuer")) != BG_OK)
		return r;
	if (strchr(t->issuer, ':') != NULL) {
		bg_set_why("the issuer may not contain a ':'");
		return BG_EFORMAT;
	}
	return BG_OK;
}

enum { P_SECRET, P_ISSUER, P_ALGORITHM, P_DIGITS, P_PERIOD, P_IMAGE, P_N };

static const char *const param_names[P_N] = {
	"secret", "issuer", "algorithm", "digits", "period", "image",
};

/* Names an unknown key when it is short and plain, so it is safe to show. */
static void
why_unknown(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < n && n <= 32; i++)
		if (!(k[i] >= 'a' && k[i] <= 'z') &&
		    !(k[i] >= 'A' && k[i] <= 'Z') && !(k[i] >= '0' && k[i] <= '9'))
			break;
	if (i == n && n <= 32)
		bg_set_why("unknown parameter \"%.*s\" (known: secret, issuer, "
		    "algorithm, digits, period, image)", (int)n, k);
	else
		bg_set_why("unknown parameter (known: secret, issuer, "
		    "algorithm, digits, period, image)");
}

/* One key=value pair; *seen has a bit per parameter already given. */
static int
parse_param(const char *s, size_t n, struct bg_totp *t, unsigned *seen)
{
	const char *eq = memchr(s, '=', n), *v;
	size_t kn, vn;
	int p;

	if (eq == NULL || eq == s || eq == s + n - 1) {
		bg_set_why("a parameter is not of the form key=value");
		return BG_EFORMAT;
	}
	kn = (size_t)(eq - s), v = eq + 1, vn = n - kn - 1;
	for (p = 0; p < P_N; p++)
		if (strlen(param_names[p]) == kn &&
		    memcmp(param_names[p], s, kn) == 0)
			break;
	if (p == P_N) {
		why_unknown(s, kn);
		return BG_EFORMAT;
	}
	if (*seen & (1u << p)) {
		bg_set_why("parameter \"%s\" is given twice", param_names[p]);
		return BG_EFORMAT;
	}
	*seen |= 1u << p;
	switch (p) {
	case P_SECRET:
		return secret_decode(v, vn, 0, t);
	case P_ISSUER:
		return param_issuer(v, vn, t);
	case P_ALGORITHM:
		return param_alg(v, vn, t);
	case P_DIGITS:
		return param_digits(v, vn, t);
	case P_PERIOD:
		return param_period(v, vn, t);
	default:
		return BG_OK;	/* image: an icon, nothing to check */
	}
}

/* The query: '&'-separated pairs; RFC 3986 query characters only. */
static int
parse_query(const char *s, size_t n, struct bg_totp *t, unsigned *seen)
{
	const char *amp;
	size_t i, len;
	int r;

	for (i = 0; i < n; i++)
		if (!is_pchar(s[i]) && s[i] != '/' && s[i] != '?') {
			bg_set_why("the parameters have a character that must "
			    "be percent-encoded (RFC 3986: space, '#', ...)");
			return BG_EFORMAT;
		}
	for (;;) {
		amp = memchr(s, '&', n);
		len = amp != NULL ? (size_t)(amp - s) : n;
		if ((r = parse_param(s, len, t, seen)) != BG_OK)
			return r;
		if (amp == NULL)
			return BG_OK;
		s += len + 1, n -= len + 1;
	}
}

/* "otpauth://totp/"; *rest receives what follows. */
static int
parse_prefix(const char *uri, size_t len, const char **rest)
{
	static const char scheme[] = "otpauth://";
	const size_t sl = sizeof(scheme) - 1;

	if (len < sl || memcmp(uri, scheme, sl) != 0) {
		bg_set_why("not an otpauth:// URI");
		return BG_EFORMAT;
	}
	if (len - sl >= 5 && memcmp(uri + sl, "hotp/", 5) == 0) {
		bg_set_why("an HOTP (counter-based) URI: only TOTP is "
		    "supported");
		return BG_EFORMAT;
	}
	if (len - sl < 5 || memcmp(uri + sl, "totp/", 5) != 0) {
		bg_set_why("the URI must start with otpauth://totp/");
		return BG_EFORMAT;
	}
	*rest = uri + sl + 5;
	return BG_OK;
}

/* Issuer parameter and label prefix agree; the prefix fills a gap. */
static int
check_issuer(struct bg_totp *t, size_t prefix_len, unsigned seen)
{
	if (prefix_len == 0)
		return BG_OK;
	if (!(seen & (1u << P_ISSUER))) {
		memcpy(t->issuer, t->label, prefix_len);
		t->issuer[prefix_len] = '\0';
		return BG_OK;
	}
	if (strlen(t->issuer) != prefix_len ||
	    memcmp(t->issuer, t->label, prefix_len) != 0) {
		bg_set_why("the issuer parameter differs from the label's "
		    "issuer prefix");
		return BG_EFORMAT;
	}
	return BG_OK;
}

int
bg_totp_parse_uri(const char *uri, struct bg_totp *t)
{
	const char *p, *q, *end;
	size_t len, prefix_len;
	unsigned seen = 0;
	int r;

	bg_clear_why();
	if (t == NULL)
		return BG_EINVAL;
	totp_defaults(t);
	if (uri == NULL)
		return BG_EINVAL;
	if ((len = strnlen(uri, BG_TOTP_URI_MAX + 1)) > BG_TOTP_URI_MAX) {
		bg_set_why("the URI is longer than %d bytes", BG_TOTP_URI_MAX);
		r = BG_ETOOBIG;
		goto out;
	}
	end = uri + len;
	if ((r = parse_prefix(uri, len, &p)) != BG_OK)
		goto out;
	if ((q = memchr(p, '?', (size_t)(end - p))) == NULL) {
		bg_set_why("the URI has no parameters: secret is missing");
		r = BG_EFORMAT;
		goto out;
	}
	if ((r = parse_label(p, (size_t)(q - p), t, &prefix_len)) != BG_OK ||
	    (r = parse_query(q + 1, (size_t)(end - q - 1), t, &seen)) != BG_OK ||
	    (r = check_issuer(t, prefix_len, seen)) != BG_OK)
		goto out;
	if (!(seen & (1u << P_SECRET))) {
		bg_set_why("the secret parameter is missing");
		r = BG_EFORMAT;
	}
 out:
	if (r != BG_OK)
		bg_totp_wipe(t);
	return r;
}

/* ============================================================ sealed form */

int
bg_totp_pack(const struct bg_totp *t, uint8_t *out, size_t *len)
{
	if (!totp_valid(t))
		return BG_EINVAL;
	out[0] = (uint8_t)t->alg;
	out[1] = (uint8_t)t->digits;
	out[2] = (uint8_t)(t->period >> 8);
	out[3] = (uint8_t)t->period;
	memcpy(out + 4, t->key, t->key_len);
	*len = 4 + t->key_len;
	return BG_OK;
}

int
bg_totp_unpack(const uint8_t *in, size_t len, struct bg_totp *t)
{
	bg_totp_wipe(t);
	if (len < 4 + BG_TOTP_KEY_MIN || len > BG_TOTP_PACKED_MAX)
		return BG_EFORMAT;
	t->alg = in[0];
	t->digits = in[1];
	t->period = (unsigned)in[2] << 8 | in[3];
	t->key_len = len - 4;
	memcpy(t->key, in + 4, t->key_len);
	if (!totp_valid(t)) {
		bg_totp_wipe(t);
		return BG_EFORMAT;
	}
	return BG_OK;
}
