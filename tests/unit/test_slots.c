/*
 * One-time slots (quorum/slots.c, quorum/commitments.c; docs/design.md
 * §5.2): a fresh split per slot; any t of n shares of a part recombine,
 * t-1 do not; parts of different slots never give K; commitments catch a
 * wrong share, part or K; a box bound to one slot, item, version,
 * account, group or person does not open anywhere else; the commitments
 * file is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define N 32
#define KL BG_SLOT_KEY_LEN

/* A split of K for two groups, 2 of 3 and 3 of 5. */
struct fx {
	uint8_t key[KL];
	struct bg_slot_group g[2];
	uint8_t *shares[2];
	uint8_t *parts;
	struct bg_label version;
};

static const uint8_t fp[32] = { 0xf1, 0x9e };

static struct bg_slot_box_id
box_id(void)
{
	struct bg_slot_box_id id = {
		.vault = fp, .vault_len = sizeof(fp), .account = "111122223333",
		.item = "root-password", .version = 3, .epoch = 1,
		.group = "password", .x = 2, .person = "bob",
		.token = "00112233445566778899aabbccddeeff", .nslots = N,
	};
	return id;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct bg_slot_box_id id = box_id();

	assert_non_null(f);
	assert_int_equal(RAND_bytes(f->key, KL), 1);
	f->g[0].t = 2, f->g[0].n = 3;
	f->g[1].t = 3, f->g[1].n = 5;
	f->shares[0] = calloc(3 * N, KL);
	f->shares[1] = calloc(5 * N, KL);
	f->parts = calloc(2 * N, KL);
	assert_non_null(f->shares[0]);
	assert_non_null(f->shares[1]);
	assert_non_null(f->parts);
	assert_int_equal(bg_slots_split(f->key, f->g, 2, N, f->shares,
	    f->parts), BG_OK);
	assert_int_equal(bg_slot_version_label(&id, &f->version), BG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	free(f->shares[0]);
	free(f->shares[1]);
	free(f->parts);
	free(f);
	return 0;
}

/* Combines the shares of group g, slot j, held by the xs given. */
static void
combine(struct fx *f, size_t g, size_t j, const uint8_t *xs, unsigned k,
    uint8_t out[KL])
{
	const uint8_t *ys[BG_SHAMIR_MAX];
	unsigned i;

	for (i = 0; i < k; i++)
		ys[i] = bg_slot_share_at(f->shares[g], N, xs[i], j);
	assert_int_equal(bg_shamir_combine(xs, ys, k, KL, out), BG_OK);
}

static void
test_fresh_split_per_slot(void **state)
{
	struct fx *f = *state;
	const uint8_t *p[2];
	uint8_t k[KL];
	size_t j, i, g;

	for (j = 0; j < N; j++) {
		p[0] = bg_slot_part_at(f->parts, N, 0, j);
		p[1] = bg_slot_part_at(f->parts, N, 1, j);
		bg_slots_join(p, 2, k);
		assert_memory_equal(k, f->key, KL);
		/* a part alone is not K */
		assert_memory_not_equal(p[0], f->key, KL);
		assert_memory_not_equal(p[1], f->key, KL);
		for (i = j + 1; i < N; i++)
			for (g = 0; g < 2; g++) {
				assert_memory_not_equal(p[g], bg_slot_part_at(
				    f->parts, N, g, i), KL);
				assert_memory_not_equal(bg_slot_share_at(
				    f->shares[g], N, 1, j), bg_slot_share_at(
				    f->shares[g], N, 1, i), KL);
			}
	}
}

static void
test_any_t_of_n_recombine(void **state)
{
	struct fx *f = *state;
	uint8_t xs[3], part[KL];
	unsigned a, b, c;
	size_t j;

	for (j = 0; j < N; j += 7) {
		for (a = 1; a <= 3; a++)
			for (b = a + 1; b <= 3; b++) {
				xs[0] = (uint8_t)a, xs[1] = (uint8_t)b;
				combine(f, 0, j, xs, 2, part);
				assert_memory_equal(part, bg_slot_part_at(
				    f->parts, N, 0, j), KL);
			}
		for (a = 1; a <= 5; a++)
			for (b = a + 1; b <= 5; b++)
				for (c = b + 1; c <= 5; c++) {
					xs[0] = (uint8_t)a, xs[1] = (uint8_t)b;
					xs[2] = (uint8_t)c;
					combine(f, 1, j, xs, 3, part);
					assert_memory_equal(part,
					    bg_slot_part_at(f->parts, N, 1, j),
					    KL);
				}
	}
}

static void
test_t_minus_one_do_not(void **state)
{
	struct fx *f = *state;
	bg_commitments_t *c = NULL;
	const uint8_t *sh[2] = { f->shares[0], f->shares[1] };
	uint8_t xs[2], part[KL];
	unsigned a, b;
	size_t j;

	assert_int_equal(bg_commitments_make(&f->version, f->key, f->g, 2, N,
	    sh, f->parts, &c), BG_OK);
	for (j = 0; j < N; j++) {
		for (a = 1; a <= 3; a++) {	/* one share of a 2-of-3 */
			xs[0] = (uint8_t)a;
			combine(f, 0, j, xs, 1, part);
			assert_memory_not_equal(part, bg_slot_part_at(f->parts,
			    N, 0, j), KL);
			assert_int_equal(bg_commitments_check_part(c,
			    &f->version, 0, (uint32_t)j, part), BG_ETAMPER);
		}
		for (a = 1; a <= 5; a++)	/* two shares of a 3-of-5 */
			for (b = a + 1; b <= 5; b++) {
				xs[0] = (uint8_t)a, xs[1] = (uint8_t)b;
				combine(f, 1, j, xs, 2, part);
				assert_int_equal(bg_commitments_check_part(c,
				    &f->version, 1, (uint32_t)j, part),
				    BG_ETAMPER);
			}
	}
	bg_commitments_free(&c);
}

/* Parts or shares of two slots: never K, never a committed part. */
static void
test_slots_do_not_mix(void **state)
{
	struct fx *f = *state;
	bg_commitments_t *c = NULL;
	const uint8_t *sh[2] = { f->shares[0], f->shares[1] };
	const uint8_t *p[2], *ys[2];
	uint8_t k[KL], part[KL], xs[2] = { 1, 2 };
	size_t j, i;

	assert_int_equal(bg_commitments_make(&f->version, f->key, f->g, 2, N,
	    sh, f->parts, &c), BG_OK);
	for (j = 0; j < N; j++)
		for (i = 0; i < N; i++) {
			if (i == j)
				continue;
			p[0] = bg_slot_part_at(f->parts, N, 0, j);
			p[1] = bg_slot_part_at(f->parts, N, 1, i);
			bg_slots_join(p, 2, k);
			assert_memory_not_equal(k, f->key, KL);
			assert_int_equal(bg_commitments_check_key(c,
			    &f->version, k), BG_ETAMPER);
			/* x=1 from slot j, x=2 from slot i, in one group */
			ys[0] = bg_slot_share_at(f->shares[0], N, 1, j);
			ys[1] = bg_slot_share_at(f->shares[0], N, 2, i);
			assert_int_equal(bg_shamir_combine(xs, ys, 2, KL, part),
			    BG_OK);
			assert_int_equal(bg_commitments_check_part(c,
			    &f->version, 0, (uint32_t)j, part), BG_ETAMPER);
			assert_int_equal(bg_commitments_check_part(c,
			    &f->version, 0, (uint32_t)i, part), BG_ETAMPER);
		}
	bg_commitments_free(&c);
}

static void
test_commitments_catch_wrong_values(void **state)
{
	struct fx *f = *state;
	bg_commitments_t *c = NULL;
	const uint8_t *sh[2] = { f->shares[0], f->shares[1] };
	struct bg_slot_box_id id = box_id();
	struct bg_label other;
	uint8_t k[KL], s[KL];

	assert_int_equal(bg_commitments_make(&f->version, f->key, f->g, 2, N,
	    sh, f->parts, &c), BG_OK);
	assert_int_equal(bg_commitments_check_key(c, &f->version, f->key),
	    BG_OK);
	memcpy(k, f->key, KL);
	k[31] ^= 1;
	assert_int_equal(bg_commitments_check_key(c, &f->version, k),
	    BG_ETAMPER);
	/* the right K under another version's label */
	id.version = 4;
	assert_int_equal(bg_slot_version_label(&id, &other), BG_OK);
	assert_int_equal(bg_commitments_check_key(c, &other, f->key),
	    BG_ETAMPER);
	/* every share passes as itself, none as another slot, x or group */
	memcpy(s, bg_slot_share_at(f->shares[1], N, 4, 9), KL);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 4, 9, s),
	    BG_OK);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 4, 10,
	    s), BG_ETAMPER);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 3, 9, s),
	    BG_ETAMPER);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 0, 3, 9, s),
	    BG_ETAMPER);
	assert_int_equal(bg_commitments_check_share(c, &other, 1, 4, 9, s),
	    BG_ETAMPER);
	s[0] ^= 0x80;
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 4, 9, s),
	    BG_ETAMPER);
	/* out of range is refused, not compared */
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 6, 9, s),
	    BG_ERANGE);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 2, 1, 9, s),
	    BG_ERANGE);
	assert_int_equal(bg_commitments_check_share(c, &f->version, 1, 1, N, s),
	    BG_ERANGE);
	bg_commitments_free(&c);
}

