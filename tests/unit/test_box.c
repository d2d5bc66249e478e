/*
 * AES-256-GCM against NIST CAVP (encrypt and decrypt, with FAIL cases) and
 * Wycheproof; boxes sealed to X25519 keys: round trips, and every way a
 * box can be wrong (other key, label, AAD, any altered byte, truncation).
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

#define GCM_DIR BG_VECTORS "/crypto_vectors/pyca_cryptography_vectors/ciphers/AES/GCM/"
#define WYCHE BG_VECTORS "/crypto_vectors/wycheproof/aes_gcm_test.json"
#define MAXB 1024

struct rsp {
	uint8_t key[32], iv[256], pt[MAXB], ct[MAXB], aad[MAXB], tag[16];
	size_t iv_len, pt_len, ct_len, aad_len, tag_len, key_len;
	int fail, have_pt;
};

static size_t
hexval(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	assert_true(n % 2 == 0 && n / 2 <= max);
	if (n > 0)
		assert_int_equal(bg_hex_decode_exact(s, n, out, n / 2), BG_OK);
	return n / 2;
}

/* One NIST case with a 96-bit IV and 128-bit tag. */
static void
run_case(const struct rsp *c, int *cases)
{
	uint8_t out[MAXB], tag[16];

	if (c->key_len != 32 || c->iv_len != 12 || c->tag_len != 16)
		return;
	if (c->fail) {
		assert_int_equal(bg_aes256gcm_open(c->key, c->iv, c->aad,
		    c->aad_len, c->ct, c->ct_len, c->tag, out), BG_ECRYPTO);
	} else {
		assert_int_equal(bg_aes256gcm_open(c->key, c->iv, c->aad,
		    c->aad_len, c->ct, c->ct_len, c->tag, out), BG_OK);
		assert_memory_equal(out, c->pt, c->pt_len);
		assert_int_equal(bg_aes256gcm_seal(c->key, c->iv, c->aad,
		    c->aad_len, c->pt, c->pt_len, out, tag), BG_OK);
		assert_memory_equal(out, c->ct, c->ct_len);
		assert_memory_equal(tag, c->tag, 16);
	}
	++*cases;
}

static void
field(struct rsp *c, const char *line)
{
	const char *v = strchr(line, '=');

	if (v == NULL) {
		if (strncmp(line, "FAIL", 4) == 0)
			c->fail = 1;
		return;
	}
	v += 2;
	if (strncmp(line, "Key", 3) == 0)
		c->key_len = hexval(v, c->key, sizeof(c->key));
	else if (strncmp(line, "IV", 2) == 0)
		c->iv_len = hexval(v, c->iv, sizeof(c->iv));
	else if (strncmp(line, "PT", 2) == 0)
		c->pt_len = hexval(v, c->pt, sizeof(c->pt));
	else if (strncmp(line, "CT", 2) == 0)
		c->ct_len = hexval(v, c->ct, sizeof(c->ct));
	else if (strncmp(line, "AAD", 3) == 0)
		c->aad_len = hexval(v, c->aad, sizeof(c->aad));
	else if (strncmp(line, "Tag", 3) == 0)
		c->tag_len = hexval(v, c->tag, sizeof(c->tag));
}

static int
run_rsp(const char *path)
{
	struct rsp *c = calloc(1, sizeof(*c));
	char *text = tu_read_file(path, NULL), *line, *save = NULL;
	int cases = 0, open = 0;

	assert_non_null(c);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Count", 5) == 0) {
			if (open)
				run_case(c, &cases);
			memset(c, 0, sizeof(*c));
			open = 1;
		} else if (open)
			field(c, line);
	}
	if (open)
		run_case(c, &cases);
	free(text);
	free(c);
	return cases;
}

static void
test_nist_gcm(void **state)
{
	(void)state;
	assert_true(run_rsp(GCM_DIR "gcmEncryptExtIV256.rsp") >= 100);
	assert_true(run_rsp(GCM_DIR "gcmDecrypt256.rsp") >= 100);
}

static void
wyche_case(const cJSON *t, int *n)
{
	const char *res = cJSON_GetObjectItem(t, "result")->valuestring;
	uint8_t key[32], iv[12], *aad, *msg, *ct, tag[16], *out;
	size_t al, ml, cl;

	aad = malloc(MAXB);
	msg = malloc(MAXB);
	ct = malloc(MAXB);
	out = malloc(MAXB);
	assert_true(aad && msg && ct && out);
	hexval(cJSON_GetObjectItem(t, "key")->valuestring, key, 32);
	hexval(cJSON_GetObjectItem(t, "iv")->valuestring, iv, 12);
	al = hexval(cJSON_GetObjectItem(t, "aad")->valuestring, aad, MAXB);
	ml = hexval(cJSON_GetObjectItem(t, "msg")->valuestring, msg, MAXB);
	cl = hexval(cJSON_GetObjectItem(t, "ct")->valuestring, ct, MAXB);
	hexval(cJSON_GetObjectItem(t, "tag")->valuestring, tag, 16);
	if (strcmp(res, "valid") == 0) {
		assert_int_equal(cl, ml);
		assert_int_equal(bg_aes256gcm_open(key, iv, aad, al, ct, cl, tag,
		    out), BG_OK);
		assert_memory_equal(out, msg, ml);
	} else if (strcmp(res, "invalid") == 0)
		assert_int_not_equal(bg_aes256gcm_open(key, iv, aad, al, ct, cl,
		    tag, out), BG_OK);
	++*n;
	free(aad);
	free(msg);
	free(ct);
	free(out);
}

