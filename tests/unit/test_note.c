/*
 * test_note: C2SP signed-note and tlog-checkpoint, and Ed25519 over EVP,
 * against golang.org/x/mod and C2SP vectors, RFC 8032/SUPERCOP known
 * answers and Wycheproof.
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
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "audit/merkle.h"
#include "audit/note.h"
#include "common/common.h"

#define SN_FILE		BG_VECTORS "/signed_note/signed_note_vectors.json"
#define SIGN_INPUT	BG_VECTORS "/crypto_vectors/pyca_cryptography_vectors/" \
			    "asymmetric/Ed25519/sign.input"
#define WYCHEPROOF	BG_VECTORS "/crypto_vectors/wycheproof/ed25519_test.json"

#define PETER_TEXT	"If you think cryptography is the answer to your " \
			    "problem,\nthen you don't know what your problem is.\n"

/* ------------------------------------------------------------ helpers */

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* Hex of any length into a malloc'd buffer (at least one byte). */
static uint8_t *
hexdup(const char *hex, size_t hexlen, size_t *len)
{
	uint8_t *out;

	assert_true(hexlen % 2 == 0);
	*len = hexlen / 2;
	assert_non_null(out = malloc(*len + 1));
	assert_int_equal(bg_hex_decode_exact(hex, hexlen, out, *len), BG_OK);
	return out;
}

static EVP_PKEY *
key_from_seed(const uint8_t seed[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    seed, 32);

	assert_non_null(k);
	return k;
}

/*
 * Go's private key string: PRIVATE+KEY+name+hex(id)+base64(0x01 || seed),
 * split on '+' at most 4 times (the base64 may hold '+').
 */
static EVP_PKEY *
parse_skey(const char *skey, char *name, size_t namesz, uint32_t *id)
{
	const char *p = skey, *q;
	uint8_t blob[33];
	char hex[9];
	EVP_PKEY *k;

	assert_int_equal(strncmp(p, "PRIVATE+KEY+", 12), 0);
	p += 12;
	assert_non_null(q = strchr(p, '+'));
	assert_true((size_t)(q - p) < namesz);
	memcpy(name, p, (size_t)(q - p));
	name[q - p] = '\0';
	p = q + 1;
	assert_true(strlen(p) > 9 && p[8] == '+');
	memcpy(hex, p, 8);
	hex[8] = '\0';
	*id = (uint32_t)strtoul(hex, NULL, 16);
	assert_int_equal(bg_b64_decode_exact(p + 9, strlen(p + 9), blob,
	    sizeof(blob)), BG_OK);
	assert_int_equal(blob[0], 0x01);
	k = key_from_seed(blob + 1);
	bg_wipe(blob, sizeof(blob));
	return k;
}

/* Verifier key of the vectors' key named name. */
static void
vector_key(const cJSON *j, const char *name, struct bg_note_key *key)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(j, "keys"), *k;
	const char *vkey;

	cJSON_ArrayForEach(k, keys) {
		if (strcmp(jstr(k, "name"), name) != 0)
			continue;
		vkey = jstr(k, "vkey");
		assert_int_equal(bg_note_vkey_parse(vkey, strlen(vkey), key),
		    BG_OK);
		return;
	}
	fail_msg("no key %s in vectors", name);
}

static int
open_str(const char *note, const struct bg_note_key *key, size_t *textlen)
{
	return bg_note_open(note, strlen(note), key, textlen);
}

struct fixture {
	EVP_PKEY *priv;
	struct bg_note_key key;
};

static int
setup(void **state)
{
	struct fixture *f;
	uint8_t pub[32];

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    bg_ed25519_generate(&f->priv) != BG_OK ||
	    bg_ed25519_public(f->priv, pub) != BG_OK ||
	    bg_note_key_init(&f->key, "example.com/breakglass", pub) != BG_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->priv);
	free(f);
	return 0;
}

/* ----------------------------------------------------------- key names */

