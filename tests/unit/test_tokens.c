/*
 * tests/unit/test_tokens.c: the token drivers (tokens/token.h) against the
 * software tokens of tests/virtual, through the real libfido2 and the real
 * libykpers (docs/design.md §8).
 *
 * Only the public tokens API is driven; the emulator APIs build fixtures,
 * turn knobs and compute expected values on their own code paths, so every
 * key the driver returns is compared with one computed without it:
 *   FIDO2:   bg_token_derive(id, bg_vfido_expected_hmac(cred_id, uv, salt))
 *   YubiKey: bg_token_derive(id, HMAC-SHA1(slot key, challenge))
 * (libfido2 says FIDO_OK even when an hmac-secret output is wrong, so a
 * success code alone proves nothing.)
 *
 * Each test gets a fresh BG_VIRTUAL_DIR (mkdtemp), read by the in-process
 * FIDO2 manifest interposer (preload.c) and by the fake libusb (bg_vyk_usb).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "tokens/token.h"
#include "broker/cli/cli.h"
#include "vfido.h"
#include "vyk.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define PIN		"246810"
#define WRONG_PIN	"135790"
#define FLAGS_OFF	(2 + 32)	/* CBOR 0x58 len, rpIdHash */
#define FLAG_UP		0x01
#define FLAG_UV		0x04
#define CRED_MAX	1100
#define SERIAL_A	1001u
#define SERIAL_B	1002u

#define BASE_MAX	256
#define PATH_LEN	512	/* BASE_MAX and a file name */

static char base[BASE_MAX];

/* ------------------------------------------------------------ fixture */

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(base, sizeof(base), "%s/bg_test_tokens.XXXXXX",
	    tmp) >= sizeof(base) || mkdtemp(base) == NULL)
		return -1;
	return setenv("BG_VIRTUAL_DIR", base, 1);
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv("BG_VIRTUAL_DIR");
	return tu_rm_rf(base);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ------------------------------------------------------------ emulators */

/* OpenSSL's own Ed25519 verification, without tokens/: 1 when it accepts. */
static int
openssl_ed25519_verify(const uint8_t pub[32], const uint8_t sig[64],
    const uint8_t *msg, size_t len)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = pk != NULL && ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL,
	    NULL, NULL, NULL, pk, NULL) == 1 && EVP_DigestVerify(ctx, sig, 64,
	    msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

static void
vf_create(const char *name, const char *pin)
{
	if (bg_vfido_create(base, name, pin) != 0)
		fail_msg("vfido create %s: %s", name, bg_vfido_error());
}

static void
vf_knob(const char *name, const char *knob, int on)
{
	if (bg_vfido_set_knob(base, name, knob, on) != 0)
		fail_msg("vfido knob %s: %s", knob, bg_vfido_error());
}

static unsigned
vf_touches(const char *name)
{
	unsigned n = 0;

	assert_int_equal(bg_vfido_touches(base, name, &n), 0);
	return n;
}

static int
vf_retries(const char *name)
{
	int n = -1;

	assert_int_equal(bg_vfido_pin_retries(base, name, &n), 0);
	return n;
}

static void
vk_create(unsigned serial)
{
	assert_int_equal(bg_vyk_create(base, serial), BG_OK);
}

static void
vk_knob(unsigned serial, const char *knob, int on)
{
	assert_int_equal(bg_vyk_set_knob(base, serial, knob, on), BG_OK);
}

static long
vk_touches(unsigned serial)
{
	long n = bg_vyk_touches(base, serial);

	assert_true(n >= 0);
	return n;
}

/* ------------------------------------------------------------ helpers */

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* descriptors carry lower-case hex */
}

static void
unhex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	assert_int_equal(strlen(s), 2 * len);
	for (i = 0; i < len; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

/* Standard base64 with padding, decoded by OpenSSL, not by common/. */
static size_t
unb64(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), pad = 0;
	uint8_t *tmp;
	int got;

	assert_int_equal(n % 4, 0);
	if ((tmp = malloc(n / 4 * 3 + 1)) == NULL)
		fail_msg("out of memory");
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	assert_true(got >= 0);
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	assert_true((size_t)got >= pad && (size_t)got - pad <= max);
	memcpy(out, tmp, (size_t)got - pad);
	free(tmp);
	return (size_t)got - pad;
}

static char *
b64(const uint8_t *p, size_t len)
{
	char *s = malloc(len / 3 * 4 + 8);

	assert_non_null(s);
	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	return s;
}

/* b64() into a static buffer, for cJSON_CreateString (which copies). */
static const char *
b64s(const uint8_t *p, size_t len)
{
	static char out[1024];

	assert_true(len / 3 * 4 + 8 <= sizeof(out));
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

static const char *
jstr(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	if (!cJSON_IsString(v))
		fail_msg("descriptor has no string \"%s\"", key);
	return v->valuestring;
}

static size_t
jb64(const cJSON *j, const char *key, uint8_t *out, size_t max)
{
	return unb64(jstr(j, key), out, max);
}

static void
jset_str(cJSON *j, const char *key, const char *val)
{
	assert_true(cJSON_ReplaceItemInObjectCaseSensitive(j, key,
	    cJSON_CreateString(val)));
}

static void
jset_b64(cJSON *j, const char *key, const uint8_t *p, size_t len)
{
	char *s = b64(p, len);

	jset_str(j, key, s);
	free(s);
}

static cJSON *
to_json(const bg_token_desc_t *d)
{
	cJSON *j = NULL;

	assert_int_equal(bg_token_desc_to_json(d, &j), BG_OK);
	assert_non_null(j);
	return j;
}

static char *
to_text(const bg_token_desc_t *d)
{
	cJSON *j = to_json(d);
	char *s = cJSON_PrintUnformatted(j);

	assert_non_null(s);
	cJSON_Delete(j);
	return s;
}

/* Parses j into a descriptor; returns the code, *d NULL on failure. */
static int
from_json(const cJSON *j, bg_token_desc_t **d)
{
	int r;

	*d = (bg_token_desc_t *)(uintptr_t)1;	/* must be reset */
	r = bg_token_desc_from_json(j, d);
	if (r != BG_OK)
		assert_null(*d);
	return r;
}

static bg_token_desc_t *
must_from_json(const cJSON *j)
{
	bg_token_desc_t *d = NULL;
	int r = from_json(j, &d);

	if (r != BG_OK)
		fail_msg("descriptor rejected: %s (%s)", bg_strerror(r), bg_why());
	return d;
}

static struct bg_token_opts
opts(void)
{
	return bg_token_opts_default();
}

/* A pipe holding the PIN `times` times, one per line, write end closed:
 * a read beyond them sees EOF (an empty PIN), never blocks. */
static int
pin_pipe(const char *pin, int times)
{
	char line[80];
	int p[2], i, n;

	assert_int_equal(pipe(p), 0);
	n = snprintf(line, sizeof(line), "%s\n", pin);
	for (i = 0; i < times; i++)
		assert_int_equal(write(p[1], line, (size_t)n), n);
	close(p[1]);
	return p[0];
}

/* Every PIN line written was read, no more. */
static void
pin_drained(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 0);
	close(fd);
}

static bg_token_desc_t *
enroll(enum bg_token_kind kind, const struct bg_token_opts *o)
{
	bg_token_desc_t *d = NULL;
	int r = bg_token_enroll(kind, o, &d);

	if (r != BG_OK)
		fail_msg("enrollment: %s (%s)", bg_strerror(r), bg_why());
	assert_non_null(d);
	return d;
}

static bg_token_key_t *
unlock(const bg_token_desc_t *d, const struct bg_token_opts *o)
{
	bg_token_key_t *k = NULL;
	int r = bg_token_unlock(d, o, &k);

	if (r != BG_OK)
		fail_msg("unlock: %s (%s)", bg_strerror(r), bg_why());
	assert_non_null(k);
	return k;
}

/* The code of a failing unlock; the key must stay NULL. */
static int
unlock_err(const bg_token_desc_t *d, const struct bg_token_opts *o)
{
	bg_token_key_t *k = (bg_token_key_t *)(uintptr_t)1;
	int r = bg_token_unlock(d, o, &k);

	if (r == BG_OK)
		bg_token_key_free(&k);
	assert_int_not_equal(r, BG_OK);
	assert_null(k);
	return r;
}

#define assert_err(got, want) do {					\
	int got_ = (got), want_ = (want);				\
	if (got_ != want_)						\
		fail_msg("%s: got %d (%s), want %d (%s); why: %s", #got,	\
		    got_, bg_strerror(got_), want_, bg_strerror(want_),	\
		    bg_why());						\
} while (0)

/*
 * The hmac-secret a correct device gives for d, computed without the
 * driver: cred_id, salt and id from the descriptor JSON, the output from
 * the emulator's own computation.
 */
static void
fido2_expected_secret(const char *name, const bg_token_desc_t *d, int uv,
    uint8_t secret[32], uint8_t id[16])
{
	uint8_t *cred = malloc(CRED_MAX), salt[32];
	cJSON *j = to_json(d);
	size_t clen;

	assert_non_null(cred);
	clen = jb64(j, "cred_id", cred, CRED_MAX);
	assert_int_equal(jb64(j, "salt", salt, sizeof(salt)), 32);
	unhex(jstr(j, "id"), id, 16);
	if (bg_vfido_expected_hmac(base, name, cred, clen, uv, salt,
	    secret) != 0)
		fail_msg("expected hmac: %s", bg_vfido_error());
	cJSON_Delete(j);
	free(cred);
}

/* ... and the key: HKDF and X25519 from bg_token_derive(). */
static void
fido2_expected(const char *name, const bg_token_desc_t *d, int uv,
    uint8_t priv[32], uint8_t pub[32])
{
	uint8_t secret[32], id[16];

	fido2_expected_secret(name, d, uv, secret, id);
	assert_int_equal(bg_token_derive(id, secret, 32, priv, pub), BG_OK);
}

static void
assert_fido2_key(const char *name, const bg_token_desc_t *d, int uv,
    const bg_token_key_t *k)
{
	uint8_t priv[32], pub[32];

	fido2_expected(name, d, uv, priv, pub);
	assert_non_null(bg_token_key_bytes(k));
	assert_memory_equal(bg_token_key_bytes(k), priv, 32);
	assert_memory_equal(bg_token_desc_public(d), pub, 32);
}

/* Descriptor j with one edit applied, parsed (must parse). */
static bg_token_desc_t *
edited(const bg_token_desc_t *d, const char *key, const char *val)
{
	cJSON *j = to_json(d);
	bg_token_desc_t *e;

	jset_str(j, key, val);
	e = must_from_json(j);
	cJSON_Delete(j);
	return e;
}

struct prompts {
	int n;
	char last[160];
	const char *dev;	/* FIDO2 device to pull at the first prompt */
	const char *knob;
};

static void
on_prompt(void *ctx, const char *msg)
{
	struct prompts *p = ctx;

	p->n++;
	snprintf(p->last, sizeof(p->last), "%s", msg);
	if (p->knob != NULL && p->n == 1)
		vf_knob(p->dev, p->knob, 1);
}

/* ---------------------------------------------------------- derivation */

/* Known answers computed with Python hmac + the openssl CLI. */
static void
test_derive_known_answers(void **state)
{
	static const struct {
		uint8_t first, len;
		const char *priv, *pub;
	} v[] = {
		{ 0x01, 32,
		  "aebc41c8b41fddb89f545d84a91945c3c4961061fcf73fc5d734dc42ced72fb3",
		  "573901d5cba2413da9ac0a158609413db7b94578505b75c14cae457c2ca24c43" },
		{ 0x40, 20,
		  "774afd272ff5ae3029b4fd10345892b9d7350ca6fa30477ba87f74c7670b8830",
		  "4c9a855432ef51fb3ec03631fb14ef9c51eaaf3cdb5163f237dfa716b2e8f94d" },
	};
	uint8_t id[16], secret[32], priv[32], pub[32], want[32];
	size_t i, b;

	(void)state;
	for (b = 0; b < sizeof(id); b++)
		id[b] = (uint8_t)(0xa0 + b);
	for (i = 0; i < NELEM(v); i++) {
		for (b = 0; b < v[i].len; b++)
			secret[b] = (uint8_t)(v[i].first + b);
		assert_int_equal(bg_token_derive(id, secret, v[i].len, priv, pub),
		    BG_OK);
		unhex(v[i].priv, want, 32);
		assert_memory_equal(priv, want, 32);
		unhex(v[i].pub, want, 32);
		assert_memory_equal(pub, want, 32);
	}
	assert_int_equal(bg_token_derive(NULL, secret, 20, priv, pub), BG_EINVAL);
	assert_int_equal(bg_token_derive(id, NULL, 20, priv, pub), BG_EINVAL);
	assert_int_equal(bg_token_derive(id, secret, 0, priv, pub), BG_EINVAL);
	assert_int_equal(bg_token_derive(id, secret, 20, NULL, pub), BG_EINVAL);
	assert_int_equal(bg_token_derive(id, secret, 20, priv, NULL), BG_EINVAL);
}

/* ------------------------------------------------------------ listing */

/* Proves both bindings: the in-executable manifest interposer and the
 * fake libusb linked into the executable. */
static void
test_token_list_sees_virtual_devices(void **state)
{
	struct bg_token_dev *devs = NULL;
	char pa[PATH_LEN], pb[PATH_LEN];
	size_t n = 0, i, fido = 0, yk = 0;

	(void)state;
	assert_int_equal(bg_token_list(&devs, &n), BG_OK);
	assert_int_equal(n, 0);
	free(devs);

	vf_create("alice", NULL);
	vf_create("bob", PIN);
	vk_create(SERIAL_A);
	assert_int_equal(bg_vfido_path(base, "alice", pa, sizeof(pa)), 0);
	assert_int_equal(bg_vfido_path(base, "bob", pb, sizeof(pb)), 0);
	assert_int_equal(bg_token_list(&devs, &n), BG_OK);
	for (i = 0; i < n; i++) {
		if (devs[i].kind == BG_TOKEN_FIDO2) {
			assert_string_equal(devs[i].path, fido == 0 ? pa : pb);
			assert_string_equal(devs[i].model,
			    BG_VFIDO_MANUFACTURER " " BG_VFIDO_PRODUCT);
			fido++;
		} else {
			assert_int_equal(devs[i].kind, BG_TOKEN_YUBIKEY);
			assert_int_equal(devs[i].serial, SERIAL_A);
			assert_string_equal(devs[i].model,
			    "YubiKey firmware 5.4.3");
			yk++;
		}
	}
	assert_int_equal(fido, 2);
	assert_int_equal(yk, 1);
	free(devs);

	/* an unplugged token is not listed */
	vf_knob("bob", BG_VFIDO_KNOB_REMOVED, 1);
	vk_knob(SERIAL_A, "removed", 1);
	assert_int_equal(bg_token_list(&devs, &n), BG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].path, pa);
	free(devs);
}

