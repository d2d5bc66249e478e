/*
 * bench_slots: CPU cost of the v2 seal path (docs/design.md §5.2, one-time
 * slots) built from the committed primitives in quorum/ and common/, and
 * of the release side that undoes it, against baselines measured in the
 * same run (the machine is shared and noisy).
 *
 * How to run (a RelWithDebInfo build without sanitizers):
 *
 *   cmake -S . -B build/bench2 -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build/bench2 -j1 --target bench_slots
 *   build/bench2/tests/bench/bench_slots            full run, ~20 s
 *   build/bench2/tests/bench/bench_slots --quick    one rep each (CTest)
 *
 * Options: --rounds N (rounds at N = 32 slots; default 21, quick 2; the
 * scaling lines use a third of that, at least 1).
 *
 * The item version: N slots (32 in the main table), 2 groups ("password",
 * "mfa") of 3 members, threshold 2, one token each, so 6 member boxes,
 * each holding that member's N shares (N * 32 bytes: 1 KB at N = 32),
 * sealed with bg_box_seal to that token's X25519 public key (a fresh
 * random key pair per configuration) with KDF label "member-box" and the
 * bg_slot_box_label() bytes as AAD (§5.2: "the AAD is the full label";
 * the v2 vault that will fix the KDF label string does not exist yet).
 *
 *  (1) the whole seal: fresh random K (RAND_bytes), the version label and
 *      the 6 member-box labels, bg_slots_split, the 6 box seals,
 *      bg_commitments_make + _encode + _root, a random 12-byte nonce and
 *      AES-256-GCM of a 64-byte value under K (AAD: the version label),
 *      and the wipe of K, the shares and the parts. The secure buffers are
 *      allocated once, outside the timing (bg_slots_split still allocates
 *      its own scratch on every call, as it does in real use).
 *  (2) each of those parts alone, in a loop, and their sum.
 *  (3) the release side: build one member's box label, open that member
 *      box (bg_box_open of N * 32 bytes), take its slot j share; decode
 *      the commitments file and recompute its root (the one the sealer
 *      signs) against the sealed root; check the slot j shares of 2
 *      members per group against their commitments; bg_shamir_combine per
 *      group; check both parts; XOR (bg_slots_join); check the key
 *      commitment. The other 3 members' boxes (one per approver, each
 *      opened by its own approver) are opened outside the timing, so (3)
 *      is one box open plus everything the requester's side computes.
 *      Each rep takes a random slot j and a random pair of members per
 *      group. Parts again alone, plus (not in the total) the AES-256-GCM
 *      open of the value under the recovered K.
 *
 * One warm-up round (one rep of everything) is not counted. Baselines, in
 * every round, measured before and after the items and averaged: one bg_box_seal of 32 bytes (label "share", a v1-like AAD) and
 * one SHA-256 of 1 KB (EVP_Digest). Each row gives the median over the
 * rounds of the CPU time per operation (CLOCK_PROCESS_CPUTIME_ID; the
 * process has one thread), the median wall time (CLOCK_MONOTONIC; includes
 * preemption on a loaded machine) and the medians of the per-round ratios
 * to each baseline. Then the scaling lines: N = 8, 32, 64, 256.
 *
 * Target (issue): "seal of one item with 32 slots, 2 groups of 3, one
 * token each, under 20 ms of our CPU": the median CPU of (1) at N = 32,
 * printed as PASS or NOTE. Nothing here asserts on time.
 *
 * Everything computed is checked, untimed, in both modes, and a wrong
 * value aborts the program: after every whole seal a full release must
 * recover K and the value; every release must recover K; the parts'
 * outputs are compared with a reference seal (labels, split, boxes,
 * commitments file and root, ciphertext); the baselines open or match.
 * Per configuration, a tampered share must fail its commitment and parts
 * of two different slots must not join to K.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define TARGET_MS	20.0
#define NGROUPS		2
#define NMEMB		3		/* per group */
#define NMEMBERS	(NGROUPS * NMEMB)
#define T		2		/* threshold of each group */
#define KL		BG_SLOT_KEY_LEN
#define VALUE_LEN	64
#define BOX_KDF		"member-box"
#define BASE_LEN	32		/* baseline box plaintext */
#define SHA_LEN		1024		/* baseline hash input */
#define ROUNDS_FULL	21
#define ROUNDS_QUICK	2
#define ROUNDS_MAX	1000
#define BUDGET_FULL	0.010		/* CPU seconds per item per round */

static const uint32_t slot_counts[] = { 8, 32, 64, 256 };
#define NCONFIGS	(sizeof(slot_counts) / sizeof(slot_counts[0]))
#define MAIN_N		32

static const char *const group_names[NGROUPS] = { "password", "mfa" };
static const char *const person_names[NMEMBERS] = {
	"alice", "bob", "carol", "dave", "erin", "frank"
};
static const char base_aad[] = "breakglass/v1/share\nvault 0\naccount "
    "111122223333\ngroup password\nepoch 1\nperson alice\nx 1\n";

/* ================================================================ checks */

static void
fail(const char *what, int r)
{
	fflush(stdout);
	fprintf(stderr, "bench_slots: FAILED: %s (%s%s%s)\n", what,
	    bg_strerror(r), bg_why()[0] != '\0' ? ": " : "", bg_why());
	abort();
}

static void
need(int r, const char *what)
{
	if (r != BG_OK)
		fail(what, r);
}

static void
want(int ok, const char *what)
{
	if (!ok)
		fail(what, BG_EINTERNAL);
}

static void
rand_bytes(void *p, size_t n)
{
	want(n <= INT32_MAX && RAND_bytes(p, (int)n) == 1, "RAND_bytes");
}