static void
test_name_ok(void **state)
{
	static const char *const good[] = { "PeterNeumann", "example.com/foo",
	    "a", "\xc3\xa9t\xc3\xa9", "x\x7fy", "\xf0\x9f\x94\x91", NULL };
	static const char *const bad[] = { "", "a b", "a+b", "a\nb", "a\tb",
	    "a\rb", "a\x01", "a\xc2\xa0" "b", "a\xc2\x85", "a\xe3\x80\x80",
	    "a\xe2\x80\xa8", "\xe1\x9a\x80", "\xff", "\xc0\xaf", "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "\xe2\x80", "a\xc3", NULL };
	char name[BG_NOTE_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_int_equal(bg_note_name_ok(good[i]), 1);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(bg_note_name_ok(bad[i]), 0);
	assert_int_equal(bg_note_name_ok(NULL), 0);
	memset(name, 'n', sizeof(name));
	name[BG_NOTE_NAME_MAX] = '\0';
	assert_int_equal(bg_note_name_ok(name), 1);
	name[BG_NOTE_NAME_MAX] = 'n';
	name[BG_NOTE_NAME_MAX + 1] = '\0';
	assert_int_equal(bg_note_name_ok(name), 0);
}

static void
test_utf8_ok(void **state)
{
	(void)state;
	assert_int_equal(bg_note_utf8_ok("", 0), 1);
	assert_int_equal(bg_note_utf8_ok("a\nb\n", 4), 1);
	assert_int_equal(bg_note_utf8_ok("\xe2\x80\x94 \xf0\x9f\x94\x91", 8), 1);
	assert_int_equal(bg_note_utf8_ok("a\0b", 3), 0);
	assert_int_equal(bg_note_utf8_ok("a\rb", 3), 0);
	assert_int_equal(bg_note_utf8_ok("a\tb", 3), 0);
	assert_int_equal(bg_note_utf8_ok("\xe2\x80", 2), 0);
	assert_int_equal(bg_note_utf8_ok("\xe0\x80\xaf", 3), 0);	/* overlong */
	assert_int_equal(bg_note_utf8_ok("\xed\xbf\xbf", 3), 0);	/* surrogate */
	assert_int_equal(bg_note_utf8_ok("\xf5\x80\x80\x80", 4), 0);
	assert_int_equal(bg_note_utf8_ok("\x80", 1), 0);
	assert_int_equal(bg_note_utf8_ok(NULL, 1), 0);
}

/* ------------------------------------------------------ verifier keys */

static void
check_vkey(const cJSON *k)
{
	const char *vkey = jstr(k, "vkey"), *name = jstr(k, "name");
	struct bg_note_key key;
	char out[BG_NOTE_NAME_MAX + 64], hex[9];

	assert_int_equal(bg_note_vkey_parse(vkey, strlen(vkey), &key), BG_OK);
	assert_string_equal(key.name, name);
	snprintf(hex, sizeof(hex), "%08x", (unsigned)key.id);
	assert_memory_equal(vkey + strlen(name) + 1, hex, 8);
	assert_int_equal(bg_note_key_id(name, key.pub), key.id);
	assert_int_equal(bg_note_vkey_format(&key, out, sizeof(out)), BG_OK);
	assert_string_equal(out, vkey);
	/* the parse is exact: a shorter length is a different string */
	assert_int_equal(bg_note_vkey_parse(vkey, strlen(vkey) - 1, &key),
	    BG_EFORMAT);
}

static void
test_vkeys(void **state)
{
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *k, *keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
	struct bg_note_key key;
	char name[BG_NOTE_NAME_MAX + 1], out[BG_NOTE_NAME_MAX + 64];
	uint8_t pub[32];
	uint32_t id;
	EVP_PKEY *priv;
	int n = 0, derived = 0;

	(void)state;
	cJSON_ArrayForEach(k, keys) {
		const cJSON *skey = cJSON_GetObjectItemCaseSensitive(k, "skey");

		check_vkey(k);
		n++;
		if (!cJSON_IsString(skey))
			continue;
		/* the private key derives the published verifier key */
		priv = parse_skey(skey->valuestring, name, sizeof(name), &id);
		assert_string_equal(name, jstr(k, "name"));
		assert_int_equal(bg_ed25519_public(priv, pub), BG_OK);
		assert_int_equal(bg_note_key_init(&key, name, pub), BG_OK);
		assert_int_equal(key.id, id);
		assert_int_equal(bg_note_vkey_format(&key, out, sizeof(out)),
		    BG_OK);
		assert_string_equal(out, jstr(k, "vkey"));
		EVP_PKEY_free(priv);
		derived++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(derived, 1);
	cJSON_Delete(j);
}

static void
test_bad_vkeys(void **state)
{
	static const char *const bad[] = {
		/* a valid one, mutated */
		"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+",
		"PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
		"PeterNeumann",
		"",
		NULL,
	};
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *v, *arr = cJSON_GetObjectItemCaseSensitive(j, "bad_vkeys");
	struct bg_note_key key;
	size_t i;
	int n = 0;

	(void)state;
	cJSON_ArrayForEach(v, arr) {
		const char *s = jstr(v, "vkey");

		assert_int_equal(bg_note_vkey_parse(s, strlen(s), &key),
		    BG_EFORMAT);
		n++;
	}
	assert_int_equal(n, 2);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(bg_note_vkey_parse(bad[i], strlen(bad[i]),
		    &key), BG_EFORMAT);
	/* NUL inside the given length */
	assert_int_equal(bg_note_vkey_parse("Peter\0Neumann+c74f20a3+ARpc2QcUP"
	    "DhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 67, &key), BG_EFORMAT);
	assert_int_equal(bg_note_vkey_parse(NULL, 0, &key), BG_EINVAL);
	cJSON_Delete(j);
}

static void
test_key_init_format(void **state)
{
	struct fixture *f = *state;
	struct bg_note_key key, back;
	char out[BG_NOTE_NAME_MAX + 64];
	uint8_t pub[32] = { 0 };

	assert_int_equal(bg_note_key_init(&key, "a b", pub), BG_EINVAL);
	assert_int_equal(bg_note_key_init(&key, NULL, pub), BG_EINVAL);
	assert_int_equal(bg_note_key_init(&key, "a", NULL), BG_EINVAL);
	assert_int_equal(bg_note_key_id("a+b", pub), 0);
	assert_int_equal(bg_note_vkey_format(&f->key, out, sizeof(out)), BG_OK);
	assert_int_equal(bg_note_vkey_parse(out, strlen(out), &back), BG_OK);
	assert_memory_equal(&back, &f->key, sizeof(back));
	/* a key whose id does not match its name and public key */
	key = f->key;
	key.id ^= 1;
	assert_int_equal(bg_note_vkey_format(&key, out, sizeof(out)), BG_EINVAL);
	assert_int_equal(open_str("a\n\n\xe2\x80\x94 a AAAAAAAA\n", &key, NULL),
	    BG_EINVAL);
	/* too small an output buffer */
	assert_int_equal(bg_note_vkey_format(&f->key, out, 20), BG_ETOOBIG);
	assert_string_equal(out, "");
}

/* -------------------------------------------------------- vector notes */

static void
test_sign_peter(void **state)
{
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
	const cJSON *notes = cJSON_GetObjectItemCaseSensitive(j, "valid_notes");
	char name[BG_NOTE_NAME_MAX + 1], *note = NULL;
	size_t len;
	uint32_t id;
	EVP_PKEY *priv;

	(void)state;
	priv = parse_skey(jstr(cJSON_GetArrayItem(keys, 0), "skey"), name,
	    sizeof(name), &id);
	assert_string_equal(name, "PeterNeumann");
	/* Ed25519 is deterministic: Go's TestSign output, byte for byte */
	assert_int_equal(bg_note_sign(PETER_TEXT, strlen(PETER_TEXT), name,
	    priv, &note, &len), BG_OK);
	assert_int_equal(len, strlen(note));
	assert_string_equal(note, jstr(cJSON_GetArrayItem(notes, 0), "note"));
	free(note);
	EVP_PKEY_free(priv);
	cJSON_Delete(j);
}

static void
check_valid_note(const cJSON *j, const cJSON *v)
{
	const char *note = jstr(v, "note");
	const cJSON *name, *verifiers = cJSON_GetObjectItemCaseSensitive(v,
	    "verifiers");
	const char *split = strstr(note, "\n\n");
	struct bg_note_key key, other;
	size_t textlen;
	uint8_t pub[32];

	assert_non_null(split);
	assert_true(cJSON_GetArraySize(verifiers) > 0);
	cJSON_ArrayForEach(name, verifiers) {
		vector_key(j, name->valuestring, &key);
		textlen = 0;
		assert_int_equal(open_str(note, &key, &textlen), BG_OK);
		assert_int_equal(textlen, (size_t)(split - note) + 1);
		/* same name, another public key (so another id): ignored */
		memcpy(pub, key.pub, sizeof(pub));
		pub[0] ^= 1;
		assert_int_equal(bg_note_key_init(&other, key.name, pub), BG_OK);
		assert_int_equal(open_str(note, &other, &textlen), BG_ESIG);
		assert_int_equal(textlen, 0);
	}
	/* the wrong key */
	vector_key(j, "example.com/foo", &key);
	if (strstr(note, "example.com/foo") == NULL)
		assert_int_equal(open_str(note, &key, NULL), BG_ESIG);
	vector_key(j, "EnochRoot", &key);
	if (strstr(note, "EnochRoot") == NULL)
		assert_int_equal(open_str(note, &key, NULL), BG_ESIG);
}

static void
test_valid_notes(void **state)
{
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *v, *notes = cJSON_GetObjectItemCaseSensitive(j,
	    "valid_notes");
	int n = 0;

	(void)state;
	cJSON_ArrayForEach(v, notes) {
		check_valid_note(j, v);
		n++;
	}
	assert_int_equal(n, 4);
	cJSON_Delete(j);
}

/* Go's bad message [4] starts with the raw byte 0xFF (stored as U+00FF). */
static char *
raw_note(const char *s, size_t *len)
{
	char *out;

	*len = strlen(s);
	assert_non_null(out = malloc(*len + 1));
	memcpy(out, s, *len + 1);
	if (*len >= 2 && (uint8_t)s[0] == 0xc3 && (uint8_t)s[1] == 0xbf) {
		out[0] = (char)0xff;
		memmove(out + 1, out + 2, *len - 1);
		(*len)--;
	}
	return out;
}

static void
test_invalid_notes(void **state)
{
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *v, *notes = cJSON_GetObjectItemCaseSensitive(j,
	    "invalid_notes");
	struct bg_note_key key;
	size_t len, textlen;
	char *note;
	int n = 0, want;

	(void)state;
	cJSON_ArrayForEach(v, notes) {
		const char *expect = jstr(v, "expect");
		const cJSON *vf = cJSON_GetObjectItemCaseSensitive(v,
		    "verifiers");

		if (cJSON_GetArraySize(vf) > 0)
			vector_key(j, cJSON_GetArrayItem(vf, 0)->valuestring,
			    &key);
		else	/* "no trusted verifier": an unrelated key */
			vector_key(j, "example.com/foo", &key);
		want = strncmp(expect, "malformed", 9) == 0 ? BG_EFORMAT :
		    BG_ESIG;
		note = raw_note(jstr(v, "note"), &len);
		textlen = 99;
		assert_int_equal(bg_note_open(note, len, &key, &textlen), want);
		assert_int_equal(textlen, 0);
		free(note);
		n++;
	}
	assert_int_equal(n, 10);
	cJSON_Delete(j);
}

/* --------------------------------------------------------- own notes */

static char *
sign_ok(struct fixture *f, const char *text, size_t *len)
{
	char *note = NULL;

	assert_int_equal(bg_note_sign(text, strlen(text), f->key.name, f->priv,
	    &note, len), BG_OK);
	assert_non_null(note);
	assert_int_equal(strlen(note), *len);
	return note;
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	const char *text = "example.com/breakglass\n42\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension\n";
	char *note, want[256];
	size_t len, textlen = 0;

	note = sign_ok(f, text, &len);
	assert_memory_equal(note, text, strlen(text));
	snprintf(want, sizeof(want), "\n\xe2\x80\x94 %s ", f->key.name);
	assert_memory_equal(note + strlen(text), want, strlen(want));
	assert_int_equal(len, strlen(text) + strlen(want) + 92 + 1);
	assert_int_equal(note[len - 1], '\n');
	assert_int_equal(bg_note_open(note, len, &f->key, &textlen), BG_OK);
	assert_int_equal(textlen, strlen(text));
	/* textlen is optional */
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
}

/* Every single-bit flip anywhere in a note makes it fail to open. */
static void
test_tamper_every_byte(void **state)
{
	struct fixture *f = *state;
	char *note;
	size_t len, i;
	unsigned bit;
	int r;

	note = sign_ok(f, "example.com/breakglass\n7\nroot\n", &len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			note[i] = (char)(note[i] ^ (1 << bit));
			r = bg_note_open(note, len, &f->key, NULL);
			if (r == BG_OK)
				fail_msg("flip of bit %u at %zu opened", bit, i);
			assert_true(r == BG_EFORMAT || r == BG_ESIG);
			note[i] = (char)(note[i] ^ (1 << bit));
		}
	}
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
}

static void
test_truncated(void **state)
{
	struct fixture *f = *state;
	char *note, *copy;
	size_t len, i;

	note = sign_ok(f, "a\n", &len);
	for (i = 0; i < len; i++) {
		/* a fresh allocation of exactly i bytes, for ASan */
		assert_non_null(copy = malloc(i + 1));
		memcpy(copy, note, i);
		assert_int_not_equal(bg_note_open(copy, i, &f->key, NULL),
		    BG_OK);
		free(copy);
	}
	/* and with anything appended */
	assert_non_null(copy = malloc(len + 2));
	memcpy(copy, note, len);
	memcpy(copy + len, "x\n", 2);
	assert_int_equal(bg_note_open(copy, len + 1, &f->key, NULL),
	    BG_EFORMAT);
	assert_int_equal(bg_note_open(copy, len + 2, &f->key, NULL),
	    BG_EFORMAT);
	free(copy);
	free(note);
}

/* Builds text + "\n" + lines into a malloc'd note. */
static char *
build_note(const char *text, const char *lines, size_t *len)
{
	char *note;

	*len = strlen(text) + 1 + strlen(lines);
	assert_non_null(note = malloc(*len + 1));
	snprintf(note, *len + 1, "%s\n%s", text, lines);
	return note;
}

/* The signature line of a note we signed. */
static const char *
sig_line(const char *note)
{
	const char *p = strstr(note, "\n\n");

	assert_non_null(p);
	return p + 2;
}

static void
test_other_lines(void **state)
{
	struct fixture *f = *state;
	struct fixture g;
	char *mine, *theirs, *note, *lines;
	const char *text = "hello\n";
	size_t len, i, lsz = 4096;
	uint8_t pub[32];

	assert_non_null(lines = malloc(lsz));
	mine = sign_ok(f, text, &len);
	/* another key under our name (so another id) */
	assert_int_equal(bg_ed25519_generate(&g.priv), BG_OK);
	assert_int_equal(bg_ed25519_public(g.priv, pub), BG_OK);
	assert_int_equal(bg_note_key_init(&g.key, f->key.name, pub), BG_OK);
	assert_int_not_equal(g.key.id, f->key.id);
	theirs = sign_ok(&g, text, &len);
	/* alone it is ignored: no signature by our key */
	assert_int_equal(bg_note_open(theirs, len, &f->key, NULL), BG_ESIG);
	/* next to ours it is ignored, in either order */
	snprintf(lines, lsz, "%s%s", sig_line(theirs), sig_line(mine));
	note = build_note(text, lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	assert_int_equal(bg_note_open(note, len, &g.key, NULL), BG_OK);
	free(note);
	snprintf(lines, lsz, "%s%s", sig_line(mine), sig_line(theirs));
	note = build_note(text, lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
	/* our id under another name: ignored */
	snprintf(lines, lsz, "\xe2\x80\x94 other.example%s",
	    strchr(sig_line(mine), ' ') + 1 + strlen(f->key.name));
	note = build_note(text, lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_ESIG);
	free(note);
	/* our own signature twice is fine; sixteen lines is the limit */
	lines[0] = '\0';
	for (i = 0; i < BG_NOTE_MAX_SIGS; i++)
		strncat(lines, sig_line(mine), lsz - strlen(lines) - 1);
	assert_true(strlen(lines) < lsz - 200);
	note = build_note(text, lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
	strncat(lines, sig_line(theirs), lsz - strlen(lines) - 1);
	note = build_note(text, lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	free(mine);
	free(theirs);
	free(lines);
	EVP_PKEY_free(g.priv);
}

/* A valid line of ours does not excuse a bad one (signed-note SHOULD). */
static void
test_bad_next_to_good(void **state)
{
	struct fixture *f = *state;
	char *mine, *other, *note, lines[512];
	size_t len;

	mine = sign_ok(f, "hello\n", &len);
	other = sign_ok(f, "other\n", &len);
	snprintf(lines, sizeof(lines), "%s%s", sig_line(mine), sig_line(other));
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_ESIG);
	free(note);
	snprintf(lines, sizeof(lines), "%s%s", sig_line(other), sig_line(mine));
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_ESIG);
	free(note);
	free(mine);
	free(other);
}

/* A note over text signed by f, built by hand (bg_note_sign may refuse). */
static char *
hand_sign(struct fixture *f, const char *text, size_t textlen, size_t *len)
{
	uint8_t sig[68];
	char b64[93], *note;
	int n;

	sig[0] = (uint8_t)(f->key.id >> 24);
	sig[1] = (uint8_t)(f->key.id >> 16);
	sig[2] = (uint8_t)(f->key.id >> 8);
	sig[3] = (uint8_t)f->key.id;
	assert_int_equal(bg_ed25519_sign(f->priv, text, textlen, sig + 4),
	    BG_OK);
	assert_int_equal(bg_b64_encode(sig, sizeof(sig), b64, sizeof(b64)),
	    BG_OK);
	*len = textlen + 1 + 4 + strlen(f->key.name) + 1 + 92 + 1;
	assert_non_null(note = malloc(*len + 1));
	memcpy(note, text, textlen);
	n = snprintf(note + textlen, *len + 1 - textlen, "\n\xe2\x80\x94 %s %s\n",
	    f->key.name, b64);
	assert_int_equal((size_t)n, *len - textlen);
	return note;
}

/* signed-note: the text may hold empty lines; the last one separates. */
static void
test_text_with_blank_line(void **state)
{
	struct fixture *f = *state;
	const char *text = "para one\n\npara two\n";
	char *note;
	size_t len, textlen = 0;

	/* bg_note_sign refuses such text, so sign by hand */
	assert_int_equal(bg_note_sign(text, strlen(text), f->key.name,
	    f->priv, &note, &len), BG_EINVAL);
	note = hand_sign(f, text, strlen(text), &len);
	assert_int_equal(bg_note_open(note, len, &f->key, &textlen), BG_OK);
	assert_int_equal(textlen, strlen(text));
	free(note);
}

static void
test_malformed(void **state)
{
	struct fixture *f = *state;
	char *mine, *note, lines[512];
	const char *sl;
	size_t len;

	mine = sign_ok(f, "hello\n", &len);
	sl = sig_line(mine);
	/* another signer's line that is not well formed */
	snprintf(lines, sizeof(lines), "%s\xe2\x80\x94 x AAAAAA==\n", sl);
	note = build_note("hello\n", lines, &len);	/* 4 bytes: no sig */
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	snprintf(lines, sizeof(lines), "%s\xe2\x80\x94 x AAAAAAA=\n", sl);
	note = build_note("hello\n", lines, &len);	/* 5 bytes: fine */
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
	snprintf(lines, sizeof(lines), "%s\xe2\x80\x94 x AAAAAAA\n", sl);
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	snprintf(lines, sizeof(lines), "%s\xe2\x80\x94 x \n", sl);
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	snprintf(lines, sizeof(lines), "%s- x AAAAAAA=\n", sl);
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	snprintf(lines, sizeof(lines), "%s\xe2\x80\x94  AAAAAAA=\n", sl);
	note = build_note("hello\n", lines, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	/* CR, NUL and tab anywhere are control characters */
	note = build_note("hel\rlo\n", sl, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	note[3] = '\0';
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	note[3] = '\t';
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	free(note);
	assert_int_equal(bg_note_open(NULL, 0, &f->key, NULL), BG_EINVAL);
	assert_int_equal(bg_note_open("", 0, &f->key, NULL), BG_EFORMAT);
	assert_int_equal(bg_note_open(mine, strlen(mine), NULL, NULL),
	    BG_EINVAL);
	free(mine);
}

static void
test_size_limit(void **state)
{
	struct fixture *f = *state;
	size_t tl, len;
	char *text, *note = NULL;
	int r;

	/* the largest text that still makes a note of BG_NOTE_MAX bytes */
	tl = BG_NOTE_MAX - (1 + 4 + strlen(f->key.name) + 1 + 92 + 1);
	assert_non_null(text = malloc(tl + 2));
	memset(text, 'x', tl + 1);
	text[tl - 1] = '\n';
	assert_int_equal(bg_note_sign(text, tl, f->key.name, f->priv, &note,
	    &len), BG_OK);
	assert_int_equal(len, BG_NOTE_MAX);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_OK);
	free(note);
	text[tl - 1] = 'x';
	text[tl] = '\n';
	note = (char *)1;
	r = bg_note_sign(text, tl + 1, f->key.name, f->priv, &note, &len);
	assert_int_equal(r, BG_ETOOBIG);
	assert_null(note);
	/* a note one byte over the bound, signed by hand, is not opened */
	note = hand_sign(f, text, tl + 1, &len);
	assert_int_equal(len, BG_NOTE_MAX + 1);
	assert_int_equal(bg_note_open(note, len, &f->key, NULL), BG_EFORMAT);
	assert_int_equal(bg_note_open(note + 1, len - 1, &f->key, NULL),
	    BG_ESIG);
	free(note);
	free(text);
}

static void
test_sign_args(void **state)
{
	static const char *const bad[] = { "", "no newline", "\nstarts blank\n",
	    "a\n\nb\n", "ends blank\n\n", "c\rr\n", "nul\0\n", "\xff\n",
	    "tab\t\n", NULL };
	static const size_t badlen[] = { 0, 10, 14, 5, 12, 4, 5, 2, 5 };
	struct fixture *f = *state;
	EVP_PKEY *x = NULL;
	char *note = NULL;
	size_t len, i;

	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(bg_note_sign(bad[i], badlen[i], f->key.name,
		    f->priv, &note, &len), BG_EINVAL);
	assert_int_equal(bg_note_sign("a\n", 2, "bad name", f->priv, &note,
	    &len), BG_EINVAL);
	assert_int_equal(bg_note_sign("a\n", 2, "a+b", f->priv, &note, &len),
	    BG_EINVAL);
	assert_int_equal(bg_note_sign("a\n", 2, NULL, f->priv, &note, &len),
	    BG_EINVAL);
	assert_int_equal(bg_note_sign("a\n", 2, "n", NULL, &note, &len),
	    BG_EINVAL);
	assert_int_equal(bg_note_sign("a\n", 2, "n", f->priv, NULL, &len),
	    BG_EINVAL);
	/* not an Ed25519 key */
	assert_non_null(x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"));
	assert_int_equal(bg_note_sign("a\n", 2, "n", x, &note, &len),
	    BG_EINVAL);
	assert_null(note);
	EVP_PKEY_free(x);
}

/* --------------------------------------------------------- checkpoints */

static void
test_checkpoint_examples(void **state)
{
	cJSON *j = tu_read_json(SN_FILE);
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j,
	    "checkpoint_examples");
	const char *note, *split;
	struct bg_checkpoint cp;
	struct bg_note_key key;
	char out[512];
	size_t outlen;
	uint8_t want[32];

	(void)state;
	/* C2SP tlog-checkpoint example: body parses, note is well formed */
	note = jstr(cJSON_GetArrayItem(ex, 0), "note");
	assert_non_null(split = strstr(note, "\n\n"));
	assert_int_equal(bg_checkpoint_parse(note, (size_t)(split - note) + 1,
	    &cp), BG_OK);
	assert_string_equal(cp.origin, "example.com/behind-the-sofa");
	assert_int_equal(cp.size, 20852163);
	assert_int_equal(bg_b64_decode_exact("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2"
	    "MPA3j2jxq2I=", 44, want, 32), BG_OK);
	assert_memory_equal(cp.root, want, 32);
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), &outlen),
	    BG_OK);
	assert_int_equal(outlen, (size_t)(split - note) + 1);
	assert_memory_equal(out, note, outlen);
	vector_key(j, "example.com/foo", &key);
	assert_int_equal(open_str(note, &key, NULL), BG_ESIG);
	/* Go sumdb/tlog TestFormatTree golden: RecordHash("hello world") */
	note = jstr(cJSON_GetArrayItem(ex, 1), "note");
	assert_int_equal(bg_checkpoint_parse(note, strlen(note), &cp), BG_OK);
	assert_string_equal(cp.origin, "go.sum database tree");
	assert_int_equal(cp.size, UINT64_C(123456789012));
	assert_int_equal(bg_merkle_leaf_hash("hello world", 11, want), BG_OK);
	assert_memory_equal(cp.root, want, 32);
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), &outlen),
	    BG_OK);
	assert_string_equal(out, note);
	cJSON_Delete(j);
}

#define ROOT44	"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* Bodies are bounded like notes: an extension line cannot make one huge. */
static void
check_checkpoint_bound(void)
{
	struct bg_checkpoint cp;
	const char *head = "o\n1\n" ROOT44 "\n";
	size_t hl = strlen(head);
	char *text;

	assert_non_null(text = malloc(BG_NOTE_MAX + 2));
	memcpy(text, head, hl);
	memset(text + hl, 'e', BG_NOTE_MAX + 1 - hl);
	text[BG_NOTE_MAX - 1] = '\n';
	assert_int_equal(bg_checkpoint_parse(text, BG_NOTE_MAX, &cp), BG_OK);
	text[BG_NOTE_MAX - 1] = 'e';
	text[BG_NOTE_MAX] = '\n';
	assert_int_equal(bg_checkpoint_parse(text, BG_NOTE_MAX + 1, &cp),
	    BG_EFORMAT);
	free(text);
}

static void
test_checkpoint_parse(void **state)
{
	static const char *const good[] = {
		"o\n0\n" ROOT44 "\n",
		"o\n9223372036854775807\n" ROOT44 "\n",
		"o\n1\n" ROOT44 "\next one\next two\n",
		"origin with spaces+plus\n10\n" ROOT44 "\n",
		NULL,
	};
	static const char *const bad[] = {
		"o\n01\n" ROOT44 "\n", "o\n-1\n" ROOT44 "\n",
		"o\n+1\n" ROOT44 "\n", "o\n 1\n" ROOT44 "\n",
		"o\n1 \n" ROOT44 "\n", "o\n\n" ROOT44 "\n",
		"o\n1a\n" ROOT44 "\n", "o\n0x10\n" ROOT44 "\n",
		"o\n9223372036854775808\n" ROOT44 "\n",
		"o\n18446744073709551616\n" ROOT44 "\n",
		"o\n99999999999999999999\n" ROOT44 "\n",
		"o\n1\n", "o\n1\n\n",
		"o\n1\n" "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n",
		"o\n1\n" ROOT44 "AAAA\n",
		"o\n1\n" "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",
		"o\n1\n" "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"o\n1\n" ROOT44, "o\n1\n" ROOT44 "\nunterminated",
		"o\n1\n" ROOT44 "\n\n", "o\n1\n" ROOT44 "\next\n\n",
		"\n1\n" ROOT44 "\n", "o\r\n1\n" ROOT44 "\n",
		"o\n1\r\n" ROOT44 "\n", "o\n1\n" ROOT44 "\r\n",
		"o\n1\n" ROOT44 "\next\r\n", "o\t\n1\n" ROOT44 "\n",
		"o\x7f\n1\n" ROOT44 "\n", "\xff\n1\n" ROOT44 "\n",
		"o", "", NULL,
	};
	struct bg_checkpoint cp;
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_int_equal(bg_checkpoint_parse(good[i], strlen(good[i]),
		    &cp), BG_OK);
	assert_int_equal(cp.size, 10);
	assert_string_equal(cp.origin, "origin with spaces+plus");
	for (i = 0; bad[i] != NULL; i++) {
		memset(&cp, 0xa5, sizeof(cp));
		if (bg_checkpoint_parse(bad[i], strlen(bad[i]), &cp) !=
		    BG_EFORMAT)
			fail_msg("accepted bad checkpoint %zu", i);
	}
	/* NUL inside, origin length bound */
	assert_int_equal(bg_checkpoint_parse("o\0\n1\n" ROOT44 "\n",
	    sizeof("o\0\n1\n" ROOT44 "\n") - 1, &cp),
	    BG_EFORMAT);
	memset(text, 'o', BG_NOTE_NAME_MAX);
	snprintf(text + BG_NOTE_NAME_MAX, sizeof(text) - BG_NOTE_NAME_MAX,
	    "\n5\n%s\n", ROOT44);
	assert_int_equal(bg_checkpoint_parse(text, strlen(text), &cp), BG_OK);
	assert_int_equal(strlen(cp.origin), BG_NOTE_NAME_MAX);
	memset(text, 'o', BG_NOTE_NAME_MAX + 1);
	snprintf(text + BG_NOTE_NAME_MAX + 1, sizeof(text) -
	    BG_NOTE_NAME_MAX - 1, "\n5\n%s\n", ROOT44);
	assert_int_equal(bg_checkpoint_parse(text, strlen(text), &cp),
	    BG_EFORMAT);
	assert_int_equal(bg_checkpoint_parse(NULL, 0, &cp), BG_EINVAL);
	check_checkpoint_bound();
}

static void
test_checkpoint_format(void **state)
{
	struct bg_checkpoint cp, back;
	char out[256];
	size_t outlen = 0;
	int i;

	(void)state;
	memset(&cp, 0, sizeof(cp));
	strcpy(cp.origin, "example.com/breakglass/audit");
	cp.size = INT64_MAX;
	for (i = 0; i < 32; i++)
		cp.root[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), &outlen),
	    BG_OK);
	assert_int_equal(outlen, strlen(out));
	assert_int_equal(bg_checkpoint_parse(out, outlen, &back), BG_OK);
	assert_memory_equal(&back, &cp, sizeof(cp));
	/* exactly fitting, one byte short */
	assert_int_equal(bg_checkpoint_format(&cp, out, outlen + 1, NULL),
	    BG_OK);
	assert_int_equal(bg_checkpoint_format(&cp, out, outlen, &outlen),
	    BG_ETOOBIG);
	assert_int_equal(outlen, 0);
	cp.size = (uint64_t)INT64_MAX + 1;
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), NULL),
	    BG_EINVAL);
	cp.size = 0;
	cp.origin[0] = '\0';
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), NULL),
	    BG_EINVAL);
	strcpy(cp.origin, "two\nlines");
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), NULL),
	    BG_EINVAL);
	memset(cp.origin, 'o', sizeof(cp.origin));	/* no terminator */
	assert_int_equal(bg_checkpoint_format(&cp, out, sizeof(out), NULL),
	    BG_EINVAL);
}