/* ---------------------------------------------------------- FIDO2 basics */

static void
test_fido2_touch_only_key_is_the_expected_one(void **state)
{
	struct bg_token_opts o = opts();
	struct prompts p;
	bg_token_desc_t *d;
	bg_token_key_t *k1, *k2;
	unsigned t0, t1;
	char sum[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	o.prompt = on_prompt;
	o.prompt_ctx = &p;
	vf_create("alice", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	t0 = vf_touches("alice");
	print_message("FIDO2 enrollment: %u touches, %d prompts\n", t0, p.n);
	assert_int_equal(t0, 2);	/* makeCredential + first assertion */
	assert_int_equal(bg_token_desc_kind(d), BG_TOKEN_FIDO2);
	assert_int_equal(bg_token_desc_uv(d), BG_TOKEN_UV_NONE);
	assert_int_equal(strlen(bg_token_desc_id(d)), 32);
	assert_int_equal(bg_token_desc_summary(d, sum, sizeof(sum)), BG_OK);
	assert_non_null(strstr(sum, "touch only"));

	p.n = 0;
	k1 = unlock(d, &o);
	t1 = vf_touches("alice");
	assert_int_equal(t1, t0 + 1);
	assert_int_equal(p.n, 1);
	assert_fido2_key("alice", d, 0, k1);
	k2 = unlock(d, &o);
	assert_int_equal(vf_touches("alice"), t1 + 1);
	assert_memory_equal(bg_token_key_bytes(k1), bg_token_key_bytes(k2), 32);
	bg_token_key_free(&k1);
	bg_token_key_free(&k2);
	assert_null(k1);
	bg_token_key_free(&k1);	/* NULL is fine */
	bg_token_desc_free(&d);
	assert_null(d);
}

static void
test_fido2_pin_key_is_the_uv_one(void **state)
{
	struct bg_token_opts o = opts();
	uint8_t uv0[32], pub0[32];
	bg_token_desc_t *d;
	bg_token_key_t *k;
	unsigned t0;

	(void)state;
	vf_create("carol", PIN);
	o.pin_fd = pin_pipe(PIN, 1);	/* enrollment reads the PIN once */
	d = enroll(BG_TOKEN_FIDO2, &o);
	pin_drained(o.pin_fd);
	assert_int_equal(bg_token_desc_uv(d), BG_TOKEN_UV_PIN);
	t0 = vf_touches("carol");

	o.pin_fd = pin_pipe(PIN, 1);	/* each unlock reads it again */
	k = unlock(d, &o);
	pin_drained(o.pin_fd);
	assert_int_equal(vf_touches("carol"), t0 + 1);
	assert_fido2_key("carol", d, 1, k);
	/* CTAP 2.1 12.5: without UV the token uses its other credRandom */
	fido2_expected("carol", d, 0, uv0, pub0);
	assert_memory_not_equal(bg_token_key_bytes(k), uv0, 32);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

/* An approval with a PIN credential carries UV, verifies offline, and
 * stops verifying without UV. */
static void
test_fido2_pin_approval_verifies(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	uint8_t hash[32] = { 7 };
	bg_token_desc_t *d;
	bg_token_key_t *k = NULL;

	(void)state;
	assert_non_null(a);
	vf_create("cora", PIN);
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);
	pin_drained(o.pin_fd);
	o.pin_fd = pin_pipe(PIN, 1);
	assert_err(bg_token_sign(d, &o, hash, a, &k), BG_OK);
	pin_drained(o.pin_fd);
	assert_int_equal(a->flags & (FLAG_UP | FLAG_UV), FLAG_UP | FLAG_UV);
	assert_fido2_key("cora", d, 1, k);
	bg_token_key_free(&k);
	assert_err(bg_token_verify(d, hash, a), BG_OK);
	a->authdata[FLAGS_OFF] &= (uint8_t)~FLAG_UV;
	assert_err(bg_token_verify(d, hash, a), BG_EUV);
	bg_token_desc_free(&d);
	free(a);
}

/* libfido2 falls back to PIN/UV auth protocol 1 when only it is offered;
 * the key does not depend on the protocol. */
static void
test_fido2_pin_protocol_1(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;
	bg_token_key_t *k;

	(void)state;
	vf_create("cleo", PIN);
	vf_knob("cleo", BG_VFIDO_KNOB_PIN_PROTO1_ONLY, 1);
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);
	pin_drained(o.pin_fd);
	o.pin_fd = pin_pipe(PIN, 1);
	k = unlock(d, &o);
	pin_drained(o.pin_fd);
	assert_fido2_key("cleo", d, 1, k);
	bg_token_key_free(&k);
	/* the same credential through protocol 2 gives the same key */
	vf_knob("cleo", BG_VFIDO_KNOB_PIN_PROTO1_ONLY, 0);
	o.pin_fd = pin_pipe(PIN, 1);
	k = unlock(d, &o);
	pin_drained(o.pin_fd);
	assert_fido2_key("cleo", d, 1, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

/* A PIN token enrolled for touch only: the PIN creates the credential,
 * unlocking needs none, and the key is the no-UV one. */
static void
test_fido2_pin_token_enrolled_touch_only(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;
	bg_token_key_t *k;

	(void)state;
	vf_create("dave", PIN);
	o.uv = BG_TOKEN_UV_NONE;
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);
	pin_drained(o.pin_fd);
	assert_int_equal(bg_token_desc_uv(d), BG_TOKEN_UV_NONE);
	o = opts();
	o.pin_fd = pin_pipe(PIN, 0);	/* no PIN may be read */
	k = unlock(d, &o);
	pin_drained(o.pin_fd);
	assert_fido2_key("dave", d, 0, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

static void
test_fido2_enroll_in_child_unlock_in_parent(void **state)
{
	char path[PATH_LEN], *text = NULL;
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k;
	size_t len;
	cJSON *j;
	pid_t pid;
	int st;

	(void)state;
	vf_create("erin", NULL);
	snprintf(path, sizeof(path), "%s/erin.json", base);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct bg_token_opts co = bg_token_opts_default();
		bg_token_desc_t *cd = NULL;
		cJSON *cj = NULL;
		char *s;
		FILE *f;

		if (bg_token_enroll(BG_TOKEN_FIDO2, &co, &cd) != BG_OK ||
		    bg_token_desc_to_json(cd, &cj) != BG_OK ||
		    (s = cJSON_PrintUnformatted(cj)) == NULL ||
		    (f = fopen(path, "w")) == NULL)
			_exit(1);
		if (fputs(s, f) < 0 || fclose(f) != 0)
			_exit(2);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_int_equal(bg_file_read(path, 65536, &text, &len), BG_OK);
	assert_non_null(j = bg_json_parse(text, len));
	assert_int_equal(bg_token_desc_from_json(j, &d), BG_OK);
	assert_int_equal(vf_touches("erin"), 2);
	k = unlock(d, &o);
	assert_int_equal(vf_touches("erin"), 3);
	assert_fido2_key("erin", d, 0, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
	cJSON_Delete(j);
	free(text);
}

/* --------------------------------------------------- FIDO2 approvals */

static void
test_fido2_sign_verify_and_forgeries(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_assertion *m = calloc(1, sizeof(*m));
	struct bg_token_opts o = opts();
	uint8_t hash[32], other[32];
	bg_token_desc_t *d, *d2;
	bg_token_key_t *k = NULL, *k2;
	uint32_t counter = 0;
	unsigned t0;
	size_t i;
	int r;

	(void)state;
	assert_non_null(a);
	assert_non_null(m);
	vf_create("frank", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	d2 = enroll(BG_TOKEN_FIDO2, &o);	/* another credential */
	assert_int_equal(RAND_bytes(hash, sizeof(hash)), 1);
	memcpy(other, hash, sizeof(other));
	other[31] ^= 1;

	t0 = vf_touches("frank");
	assert_err(bg_token_sign(d, &o, hash, a, &k), BG_OK);
	assert_int_equal(vf_touches("frank"), t0 + 1);	/* one touch */
	assert_int_equal(bg_vfido_counter(base, "frank", &counter), 0);
	assert_int_equal(a->counter, counter);
	assert_fido2_key("frank", d, 0, k);
	k2 = unlock(d, &o);
	assert_memory_equal(bg_token_key_bytes(k), bg_token_key_bytes(k2), 32);

	/* authdata as libfido2 returns it: a CBOR byte string */
	assert_true(a->authdata_len >= 2 + 37 && a->authdata_len <= 2 + 255);
	assert_int_equal(a->authdata[0], 0x58);
	assert_int_equal(a->authdata[1], a->authdata_len - 2);
	assert_int_equal(a->authdata[FLAGS_OFF], a->flags);
	assert_int_equal(a->flags & (FLAG_UP | FLAG_UV), FLAG_UP);
	assert_true(a->counter > 0);
	assert_true(a->sig_len > 8 && a->sig[0] == 0x30);

	assert_err(bg_token_verify(d, hash, a), BG_OK);
	/* replay for another hash */
	assert_err(bg_token_verify(d, other, a), BG_ESIG);
	/* another credential's key */
	assert_err(bg_token_verify(d2, hash, a), BG_ESIG);
	/* any byte of the signature */
	for (i = 0; i < a->sig_len; i++) {
		*m = *a;
		m->sig[i] ^= 0x01;
		if ((r = bg_token_verify(d, hash, m)) != BG_ESIG)
			fail_msg("sig byte %zu ^ 0x01: %s", i, bg_strerror(r));
		*m = *a;
		m->sig[i] ^= 0x80;
		if ((r = bg_token_verify(d, hash, m)) != BG_ESIG)
			fail_msg("sig byte %zu ^ 0x80: %s", i, bg_strerror(r));
	}
	/* truncated signature */
	*m = *a;
	m->sig_len--;
	assert_err(bg_token_verify(d, hash, m), BG_ESIG);
	/*
	 * extensions declaring more than they hold (an array of 2^32 - 1
	 * elements, a byte string longer than the rest): refused before
	 * libcbor, which allocates what a header declares
	 */
	*m = *a;
	m->authdata[FLAGS_OFF] |= 0x80;			/* ED */
	m->authdata[2 + 37] = 0x9a;			/* array, u32 count */
	memset(m->authdata + 2 + 38, 0xff, 4);
	m->authdata_len = 2 + 42;
	m->authdata[1] = 42;
	assert_err(bg_token_verify(d, hash, m), BG_EFORMAT);
	m->authdata[2 + 37] = 0x5a;			/* bytes, u32 length */
	assert_err(bg_token_verify(d, hash, m), BG_EFORMAT);
	*m = *a;
	m->authdata[1] ^= 0x01;				/* outer length off */
	assert_err(bg_token_verify(d, hash, m), BG_EFORMAT);
	/* user presence and user verification flags */
	*m = *a;
	m->authdata[FLAGS_OFF] ^= FLAG_UP;
	assert_err(bg_token_verify(d, hash, m), BG_ENOUP);
	*m = *a;
	m->authdata[FLAGS_OFF] ^= FLAG_UV;
	assert_err(bg_token_verify(d, hash, m), BG_EUV);
	/* any other byte of authdata: never accepted */
	for (i = 0; i < a->authdata_len; i++) {
		*m = *a;
		m->authdata[i] ^= 0x01;
		if (i == FLAGS_OFF)
			continue;
		r = bg_token_verify(d, hash, m);
		if (r != BG_ESIG && r != BG_EFORMAT)
			fail_msg("authdata byte %zu ^ 0x01: %s", i,
			    bg_strerror(r));
	}
	*m = *a;
	m->authdata_len = 0;
	assert_int_not_equal(bg_token_verify(d, hash, m), BG_OK);
	*m = *a;
	m->authdata_len = sizeof(m->authdata) + 1;
	assert_err(bg_token_verify(d, hash, m), BG_EINVAL);

	/* the next approval counts up */
	memcpy(m, a, sizeof(*m));
	assert_err(bg_token_sign(d, &o, other, a, NULL), BG_OK);
	assert_int_equal(bg_vfido_counter(base, "frank", &counter), 0);
	assert_int_equal(a->counter, counter);
	assert_true(a->counter > m->counter);
	assert_err(bg_token_verify(d, other, a), BG_OK);
	assert_err(bg_token_verify(d, hash, a), BG_ESIG);

	bg_token_key_free(&k);
	bg_token_key_free(&k2);
	bg_token_desc_free(&d);
	bg_token_desc_free(&d2);
	free(a);
	free(m);
}

/* --------------------------------------------------------- FIDO2 errors */

static void
test_fido2_no_device(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	uint8_t hash[32] = { 1 };

	(void)state;
	assert_non_null(a);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_ENODEV);
	assert_null(d);
	vf_create("gina", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("gina", BG_VFIDO_KNOB_REMOVED, 1);
	assert_err(unlock_err(d, &o), BG_ENODEV);
	assert_err(bg_token_sign(d, &o, hash, a, NULL), BG_ENODEV);
	vf_knob("gina", BG_VFIDO_KNOB_REMOVED, 0);
	bg_token_desc_free(&d);
	/* a --device that is not connected */
	o.device = "vfido:/nonexistent/fido2/x";
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_ENODEV);
	bg_token_desc_free(&d);
	free(a);
}

static void
test_fido2_credential_on_no_connected_device(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;

	(void)state;
	vf_create("hank", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_create("ivan", NULL);
	vf_knob("hank", BG_VFIDO_KNOB_REMOVED, 1);
	assert_err(unlock_err(d, &o), BG_ENOCRED);
	assert_int_equal(vf_touches("ivan"), 0);	/* the probe is silent */
	/* with both present, the probe finds the right one */
	vf_knob("hank", BG_VFIDO_KNOB_REMOVED, 0);
	bg_token_key_free((bg_token_key_t *[]){ unlock(d, &o) });
	assert_int_equal(vf_touches("ivan"), 0);
	bg_token_desc_free(&d);
}

static void
test_fido2_modified_credential_id(void **state)
{
	struct bg_token_opts o = opts();
	uint8_t *cred = malloc(CRED_MAX);
	const size_t pos[] = { 0, 1, 40, 100, SIZE_MAX };
	bg_token_desc_t *d, *e;
	size_t clen, i;
	cJSON *j;

	(void)state;
	assert_non_null(cred);
	vf_create("jane", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	for (i = 0; i <= NELEM(pos); i++) {
		j = to_json(d);
		clen = jb64(j, "cred_id", cred, CRED_MAX);
		if (i == NELEM(pos))
			clen--;			/* truncated */
		else
			cred[pos[i] == SIZE_MAX ? clen - 1 : pos[i]] ^= 0x01;
		jset_b64(j, "cred_id", cred, clen);
		e = must_from_json(j);
		assert_err(unlock_err(e, &o), BG_ENOCRED);
		bg_token_desc_free(&e);
		cJSON_Delete(j);
	}
	assert_int_equal(vf_touches("jane"), 2);	/* enrollment only */
	bg_token_desc_free(&d);
	free(cred);
}

static void
test_fido2_wrong_pin_then_blocked(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	char want[64];
	unsigned t0;
	int i;

	(void)state;
	vf_create("kate", PIN);
	o.pin_fd = pin_pipe(WRONG_PIN, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EPIN);
	pin_drained(o.pin_fd);
	assert_non_null(strstr(bg_why(), "7 PIN retries left"));
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);	/* a right PIN resets the count */
	pin_drained(o.pin_fd);
	assert_int_equal(vf_retries("kate"), 8);
	t0 = vf_touches("kate");

	for (i = 1; i <= 7; i++) {
		o.pin_fd = pin_pipe(WRONG_PIN, 1);
		assert_err(unlock_err(d, &o), BG_EPIN);
		pin_drained(o.pin_fd);
		snprintf(want, sizeof(want), "%d PIN retries left", 8 - i);
		if (strstr(bg_why(), want) == NULL)
			fail_msg("wrong PIN %d: why is \"%s\", want \"%s\"", i,
			    bg_why(), want);
		assert_int_equal(vf_retries("kate"), 8 - i);
		/* a PIN is never echoed */
		assert_null(strstr(bg_why(), WRONG_PIN));
	}
	o.pin_fd = pin_pipe(WRONG_PIN, 1);
	assert_err(unlock_err(d, &o), BG_EPINBLOCKED);	/* the 8th */
	pin_drained(o.pin_fd);
	assert_int_equal(vf_retries("kate"), 0);
	o.pin_fd = pin_pipe(PIN, 1);
	assert_err(unlock_err(d, &o), BG_EPINBLOCKED);	/* even the right one */
	close(o.pin_fd);
	assert_int_equal(vf_touches("kate"), t0);	/* no touch wasted */
	bg_token_desc_free(&d);
}

static void
test_fido2_no_touch_times_out(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k;
	unsigned t0;

	(void)state;
	vf_create("liam", NULL);
	vf_knob("liam", BG_VFIDO_KNOB_NO_TOUCH, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_ETIMEOUT);
	assert_null(d);
	vf_knob("liam", BG_VFIDO_KNOB_NO_TOUCH, 0);
	d = enroll(BG_TOKEN_FIDO2, &o);
	t0 = vf_touches("liam");
	vf_knob("liam", BG_VFIDO_KNOB_NO_TOUCH, 1);
	assert_err(unlock_err(d, &o), BG_ETIMEOUT);
	assert_int_equal(vf_touches("liam"), t0);
	vf_knob("liam", BG_VFIDO_KNOB_NO_TOUCH, 0);
	k = unlock(d, &o);
	assert_fido2_key("liam", d, 0, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

/* remove-during-op armed before unlocking: the next makeCredential or
 * getAssertion is swallowed and the token vanishes. */
static void
test_fido2_removed_during_unlock(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;

	(void)state;
	vf_create("mona", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("mona", BG_VFIDO_KNOB_REMOVE_DURING_OP, 1);
	assert_err(unlock_err(d, &o), BG_EREMOVED);
	bg_token_desc_free(&d);
}

/* The token is pulled while the user is asked to touch it, and the next
 * getAssertion is lost in flight (libfido2: FIDO_ERR_RX). */
static void
test_fido2_pulled_during_assertion(void **state)
{
	struct bg_token_opts o = opts();
	struct prompts p;
	bg_token_desc_t *d;

	(void)state;
	vf_create("nick", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	memset(&p, 0, sizeof(p));
	p.dev = "nick";
	p.knob = BG_VFIDO_KNOB_REMOVE_DURING_OP;
	o.prompt = on_prompt;
	o.prompt_ctx = &p;
	assert_err(unlock_err(d, &o), BG_EREMOVED);
	assert_int_equal(p.n, 1);
	bg_token_desc_free(&d);
}

/* The token is gone when the assertion starts (libfido2: FIDO_ERR_INTERNAL
 * from getKeyAgreement inside fido_do_ecdh). */
static void
test_fido2_removed_at_touch_prompt(void **state)
{
	struct bg_token_opts o = opts();
	struct prompts p;
	bg_token_desc_t *d;

	(void)state;
	vf_create("olga", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	memset(&p, 0, sizeof(p));
	p.dev = "olga";
	p.knob = BG_VFIDO_KNOB_REMOVED;
	o.prompt = on_prompt;
	o.prompt_ctx = &p;
	assert_err(unlock_err(d, &o), BG_EREMOVED);
	assert_int_equal(p.n, 1);
	bg_token_desc_free(&d);
}

static void
test_fido2_removed_during_enroll(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;

	(void)state;
	vf_create("paul", NULL);
	vf_knob("paul", BG_VFIDO_KNOB_REMOVE_DURING_OP, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EREMOVED);
	assert_null(d);
}

/* ------------------------------------------- what a failure says */

/*
 * What bg_cli_fail(what, err) prints (broker/cli/common.c, linked in):
 * the line, NUL-terminated, into out.
 */
static void
cli_says(const char *what, int err, char *out, size_t outsz)
{
	char path[PATH_LEN];
	size_t n;
	FILE *f;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/stderr.txt", base);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	(void)bg_cli_fail(what, err);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_non_null(f = fopen(path, "r"));
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	fclose(f);
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

static void
assert_has(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", s, part);
}

/*
 * A token pulled out: the code says so, the detail says what to do, and
 * the line says "removed" once (it used to say the same twice).
 */
static void
test_fido2_removed_said_once(void **state)
{
	struct bg_token_opts o = opts();
	char path[PATH_LEN], line[1024];
	bg_token_desc_t *d;

	(void)state;
	vf_create("ruth", NULL);
	assert_int_equal(bg_vfido_path(base, "ruth", path, sizeof(path)), 0);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("ruth", BG_VFIDO_KNOB_REMOVE_DURING_OP, 1);
	assert_err(unlock_err(d, &o), BG_EREMOVED);
	assert_null(strstr(bg_why(), bg_strerror(BG_EREMOVED)));
	assert_has(bg_why(), path);
	cli_says("the token did NOT unlock", BG_EREMOVED, line, sizeof(line));
	assert_int_equal(count_of(line, "removed during the operation"), 1);
	assert_has(line, "reconnect the token");
	/* pulled while enrolling, after the credential was asked for */
	vf_knob("ruth", BG_VFIDO_KNOB_REMOVED, 0);
	vf_knob("ruth", BG_VFIDO_KNOB_REMOVE_DURING_OP, 1);
	bg_token_desc_free(&d);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EREMOVED);
	cli_says("enrollment failed", BG_EREMOVED, line, sizeof(line));
	assert_int_equal(count_of(line, "removed during the operation"), 1);
}

/* bg_cli_fail says a detail that repeats the code's text once. */
static void
test_cli_fail_says_each_thing_once(void **state)
{
	char line[1024];

	(void)state;
	bg_set_why("carol: %s", bg_strerror(BG_ETIMEOUT));
	cli_says("approve", BG_ETIMEOUT, line, sizeof(line));
	assert_string_equal(line, "breakglass: approve: carol: the token was "
	    "not touched in time\n");
	bg_set_why("the token was not touched");
	cli_says("approve", BG_ETIMEOUT, line, sizeof(line));
	assert_string_equal(line, "breakglass: approve: the token was not "
	    "touched in time\n");
	bg_set_why("carol's key");
	cli_says("approve", BG_ETIMEOUT, line, sizeof(line));
	assert_string_equal(line, "breakglass: approve: the token was not "
	    "touched in time: carol's key\n");
	bg_clear_why();
	cli_says("approve", BG_ETIMEOUT, line, sizeof(line));
	assert_string_equal(line, "breakglass: approve: the token was not "
	    "touched in time\n");
}

/* A key that token list shows but that cannot serve is named, with why. */
static void
test_fido2_u2f_only_key_is_named(void **state)
{
	struct bg_token_opts o = opts();
	struct bg_token_dev *devs = NULL;
	char path[PATH_LEN];
	bg_token_desc_t *d = NULL, *e;
	size_t n = 0;

	(void)state;
	vf_create("ugo", NULL);
	vf_knob("ugo", BG_VFIDO_KNOB_U2F_ONLY, 1);
	assert_int_equal(bg_vfido_path(base, "ugo", path, sizeof(path)), 0);
	assert_err(bg_token_list(&devs, &n), BG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].path, path);
	free(devs);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EDEVICE);
	assert_null(d);
	assert_has(bg_why(), path);
	assert_has(bg_why(), "does not speak CTAP2 (U2F only)");
	assert_has(bg_why(), "needs a FIDO2 key with hmac-secret");
	o.device = path;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EDEVICE);
	assert_has(bg_why(), "does not speak CTAP2 (U2F only)");
	/* unlocking: not on any usable key (callers try the person's next
	 * token on that), the key skipped named */
	o = opts();
	vf_create("vic", NULL);
	assert_int_equal(bg_vfido_path(base, "vic", path, sizeof(path)), 0);
	o.device = path;
	e = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("vic", BG_VFIDO_KNOB_REMOVED, 1);
	o = opts();
	assert_err(unlock_err(e, &o), BG_ENOCRED);
	assert_has(bg_why(), "skipped: the key at");
	assert_has(bg_why(), "does not speak CTAP2 (U2F only)");
	bg_token_desc_free(&e);
}

static void
test_fido2_getinfo_failure_is_named(void **state)
{
	struct bg_token_opts o = opts();
	char path[PATH_LEN];
	bg_token_desc_t *d = NULL;

	(void)state;
	vf_create("gil", NULL);
	vf_knob("gil", BG_VFIDO_KNOB_GETINFO_ERROR, 1);
	assert_int_equal(bg_vfido_path(base, "gil", path, sizeof(path)), 0);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EDEVICE);
	assert_null(d);
	assert_has(bg_why(), path);
	assert_has(bg_why(), "did not answer getInfo");
	assert_has(bg_why(), "FIDO_ERR_ERR_OTHER");
	vf_knob("gil", BG_VFIDO_KNOB_GETINFO_ERROR, 0);
	d = enroll(BG_TOKEN_FIDO2, &o);
	bg_token_desc_free(&d);
}

/*
 * Enrollment names what the key lacks, not the attestation (which
 * libfido2's fido_cred_verify() refuses for the same reasons).
 */
static void
test_fido2_enroll_names_missing_features(void **state)
{
	struct bg_token_opts o = opts();
	char path[PATH_LEN];
	bg_token_desc_t *d = NULL;

	(void)state;
	vf_create("hal", NULL);
	assert_int_equal(bg_vfido_path(base, "hal", path, sizeof(path)), 0);
	/* no hmac-secret in getInfo: refused before any touch */
	vf_knob("hal", BG_VFIDO_KNOB_NO_HMAC_SECRET, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EDEVICE);
	assert_null(d);
	assert_has(bg_why(), "lacks the hmac-secret extension");
	assert_has(bg_why(), path);
	assert_int_equal(vf_touches("hal"), 0);
	vf_knob("hal", BG_VFIDO_KNOB_NO_HMAC_SECRET, 0);
	/* listed, but ignored by makeCredential */
	vf_knob("hal", BG_VFIDO_KNOB_IGNORE_HMAC_SECRET, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EDEVICE);
	assert_null(d);
	assert_has(bg_why(), "ignored the hmac-secret extension");
	vf_knob("hal", BG_VFIDO_KNOB_IGNORE_HMAC_SECRET, 0);
	/* no UP flag at makeCredential, with and without --trust */
	vf_knob("hal", BG_VFIDO_KNOB_MAKECRED_NO_UP, 1);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_ENOUP);
	assert_null(d);
	assert_has(bg_why(), "did not assert user presence when it created");
	assert_int_equal(bg_vfido_ca_path(base, path, sizeof(path)), 0);
	o.trust_pem = path;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_ENOUP);
	assert_null(d);
	vf_knob("hal", BG_VFIDO_KNOB_MAKECRED_NO_UP, 0);
	d = enroll(BG_TOKEN_FIDO2, &o);
	bg_token_desc_free(&d);
}

static void
test_fido2_bad_signature(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k = (bg_token_key_t *)(uintptr_t)1;
	uint8_t hash[32] = { 2 };

	(void)state;
	assert_non_null(a);
	vf_create("quin", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("quin", BG_VFIDO_KNOB_BAD_SIGNATURE, 1);
	assert_err(unlock_err(d, &o), BG_ESIG);
	assert_err(bg_token_sign(d, &o, hash, a, &k), BG_ESIG);
	assert_null(k);
	bg_token_desc_free(&d);
	/* the attestation signature is bad too: enrollment refused */
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EATTEST);
	assert_null(d);
	free(a);
}

static void
test_fido2_wrong_secret_never_gives_a_key(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;
	bg_token_key_t *k = (bg_token_key_t *)(uintptr_t)1;
	uint8_t hash[32] = { 3 };

	(void)state;
	assert_non_null(a);
	vf_create("rita", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	vf_knob("rita", BG_VFIDO_KNOB_WRONG_SECRET, 1);
	assert_err(unlock_err(d, &o), BG_EWRONGTOKEN);
	assert_err(bg_token_sign(d, &o, hash, a, &k), BG_EWRONGTOKEN);
	assert_null(k);
	bg_token_desc_free(&d);
	free(a);
}

/* The UV mode is fixed at enrollment: a descriptor edited to the other
 * mode never unlocks. */
static void
test_fido2_uv_mode_edited_is_refused(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d, *e;
	char path[PATH_LEN];
	int r;

	(void)state;
	/* touch-only credential claimed to be a PIN one */
	vf_create("sam", NULL);
	d = enroll(BG_TOKEN_FIDO2, &o);
	e = edited(d, "uv", "pin");
	assert_int_equal(bg_token_desc_uv(e), BG_TOKEN_UV_PIN);
	o.pin_fd = pin_pipe(PIN, 1);
	r = unlock_err(e, &o);
	close(o.pin_fd);
	if (r != BG_EUV && r != BG_EWRONGTOKEN)
		fail_msg("none -> pin: %s", bg_strerror(r));
	bg_token_desc_free(&d);
	bg_token_desc_free(&e);

	/* PIN credential claimed to be touch-only */
	vf_create("tina", PIN);
	assert_int_equal(bg_vfido_path(base, "tina", path, sizeof(path)), 0);
	o.device = path;	/* "sam" is connected too */
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);
	close(o.pin_fd);
	e = edited(d, "uv", "none");
	o.pin_fd = pin_pipe(PIN, 1);
	r = unlock_err(e, &o);
	close(o.pin_fd);
	if (r != BG_EUV && r != BG_EWRONGTOKEN)
		fail_msg("pin -> none: %s", bg_strerror(r));
	bg_token_desc_free(&d);
	bg_token_desc_free(&e);

	/* touch-only credential on a PIN token, claimed to be a PIN one */
	o = opts();
	o.device = path;
	o.uv = BG_TOKEN_UV_NONE;
	o.pin_fd = pin_pipe(PIN, 1);
	d = enroll(BG_TOKEN_FIDO2, &o);
	close(o.pin_fd);
	e = edited(d, "uv", "pin");
	o.pin_fd = pin_pipe(PIN, 1);
	r = unlock_err(e, &o);
	close(o.pin_fd);
	if (r != BG_EUV && r != BG_EWRONGTOKEN)
		fail_msg("none -> pin on a PIN token: %s", bg_strerror(r));
	bg_token_desc_free(&d);
	bg_token_desc_free(&e);
}

static void
test_fido2_enroll_choices(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k;
	char path[PATH_LEN];

	(void)state;
	vf_create("uma", NULL);
	/* a PIN mode on a token without a PIN */
	o.uv = BG_TOKEN_UV_PIN;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EUV);
	assert_null(d);
	/* two tokens: the caller must name one */
	vf_create("vera", NULL);
	o = opts();
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EINVAL);
	assert_null(d);
	assert_int_equal(vf_touches("uma") + vf_touches("vera"), 0);
	assert_int_equal(bg_vfido_path(base, "vera", path, sizeof(path)), 0);
	o.device = path;
	d = enroll(BG_TOKEN_FIDO2, &o);
	assert_int_equal(vf_touches("uma"), 0);
	assert_int_equal(vf_touches("vera"), 2);
	/* unlocking finds it among both, without --device */
	o = opts();
	k = unlock(d, &o);
	assert_fido2_key("vera", d, 0, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

/* ------------------------------------------------ FIDO2 attestation */

/* A self-signed P-256 CA; with subject_from, the same subject name as
 * that certificate (an impostor of it). */
static void
make_ca(const char *path, const char *subject_from)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new(), *orig = NULL;
	X509_NAME *name;
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (subject_from != NULL) {
		assert_non_null(f = fopen(subject_from, "r"));
		assert_non_null(orig = PEM_read_X509(f, NULL, NULL, NULL));
		fclose(f);
		name = X509_get_subject_name(orig);
	} else {
		name = X509_get_subject_name(x);
		assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN",
		    MBSTRING_ASC, (const unsigned char *)"another test CA", -1,
		    -1, 0), 1);
	}
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
	X509_free(orig);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
test_fido2_attestation_trust_anchors(void **state)
{
	struct bg_token_opts o = opts();
	char ca[PATH_LEN], other[PATH_LEN], impostor[PATH_LEN];
	bg_token_desc_t *d = NULL;

	(void)state;
	vf_create("walt", NULL);
	assert_int_equal(bg_vfido_ca_path(base, ca, sizeof(ca)), 0);
	snprintf(other, sizeof(other), "%s/other-ca.pem", base);
	snprintf(impostor, sizeof(impostor), "%s/impostor-ca.pem", base);
	make_ca(other, NULL);
	make_ca(impostor, ca);

	o.trust_pem = ca;
	d = enroll(BG_TOKEN_FIDO2, &o);
	bg_token_desc_free(&d);
	o.trust_pem = other;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EATTEST);
	assert_null(d);
	o.trust_pem = impostor;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EATTEST);
	assert_null(d);
	snprintf(other, sizeof(other), "%s/missing.pem", base);
	o.trust_pem = other;
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), BG_EATTEST);
	assert_null(d);
	/* fido-u2f attestation carries the same certificate */
	vf_knob("walt", BG_VFIDO_KNOB_ATTEST_U2F, 1);
	o.trust_pem = ca;
	d = enroll(BG_TOKEN_FIDO2, &o);
	bg_token_desc_free(&d);
}

