/*
 * The vault's cryptography and file format without hardware: tokens are
 * descriptors whose X25519 private keys the test knows, so shares can be
 * opened directly. Forged, moved, truncated and tampered parts must fail,
 * and so must arming or re-splitting below the policy floor.
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
#include "tests/unit/faketoken.h"

#include <openssl/rand.h>

#include "broker/vault/vault.h"

#define NPEOPLE 6
static const char *const names[NPEOPLE] = { "alice", "bob", "carol", "dave",
    "erin", "frank" };

struct fx {
	struct bg_vault *v;
	uint8_t priv[NPEOPLE][32];	/* each person's token key */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	assert_int_equal(bg_vault_new(&f->v), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, "111122223333", "prod",
	    "root@example.com"), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, "444455556666", "staging",
	    "root-staging@example.com"), BG_OK);
	for (i = 0; i < NPEOPLE; i++) {
		assert_int_equal(RAND_bytes(f->priv[i], 32), 1);
		assert_int_equal(bg_vault_add_person(f->v, names[i], 0, NULL),
		    BG_OK);
		assert_int_equal(bg_vault_add_token(f->v, names[i],
		    tu_fake_token(f->priv[i], 1000 + (unsigned)i)), BG_OK);
		assert_int_equal(bg_policy_add_member(f->v->policy,
		    i < 3 ? "password" : "mfa", names[i]), BG_OK);
	}
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 2),
	    BG_OK);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bg_vault_free(&f->v);
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

/* Opens the shares of people a and b in group g of account acct. */
static int
combine_two(struct fx *f, struct bg_vault_account *acct, const char *group,
    const char *a, const char *b, uint8_t priv[32])
{
	const struct bg_vault_gkey *k = bg_vault_gkey(acct, group);
	uint8_t sh[2][BG_SHARE_LEN], xs[2];
	const uint8_t *ys[2] = { sh[0], sh[1] };
	const char *who[2] = { a, b };
	size_t i;

	assert_non_null(k);
	for (i = 0; i < 2; i++) {
		const struct bg_vault_share *s = bg_vault_share(k, who[i]);

		assert_non_null(s);
		assert_int_equal(bg_vault_share_open(f->v, acct, k, s, 0,
		    f->priv[person_index(who[i])], sh[i]), BG_OK);
		xs[i] = s->x;
	}
	return bg_vault_combine(k, xs, ys, 2, priv);
}

static void
arm(struct fx *f)
{
	size_t armed;

	assert_int_equal(bg_vault_arm(f->v, &armed), BG_OK);
	assert_int_equal(armed, 4);	/* 2 accounts x 2 groups */
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_OK);
	assert_int_equal(armed, 0);
}

static void
test_arm_and_combine(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a;
	const struct bg_vault_gkey *k;
	uint8_t priv[32], sh[BG_SHARE_LEN], xs[1];
	const uint8_t *ys[1] = { sh };

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	assert_int_equal(combine_two(f, a, "password", "alice", "carol", priv),
	    BG_OK);
	assert_int_equal(combine_two(f, a, "mfa", "dave", "frank", priv),
	    BG_OK);
	/* a share opens only with its own token */
	k = bg_vault_gkey(a, "password");
	assert_int_not_equal(bg_vault_share_open(f->v, a, k,
	    bg_vault_share(k, "alice"), 0, f->priv[1], sh), BG_OK);
	/* one share is below the threshold */
	assert_int_equal(bg_vault_share_open(f->v, a, k, bg_vault_share(k,
	    "bob"), 0, f->priv[1], sh), BG_OK);
	xs[0] = bg_vault_share(k, "bob")->x;
	assert_int_equal(bg_vault_combine(k, xs, ys, 1, priv), BG_EPERM);
	/* a bad share is named by its commitment */
	sh[3] ^= 1;
	assert_int_equal(bg_vault_share_check(f->v, k, xs[0], sh), BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "bob"));
}