/* A checkpoint signed and opened end to end. */
static void
test_checkpoint_note(void **state)
{
	struct fixture *f = *state;
	struct bg_checkpoint cp, back;
	struct bg_merkle_stream s;
	uint8_t leaf[32];
	char body[256], *note;
	size_t len, textlen = 0;

	memset(&cp, 0, sizeof(cp));
	strcpy(cp.origin, f->key.name);
	bg_merkle_stream_init(&s);
	assert_int_equal(bg_merkle_leaf_hash("entry", 5, leaf), BG_OK);
	assert_int_equal(bg_merkle_stream_add(&s, leaf, NULL, NULL), BG_OK);
	assert_int_equal(bg_merkle_stream_root(&s, cp.root), BG_OK);
	cp.size = s.size;
	assert_int_equal(bg_checkpoint_format(&cp, body, sizeof(body), &len),
	    BG_OK);
	note = sign_ok(f, body, &len);
	assert_int_equal(bg_note_open(note, len, &f->key, &textlen), BG_OK);
	assert_int_equal(bg_checkpoint_parse(note, textlen, &back), BG_OK);
	assert_memory_equal(&back, &cp, sizeof(cp));
	free(note);
}

/* ------------------------------------------------------------- Ed25519 */

/* One sign.input line: sk||pk : pk : msg : sig||msg : (SUPERCOP format). */
static void
check_sign_line(const char *line, size_t n)
{
	const char *f[5];
	size_t flen[4], i, mlen, slen, plen, sklen;
	uint8_t *sk, *pk, *msg, *sm, pub[32], sig[64];
	EVP_PKEY *priv;

	f[0] = line;
	for (i = 1; i < 5; i++) {
		assert_non_null(f[i] = memchr(f[i - 1], ':',
		    n - (size_t)(f[i - 1] - line)));
		flen[i - 1] = (size_t)(f[i] - f[i - 1]);
		f[i]++;
	}
	sk = hexdup(f[0], flen[0], &sklen);
	pk = hexdup(f[1], flen[1], &plen);
	msg = hexdup(f[2], flen[2], &mlen);
	sm = hexdup(f[3], flen[3], &slen);
	assert_int_equal(sklen, 64);
	assert_int_equal(plen, 32);
	assert_int_equal(slen, 64 + mlen);
	priv = key_from_seed(sk);
	assert_int_equal(bg_ed25519_public(priv, pub), BG_OK);
	assert_memory_equal(pub, pk, 32);
	assert_memory_equal(sk + 32, pk, 32);
	assert_int_equal(bg_ed25519_sign(priv, msg, mlen, sig), BG_OK);
	assert_memory_equal(sig, sm, 64);
	assert_int_equal(bg_ed25519_verify(pk, msg, mlen, sig), BG_OK);
	sig[(mlen * 7) % 64] ^= (uint8_t)(1u << (mlen % 8));
	assert_int_equal(bg_ed25519_verify(pk, msg, mlen, sig), BG_ESIG);
	sig[(mlen * 7) % 64] ^= (uint8_t)(1u << (mlen % 8));
	if (mlen > 0) {
		msg[mlen / 2] ^= 0x01;
		assert_int_equal(bg_ed25519_verify(pk, msg, mlen, sig), BG_ESIG);
	}
	pk[0] ^= 0x02;
	assert_int_equal(bg_ed25519_verify(pk, sm + 64, mlen, sm), BG_ESIG);
	EVP_PKEY_free(priv);
	bg_wipe(sk, sklen);
	free(sk);
	free(pk);
	free(msg);
	free(sm);
}

