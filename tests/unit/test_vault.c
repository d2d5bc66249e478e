/*
 * The vault (format v2) without hardware: tokens are descriptors whose
 * X25519 private keys the test knows, so the sealer's signature can be
 * made and member boxes opened directly. vault.json round-trips every
 * field; an item's record verifies only as sealed and signed, and a
 * forged, moved or renamed one is refused; the parser is strict and
 * refuses format v1 with the way out; sealing keeps the policy floor and
 * its slot count, and a second seal is a new version the old boxes do not
 * open; loading refuses a missing or edited commitments file.
 *
 * With TU_VAULT_SEED=path in the environment, test_fuzz_seed also writes
 * a vault.json of this fixture (4 slots, to stay small) as a fuzz_vault
 * seed: tests/fuzz/corpus/fuzz_vault/vault-2accounts.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "tests/unit/faketoken.h"

#include <openssl/rand.h>

#include "broker/vault/vault.h"

#define PROD "111122223333"
#define STAGING "444455556666"
#define NOW 1700000000
#define PW "Sup3r+Secret=Root!Password"
#define NOTE "recovery codes: 1111 2222 3333"

#define NPEOPLE 7
#define RITA 6		/* the requester; in no group */
static const char *const names[NPEOPLE] = { "alice", "bob", "carol", "dave",
    "erin", "frank", "rita" };
static const char *const both[2] = { "password", "mfa" };

struct fx {
	struct bg_vault *v;
	uint8_t priv[NPEOPLE][32];	/* each person's token key */
	char dir[64];			/* a state directory with its log */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char audit[128];
	size_t i;

	assert_non_null(f);
	assert_int_equal(bg_vault_new(&f->v), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, PROD, "prod",
	    "root@example.com"), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, STAGING, "staging",
	    "root-staging@example.com"), BG_OK);
	for (i = 0; i < NPEOPLE; i++) {
		assert_int_equal(RAND_bytes(f->priv[i], 32), 1);
		assert_int_equal(bg_vault_add_person(f->v, names[i], i == RITA,
		    NULL), BG_OK);
		assert_int_equal(bg_vault_add_token(f->v, names[i],
		    tu_fake_token(f->priv[i], 1000 + (unsigned)i)), BG_OK);
		if (i != RITA)
			assert_int_equal(bg_policy_add_member(f->v->policy,
			    i < 3 ? "password" : "mfa", names[i]), BG_OK);
	}
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 2),
	    BG_OK);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);
	/* a note needing both groups: two parts per slot */
	assert_int_equal(bg_policy_set_item(f->v->policy, "recovery-codes",
	    both, 2), BG_OK);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg-vault-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(audit, sizeof(audit), "%s/audit", f->dir);
	assert_int_equal(bg_audit_init(audit, "test.example/vault"), BG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bg_vault_free(&f->v);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static size_t
person_index(const char *name)
{
	size_t i;

	for (i = 0; i < NPEOPLE; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	fail();
	return 0;
}

/* The sealer's touch: person who (their first token) signs the item. */
static void
sign_as(struct fx *f, struct bg_vault_item *it, size_t who)
{
	const struct bg_vault_person *p = bg_vault_person(f->v, names[who]);
	uint8_t msg[32];

	assert_non_null(p);
	assert_int_equal(bg_vault_seal_message(f->v, it, p->name, msg), BG_OK);
	tu_fake_sign(p->tokens[0], f->priv[who], msg, sizeof(msg), it->sig);
	snprintf(it->sealer, sizeof(it->sealer), "%s", p->name);
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s",
	    bg_token_desc_id(p->tokens[0]));
}

/* Seals and signs; the pointer lives until the account's next seal. */
static struct bg_vault_item *
seal(struct fx *f, const char *acct, const char *item, enum bg_item_kind kind,
    const char *value, size_t who)
{
	struct bg_vault_account *a = bg_vault_account(f->v, acct);
	struct bg_vault_item *it = NULL;

	assert_non_null(a);
	assert_int_equal(bg_vault_seal(f->v, a, item, kind,
	    (const uint8_t *)value, strlen(value), NOW, &it), BG_OK);
	assert_non_null(it);
	assert_ptr_equal(it, bg_vault_item(a, item));
	sign_as(f, it, who);
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);
	return it;
}

/* prod: root-password (alice seals), root-mfa (dave); staging:
 * recovery-codes (rita, the requester, seals). */
static void
seal_all(struct fx *f)
{
	(void)seal(f, PROD, "root-password", BG_ITEM_PASSWORD, PW, 0);
	(void)seal(f, PROD, "root-mfa", BG_ITEM_TOTP, "totp-bytes", 3);
	(void)seal(f, STAGING, "recovery-codes", BG_ITEM_NOTE, NOTE, RITA);
}

static void
want_of(const struct bg_vault_account *a, const struct bg_vault_item *it,
    const uint8_t *root, struct bg_v2_expect *w)
{
	w->account = a->id;
	w->item = it->name;
	w->version = it->version;
	w->root = root;
}

/* Person who's share of slot in group g of the item. */
static int
take(const struct fx *f, const struct bg_vault *v,
    const struct bg_vault_account *a, const struct bg_vault_item *it,
    const char *who, uint32_t slot, uint8_t out[BG_SLOT_KEY_LEN])
{
	struct bg_v2_expect w;
	size_t g, m;

	want_of(a, it, it->ver->root, &w);
	for (g = 0; g < it->ver->ng; g++)
		for (m = 0; m < it->ver->g[g].n; m++)
			if (strcmp(it->ver->g[g].m[m].person, who) == 0)
				return bg_v2_take_share(v, it->ver, &w, g,
				    it->ver->g[g].m[m].x, 0,
				    f->priv[person_index(who)], slot, out);
	fail_msg("%s holds no share of %s", who, it->name);
	return BG_EINTERNAL;
}

/*
 * Opens the item at slot with the first two members of each group, as
 * their approvals would reveal their shares; the value must be expect.
 */
