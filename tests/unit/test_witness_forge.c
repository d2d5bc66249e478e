/*
 * The client's witness check (broker/witness/trust.c) and the
 * breakglass.conf lines it trusts (broker/wire/conf.c), as an attacker
 * who controls the daemon and its state would try them: a kit built by
 * the test's own code from a real log, with cosignatures the test signs
 * itself (OpenSSL, not our cosigner). A fresh quorum passes; no
 * cosignatures, too few, a stale one (a cosigned checkpoint replayed),
 * one dated far ahead, one by an unknown key, one that does not verify,
 * a witnessed checkpoint signed by another log key, a head that does not
 * extend it (a fork), a cut or edited proof: each refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/wire/wire.h"
#include "broker/witness/witness.h"
#include "testutil.h"

#define NW 3
#define NOW INT64_C(1800000000)

struct fix {
	char root[64], dir[96], other[96];
	bg_audit_t *log;
	EVP_PKEY *w[NW];		/* the witnesses' keys */
	char vkey[NW][256];		/* their cosignature vkeys */
	struct bg_witness_trust t;
	char logvkey[512];
	char *cp3;			/* the checkpoint at size 3 */
	uint64_t size;			/* the head: 5 */
	uint8_t head[32];
};

static void
append(bg_audit_t *log, int n)
{
	struct bg_audit_event ev = { "operator.note", "t", "", "", NULL };

	while (n-- > 0)
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_OK);
}