static void
test_ed25519_sign_input(void **state)
{
	char *buf, *p, *nl;
	size_t len;
	int lines = 0;

	(void)state;
	buf = tu_read_file(SIGN_INPUT, &len);
	for (p = buf; p < buf + len; p = nl + 1) {
		assert_non_null(nl = memchr(p, '\n', len - (size_t)(p - buf)));
		check_sign_line(p, (size_t)(nl - p));
		lines++;
	}
	assert_int_equal(lines, 1024);
	free(buf);
}

struct wp_count {
	int valid, invalid, acceptable;
};

static void
check_wycheproof_test(const uint8_t pk[32], const cJSON *t,
    struct wp_count *c)
{
	const char *result = jstr(t, "result"), *sighex = jstr(t, "sig");
	const char *msghex = jstr(t, "msg");
	uint8_t *msg, *sig;
	size_t mlen, slen;
	int r;

	msg = hexdup(msghex, strlen(msghex), &mlen);
	sig = hexdup(sighex, strlen(sighex), &slen);
	/* a signature that is not 64 bytes cannot be passed: invalid */
	r = slen == 64 ? bg_ed25519_verify(pk, msg, mlen, sig) : BG_ESIG;
	assert_true(r == BG_OK || r == BG_ESIG);
	if (strcmp(result, "valid") == 0) {
		if (r != BG_OK)
			fail_msg("wycheproof tcId %d: valid rejected",
			    cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint);
		c->valid++;
	} else if (strcmp(result, "invalid") == 0) {
		if (r != BG_ESIG)
			fail_msg("wycheproof tcId %d: invalid accepted",
			    cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint);
		c->invalid++;
	} else
		c->acceptable++;
	free(msg);
	free(sig);
}