static void
assert_opens(const struct fx *f, const struct bg_vault *v, const char *acct,
    const char *item, uint32_t slot, const char *expect)
{
	const struct bg_vault_account *a = bg_vault_account(v, acct);
	const struct bg_vault_item *it;
	uint8_t y[BG_SLOT_GROUPS_MAX][2][BG_SLOT_KEY_LEN];
	uint8_t xs[BG_SLOT_GROUPS_MAX][2];
	const uint8_t *ys[BG_SLOT_GROUPS_MAX][2];
	struct bg_v2_shares s[BG_SLOT_GROUPS_MAX];
	struct bg_v2_expect w;
	uint8_t *out = NULL;
	size_t len, g, k;

	assert_non_null(a);
	assert_non_null(it = bg_vault_item(a, item));
	for (g = 0; g < it->ver->ng; g++) {
		for (k = 0; k < 2; k++) {
			assert_int_equal(take(f, v, a, it,
			    it->ver->g[g].m[k].person, slot, y[g][k]), BG_OK);
			xs[g][k] = it->ver->g[g].m[k].x;
			ys[g][k] = y[g][k];
		}
		s[g] = (struct bg_v2_shares){ xs[g], ys[g], 2 };
	}
	want_of(a, it, it->ver->root, &w);
	assert_int_equal(bg_v2_open(v, it->ver, &w, slot, s, &out, &len),
	    BG_OK);
	assert_int_equal(len, strlen(expect));
	assert_memory_equal(out, expect, len);
	bg_secure_free(&out, len + 1);
}

/* ------------------------------------------------------ JSON helpers */

static cJSON *
to_json(const struct bg_vault *v)
{
	cJSON *j = NULL;

	assert_int_equal(bg_vault_to_json(v, &j), BG_OK);
	return j;
}

static char *
to_text(const struct bg_vault *v)
{
	cJSON *j = to_json(v);
	char *s = cJSON_PrintUnformatted(j);

	assert_non_null(s);
	cJSON_Delete(j);
	return s;
}

/* j as the file would carry it: printed, parsed strictly, read. */
static int
from_tree(const cJSON *j, struct bg_vault **v)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON *again;
	int r;

	assert_non_null(s);
	again = bg_json_parse(s, strlen(s));
	free(s);
	if (again == NULL)
		return BG_EFORMAT;
	r = bg_vault_from_json(again, v);
	cJSON_Delete(again);
	return r;
}

static int
parse_text(const char *s)
{
	struct bg_vault *v = NULL;
	cJSON *j = bg_json_parse(s, strlen(s));
	int r;

	if (j == NULL)
		return BG_EFORMAT;
	r = bg_vault_from_json(j, &v);
	cJSON_Delete(j);
	bg_vault_free(&v);
	return r;
}

static cJSON *
jdup(const cJSON *j)
{
	cJSON *c = cJSON_Duplicate(j, 1);

	assert_non_null(c);
	return c;
}

static cJSON *
at(cJSON *o, const char *key, int i)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *e;

	assert_true(cJSON_IsArray(a));
	assert_non_null(e = cJSON_GetArrayItem(a, i));
	return e;
}

static cJSON *
jitem(cJSON *j, int a, int i)
{
	return at(at(j, "accounts", a), "items", i);
}

static cJSON *
jgroup(cJSON *j, int a, int i, int g)
{
	return at(jitem(j, a, i), "groups", g);
}

static cJSON *
jmember(cJSON *j, int a, int i, int g, int m)
{
	return at(jgroup(j, a, i, g), "members", m);
}

static cJSON *
jbox(cJSON *j, int a, int i, int g, int m)
{
	return at(jmember(j, a, i, g, m), "boxes", 0);
}

static void
set(cJSON *o, const char *key, cJSON *val)
{
	assert_non_null(val);
	if (cJSON_GetObjectItemCaseSensitive(o, key) != NULL)
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(o, key,
		    val));
	else
		assert_true(cJSON_AddItemToObject(o, key, val));
}

static void
set_num(cJSON *o, const char *key, double n)
{
	set(o, key, cJSON_CreateNumber(n));
}

static void
set_str(cJSON *o, const char *key, const char *s)
{
	set(o, key, cJSON_CreateString(s));
}

/* n random bytes in base64 under key. */
static void
set_b64(cJSON *o, const char *key, size_t n)
{
	uint8_t *b = malloc(n + 1);
	char *s = malloc(bg_b64_len(n) + 1);

	assert_non_null(b);
	assert_non_null(s);
	assert_int_equal(RAND_bytes(b, (int)n + 1), 1);
	assert_int_equal(bg_b64_encode(b, n, s, bg_b64_len(n) + 1), BG_OK);
	set_str(o, key, s);
	free(b);
	free(s);
}

static const char *
get_str(cJSON *o, const char *key)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(s));
	return s->valuestring;
}

/* ------------------------------------------------------- comparisons */

