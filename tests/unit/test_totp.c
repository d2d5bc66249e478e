/*
 * tests/unit/test_totp.c: TOTP and the key URI of broker/secrets/totp.c.
 *
 * Codes equal every row of RFC 6238 Appendix B and RFC 4226 Appendix D as
 * shipped by pyca/cryptography (parsed from the files: the SHA256 seed is
 * 32 bytes, the SHA512 seed 64; RFC 4226's TRUNCATED column drops leading
 * zeros, so it is read as a number, not as 8 hex digits); seconds_left
 * at the period boundaries; an OpenSSL failure gives no code; base32 against RFC 4648 section 10 and round
 * trips; key URIs: valid variants, and malformed, truncated, duplicated,
 * bad base32, short secret, wrong scheme, hotp, bad digits and period all
 * refused with a reason that names the part and never holds the secret,
 * leaving the struct wiped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tests/unit/testutil.h"

#include "common/common.h"
#include "broker/secrets/secrets.h"

#define TWOFACTOR BG_VECTORS "/crypto_vectors/pyca_cryptography_vectors/" \
	"twofactor/"

/* RFC 6238 Appendix B seeds, base32 (RFC 4648 of the ASCII digits). */
#define SEED20_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
/* "Hello!\xde\xad\xbe\xef": Google's key URI example secret. */
#define HELLO_B32 "JBSWY3DPEHPK3PXP"
static const uint8_t hello_key[10] = { 'H', 'e', 'l', 'l', 'o', '!', 0xde,
	0xad, 0xbe, 0xef };

/* ------------------------------------------------------ vector records */

#define REC_MAX 8

/* One "KEY = VALUE" block of a pyca vector file. */
struct rec {
	char	k[REC_MAX][16];
	char	v[REC_MAX][160];
	int	n;
};

/*
 * Reads the next block at *cur (blocks end at a blank line; '#' lines are
 * comments). Returns 0 at the end of the text.
 */
static int
next_rec(char **cur, struct rec *r)
{
	char *line, *nl, *eq;

	memset(r, 0, sizeof(*r));
	while (**cur != '\0') {
		line = *cur;
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			*cur = nl + 1;
		} else
			*cur = line + strlen(line);
		if (line[0] == '#')
			continue;
		if (line[0] == '\0') {
			if (r->n > 0)
				return 1;
			continue;
		}
		assert_non_null(eq = strstr(line, " = "));
		assert_true(r->n < REC_MAX);
		assert_true((size_t)(eq - line) < sizeof(r->k[0]));
		assert_true(strlen(eq + 3) < sizeof(r->v[0]));
		memcpy(r->k[r->n], line, (size_t)(eq - line));
		strcpy(r->v[r->n], eq + 3);
		r->n++;
	}
	return r->n > 0;
}

static const char *
rec_get(const struct rec *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->k[i], key) == 0)
			return r->v[i];
	fail_msg("vector record without %s", key);
	return NULL;
}

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2;

	assert_true(n <= max && strlen(s) % 2 == 0);
	assert_int_equal(bg_hex_decode_exact(s, 2 * n, out, n), BG_OK);
	return n;
}

static void
set_key(struct bg_totp *t, const char *ascii, int alg, unsigned digits)
{
	memset(t, 0, sizeof(*t));
	t->key_len = strlen(ascii);
	assert_true(t->key_len <= sizeof(t->key));
	memcpy(t->key, ascii, t->key_len);
	t->alg = alg;
	t->digits = digits;
	t->period = 30;
}

/* ------------------------------------------------------------ vectors */

/* RFC 6238 Appendix B: all 18 rows, 8 digits, period 30, T0 = 0. */
static void
test_rfc6238(void **state)
{
	char *text = tu_read_file(TWOFACTOR "rfc-6238.txt", NULL), *cur = text;
	const char *mode, *want;
	struct bg_totp t;
	struct rec r;
	char code[16];
	unsigned left, rows = 0, seen[4] = { 0 };
	int alg = 0;

	(void)state;
	while (next_rec(&cur, &r)) {
		mode = rec_get(&r, "MODE");
		want = rec_get(&r, "TOTP");
		if (strcmp(mode, "SHA1") == 0)
			alg = BG_TOTP_SHA1;
		else if (strcmp(mode, "SHA256") == 0)
			alg = BG_TOTP_SHA256;
		else if (strcmp(mode, "SHA512") == 0)
			alg = BG_TOTP_SHA512;
		else
			fail_msg("unknown MODE %s", mode);
		set_key(&t, rec_get(&r, "SECRET"), alg, (unsigned)strlen(want));
		/* SOURCES.md: the seed is as long as the hash output */
		assert_int_equal(t.key_len, alg == BG_TOTP_SHA1 ? 20 :
		    alg == BG_TOTP_SHA256 ? 32 : 64);
		assert_int_equal(bg_totp_code(&t,
		    strtoull(rec_get(&r, "TIME"), NULL, 10), code, sizeof(code),
		    &left), BG_OK);
		assert_string_equal(code, want);
		assert_true(left >= 1 && left <= 30);
		seen[alg]++;
		rows++;
	}
	assert_int_equal(rows, 18);
	assert_int_equal(seen[BG_TOTP_SHA1], 6);
	assert_int_equal(seen[BG_TOTP_SHA256], 6);
	assert_int_equal(seen[BG_TOTP_SHA512], 6);
	bg_totp_wipe(&t);
	free(text);
}