/* ------------------------------------------------------------ YubiKey */

static void
yk_challenge(const bg_token_desc_t *d, uint8_t chal[64], uint8_t id[16])
{
	cJSON *j = to_json(d);

	assert_int_equal(jb64(j, "challenge", chal, 64), 64);
	unhex(jstr(j, "id"), id, 16);
	cJSON_Delete(j);
}

/* The key for d from the emulator's own HMAC computation. */
static void
assert_yk_key(const bg_token_desc_t *d, unsigned serial, int slot,
    const bg_token_key_t *k)
{
	uint8_t chal[64], id[16], resp[20], priv[32], pub[32];

	yk_challenge(d, chal, id);
	assert_int_equal(bg_vyk_expected(base, serial, slot, chal, 64, resp),
	    BG_OK);
	assert_int_equal(bg_token_derive(id, resp, 20, priv, pub), BG_OK);
	assert_memory_equal(bg_token_key_bytes(k), priv, 32);
	assert_memory_equal(bg_token_desc_public(d), pub, 32);
}

static void
test_yk_program_enroll_unlock_slot2(void **state)
{
	struct bg_token_opts o = opts();
	struct bg_vyk_info info;
	struct prompts p;
	bg_token_desc_t *d;
	bg_token_key_t *k;
	char sum[256];
	long t0;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &info), BG_OK);
	assert_true(info.slot_valid[1] && info.slot_hmac[1] &&
	    info.slot_touch[1]);
	assert_false(info.slot_valid[0]);
	assert_false(info.slot_acc[1]);

	memset(&p, 0, sizeof(p));
	o.prompt = on_prompt;
	o.prompt_ctx = &p;
	t0 = vk_touches(SERIAL_A);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	print_message("YubiKey enrollment: %ld touches, %d prompts (\"%s\")\n",
	    vk_touches(SERIAL_A) - t0, p.n, p.last);
	assert_int_equal(vk_touches(SERIAL_A), t0 + 1);
	assert_int_equal(bg_token_desc_kind(d), BG_TOKEN_YUBIKEY);
	assert_int_equal(bg_token_desc_uv(d), BG_TOKEN_UV_NONE);
	assert_int_equal(bg_token_desc_summary(d, sum, sizeof(sum)), BG_OK);
	assert_non_null(strstr(sum, "YubiKey serial 1001 slot 2"));

	/* the descriptor names the key: unlocking needs no --serial */
	o = opts();
	k = unlock(d, &o);
	assert_int_equal(vk_touches(SERIAL_A), t0 + 2);
	assert_yk_key(d, SERIAL_A, 2, k);
	bg_token_key_free(&k);
	/* a slow touch is waited for */
	vk_knob(SERIAL_A, "touch-delay", 1);
	k = unlock(d, &o);
	assert_yk_key(d, SERIAL_A, 2, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

/*
 * A slot programmed with "touch required" (CHAL_BTN_TRIG) waits for the
 * button on every challenge: the person must be asked to touch, as the
 * FIDO2 driver does. (touchLevel's CONFIGn_TOUCH bits say whether a slot
 * fires an OTP on touch, i.e. is NOT challenge-response: yubikit's
 * ConfigState.is_touch_triggered; they are clear for these slots.)
 */
static void
test_yk_touch_slot_prompts_for_touch(void **state)
{
	struct bg_token_opts o = opts();
	struct bg_vyk_info info;
	struct prompts p;
	bg_token_desc_t *d;
	bg_token_key_t *k;
	long t0;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &info), BG_OK);
	assert_true(info.slot_touch[1]);
	memset(&p, 0, sizeof(p));
	o.prompt = on_prompt;
	o.prompt_ctx = &p;
	t0 = vk_touches(SERIAL_A);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	k = unlock(d, &o);
	assert_int_equal(vk_touches(SERIAL_A), t0 + 2);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
	if (p.n != 2)
		fail_msg("two touches (enroll, unlock) but %d prompts", p.n);
	assert_non_null(strstr(p.last, "1001"));
}