static void
assert_same_text(char *a, char *b)
{
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static char *
policy_text(const bg_policy_t *p)
{
	cJSON *j = NULL;
	char *s;

	assert_int_equal(bg_policy_to_json(p, &j), BG_OK);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static char *
token_text(const bg_token_desc_t *d)
{
	cJSON *j = NULL;
	char *s;

	assert_int_equal(bg_token_desc_to_json(d, &j), BG_OK);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void
assert_same_version(const struct bg_v2_version *x,
    const struct bg_v2_version *y, int commitments)
{
	size_t g, m, t;

	assert_string_equal(x->account, y->account);
	assert_string_equal(x->item, y->item);
	assert_int_equal(x->version, y->version);
	assert_int_equal(x->epoch, y->epoch);
	assert_int_equal(x->nslots, y->nslots);
	assert_int_equal(x->data_len, y->data_len);
	assert_memory_equal(x->data, y->data, x->data_len);
	assert_memory_equal(x->root, y->root, 32);
	if (commitments) {
		assert_int_equal(x->commitments_len, y->commitments_len);
		assert_memory_equal(x->commitments, y->commitments,
		    x->commitments_len);
	} else {	/* vault.json carries the root only */
		assert_null(y->commitments);
		assert_int_equal(y->commitments_len, 0);
	}
	assert_int_equal(x->ng, y->ng);
	for (g = 0; g < x->ng; g++) {
		assert_string_equal(x->g[g].name, y->g[g].name);
		assert_int_equal(x->g[g].t, y->g[g].t);
		assert_int_equal(x->g[g].n, y->g[g].n);
		for (m = 0; m < x->g[g].n; m++) {
			const struct bg_v2_member *a = &x->g[g].m[m];
			const struct bg_v2_member *b = &y->g[g].m[m];

			assert_string_equal(a->person, b->person);
			assert_int_equal(a->x, b->x);
			assert_int_equal(a->ntokens, b->ntokens);
			for (t = 0; t < a->ntokens; t++) {
				assert_string_equal(a->token[t], b->token[t]);
				assert_memory_equal(a->box[t], b->box[t],
				    BG_V2_BOX_LEN(x->nslots));
			}
		}
	}
}

/* Every field of y is x's; commitments too when they were loaded. */
static void
assert_same_vault(const struct bg_vault *x, const struct bg_vault *y,
    int commitments)
{
	size_t i, k;

	assert_memory_equal(x->id, y->id, sizeof(x->id));
	assert_string_equal(x->id_hex, y->id_hex);
	assert_int_equal(x->created, y->created);
	assert_same_text(policy_text(x->policy), policy_text(y->policy));
	assert_int_equal(x->npeople, y->npeople);
	for (i = 0; i < x->npeople; i++) {
		assert_string_equal(x->people[i].name, y->people[i].name);
		assert_int_equal(x->people[i].requester,
		    y->people[i].requester);
		assert_int_equal(x->people[i].ntokens, y->people[i].ntokens);
		for (k = 0; k < x->people[i].ntokens; k++)
			assert_same_text(token_text(x->people[i].tokens[k]),
			    token_text(y->people[i].tokens[k]));
	}
	assert_int_equal(x->naccounts, y->naccounts);
	for (i = 0; i < x->naccounts; i++) {
		const struct bg_vault_account *a = &x->accounts[i];
		const struct bg_vault_account *b = &y->accounts[i];

		assert_string_equal(a->id, b->id);
		assert_string_equal(a->name, b->name);
		assert_string_equal(a->email, b->email);
		assert_int_equal(a->nitems, b->nitems);
		for (k = 0; k < a->nitems; k++) {
			const struct bg_vault_item *p = &a->items[k];
			const struct bg_vault_item *q = &b->items[k];

			assert_string_equal(p->name, q->name);
			assert_int_equal(p->kind, q->kind);
			assert_int_equal(p->version, q->version);
			assert_int_equal(p->sealed, q->sealed);
			assert_string_equal(p->sealer, q->sealer);
			assert_string_equal(p->sealer_token, q->sealer_token);
			assert_memory_equal(p->sig, q->sig, sizeof(p->sig));
			assert_same_version(p->ver, q->ver, commitments);
		}
	}
}

/* ------------------------------------------------------- state dir */

static void
save(struct fx *f, const struct bg_vault *v)
{
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct bg_state st;

	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_vault_save(&st, v, &ev), BG_OK);
	bg_state_close(&st);
}

static int
load(struct fx *f, struct bg_vault **v)
{
	struct bg_state st;
	int r;

	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	r = bg_vault_load(&st, v);
	bg_state_close(&st);
	return r;
}

/* STATE/versions/<root>.bin of the item. */
static void
blob_path(const struct fx *f, const struct bg_vault_item *it, char *out,
    size_t outsz)
{
	char hex[65];

	bg_hex_encode(it->ver->root, 32, hex, sizeof(hex));
	snprintf(out, outsz, "%s/%s/%s.bin", f->dir, BG_VAULT_VERSIONS_DIR,
	    hex);
}

static void
report(void *ctx, const char *file, const char *problem)
{
	(void)ctx;
	print_message("state: %s: %s\n", file, problem);
}

/* ============================================================ tests */

/*
 * seal -> vault.json -> vault: every field equal, no secret in the file,
 * the commitments kept beside it (versions/<root>.bin) and back on load;
 * the loaded vault verifies and opens.
 */
static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	struct bg_vault *v = NULL, *l = NULL;
	char *text, *again, path[256];
	cJSON *j;
	size_t a, i;

	seal_all(f);
	text = to_text(f->v);
	/* stolen: the file holds no secret */
	assert_null(strstr(text, PW));
	assert_null(strstr(text, "Sup3r"));
	assert_null(strstr(text, "recovery codes"));
	assert_non_null(strstr(text, "\"format\":\"breakglass-vault-v2\""));
	assert_non_null(j = bg_json_parse(text, strlen(text)));
	assert_int_equal(bg_vault_from_json(j, &v), BG_OK);
	cJSON_Delete(j);
	assert_same_vault(f->v, v, 0);
	again = to_text(v);
	assert_string_equal(text, again);
	free(again);
	bg_vault_free(&v);

	/* through a real state directory: the commitments come back */
	save(f, f->v);
	for (a = 0; a < f->v->naccounts; a++)
		for (i = 0; i < f->v->accounts[a].nitems; i++) {
			blob_path(f, &f->v->accounts[a].items[i], path,
			    sizeof(path));
			assert_int_equal(access(path, R_OK), 0);
		}
	assert_int_equal(load(f, &l), BG_OK);
	assert_same_vault(f->v, l, 1);
	again = to_text(l);
	assert_string_equal(text, again);
	free(again);
	for (a = 0; a < l->naccounts; a++)
		for (i = 0; i < l->accounts[a].nitems; i++)
			assert_int_equal(bg_vault_item_verify(l,
			    &l->accounts[a], &l->accounts[a].items[i]), BG_OK);
	assert_opens(f, l, PROD, "root-password", 0, PW);
	assert_opens(f, l, STAGING, "recovery-codes", 31, NOTE);
	bg_vault_free(&l);
	/* the log recorded vault.json; the blobs need no entry of their own */
	assert_int_equal(bg_state_verify(f->dir, report, NULL), BG_OK);
	/* saved again unchanged: same files, still loads */
	save(f, f->v);
	assert_int_equal(load(f, &l), BG_OK);
	assert_same_vault(f->v, l, 1);
	bg_vault_free(&l);
	free(text);
}

/* Every way a record can lie about its seal: ETAMPER, the item named. */
static void
test_item_verify_forgeries(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a, *b;
	struct bg_vault_item *it, *other;
	uint8_t keep_sig[BG_SEAL_SIG_LEN];
	char keep_tok[2 * BG_TOKEN_ID_LEN + 1];

	seal_all(f);
	(void)seal(f, STAGING, "root-password", BG_ITEM_PASSWORD, "x", 1);
	a = bg_vault_account(f->v, PROD);
	b = bg_vault_account(f->v, STAGING);
	it = bg_vault_item(a, "root-password");
	other = bg_vault_item(b, "root-password");
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);
	memcpy(keep_sig, it->sig, sizeof(keep_sig));
	memcpy(keep_tok, it->sealer_token, sizeof(keep_tok));

	/* a flipped signature byte, first and last */
	it->sig[0] ^= 1;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "root-password"));
	it->sig[0] ^= 1;
	it->sig[BG_SEAL_SIG_LEN - 1] ^= 0x80;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	memcpy(it->sig, keep_sig, sizeof(keep_sig));
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);

	/* sealer_token of another person (bob's), sealer still alice */
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s",
	    bg_token_desc_id(bg_vault_person(f->v, "bob")->tokens[0]));
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	/* and renamed to bob too: bob's token did not sign this */
	snprintf(it->sealer, sizeof(it->sealer), "bob");
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	/* renamed only: alice's token is not bob's */
	memcpy(it->sealer_token, keep_tok, sizeof(keep_tok));
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	/* nobody of the vault */
	snprintf(it->sealer, sizeof(it->sealer), "mallory");
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	/* the name signed is the name checked: Alice is not alice */
	snprintf(it->sealer, sizeof(it->sealer), "Alice");
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	snprintf(it->sealer, sizeof(it->sealer), "alice");
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);

	/* the sealed value changed */
	it->ver->data[it->ver->data_len - 1] ^= 1;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	it->ver->data[it->ver->data_len - 1] ^= 1;
	/* the commitments root changed */
	it->ver->root[5] ^= 1;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	it->ver->root[5] ^= 1;
	/* the slot count, the epoch, the version */
	it->ver->nslots--;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	it->ver->nslots++;
	it->ver->epoch++;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	it->ver->epoch--;
	it->version++;
	it->ver->version++;
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	it->version--;
	it->ver->version--;

	/* records moved in memory: another account's, another item's */
	assert_int_equal(bg_vault_item_verify(f->v, b, it), BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "another item's"));
	assert_int_equal(bg_vault_item_verify(f->v, a, other), BG_ETAMPER);
	assert_int_equal(bg_vault_item_verify(f->v, b, other), BG_OK);
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);
}