/* HMAC-SHA1 computed here, independently of totp.c's EVP_MAC use. */
static void
hmac_sha1(const char *key, uint64_t counter, uint8_t mac[20])
{
	uint8_t msg[8];
	size_t len = 0;
	int i;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key,
	    strlen(key), msg, sizeof(msg), mac, 20, &len));
	assert_int_equal(len, 20);
}

/*
 * RFC 4226 Appendix D: the HMAC, the dynamic truncation and the 6-digit
 * HOTP of counters 0..9. TRUNCATED is printed without leading zeros
 * ("82fef30" is 0x082fef30), so it is compared as a number.
 */
static void
test_rfc4226(void **state)
{
	char *text = tu_read_file(TWOFACTOR "rfc-4226.txt", NULL), *cur = text;
	const char *trunc;
	uint8_t mac[20], want_mac[20];
	uint64_t counter;
	struct bg_totp t;
	struct rec r;
	char code[8], *end;
	unsigned rows = 0, short_trunc = 0;
	unsigned long want_trunc;

	(void)state;
	while (next_rec(&cur, &r)) {
		set_key(&t, rec_get(&r, "SECRET"), BG_TOTP_SHA1, 6);
		counter = strtoull(rec_get(&r, "COUNTER"), NULL, 10);
		assert_int_equal(unhex(rec_get(&r, "INTERMEDIATE"), want_mac,
		    sizeof(want_mac)), 20);
		hmac_sha1(rec_get(&r, "SECRET"), counter, mac);
		assert_memory_equal(mac, want_mac, 20);

		trunc = rec_get(&r, "TRUNCATED");
		if (strlen(trunc) < 8)
			short_trunc++;
		want_trunc = strtoul(trunc, &end, 16);
		assert_true(*end == '\0' && strlen(trunc) <= 8);
		assert_int_equal(bg_totp_truncate(want_mac, 20), want_trunc);

		assert_int_equal(bg_totp_hotp(&t, counter, code, sizeof(code)),
		    BG_OK);
		assert_string_equal(code, rec_get(&r, "HOTP"));
		assert_int_equal(want_trunc % 1000000,
		    strtoul(rec_get(&r, "HOTP"), NULL, 10));
		rows++;
	}
	assert_int_equal(rows, 10);
	assert_int_equal(short_trunc, 2);	/* counters 2 and 7 */
	bg_totp_wipe(&t);
	free(text);
}

/* A code lasts period seconds: 1..period left, new code at the boundary. */
static void
test_seconds_left(void **state)
{
	static const unsigned periods[] = { 15, 30, 60, 300 };
	struct bg_totp t;
	char a[16], b[16];
	unsigned left, i;
	uint64_t p, k;

	(void)state;
	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		set_key(&t, "12345678901234567890", BG_TOTP_SHA1, 6);
		t.period = periods[i];
		p = periods[i];
		for (k = 0; k < 4; k++) {
			assert_int_equal(bg_totp_code(&t, k * p, a, sizeof(a),
			    &left), BG_OK);
			assert_int_equal(left, p);
			assert_int_equal(bg_totp_code(&t, k * p + 1, b,
			    sizeof(b), &left), BG_OK);
			assert_int_equal(left, p - 1);
			assert_string_equal(a, b);
			assert_int_equal(bg_totp_code(&t, k * p + p - 1, b,
			    sizeof(b), &left), BG_OK);
			assert_int_equal(left, 1);
			assert_string_equal(a, b);
			/* the same counter through HOTP */
			assert_int_equal(bg_totp_hotp(&t, k, b, sizeof(b)),
			    BG_OK);
			assert_string_equal(a, b);
		}
		/* the code changes at the boundary (counters 0 and 1 differ) */
		assert_int_equal(bg_totp_code(&t, p - 1, a, sizeof(a), NULL),
		    BG_OK);
		assert_int_equal(bg_totp_code(&t, p, b, sizeof(b), NULL),
		    BG_OK);
		assert_string_not_equal(a, b);
	}
	/* RFC 6238 B, T = 59: the last second of counter 1 */
	set_key(&t, "12345678901234567890", BG_TOTP_SHA1, 8);
	assert_int_equal(bg_totp_code(&t, 59, a, sizeof(a), &left), BG_OK);
	assert_string_equal(a, "94287082");
	assert_int_equal(left, 1);
	/* the end of time does not overflow */
	assert_int_equal(bg_totp_code(&t, UINT64_MAX, a, sizeof(a), &left),
	    BG_OK);
	assert_int_equal(left, 30 - UINT64_MAX % 30);
	bg_totp_wipe(&t);
}

