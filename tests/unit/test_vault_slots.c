/*
 * v2 item versions (broker/vault/slots.c) without hardware: tokens are
 * descriptors whose X25519 keys the test knows. The happy path; then the
 * attacker of docs/design.md §5.2, who holds the shares that approvals of
 * two requests revealed and runs their own code, not ours: shares of two
 * slots never give K, one group's quorum from one slot with the other's
 * from another never gives K; boxes moved to another version, member or
 * token do not open; tampered shares and commitments are named.
 */
#define _GNU_SOURCE	/* memmem */
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
#define N 32
#define PW "correct-Horse-battery-staple-42!"

static const char *const names[NPEOPLE] = { "alice", "bob", "carol", "dave",
    "erin", "frank" };

struct fx {
	struct bg_vault *v;
	struct bg_vault_account *a;
	uint8_t priv[NPEOPLE][32];
	struct bg_v2_version *ver;
	uint8_t root[32];		/* as the sealer signed it */
	struct bg_v2_expect want;	/* as the signed request names it */
};

static const char *const both[2] = { "password", "mfa" };

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	assert_int_equal(bg_vault_new(&f->v), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, "111122223333", "prod",
	    "root@example.com"), BG_OK);
	f->a = bg_vault_account(f->v, "111122223333");
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
	/* a note needing both groups: two parts per slot */
	assert_int_equal(bg_policy_set_item(f->v->policy, "recovery-codes",
	    both, 2), BG_OK);
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 1, N,
	    (const uint8_t *)PW, strlen(PW), &f->ver), BG_OK);
	assert_int_equal(f->ver->ng, 2);
	memcpy(f->root, f->ver->root, 32);
	f->want.account = "111122223333";
	f->want.item = "recovery-codes";
	f->want.version = 1;
	f->want.root = f->root;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bg_v2_version_free(&f->ver);
	bg_vault_free(&f->v);
	free(f);
	return 0;
}

/* Person p's (0..5) share of slot, as an approval would reveal it. */
static void
share_of(struct fx *f, size_t p, uint32_t slot, uint8_t out[32])
{
	size_t g = p < 3 ? 0 : 1;

	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want, g,
	    (uint8_t)(p % 3 + 1), 0, f->priv[p], slot, out), BG_OK);
}

/* Does key decrypt ver's value? The AAD is public: the version's label. */
static int
key_opens(struct fx *f, const struct bg_v2_version *ver, const uint8_t *key)
{
	struct bg_slot_box_id id;
	struct bg_label l;
	uint8_t pt[64];
	size_t len = ver->data_len - 12 - 16;

	memset(&id, 0, sizeof(id));
	id.vault = f->v->id;
	id.vault_len = sizeof(f->v->id);
	id.account = ver->account;
	id.item = ver->item;
	id.version = ver->version;
	id.epoch = ver->epoch;
	assert_int_equal(bg_slot_version_label(&id, &l), BG_OK);
	assert_true(len <= sizeof(pt));
	return bg_aes256gcm_open(key, ver->data, l.b, l.len, ver->data + 12,
	    len, ver->data + 12 + len, pt) == BG_OK;
}

/*
 * The attacker's own release, with none of our checks: per group combine
 * the shares it holds, XOR the parts, decrypt. 1 when the value comes out.
 */
static int
attacker_opens(struct fx *f, const uint8_t xs[2][2], uint8_t ys[2][2][32])
{
	uint8_t part[2][32], k[32];
	const uint8_t *p[2] = { part[0], part[1] };
	size_t g;

	for (g = 0; g < 2; g++) {
		const uint8_t *y[2] = { ys[g][0], ys[g][1] };

		assert_int_equal(bg_shamir_combine(xs[g], y, 2, 32, part[g]),
		    BG_OK);
	}
	bg_slots_join(p, 2, k);
	return key_opens(f, f->ver, k);
}

static void
test_seal_and_open(void **state)
{
	struct fx *f = *state;
	uint8_t y[4][32], *out = NULL;
	const uint8_t xs0[2] = { 1, 3 }, xs1[2] = { 2, 3 };
	const uint8_t *ys0[2] = { y[0], y[1] }, *ys1[2] = { y[2], y[3] };
	struct bg_v2_shares s[2] = { { xs0, ys0, 2 }, { xs1, ys1, 2 } };
	size_t len, g, m;

	assert_int_equal(f->ver->nslots, N);
	for (g = 0; g < 2; g++)
		for (m = 0; m < 3; m++)
			assert_int_equal(f->ver->g[g].m[m].x, m + 1);
	/* the value is not in any public byte */
	assert_null(memmem(f->ver->data, f->ver->data_len, PW, strlen(PW)));
	share_of(f, 0, 5, y[0]);	/* alice */
	share_of(f, 2, 5, y[1]);	/* carol */
	share_of(f, 4, 5, y[2]);	/* erin */
	share_of(f, 5, 5, y[3]);	/* frank */
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want,
	    5, s, &out, &len), BG_OK);
	assert_int_equal(len, strlen(PW));
	assert_memory_equal(out, PW, len);
	bg_secure_free(&out, len + 1);
	/* the same shares under another slot number: refused, named */
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want, 6, s, &out, &len),
	    BG_ETAMPER);
	assert_null(out);
	/* one share per group is not a quorum */
	s[0].k = 1;
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want,
	    5, s, &out, &len), BG_EPERM);
}