static void
test_yk_slot1(void **state)
{
	struct bg_token_opts o = opts();
	struct bg_vyk_info info;
	bg_token_desc_t *d;
	bg_token_key_t *k;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	o.slot = 1;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &info), BG_OK);
	assert_true(info.slot_valid[0] && info.slot_hmac[0]);
	assert_false(info.slot_valid[1]);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	o = opts();
	k = unlock(d, &o);
	assert_yk_key(d, SERIAL_A, 1, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
	/* slot 2 is not configured */
	o.serial = SERIAL_A;
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ENOSLOT);
	assert_null(d);
}

/* Slots programmed by the fixture with a known key: the key is checked
 * against HMAC-SHA1 computed here with OpenSSL, in both challenge modes
 * (HMAC_LT64: trailing bytes equal to the last one are padding). */
static void
test_yk_key_matches_openssl_hmac(void **state)
{
	static const uint8_t secret[20] = { 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
	    0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
	    0x41, 0x42, 0x43 };
	struct bg_token_opts o = opts();
	uint8_t chal[64], id[16], mac[20], priv[32], pub[32];
	bg_token_desc_t *d;
	bg_token_key_t *k;
	size_t maclen, n;
	int lt64;

	(void)state;
	vk_create(SERIAL_A);
	for (lt64 = 0; lt64 <= 1; lt64++) {
		assert_int_equal(bg_vyk_program_slot(base, SERIAL_A, 2, secret, 1,
		    lt64), BG_OK);
		d = enroll(BG_TOKEN_YUBIKEY, &o);
		yk_challenge(d, chal, id);
		n = 64;
		while (lt64 && n > 0 && chal[n - 1] == chal[63])
			n--;
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL,
		    secret, sizeof(secret), chal, n, mac, sizeof(mac), &maclen));
		assert_int_equal(maclen, 20);
		assert_int_equal(bg_token_derive(id, mac, 20, priv, pub), BG_OK);
		assert_memory_equal(bg_token_desc_public(d), pub, 32);
		k = unlock(d, &o);
		assert_memory_equal(bg_token_key_bytes(k), priv, 32);
		bg_token_key_free(&k);
		bg_token_desc_free(&d);
	}
}

static void
test_yk_which_key(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k;

	(void)state;
	/* no key at all */
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ENODEV);
	assert_err(bg_token_yk_program(&o, 0), BG_ENODEV);
	vk_create(SERIAL_A);
	/* a serial that is not connected */
	o.serial = 4242;
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ESERIAL);
	assert_err(bg_token_yk_program(&o, 0), BG_ESERIAL);
	assert_null(d);
	/* the only key, without a serial */
	o.serial = 0;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	/* two keys: the caller must name one */
	vk_create(SERIAL_B);
	{
		bg_token_desc_t *d2 = NULL;

		assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d2),
		    BG_EINVAL);
		assert_null(d2);
		assert_err(bg_token_yk_program(&o, 0), BG_EINVAL);
	}
	/* the descriptor names its key among two */
	k = unlock(d, &o);
	assert_yk_key(d, SERIAL_A, 2, k);
	bg_token_key_free(&k);
	/* its key unplugged, another one present */
	vk_knob(SERIAL_A, "removed", 1);
	assert_err(unlock_err(d, &o), BG_ESERIAL);
	/* no key at all */
	vk_knob(SERIAL_B, "removed", 1);
	assert_err(unlock_err(d, &o), BG_ENODEV);
	bg_token_desc_free(&d);
}

static void
test_yk_unconfigured_slot(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	long t0;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ENOSLOT);
	assert_null(d);
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	t0 = vk_touches(SERIAL_A);
	assert_int_equal(bg_vyk_erase_slot(base, SERIAL_A, 2), BG_OK);
	assert_err(unlock_err(d, &o), BG_ENOSLOT);
	assert_int_equal(vk_touches(SERIAL_A), t0);
	bg_token_desc_free(&d);
}

static void
test_yk_knobs(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d = NULL;
	bg_token_key_t *k;
	long t0;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	vk_knob(SERIAL_A, "no-touch", 1);
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ETIMEOUT);
	assert_null(d);
	vk_knob(SERIAL_A, "no-touch", 0);
	d = enroll(BG_TOKEN_YUBIKEY, &o);

	t0 = vk_touches(SERIAL_A);
	vk_knob(SERIAL_A, "no-touch", 1);
	assert_err(unlock_err(d, &o), BG_ETIMEOUT);
	assert_int_equal(vk_touches(SERIAL_A), t0);
	vk_knob(SERIAL_A, "no-touch", 0);

	vk_knob(SERIAL_A, "short-response", 1);
	assert_err(unlock_err(d, &o), BG_ERESPONSE);
	vk_knob(SERIAL_A, "short-response", 0);

	k = unlock(d, &o);	/* all knobs off: works again */
	assert_yk_key(d, SERIAL_A, 2, k);
	bg_token_key_free(&k);
	bg_token_desc_free(&d);
}

static void
test_yk_removed_during_challenge(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	vk_knob(SERIAL_A, "remove-next", 1);
	assert_err(unlock_err(d, &o), BG_EREMOVED);
	/* and now it is gone */
	assert_err(unlock_err(d, &o), BG_ENODEV);
	bg_token_desc_free(&d);
}