/* Seals to a fresh key under label a, tries to open under label b. */
static int
opens_under(const struct bg_label *a, const struct bg_label *b)
{
	uint8_t priv[32], pub[32], box[KL + BG_BOX_OVERHEAD], pt[KL];
	uint8_t msg[KL] = { 7 };
	size_t n;
	int r;

	assert_int_equal(RAND_bytes(priv, 32), 1);
	priv[0] &= 248, priv[31] = (uint8_t)((priv[31] & 127) | 64);
	assert_int_equal(bg_x25519_public(priv, pub), BG_OK);
	assert_int_equal(bg_box_seal(pub, "slot", a->b, a->len, msg, KL, box,
	    sizeof(box), &n), BG_OK);
	r = bg_box_open(priv, "slot", b->b, b->len, box, n, pt, sizeof(pt), &n);
	return r == BG_OK;
}

static void
test_box_moved_does_not_open(void **state)
{
	struct bg_slot_box_id id = box_id(), m;
	struct bg_label a, b;
	uint8_t rq[32] = { 1 }, rq2[32] = { 2 }, fp2[32] = { 0xf1, 0x9f };

	(void)state;
	assert_int_equal(bg_slot_box_label(&id, &a), BG_OK);
	assert_int_equal(bg_slot_box_label(&id, &b), BG_OK);
	assert_true(opens_under(&a, &b));
#define MOVED(field, value) do {					\
	m = id; m.field = value;					\
	assert_int_equal(bg_slot_box_label(&m, &b), BG_OK);		\
	assert_false(opens_under(&a, &b));				\
} while (0)
	MOVED(account, "444455556666");
	MOVED(item, "root-mfa");
	MOVED(version, 4);
	MOVED(epoch, 2);
	MOVED(group, "mfa");
	MOVED(x, 3);
	MOVED(person, "carol");
	MOVED(token, "ffeeddccbbaa99887766554433221100");
	MOVED(nslots, N + 1);
	MOVED(vault, fp2);