/* A share box moved to another account or group does not open. */
static void
test_moved_share_refused(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a, *b;
	struct bg_vault_share *sa, *sb;
	uint8_t sh[BG_SHARE_LEN];

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	b = bg_vault_account(f->v, "444455556666");
	sa = bg_vault_share(bg_vault_gkey(a, "password"), "alice");
	sb = bg_vault_share(bg_vault_gkey(b, "password"), "alice");
	memcpy(sb->box[0], sa->box[0], BG_SHARE_LEN + BG_BOX_OVERHEAD);
	sb->x = sa->x;
	assert_int_not_equal(bg_vault_share_open(f->v, b, bg_vault_gkey(b,
	    "password"), sb, 0, f->priv[0], sh), BG_OK);
}

static void
test_seal_and_open(void **state)
{
	const char *pw = "Corr3ct-Horse_Battery{Staple}";
	struct fx *f = *state;
	struct bg_vault_account *a, *b;
	struct bg_group_priv keys[2];
	uint8_t pp[32], mp[32], *out = NULL, *mine;
	size_t len;

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	b = bg_vault_account(f->v, "444455556666");
	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)pw, strlen(pw), 1000), BG_OK);
	assert_int_equal(combine_two(f, a, "password", "alice", "bob", pp),
	    BG_OK);
	assert_int_equal(combine_two(f, a, "mfa", "dave", "erin", mp), BG_OK);
	keys[0] = (struct bg_group_priv){ "password", pp };
	assert_int_equal(bg_vault_open_item(f->v, a, bg_vault_item(a,
	    "root-password"), keys, 1, &out, &len), BG_OK);
	assert_int_equal(len, strlen(pw));
	assert_memory_equal(out, pw, len);
	bg_secure_free(&out, len + 1);
	/* the mfa key labelled as the password key opens nothing */
	keys[0] = (struct bg_group_priv){ "password", mp };
	assert_int_not_equal(bg_vault_open_item(f->v, a, bg_vault_item(a,
	    "root-password"), keys, 1, &out, &len), BG_OK);
	assert_null(out);
	/* without the group it needs: refused */
	keys[0] = (struct bg_group_priv){ "mfa", mp };
	assert_int_equal(bg_vault_open_item(f->v, a, bg_vault_item(a,
	    "root-password"), keys, 1, &out, &len), BG_EPERM);
	/* the sealed item moved to another account does not open */
	assert_int_equal(bg_vault_seal(f->v, b, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)"x", 1, 1000), BG_OK);
	mine = bg_vault_item(b, "root-password")->data;
	bg_vault_item(b, "root-password")->data = bg_vault_item(a,
	    "root-password")->data;
	bg_vault_item(b, "root-password")->data_len = bg_vault_item(a,
	    "root-password")->data_len;
	assert_int_equal(combine_two(f, b, "password", "alice", "bob", pp),
	    BG_OK);
	keys[0] = (struct bg_group_priv){ "password", pp };
	assert_int_not_equal(bg_vault_open_item(f->v, b, bg_vault_item(b,
	    "root-password"), keys, 1, &out, &len), BG_OK);
	bg_vault_item(b, "root-password")->data = mine;	/* a's, freed once */
}