static void *
sec_alloc(size_t n)
{
	void *p = bg_secure_alloc(n);

	want(p != NULL, "bg_secure_alloc");
	return p;
}

static void *
xalloc(size_t n)
{
	void *p = calloc(1, n);

	want(p != NULL, "calloc");
	return p;
}

/* ================================================================ clocks */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_now(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static double
wall_now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts a copy). */
static double
median(const double *v, size_t n)
{
	double *w = xalloc(n * sizeof(*w)), m;

	memcpy(w, v, n * sizeof(*w));
	qsort(w, n, sizeof(*w), cmp_double);
	m = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
	free(w);
	return m;
}

/* ================================================================ state */

struct member {
	uint8_t priv[32], pub[32];
	char token[BG_TOKEN_HEX_LEN + 1];
	struct bg_label label, ref;	/* its box label; ref: from setup */
};

/* One sealed item version. */
struct sealed {
	uint8_t *key;			/* K (secure) */
	uint8_t *shares[NGROUPS];	/* member vectors (secure) */
	uint8_t *parts;			/* [g][j] (secure) */
	uint8_t *boxes;			/* NMEMBERS boxes of boxlen */
	uint8_t *file;			/* the commitments file */
	size_t file_len;
	uint8_t root[32];
	uint8_t nonce[12], ct[VALUE_LEN], tag[16];
	uint8_t check_key[KL];		/* K as sealed, to check a release */
};

/* The release side's working state. */
struct release {
	uint32_t j;			/* the slot */
	uint8_t xs[NGROUPS][T];		/* the members taking part */
	uint8_t *sh;			/* [g][i] shares of slot j (secure) */
	uint8_t *pt;			/* one opened box (secure) */
	uint8_t *part;			/* [g] combined parts (secure) */
	uint8_t *key;			/* K recovered (secure) */
	uint8_t value[VALUE_LEN];
	struct bg_label label;
};

struct cfg {
	uint32_t n;			/* slots */
	size_t vec;			/* one member's shares: n * 32 */
	size_t boxlen;			/* one member box */
	double budget;			/* CPU seconds per item and round */
	struct bg_slot_group groups[NGROUPS];
	uint8_t vault[BG_FINGERPRINT_LEN];
	struct bg_slot_box_id id;	/* the item version */
	struct bg_label version, version_ref;
	struct member m[NMEMBERS];
	uint8_t value[VALUE_LEN];
	struct sealed w;		/* whole seals; scratch of the parts */
	struct sealed p;		/* the reference seal */
	bg_commitments_t *pc;		/* p's commitments */
	bg_commitments_t *mc, *dc;	/* made / decoded by the items */
	uint8_t *enc;			/* encoded by the items */
	size_t enc_len;
	uint8_t root_out[32];
	struct release rel;
	uint64_t rng;
	/* baselines */
	uint8_t bpriv[32], bpub[32], bpt[BASE_LEN];
	uint8_t bbox[BASE_LEN + BG_BOX_OVERHEAD];
	size_t bbox_len;
	uint8_t sha_in[SHA_LEN], sha_ref[32], sha_out[32];
};