static void
test_yk_removed_during_program(void **state)
{
	struct bg_token_opts o = opts();

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	vk_knob(SERIAL_A, "remove-next", 1);
	assert_err(bg_token_yk_program(&o, 0), BG_EREMOVED);
}

static void
test_yk_program_existing_slot(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d;
	bg_token_key_t *k1, *k2;
	struct bg_vyk_info before, after;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	k1 = unlock(d, &o);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &before), BG_OK);

	assert_err(bg_token_yk_program(&o, 0), BG_EEXIST);
	assert_non_null(strstr(bg_why(), "force"));
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &after), BG_OK);
	assert_int_equal(after.pgm_seq, before.pgm_seq);
	k2 = unlock(d, &o);	/* the slot answers as before */
	assert_memory_equal(bg_token_key_bytes(k1), bg_token_key_bytes(k2), 32);
	bg_token_key_free(&k2);

	assert_err(bg_token_yk_program(&o, 1), BG_OK);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &after), BG_OK);
	assert_int_not_equal(after.pgm_seq, before.pgm_seq);
	assert_err(unlock_err(d, &o), BG_EWRONGTOKEN);
	bg_token_key_free(&k1);
	bg_token_desc_free(&d);
	/* the new secret enrolls afresh */
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	k1 = unlock(d, &o);
	assert_yk_key(d, SERIAL_A, 2, k1);
	bg_token_key_free(&k1);
	bg_token_desc_free(&d);
}

/* -------------------------------------------------------- descriptors */

/* Neither hex nor base64 of secret[0..len) appears in text. */
static void
assert_not_in(const char *text, const uint8_t *secret, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	char hex[2 * 32 + 1], *s = b64(secret, len);
	size_t i;

	assert_true(len <= 32);
	for (i = 0; i < len; i++) {
		hex[2 * i] = hexd[secret[i] >> 4];
		hex[2 * i + 1] = hexd[secret[i] & 15];
	}
	hex[2 * len] = '\0';
	assert_null(strstr(text, hex));
	assert_null(strstr(text, s));
	free(s);
}

static void
test_desc_round_trip(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *d[2], *e;
	char *t1, *t2;
	cJSON *j;
	size_t i;

	(void)state;
	vf_create("xena", NULL);
	vk_create(SERIAL_A);
	d[0] = enroll(BG_TOKEN_FIDO2, &o);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	d[1] = enroll(BG_TOKEN_YUBIKEY, &o);
	for (i = 0; i < 2; i++) {
		uint8_t chal[64], id[16], resp[32], priv[32], pub[32];

		t1 = to_text(d[i]);
		/* no secret in the descriptor: not the token's, not the key */
		if (i == 0) {
			fido2_expected_secret("xena", d[i], 0, resp, id);
			assert_not_in(t1, resp, 32);
			fido2_expected("xena", d[i], 0, priv, pub);
		} else {
			yk_challenge(d[i], chal, id);
			assert_int_equal(bg_vyk_expected(base, SERIAL_A, 2, chal,
			    64, resp), BG_OK);
			assert_not_in(t1, resp, 20);
			assert_int_equal(bg_token_derive(id, resp, 20, priv, pub),
			    BG_OK);
		}
		assert_not_in(t1, priv, sizeof(priv));
		j = to_json(d[i]);
		assert_string_equal(jstr(j, "id"), bg_token_desc_id(d[i]));
		e = must_from_json(j);
		t2 = to_text(e);
		assert_string_equal(t1, t2);
		assert_int_equal(bg_token_desc_kind(e), bg_token_desc_kind(d[i]));
		assert_int_equal(bg_token_desc_uv(e), bg_token_desc_uv(d[i]));
		assert_string_equal(bg_token_desc_id(e), bg_token_desc_id(d[i]));
		assert_memory_equal(bg_token_desc_public(e),
		    bg_token_desc_public(d[i]), 32);
		assert_memory_equal(bg_token_desc_sign_public(e),
		    bg_token_desc_sign_public(d[i]), 32);
		bg_token_desc_free(&e);
		cJSON_Delete(j);
		free(t1);
		free(t2);
	}
	bg_token_desc_free(&d[0]);
	bg_token_desc_free(&d[1]);
}

static int
parse_edit(const cJSON *orig, const char *obj, const char *key,
    cJSON *val)
{
	cJSON *j = cJSON_Duplicate(orig, 1), *target = j;
	bg_token_desc_t *d = NULL;
	int r;

	assert_non_null(j);
	if (obj != NULL)
		target = cJSON_GetObjectItemCaseSensitive(j, obj);
	assert_non_null(target);
	if (val == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(target, key);
	else if (cJSON_GetObjectItemCaseSensitive(target, key) != NULL)
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(target, key,
		    val));
	else
		assert_true(cJSON_AddItemToObject(target, key, val));
	r = from_json(j, &d);
	bg_token_desc_free(&d);
	cJSON_Delete(j);
	return r;
}

#define assert_format(orig, obj, key, val) do {				\
	int r_ = parse_edit((orig), (obj), (key), (val));		\
	if (r_ != BG_EFORMAT)						\
		fail_msg("%s.%s = %s: got %s, want BG_EFORMAT", 	\
		    (obj) ? (obj) : "", (key), #val, bg_strerror(r_));	\
} while (0)

/* Without "proof": parses (an old descriptor), but proves nothing. */
static void
proof_missing(const cJSON *orig)
{
	cJSON *j = cJSON_Duplicate(orig, 1);
	bg_token_desc_t *d;

	assert_non_null(j);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "proof");
	d = must_from_json(j);
	assert_err(bg_token_desc_proof_verify(d), BG_EFORMAT);
	assert_non_null(strstr(bg_why(), "no proof of possession"));
	bg_token_desc_free(&d);
	cJSON_Delete(j);
}

/* Every key: missing (but "proof", above), and of the wrong type. */
static void
each_key_strict(const cJSON *orig, const char *obj)
{
	const cJSON *target = obj ? cJSON_GetObjectItemCaseSensitive(orig, obj) :
	    orig, *c;

	cJSON_ArrayForEach(c, target) {
		const char *k = c->string;

		if (obj == NULL && strcmp(k, "proof") == 0)
			proof_missing(orig);
		else
			assert_format(orig, obj, k, NULL);
		assert_format(orig, obj, k, cJSON_CreateTrue());
		assert_format(orig, obj, k, cJSON_CreateNull());
		assert_format(orig, obj, k, cJSON_CreateArray());
		if (cJSON_IsString(c))
			assert_format(orig, obj, k, cJSON_CreateNumber(1));
		else
			assert_format(orig, obj, k, cJSON_CreateString("1"));
	}
}

static void
b64_lengths(const cJSON *orig, const char *key, size_t len)
{
	uint8_t buf[80];
	char *s;

	memset(buf, 0x5a, sizeof(buf));
	s = b64(buf, len - 1);
	assert_format(orig, NULL, key, cJSON_CreateString(s));
	free(s);
	s = b64(buf, len + 1);
	assert_format(orig, NULL, key, cJSON_CreateString(s));
	free(s);
	assert_format(orig, NULL, key, cJSON_CreateString("not base64!"));
}

static void
test_desc_strict_parsing(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *fd, *yd, *d = NULL;
	cJSON *fj, *yj, *arr;
	char *s;

	(void)state;
	vf_create("yuri", NULL);
	vk_create(SERIAL_A);
	fd = enroll(BG_TOKEN_FIDO2, &o);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	yd = enroll(BG_TOKEN_YUBIKEY, &o);
	fj = to_json(fd);
	yj = to_json(yd);

	/* unknown keys, anywhere */
	assert_format(fj, NULL, "extra", cJSON_CreateNumber(1));
	assert_format(yj, NULL, "extra", cJSON_CreateNumber(1));
	assert_format(fj, "attestation", "extra", cJSON_CreateString(""));
	assert_format(yj, NULL, "salt", cJSON_CreateString(jstr(fj, "salt")));
	assert_format(fj, NULL, "serial", cJSON_CreateNumber(SERIAL_A));
	/* every key missing or of another type */
	each_key_strict(fj, NULL);
	each_key_strict(fj, "attestation");
	each_key_strict(fj, "proof");
	each_key_strict(yj, NULL);
	each_key_strict(yj, "proof");
	/* the proof's fields are the kind's */
	assert_format(yj, "proof", "authdata",
	    cJSON_CreateString(jstr(cJSON_GetObjectItemCaseSensitive(fj,
	    "proof"), "authdata")));
	assert_format(fj, "proof", "extra", cJSON_CreateString(""));
	/* kinds */
	assert_format(fj, NULL, "kind", cJSON_CreateString("u2f"));
	assert_format(fj, NULL, "kind", cJSON_CreateString("FIDO2"));
	assert_format(fj, NULL, "kind", cJSON_CreateString("yubikey"));
	assert_format(yj, NULL, "kind", cJSON_CreateString("fido2"));
	/* exact lengths */
	b64_lengths(fj, "x25519", 32);
	b64_lengths(fj, "ed25519", 32);
	b64_lengths(fj, "salt", 32);
	b64_lengths(fj, "cred_pubkey", 64);
	b64_lengths(yj, "x25519", 32);
	b64_lengths(yj, "ed25519", 32);
	b64_lengths(yj, "challenge", 64);
	assert_format(fj, NULL, "cred_id", cJSON_CreateString(""));
	assert_format(fj, NULL, "id", cJSON_CreateString("00112233"));
	assert_format(fj, NULL, "id",
	    cJSON_CreateString("00112233445566778899aabbccddeeff00"));
	assert_format(fj, NULL, "id",
	    cJSON_CreateString("00112233445566778899aabbccddeexx"));
	assert_format(fj, NULL, "aaguid", cJSON_CreateString("0011"));
	/* ranges and enumerations */
	assert_format(yj, NULL, "slot", cJSON_CreateNumber(3));
	assert_format(yj, NULL, "slot", cJSON_CreateNumber(0));
	assert_format(yj, NULL, "slot", cJSON_CreateNumber(-1));
	assert_format(yj, NULL, "slot", cJSON_CreateNumber(1.5));
	assert_format(yj, NULL, "serial", cJSON_CreateNumber(0));
	assert_format(yj, NULL, "serial", cJSON_CreateNumber(4294967296.0));
	assert_format(yj, NULL, "serial", cJSON_CreateNumber(-5));
	assert_format(fj, NULL, "uv", cJSON_CreateString("maybe"));
	assert_format(fj, NULL, "uv", cJSON_CreateString("PIN"));
	assert_format(fj, NULL, "uv", cJSON_CreateString(""));
	/* not an object */
	assert_non_null(arr = cJSON_CreateArray());
	assert_err(from_json(arr, &d), BG_EFORMAT);
	cJSON_Delete(arr);
	/* a model too long for the descriptor */
	assert_non_null(s = malloc(300));
	memset(s, 'm', 299);
	s[299] = '\0';
	assert_format(fj, NULL, "model", cJSON_CreateString(s));
	free(s);

	/* the originals still parse */
	bg_token_desc_free((bg_token_desc_t *[]){ must_from_json(fj) });
	bg_token_desc_free((bg_token_desc_t *[]){ must_from_json(yj) });
	cJSON_Delete(fj);
	cJSON_Delete(yj);
	bg_token_desc_free(&fd);
	bg_token_desc_free(&yd);
}

/* ------------------------------------------------------ token signatures */

#define SIGN_MSG	"breakglass approval: request 7, account 111122223333"
#define SIGN_LEN	(sizeof(SIGN_MSG) - 1)

/*
 * Known answers computed with Python hmac (HKDF-SHA256 to the seed) and
 * the openssl CLI (pkey for the public key, pkeyutl -rawin to sign), for
 * the first key of test_derive_known_answers.
 */
static void
test_sign_known_answers(void **state)
{
	static const char xpriv_hex[] =
	    "aebc41c8b41fddb89f545d84a91945c3c4961061fcf73fc5d734dc42ced72fb3";
	static const char pub_hex[] =
	    "dfe1bf614e15603acd2fe1514660a2fdb3e3374a9c25c86e80ff6f9d39e90f64";
	static const char sig_hex[] =
	    "c48fa7ad510e7200f7117f9838eaac9b8c8e2264f236c99cda734924abf7dec5"
	    "252e9df0b7dcd7e8103e79cdb902d9b0638916c4dce096793ad1332c4275ba02";
	static const uint8_t msg[] = "breakglass";
	uint8_t id[16], xpriv[32], pub[32], sig[BG_TOKEN_SIG_LEN], want[64];
	size_t b;

	(void)state;
	for (b = 0; b < sizeof(id); b++)
		id[b] = (uint8_t)(0xa0 + b);
	unhex(xpriv_hex, xpriv, 32);
	assert_err(bg_token_sign_public(id, xpriv, pub), BG_OK);
	unhex(pub_hex, want, 32);
	assert_memory_equal(pub, want, 32);
	assert_err(bg_token_sign_raw(id, xpriv, msg, sizeof(msg) - 1, sig),
	    BG_OK);
	unhex(sig_hex, want, 64);
	assert_memory_equal(sig, want, 64);

	/* OpenSSL itself, not tokens/, accepts it */
	assert_int_equal(openssl_ed25519_verify(pub, sig, msg,
	    sizeof(msg) - 1), 1);

	/* the id is the salt: the same X25519 key for another id signs
	 * with another key */
	id[15] ^= 1;
	assert_err(bg_token_sign_public(id, xpriv, want), BG_OK);
	assert_memory_not_equal(want, pub, 32);
	/* the signing key is not the X25519 key's public key */
	assert_int_equal(bg_x25519_public(xpriv, want), BG_OK);
	assert_memory_not_equal(want, pub, 32);
}

static bg_token_desc_t *
enroll_vf(const char *name)
{
	struct bg_token_opts o = opts();
	char path[PATH_LEN];

	vf_create(name, NULL);
	assert_int_equal(bg_vfido_path(base, name, path, sizeof(path)), 0);
	o.device = path;
	return enroll(BG_TOKEN_FIDO2, &o);
}

static bg_token_desc_t *
enroll_vk(unsigned serial)
{
	struct bg_token_opts o = opts();

	vk_create(serial);
	o.serial = serial;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	return enroll(BG_TOKEN_YUBIKEY, &o);
}