static void
test_ed25519_wycheproof(void **state)
{
	cJSON *j = tu_read_json(WYCHEPROOF);
	const cJSON *g, *t;
	struct wp_count c = { 0, 0, 0 };
	uint8_t pk[32];

	(void)state;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j,
	    "testGroups")) {
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(g,
		    "publicKey");
		const char *hex = jstr(key, "pk");

		assert_int_equal(bg_hex_decode_exact(hex, strlen(hex), pk, 32),
		    BG_OK);
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g,
		    "tests"))
			check_wycheproof_test(pk, t, &c);
	}
	print_message("wycheproof ed25519: %d valid, %d invalid, %d "
	    "acceptable\n", c.valid, c.invalid, c.acceptable);
	assert_int_equal(c.valid + c.invalid + c.acceptable, 151);
	assert_int_equal(c.valid, 88);
	assert_int_equal(c.invalid, 63);
	cJSON_Delete(j);
}

static void
test_ed25519_args(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], sig[64];
	EVP_PKEY *x;

	assert_int_equal(bg_ed25519_generate(NULL), BG_EINVAL);
	assert_int_equal(bg_ed25519_public(NULL, pub), BG_EINVAL);
	assert_int_equal(bg_ed25519_public(f->priv, NULL), BG_EINVAL);
	assert_int_equal(bg_ed25519_sign(f->priv, NULL, 1, sig), BG_EINVAL);
	assert_int_equal(bg_ed25519_verify(NULL, "", 0, sig), BG_EINVAL);
	assert_non_null(x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"));
	assert_int_equal(bg_ed25519_public(x, pub), BG_EINVAL);
	assert_int_equal(bg_ed25519_sign(x, "m", 1, sig), BG_EINVAL);
	EVP_PKEY_free(x);
	/* empty message, NULL pointer */
	assert_int_equal(bg_ed25519_sign(f->priv, NULL, 0, sig), BG_OK);
	assert_int_equal(bg_ed25519_verify(f->key.pub, "", 0, sig), BG_OK);
	assert_int_equal(bg_ed25519_verify(f->key.pub, NULL, 0, sig), BG_OK);
	assert_int_equal(bg_ed25519_verify(f->key.pub, "x", 1, sig), BG_ESIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_utf8_ok),
		cmocka_unit_test(test_vkeys),
		cmocka_unit_test(test_bad_vkeys),
		cmocka_unit_test(test_key_init_format),
		cmocka_unit_test(test_sign_peter),
		cmocka_unit_test(test_valid_notes),
		cmocka_unit_test(test_invalid_notes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_other_lines),
		cmocka_unit_test(test_bad_next_to_good),
		cmocka_unit_test(test_text_with_blank_line),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_sign_args),
		cmocka_unit_test(test_checkpoint_examples),
		cmocka_unit_test(test_checkpoint_parse),
		cmocka_unit_test(test_checkpoint_format),
		cmocka_unit_test(test_checkpoint_note),
		cmocka_unit_test(test_ed25519_sign_input),
		cmocka_unit_test(test_ed25519_wycheproof),
		cmocka_unit_test(test_ed25519_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