/* A struct out of range, or a short code buffer, is refused. */
static void
test_code_args(void **state)
{
	struct bg_totp t;
	char code[16];

	(void)state;
	set_key(&t, "12345678901234567890", BG_TOTP_SHA1, 6);
	assert_int_equal(bg_totp_code(&t, 0, code, 7, NULL), BG_OK);
	assert_int_equal(bg_totp_code(&t, 0, code, 6, NULL), BG_EINVAL);
	assert_int_equal(bg_totp_code(NULL, 0, code, 16, NULL), BG_EINVAL);
	assert_int_equal(bg_totp_code(&t, 0, NULL, 16, NULL), BG_EINVAL);
	t.period = 0;
	assert_int_equal(bg_totp_code(&t, 0, code, 16, NULL), BG_EINVAL);
	t.period = 301;
	assert_int_equal(bg_totp_code(&t, 0, code, 16, NULL), BG_EINVAL);
	t.period = 30, t.digits = 7;
	assert_int_equal(bg_totp_code(&t, 0, code, 16, NULL), BG_EINVAL);
	t.digits = 6, t.alg = 0;
	assert_int_equal(bg_totp_hotp(&t, 0, code, 16), BG_EINVAL);
	t.alg = BG_TOTP_SHA1, t.key_len = 9;
	assert_int_equal(bg_totp_hotp(&t, 0, code, 16), BG_EINVAL);
	t.key_len = 65;
	assert_int_equal(bg_totp_hotp(&t, 0, code, 16), BG_EINVAL);
	assert_int_equal(bg_totp_truncate(NULL, 20), 0);
	assert_int_equal(bg_totp_truncate((const uint8_t *)"short", 5), 0);
}

/* EVP_MAC_fetch (wrapped with --wrap) fails while this is set. */
static int mac_fail;

EVP_MAC *__real_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg,
    const char *props);
EVP_MAC *__wrap_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg,
    const char *props);

EVP_MAC *
__wrap_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props)
{
	return mac_fail ? NULL : __real_EVP_MAC_fetch(ctx, alg, props);
}

/* OpenSSL failing gives BG_ECRYPTO and no code. */
static void
test_mac_failure(void **state)
{
	struct bg_totp t;
	char code[16];

	(void)state;
	set_key(&t, "12345678901234567890123456789012", BG_TOTP_SHA256, 8);
	memset(code, 'x', sizeof(code));
	mac_fail = 1;
	assert_int_equal(bg_totp_code(&t, 59, code, sizeof(code), NULL),
	    BG_ECRYPTO);
	assert_string_equal(code, "");
	assert_non_null(strstr(bg_why(), "HMAC-SHA256"));
	assert_int_equal(bg_totp_hotp(&t, 1, code, sizeof(code)), BG_ECRYPTO);
	mac_fail = 0;
	assert_int_equal(bg_totp_code(&t, 59, code, sizeof(code), NULL),
	    BG_OK);
	assert_string_equal(code, "46119246");
	bg_totp_wipe(&t);
}

/* --------------------------------------------------------------- base32 */