/* The descriptor's "ed25519" is the signing key of the X25519 key the
 * emulator's own computation gives (id and priv from the caller). */
static void
assert_sign_public(const bg_token_desc_t *d, const uint8_t id[16],
    const uint8_t priv[32])
{
	uint8_t pub[32];
	cJSON *j = to_json(d);

	assert_err(bg_token_sign_public(id, priv, pub), BG_OK);
	assert_memory_equal(bg_token_desc_sign_public(d), pub, 32);
	assert_int_equal(jb64(j, "ed25519", pub, sizeof(pub)), 32);
	assert_memory_equal(bg_token_desc_sign_public(d), pub, 32);
	cJSON_Delete(j);
}

/* k signs SIGN_MSG into sig; d verifies it; bg_token_sign_raw with the id
 * and the key bytes gives the same signature (Ed25519 is deterministic). */
static void
assert_signs(const bg_token_desc_t *d, const bg_token_key_t *k,
    uint8_t sig[BG_TOKEN_SIG_LEN])
{
	uint8_t id[16], raw[BG_TOKEN_SIG_LEN];

	assert_err(bg_token_key_sign(k, (const uint8_t *)SIGN_MSG, SIGN_LEN,
	    sig), BG_OK);
	assert_err(bg_token_sig_verify(d, (const uint8_t *)SIGN_MSG, SIGN_LEN,
	    sig), BG_OK);
	unhex(bg_token_desc_id(d), id, 16);
	assert_err(bg_token_sign_raw(id, bg_token_key_bytes(k),
	    (const uint8_t *)SIGN_MSG, SIGN_LEN, raw), BG_OK);
	assert_memory_equal(sig, raw, BG_TOKEN_SIG_LEN);
}

/* Both kinds sign once unlocked, and their descriptors verify. */
static void
test_sign_fido2_and_yubikey_after_unlock(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	uint8_t secret[32], chal[64], id[16], resp[20], priv[32], pub[32];
	uint8_t sig[BG_TOKEN_SIG_LEN], sig2[BG_TOKEN_SIG_LEN], hash[32] = { 9 };
	bg_token_desc_t *fd, *yd, *e;
	bg_token_key_t *k, *k2 = NULL;
	cJSON *j;

	(void)state;
	assert_non_null(a);
	fd = enroll_vf("sam");
	yd = enroll_vk(SERIAL_A);
	/* enrollment wrote the signing key of the expected token key */
	fido2_expected_secret("sam", fd, 0, secret, id);
	assert_int_equal(bg_token_derive(id, secret, 32, priv, pub), BG_OK);
	assert_sign_public(fd, id, priv);
	yk_challenge(yd, chal, id);
	assert_int_equal(bg_vyk_expected(base, SERIAL_A, 2, chal, 64, resp),
	    BG_OK);
	assert_int_equal(bg_token_derive(id, resp, 20, priv, pub), BG_OK);
	assert_sign_public(yd, id, priv);

	/* FIDO2: unlock, sign; the key of an approval signs the same */
	k = unlock(fd, &o);
	assert_fido2_key("sam", fd, 0, k);
	assert_signs(fd, k, sig);
	assert_err(bg_token_sign(fd, &o, hash, a, &k2), BG_OK);
	assert_err(bg_token_key_sign(k2, (const uint8_t *)SIGN_MSG, SIGN_LEN,
	    sig2), BG_OK);
	assert_memory_equal(sig, sig2, sizeof(sig));
	bg_token_key_free(&k2);
	/* an empty message */
	assert_err(bg_token_key_sign(k, NULL, 0, sig2), BG_OK);
	assert_err(bg_token_sig_verify(fd, NULL, 0, sig2), BG_OK);
	assert_err(bg_token_sig_verify(fd, (const uint8_t *)"", 0, sig2),
	    BG_OK);
	assert_err(bg_token_sig_verify(fd, (const uint8_t *)"x", 1, sig2),
	    BG_ESIG);
	bg_token_key_free(&k);

	/* YubiKey: unlock, sign */
	k = unlock(yd, &o);
	assert_yk_key(yd, SERIAL_A, 2, k);
	assert_signs(yd, k, sig);
	bg_token_key_free(&k);

	/* the descriptor as stored (JSON, parsed back) verifies */
	j = to_json(yd);
	e = must_from_json(j);
	assert_memory_equal(bg_token_desc_sign_public(e),
	    bg_token_desc_sign_public(yd), 32);
	assert_err(bg_token_sig_verify(e, (const uint8_t *)SIGN_MSG, SIGN_LEN,
	    sig), BG_OK);
	bg_token_desc_free(&e);
	cJSON_Delete(j);
	bg_token_desc_free(&fd);
	bg_token_desc_free(&yd);
	free(a);
}

/* Every byte of the message and of the signature counts, and a
 * signature is the signing token's only. */
static void
test_sign_forgeries_refused(void **state)
{
	struct bg_token_opts o = opts();
	uint8_t msg[SIGN_LEN], fsig[BG_TOKEN_SIG_LEN], ysig[BG_TOKEN_SIG_LEN];
	uint8_t bad[BG_TOKEN_SIG_LEN];
	bg_token_desc_t *fd, *yd;
	bg_token_key_t *k;
	size_t i;

	(void)state;
	fd = enroll_vf("tom");
	yd = enroll_vk(SERIAL_A);
	k = unlock(fd, &o);
	assert_signs(fd, k, fsig);
	bg_token_key_free(&k);
	k = unlock(yd, &o);
	assert_signs(yd, k, ysig);
	bg_token_key_free(&k);

	memcpy(msg, SIGN_MSG, SIGN_LEN);
	for (i = 0; i < SIGN_LEN; i++) {
		msg[i] ^= 0x01;
		assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN, fsig),
		    BG_ESIG);
		assert_err(bg_token_sig_verify(yd, msg, SIGN_LEN, ysig),
		    BG_ESIG);
		msg[i] ^= 0x01;
	}
	/* a byte more or less */
	assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN - 1, fsig), BG_ESIG);
	assert_err(bg_token_sig_verify(yd, (const uint8_t *)SIGN_MSG "!",
	    SIGN_LEN + 1, ysig), BG_ESIG);
	for (i = 0; i < BG_TOKEN_SIG_LEN; i++) {
		memcpy(bad, fsig, sizeof(bad));
		bad[i] ^= 0x01;
		assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN, bad),
		    BG_ESIG);
		memcpy(bad, ysig, sizeof(bad));
		bad[i] ^= 0x80;
		assert_err(bg_token_sig_verify(yd, msg, SIGN_LEN, bad),
		    BG_ESIG);
	}
	memset(bad, 0, sizeof(bad));
	assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN, bad), BG_ESIG);
	/* another token's signature over the same message */
	assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN, ysig), BG_ESIG);
	assert_err(bg_token_sig_verify(yd, msg, SIGN_LEN, fsig), BG_ESIG);
	/* the originals still verify */
	assert_err(bg_token_sig_verify(fd, msg, SIGN_LEN, fsig), BG_OK);
	assert_err(bg_token_sig_verify(yd, msg, SIGN_LEN, ysig), BG_OK);
	bg_token_desc_free(&fd);
	bg_token_desc_free(&yd);
}

/* Four tokens, four signing keys, none of them an X25519 key. */
static void
test_sign_keys_differ_between_tokens(void **state)
{
	struct bg_token_opts o = opts();
	uint8_t sig[4][BG_TOKEN_SIG_LEN];
	bg_token_desc_t *d[4], *again;
	bg_token_key_t *k;
	size_t i, n;

	(void)state;
	d[0] = enroll_vf("uma");
	d[1] = enroll_vf("vic");
	d[2] = enroll_vk(SERIAL_A);
	d[3] = enroll_vk(SERIAL_B);
	for (i = 0; i < 4; i++) {
		k = unlock(d[i], &o);
		assert_signs(d[i], k, sig[i]);
		bg_token_key_free(&k);
	}
	for (i = 0; i < 4; i++) {
		assert_memory_not_equal(bg_token_desc_sign_public(d[i]),
		    bg_token_desc_public(d[i]), 32);
		for (n = 0; n < 4; n++) {
			if (n == i)
				continue;
			assert_memory_not_equal(bg_token_desc_sign_public(d[i]),
			    bg_token_desc_sign_public(d[n]), 32);
			assert_memory_not_equal(sig[i], sig[n],
			    BG_TOKEN_SIG_LEN);
			assert_err(bg_token_sig_verify(d[i],
			    (const uint8_t *)SIGN_MSG, SIGN_LEN, sig[n]),
			    BG_ESIG);
		}
	}
	/* the same YubiKey enrolled again (a new id and challenge): a new
	 * signing key, and the old signature is not the new enrollment's */
	o.serial = SERIAL_A;
	again = enroll(BG_TOKEN_YUBIKEY, &o);
	assert_memory_not_equal(bg_token_desc_sign_public(again),
	    bg_token_desc_sign_public(d[2]), 32);
	assert_err(bg_token_sig_verify(again, (const uint8_t *)SIGN_MSG,
	    SIGN_LEN, sig[2]), BG_ESIG);
	bg_token_desc_free(&again);
	for (i = 0; i < 4; i++)
		bg_token_desc_free(&d[i]);
}

/*
 * "ed25519" is required and exactly 32 bytes. A well-formed one that is
 * not the token's parses (a descriptor cannot tell without a touch), but
 * the unlock refuses it and the token's signatures do not verify with it.
 */
static void
test_sign_desc_field(void **state)
{
	struct bg_token_opts o = opts();
	uint8_t buf[64], sig[BG_TOKEN_SIG_LEN];
	bg_token_desc_t *d[2], *e;
	bg_token_key_t *k;
	cJSON *j, *other;
	char cut[64], *t;
	const char *s;
	size_t i;

	(void)state;
	d[0] = enroll_vf("wes");
	d[1] = enroll_vk(SERIAL_A);
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 2; i++) {
		j = to_json(d[i]);
		s = jstr(j, "ed25519");
		assert_int_equal(strlen(s), 44);
		/* missing, truncated, too long, empty, not base64, a number */
		assert_format(j, NULL, "ed25519", NULL);
		t = b64(buf, 31);
		assert_format(j, NULL, "ed25519", cJSON_CreateString(t));
		free(t);
		snprintf(cut, sizeof(cut), "%.40s", s);	/* 30 bytes */
		assert_format(j, NULL, "ed25519", cJSON_CreateString(cut));
		snprintf(cut, sizeof(cut), "%.43s", s);	/* padding cut */
		assert_format(j, NULL, "ed25519", cJSON_CreateString(cut));
		t = b64(buf, 33);
		assert_format(j, NULL, "ed25519", cJSON_CreateString(t));
		free(t);
		t = b64(buf, 64);
		assert_format(j, NULL, "ed25519", cJSON_CreateString(t));
		free(t);
		assert_format(j, NULL, "ed25519", cJSON_CreateString(""));
		assert_format(j, NULL, "ed25519",
		    cJSON_CreateString("not base64!"));
		assert_format(j, NULL, "ed25519", cJSON_CreateNumber(32));

		/* the other token's signing key in this descriptor */
		other = to_json(d[1 - i]);
		jset_str(j, "ed25519", jstr(other, "ed25519"));
		e = must_from_json(j);
		assert_memory_equal(bg_token_desc_public(e),
		    bg_token_desc_public(d[i]), 32);
		assert_err(unlock_err(e, &o), BG_EWRONGTOKEN);
		assert_non_null(strstr(bg_why(), "signing key"));
		k = unlock(d[i], &o);
		assert_signs(d[i], k, sig);
		bg_token_key_free(&k);
		assert_err(bg_token_sig_verify(e, (const uint8_t *)SIGN_MSG,
		    SIGN_LEN, sig), BG_ESIG);
		bg_token_desc_free(&e);
		cJSON_Delete(other);
		cJSON_Delete(j);
	}
	bg_token_desc_free(&d[0]);
	bg_token_desc_free(&d[1]);
}

/* ------------------------------------------- keys a descriptor may carry */

/* RFC 7748 small-order u, canonical (0, 1, p-1, the two of order 8), then
 * the non-canonical p and p+1 (= 0 and 1 again). */
static const char *const x25519_low[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

/* Edwards25519's eight points of order dividing 8 (computed in Python
 * from a point of order 8l times l), then non-canonical encodings: y = p,
 * y = p + 1, x = 0 with the sign bit (y = 1, y = -1), y = 2 (no point). */
static const char *const ed25519_bad[] = {
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"0200000000000000000000000000000000000000000000000000000000000000",
};

/* Parsing j with key set to the 32 bytes k is BG_EFORMAT naming what. */
static void
refused_key(const cJSON *orig, const char *key, const uint8_t k[32],
    const char *what)
{
	cJSON *j = cJSON_Duplicate(orig, 1);
	bg_token_desc_t *d = NULL;

	assert_non_null(j);
	jset_b64(j, key, k, 32);
	assert_err(from_json(j, &d), BG_EFORMAT);
	if (strstr(bg_why(), what) == NULL)
		fail_msg("%s refused, but why says \"%s\"", key, bg_why());
	cJSON_Delete(j);
}

/* OpenSSL's X25519 with a random scalar and peer u: 1 when it derives. */
static int
openssl_derives(const uint8_t u[32])
{
	EVP_PKEY *me = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *peer;
	EVP_PKEY_CTX *ctx;
	uint8_t out[32];
	size_t len = sizeof(out);
	int ok;

	assert_non_null(me);
	assert_non_null(peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519,
	    NULL, u, 32));
	assert_non_null(ctx = EVP_PKEY_CTX_new(me, NULL));
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
	ok = EVP_PKEY_derive(ctx, out, &len) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(me);
	return ok;
}