/*
 * vault.json edited (and recorded, as by someone holding the audit key)
 * in a state directory whose commitments files are all there: loads, as
 * it is well-formed; what the edit changed no longer verifies.
 */
static int
load_edited(struct fx *f, const cJSON *c, struct bg_vault **v)
{
	struct bg_audit_event ev = { "vault.edited", "mallory", "", "", NULL };
	struct bg_state st;
	int r;

	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_write(&st, BG_VAULT_FILE, c, &ev), BG_OK);
	r = bg_vault_load(&st, v);
	bg_state_close(&st);
	return r;
}

static int
verify_item(const struct bg_vault *v, const char *acct, const char *item)
{
	const struct bg_vault_account *a = bg_vault_account(v, acct);
	const struct bg_vault_item *it;

	assert_non_null(a);
	assert_non_null(it = bg_vault_item(a, item));
	return bg_vault_item_verify(v, a, it);
}

/* A record moved in vault.json takes its new place's coordinates, which
 * its sealer did not sign. */
static void
test_moved_records_refused(void **state)
{
	struct fx *f = *state;
	struct bg_vault *v = NULL;
	cJSON *j, *c, *pi, *si, *pa, *sa;

	seal_all(f);
	(void)seal(f, STAGING, "root-password", BG_ITEM_PASSWORD, "x", 1);
	save(f, f->v);
	j = to_json(f->v);

	/* prod's root-password and staging's swapped */
	c = jdup(j);
	pa = cJSON_GetObjectItemCaseSensitive(at(c, "accounts", 0), "items");
	sa = cJSON_GetObjectItemCaseSensitive(at(c, "accounts", 1), "items");
	assert_string_equal(get_str(cJSON_GetArrayItem(pa, 0), "name"),
	    "root-password");
	assert_string_equal(get_str(cJSON_GetArrayItem(sa, 1), "name"),
	    "root-password");
	pi = cJSON_DetachItemFromArray(pa, 0);
	si = cJSON_DetachItemFromArray(sa, 1);
	assert_true(cJSON_AddItemToArray(pa, si));
	assert_true(cJSON_AddItemToArray(sa, pi));
	assert_int_equal(load_edited(f, c, &v), BG_OK);	/* well-formed */
	assert_int_equal(verify_item(v, PROD, "root-password"), BG_ETAMPER);
	assert_int_equal(verify_item(v, STAGING, "root-password"), BG_ETAMPER);
	assert_int_equal(verify_item(v, STAGING, "recovery-codes"), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-mfa"), BG_OK);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* staging's recovery-codes record renamed root-mfa */
	c = jdup(j);
	set_str(jitem(c, 1, 0), "name", "root-mfa");
	assert_int_equal(load_edited(f, c, &v), BG_OK);
	assert_int_equal(verify_item(v, STAGING, "root-mfa"), BG_ETAMPER);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* the version number raised */
	c = jdup(j);
	set_num(jitem(c, 0, 0), "version", 2);
	assert_int_equal(load_edited(f, c, &v), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-password"), BG_ETAMPER);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* prod's root-password root on its root-mfa (its file is there) */
	c = jdup(j);
	set_str(jitem(c, 0, 1), "commitments", get_str(jitem(c, 0, 0),
	    "commitments"));
	assert_int_equal(load_edited(f, c, &v), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-mfa"), BG_ETAMPER);
	assert_int_equal(verify_item(v, PROD, "root-password"), BG_OK);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* the sealer renamed, their token kept */
	c = jdup(j);
	set_str(jitem(c, 0, 0), "sealer", "bob");
	assert_int_equal(load_edited(f, c, &v), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-password"), BG_ETAMPER);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* the whole file under another vault id */
	c = jdup(j);
	set_str(c, "vault", "00112233445566778899aabbccddeeff");
	assert_int_equal(load_edited(f, c, &v), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-mfa"), BG_ETAMPER);
	bg_vault_free(&v);
	cJSON_Delete(c);

	/* unchanged: all verify */
	assert_int_equal(load_edited(f, j, &v), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-password"), BG_OK);
	assert_int_equal(verify_item(v, PROD, "root-mfa"), BG_OK);
	assert_int_equal(verify_item(v, STAGING, "root-password"), BG_OK);
	assert_int_equal(verify_item(v, STAGING, "recovery-codes"), BG_OK);
	bg_vault_free(&v);
	cJSON_Delete(j);
}

/* Format v1 is refused with the way out (json.c read_top). */
static void
test_v1_refused(void **state)
{
	struct fx *f = *state;
	struct bg_vault *v = NULL;
	cJSON *j, *acct;

	seal_all(f);
	j = to_json(f->v);
	set_str(j, "format", "breakglass-vault-v1");
	/* a v1 account held group keys */
	acct = at(j, "accounts", 0);
	set(acct, "keys", cJSON_CreateArray());
	assert_int_equal(bg_vault_from_json(j, &v), BG_EFORMAT);
	assert_null(v);
	assert_non_null(strstr(bg_why(), "breakglass-vault-v1"));
	assert_non_null(strstr(bg_why(), "set the vault up again"));
	assert_non_null(strstr(bg_why(), "breakglass init"));
	/* any other format: refused, not v1's message */
	set_str(j, "format", "breakglass-vault-v3");
	assert_int_equal(bg_vault_from_json(j, &v), BG_EFORMAT);
	assert_null(strstr(bg_why(), "set the vault up again"));
	assert_non_null(strstr(bg_why(), "format"));
	cJSON_Delete(j);
}

static void
refused(cJSON *c, const char *what)
{
	struct bg_vault *v = NULL;
	int r;

	r = from_tree(c, &v);
	print_message("refused? %s: %s (%s)\n", what, bg_strerror(r), bg_why());
	if (r == BG_OK)
		fail_msg("accepted: %s", what);
	assert_int_equal(r, BG_EFORMAT);
	assert_null(v);
	cJSON_Delete(c);
}

/* The strict parser and bg_vault_check: each edit alone is refused. */
static void
test_strict_parser(void **state)
{
	struct fx *f = *state;
	size_t boxlen;
	cJSON *j, *c, *m;
	char *text, *cut;
	size_t i;

	seal_all(f);
	j = to_json(f->v);
	boxlen = BG_V2_BOX_LEN(bg_policy_slots(f->v->policy));

	/* unknown keys, at every level */
	c = jdup(j); set_num(c, "extra", 1); refused(c, "top-level key");
	c = jdup(j); set_num(at(c, "people", 0), "extra", 1);
	refused(c, "person key");
	c = jdup(j); set_num(at(c, "accounts", 0), "extra", 1);
	refused(c, "account key");
	c = jdup(j); set_num(jitem(c, 0, 0), "extra", 1);
	refused(c, "item key");
	c = jdup(j); set_num(jgroup(c, 0, 0, 0), "extra", 1);
	refused(c, "group key");
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 0), "extra", 1);
	refused(c, "member key");
	c = jdup(j); set_num(jbox(c, 0, 0, 0, 0), "extra", 1);
	refused(c, "box key");
	/* v1's keys in a v2 file */
	c = jdup(j); set(at(c, "accounts", 0), "keys", cJSON_CreateArray());
	refused(c, "v1 account keys");
	c = jdup(j); set(jitem(c, 0, 0), "needs_rotation", cJSON_CreateFalse());
	refused(c, "v1 item needs_rotation");
	/* a missing key */
	c = jdup(j); cJSON_DeleteItemFromObjectCaseSensitive(jitem(c, 0, 0),
	    "commitments");
	refused(c, "no commitments");
	c = jdup(j); cJSON_DeleteItemFromObjectCaseSensitive(jitem(c, 0, 0),
	    "signature");
	refused(c, "no signature");

	/* boxes of the wrong length, and the slot count that sizes them */
	c = jdup(j); set_b64(jbox(c, 0, 0, 0, 1), "box", boxlen - 1);
	refused(c, "box one byte short");
	c = jdup(j); set_b64(jbox(c, 0, 0, 0, 1), "box", boxlen + 1);
	refused(c, "box one byte long");
	c = jdup(j); set_str(jbox(c, 0, 0, 0, 1), "box", "");
	refused(c, "empty box");
	c = jdup(j); set_num(jitem(c, 0, 0), "slots", 31);
	refused(c, "slots 31: every box too long");
	c = jdup(j); set_num(jitem(c, 0, 0), "slots", 0);
	refused(c, "slots 0");
	c = jdup(j); set_num(jitem(c, 0, 0), "slots", BG_SLOTS_MAX + 1);
	refused(c, "slots above the maximum");
	c = jdup(j); set_num(jitem(c, 0, 0), "epoch", 0);
	refused(c, "epoch 0");

	/* thresholds */
	c = jdup(j); set_num(jgroup(c, 0, 0, 0), "threshold", 1);
	refused(c, "threshold 1");
	c = jdup(j); set_num(jgroup(c, 1, 0, 1), "threshold", 1);
	refused(c, "threshold 1 in a two-group item");
	c = jdup(j); set_num(jgroup(c, 0, 0, 0), "threshold", 0);
	refused(c, "threshold 0");
	c = jdup(j); set_num(jgroup(c, 0, 0, 0), "threshold", 4);
	refused(c, "threshold above the members");

	/* x out of order, repeated, zero, beyond */
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 0), "x", 2);
	set_num(jmember(c, 0, 0, 0, 1), "x", 1);
	refused(c, "x swapped");
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 1), "x", 1);
	refused(c, "x repeated");
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 0), "x", 0);
	refused(c, "x 0");
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 2), "x", 4);
	refused(c, "x beyond n");
	c = jdup(j); set_num(jmember(c, 0, 0, 0, 2), "x", 256);
	refused(c, "x 256");

	/* members and boxes that are nobody's */
	c = jdup(j); set_str(jmember(c, 0, 0, 0, 1), "person", "mallory");
	refused(c, "member unknown");
	c = jdup(j); set_str(jmember(c, 0, 0, 0, 1), "person", "alice");
	set_str(jbox(c, 0, 0, 0, 1), "token", get_str(jbox(c, 0, 0, 0, 0),
	    "token"));
	refused(c, "member repeated, with their own token");
	c = jdup(j); set_str(jmember(c, 0, 0, 0, 1), "person", "Alice");
	refused(c, "member named in another case: nobody");
	c = jdup(j); set_str(jbox(c, 0, 0, 0, 1), "token",
	    get_str(jbox(c, 0, 0, 0, 0), "token"));
	refused(c, "box for another person's token");
	c = jdup(j); set_str(jbox(c, 0, 0, 0, 1), "token", "0011");
	refused(c, "short token id");
	c = jdup(j); m = jmember(c, 0, 0, 0, 1);
	set(m, "boxes", cJSON_CreateArray());
	refused(c, "member without a box");
	c = jdup(j); set_str(jgroup(c, 1, 0, 1), "name", "password");
	refused(c, "group repeated");
	c = jdup(j); set(at(c, "accounts", 0), "items", cJSON_CreateArray());
	assert_true(cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(
	    at(c, "accounts", 0), "items"), cJSON_Duplicate(jitem(j, 0, 0),
	    1)));
	assert_true(cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(
	    at(c, "accounts", 0), "items"), cJSON_Duplicate(jitem(j, 0, 0),
	    1)));
	refused(c, "item repeated");
	c = jdup(j); set(jitem(c, 0, 0), "groups", cJSON_CreateArray());
	refused(c, "item without groups");
	c = jdup(j); set_str(at(c, "people", RITA), "name", "ALICE");
	refused(c, "person listed twice, other case");
	c = jdup(j); set_str(at(c, "accounts", 1), "id", PROD);
	refused(c, "account listed twice");

	/* fields */
	c = jdup(j); set_str(jitem(c, 0, 0), "kind", "secret");
	refused(c, "kind");
	c = jdup(j); set_str(jitem(c, 0, 0), "sealed", "");
	refused(c, "sealed empty");
	c = jdup(j); set_num(jitem(c, 0, 0), "version", 0);
	refused(c, "version 0");
	c = jdup(j); set_str(jitem(c, 0, 0), "commitments", "00");
	refused(c, "commitments short");
	c = jdup(j); set_str(jitem(c, 0, 0), "commitments",
	    "zz00000000000000000000000000000000000000000000000000000000000000");
	refused(c, "commitments not hex");
	c = jdup(j); set_b64(jitem(c, 0, 0), "signature", BG_SEAL_SIG_LEN - 1);
	refused(c, "signature short");
	c = jdup(j); set_b64(jitem(c, 0, 0), "signature", BG_SEAL_SIG_LEN + 1);
	refused(c, "signature long");
	c = jdup(j); set_str(jitem(c, 0, 0), "sealer_token", "abcd");
	refused(c, "sealer_token short");
	c = jdup(j); set_str(jitem(c, 0, 0), "sealer", "not a name!");
	refused(c, "sealer not a name");
	c = jdup(j); set_b64(jitem(c, 0, 0), "data", 27);
	refused(c, "data shorter than nonce and tag");
	c = jdup(j); set_b64(jitem(c, 0, 0), "data", BG_VAULT_ITEM_MAX + 29);
	refused(c, "data longer than an item");
	c = jdup(j);
	set(at(c, "people", 0), "requester", cJSON_CreateNumber(0));
	refused(c, "requester not a boolean");
	c = jdup(j); set_str(c, "vault", "00112233445566778899AABBCCDDEEFF");
	refused(c, "vault id upper case");
	c = jdup(j); set_num(at(cJSON_GetObjectItemCaseSensitive(c, "policy"),
	    "groups", 0), "threshold", 0);
	refused(c, "policy threshold 0");

	/* truncated at every length */
	text = cJSON_PrintUnformatted(j);
	for (i = 0; i < strlen(text); i += 101) {
		cut = strndup(text, i);
		assert_int_not_equal(parse_text(cut), BG_OK);
		free(cut);
	}
	assert_int_equal(parse_text(text), BG_OK);
	free(text);

	/* bg_vault_check on the structs */
	{
		struct bg_v2_version *ver = bg_vault_item(bg_vault_account(
		    f->v, PROD), "root-password")->ver;

		assert_int_equal(bg_vault_check(f->v), BG_OK);
		ver->g[0].m[0].x = 2;
		ver->g[0].m[1].x = 1;
		assert_int_equal(bg_vault_check(f->v), BG_EFORMAT);
		ver->g[0].m[0].x = 1;
		ver->g[0].m[1].x = 2;
		ver->g[0].t = 1;
		assert_int_equal(bg_vault_check(f->v), BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "threshold"));
		ver->g[0].t = 2;
		assert_int_equal(bg_vault_check(f->v), BG_OK);
	}
	cJSON_Delete(j);
}