/* Two denied requests: A (slot 0) approved by alice and dave, B (slot 1)
 * by bob and erin. Each is below quorum; pooled, they open nothing. */
static void
test_pooling_two_denied_requests(void **state)
{
	struct fx *f = *state;
	const uint8_t xs[2][2] = { { 1, 2 }, { 1, 2 } };
	uint8_t ys[2][2][32];

	share_of(f, 0, 0, ys[0][0]);	/* alice, request A */
	share_of(f, 1, 1, ys[0][1]);	/* bob, request B */
	share_of(f, 3, 0, ys[1][0]);	/* dave, request A */
	share_of(f, 4, 1, ys[1][1]);	/* erin, request B */
	assert_false(attacker_opens(f, xs, ys));
}

/* One group's quorum from request A (slot 0), the other's from B (slot 1). */
static void
test_quorums_of_two_slots(void **state)
{
	struct fx *f = *state;
	const uint8_t xs[2][2] = { { 1, 2 }, { 1, 2 } };
	uint8_t ys[2][2][32];
	uint8_t out_ok[2][2][32];

	share_of(f, 0, 0, ys[0][0]);
	share_of(f, 1, 0, ys[0][1]);
	share_of(f, 3, 1, ys[1][0]);
	share_of(f, 4, 1, ys[1][1]);
	assert_false(attacker_opens(f, xs, ys));
	/* and the attacker's combination is sound: both from one slot opens */
	share_of(f, 0, 1, out_ok[0][0]);
	share_of(f, 1, 1, out_ok[0][1]);
	memcpy(out_ok[1], ys[1], sizeof(out_ok[1]));
	assert_true(attacker_opens(f, xs, out_ok));
}

static void
test_box_moved_or_wrong_key(void **state)
{
	struct fx *f = *state;
	struct bg_v2_version *v2 = NULL;
	struct bg_v2_expect want2;
	uint8_t s[32], *keep;

	/* bob's key on alice's box: refused as tampering (the box does not
	 * open with the token it is recorded for) */
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    0, 1, 0, f->priv[1], 0,
	    s), BG_ETAMPER);
	/* alice's box put in bob's place: bob's label, alice's key */
	keep = f->ver->g[0].m[1].box[0];
	f->ver->g[0].m[1].box[0] = f->ver->g[0].m[0].box[0];
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    0, 2, 0, f->priv[0], 0,
	    s), BG_ETAMPER);
	f->ver->g[0].m[1].box[0] = keep;
	/* alice's box of version 1 planted into version 2 */
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 2, N,
	    (const uint8_t *)"v2", 2, &v2), BG_OK);
	want2 = f->want;
	want2.version = 2;
	want2.root = v2->root;
	keep = v2->g[0].m[0].box[0];
	v2->g[0].m[0].box[0] = f->ver->g[0].m[0].box[0];
	assert_int_equal(bg_v2_take_share(f->v, v2, &want2, 0, 1, 0,
	    f->priv[0], 0, s), BG_ETAMPER);
	v2->g[0].m[0].box[0] = keep;
	assert_int_equal(bg_v2_take_share(f->v, v2, &want2, 0, 1, 0,
	    f->priv[0], 0, s), BG_OK);
	/* version 1's whole record planted where version 2 is expected */
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &want2, 0, 1, 0,
	    f->priv[0], 0, s), BG_ETAMPER);
	/* version 2's record offered with version 1's signed root */
	want2.root = f->root;
	assert_int_equal(bg_v2_take_share(f->v, v2, &want2, 0, 1, 0,
	    f->priv[0], 0, s), BG_ETAMPER);
	bg_v2_version_free(&v2);
	/* out of range: refused, not read */
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    0, 1, 0, f->priv[0], N,
	    s), BG_EINVAL);
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    0, 4, 0, f->priv[0], 0,
	    s), BG_EINVAL);
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    2, 1, 0, f->priv[0], 0,
	    s), BG_EINVAL);
}