static void
test_desc_x25519_refused(void **state)
{
	bg_token_desc_t *d[2];
	uint8_t k[32], real[32];
	cJSON *j;
	size_t i, n;

	(void)state;
	d[0] = enroll_vf("ada");
	d[1] = enroll_vk(SERIAL_A);
	for (n = 0; n < 2; n++) {
		j = to_json(d[n]);
		memcpy(real, bg_token_desc_public(d[n]), 32);
		assert_true(openssl_derives(real));
		for (i = 0; i < NELEM(x25519_low); i++) {
			unhex(x25519_low[i], k, 32);
			/* OpenSSL refuses the all-zero secret each one gives */
			assert_false(openssl_derives(k));
			refused_key(j, "x25519", k, i < 5 ? "small order" :
			    "not below 2^255-19");
			k[31] |= 0x80;
			refused_key(j, "x25519", k, "top bit set");
		}
		/* the real key with the top bit set: RFC 7748 would mask it
		 * and use the same key; a descriptor must not */
		memcpy(k, real, 32);
		k[31] |= 0x80;
		refused_key(j, "x25519", k, "top bit set");
		memset(k, 0xff, 32);
		refused_key(j, "x25519", k, "X25519");
		k[31] = 0x7f;	/* 2^255 - 1 */
		refused_key(j, "x25519", k, "not below 2^255-19");
		/* the real one still parses */
		bg_token_desc_free((bg_token_desc_t *[]){ must_from_json(j) });
		cJSON_Delete(j);
		bg_token_desc_free(&d[n]);
	}
}

static void
test_desc_ed25519_refused(void **state)
{
	static const uint8_t msg[] = "approve request 1 as anyone";
	uint8_t k[32], sig[64];
	bg_token_desc_t *d[2], *e;
	cJSON *j;
	size_t i, n;

	(void)state;
	/* why: OpenSSL accepts (R = identity, S = 0) from the identity
	 * "key" over any message */
	unhex(ed25519_bad[0], k, 32);
	memset(sig, 0, sizeof(sig));
	sig[0] = 1;
	assert_int_equal(openssl_ed25519_verify(k, sig, msg,
	    sizeof(msg) - 1), 1);

	d[0] = enroll_vf("bea");
	d[1] = enroll_vk(SERIAL_A);
	for (n = 0; n < 2; n++) {
		j = to_json(d[n]);
		for (i = 0; i < NELEM(ed25519_bad); i++) {
			unhex(ed25519_bad[i], k, 32);
			refused_key(j, "ed25519", k, i < 8 ? "small order" :
			    i < 10 ? "not below 2^255-19" : i < 12 ?
			    "sign bit" : "not a point");
		}
		/* the sign bit of a real key: another valid point, which
		 * parses; its proof is then not the token's */
		memcpy(k, bg_token_desc_sign_public(d[n]), 32);
		k[31] ^= 0x80;
		jset_b64(j, "ed25519", k, 32);
		e = must_from_json(j);
		assert_err(bg_token_desc_proof_verify(e), BG_ESIG);
		bg_token_desc_free(&e);
		cJSON_Delete(j);
		bg_token_desc_free(&d[n]);
	}
}

/* cred_pubkey as x || y: the SEC1 compressed and uncompressed forms. */
static void
sec1(const uint8_t xy[64], uint8_t comp[33], uint8_t unc[65])
{
	comp[0] = (uint8_t)(0x02 | (xy[63] & 1));
	memcpy(comp + 1, xy, 32);
	unc[0] = 0x04;
	memcpy(unc + 1, xy, 64);
}

static void
test_desc_es256_encodings(void **state)
{
	static const char p256_hex[] =
	    "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
	uint8_t xy[64], comp[33], unc[65], bad[65];
	bg_token_desc_t *d, *e;
	cJSON *j;
	char *t0, *t1;

	(void)state;
	d = enroll_vf("cid");
	j = to_json(d);
	t0 = to_text(d);
	assert_int_equal(jb64(j, "cred_pubkey", xy, sizeof(xy)), 64);
	sec1(xy, comp, unc);

	/* the same key in either SEC1 form: parsed to x || y, written back
	 * as it was, the same token, and the proof still holds */
	jset_b64(j, "cred_pubkey", comp, sizeof(comp));
	e = must_from_json(j);
	t1 = to_text(e);
	assert_string_equal(t0, t1);
	assert_int_equal(bg_token_desc_same(d, e), 1);
	assert_err(bg_token_desc_proof_verify(e), BG_OK);
	free(t1);
	bg_token_desc_free(&e);
	jset_b64(j, "cred_pubkey", unc, sizeof(unc));
	e = must_from_json(j);
	t1 = to_text(e);
	assert_string_equal(t0, t1);
	free(t1);
	bg_token_desc_free(&e);

	/* refused: SEC1 hybrid, the other y, off the curve, x = p, short */
	memcpy(bad, unc, sizeof(bad));
	bad[0] = (uint8_t)(0x06 | (xy[63] & 1));
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    65)));
	comp[0] ^= 1;	/* -y: the point exists, but it is not this key */
	jset_b64(j, "cred_pubkey", comp, sizeof(comp));
	e = must_from_json(j);
	assert_int_equal(bg_token_desc_same(d, e), 1);	/* same cred_id */
	assert_err(bg_token_desc_proof_verify(e), BG_ESIG);
	bg_token_desc_free(&e);
	memcpy(bad, xy, 64);
	bad[63] ^= 1;
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    64)));
	unhex(p256_hex, bad, 32);
	memcpy(bad + 32, xy + 32, 32);
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    64)));
	memset(bad, 0, sizeof(bad));
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    64)));
	bad[0] = 0x04;
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    33)));
	assert_format(j, NULL, "cred_pubkey", cJSON_CreateString(b64s(bad,
	    1)));
	free(t0);
	cJSON_Delete(j);
	bg_token_desc_free(&d);
}

/* ------------------------------------------------ one token, one enrollment */

/* d's JSON with key replaced by the same key of other's JSON, parsed. */
static bg_token_desc_t *
with_field_of(const bg_token_desc_t *d, const char *key,
    const bg_token_desc_t *other)
{
	cJSON *j = to_json(d), *o = to_json(other);
	bg_token_desc_t *e;

	assert_true(cJSON_ReplaceItemInObjectCaseSensitive(j, key,
	    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(o, key), 1)));
	e = must_from_json(j);
	cJSON_Delete(o);
	cJSON_Delete(j);
	return e;
}

static void
test_desc_same(void **state)
{
	struct bg_token_opts o = opts();
	bg_token_desc_t *f1, *f2, *y1, *y2, *y3, *y4, *e;
	uint8_t xy[64], comp[33], id[16];
	char idhex[33], path[PATH_LEN];
	cJSON *j, *o2;

	(void)state;
	f1 = enroll_vf("dan");
	f2 = enroll_vf("eve");
	y1 = enroll_vk(SERIAL_A);
	y2 = enroll_vk(SERIAL_B);
	/* another slot of SERIAL_A */
	o.serial = SERIAL_A;
	o.slot = 1;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	y3 = enroll(BG_TOKEN_YUBIKEY, &o);
	/* SERIAL_A slot 2 again: a new id, challenge and keys */
	o.slot = 2;
	y4 = enroll(BG_TOKEN_YUBIKEY, &o);
	assert_memory_not_equal(bg_token_desc_public(y1),
	    bg_token_desc_public(y4), 32);

	assert_int_equal(bg_token_desc_same(f1, f1), 1);
	assert_int_equal(bg_token_desc_same(f1, f2), 0);
	assert_int_equal(bg_token_desc_same(f1, y1), 0);
	assert_int_equal(bg_token_desc_same(y1, y2), 0);
	assert_int_equal(bg_token_desc_same(y1, y3), 0);	/* other slot */
	assert_int_equal(bg_token_desc_same(y1, y4), 1);	/* same slot */
	assert_int_equal(bg_token_desc_same(y4, y1), 1);
	assert_int_equal(bg_token_desc_same(NULL, y1), 0);
	assert_int_equal(bg_token_desc_same(y1, NULL), 0);

	/* the FIDO2 credential under a new id and another token's keys,
	 * its key compressed: the same credential */
	j = to_json(f1);
	assert_int_equal(RAND_bytes(id, sizeof(id)), 1);
	assert_int_equal(bg_hex_encode(id, 16, idhex, sizeof(idhex)), BG_OK);
	jset_str(j, "id", idhex);
	assert_int_equal(jb64(j, "cred_pubkey", xy, sizeof(xy)), 64);
	sec1(xy, comp, (uint8_t[65]){ 0 });
	jset_b64(j, "cred_pubkey", comp, sizeof(comp));
	e = must_from_json(j);
	cJSON_Delete(j);
	j = to_json(e);
	bg_token_desc_free(&e);
	o2 = to_json(f2);
	jset_str(j, "x25519", jstr(o2, "x25519"));
	jset_str(j, "ed25519", jstr(o2, "ed25519"));
	e = must_from_json(j);
	assert_int_equal(bg_token_desc_same(f1, e), 1);
	assert_err(bg_token_desc_proof_verify(e), BG_ESIG);
	bg_token_desc_free(&e);
	/* ... and f2's credential id too: the credential key alone */
	jset_str(j, "cred_id", jstr(o2, "cred_id"));
	e = must_from_json(j);
	assert_int_equal(bg_token_desc_same(f1, e), 1);
	assert_int_equal(bg_token_desc_same(f2, e), 1);	/* f2's keys */
	bg_token_desc_free(&e);
	cJSON_Delete(o2);
	cJSON_Delete(j);

	/* one matching field is enough, whatever the rest */
	e = with_field_of(f2, "cred_id", f1);
	assert_int_equal(bg_token_desc_same(f1, e), 1);
	bg_token_desc_free(&e);
	e = with_field_of(f2, "cred_pubkey", f1);
	assert_int_equal(bg_token_desc_same(f1, e), 1);
	bg_token_desc_free(&e);
	e = with_field_of(y2, "x25519", f1);	/* across kinds */
	assert_int_equal(bg_token_desc_same(f1, e), 1);
	assert_int_equal(bg_token_desc_same(e, y2), 1);
	bg_token_desc_free(&e);
	e = with_field_of(y2, "ed25519", y1);
	assert_int_equal(bg_token_desc_same(y1, e), 1);
	bg_token_desc_free(&e);
	e = with_field_of(y2, "id", y1);
	assert_int_equal(bg_token_desc_same(y1, e), 1);
	bg_token_desc_free(&e);
	e = with_field_of(y2, "serial", y1);	/* y2 is slot 2 too */
	assert_int_equal(bg_token_desc_same(y1, e), 1);
	bg_token_desc_free(&e);

	/*
	 * What it cannot see: the same FIDO2 key enrolled twice makes two
	 * credentials with nothing in common (a FIDO2 key shows no serial;
	 * docs/tokens.md says what the vault does about that).
	 */
	assert_int_equal(bg_vfido_path(base, "dan", path, sizeof(path)), 0);
	o = opts();
	o.device = path;
	e = enroll(BG_TOKEN_FIDO2, &o);
	assert_int_equal(bg_token_desc_same(f1, e), 0);
	bg_token_desc_free(&e);

	bg_token_desc_free(&f1);
	bg_token_desc_free(&f2);
	bg_token_desc_free(&y1);
	bg_token_desc_free(&y2);
	bg_token_desc_free(&y3);
	bg_token_desc_free(&y4);
}

/* ------------------------------------------------ a YubiKey slot's touch */

static void
test_yk_no_touch_slot_refused(void **state)
{
	static const uint8_t secret[20] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	    7, 7, 7, 7, 7, 7, 7, 7 };
	struct bg_token_opts o = opts();
	struct bg_vyk_info info;
	bg_token_desc_t *d = (bg_token_desc_t *)(uintptr_t)1;
	int lt64;

	(void)state;
	vk_create(SERIAL_A);
	o.serial = SERIAL_A;
	for (lt64 = 0; lt64 <= 1; lt64++) {
		assert_int_equal(bg_vyk_program_slot(base, SERIAL_A, 2, secret,
		    0, lt64), BG_OK);
		assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ENOUP);
		assert_null(d);
		assert_non_null(strstr(bg_why(), "answers without a touch"));
		assert_non_null(strstr(bg_why(), "program-yubikey --force"));
	}
	/* one throwaway challenge each, answered at once, never blinking;
	 * the enrollment's own challenge was never sent */
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &info), BG_OK);
	assert_int_equal(info.stats.challenges, 2);
	assert_int_equal(info.stats.touch_waits, 0);
	assert_int_equal(info.stats.touches, 0);

	/* slot 1 needs a touch: that one enrolls, slot 2 still does not */
	assert_int_equal(bg_vyk_program_slot(base, SERIAL_A, 1, secret, 1, 1),
	    BG_OK);
	o.slot = 1;
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	assert_err(bg_token_desc_proof_verify(d), BG_OK);
	bg_token_desc_free(&d);
	assert_int_equal(bg_vyk_get_info(base, SERIAL_A, &info), BG_OK);
	assert_int_equal(info.stats.touches, 1);	/* the probe: none */
	assert_int_equal(info.stats.touch_waits, 2);	/* blinked twice */
	o.slot = 2;
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ENOUP);
	assert_null(d);

	/* reprogrammed the way the message says: enrolls */
	assert_err(bg_token_yk_program(&o, 1), BG_OK);
	d = enroll(BG_TOKEN_YUBIKEY, &o);
	bg_token_desc_free(&d);
	/* a touch-required slot whose touch never comes: the check passes,
	 * the enrollment times out (no touch is not "no touch needed") */
	vk_knob(SERIAL_A, "no-touch", 1);
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_ETIMEOUT);
	assert_null(d);
}

/* --------------------------------------------------- proof of possession */

static int
proof_after(const bg_token_desc_t *d, const char *obj, const char *key,
    cJSON *val)
{
	cJSON *j = to_json(d), *target = j;
	bg_token_desc_t *e;
	int r;

	if (obj != NULL)
		target = cJSON_GetObjectItemCaseSensitive(j, obj);
	assert_non_null(target);
	assert_true(cJSON_ReplaceItemInObjectCaseSensitive(target, key, val));
	e = must_from_json(j);
	r = bg_token_desc_proof_verify(e);
	bg_token_desc_free(&e);
	cJSON_Delete(j);
	return r;
}

#define assert_tampered(d, obj, key, val) do {				\
	int r_ = proof_after((d), (obj), (key), (val));			\
	if (r_ != BG_ESIG)						\
		fail_msg("%s.%s edited: proof gives %s, want BG_ESIG",	\
		    (obj) ? (obj) : "", (key), bg_strerror(r_));	\
} while (0)