/* A note needing both groups opens only with both. */
static void
test_two_group_item(void **state)
{
	const char *groups[2] = { "password", "mfa" };
	const char *note = "recovery codes: 1111 2222 3333";
	struct fx *f = *state;
	struct bg_vault_account *a;
	struct bg_group_priv keys[2];
	uint8_t pp[32], mp[32], *out = NULL;
	size_t len;

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	assert_int_equal(bg_policy_set_item(f->v->policy, "codes", groups, 2),
	    BG_OK);
	assert_int_equal(bg_vault_seal(f->v, a, "codes", BG_ITEM_NOTE,
	    (const uint8_t *)note, strlen(note), 1000), BG_OK);
	assert_int_equal(combine_two(f, a, "password", "bob", "carol", pp),
	    BG_OK);
	assert_int_equal(combine_two(f, a, "mfa", "erin", "frank", mp), BG_OK);
	keys[0] = (struct bg_group_priv){ "password", pp };
	keys[1] = (struct bg_group_priv){ "mfa", mp };
	assert_int_equal(bg_vault_open_item(f->v, a, bg_vault_item(a, "codes"),
	    keys, 1, &out, &len), BG_EPERM);
	assert_int_equal(bg_vault_open_item(f->v, a, bg_vault_item(a, "codes"),
	    keys, 2, &out, &len), BG_OK);
	assert_string_equal((char *)out, note);
	bg_secure_free(&out, len + 1);
}

/* After a rekey with a new key, the old shares are useless. */
static void
test_rekey_new_key(void **state)
{
	const char *pw = "Tr0ub4dor&3-is-not-enough+";
	struct fx *f = *state;
	struct bg_vault_account *a;
	struct bg_vault_gkey *k;
	struct bg_vault_share old[3];
	struct bg_group_priv keys[1];
	uint8_t oldpriv[32], priv[32], *out = NULL;
	size_t len;

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	assert_int_equal(bg_vault_seal(f->v, a, "root-password",
	    BG_ITEM_PASSWORD, (const uint8_t *)pw, strlen(pw), 1000), BG_OK);
	k = bg_vault_gkey(a, "password");
	memcpy(old, k->shares, sizeof(old));
	assert_int_equal(combine_two(f, a, "password", "alice", "carol",
	    oldpriv), BG_OK);
	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "carol"), BG_OK);
	assert_int_equal(bg_vault_resplit(f->v, a, "password", oldpriv, 1),
	    BG_OK);
	k = bg_vault_gkey(a, "password");
	assert_int_equal(k->nshares, 2);
	assert_null(bg_vault_share(k, "carol"));
	assert_int_equal(k->epoch, 2);
	/* the old key no longer opens the item; the new shares do */
	keys[0] = (struct bg_group_priv){ "password", oldpriv };
	assert_int_not_equal(bg_vault_open_item(f->v, a, bg_vault_item(a,
	    "root-password"), keys, 1, &out, &len), BG_OK);
	assert_int_equal(combine_two(f, a, "password", "alice", "bob", priv),
	    BG_OK);
	keys[0] = (struct bg_group_priv){ "password", priv };
	assert_int_equal(bg_vault_open_item(f->v, a, bg_vault_item(a,
	    "root-password"), keys, 1, &out, &len), BG_OK);
	assert_memory_equal(out, pw, len);
	bg_secure_free(&out, len + 1);
	/* the key that old shares (carol's among them) combine to is not the
	 * group's key any more */
	assert_int_equal(bg_x25519_public(oldpriv, priv), BG_OK);
	assert_memory_not_equal(priv, k->pub, 32);
	assert_memory_not_equal(old[0].commit, bg_vault_share(k,
	    "alice")->commit, BG_COMMIT_LEN);
}

/* A membership change without a new key is only for the same holders. */
static void
test_stale_holders(void **state)
{
	struct fx *f = *state;
	const char *who[4];
	struct bg_vault_account *a;

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	assert_int_equal(bg_vault_stale_holders(f->v, bg_vault_gkey(a,
	    "password"), who, 4), 0);
	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "bob"), BG_OK);
	assert_int_equal(bg_vault_stale_holders(f->v, bg_vault_gkey(a,
	    "password"), who, 4), 1);
	assert_string_equal(who[0], "bob");
}