static void
test_tampered_share_and_commitments(void **state)
{
	struct fx *f = *state;
	uint8_t y[4][32], *out = NULL, s[32];
	const uint8_t xs[2] = { 1, 2 };
	const uint8_t *ys0[2] = { y[0], y[1] }, *ys1[2] = { y[2], y[3] };
	struct bg_v2_shares sh[2] = { { xs, ys0, 2 }, { xs, ys1, 2 } };
	size_t len, off;

	share_of(f, 0, 3, y[0]);
	share_of(f, 1, 3, y[1]);
	share_of(f, 3, 3, y[2]);
	share_of(f, 4, 3, y[3]);
	y[1][7] ^= 0x10;	/* bob's share, as a bad approval gave it */
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want, 3, sh, &out, &len),
	    BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "x=2"));
	y[1][7] ^= 0x10;
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want,
	    3, sh, &out, &len), BG_OK);
	bg_secure_free(&out, len + 1);
	/* a commitment changed in the file: the honest share is refused */
	off = f->ver->commitments_len - 32;	/* the last share's */
	f->ver->commitments[off] ^= 1;
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want,
	    1, 3, 0, f->priv[5],
	    N - 1, s), BG_ETAMPER);
	f->ver->commitments[off] ^= 1;
	/* a flipped ciphertext byte: refused after every check passed */
	f->ver->data[20] ^= 1;
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want, 3, sh, &out, &len),
	    BG_ECRYPTO);
	f->ver->data[20] ^= 1;
}

static void
test_seal_refused(void **state)
{
	struct fx *f = *state;
	struct bg_v2_version *v2 = NULL;
	const uint8_t b = 'x';

	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 2, 0, &b, 1,
	    &v2), BG_ERANGE);
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 2,
	    BG_SLOTS_MAX + 1, &b, 1, &v2), BG_ERANGE);
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 0, N, &b, 1,
	    &v2), BG_EINVAL);
	/* below the floor: one share would stand for the group */
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 1),
	    BG_OK);
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 2, N, &b, 1,
	    &v2), BG_EPERM);
	assert_null(v2);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);
	/* a member without a token */
	assert_int_equal(bg_vault_add_person(f->v, "gina", 0, NULL), BG_OK);
	assert_int_equal(bg_policy_add_member(f->v->policy, "mfa", "gina"),
	    BG_OK);
	assert_int_equal(bg_v2_seal(f->v, f->a, "recovery-codes", 2, N, &b, 1,
	    &v2), BG_EPERM);
	assert_non_null(strstr(bg_why(), "gina"));
	assert_null(v2);
}

/* The attacker's own release of a one-group item from k shares. */
static int
decrypts(struct fx *f, const struct bg_v2_version *ver, const uint8_t *xs,
    const uint8_t *const *ys, unsigned k)
{
	uint8_t key[32];

	assert_int_equal(bg_shamir_combine(xs, ys, k, 32, key), BG_OK);
	return key_opens(f, ver, key);
}

/*
 * An item one group guards (root-password: password only, as the default
 * policy has it): the group's part of every slot is K itself, so t shares
 * of any one slot are a release, t - 1 are nothing. (This is why v2's
 * rekey check may not open a part of a one-group item: docs/design.md
 * 5.2.)
 */
static void
test_one_group_item(void **state)
{
	struct fx *f = *state;
	struct bg_v2_version *v1 = NULL;
	struct bg_v2_expect want;
	uint8_t y[2][32], *out = NULL;
	const uint8_t xs[2] = { 1, 2 }, *ys[2] = { y[0], y[1] };
	struct bg_v2_shares s = { xs, ys, 1 };
	size_t len;
	int i;

	assert_int_equal(bg_v2_seal(f->v, f->a, "root-password", 1, N,
	    (const uint8_t *)PW, strlen(PW), &v1), BG_OK);
	assert_int_equal(v1->ng, 1);
	want = f->want;
	want.item = "root-password";
	want.root = v1->root;
	for (i = 0; i < 2; i++)
		assert_int_equal(bg_v2_take_share(f->v, v1, &want, 0,
		    (uint8_t)(i + 1), 0, f->priv[i], 9, y[i]), BG_OK);
	/* one share: refused by us, and nothing to the attacker either */
	assert_int_equal(bg_v2_open(f->v, v1, &want, 9, &s, &out, &len),
	    BG_EPERM);
	assert_false(decrypts(f, v1, xs, ys, 1));
	assert_true(decrypts(f, v1, xs, ys, 2));	/* the control */
	s.k = 2;
	assert_int_equal(bg_v2_open(f->v, v1, &want, 9, &s, &out, &len),
	    BG_OK);
	assert_memory_equal(out, PW, len);
	bg_secure_free(&out, len + 1);
	bg_v2_version_free(&v1);
}

/*
 * Rekey by resharing at the vault's level (docs/ceremony.md "Rekey"):
 * alice and bob (x 1, 2) re-split the password group's shares of every
 * slot to alice, carol and erin (new x 1..3, 2 of 3, epoch 2), each only
 * from their own box; the new boxes open, the value comes out of new
 * shares, a bad piece is caught at release by the sealer's part
 * commitment, and an epoch-1 box planted into the epoch-2 record does
 * not open.
 */