/* The base64 field key of j (in obj) with bit 0 of byte i flipped. */
static cJSON *
flipped(const bg_token_desc_t *d, const char *obj, const char *key, size_t i)
{
	cJSON *j = to_json(d), *t = obj ? cJSON_GetObjectItemCaseSensitive(j,
	    obj) : j, *v;
	uint8_t buf[600];
	size_t n = jb64(t, key, buf, sizeof(buf));

	assert_true(i < n);
	buf[i] ^= 1;
	v = cJSON_CreateString(b64s(buf, n));
	cJSON_Delete(j);
	return v;
}

static void
test_proof_verifies_and_tamper_refused(void **state)
{
	uint8_t buf[64];
	bg_token_desc_t *f, *f2, *y, *y2, *e;
	cJSON *j, *o2;

	(void)state;
	f = enroll_vf("fay");
	f2 = enroll_vf("gus");
	y = enroll_vk(SERIAL_A);
	y2 = enroll_vk(SERIAL_B);
	/* as enrolled, and as stored and read back */
	assert_err(bg_token_desc_proof_verify(f), BG_OK);
	assert_err(bg_token_desc_proof_verify(y), BG_OK);
	j = to_json(f);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "proof"));
	e = must_from_json(j);
	assert_err(bg_token_desc_proof_verify(e), BG_OK);
	bg_token_desc_free(&e);
	cJSON_Delete(j);

	/* YubiKey: every field is signed */
	memset(buf, 0x33, sizeof(buf));
	assert_tampered(y, NULL, "model", cJSON_CreateString("YubiKey 9"));
	assert_tampered(y, NULL, "serial", cJSON_CreateNumber(SERIAL_B));
	assert_tampered(y, NULL, "slot", cJSON_CreateNumber(1));
	assert_tampered(y, NULL, "challenge", cJSON_CreateString(b64s(buf,
	    64)));
	assert_tampered(y, NULL, "id",
	    cJSON_CreateString("00112233445566778899aabbccddeeff"));
	o2 = to_json(y2);
	assert_tampered(y, NULL, "x25519", cJSON_CreateString(jstr(o2,
	    "x25519")));
	assert_tampered(y, NULL, "ed25519", cJSON_CreateString(jstr(o2,
	    "ed25519")));
	/* another token's proof */
	assert_tampered(y, NULL, "proof", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(o2, "proof"), 1));
	cJSON_Delete(o2);
	assert_tampered(y, "proof", "sig", flipped(y, "proof", "sig", 0));
	assert_tampered(y, "proof", "sig", flipped(y, "proof", "sig", 63));

	/* FIDO2: the fields, the assertion, the signature */
	o2 = to_json(f2);
	assert_tampered(f, NULL, "cred_id", cJSON_CreateString(jstr(o2,
	    "cred_id")));
	assert_tampered(f, NULL, "cred_pubkey", cJSON_CreateString(jstr(o2,
	    "cred_pubkey")));
	assert_tampered(f, NULL, "salt", cJSON_CreateString(jstr(o2,
	    "salt")));
	assert_tampered(f, NULL, "x25519", cJSON_CreateString(jstr(o2,
	    "x25519")));
	assert_tampered(f, NULL, "uv", cJSON_CreateString("pin"));
	assert_tampered(f, NULL, "aaguid",
	    cJSON_CreateString("00112233445566778899aabbccddeeff"));
	assert_tampered(f, NULL, "model", cJSON_CreateString("Acme Key"));
	assert_tampered(f, NULL, "attestation", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(o2, "attestation"), 1));
	assert_tampered(f, NULL, "proof", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(o2, "proof"), 1));
	cJSON_Delete(o2);
	assert_tampered(f, "proof", "sig", flipped(f, "proof", "sig", 10));
	assert_tampered(f, "proof", "es256", flipped(f, "proof", "es256",
	    20));
	/* authdata: CBOR header 2 bytes, rpIdHash, flags, counter */
	assert_tampered(f, "proof", "authdata", flipped(f, "proof",
	    "authdata", 2));
	assert_tampered(f, "proof", "authdata", flipped(f, "proof",
	    "authdata", 2 + 32));
	assert_tampered(f, "proof", "authdata", flipped(f, "proof",
	    "authdata", 2 + 36));
	assert_tampered(f, "attestation", "sig", flipped(f, "attestation",
	    "sig", 8));

	/* the originals still verify */
	assert_err(bg_token_desc_proof_verify(f), BG_OK);
	assert_err(bg_token_desc_proof_verify(y), BG_OK);
	assert_err(bg_token_desc_proof_verify(NULL), BG_EINVAL);
	bg_token_desc_free(&f);
	bg_token_desc_free(&f2);
	bg_token_desc_free(&y);
	bg_token_desc_free(&y2);
}

/* The proof of a test program's YubiKey, from its raw X25519 key. */
static void
test_proof_raw(void **state)
{
	uint8_t priv[32], other[32], pub[32], spub[32], id[16], ch[64];
	char text[1024];
	bg_token_desc_t *d, *f;
	cJSON *j;

	(void)state;
	assert_int_equal(RAND_bytes(priv, 32), 1);
	assert_int_equal(RAND_bytes(other, 32), 1);
	assert_int_equal(RAND_bytes(id, 16), 1);
	assert_int_equal(RAND_bytes(ch, 64), 1);
	assert_int_equal(bg_x25519_public(priv, pub), BG_OK);
	assert_err(bg_token_sign_public(id, priv, spub), BG_OK);
	{
		char idhex[33], *p64 = b64(pub, 32), *s64 = b64(spub, 32),
		    *c64 = b64(ch, 64);

		bg_hex_encode(id, 16, idhex, sizeof(idhex));
		snprintf(text, sizeof(text), "{\"kind\":\"yubikey\",\"id\":"
		    "\"%s\",\"x25519\":\"%s\",\"ed25519\":\"%s\",\"serial\":7,"
		    "\"slot\":2,\"challenge\":\"%s\",\"model\":\"test\"}", idhex,
		    p64, s64, c64);
		free(p64);
		free(s64);
		free(c64);
	}
	assert_non_null(j = bg_json_parse(text, strlen(text)));
	d = must_from_json(j);
	cJSON_Delete(j);
	assert_err(bg_token_desc_proof_verify(d), BG_EFORMAT);
	assert_err(bg_token_desc_prove_raw(d, other), BG_EWRONGTOKEN);
	assert_err(bg_token_desc_proof_verify(d), BG_EFORMAT);
	assert_err(bg_token_desc_prove_raw(d, priv), BG_OK);
	assert_err(bg_token_desc_proof_verify(d), BG_OK);
	/* written out and read back, it still verifies */
	j = to_json(d);
	bg_token_desc_free(&d);
	d = must_from_json(j);
	cJSON_Delete(j);
	assert_err(bg_token_desc_proof_verify(d), BG_OK);
	assert_err(bg_token_desc_prove_raw(NULL, priv), BG_EINVAL);
	assert_err(bg_token_desc_prove_raw(d, NULL), BG_EINVAL);
	f = enroll_vf("hal");
	assert_err(bg_token_desc_prove_raw(f, priv), BG_EINVAL);
	bg_token_desc_free(&f);
	bg_token_desc_free(&d);
}

static void
test_null_arguments(void **state)
{
	struct bg_token_assertion *a = calloc(1, sizeof(*a));
	struct bg_token_opts o = opts();
	struct bg_token_dev *devs = NULL;
	bg_token_desc_t *fd, *yd, *d = NULL;
	bg_token_key_t *k = NULL;
	uint8_t hash[32] = { 4 }, id[16] = { 5 }, pub[32];
	uint8_t sig[BG_TOKEN_SIG_LEN] = { 0 };
	cJSON *j = NULL;
	size_t n;

	(void)state;
	assert_non_null(a);
	vf_create("zoe", NULL);
	vk_create(SERIAL_A);
	fd = enroll(BG_TOKEN_FIDO2, &o);
	o.serial = SERIAL_A;
	assert_err(bg_token_yk_program(&o, 0), BG_OK);
	yd = enroll(BG_TOKEN_YUBIKEY, &o);
	o = opts();

	assert_err(bg_token_desc_to_json(NULL, &j), BG_EINVAL);
	assert_err(bg_token_desc_to_json(fd, NULL), BG_EINVAL);
	assert_err(bg_token_desc_from_json(NULL, &d), BG_EINVAL);
	j = to_json(fd);
	assert_err(bg_token_desc_from_json(j, NULL), BG_EINVAL);
	cJSON_Delete(j);
	assert_err(bg_token_list(NULL, &n), BG_EINVAL);
	assert_err(bg_token_list(&devs, NULL), BG_EINVAL);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, NULL, &d), BG_EINVAL);
	assert_err(bg_token_enroll(BG_TOKEN_FIDO2, &o, NULL), BG_EINVAL);
	assert_err(bg_token_enroll((enum bg_token_kind)7, &o, &d), BG_EINVAL);
	assert_null(d);
	o.slot = 3;
	assert_err(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d), BG_EINVAL);
	assert_err(bg_token_yk_program(&o, 0), BG_EINVAL);
	o.slot = -1;
	assert_err(bg_token_yk_program(&o, 0), BG_EINVAL);
	o = opts();
	assert_err(bg_token_yk_program(NULL, 0), BG_EINVAL);
	assert_err(bg_token_unlock(NULL, &o, &k), BG_EINVAL);
	assert_err(bg_token_unlock(fd, NULL, &k), BG_EINVAL);
	assert_err(bg_token_unlock(fd, &o, NULL), BG_EINVAL);
	assert_err(bg_token_sign(NULL, &o, hash, a, NULL), BG_EINVAL);
	assert_err(bg_token_sign(fd, NULL, hash, a, NULL), BG_EINVAL);
	assert_err(bg_token_sign(fd, &o, NULL, a, NULL), BG_EINVAL);
	assert_err(bg_token_sign(fd, &o, hash, NULL, NULL), BG_EINVAL);
	/* signing is for FIDO2 descriptors only */
	assert_err(bg_token_sign(yd, &o, hash, a, &k), BG_EINVAL);
	assert_err(bg_token_verify(yd, hash, a), BG_EINVAL);
	assert_err(bg_token_verify(NULL, hash, a), BG_EINVAL);
	assert_err(bg_token_verify(fd, NULL, a), BG_EINVAL);
	assert_err(bg_token_verify(fd, hash, NULL), BG_EINVAL);
	/* token signatures (hash stands for a message and a key) */
	assert_err(bg_token_key_sign(NULL, hash, 32, sig), BG_EINVAL);
	assert_err(bg_token_sig_verify(NULL, hash, 32, sig), BG_EINVAL);
	assert_err(bg_token_sig_verify(fd, NULL, 32, sig), BG_EINVAL);
	assert_err(bg_token_sig_verify(fd, hash, 32, NULL), BG_EINVAL);
	assert_err(bg_token_sign_raw(NULL, hash, hash, 32, sig), BG_EINVAL);
	assert_err(bg_token_sign_raw(id, NULL, hash, 32, sig), BG_EINVAL);
	assert_err(bg_token_sign_raw(id, hash, NULL, 32, sig), BG_EINVAL);
	assert_err(bg_token_sign_raw(id, hash, hash, 32, NULL), BG_EINVAL);
	assert_err(bg_token_sign_public(NULL, hash, pub), BG_EINVAL);
	assert_err(bg_token_sign_public(id, NULL, pub), BG_EINVAL);
	assert_err(bg_token_sign_public(id, hash, NULL), BG_EINVAL);
	assert_null(k);
	assert_null(bg_token_key_bytes(NULL));
	bg_token_key_free(NULL);
	bg_token_key_free(&k);
	bg_token_desc_free(NULL);
	bg_token_desc_free(&d);
	assert_int_equal(vf_touches("zoe"), 2);	/* none of it touched */
	bg_token_desc_free(&fd);
	bg_token_desc_free(&yd);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_derive_known_answers),
		T(test_token_list_sees_virtual_devices),
		T(test_fido2_touch_only_key_is_the_expected_one),
		T(test_fido2_pin_key_is_the_uv_one),
		T(test_fido2_pin_approval_verifies),
		T(test_fido2_pin_protocol_1),
		T(test_fido2_pin_token_enrolled_touch_only),
		T(test_fido2_enroll_in_child_unlock_in_parent),
		T(test_fido2_sign_verify_and_forgeries),
		T(test_fido2_no_device),
		T(test_fido2_credential_on_no_connected_device),
		T(test_fido2_modified_credential_id),
		T(test_fido2_wrong_pin_then_blocked),
		T(test_fido2_no_touch_times_out),
		T(test_fido2_removed_during_unlock),
		T(test_fido2_pulled_during_assertion),
		T(test_fido2_removed_at_touch_prompt),
		T(test_fido2_removed_during_enroll),
		T(test_fido2_removed_said_once),
		T(test_cli_fail_says_each_thing_once),
		T(test_fido2_u2f_only_key_is_named),
		T(test_fido2_getinfo_failure_is_named),
		T(test_fido2_enroll_names_missing_features),
		T(test_fido2_bad_signature),
		T(test_fido2_wrong_secret_never_gives_a_key),
		T(test_fido2_uv_mode_edited_is_refused),
		T(test_fido2_enroll_choices),
		T(test_fido2_attestation_trust_anchors),
		T(test_yk_program_enroll_unlock_slot2),
		T(test_yk_touch_slot_prompts_for_touch),
		T(test_yk_slot1),
		T(test_yk_key_matches_openssl_hmac),
		T(test_yk_which_key),
		T(test_yk_unconfigured_slot),
		T(test_yk_knobs),
		T(test_yk_removed_during_challenge),
		T(test_yk_removed_during_program),
		T(test_yk_program_existing_slot),
		T(test_desc_round_trip),
		T(test_desc_strict_parsing),
		T(test_sign_known_answers),
		T(test_sign_fido2_and_yubikey_after_unlock),
		T(test_sign_forgeries_refused),
		T(test_sign_keys_differ_between_tokens),
		T(test_sign_desc_field),
		T(test_desc_x25519_refused),
		T(test_desc_ed25519_refused),
		T(test_desc_es256_encodings),
		T(test_desc_same),
		T(test_yk_no_touch_slot_refused),
		T(test_proof_verifies_and_tamper_refused),
		T(test_proof_raw),
		T(test_null_arguments),
	};

	/* libfido2 and libykpers keep no state a test could leak into the
	 * next: every call re-enumerates under the current BG_VIRTUAL_DIR. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