static uint64_t
rnd(struct cfg *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static size_t
mi(size_t g, uint8_t x)		/* member index of (group, x) */
{
	return g * NMEMB + x - 1u;
}

static uint8_t *
box_of(const struct cfg *c, uint8_t *boxes, size_t g, uint8_t x)
{
	return boxes + mi(g, x) * c->boxlen;
}

/* The box id of member i: the item version plus group, x, person, token. */
static struct bg_slot_box_id
member_id(const struct cfg *c, size_t i)
{
	struct bg_slot_box_id id = c->id;

	id.group = group_names[i / NMEMB];
	id.x = (uint8_t)(i % NMEMB + 1);
	id.person = person_names[i];
	id.token = c->m[i].token;
	return id;
}

/* ============================================================ the seal */

/* The version label and the member-box labels. */
static void
seal_labels(struct cfg *c)
{
	struct bg_slot_box_id id;
	size_t i;

	need(bg_slot_version_label(&c->id, &c->version), "version label");
	for (i = 0; i < NMEMBERS; i++) {
		id = member_id(c, i);
		need(bg_slot_box_label(&id, &c->m[i].label), "box label");
	}
}

/* Member i's shares (from shares) sealed to its token into boxes. */
static void
seal_boxes(struct cfg *c, uint8_t *const *shares, uint8_t *boxes)
{
	size_t i, len;
	uint8_t x;

	for (i = 0; i < NMEMBERS; i++) {
		x = (uint8_t)(i % NMEMB + 1);
		need(bg_box_seal(c->m[i].pub, BOX_KDF, c->m[i].label.b,
		    c->m[i].label.len, bg_slot_share_at(shares[i / NMEMB], c->n,
		    x, 0), c->vec, boxes + i * c->boxlen, c->boxlen, &len),
		    "member box seal");
		want(len == c->boxlen, "member box length");
	}
}

static void
seal_commitments(struct cfg *c, struct sealed *s)
{
	const uint8_t *sh[NGROUPS] = { s->shares[0], s->shares[1] };
	bg_commitments_t *cm = NULL;

	need(bg_commitments_make(&c->version, s->key, c->groups, NGROUPS, c->n,
	    sh, s->parts, &cm), "bg_commitments_make");
	need(bg_commitments_encode(cm, &s->file, &s->file_len),
	    "bg_commitments_encode");
	need(bg_commitments_root(s->file, s->file_len, s->root),
	    "bg_commitments_root");
	bg_commitments_free(&cm);
}

static void
seal_value(struct cfg *c, const uint8_t *key, uint8_t nonce[12],
    uint8_t *ct, uint8_t tag[16])
{
	rand_bytes(nonce, 12);
	need(bg_aes256gcm_seal(key, nonce, c->version.b, c->version.len,
	    c->value, VALUE_LEN, ct, tag), "value seal");
}

static void
wipe_secrets(struct cfg *c, struct sealed *s)
{
	size_t g;

	bg_wipe(s->key, KL);
	for (g = 0; g < NGROUPS; g++)
		bg_wipe(s->shares[g], NMEMB * c->vec);
	bg_wipe(s->parts, NGROUPS * c->vec);
}

/* The whole seal of s; wipe: the secrets too (the reference keeps them). */
static void
seal_all(struct cfg *c, struct sealed *s, int wipe)
{
	rand_bytes(s->key, KL);
	seal_labels(c);
	need(bg_slots_split(s->key, c->groups, NGROUPS, c->n, s->shares,
	    s->parts), "bg_slots_split");
	seal_boxes(c, s->shares, s->boxes);
	seal_commitments(c, s);
	seal_value(c, s->key, s->nonce, s->ct, s->tag);
	memcpy(s->check_key, s->key, KL);	/* bookkeeping, 32 bytes */
	if (wipe)
		wipe_secrets(c, s);
}

/* ========================================================= the release */

static uint8_t *
rel_sh(const struct cfg *c, size_t g, size_t i)
{
	return c->rel.sh + (g * T + i) * KL;
}

/* Opens member (g, x)'s box of s into rel.pt. */
static void
open_member(struct cfg *c, const struct sealed *s, size_t g, uint8_t x)
{
	struct bg_slot_box_id id = member_id(c, mi(g, x));
	size_t len = 0;

	need(bg_slot_box_label(&id, &c->rel.label), "box label (opener)");
	need(bg_box_open(c->m[mi(g, x)].priv, BOX_KDF, c->rel.label.b,
	    c->rel.label.len, box_of(c, s->boxes, g, x), c->boxlen,
	    c->rel.pt, c->vec, &len), "member box open");
	want(len == c->vec, "member box plaintext length");
}

/* Untimed: a random slot and pair per group; the other approvers open
 * their boxes and hand over their slot j shares. */
static void
rel_prep(struct cfg *c, const struct sealed *s)
{
	uint8_t skip;
	size_t g, i;

	c->rel.j = (uint32_t)(rnd(c) % c->n);
	for (g = 0; g < NGROUPS; g++) {
		skip = (uint8_t)(rnd(c) % NMEMB + 1);
		c->rel.xs[g][0] = skip == 1 ? 2 : 1;
		c->rel.xs[g][1] = skip == 3 ? 2 : 3;
	}
	for (g = 0; g < NGROUPS; g++)
		for (i = 0; i < T; i++) {
			if (g == 0 && i == 0)
				continue;	/* the timed one */
			open_member(c, s, g, c->rel.xs[g][i]);
			memcpy(rel_sh(c, g, i), c->rel.pt + c->rel.j * KL, KL);
		}
	bg_wipe(c->rel.pt, c->vec);
}

static void
rel_open_one(struct cfg *c, const struct sealed *s)
{
	open_member(c, s, 0, c->rel.xs[0][0]);
	memcpy(rel_sh(c, 0, 0), c->rel.pt + c->rel.j * KL, KL);
	bg_wipe(c->rel.pt, c->vec);
}

static void
rel_decode(const struct sealed *s, bg_commitments_t **cm)
{
	uint8_t root[32];

	need(bg_commitments_decode(s->file, s->file_len, cm),
	    "bg_commitments_decode");
	need(bg_commitments_root(s->file, s->file_len, root),
	    "bg_commitments_root (release)");
	want(bg_ct_memcmp(root, s->root, 32) == 0, "commitments root");
}

static void
rel_check_shares(struct cfg *c, const bg_commitments_t *cm)
{
	size_t g, i;

	for (g = 0; g < NGROUPS; g++)
		for (i = 0; i < T; i++)
			need(bg_commitments_check_share(cm, &c->version, g,
			    c->rel.xs[g][i], c->rel.j, rel_sh(c, g, i)),
			    "share commitment");
}

static void
rel_combine(struct cfg *c)
{
	const uint8_t *ys[T];
	size_t g, i;

	for (g = 0; g < NGROUPS; g++) {
		for (i = 0; i < T; i++)
			ys[i] = rel_sh(c, g, i);
		need(bg_shamir_combine(c->rel.xs[g], ys, T, KL,
		    c->rel.part + g * KL), "bg_shamir_combine");
	}
}

static void
rel_check_parts(struct cfg *c, const bg_commitments_t *cm)
{
	size_t g;

	for (g = 0; g < NGROUPS; g++)
		need(bg_commitments_check_part(cm, &c->version, g, c->rel.j,
		    c->rel.part + g * KL), "part commitment");
}

static void
rel_join(struct cfg *c, const bg_commitments_t *cm)
{
	const uint8_t *parts[NGROUPS];
	size_t g;

	for (g = 0; g < NGROUPS; g++)
		parts[g] = c->rel.part + g * KL;
	bg_slots_join(parts, NGROUPS, c->rel.key);
	need(bg_commitments_check_key(cm, &c->version, c->rel.key),
	    "key commitment");
}

/* (3): one box open and everything the requester's side computes. */
static void
rel_run(struct cfg *c, const struct sealed *s)
{
	bg_commitments_t *cm = NULL;

	rel_open_one(c, s);
	rel_decode(s, &cm);
	rel_check_shares(c, cm);
	rel_combine(c);
	rel_check_parts(c, cm);
	rel_join(c, cm);
	bg_commitments_free(&cm);
}

static void
rel_value(struct cfg *c, const struct sealed *s)
{
	need(bg_aes256gcm_open(c->rel.key, s->nonce, c->version.b,
	    c->version.len, s->ct, VALUE_LEN, s->tag, c->rel.value),
	    "value open");
}

/* Untimed: K is the sealed one and opens the value. */
static void
rel_check(struct cfg *c, const struct sealed *s)
{
	want(memcmp(c->rel.key, s->check_key, KL) == 0,
	    "the release recovers K");
	rel_value(c, s);
	want(memcmp(c->rel.value, c->value, VALUE_LEN) == 0,
	    "the release recovers the value");
}

static void
rel_full(struct cfg *c, const struct sealed *s)
{
	rel_prep(c, s);
	rel_run(c, s);
	rel_check(c, s);
}

/* ============================================================== items */

static void
op_base_box(struct cfg *c)
{
	need(bg_box_seal(c->bpub, "share", base_aad, sizeof(base_aad) - 1,
	    c->bpt, BASE_LEN, c->bbox, sizeof(c->bbox), &c->bbox_len),
	    "baseline box seal");
}

static void
chk_base_box(struct cfg *c)
{
	uint8_t out[BASE_LEN];
	size_t len = 0;

	need(bg_box_open(c->bpriv, "share", base_aad, sizeof(base_aad) - 1,
	    c->bbox, c->bbox_len, out, sizeof(out), &len), "baseline open");
	want(len == BASE_LEN && memcmp(out, c->bpt, BASE_LEN) == 0,
	    "baseline box opens to its plaintext");
}

static void
op_base_sha(struct cfg *c)
{
	unsigned int len = 0;

	want(EVP_Digest(c->sha_in, SHA_LEN, c->sha_out, &len, EVP_sha256(),
	    NULL) == 1 && len == 32, "baseline SHA-256");
}

static void
chk_base_sha(struct cfg *c)
{
	want(memcmp(c->sha_out, c->sha_ref, 32) == 0, "baseline SHA-256 value");
	memset(c->sha_out, 0, 32);
}

/* (1) */
static void
prep_seal(struct cfg *c)
{
	free(c->w.file);
	c->w.file = NULL;
}

static void
op_seal(struct cfg *c)
{
	seal_all(c, &c->w, 1);
}

static void
chk_seal(struct cfg *c)
{
	rel_full(c, &c->w);
}

/* (2): outputs go to w (scratch) from p's secrets, checked against p. */
static void
op_key(struct cfg *c)
{
	rand_bytes(c->w.key, KL);
}

static void
op_labels(struct cfg *c)
{
	seal_labels(c);
}

static void
chk_labels(struct cfg *c)
{
	size_t i;

	want(c->version.len == c->version_ref.len && memcmp(c->version.b,
	    c->version_ref.b, c->version.len) == 0, "version label");
	for (i = 0; i < NMEMBERS; i++)
		want(c->m[i].label.len == c->m[i].ref.len && memcmp(
		    c->m[i].label.b, c->m[i].ref.b, c->m[i].ref.len) == 0,
		    "box label");
}

static void
op_split(struct cfg *c)
{
	need(bg_slots_split(c->p.key, c->groups, NGROUPS, c->n, c->w.shares,
	    c->w.parts), "bg_slots_split");
}

/* A random slot's parts join to K; 2 shares of a group give its part. */
static void
chk_split(struct cfg *c)
{
	const uint8_t *parts[NGROUPS], *ys[T];
	uint8_t key[KL], part[KL], xs[T] = { 1, 3 };
	size_t j = (size_t)(rnd(c) % c->n), g, i;

	for (g = 0; g < NGROUPS; g++)
		parts[g] = bg_slot_part_at(c->w.parts, c->n, g, j);
	bg_slots_join(parts, NGROUPS, key);
	want(memcmp(key, c->p.key, KL) == 0, "split: parts join to K");
	for (g = 0; g < NGROUPS; g++) {
		for (i = 0; i < T; i++)
			ys[i] = bg_slot_share_at(c->w.shares[g], c->n, xs[i], j);
		need(bg_shamir_combine(xs, ys, T, KL, part), "combine");
		want(memcmp(part, parts[g], KL) == 0,
		    "split: shares combine to the part");
	}
	bg_wipe(key, KL);
	bg_wipe(part, KL);
}

static void
op_boxes(struct cfg *c)
{
	seal_boxes(c, c->p.shares, c->w.boxes);
}

static void
chk_boxes(struct cfg *c)
{
	size_t g = (size_t)(rnd(c) % NGROUPS);
	uint8_t x = (uint8_t)(rnd(c) % NMEMB + 1);

	open_member(c, &c->w, g, x);
	want(memcmp(c->rel.pt, bg_slot_share_at(c->p.shares[g], c->n, x, 0),
	    c->vec) == 0, "a member box opens to the member's shares");
	bg_wipe(c->rel.pt, c->vec);
}

static void
op_cmake(struct cfg *c)
{
	const uint8_t *sh[NGROUPS] = { c->p.shares[0], c->p.shares[1] };

	bg_commitments_free(&c->mc);
	need(bg_commitments_make(&c->version, c->p.key, c->groups, NGROUPS,
	    c->n, sh, c->p.parts, &c->mc), "bg_commitments_make");
}

static void
chk_cmake(struct cfg *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	need(bg_commitments_encode(c->mc, &buf, &len), "encode");
	want(len == c->p.file_len && memcmp(buf, c->p.file, len) == 0,
	    "commitments made again are the sealed ones");
	free(buf);
}

static void
op_cenc(struct cfg *c)
{
	free(c->enc);
	c->enc = NULL;
	need(bg_commitments_encode(c->pc, &c->enc, &c->enc_len),
	    "bg_commitments_encode");
}

static void
chk_cenc(struct cfg *c)
{
	want(c->enc_len == c->p.file_len && memcmp(c->enc, c->p.file,
	    c->enc_len) == 0, "encoded commitments");
}

static void
op_croot(struct cfg *c)
{
	need(bg_commitments_root(c->p.file, c->p.file_len, c->root_out),
	    "bg_commitments_root");
}

static void
chk_croot(struct cfg *c)
{
	want(memcmp(c->root_out, c->p.root, 32) == 0, "commitments root");
	memset(c->root_out, 0, 32);
}

static void
op_value(struct cfg *c)
{
	seal_value(c, c->p.key, c->w.nonce, c->w.ct, c->w.tag);
}

static void
chk_value(struct cfg *c)
{
	uint8_t out[VALUE_LEN];

	need(bg_aes256gcm_open(c->p.key, c->w.nonce, c->version.b,
	    c->version.len, c->w.ct, VALUE_LEN, c->w.tag, out), "value open");
	want(memcmp(out, c->value, VALUE_LEN) == 0, "value round trip");
}

static void
op_wipe(struct cfg *c)
{
	wipe_secrets(c, &c->w);
}

/* (3) */
static void
prep_rel(struct cfg *c)
{
	rel_prep(c, &c->p);
}

static void
op_rel(struct cfg *c)
{
	rel_run(c, &c->p);
}

static void
chk_rel(struct cfg *c)
{
	rel_check(c, &c->p);
}

/* Before each release part: a full release leaves every input ready. */
static void
rel_ready(struct cfg *c)
{
	rel_full(c, &c->p);
}

static void
op_ropen(struct cfg *c)
{
	rel_open_one(c, &c->p);
}

static void
chk_ropen(struct cfg *c)
{
	want(memcmp(rel_sh(c, 0, 0), bg_slot_share_at(c->p.shares[0], c->n,
	    c->rel.xs[0][0], c->rel.j), KL) == 0, "share from the opened box");
}

static void
op_rdecode(struct cfg *c)
{
	bg_commitments_free(&c->dc);
	rel_decode(&c->p, &c->dc);
}

static void
chk_rdecode(struct cfg *c)
{
	want(bg_commitments_nslots(c->dc) == c->n &&
	    bg_commitments_ngroups(c->dc) == NGROUPS, "decoded commitments");
}

static void
op_rshares(struct cfg *c)
{
	rel_check_shares(c, c->pc);
}

static void
op_rcombine(struct cfg *c)
{
	rel_combine(c);
}

static void
chk_rcombine(struct cfg *c)
{
	size_t g;

	for (g = 0; g < NGROUPS; g++)
		want(memcmp(c->rel.part + g * KL, bg_slot_part_at(c->p.parts,
		    c->n, g, c->rel.j), KL) == 0, "combined part");
}

static void
op_rparts(struct cfg *c)
{
	rel_check_parts(c, c->pc);
}

static void
op_rkey(struct cfg *c)
{
	rel_join(c, c->pc);
}

static void
chk_rkey(struct cfg *c)
{
	want(memcmp(c->rel.key, c->p.check_key, KL) == 0, "joined K");
}

static void
op_rvalue(struct cfg *c)
{
	rel_value(c, &c->p);
}

static void
chk_rvalue(struct cfg *c)
{
	want(memcmp(c->rel.value, c->value, VALUE_LEN) == 0, "opened value");
	memset(c->rel.value, 0, VALUE_LEN);
}

struct op {
	const char *name;
	void (*before)(struct cfg *);	/* untimed, once before the item */
	void (*prep)(struct cfg *);	/* untimed, before each rep; if NULL
					 * the reps run in timed batches */
	void (*run)(struct cfg *);	/* timed */
	void (*post)(struct cfg *);	/* untimed check, after each rep (or
					 * the batch) */
};

enum {
	O_BASE_BOX, O_BASE_SHA,
	O_SEAL, O_KEY, O_LABELS, O_SPLIT, O_BOXES, O_CMAKE, O_CENC, O_CROOT,
	O_VALUE, O_WIPE,
	O_REL, O_ROPEN, O_RDECODE, O_RSHARES, O_RCOMBINE, O_RPARTS, O_RKEY,
	O_RVALUE,
	NOPS
};

static const struct op ops[NOPS] = {
	[O_BASE_BOX] = { "baseline: bg_box_seal of 32 B", NULL, NULL,
	    op_base_box, chk_base_box },
	[O_BASE_SHA] = { "baseline: SHA-256 of 1 KB", NULL, NULL,
	    op_base_sha, chk_base_sha },
	[O_SEAL] = { "(1) seal, whole", NULL, prep_seal, op_seal, chk_seal },
	[O_KEY] = { "  K: RAND_bytes(32)", NULL, NULL, op_key, NULL },
	[O_LABELS] = { "  labels: version + 6 boxes", NULL, NULL, op_labels,
	    chk_labels },
	[O_SPLIT] = { "  bg_slots_split", NULL, NULL, op_split, chk_split },
	[O_BOXES] = { "  6 member box seals", NULL, NULL, op_boxes,
	    chk_boxes },
	[O_CMAKE] = { "  bg_commitments_make", NULL, NULL, op_cmake,
	    chk_cmake },
	[O_CENC] = { "  bg_commitments_encode", NULL, NULL, op_cenc,
	    chk_cenc },
	[O_CROOT] = { "  bg_commitments_root", NULL, NULL, op_croot,
	    chk_croot },
	[O_VALUE] = { "  nonce + AES-GCM of 64 B", NULL, NULL, op_value,
	    chk_value },
	[O_WIPE] = { "  wipe K, shares, parts", NULL, NULL, op_wipe, NULL },
	[O_REL] = { "(3) release side, whole", NULL, prep_rel, op_rel,
	    chk_rel },
	[O_ROPEN] = { "  label + open 1 member box", rel_ready, NULL,
	    op_ropen, chk_ropen },
	[O_RDECODE] = { "  commitments decode + root", rel_ready, NULL,
	    op_rdecode, chk_rdecode },
	[O_RSHARES] = { "  check 4 share commitments", rel_ready, NULL,
	    op_rshares, NULL },
	[O_RCOMBINE] = { "  bg_shamir_combine x2", rel_ready, NULL,
	    op_rcombine, chk_rcombine },
	[O_RPARTS] = { "  check 2 part commitments", rel_ready, NULL,
	    op_rparts, NULL },
	[O_RKEY] = { "  XOR + check key commitment", rel_ready, NULL,
	    op_rkey, chk_rkey },
	[O_RVALUE] = { "  (+) AES-GCM open of the value", rel_ready, NULL,
	    op_rvalue, chk_rvalue },
};

/* ========================================================== measuring */

struct sample {
	double cpu, wall;	/* seconds per operation */
};

static struct sample
measure(struct cfg *c, const struct op *o)
{
	double cpu = 0, wall = 0, t0, w0, dt;
	unsigned long reps = 0, chunk = 1, k;
	struct sample s;

	if (o->before != NULL)
		o->before(c);
	if (o->prep == NULL) {
		do {
			w0 = wall_now();
			t0 = cpu_now();
			for (k = 0; k < chunk; k++)
				o->run(c);
			dt = cpu_now() - t0;
			wall += wall_now() - w0;
			cpu += dt;
			reps += chunk;
			if (dt < 200e-6 && chunk < (1ul << 20))
				chunk *= 2;	/* few clock reads per op */
		} while (cpu < c->budget);
		if (o->post != NULL)
			o->post(c);
	} else {
		do {
			o->prep(c);
			w0 = wall_now();
			t0 = cpu_now();
			o->run(c);
			cpu += cpu_now() - t0;
			wall += wall_now() - w0;
			reps++;
			if (o->post != NULL)
				o->post(c);
		} while (cpu < c->budget);
	}
	s.cpu = cpu / (double)reps;
	s.wall = wall / (double)reps;
	return s;
}

/* Per item and round; the baselines are the mean of before and after. */
struct results {
	size_t rounds;
	double *cpu[NOPS], *wall[NOPS];
};

static void
run_rounds(struct cfg *c, struct results *res)
{
	struct sample a, b;
	double budget = c->budget;
	size_t r, o;

	/* a warm-up round, one rep of each, not counted */
	c->budget = 0;
	for (o = 0; o < NOPS; o++)
		(void)measure(c, &ops[o]);
	c->budget = budget;
	for (r = 0; r < res->rounds; r++) {
		for (o = O_BASE_BOX; o <= O_BASE_SHA; o++) {
			a = measure(c, &ops[o]);
			res->cpu[o][r] = a.cpu;
			res->wall[o][r] = a.wall;
		}
		for (o = O_SEAL; o < NOPS; o++) {
			a = measure(c, &ops[o]);
			res->cpu[o][r] = a.cpu;
			res->wall[o][r] = a.wall;
		}
		for (o = O_BASE_BOX; o <= O_BASE_SHA; o++) {
			b = measure(c, &ops[o]);
			res->cpu[o][r] = (res->cpu[o][r] + b.cpu) / 2;
			res->wall[o][r] = (res->wall[o][r] + b.wall) / 2;
		}
	}
}

/* Median over the rounds of item o's CPU time divided by base's. */
static double
ratio(const struct results *res, size_t o, size_t base)
{
	double *v = xalloc(res->rounds * sizeof(*v)), m;
	size_t r;

	for (r = 0; r < res->rounds; r++)
		v[r] = res->cpu[o][r] / res->cpu[base][r];
	m = median(v, res->rounds);
	free(v);
	return m;
}

static double
med_cpu(const struct results *res, size_t o)
{
	return median(res->cpu[o], res->rounds);
}

/* Median over the rounds of the sum of items lo..hi. */
static double
med_sum(const struct results *res, size_t lo, size_t hi, size_t base,
    double *rat)
{
	double *v = xalloc(res->rounds * sizeof(*v));
	double *q = xalloc(res->rounds * sizeof(*q)), m;
	size_t r, o;

	for (r = 0; r < res->rounds; r++) {
		for (o = lo; o <= hi; o++)
			v[r] += res->cpu[o][r];
		q[r] = v[r] / res->cpu[base][r];
	}
	m = median(v, res->rounds);
	*rat = median(q, res->rounds);
	free(v);
	free(q);
	return m;
}

/* ======================================================== configuration */

static void
sealed_init(struct cfg *c, struct sealed *s)
{
	size_t g;

	s->key = sec_alloc(KL);
	for (g = 0; g < NGROUPS; g++)
		s->shares[g] = sec_alloc(NMEMB * c->vec);
	s->parts = sec_alloc(NGROUPS * c->vec);
	s->boxes = xalloc(NMEMBERS * c->boxlen);
}

static void
sealed_free(struct cfg *c, struct sealed *s)
{
	size_t g;

	bg_secure_free(&s->key, KL);
	for (g = 0; g < NGROUPS; g++)
		bg_secure_free(&s->shares[g], NMEMB * c->vec);
	bg_secure_free(&s->parts, NGROUPS * c->vec);
	free(s->boxes);
	free(s->file);
}

static void
members_init(struct cfg *c)
{
	uint8_t tok[BG_TOKEN_HEX_LEN / 2];
	size_t i;

	for (i = 0; i < NMEMBERS; i++) {
		rand_bytes(c->m[i].priv, 32);
		need(bg_x25519_public(c->m[i].priv, c->m[i].pub), "x25519");
		rand_bytes(tok, sizeof(tok));
		need(bg_hex_encode(tok, sizeof(tok), c->m[i].token,
		    sizeof(c->m[i].token)), "hex");
	}
}

static void
baseline_init(struct cfg *c)
{
	rand_bytes(c->bpriv, 32);
	need(bg_x25519_public(c->bpriv, c->bpub), "x25519");
	rand_bytes(c->bpt, BASE_LEN);
	rand_bytes(c->sha_in, SHA_LEN);
	op_base_sha(c);
	memcpy(c->sha_ref, c->sha_out, 32);
}

/*
 * The checks must be able to fail: a share with one bit flipped fails its
 * commitment, and the parts of two different slots do not join to K.
 */
static void
negative_checks(struct cfg *c)
{
	const uint8_t *parts[NGROUPS];
	uint8_t share[KL], key[KL];
	uint32_t j = 0, j2 = c->n - 1;

	memcpy(share, bg_slot_share_at(c->p.shares[1], c->n, 2, j), KL);
	need(bg_commitments_check_share(c->pc, &c->version, 1, 2, j, share),
	    "share commitment");
	share[KL - 1] ^= 1;
	want(bg_commitments_check_share(c->pc, &c->version, 1, 2, j, share) ==
	    BG_ETAMPER, "a tampered share fails its commitment");
	parts[0] = bg_slot_part_at(c->p.parts, c->n, 0, j);
	parts[1] = bg_slot_part_at(c->p.parts, c->n, 1, j2);
	bg_slots_join(parts, NGROUPS, key);
	want(memcmp(key, c->p.key, KL) != 0 && bg_commitments_check_key(c->pc,
	    &c->version, key) == BG_ETAMPER,
	    "parts of two slots do not join to K");
	bg_wipe(share, KL);
	bg_wipe(key, KL);
}

static struct cfg *
cfg_new(uint32_t n, double budget)
{
	struct cfg *c = xalloc(sizeof(*c));
	const uint8_t *sh[NGROUPS];
	size_t g, i;

	c->n = n;
	c->vec = (size_t)n * KL;
	c->boxlen = c->vec + BG_BOX_OVERHEAD;
	c->budget = budget;
	for (g = 0; g < NGROUPS; g++) {
		c->groups[g].t = T;
		c->groups[g].n = NMEMB;
	}
	rand_bytes(c->vault, sizeof(c->vault));
	rand_bytes(&c->rng, sizeof(c->rng));
	c->rng |= 1;
	c->id.vault = c->vault;
	c->id.vault_len = sizeof(c->vault);
	c->id.account = "111122223333";
	c->id.item = "root-password";
	c->id.version = 1;
	c->id.epoch = 1;
	c->id.nslots = n;
	rand_bytes(c->value, VALUE_LEN);
	members_init(c);
	baseline_init(c);
	sealed_init(c, &c->w);
	sealed_init(c, &c->p);
	c->rel.sh = sec_alloc(NGROUPS * T * KL);
	c->rel.pt = sec_alloc(c->vec);
	c->rel.part = sec_alloc(NGROUPS * KL);
	c->rel.key = sec_alloc(KL);
	/* the reference seal, kept unwiped, and the labels it used */
	seal_all(c, &c->p, 0);
	c->version_ref = c->version;
	for (i = 0; i < NMEMBERS; i++)
		c->m[i].ref = c->m[i].label;
	sh[0] = c->p.shares[0];
	sh[1] = c->p.shares[1];
	need(bg_commitments_make(&c->version, c->p.key, c->groups, NGROUPS, n,
	    sh, c->p.parts, &c->pc), "bg_commitments_make");
	rel_full(c, &c->p);
	negative_checks(c);
	return c;
}

static void
cfg_free(struct cfg *c)
{
	sealed_free(c, &c->w);
	sealed_free(c, &c->p);
	bg_secure_free(&c->rel.sh, NGROUPS * T * KL);
	bg_secure_free(&c->rel.pt, c->vec);
	bg_secure_free(&c->rel.part, NGROUPS * KL);
	bg_secure_free(&c->rel.key, KL);
	bg_commitments_free(&c->pc);
	bg_commitments_free(&c->mc);
	bg_commitments_free(&c->dc);
	free(c->enc);
	bg_wipe(c, sizeof(*c));
	free(c);
}

static void
results_init(struct results *res, size_t rounds)
{
	size_t o;

	res->rounds = rounds;
	for (o = 0; o < NOPS; o++) {
		res->cpu[o] = xalloc(rounds * sizeof(double));
		res->wall[o] = xalloc(rounds * sizeof(double));
	}
}

static void
results_free(struct results *res)
{
	size_t o;

	for (o = 0; o < NOPS; o++) {
		free(res->cpu[o]);
		free(res->wall[o]);
	}
}

/* ============================================================= output */

static void
print_row(const char *name, double cpu, double wall, double rb, double rs)
{
	char w[24] = "-";

	if (wall >= 0)
		snprintf(w, sizeof(w), "%.1f", wall * 1e6);
	printf("%-34s %10.1f %10s %9.2f %9.1f\n", name, cpu * 1e6, w, rb, rs);
}

static void
print_op(const struct results *res, size_t o)
{
	print_row(ops[o].name, med_cpu(res, o),
	    median(res->wall[o], res->rounds), ratio(res, o, O_BASE_BOX),
	    ratio(res, o, O_BASE_SHA));
}

static void
print_sum(const struct results *res, size_t lo, size_t hi, const char *name)
{
	double rb, rs, s;

	s = med_sum(res, lo, hi, O_BASE_BOX, &rb);
	med_sum(res, lo, hi, O_BASE_SHA, &rs);
	print_row(name, s, -1, rb, rs);
}

static void
print_main(const struct cfg *c, const struct results *res, int quick)
{
	double seal = med_cpu(res, O_SEAL);
	size_t o;

	printf("\nN = %u slots, 2 groups of 3 (t = 2), one token each: 6 "
	    "member boxes of %zu B (%zu B of shares), commitments file %zu B; "
	    "medians of %zu rounds\n", c->n, c->boxlen, c->vec, c->p.file_len,
	    res->rounds);
	printf("%-34s %10s %10s %9s %9s\n", "item", "CPU us", "wall us",
	    "x box32", "x sha1k");
	for (o = 0; o < NOPS; o++) {
		if (o == O_SEAL || o == O_REL)
			printf("\n");
		print_op(res, o);
		if (o == O_WIPE)
			print_sum(res, O_KEY, O_WIPE, "  sum of the parts");
		if (o == O_RKEY)
			print_sum(res, O_ROPEN, O_RKEY, "  sum of the parts");
	}
	printf("\nper member box seal (%zu B): %.1f us CPU = %.2f x box32; "
	    "commitments: %u SHA-256 (make) = %.2f us each\n", c->vec,
	    med_cpu(res, O_BOXES) * 1e6 / NMEMBERS,
	    ratio(res, O_BOXES, O_BASE_BOX) / NMEMBERS,
	    8 * c->n + 1, med_cpu(res, O_CMAKE) * 1e6 / (8.0 * c->n + 1));
	printf("target (issue): seal of one item with 32 slots, 2 groups of 3, "
	    "one token each, under %.0f ms of our CPU: %s (median %.3f ms CPU, "
	    "%.1f%% of the target, %.1f x box32%s)\n", TARGET_MS,
	    seal < TARGET_MS / 1e3 ? "PASS" : "NOTE", seal * 1e3,
	    100 * seal * 1e3 / TARGET_MS, ratio(res, O_SEAL, O_BASE_BOX),
	    quick ? "; quick mode: one rep per round, numbers are rough" : "");
}

static void
print_scale_head(void)
{
	printf("\nscaling (CPU, medians; x box32 = ratio to the baseline in "
	    "the same rounds)\n%5s %7s %10s %8s %8s %9s %9s %9s %10s %8s %7s "
	    "%8s\n", "N", "rounds", "seal us", "x box32", "us/slot", "split us",
	    "boxes us", "commit us", "release us", "x box32", "box B",
	    "file B");
}

/* What the scaling table needs of a configuration after it is freed. */
struct summary {
	uint32_t n;
	size_t boxlen, file_len;
};

static void
print_scale(const struct summary *c, const struct results *res)
{
	double rb, commit = med_sum(res, O_CMAKE, O_CROOT, O_BASE_BOX, &rb);

	printf("%5u %7zu %10.1f %8.2f %8.2f %9.1f %9.1f %9.1f %10.1f %8.2f "
	    "%7zu %8zu\n", c->n, res->rounds, med_cpu(res, O_SEAL) * 1e6,
	    ratio(res, O_SEAL, O_BASE_BOX), med_cpu(res, O_SEAL) * 1e6 / c->n,
	    med_cpu(res, O_SPLIT) * 1e6, med_cpu(res, O_BOXES) * 1e6,
	    commit * 1e6, med_cpu(res, O_REL) * 1e6,
	    ratio(res, O_REL, O_BASE_BOX), c->boxlen, c->file_len);
}

/* ================================================================ main */

static int
usage(void)
{
	fprintf(stderr, "usage: bench_slots [--quick] [--rounds N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct results res[NCONFIGS];
	struct summary sum[NCONFIGS];
	struct cfg *c;
	size_t rounds = 0, i, k;
	double budget;
	int quick = 0;
	char *end;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--rounds") == 0 &&
		    i + 1 < (size_t)argc) {
			rounds = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || rounds == 0 || rounds > ROUNDS_MAX)
				return usage();
		} else
			return usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rounds == 0)
		rounds = quick ? ROUNDS_QUICK : ROUNDS_FULL;
	budget = quick ? 0 : BUDGET_FULL;
	printf("bench_slots: v2 seal path (one-time slots)%s; secrets in %s "
	    "memory\n", quick ? ", quick mode" : "",
	    bg_secure_locked() ? "locked" : "ordinary (unlocked)");
	/* one configuration at a time: the secure heap is 256 KiB */
	for (i = 0; i < NCONFIGS; i++) {
		k = slot_counts[i] == MAIN_N ? rounds : (rounds + 2) / 3;
		c = cfg_new(slot_counts[i], budget);
		results_init(&res[i], k);
		run_rounds(c, &res[i]);
		if (slot_counts[i] == MAIN_N)
			print_main(c, &res[i], quick);
		printf("N = %u: %zu rounds, every seal and release checked\n",
		    c->n, k);
		sum[i].n = c->n;
		sum[i].boxlen = c->boxlen;
		sum[i].file_len = c->p.file_len;
		cfg_free(c);
	}
	print_scale_head();
	for (i = 0; i < NCONFIGS; i++) {
		print_scale(&sum[i], &res[i]);
		results_free(&res[i]);
	}
	printf("\nall values checked: every release recovered K and the "
	    "value\n");
	return 0;
}