#undef MOVED
	/* an approval box: bound to the request and the slot too */
	assert_int_equal(bg_slot_approval_label(&id, rq, 5, &a), BG_OK);
	assert_int_equal(bg_slot_approval_label(&id, rq, 5, &b), BG_OK);
	assert_true(opens_under(&a, &b));
	assert_int_equal(bg_slot_approval_label(&id, rq, 6, &b), BG_OK);
	assert_false(opens_under(&a, &b));
	assert_int_equal(bg_slot_approval_label(&id, rq2, 5, &b), BG_OK);
	assert_false(opens_under(&a, &b));
	m = id, m.person = "carol";
	assert_int_equal(bg_slot_approval_label(&m, rq, 5, &b), BG_OK);
	assert_false(opens_under(&a, &b));
	/* a member box is not an approval box */
	assert_int_equal(bg_slot_box_label(&id, &b), BG_OK);
	assert_false(opens_under(&a, &b));
}

static void
test_labels_are_unambiguous(void **state)
{
	struct bg_label a, b;
	char big[BG_LABEL_MAX];

	(void)state;
	bg_label_init(&a, "t");
	bg_label_str(&a, "ab");
	bg_label_str(&a, "c");
	bg_label_init(&b, "t");
	bg_label_str(&b, "a");
	bg_label_str(&b, "bc");
	assert_int_equal(bg_label_ok(&a), BG_OK);
	assert_false(a.len == b.len && memcmp(a.b, b.b, a.len) == 0);
	/* a field that does not fit spoils the label for good */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bg_label_str(&a, big);
	assert_int_equal(bg_label_ok(&a), BG_ETOOBIG);
	bg_label_str(&a, "y");
	assert_int_equal(bg_label_ok(&a), BG_ETOOBIG);
	bg_label_init(&b, "t");
	bg_label_str(&b, NULL);
	assert_int_equal(bg_label_ok(&b), BG_ETOOBIG);
}