/* A policy the vault cannot read is named with the policy's own reason. */
static void
test_policy_error_named(void **state)
{
	struct fx *f = *state;
	struct bg_vault *v = NULL;
	bg_policy_t *p = NULL;
	char reason[256], want[300];
	cJSON *j, *pol;

	j = to_json(f->v);
	pol = cJSON_GetObjectItemCaseSensitive(j, "policy");
	set_num(at(pol, "groups", 0), "threshold", 0);
	assert_int_not_equal(bg_policy_from_json(pol, &p), BG_OK);
	assert_null(p);
	snprintf(reason, sizeof(reason), "%s", bg_why());
	assert_true(reason[0] != '\0');
	snprintf(want, sizeof(want), "vault.json: policy: %s", reason);
	want[255] = '\0';	/* bg_why() holds 255 characters */
	assert_int_equal(bg_vault_from_json(j, &v), BG_EFORMAT);
	assert_null(v);
	assert_string_equal(bg_why(), want);
	cJSON_Delete(j);
}

/* Sealing needs every member holding a token and no requester in a group. */
static void
test_ready_refusals(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a = bg_vault_account(f->v, PROD);
	struct bg_vault_item *it = NULL;
	char why[512];

	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_OK);
	assert_string_equal(why, "");
	/* a member without a token */
	assert_int_equal(bg_vault_add_person(f->v, "gina", 0, NULL), BG_OK);
	assert_int_equal(bg_policy_add_member(f->v->policy, "mfa", "gina"),
	    BG_OK);
	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "gina"));
	assert_non_null(strstr(why, "no token"));
	assert_string_equal(why, bg_why());
	/* sealing refuses too, and adds nothing */
	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)PW, strlen(PW), NOW, &it),
	    BG_EPERM);
	assert_null(it);
	assert_int_equal(a->nitems, 0);
	assert_int_equal(bg_policy_remove_member(f->v->policy, "mfa", "gina"),
	    BG_OK);
	assert_int_equal(bg_vault_ready(f->v, NULL, 0), BG_OK);

	/* a requester inside a group: a custodian made a requester */
	assert_int_equal(bg_vault_add_person(f->v, "erin", 1, NULL), BG_OK);
	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "requester \"erin\" is a member of group "
	    "\"mfa\""));
	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)PW, strlen(PW), NOW, &it),
	    BG_EPERM);
	assert_int_equal(a->nitems, 0);
	bg_vault_person(f->v, "erin")->requester = 0;
	/* the requester rita, with a token, added to a group */
	assert_int_equal(bg_policy_add_member(f->v->policy, "password",
	    "rita"), BG_OK);
	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "requester \"rita\""));
	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "rita"), BG_OK);

	/* the floor: a threshold of 1 */
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 1),
	    BG_OK);
	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "threshold 1"));
	assert_int_equal(bg_vault_seal(f->v, a, "root-mfa", BG_ITEM_TOTP,
	    (const uint8_t *)"t", 1, NOW, &it), BG_EPERM);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);

	/* sizes */
	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)PW, 0, NOW, &it), BG_ERANGE);
	assert_int_equal(a->nitems, 0);
	/* back within the floor: seals */
	(void)seal(f, PROD, "root-password", BG_ITEM_PASSWORD, PW, 1);
	assert_int_equal(a->nitems, 1);
}