/* The C2SP key id of a cosignature key: SHA-256(name \n 0x04 pub)[:4]. */
static uint32_t
key_id(const char *name, const uint8_t pub[32])
{
	uint8_t buf[300], md[32];
	size_t n = strlen(name);
	unsigned int mdlen;

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = 0x04;
	memcpy(buf + n + 2, pub, 32);
	assert_int_equal(EVP_Digest(buf, n + 34, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
}

static void
make_witness(struct fix *f, int i)
{
	uint8_t raw[33], pub[32];
	size_t len = 32;
	char name[32], b64[64];

	assert_non_null(f->w[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_int_equal(EVP_PKEY_get_raw_public_key(f->w[i], pub, &len), 1);
	snprintf(name, sizeof(name), "witness.test/w%d", i);
	raw[0] = 0x04;
	memcpy(raw + 1, pub, 32);
	assert_int_equal(bg_b64_encode(raw, 33, b64, sizeof(b64)), BG_OK);
	snprintf(f->vkey[i], sizeof(f->vkey[i]), "%s+%08x+%s", name,
	    key_id(name, pub), b64);
	assert_int_equal(bg_audit_cosig_key_parse(f->vkey[i],
	    strlen(f->vkey[i]), &f->t.key[i]), BG_OK);
}

/* Witness i's cosignature line of the checkpoint note cp, at time t. */
static void
cosign(const struct fix *f, int i, const char *cp, uint64_t t, char *out,
    size_t outsz)
{
	const char *text_end = strstr(cp, "\n\n") + 1;
	size_t textlen = (size_t)(text_end - cp), siglen = 64;
	char msg[1024], b64[160];
	uint8_t sig[76];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int n, k;

	n = snprintf(msg, sizeof(msg), "cosignature/v1\ntime %llu\n",
	    (unsigned long long)t);
	memcpy(msg + n, cp, textlen);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, f->w[i]), 1);
	assert_int_equal(EVP_DigestSign(md, sig + 12, &siglen,
	    (const uint8_t *)msg, (size_t)n + textlen), 1);
	EVP_MD_CTX_free(md);
	for (k = 0; k < 4; k++)
		sig[k] = (uint8_t)(f->t.key[i].id >> (24 - 8 * k));
	for (k = 0; k < 8; k++)
		sig[4 + k] = (uint8_t)(t >> (56 - 8 * k));
	assert_int_equal(bg_b64_encode(sig, 76, b64, sizeof(b64)), BG_OK);
	snprintf(out, outsz, "\xe2\x80\x94 %s %s\n", f->t.key[i].name, b64);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int i;

	snprintf(f->root, sizeof(f->root), "/tmp/bg-wtrust.XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/audit", f->root);
	snprintf(f->other, sizeof(f->other), "%s/other", f->root);
	if (bg_audit_init(f->dir, "test.example/log") != BG_OK ||
	    bg_audit_init(f->other, "test.example/log") != BG_OK ||
	    bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log) != BG_OK)
		return -1;
	for (i = 0; i < NW; i++)
		make_witness(f, i);
	f->t.n = NW;
	f->t.quorum = 2;
	f->t.max_age = 600;
	f->t.require_approve = 1;
	(void)bg_audit_verifier_key(f->log, f->logvkey, sizeof(f->logvkey));
	append(f->log, 2);		/* with audit.init: 3 entries */
	size_t len;
	if (bg_audit_checkpoint(f->log, &f->cp3, &len) != BG_OK)
		return -1;
	append(f->log, 2);
	f->size = bg_audit_size(f->log);
	struct bg_audit_proof p;
	if (bg_audit_prove(f->log, 0, 0, &p) != BG_OK)
		return -1;
	memcpy(f->head, p.root, 32);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	int i;

	bg_audit_close(&f->log);
	for (i = 0; i < NW; i++)
		EVP_PKEY_free(f->w[i]);
	free(f->cp3);
	tu_rm_rf(f->root);
	free(f);
	return 0;
}

/* A kit as the daemon makes it: cp3 with the given lines, the proof 3..5. */
static cJSON *
kit(struct fix *f, const char *lines)
{
	struct bg_witness_round *round = calloc(1, sizeof(*round));
	cJSON *k = cJSON_CreateObject();

	assert_non_null(round);
	round->size = 3;
	assert_non_null(round->note = malloc(4096));
	snprintf(round->note, 4096, "%s%s", f->cp3, lines);
	round->note_len = strlen(round->note);
	assert_int_equal(bg_witness_kit_add(k, round, f->log, f->size),
	    BG_OK);
	bg_witness_round_clear(round);
	free(round);
	return k;
}

static int
check(struct fix *f, const cJSON *k)
{
	return bg_witness_kit_check(k, f->logvkey, &f->t, f->size, f->head,
	    NOW);
}

/* Lines by witnesses a and b (-1: none) at times ta and tb. */
static cJSON *
kit2(struct fix *f, int a, uint64_t ta, int b, uint64_t tb)
{
	char l1[200] = "", l2[200] = "", lines[400];

	if (a >= 0)
		cosign(f, a, f->cp3, ta, l1, sizeof(l1));
	if (b >= 0)
		cosign(f, b, f->cp3, tb, l2, sizeof(l2));
	snprintf(lines, sizeof(lines), "%s%s", l1, l2);
	return kit(f, lines);
}

static void
test_quorum(void **state)
{
	struct fix *f = *state;
	cJSON *k;

	k = kit2(f, 0, NOW - 10, 2, NOW);
	assert_int_equal(check(f, k), BG_OK);
	cJSON_Delete(k);
	/* one of two */
	k = kit2(f, 1, NOW - 10, -1, 0);
	assert_int_equal(check(f, k), BG_EPERM);
	assert_non_null(strstr(bg_why(), "requires 2 fresh"));
	cJSON_Delete(k);
	/* the same witness twice counts once */
	k = kit2(f, 1, NOW - 10, 1, NOW - 5);
	assert_int_not_equal(check(f, k), BG_OK);
	cJSON_Delete(k);
	/* no cosignatures at all: a daemon that did not ask */
	k = cJSON_CreateObject();
	assert_int_equal(check(f, k), BG_EPERM);
	assert_non_null(strstr(bg_why(), "no witness cosignatures"));
	cJSON_Delete(k);
}

static void
test_freshness(void **state)
{
	struct fix *f = *state;
	cJSON *k;

	/* a cosigned checkpoint replayed an hour later */
	k = kit2(f, 0, NOW - 3600, 1, NOW - 3599);
	assert_int_equal(check(f, k), BG_EPERM);
	assert_non_null(strstr(bg_why(), "witness_max_age"));
	cJSON_Delete(k);
	/* at the edge of max_age: still fresh */
	k = kit2(f, 0, NOW - 600, 1, NOW - 600);
	assert_int_equal(check(f, k), BG_OK);
	cJSON_Delete(k);
	/* dated far ahead of the client's clock */
	k = kit2(f, 0, NOW + 3600, 1, NOW);
	assert_int_equal(check(f, k), BG_EPERM);
	cJSON_Delete(k);
	/* times at the ends of 64 bits (no overflow in the comparison) */
	k = kit2(f, 0, UINT64_MAX - 5, 1, (uint64_t)INT64_MAX + 1);
	assert_int_equal(check(f, k), BG_EPERM);
	cJSON_Delete(k);
	k = kit2(f, 0, 1, 1, NOW);
	assert_int_equal(check(f, k), BG_EPERM);
	cJSON_Delete(k);
}

static void
test_forged(void **state)
{
	struct fix *f = *state;
	char l1[200], l2[200], lines[400], *p;
	struct bg_witness_trust saved = f->t;
	cJSON *k;

	/* a cosignature with a byte flipped: tampering, not a shortfall */
	cosign(f, 0, f->cp3, NOW, l1, sizeof(l1));
	cosign(f, 1, f->cp3, NOW, l2, sizeof(l2));
	p = l1 + strlen(l1) - 10;
	*p = *p == 'A' ? 'B' : 'A';
	snprintf(lines, sizeof(lines), "%s%s", l1, l2);
	k = kit(f, lines);
	assert_int_equal(check(f, k), BG_ETAMPER);
	cJSON_Delete(k);
	/* witness 2's key not trusted by the client: its line is ignored */
	f->t.n = 2;
	k = kit2(f, 0, NOW, 2, NOW);
	assert_int_equal(check(f, k), BG_EPERM);
	cJSON_Delete(k);
	f->t = saved;
	/* the checkpoint signed by another log's key */
	{
		bg_audit_t *o;
		char ovkey[512];

		assert_int_equal(bg_audit_open(f->other, BG_AUDIT_READ, &o),
		    BG_OK);
		(void)bg_audit_verifier_key(o, ovkey, sizeof(ovkey));
		bg_audit_close(&o);
		k = kit2(f, 0, NOW, 1, NOW);
		assert_int_equal(bg_witness_kit_check(k, ovkey, &f->t, f->size,
		    f->head, NOW), BG_ETAMPER);
		cJSON_Delete(k);
	}
}

static void
test_fork(void **state)
{
	struct fix *f = *state;
	uint8_t other[32];
	cJSON *k, *arr;
	char *s;

	/* a head the witnessed checkpoint does not lead to (a fork) */
	k = kit2(f, 0, NOW, 1, NOW);
	memcpy(other, f->head, 32);
	other[0] ^= 1;
	assert_int_equal(bg_witness_kit_check(k, f->logvkey, &f->t, f->size,
	    other, NOW), BG_ETAMPER);
	/* a head smaller than the witnessed one */
	assert_int_equal(bg_witness_kit_check(k, f->logvkey, &f->t, 2,
	    f->head, NOW), BG_ETAMPER);
	/* the proof cut short, or a hash edited */
	arr = cJSON_GetObjectItem(k, "witness_proof");
	assert_true(cJSON_GetArraySize(arr) > 0);
	s = cJSON_GetArrayItem(arr, 0)->valuestring;
	s[0] = s[0] == '0' ? '1' : '0';
	assert_int_equal(check(f, k), BG_ETAMPER);
	cJSON_DeleteItemFromArray(arr, 0);
	assert_int_equal(check(f, k), BG_ETAMPER);
	cJSON_ReplaceItemInObject(k, "witness_proof", cJSON_CreateString("x"));
	assert_int_equal(check(f, k), BG_ETAMPER);
	cJSON_Delete(k);
}

/* ---------------------------------------------- breakglass.conf's lines */

static int
conf(const char *extra, struct bg_conf *c)
{
	size_t n = strlen(extra) + 64;
	char *text = malloc(n);
	int r;

	assert_non_null(text);
	snprintf(text, n, "socket = /run/b.sock\nstate = /var/b\n%s", extra);
	r = bg_conf_parse(text, strlen(text), c);
	free(text);
	return r;
}

/* tmpl with @V the log's verifier key and @W a witness's key */
static void
fill(char *out, size_t outsz, const char *tmpl, const char *v, const char *w)
{
	size_t n = 0;

	for (; *tmpl != '\0'; tmpl++) {
		const char *s = tmpl[0] == '@' && tmpl[1] == 'V' ? v :
		    tmpl[0] == '@' && tmpl[1] == 'W' ? w : NULL;

		if (s != NULL) {
			n += (size_t)snprintf(out + n, outsz - n, "%s", s);
			tmpl++;
		} else if (n + 1 < outsz)
			out[n++] = *tmpl;
		assert_true(n < outsz);
	}
	out[n] = '\0';
}

static void
test_conf(void **state)
{
	struct fix *f = *state;
	struct bg_conf *c = malloc(sizeof(*c));
	char *t = malloc(2048);

	snprintf(t, 2048, "verifier = %s\nwitness = %s\nwitness = %s\n"
	    "witness_quorum = 2\n", f->logvkey, f->vkey[0], f->vkey[1]);
	assert_int_equal(conf(t, c), BG_OK);
	assert_int_equal(c->witness.n, 2);
	assert_int_equal(c->witness.quorum, 2);
	assert_int_equal(c->witness.max_age, BG_WITNESS_MAX_AGE_DEFAULT);
	assert_true(bg_witness_trust_guards(&c->witness, "approve"));
	assert_true(bg_witness_trust_guards(&c->witness, "change"));
	assert_false(bg_witness_trust_guards(&c->witness, NULL));
	snprintf(t, 2048, "verifier = %s\nwitness = %s\nwitness_quorum ="
	    " 1\nwitness_require = seal\nwitness_max_age = 60\n", f->logvkey,
	    f->vkey[0]);
	assert_int_equal(conf(t, c), BG_OK);
	assert_false(bg_witness_trust_guards(&c->witness, "approve"));
	assert_true(bg_witness_trust_guards(&c->witness, "seal"));
	assert_int_equal(c->witness.max_age, 60);
	/* no witness lines: nothing guarded */
	assert_int_equal(conf("", c), BG_OK);
	assert_false(bg_witness_trust_guards(&c->witness, "approve"));

	static const char *const bad[] = {
		"witness = @W\nwitness_quorum = 1\n",	/* no verifier */
		"verifier = @V\nwitness = @W\n",	/* no quorum */
		"verifier = @V\nwitness = @W\nwitness_quorum = 2\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 0\n",
		"verifier = @V\nwitness = @W\nwitness = @W\n"
		    "witness_quorum = 1\n",		/* one key twice */
		"verifier = @V\nwitness = @V\nwitness_quorum = 1\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 1x\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 1\n"
		    "witness_quorum = 1\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 1\n"
		    "witness_max_age = 5\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 1\n"
		    "witness_require = approve release\n",
		"verifier = @V\nwitness = @W\nwitness_quorum = 1\n"
		    "witness_require = \n",
		"witness_quorum = 1\n",			/* without witnesses */
		"witness_require = approve\n",
		NULL,
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		fill(t, 2048, bad[i], f->logvkey, f->vkey[0]);
		assert_int_equal(conf(t, c), BG_EFORMAT);
		assert_true(strlen(bg_why()) > 0);
	}
	free(t);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