static void
test_wycheproof_gcm(void **state)
{
	cJSON *doc = tu_read_json(WYCHE), *g, *t;
	int n = 0;

	(void)state;
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "testGroups")) {
		if (cJSON_GetObjectItem(g, "keySize")->valueint != 256 ||
		    cJSON_GetObjectItem(g, "ivSize")->valueint != 96 ||
		    cJSON_GetObjectItem(g, "tagSize")->valueint != 128)
			continue;
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
			wyche_case(t, &n);
	}
	assert_true(n >= 30);
	cJSON_Delete(doc);
}

struct keys {
	uint8_t priv[32], pub[32], other[32], other_pub[32];
};

static void
keys(struct keys *k)
{
	assert_int_equal(RAND_bytes(k->priv, 32), 1);
	assert_int_equal(RAND_bytes(k->other, 32), 1);
	assert_int_equal(bg_x25519_public(k->priv, k->pub), BG_OK);
	assert_int_equal(bg_x25519_public(k->other, k->other_pub), BG_OK);
}

static void
test_box_round_trip(void **state)
{
	static const char aad[] = "vault 1|account 2|root-password|v3";
	uint8_t pt[100], box[200], box2[200], out[100];
	size_t bl, bl2, ol, len;
	struct keys k;

	(void)state;
	keys(&k);
	for (len = 0; len <= sizeof(pt); len += 25) {
		assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);
		assert_int_equal(bg_box_seal(k.pub, "item", aad, sizeof(aad), pt,
		    len, box, sizeof(box), &bl), BG_OK);
		assert_int_equal(bl, len + BG_BOX_OVERHEAD);
		assert_int_equal(bg_box_open(k.priv, "item", aad, sizeof(aad),
		    box, bl, out, sizeof(out), &ol), BG_OK);
		assert_int_equal(ol, len);
		if (len > 0)
			assert_memory_equal(out, pt, len);
		/* fresh ephemeral key each time: same input, other box */
		assert_int_equal(bg_box_seal(k.pub, "item", aad, sizeof(aad), pt,
		    len, box2, sizeof(box2), &bl2), BG_OK);
		assert_memory_not_equal(box, box2, bl);
	}
}

static void
test_box_refusals(void **state)
{
	static const char aad[] = "bound";
	uint8_t pt[40], box[100], out[40];
	size_t bl, ol, i;
	struct keys k;

	(void)state;
	keys(&k);
	memset(pt, 0x5a, sizeof(pt));
	assert_int_equal(bg_box_seal(k.pub, "share", aad, 5, pt, 40, box,
	    sizeof(box), &bl), BG_OK);
	assert_int_equal(bg_box_open(k.other, "share", aad, 5, box, bl, out,
	    sizeof(out), &ol), BG_ECRYPTO);
	assert_int_equal(bg_box_open(k.priv, "item", aad, 5, box, bl, out,
	    sizeof(out), &ol), BG_ECRYPTO);
	assert_int_equal(bg_box_open(k.priv, "share", "bounD", 5, box, bl, out,
	    sizeof(out), &ol), BG_ECRYPTO);
	for (i = 0; i < bl; i++) {
		box[i] ^= 0x01;
		assert_int_not_equal(bg_box_open(k.priv, "share", aad, 5, box,
		    bl, out, sizeof(out), &ol), BG_OK);
		box[i] ^= 0x01;
	}
	for (i = 0; i < bl; i++)
		assert_int_not_equal(bg_box_open(k.priv, "share", aad, 5, box, i,
		    out, sizeof(out), &ol), BG_OK);
	assert_int_equal(bg_box_open(k.priv, "share", aad, 5, box, bl, out, 39,
	    &ol), BG_ETOOBIG);
	assert_int_equal(bg_box_seal(k.pub, "share", aad, 5, pt, 40, box, 87,
	    &bl), BG_ETOOBIG);
	assert_int_equal(bg_box_seal(k.pub, "", aad, 5, pt, 40, box,
	    sizeof(box), &bl), BG_EINVAL);
	assert_int_equal(bg_box_open(k.priv, "share", aad, 5, box, 88, out,
	    sizeof(out), &ol), BG_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist_gcm),
		cmocka_unit_test(test_wycheproof_gcm),
		cmocka_unit_test(test_box_round_trip),
		cmocka_unit_test(test_box_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