static void
test_bad_parameters(void **state)
{
	struct fx *f = *state;
	struct bg_slot_group g[BG_SLOT_GROUPS_MAX + 1];
	size_t i;

	for (i = 0; i <= BG_SLOT_GROUPS_MAX; i++)
		g[i].t = 2, g[i].n = 3;
	assert_int_equal(bg_slots_split(f->key, g, 0, N, f->shares, NULL),
	    BG_ERANGE);
	assert_int_equal(bg_slots_split(f->key, g, BG_SLOT_GROUPS_MAX + 1, N,
	    f->shares, NULL), BG_ERANGE);
	assert_int_equal(bg_slots_split(f->key, g, 1, 0, f->shares, NULL),
	    BG_ERANGE);
	assert_int_equal(bg_slots_split(f->key, g, 1, BG_SLOTS_MAX + 1,
	    f->shares, NULL), BG_ERANGE);
	g[0].t = 4;
	assert_int_equal(bg_slots_split(f->key, g, 1, N, f->shares, NULL),
	    BG_ERANGE);
	g[0].t = 0;
	assert_int_equal(bg_slots_split(f->key, g, 1, N, f->shares, NULL),
	    BG_ERANGE);
	assert_int_equal(bg_slots_split(NULL, f->g, 2, N, f->shares, NULL),
	    BG_EINVAL);
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int
decodes(const uint8_t *buf, size_t len)
{
	bg_commitments_t *c = NULL;
	int r = bg_commitments_decode(buf, len, &c);

	assert_true(r == BG_OK ? c != NULL : c == NULL);
	bg_commitments_free(&c);
	return r;
}

static void
test_commitments_file(void **state)
{
	struct fx *f = *state;
	bg_commitments_t *c = NULL, *d = NULL;
	const uint8_t *sh[2] = { f->shares[0], f->shares[1] };
	uint8_t *buf = NULL, *buf2 = NULL, *bad, root[32], root2[32];
	size_t len, len2, i, hdr = 26;

	assert_int_equal(bg_commitments_make(&f->version, f->key, f->g, 2, N,
	    sh, f->parts, &c), BG_OK);
	assert_int_equal(bg_commitments_encode(c, &buf, &len), BG_OK);
	assert_int_equal(len, hdr + 5 + 4 + 32 + (2 * N + 8 * N) * 32);
	assert_int_equal(bg_commitments_decode(buf, len, &d), BG_OK);
	assert_int_equal(bg_commitments_nslots(d), N);
	assert_int_equal(bg_commitments_ngroups(d), 2);
	assert_int_equal(bg_commitments_group(d, 1).t, 3);
	assert_int_equal(bg_commitments_group(d, 1).n, 5);
	assert_int_equal(bg_commitments_check_key(d, &f->version, f->key),
	    BG_OK);
	assert_int_equal(bg_commitments_encode(d, &buf2, &len2), BG_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);
	/* the root changes with any flipped bit */
	assert_int_equal(bg_commitments_root(buf, len, root), BG_OK);
	bad = malloc(len + 1);
	assert_non_null(bad);
	for (i = 0; i < len; i += 13) {
		memcpy(bad, buf, len);
		bad[i] ^= 1;
		assert_int_equal(bg_commitments_root(bad, len, root2), BG_OK);
		assert_memory_not_equal(root, root2, 32);
	}
	/* truncated anywhere, or one byte more: refused */
	for (i = 0; i < len; i++)
		assert_int_not_equal(decodes(buf, i), BG_OK);
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_int_equal(decodes(bad, len + 1), BG_EFORMAT);
	/* magic, slot count, group count, thresholds */
	memcpy(bad, buf, len);
	bad[0] = 'B';
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	memcpy(bad, buf, len);
	put_u32(bad + hdr, 0);
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	put_u32(bad + hdr, BG_SLOTS_MAX + 1);
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	put_u32(bad + hdr, N - 1);
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	memcpy(bad, buf, len);
	bad[hdr + 4] = 0;
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	bad[hdr + 4] = BG_SLOT_GROUPS_MAX + 1;
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	memcpy(bad, buf, len);
	bad[hdr + 5] = 4;	/* t > n */
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	bad[hdr + 5] = 0;
	assert_int_equal(decodes(bad, len), BG_EFORMAT);
	free(bad);
	free(buf);
	free(buf2);
	bg_commitments_free(&c);
	bg_commitments_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_split_per_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_t_of_n_recombine,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_t_minus_one_do_not,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_do_not_mix,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_commitments_catch_wrong_values, setup, teardown),
		cmocka_unit_test(test_box_moved_does_not_open),
		cmocka_unit_test(test_labels_are_unambiguous),
		cmocka_unit_test_setup_teardown(test_bad_parameters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commitments_file, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