/* Seal uses the policy's slot count: records, boxes and commitments. */
static void
test_policy_slots(void **state)
{
	struct fx *f = *state;
	struct bg_vault_item *it;
	bg_commitments_t *c = NULL;
	struct bg_vault *l = NULL;
	cJSON *j;

	assert_int_equal(bg_policy_slots(f->v->policy), BG_SLOTS_DEFAULT);
	it = seal(f, PROD, "root-password", BG_ITEM_PASSWORD, PW, 0);
	assert_int_equal(it->ver->nslots, BG_SLOTS_DEFAULT);
	assert_int_equal(bg_policy_set_slots(f->v->policy,
	    BG_POLICY_SLOTS_MIN - 1), BG_ERANGE);
	assert_int_equal(bg_policy_set_slots(f->v->policy, BG_SLOTS_MAX + 1),
	    BG_ERANGE);
	assert_int_equal(bg_policy_set_slots(f->v->policy, 8), BG_OK);
	it = seal(f, PROD, "root-mfa", BG_ITEM_TOTP, "totp", 4);
	assert_int_equal(it->ver->nslots, 8);
	assert_int_equal(bg_commitments_decode(it->ver->commitments,
	    it->ver->commitments_len, &c), BG_OK);
	assert_int_equal(bg_commitments_nslots(c), 8);
	bg_commitments_free(&c);
	/* through the file: each record keeps its own count */
	j = to_json(f->v);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(jitem(j, 0, 0),
	    "slots")->valueint, BG_SLOTS_DEFAULT);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(jitem(j, 0, 1),
	    "slots")->valueint, 8);
	cJSON_Delete(j);
	save(f, f->v);
	assert_int_equal(load(f, &l), BG_OK);
	assert_same_vault(f->v, l, 1);
	assert_opens(f, l, PROD, "root-mfa", 7, "totp");
	bg_vault_free(&l);
	/* slot 8 does not exist */
	{
		const struct bg_vault_account *a = bg_vault_account(f->v, PROD);
		uint8_t s[BG_SLOT_KEY_LEN];

		it = bg_vault_item(a, "root-mfa");
		assert_int_equal(take(f, f->v, a, it, "dave", 8, s),
		    BG_EINVAL);
		assert_int_equal(take(f, f->v, a, it, "dave", 7, s), BG_OK);
	}
	/* the largest */
	assert_int_equal(bg_policy_set_slots(f->v->policy, BG_SLOTS_MAX),
	    BG_OK);
	it = seal(f, STAGING, "recovery-codes", BG_ITEM_NOTE, NOTE, 0);
	assert_int_equal(it->ver->nslots, BG_SLOTS_MAX);
	assert_opens(f, f->v, STAGING, "recovery-codes", BG_SLOTS_MAX - 1,
	    NOTE);
}