static void
test_arm_refusals(void **state)
{
	struct fx *f = *state;
	size_t armed;

	assert_int_equal(bg_vault_add_person(f->v, "grace", 0, NULL), BG_OK);
	assert_int_equal(bg_policy_add_member(f->v->policy, "mfa", "grace"),
	    BG_OK);
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_EPERM);
	assert_non_null(strstr(bg_why(), "grace"));
	assert_int_equal(armed, 0);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 4),
	    BG_OK);
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_EPERM);
	assert_int_equal(bg_vault_gkey(bg_vault_account(f->v, "111122223333"),
	    "password"), NULL);
}

/* The vault holds no group key of any account. */
static void
assert_unarmed(const struct fx *f)
{
	size_t i;

	for (i = 0; i < f->v->naccounts; i++)
		assert_int_equal(f->v->accounts[i].nkeys, 0);
}

/* docs/design.md §5.2 policy floor: a threshold of 1 is never armed. */
static void
test_arm_refuses_threshold_one(void **state)
{
	struct fx *f = *state;
	size_t armed = 9;

	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 1),
	    BG_OK);
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_EPERM);
	assert_int_equal(armed, 0);
	assert_non_null(strstr(bg_why(), "group \"mfa\": threshold 1 lets one "
	    "person's share stand for the whole group: it must be at least 2"));
	assert_unarmed(f);
	/* back at 2 it arms */
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);
	arm(f);
}

/*
 * docs/design.md §5.2 policy floor: a requester in a group would hold a
 * share of the key guarding what they request. Refused before any key is
 * made, whichever way they came to be both.
 */
static void
test_arm_refuses_requester_in_group(void **state)
{
	struct fx *f = *state;
	uint8_t priv[32];
	size_t armed = 9;

	/* a custodian who is also made a requester */
	assert_int_equal(bg_vault_add_person(f->v, "erin", 1, NULL), BG_OK);
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_EPERM);
	assert_int_equal(armed, 0);
	assert_string_equal(bg_why(), "requester \"erin\" is a member of group "
	    "\"mfa\": a requester may not be a custodian, since their own "
	    "share would count toward their own request, offline");
	assert_unarmed(f);
	bg_vault_person(f->v, "erin")->requester = 0;
	/* a requester, with a token, who is also added to a group */
	assert_int_equal(RAND_bytes(priv, 32), 1);
	assert_int_equal(bg_vault_add_person(f->v, "rita", 1, NULL), BG_OK);
	assert_int_equal(bg_vault_add_token(f->v, "rita", tu_fake_token(priv,
	    2000)), BG_OK);
	assert_int_equal(bg_policy_add_member(f->v->policy, "password",
	    "rita"), BG_OK);
	assert_int_equal(bg_vault_arm(f->v, &armed), BG_EPERM);
	assert_non_null(strstr(bg_why(), "requester \"rita\" is a member of "
	    "group \"password\""));
	assert_unarmed(f);
	/* out of the group, the same vault arms */
	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "rita"), BG_OK);
	arm(f);
	assert_null(bg_vault_share(bg_vault_gkey(&f->v->accounts[0],
	    "password"), "rita"));
}

/* A re-split keeps the floor too, whoever calls it (rekey validates first). */
static void
test_resplit_refuses_floor(void **state)
{
	struct fx *f = *state;
	struct bg_vault_account *a;
	struct bg_vault_gkey *k;
	uint8_t priv[32], pub[32], commit[BG_COMMIT_LEN];

	arm(f);
	a = bg_vault_account(f->v, "111122223333");
	assert_int_equal(combine_two(f, a, "password", "alice", "bob", priv),
	    BG_OK);
	k = bg_vault_gkey(a, "password");
	memcpy(pub, k->pub, 32);
	memcpy(commit, k->shares[0].commit, BG_COMMIT_LEN);
	/* a threshold of 1 */
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 1),
	    BG_OK);
	assert_int_equal(bg_vault_resplit(f->v, a, "password", priv, 0),
	    BG_EPERM);
	assert_non_null(strstr(bg_why(), "threshold 1"));
	assert_int_equal(bg_vault_resplit(f->v, a, "password", priv, 1),
	    BG_EPERM);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 2),
	    BG_OK);
	/* a member who became a requester */
	bg_vault_person(f->v, "carol")->requester = 1;
	assert_int_equal(bg_vault_resplit(f->v, a, "password", priv, 0),
	    BG_EPERM);
	assert_non_null(strstr(bg_why(), "requester \"carol\""));
	/* nothing changed: same key, epoch, threshold and shares */
	k = bg_vault_gkey(a, "password");
	assert_memory_equal(k->pub, pub, 32);
	assert_int_equal(k->epoch, 1);
	assert_int_equal(k->threshold, 2);
	assert_int_equal(k->nshares, 3);
	assert_memory_equal(k->shares[0].commit, commit, BG_COMMIT_LEN);
}