static const char *const newm[3] = { "alice", "carol", "erin" };
static const size_t newp[3] = { 0, 2, 4 };	/* their index in names */

static void
reshare(struct fx *f, uint8_t vec[3][N * 32])
{
	const uint8_t from[2] = { 1, 2 };
	uint8_t *old = bg_secure_alloc(N * 32), pieces[3 * 32];
	size_t h, j, sl;

	assert_non_null(old);
	memset(vec, 0, 3 * N * 32);
	for (h = 0; h < 2; h++) {	/* each holder, their own box only */
		assert_int_equal(bg_v2_open_box(f->v, f->ver, &f->want, 0,
		    from[h], 0, f->priv[h], old), BG_OK);
		for (sl = 0; sl < N; sl++) {
			assert_int_equal(bg_shamir_reshare(from, 2, from[h],
			    old + sl * 32, 32, 2, 3, pieces), BG_OK);
			for (j = 0; j < 3; j++) {
				size_t b;

				for (b = 0; b < 32; b++)
					vec[j][sl * 32 + b] ^= pieces[j * 32 + b];
			}
		}
	}
	bg_secure_free(&old, N * 32);
}

/* The password group of f->ver becomes the new one, boxes from vec. */
static void
install(struct fx *f, uint8_t vec[3][N * 32])
{
	struct bg_v2_group *g = &f->ver->g[0];
	struct bg_v2_member *m = calloc(3, sizeof(*m));
	size_t i, t;

	assert_non_null(m);
	for (i = 0; i < 3; i++) {
		snprintf(m[i].person, sizeof(m[i].person), "%s", newm[i]);
		m[i].x = (uint8_t)(i + 1);
		m[i].ntokens = 1;
		snprintf(m[i].token[0], sizeof(m[i].token[0]), "%s",
		    bg_token_desc_id(bg_vault_person(f->v, newm[i])->tokens[0]));
	}
	for (i = 0; i < g->n; i++)
		for (t = 0; t < g->m[i].ntokens; t++)
			free(g->m[i].box[t]);
	free(g->m);
	g->m = m;
	g->n = 3;
	g->t = 2;
	g->epoch = 2;
	for (i = 0; i < 3; i++)
		assert_int_equal(bg_v2_seal_member(f->v, f->ver, g, &m[i],
		    vec[i]), BG_OK);
}

static void
test_reshare(void **state)
{
	struct fx *f = *state;
	static uint8_t vec[3][N * 32];
	uint8_t y[4][32], *out = NULL, *oldbox;
	const uint8_t xs0[2] = { 1, 3 }, xs1[2] = { 2, 3 };
	const uint8_t *ys0[2] = { y[0], y[1] }, *ys1[2] = { y[2], y[3] };
	struct bg_v2_shares s[2] = { { xs0, ys0, 2 }, { xs1, ys1, 2 } };
	size_t len = BG_V2_BOX_LEN(N);

	assert_non_null(oldbox = malloc(len));
	memcpy(oldbox, f->ver->g[0].m[0].box[0], len);	/* alice, epoch 1 */
	share_of(f, 4, 7, y[2]);	/* erin (mfa), before */
	share_of(f, 5, 7, y[3]);	/* frank (mfa) */
	reshare(f, vec);
	install(f, vec);
	/* the new members' boxes open; alice x=1 and erin x=3 release */
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want, 0, 1, 0,
	    f->priv[newp[0]], 7, y[0]), BG_OK);
	assert_int_equal(bg_v2_take_share(f->v, f->ver, &f->want, 0, 3, 0,
	    f->priv[newp[2]], 7, y[1]), BG_OK);
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want, 7, s, &out, &len),
	    BG_OK);
	assert_memory_equal(out, PW, strlen(PW));
	bg_secure_free(&out, len + 1);
	/* a bad piece: the shares it went into fail the part commitment */
	y[1][0] ^= 1;
	assert_int_equal(bg_v2_open(f->v, f->ver, &f->want, 7, s, &out, &len),
	    BG_ETAMPER);
	assert_null(out);
	/* alice's own epoch-1 box planted back: only the epoch differs */
	len = BG_V2_BOX_LEN(N);
	memcpy(f->ver->g[0].m[0].box[0], oldbox, len);
	assert_int_not_equal(bg_v2_take_share(f->v, f->ver, &f->want, 0, 1,
	    0, f->priv[0], 7, y[0]), BG_OK);
	free(oldbox);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seal_and_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_pooling_two_denied_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quorums_of_two_slots,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_box_moved_or_wrong_key,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tampered_share_and_commitments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_group_item, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reshare, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