/* A second seal is version 2 with a fresh root; version 1's boxes, root
 * and signature are worth nothing against it. */
static void
test_second_seal(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a = bg_vault_account(f->v, PROD);
	struct bg_vault_item *it;
	struct bg_v2_member *m;
	uint8_t root1[32], sig1[BG_SEAL_SIG_LEN], s[BG_SLOT_KEY_LEN];
	uint8_t *box1, *keep;
	struct bg_v2_expect w;
	size_t boxlen;

	it = seal(f, PROD, "root-password", BG_ITEM_PASSWORD, PW, 0);
	assert_int_equal(it->version, 1);
	assert_int_equal(it->ver->version, 1);
	memcpy(root1, it->ver->root, 32);
	memcpy(sig1, it->sig, sizeof(sig1));
	boxlen = BG_V2_BOX_LEN(it->ver->nslots);
	assert_non_null(box1 = malloc(boxlen));
	memcpy(box1, it->ver->g[0].m[0].box[0], boxlen);	/* alice's */
	assert_int_equal(take(f, f->v, a, it, "alice", 0, s), BG_OK);

	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)"n3w-Password!", 13, NOW + 60,
	    &it), BG_OK);
	assert_int_equal(a->nitems, 1);
	assert_ptr_equal(it, &a->items[0]);
	assert_int_equal(it->version, 2);
	assert_int_equal(it->ver->version, 2);
	assert_int_equal(it->sealed, NOW + 60);
	assert_memory_not_equal(it->ver->root, root1, 32);
	/* unsigned yet, and version 1's signature does not carry over */
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	memcpy(it->sig, sig1, sizeof(sig1));
	snprintf(it->sealer, sizeof(it->sealer), "alice");
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s",
	    bg_token_desc_id(bg_vault_person(f->v, "alice")->tokens[0]));
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_ETAMPER);
	sign_as(f, it, 1);	/* bob seals version 2 */
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);

	/* alice's version 1 box in version 2's record: does not open */
	m = &it->ver->g[0].m[0];
	assert_string_equal(m->person, "alice");
	keep = m->box[0];
	m->box[0] = box1;
	assert_int_not_equal(take(f, f->v, a, it, "alice", 0, s), BG_OK);
	m->box[0] = keep;
	assert_int_equal(take(f, f->v, a, it, "alice", 0, s), BG_OK);
	/* version 2's record offered with version 1's root */
	want_of(a, it, root1, &w);
	assert_int_equal(bg_v2_take_share(f->v, it->ver, &w, 0, 1, 0,
	    f->priv[0], 0, s), BG_ETAMPER);
	/* and as version 1 */
	want_of(a, it, it->ver->root, &w);
	w.version = 1;
	assert_int_equal(bg_v2_take_share(f->v, it->ver, &w, 0, 1, 0,
	    f->priv[0], 0, s), BG_ETAMPER);
	assert_opens(f, f->v, PROD, "root-password", 3, "n3w-Password!");
	free(box1);

	/* a third seal: version 3 */
	it = seal(f, PROD, "root-password", BG_ITEM_PASSWORD, PW, 2);
	assert_int_equal(it->version, 3);
}