/* RFC 4648 section 10, without the padding. */
static void
test_b32_rfc4648(void **state)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	char enc[32], lower[32];
	uint8_t dec[32];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(bg_totp_b32_encode((const uint8_t *)v[i][0],
		    strlen(v[i][0]), enc, sizeof(enc)), BG_OK);
		assert_string_equal(enc, v[i][1]);
		assert_int_equal(bg_totp_b32_decode(v[i][1], strlen(v[i][1]),
		    dec, sizeof(dec), &n), BG_OK);
		assert_int_equal(n, strlen(v[i][0]));
		assert_memory_equal(dec, v[i][0], n);
		for (k = 0; k <= strlen(v[i][1]); k++)
			lower[k] = (char)(v[i][1][k] >= 'A' && v[i][1][k] <= 'Z'
			    ? v[i][1][k] - 'A' + 'a' : v[i][1][k]);
		assert_int_equal(bg_totp_b32_decode(lower, strlen(lower), dec,
		    sizeof(dec), &n), BG_OK);
		assert_memory_equal(dec, v[i][0], n);
	}
	/* padded, or lengths no byte count has, or trailing bits set */
	assert_int_equal(bg_totp_b32_decode("MY======", 8, dec, 32, &n),
	    BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("M", 1, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("MZX", 3, dec, 32, &n),
	    BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("MZXW6Y", 6, dec, 32, &n),
	    BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("MZ", 2, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("MZXW6YTBOJ", 10, dec, 32, &n),
	    BG_EFORMAT);
	/* not the alphabet: 0, 1, 8, 9, space, NUL */
	assert_int_equal(bg_totp_b32_decode("M0", 2, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("M1", 2, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("8Y", 2, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("M ", 2, dec, 32, &n), BG_EFORMAT);
	assert_int_equal(bg_totp_b32_decode("M\0", 2, dec, 32, &n),
	    BG_EFORMAT);
	/* bounds */
	assert_int_equal(bg_totp_b32_decode("MZXW6", 5, dec, 2, &n),
	    BG_ETOOBIG);
	assert_int_equal(bg_totp_b32_encode((const uint8_t *)"foo", 3, enc, 5),
	    BG_ETOOBIG);
	assert_int_equal(bg_totp_b32_encode((const uint8_t *)"foo", 3, enc, 6),
	    BG_OK);
}

/* Every byte value and every length 0..64 survives encode/decode. */
static void
test_b32_roundtrip(void **state)
{
	uint8_t in[BG_TOTP_KEY_MAX], out[BG_TOTP_KEY_MAX];
	char enc[BG_TOTP_B32_MAX + 1];
	size_t n, len, i;
	int rep;

	(void)state;
	for (rep = 0; rep < 50; rep++) {
		for (n = 0; n <= BG_TOTP_KEY_MAX; n++) {
			if (rep < 4) {	/* all-0, all-1, counting, random */
				for (i = 0; i < n; i++)
					in[i] = rep == 0 ? 0 : rep == 1 ? 0xff :
					    (uint8_t)(i * 37 + n);
			} else if (n > 0)
				assert_int_equal(RAND_bytes(in, (int)n), 1);
			assert_int_equal(bg_totp_b32_encode(in, n, enc,
			    sizeof(enc)), BG_OK);
			assert_int_equal(strlen(enc), (n * 8 + 4) / 5);
			assert_int_equal(bg_totp_b32_decode(enc, strlen(enc),
			    out, sizeof(out), &len), BG_OK);
			assert_int_equal(len, n);
			assert_memory_equal(in, out, n);
		}
	}
}

/* ------------------------------------------------------------ key URIs */

static void
parse_ok(const char *uri, struct bg_totp *t)
{
	int r = bg_totp_parse_uri(uri, t);

	if (r != BG_OK)
		fail_msg("refused %s: %s (%s)", uri, bg_strerror(r), bg_why());
}

static void
test_uri_valid(void **state)
{
	static const uint8_t acme[20] = { 0x3d, 0xc6, 0xca, 0xa4, 0x82, 0x4a,
	    0x6d, 0x28, 0x87, 0x67, 0xb2, 0x33, 0x1e, 0x20, 0xb4, 0x31, 0x66,
	    0xcb, 0x85, 0xd9 };
	struct bg_totp t;
	char code[16];

	(void)state;
	/* the minimum: label and secret; defaults SHA1, 6, 30 */
	parse_ok("otpauth://totp/alice?secret=" HELLO_B32, &t);
	assert_int_equal(t.key_len, 10);
	assert_memory_equal(t.key, hello_key, 10);
	assert_int_equal(t.alg, BG_TOTP_SHA1);
	assert_int_equal(t.digits, 6);
	assert_int_equal(t.period, 30);
	assert_string_equal(t.label, "alice");
	assert_string_equal(t.issuer, "");

	/* Google's key URI examples */
	parse_ok("otpauth://totp/Example:alice@google.com?secret=" HELLO_B32
	    "&issuer=Example", &t);
	assert_string_equal(t.label, "Example:alice@google.com");
	assert_string_equal(t.issuer, "Example");
	parse_ok("otpauth://totp/ACME%20Co:john.doe@email.com?secret="
	    "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1"
	    "&digits=6&period=30", &t);
	assert_string_equal(t.label, "ACME Co:john.doe@email.com");
	assert_string_equal(t.issuer, "ACME Co");
	assert_int_equal(t.key_len, 20);
	assert_memory_equal(t.key, acme, 20);

	/* the issuer from the label's prefix alone; %3A colon; space after */
	parse_ok("otpauth://totp/Amazon%20Web%20Services%3A%20root@"
	    "123456789012?secret=" HELLO_B32, &t);
	assert_string_equal(t.issuer, "Amazon Web Services");
	assert_string_equal(t.label, "Amazon Web Services: root@123456789012");

	/* form-encoded issuer ('+' is a space) matching the label */
	parse_ok("otpauth://totp/ACME%20Co:x?issuer=ACME+Co&secret="
	    HELLO_B32, &t);
	assert_string_equal(t.issuer, "ACME Co");

	/* lower-case secret, other algorithms, digits, periods, any order,
	 * image ignored, UTF-8 label */
	parse_ok("otpauth://totp/caf%C3%A9?period=60&digits=8&algorithm=SHA256"
	    "&image=https://example.com/i.png&secret=jbswy3dpehpk3pxp", &t);
	assert_memory_equal(t.key, hello_key, 10);
	assert_int_equal(t.alg, BG_TOTP_SHA256);
	assert_int_equal(t.digits, 8);
	assert_int_equal(t.period, 60);
	assert_string_equal(t.label, "caf\xc3\xa9");
	parse_ok("otpauth://totp/x?secret=" HELLO_B32 "&algorithm=SHA512"
	    "&period=15", &t);
	assert_int_equal(t.alg, BG_TOTP_SHA512);
	assert_int_equal(t.period, 15);
	parse_ok("otpauth://totp/x?secret=" HELLO_B32 "&period=300", &t);
	assert_int_equal(t.period, 300);

	/* a parsed URI gives the RFC 6238 codes */
	parse_ok("otpauth://totp/rfc?secret=" SEED20_B32 "&digits=8", &t);
	assert_int_equal(bg_totp_code(&t, 1111111109, code, sizeof(code),
	    NULL), BG_OK);
	assert_string_equal(code, "07081804");
	parse_ok("otpauth://totp/rfc?secret=" SEED20_B32 "GEZDGNBVGY3TQOJQGEZA"
	    "&digits=8&algorithm=SHA256", &t);
	assert_int_equal(t.key_len, 32);
	assert_int_equal(bg_totp_code(&t, 1111111109, code, sizeof(code),
	    NULL), BG_OK);
	assert_string_equal(code, "68084774");

	/* the longest secret: 64 bytes, 103 characters */
	parse_ok("otpauth://totp/rfc?secret=" SEED20_B32 SEED20_B32 SEED20_B32
	    "GEZDGNA&digits=8&algorithm=SHA512", &t);
	assert_int_equal(t.key_len, 64);
	assert_int_equal(bg_totp_code(&t, 20000000000ULL, code, sizeof(code),
	    NULL), BG_OK);
	assert_string_equal(code, "47863826");
	bg_totp_wipe(&t);
}

struct bad_uri {
	const char	*uri;
	int		 err;
	const char	*why;	/* a word the reason must contain */
};

#define U "otpauth://totp/"
#define S "secret=" HELLO_B32

static const struct bad_uri bad_uris[] = {
	/* scheme and type */
	{ "", BG_EFORMAT, "otpauth://" },
	{ "http://totp/a?" S, BG_EFORMAT, "otpauth://" },
	{ "OTPAUTH://totp/a?" S, BG_EFORMAT, "otpauth://" },
	{ "otpauth:totp/a?" S, BG_EFORMAT, "otpauth://" },
	{ " otpauth://totp/a?" S, BG_EFORMAT, "otpauth://" },
	{ "otpauth://hotp/a?" S "&counter=0", BG_EFORMAT, "HOTP" },
	{ "otpauth://TOTP/a?" S, BG_EFORMAT, "otpauth://totp/" },
	{ "otpauth://totp", BG_EFORMAT, "otpauth://totp/" },
	{ "otpauth://totpx/a?" S, BG_EFORMAT, "otpauth://totp/" },
	/* label */
	{ U "?" S, BG_EFORMAT, "label" },
	{ U "a", BG_EFORMAT, "secret is missing" },
	{ U "a b?" S, BG_EFORMAT, "percent-encoded" },
	{ U "a/b?" S, BG_EFORMAT, "percent-encoded" },
	{ U "a%zz?" S, BG_EFORMAT, "hex digits" },
	{ U "a%2?" S, BG_EFORMAT, "hex digits" },
	{ U "a%?" S, BG_EFORMAT, "hex digits" },
	{ U "a%00b?" S, BG_EFORMAT, "control" },
	{ U "a%1b%5b2J?" S, BG_EFORMAT, "control" },
	{ U "a%7F?" S, BG_EFORMAT, "control" },
	{ U "a%C2%9B?" S, BG_EFORMAT, "control" },	/* C1 CSI */
	{ U "caf%C3?" S, BG_EFORMAT, "UTF-8" },
	{ U "%C0%AF?" S, BG_EFORMAT, "UTF-8" },	/* overlong '/' */
	{ U "%ED%A0%80?" S, BG_EFORMAT, "UTF-8" },	/* surrogate */
	{ U "caf\xc3\xa9?" S, BG_EFORMAT, "percent-encoded" },
	{ U "a:b:c?" S, BG_EFORMAT, "issuer:account" },
	{ U ":b?" S, BG_EFORMAT, "issuer:account" },
	{ U "a:?" S, BG_EFORMAT, "issuer:account" },
	{ U "a:%20%20?" S, BG_EFORMAT, "issuer:account" },
	{ U "A:x?" S "&issuer=B", BG_EFORMAT, "differs" },
	{ U "A:x?" S "&issuer=a", BG_EFORMAT, "differs" },
	/* parameters */
	{ U "a?", BG_EFORMAT, "key=value" },
	{ U "a?issuer=x", BG_EFORMAT, "secret parameter is missing" },
	{ U "a?image=x", BG_EFORMAT, "secret parameter is missing" },
	{ U "a?" S "&", BG_EFORMAT, "key=value" },
	{ U "a?&" S, BG_EFORMAT, "key=value" },
	{ U "a?" S "&&digits=6", BG_EFORMAT, "key=value" },
	{ U "a?" S "&digits", BG_EFORMAT, "key=value" },
	{ U "a?" S "&digits=", BG_EFORMAT, "key=value" },
	{ U "a?" S "&=6", BG_EFORMAT, "key=value" },
	{ U "a?secret=", BG_EFORMAT, "key=value" },
	{ U "a?" S "&" S, BG_EFORMAT, "\"secret\" is given twice" },
	{ U "a?" S "&digits=6&digits=6", BG_EFORMAT, "twice" },
	{ U "a?" S "&issuer=x&issuer=x", BG_EFORMAT, "twice" },
	{ U "a?" S "&image=x&image=y", BG_EFORMAT, "twice" },
	{ U "a?" S "&counter=0", BG_EFORMAT, "\"counter\"" },
	{ U "a?" S "&Digits=6", BG_EFORMAT, "\"Digits\"" },
	{ U "a?" S "&x%41=1", BG_EFORMAT, "unknown parameter" },
	{ U "a?" S "#frag", BG_EFORMAT, "percent-encoded" },
	{ U "a?" S "\n", BG_EFORMAT, "percent-encoded" },
	{ U "a?" S " ", BG_EFORMAT, "percent-encoded" },
	{ U "a?" S "&issuer=a%3Ab", BG_EFORMAT, "':'" },
	{ U "a?" S "&issuer=%0a", BG_EFORMAT, "control" },
	/* secret */
	{ U "a?secret=JBSWY3DP", BG_ERANGE, "bits" },	/* 40 bits */
	{ U "a?secret=JBSWY3DPEHPK3PX", BG_ERANGE, "bits" },	/* 72 bits */
	{ U "a?secret=JBSWY3DPEHPK3PXP=", BG_EFORMAT, "cut short" },
	{ U "a?secret=JBSWY3DPEHPK3PXP====", BG_EFORMAT, "padding" },
	{ U "a?secret=JBSWY3DPEHPK3PX1", BG_EFORMAT, "base32" },
	{ U "a?secret=JBSWY3DPEHPK3PX8", BG_EFORMAT, "base32" },
	{ U "a?secret=JBSWY3DP%45HPK3PXP", BG_EFORMAT, "base32" },
	{ U "a?secret=JBSWY3DP+EHPK3PXP", BG_EFORMAT, "cut short" },
	{ U "a?secret=JBSWY3DPEHPK3PXPJ", BG_EFORMAT, "cut short" },
	{ U "a?secret=JBSWY3DPEHPK3PXPJB", BG_EFORMAT, "trailing bits" },
	/* algorithm, digits, period */
	{ U "a?" S "&algorithm=MD5", BG_EFORMAT, "SHA1, SHA256 or SHA512" },
	{ U "a?" S "&algorithm=sha1", BG_EFORMAT, "SHA1, SHA256 or SHA512" },
	{ U "a?" S "&algorithm=SHA-256", BG_EFORMAT, "SHA1" },
	{ U "a?" S "&algorithm=SHA1%00", BG_EFORMAT, "SHA1" },
	{ U "a?" S "&digits=7", BG_ERANGE, "6 or 8" },
	{ U "a?" S "&digits=10", BG_ERANGE, "6 or 8" },
	{ U "a?" S "&digits=06", BG_EFORMAT, "6 or 8" },
	{ U "a?" S "&digits=6x", BG_EFORMAT, "6 or 8" },
	{ U "a?" S "&digits=-6", BG_EFORMAT, "6 or 8" },
	{ U "a?" S "&period=14", BG_ERANGE, "15 to 300" },
	{ U "a?" S "&period=301", BG_ERANGE, "15 to 300" },
	{ U "a?" S "&period=0", BG_EFORMAT, "15 to 300" },
	{ U "a?" S "&period=030", BG_EFORMAT, "15 to 300" },
	{ U "a?" S "&period=1000", BG_EFORMAT, "15 to 300" },
	{ U "a?" S "&period=+30", BG_EFORMAT, "15 to 300" },
	{ U "a?" S "&period=30s", BG_EFORMAT, "15 to 300" },
};

static void
assert_wiped(const struct bg_totp *t)
{
	static const struct bg_totp zero;

	assert_memory_equal(t, &zero, sizeof(zero));
}

static void
test_uri_refused(void **state)
{
	struct bg_totp t;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_uris) / sizeof(bad_uris[0]); i++) {
		memset(&t, 0xa5, sizeof(t));
		r = bg_totp_parse_uri(bad_uris[i].uri, &t);
		if (r != bad_uris[i].err ||
		    strstr(bg_why(), bad_uris[i].why) == NULL)
			fail_msg("%s: got %s (%s), want %s (\"%s\")",
			    bad_uris[i].uri, bg_strerror(r), bg_why(),
			    bg_strerror(bad_uris[i].err), bad_uris[i].why);
		assert_wiped(&t);
		/* the reason never shows the secret */
		assert_null(strstr(bg_why(), "JBSWY3DP"));
	}
}

/* Non-zero trailing bits and too-long secrets, built here. */
static void
test_uri_secret_bounds(void **state)
{
	char uri[512], b32[BG_TOTP_B32_MAX + 16];
	uint8_t key[BG_TOTP_KEY_MAX + 2];
	struct bg_totp t;
	size_t n;

	(void)state;
	assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
	for (n = 1; n <= BG_TOTP_KEY_MAX + 1; n++) {
		assert_int_equal(bg_totp_b32_encode(key, n, b32, sizeof(b32)),
		    BG_OK);
		snprintf(uri, sizeof(uri), U "a?secret=%s", b32);
		memset(&t, 0xa5, sizeof(t));
		if (n < BG_TOTP_KEY_MIN || n > BG_TOTP_KEY_MAX) {
			assert_int_equal(bg_totp_parse_uri(uri, &t), BG_ERANGE);
			assert_non_null(strstr(bg_why(), "bits"));
			assert_null(strstr(bg_why(), b32));
			assert_wiped(&t);
			continue;
		}
		parse_ok(uri, &t);
		assert_int_equal(t.key_len, n);
		assert_memory_equal(t.key, key, n);
		if (n % 5 == 0)
			continue;	/* no trailing bits to set */
		/* set the lowest trailing bit of the last character */
		b32[strlen(b32) - 1] = (char)(b32[strlen(b32) - 1] == 'Z' ? '2' :
		    b32[strlen(b32) - 1] == '7' ? 'A' :
		    b32[strlen(b32) - 1] + 1);
		snprintf(uri, sizeof(uri), U "a?secret=%s", b32);
		assert_int_equal(bg_totp_parse_uri(uri, &t), BG_EFORMAT);
		assert_wiped(&t);
	}
	bg_totp_wipe(&t);
}

/*
 * Every strict prefix of a URI whose secret comes last is refused (the
 * secret is missing or shorter than 80 bits), with a reason and *t wiped.
 */
static void
test_uri_truncated(void **state)
{
	static const char full[] = "otpauth://totp/ACME%20Co:alice@example"
	    ".com?issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
	    "&image=https%3A%2F%2Fexample.com%2Fi.png&secret=" HELLO_B32;
	char buf[sizeof(full)];
	struct bg_totp t;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(full) - 1; n++) {
		memcpy(buf, full, n);
		buf[n] = '\0';
		memset(&t, 0xa5, sizeof(t));
		assert_int_not_equal(bg_totp_parse_uri(buf, &t), BG_OK);
		assert_true(bg_why()[0] != '\0');
		assert_wiped(&t);
	}
	parse_ok(full, &t);
	assert_string_equal(t.issuer, "ACME Co");
	assert_int_equal(t.alg, BG_TOTP_SHA256);
	assert_int_equal(t.digits, 8);
	assert_int_equal(t.period, 60);
	bg_totp_wipe(&t);
}

static void
test_uri_limits(void **state)
{
	char *uri, label[200];
	struct bg_totp t;
	size_t n;

	(void)state;
	assert_int_equal(bg_totp_parse_uri(NULL, &t), BG_EINVAL);
	assert_int_equal(bg_totp_parse_uri(U "a?" S, NULL), BG_EINVAL);
	/* 2048 bytes are read; one more is too big */
	assert_non_null(uri = malloc(BG_TOTP_URI_MAX + 2));
	n = (size_t)snprintf(uri, BG_TOTP_URI_MAX + 2, U "a?" S "&image=");
	memset(uri + n, 'x', BG_TOTP_URI_MAX - n);
	uri[BG_TOTP_URI_MAX] = '\0';
	parse_ok(uri, &t);
	uri[BG_TOTP_URI_MAX] = 'x';
	uri[BG_TOTP_URI_MAX + 1] = '\0';
	assert_int_equal(bg_totp_parse_uri(uri, &t), BG_ETOOBIG);
	assert_wiped(&t);
	free(uri);
	/* a label of 127 bytes fits, 128 does not */
	memset(label, 'l', 127);
	label[127] = '\0';
	assert_non_null(uri = malloc(512));
	snprintf(uri, 512, U "%s?" S, label);
	parse_ok(uri, &t);
	assert_int_equal(strlen(t.label), 127);
	snprintf(uri, 512, U "%sl?" S, label);
	assert_int_equal(bg_totp_parse_uri(uri, &t), BG_ERANGE);
	assert_non_null(strstr(bg_why(), "label"));
	snprintf(uri, 512, U "a?" S "&issuer=%sl", label);
	assert_int_equal(bg_totp_parse_uri(uri, &t), BG_ERANGE);
	assert_non_null(strstr(bg_why(), "issuer"));
	free(uri);
}

/* A secret typed by a person: spaces ignored, otherwise strict. */
static void
test_from_base32(void **state)
{
	struct bg_totp t;

	(void)state;
	memset(&t, 0xa5, sizeof(t));
	assert_int_equal(bg_totp_from_base32("jbsw y3dp ehpk 3pxp", &t), BG_OK);
	assert_int_equal(t.key_len, 10);
	assert_memory_equal(t.key, hello_key, 10);
	assert_int_equal(t.alg, BG_TOTP_SHA1);
	assert_int_equal(t.digits, 6);
	assert_int_equal(t.period, 30);
	assert_string_equal(t.label, "");
	assert_string_equal(t.issuer, "");
	assert_int_equal(bg_totp_from_base32("  " HELLO_B32 "  ", &t), BG_OK);
	assert_memory_equal(t.key, hello_key, 10);

	assert_int_equal(bg_totp_from_base32("JBSW\tY3DPEHPK3PXP", &t),
	    BG_EFORMAT);
	assert_wiped(&t);
	assert_int_equal(bg_totp_from_base32(HELLO_B32 "\n", &t), BG_EFORMAT);
	assert_int_equal(bg_totp_from_base32(HELLO_B32 "====", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_totp_from_base32("JBSW-Y3DP-EHPK-3PXP", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_totp_from_base32("JBSW Y3DP", &t), BG_ERANGE);
	assert_int_equal(bg_totp_from_base32("    ", &t), BG_EFORMAT);
	assert_int_equal(bg_totp_from_base32("", &t), BG_EFORMAT);
	assert_int_equal(bg_totp_from_base32(NULL, &t), BG_EINVAL);
	assert_int_equal(bg_totp_from_base32(HELLO_B32, NULL), BG_EINVAL);
	assert_null(strstr(bg_why(), "JBSW"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238),
		cmocka_unit_test(test_rfc4226),
		cmocka_unit_test(test_seconds_left),
		cmocka_unit_test(test_code_args),
		cmocka_unit_test(test_mac_failure),
		cmocka_unit_test(test_b32_rfc4648),
		cmocka_unit_test(test_b32_roundtrip),
		cmocka_unit_test(test_uri_valid),
		cmocka_unit_test(test_uri_refused),
		cmocka_unit_test(test_uri_secret_bounds),
		cmocka_unit_test(test_uri_truncated),
		cmocka_unit_test(test_uri_limits),
		cmocka_unit_test(test_from_base32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