/* ------------------------------------------------------------ the file */

static char *
to_text(const struct bg_vault *v)
{
	cJSON *j = NULL;
	char *s;

	assert_int_equal(bg_vault_to_json(v, &j), BG_OK);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
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

/* Replaces the first "from" in s by "to" (same buffer, reallocated). */
static char *
edit(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(s) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

static void
test_file_round_trip_and_forgeries(void **state)
{
	const char *pw = "Sup3r+Secret=Root!Password";
	static const struct {
		const char *from, *to;
	} bad[] = {
		{ "\"format\":\"breakglass-vault-v1\"",
		    "\"format\":\"breakglass-vault-v2\"" },
		{ "\"requester\":false", "\"requester\":0" },
		{ "\"x\":1,", "\"x\":0," },
		{ "\"x\":2,", "\"x\":1," },		/* x repeated */
		{ "\"person\":\"bob\"", "\"person\":\"mallory\"" },
		{ "\"threshold\":2,\"epoch\"", "\"threshold\":9,\"epoch\"" },
		{ "\"kind\":\"password\"", "\"kind\":\"secret\"" },
		{ "\"id\":\"111122223333\"", "\"id\":\"444455556666\"" },
		{ "\"root_email\":\"root@example.com\"",
		    "\"root_email\":\"not-an-address\"" },
		{ "\"version\":1,", "\"version\":1,\"extra\":1," },
		{ "\"sealed\":\"", "\"sealed\":\"x" },
		{ "\"needs_rotation\":false", "\"needs_rotation\":\"no\"" },
	};
	struct fx *f = *state;
	char *text, *again, *forged;
	struct bg_vault *v = NULL;
	cJSON *j;
	size_t i;

	arm(f);
	assert_int_equal(bg_vault_seal(f->v, bg_vault_account(f->v,
	    "111122223333"), "root-password", BG_ITEM_PASSWORD,
	    (const uint8_t *)pw, strlen(pw), 1700000000), BG_OK);
	text = to_text(f->v);
	/* stolen: the file holds no secret */
	assert_null(strstr(text, pw));
	assert_null(strstr(text, "Sup3r"));
	assert_non_null(j = bg_json_parse(text, strlen(text)));
	assert_int_equal(bg_vault_from_json(j, &v), BG_OK);
	cJSON_Delete(j);
	again = to_text(v);
	assert_string_equal(text, again);
	free(again);
	bg_vault_free(&v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		forged = edit(text, bad[i].from, bad[i].to);
		print_message("forgery %zu: %s\n", i, bad[i].to);
		assert_int_not_equal(parse_text(forged), BG_OK);
		free(forged);
	}
	/* truncated at every length */
	for (i = 0; i < strlen(text); i += 97) {
		forged = strndup(text, i);
		assert_int_not_equal(parse_text(forged), BG_OK);
		free(forged);
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arm_and_combine, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_moved_share_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_and_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_group_item, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rekey_new_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_holders, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_arm_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_arm_refuses_threshold_one,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_arm_refuses_requester_in_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resplit_refuses_floor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_round_trip_and_forgeries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