/* bg_vault_load refuses a commitments file missing, edited or swapped. */
static void
test_load_commitments_tampered(void **state)
{
	struct fx *f = *state;
	struct bg_vault *l = NULL;
	struct bg_vault_item *pw, *mfa;
	char path[256], other[256];
	char *data = NULL;
	size_t len;

	/* before init: no vault */
	assert_int_equal(load(f, &l), BG_ENOENT);
	assert_null(l);
	assert_non_null(strstr(bg_why(), "breakglass init"));

	seal_all(f);
	save(f, f->v);
	pw = bg_vault_item(bg_vault_account(f->v, PROD), "root-password");
	mfa = bg_vault_item(bg_vault_account(f->v, PROD), "root-mfa");
	blob_path(f, pw, path, sizeof(path));
	blob_path(f, mfa, other, sizeof(other));
	assert_int_equal(bg_file_read(path, BG_COMMITMENTS_MAX, &data, &len),
	    BG_OK);
	assert_int_equal(len, pw->ver->commitments_len);
	assert_int_equal(load(f, &l), BG_OK);
	bg_vault_free(&l);

	/* missing */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	assert_null(l);
	assert_non_null(strstr(bg_why(), "missing"));
	assert_non_null(strstr(bg_why(), "root-password"));
	/* one byte changed, at the start, the middle, the end */
	data[0] ^= 1;
	assert_int_equal(bg_file_replace(path, data, len, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	assert_null(l);
	assert_non_null(strstr(bg_why(), "does not hash to its name"));
	data[0] ^= 1;
	data[len / 2] ^= 0x40;
	assert_int_equal(bg_file_replace(path, data, len, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	data[len / 2] ^= 0x40;
	data[len - 1] ^= 0x01;
	assert_int_equal(bg_file_replace(path, data, len, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	data[len - 1] ^= 0x01;
	/* truncated, extended, emptied */
	assert_int_equal(bg_file_replace(path, data, len - 1, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	{
		char *longer = malloc(len + 1);

		assert_non_null(longer);
		memcpy(longer, data, len);
		longer[len] = '\0';
		assert_int_equal(bg_file_replace(path, longer, len + 1, 0600),
		    BG_OK);
		free(longer);
	}
	assert_int_equal(load(f, &l), BG_ETAMPER);
	assert_int_equal(bg_file_replace(path, "", 0, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_ETAMPER);
	assert_null(l);
	/* another version's (valid) commitments under this name */
	{
		char *o = NULL;
		size_t olen;

		assert_int_equal(bg_file_read(other, BG_COMMITMENTS_MAX, &o,
		    &olen), BG_OK);
		assert_int_equal(bg_file_replace(path, o, olen, 0600), BG_OK);
		free(o);
	}
	assert_int_equal(load(f, &l), BG_ETAMPER);
	/* put back: loads */
	assert_int_equal(bg_file_replace(path, data, len, 0600), BG_OK);
	assert_int_equal(load(f, &l), BG_OK);
	assert_same_vault(f->v, l, 1);
	bg_vault_free(&l);
	free(data);
}

/* Writes this fixture's vault.json as a fuzz_vault seed when asked. */
static void
test_fuzz_seed(void **state)
{
	struct fx *f = *state;
	const char *path = getenv("TU_VAULT_SEED");
	cJSON *j;
	char *text;
	FILE *fp;

	assert_int_equal(bg_policy_set_slots(f->v->policy,
	    BG_POLICY_SLOTS_MIN), BG_OK);
	seal_all(f);
	j = to_json(f->v);
	assert_non_null(text = cJSON_Print(j));
	assert_int_equal(parse_text(text), BG_OK);
	if (path != NULL && path[0] != '\0') {
		/* fuzz_vault: an even first byte selects vault.json */
		assert_non_null(fp = fopen(path, "w"));
		assert_true(fprintf(fp, " %s", text) > 0);
		assert_int_equal(fclose(fp), 0);
	}
	free(text);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_item_verify_forgeries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_records_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_strict_parser, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_error_named,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_slots, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_second_seal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_commitments_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_seed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
