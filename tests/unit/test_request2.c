/*
 * Requests of vault format v2 (quorum/request2.c, docs/design.md §5.2):
 * the canonical text (a known answer, and its tagged hash), build ->
 * parse -> build identical, one text per request (every single-byte
 * change, deletion or insertion either fails to parse or parses to a
 * different request with a different hash), every truncation and any
 * trailing byte refused, and each rule refused with BG_EFORMAT and a
 * bg_why() naming the line. What an approver is shown: every field, the
 * reason only when it matches its signed hash, escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define REASON "INC-4711: root MFA device lost, need the root password"

#define GOLDEN \
    "format breakglass-request-v2\n" \
    "vault 000102030405060708090a0b0c0d0e0f" \
    "101112131415161718191a1b1c1d1e1f\n" \
    "chain a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" \
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n" \
    "id 0123456789abcdef0123456789abcdef\n" \
    "requester alice\n" \
    "account 123456789012\n" \
    "entries 2\n" \
    "entry root-mfa 1 0\n" \
    "entry root-password 3 17\n" \
    "created 2023-11-14T22:13:20Z\n" \
    "expiry 2023-11-15T02:13:20Z\n" \
    "reason-sha256 3a6fd206edd0484db00a249fca536984" \
    "28a4c8ddb6d6cac27bcdac058036a36b\n" \
    "ticket INC-4711\n" \
    "nonce 404142434445464748494a4b4c4d4e4f\n" \
    "request-key 606162636465666768696a6b6c6d6e6f" \
    "707172737475767778797a7b7c7d7e7f\n"

#define NLINES 15
#define LINE_MAX_ 256

/* Zeroed, so whole structs compare with memcmp. */
static struct bg_request2 *
sample(void)
{
	struct bg_request2 *rq = calloc(1, sizeof(*rq));
	size_t i;

	assert_non_null(rq);
	for (i = 0; i < 32; i++) {
		rq->vault[i] = (uint8_t)i;
		rq->chain[i] = (uint8_t)(0xa0 + i);
		rq->key[i] = (uint8_t)(0x60 + i);
	}
	for (i = 0; i < 16; i++)
		rq->nonce[i] = (uint8_t)(0x40 + i);
	strcpy(rq->id, "0123456789abcdef0123456789abcdef");
	strcpy(rq->requester, "alice");
	strcpy(rq->account, "123456789012");
	rq->nentries = 2;
	strcpy(rq->entry[0].item, "root-mfa");
	rq->entry[0].version = 1;
	rq->entry[0].slot = 0;
	strcpy(rq->entry[1].item, "root-password");
	rq->entry[1].version = 3;
	rq->entry[1].slot = 17;
	rq->created = 1700000000;	/* 2023-11-14T22:13:20Z */
	rq->expiry = 1700000000 + 4 * 3600;
	assert_int_equal(bg_reason_sha256(REASON, strlen(REASON),
	    rq->reason_sha256), BG_OK);
	strcpy(rq->ticket, "INC-4711");
	return rq;
}

static struct bg_request2 *
parsed(const char *text, size_t len)
{
	struct bg_request2 *rq = malloc(sizeof(*rq));

	assert_non_null(rq);
	memset(rq, 0xa5, sizeof(*rq));
	assert_int_equal(bg_request2_parse(text, len, rq), BG_OK);
	return rq;
}

static int
zeroed(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
tagged(const char *text, size_t len, uint8_t out[32])
{
	static const char tag[] = "breakglass/v2/request";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, tag, sizeof(tag)), 1); /* NUL */
	assert_int_equal(EVP_DigestUpdate(ctx, text, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

static void
test_known_text(void **state)
{
	struct bg_request2 *rq = sample(), *back;
	static char text[BG_REQUEST2_MAX], again[BG_REQUEST2_MAX];
	uint8_t h[32], want[32];
	size_t len, len2;

	(void)state;
	assert_int_equal(bg_request2_build(rq, text, sizeof(text), &len),
	    BG_OK);
	assert_int_equal(len, strlen(GOLDEN));
	assert_memory_equal(text, GOLDEN, len);
	back = parsed(text, len);
	assert_memory_equal(back, rq, sizeof(*rq));
	assert_int_equal(bg_request2_build(back, again, sizeof(again), &len2),
	    BG_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, text, len);
	/* what the requester's token signs: the tagged hash, not SHA-256 */
	assert_int_equal(bg_request2_hash(text, len, h), BG_OK);
	tagged(GOLDEN, strlen(GOLDEN), want);
	assert_memory_equal(h, want, 32);
	assert_int_equal(EVP_Digest(GOLDEN, len, want, NULL, EVP_sha256(),
	    NULL), 1);
	assert_memory_not_equal(h, want, 32);
	/* exact output size is enough, one byte less is not */
	assert_int_equal(bg_request2_build(rq, text, len, &len2), BG_OK);
	assert_int_equal(bg_request2_build(rq, text, len - 1, &len2),
	    BG_ETOOBIG);
	assert_int_equal(len2, 0);
	free(rq);
	free(back);
}

/* The longest request: 32 entries, every name and the ticket at most. */
static void
test_round_trip_longest(void **state)
{
	struct bg_request2 *rq = sample(), *back;
	static char text[BG_REQUEST2_MAX], out[2 * BG_REQUEST2_MAX + 512 +
	    4 * BG_REASON_MAX];
	static char reason[BG_REASON_MAX];
	size_t len, i;

	(void)state;
	memset(rq->requester, 'r', BG_NAME_MAX);
	memset(rq->account, '9', BG_ACCOUNT_MAX);
	memset(rq->ticket, '~', BG_TICKET_MAX);
	rq->nentries = BG_POLICY_ITEMS_MAX;
	for (i = 0; i < BG_POLICY_ITEMS_MAX; i++) {
		memset(rq->entry[i].item, 'a', BG_NAME_MAX);
		rq->entry[i].item[BG_NAME_MAX - 1] = (char)('A' + i % 26);
		rq->entry[i].item[BG_NAME_MAX - 2] = (char)('0' + i / 26);
		rq->entry[i].version = UINT64_MAX;
		rq->entry[i].slot = BG_SLOTS_MAX - 1;
	}
	rq->created = BG_TIME_MAX - BG_POLICY_EXPIRY_MAX;
	rq->expiry = BG_TIME_MAX;
	memset(reason, 0x01, sizeof(reason));	/* escaped: 4 bytes each */
	assert_int_equal(bg_reason_sha256(reason, sizeof(reason),
	    rq->reason_sha256), BG_OK);
	assert_int_equal(bg_request2_build(rq, text, sizeof(text), &len),
	    BG_OK);
	assert_true(len <= BG_REQUEST2_MAX);
	back = parsed(text, len);
	assert_memory_equal(back, rq, sizeof(*rq));
	/* the documented bound of the approver's view holds */
	assert_int_equal(bg_request2_describe(text, len, reason,
	    sizeof(reason), out, sizeof(out)), BG_OK);
	free(rq);
	free(back);
}

static void
refuse_build(struct bg_request2 *rq, const char *why)
{
	static char text[BG_REQUEST2_MAX];
	size_t len = 1;

	assert_int_equal(bg_request2_build(rq, text, sizeof(text), &len),
	    BG_EINVAL);
	assert_int_equal(len, 0);
	if (strstr(bg_why(), why) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", bg_why(), why);
	free(rq);
}

static void
test_build_refuses(void **state)
{
	struct bg_request2 *rq;
	size_t len;

	(void)state;
#define REFUSE(stmt, why) do {						\
	rq = sample();							\
	stmt;								\
	refuse_build(rq, why);						\
} while (0)
	REFUSE(rq->id[0] = 'A', "invalid id");
	REFUSE(strcpy(rq->requester, "-alice"), "invalid requester");
	REFUSE(strcpy(rq->account, "prod_root"), "invalid account");
	REFUSE(rq->nentries = 0, "invalid entries");
	REFUSE(rq->nentries = BG_POLICY_ITEMS_MAX + 1, "invalid entries");
	REFUSE(rq->entry[1].version = 0, "at least 1");
	REFUSE(rq->entry[1].slot = BG_SLOTS_MAX, "below 256");
	REFUSE(strcpy(rq->entry[0].item, "root mfa"), "a name");
	REFUSE(strcpy(rq->entry[0].item, "root-password"), "sorted");
	REFUSE(strcpy(rq->entry[0].item, "ROOT-PASSWORD"), "twice");
	REFUSE(rq->expiry = rq->created, "after created");
	REFUSE(rq->expiry = rq->created + BG_POLICY_EXPIRY_MAX + 1, "7 days");
	REFUSE(rq->expiry = BG_TIME_MAX + 1, "invalid expiry");
	REFUSE(strcpy(rq->ticket, "-"), "invalid ticket");
	REFUSE(strcpy(rq->ticket, "INC 4711"), "invalid ticket");
	REFUSE(memset(rq->key, 0, 32), "invalid request-key");
#undef REFUSE
	rq = sample();
	rq->ticket[0] = '\0';		/* no ticket: "ticket -" */
	assert_int_equal(bg_request2_build(rq, NULL, 0, &len), BG_EINVAL);
	assert_int_equal(bg_request2_build(NULL, (char *)rq, 1, &len),
	    BG_EINVAL);
	free(rq);
}

/*
 * One request, one text: any accepted change is a different request with
 * a different hash. (A text that differs and parses to the same fields
 * would let requester and approver disagree on what was signed.)
 */
static void
check_mutant(const char *m, size_t len, const struct bg_request2 *orig,
    const uint8_t orig_hash[32], unsigned *accepted)
{
	static struct bg_request2 rq;
	uint8_t h[32];

	if (bg_request2_parse(m, len, &rq) != BG_OK) {
		assert_true(bg_why()[0] != '\0');
		assert_int_equal(bg_request2_hash(m, len, h), BG_EFORMAT);
		return;
	}
	assert_memory_not_equal(&rq, orig, sizeof(rq));
	assert_int_equal(bg_request2_hash(m, len, h), BG_OK);
	assert_memory_not_equal(h, orig_hash, 32);
	(*accepted)++;
}

static void
test_every_byte_mutation(void **state)
{
	static const char ins[] = { ' ', '\n', '\r', '\0', 'a', '0', 'A',
	    '-' };
	static char m[BG_REQUEST2_MAX + 1];
	struct bg_request2 *orig = sample();
	const char *g = GOLDEN;
	const size_t len = strlen(g);
	uint8_t oh[32];
	unsigned b, accepted = 0, tried = 0;
	size_t i, k;

	(void)state;
	assert_int_equal(bg_request2_hash(g, len, oh), BG_OK);
	for (i = 0; i < len; i++) {
		for (b = 0; b < 256; b++) {	/* every bit flip among them */
			if (b == (unsigned char)g[i])
				continue;
			memcpy(m, g, len);
			m[i] = (char)b;
			check_mutant(m, len, orig, oh, &accepted);
			tried++;
		}
		memcpy(m, g, i);		/* deletion */
		memcpy(m + i, g + i + 1, len - i - 1);
		check_mutant(m, len - 1, orig, oh, &accepted);
		for (k = 0; k < sizeof(ins); k++) {	/* insertion */
			memcpy(m, g, i);
			m[i] = ins[k];
			memcpy(m + i + 1, g + i, len - i);
			check_mutant(m, len + 1, orig, oh, &accepted);
		}
	}
	/* both outcomes occur: hex digits and names can change */
	assert_true(accepted > 0);
	assert_true(accepted < tried / 10);
	free(orig);
}

static void
test_trailing_and_truncated(void **state)
{
	static const char *const tails[] = { "\n", "x", " ", "\0", "\r",
	    "entry root-x 1 0\n", "request-key 00\n" };
	static char t[BG_REQUEST2_MAX + 64];
	static struct bg_request2 rq;
	const size_t len = strlen(GOLDEN);
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		n = i == 3 ? 1 : strlen(tails[i]);
		memcpy(t, GOLDEN, len);
		memcpy(t + len, tails[i], n);
		assert_int_equal(bg_request2_parse(t, len + n, &rq),
		    BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "line 16 "));
	}
	for (n = 0; n < len; n++) {	/* every truncation */
		assert_int_equal(bg_request2_parse(GOLDEN, n, &rq),
		    BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "request: line "));
	}
	assert_true(zeroed(&rq, sizeof(rq)));
}

/* ------------------------------------------------- line-by-line refusals */

struct lines {
	char l[BG_POLICY_ITEMS_MAX + NLINES + 4][LINE_MAX_];
	size_t n;
};

static void
split(struct lines *ls)
{
	const char *p = GOLDEN, *nl;

	ls->n = 0;
	while ((nl = strchr(p, '\n')) != NULL) {
		assert_true((size_t)(nl - p) + 2 < LINE_MAX_);
		memcpy(ls->l[ls->n], p, (size_t)(nl - p) + 1);
		ls->l[ls->n][nl - p + 1] = '\0';
		ls->n++;
		p = nl + 1;
	}
	assert_int_equal(ls->n, NLINES);
}

static size_t
join(const struct lines *ls, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < ls->n; i++) {
		memcpy(out + n, ls->l[i], strlen(ls->l[i]));
		n += strlen(ls->l[i]);
	}
	return n;
}

/* Line idx (0-based) replaced by s ("\n" added). */
static void
set_line(struct lines *ls, size_t idx, const char *s)
{
	assert_true(strlen(s) + 2 < LINE_MAX_);
	snprintf(ls->l[idx], LINE_MAX_, "%s\n", s);
}

static void
insert_line(struct lines *ls, size_t idx, const char *s)
{
	memmove(ls->l[idx + 1], ls->l[idx], (ls->n - idx) * LINE_MAX_);
	ls->n++;
	set_line(ls, idx, s);
}

static void
delete_line(struct lines *ls, size_t idx)
{
	memmove(ls->l[idx], ls->l[idx + 1], (ls->n - idx - 1) * LINE_MAX_);
	ls->n--;
}

static void
swap_lines(struct lines *ls, size_t a, size_t b)
{
	char t[LINE_MAX_];

	memcpy(t, ls->l[a], LINE_MAX_);
	memcpy(ls->l[a], ls->l[b], LINE_MAX_);
	memcpy(ls->l[b], t, LINE_MAX_);
}

/* The text of ls is refused, and bg_why() says why among other words. */
static void
refused(const struct lines *ls, const char *why, const char *why2)
{
	static char t[sizeof(ls->l)];
	static struct bg_request2 rq;
	size_t n = join(ls, t);

	assert_int_equal(bg_request2_parse(t, n, &rq), BG_EFORMAT);
	if (strstr(bg_why(), why) == NULL ||
	    (why2 != NULL && strstr(bg_why(), why2) == NULL))
		fail_msg("why \"%s\" lacks \"%s\" or \"%s\" for\n%.*s",
		    bg_why(), why, why2 != NULL ? why2 : "", (int)n, t);
}

static int
accepted(const struct lines *ls)
{
	static char t[sizeof(ls->l)];
	static struct bg_request2 rq;

	return bg_request2_parse(t, join(ls, t), &rq) == BG_OK;
}

/* One line of GOLDEN (1-based) set to s: refused naming the line. */
static void
refused_with(size_t line, const char *s, const char *why, const char *why2)
{
	static struct lines ls;

	split(&ls);
	set_line(&ls, line - 1, s);
	refused(&ls, why, why2);
}

static void
test_lines_refused(void **state)
{
	static struct lines ls;
	char want[32], dup[LINE_MAX_];
	size_t i;

	(void)state;
	split(&ls);
	assert_true(accepted(&ls));
	for (i = 0; i < NLINES; i++) {
		split(&ls);		/* line i missing */
		delete_line(&ls, i);
		/* the first entry missing: the second is read in its place */
		snprintf(want, sizeof(want), "line %zu ", i + (i == 7 ? 2 : 1));
		refused(&ls, want, NULL);
		split(&ls);		/* line i twice */
		memcpy(dup, ls.l[i], LINE_MAX_);
		dup[strlen(dup) - 1] = '\0';
		insert_line(&ls, i, dup);
		snprintf(want, sizeof(want), "line %zu ", i + 2);
		refused(&ls, want, NULL);
		split(&ls);		/* an unknown line after line i */
		insert_line(&ls, i + 1, "note approve-anything");
		refused(&ls, want, NULL);
		split(&ls);		/* CR before line i's newline */
		strcpy(ls.l[i] + strlen(ls.l[i]) - 1, "\r\n");
		snprintf(want, sizeof(want), "line %zu ", i + 1);
		refused(&ls, want, NULL);
	}
	/* a line out of order */
	split(&ls);
	swap_lines(&ls, 4, 5);
	refused(&ls, "line 5 (requester)", "expected");
	split(&ls);
	swap_lines(&ls, 9, 10);
	refused(&ls, "line 10 (created)", "expected");
	split(&ls);
	swap_lines(&ls, 13, 14);
	refused(&ls, "line 14 (nonce)", "expected");
	/* vault twice: line 3 should be chain */
	split(&ls);
	set_line(&ls, 2, "vault 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f");
	refused(&ls, "line 3 (chain)", "expected");
}

static void
test_entries_refused(void **state)
{
	static struct lines ls;
	char e[64];
	size_t i;

	(void)state;
	/* the same entry twice */
	refused_with(9, "entry root-mfa 1 0", "line 9 (entry)", "sorted");
	/* the same item twice, another version */
	refused_with(9, "entry root-mfa 2 0", "line 9 (entry)", "sorted");
	/* the same item in another case */
	split(&ls);
	set_line(&ls, 7, "entry ROOT-PASSWORD 1 0");
	refused(&ls, "line 9 (entry)", "twice");
	/* unsorted */
	split(&ls);
	swap_lines(&ls, 7, 8);
	refused(&ls, "line 9 (entry)", "sorted");
	/* the count and the lines disagree */
	refused_with(7, "entries 1", "line 9 (created)", "expected");
	refused_with(7, "entries 3", "line 10 (entry)", "expected");
	refused_with(7, "entries 02", "line 7 (entries)", "leading zeros");
	/* none */
	split(&ls);
	delete_line(&ls, 7);
	delete_line(&ls, 7);
	refused(&ls, "line 8 (entry)", "expected");
	set_line(&ls, 6, "entries 0");
	refused(&ls, "line 7 (entries)", "1..32");
	/* 32 are fine, 33 are not */
	set_line(&ls, 6, "entries 32");
	for (i = 0; i < BG_POLICY_ITEMS_MAX; i++) {
		snprintf(e, sizeof(e), "entry item%02zu 1 %zu", i, i);
		insert_line(&ls, 7 + i, e);
	}
	assert_true(accepted(&ls));
	insert_line(&ls, 7 + i, "entry zz 1 0");
	refused(&ls, "line 40 (created)", "expected");
	set_line(&ls, 6, "entries 33");
	refused(&ls, "line 7 (entries)", "1..32");
	/* fields */
	refused_with(8, "entry root-mfa 0 0", "line 8 (entry)", "at least 1");
	refused_with(8, "entry root-mfa 1 256", "line 8 (entry)", "below 256");
	refused_with(8, "entry root-mfa 1 4294967296", "line 8 (entry)",
	    "below 256");
	refused_with(8, "entry root-mfa 01 0", "line 8 (entry)",
	    "leading zeros");
	refused_with(8, "entry root-mfa 1 00", "line 8 (entry)",
	    "leading zeros");
	refused_with(8, "entry root-mfa 1 +1", "line 8 (entry)", NULL);
	refused_with(8, "entry root-mfa -1 0", "line 8 (entry)", NULL);
	refused_with(8, "entry root-mfa 18446744073709551616 0",
	    "line 8 (entry)", "leading zeros");
	refused_with(8, "entry root-mfa 1  0", "line 8 (entry)", "one space");
	refused_with(8, "entry root-mfa 1 0 ", "line 8 (entry)", "one space");
	refused_with(8, "entry  root-mfa 1 0", "line 8 (entry)", "one space");
	refused_with(8, "entry root-mfa 1", "line 8 (entry)", "one space");
	refused_with(8, "entry root-mfa 1 0 9", "line 8 (entry)", "one space");
	refused_with(8, "entry .root 1 0", "line 8 (entry)", "a name");
	refused_with(8, "entry r\xc3\xb6t 1 0", "line 8 (entry)", "a name");
	/* the largest values are fine */
	split(&ls);
	set_line(&ls, 8, "entry root-password 18446744073709551615 255");
	assert_true(accepted(&ls));
}

static void
test_fields_refused(void **state)
{
	static struct lines ls;
	static struct bg_request2 rq;
	static char t[sizeof(ls.l)];

	(void)state;
	refused_with(1, "format breakglass-request-v1", "line 1 (format)",
	    NULL);
	refused_with(1, "format breakglass-approval-v2", "line 1 (format)",
	    NULL);
	refused_with(2, "vault 000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f", "line 2 (vault)", "hex");
	refused_with(2, "vault 0001020304050607", "line 2 (vault)", "hex");
	refused_with(3, "chain ", "line 3 (chain)", NULL);
	refused_with(4, "id 0123456789ABCDEF0123456789abcdef", "line 4 (id)",
	    NULL);
	refused_with(5, "requester -alice", "line 5 (requester)", "a name");
	refused_with(5, "requester al ice", "line 5 (requester)", NULL);
	refused_with(6, "account prod_root", "line 6 (account)", NULL);
	refused_with(10, "created 2023-11-14T22:13:20.5Z", "line 10 (created)",
	    "UTC");
	refused_with(11, "expiry 2023-11-14T22:13:20Z", "line 11 (expiry)",
	    "after created");
	refused_with(11, "expiry 2023-11-14T22:13:19Z", "line 11 (expiry)",
	    "after created");
	refused_with(11, "expiry 2023-11-21T22:13:21Z", "line 11 (expiry)",
	    "7 days");
	refused_with(12, "reason-sha256 00", "line 12 (reason-sha256)", NULL);
	refused_with(13, "ticket INC 4711", "line 13 (ticket)", NULL);
	refused_with(13, "ticket INC-\x7f", "line 13 (ticket)", NULL);
	refused_with(14, "nonce 404142434445464748494a4b4c4d4e", "line 14 "
	    "(nonce)", NULL);
	refused_with(15, "request-key 0000000000000000000000000000000000000000"
	    "000000000000000000000000", "line 15 (request-key)", "zero");
	/* 7 days exactly is fine; "ticket -" is no ticket */
	split(&ls);
	set_line(&ls, 10, "expiry 2023-11-21T22:13:20Z");
	assert_true(accepted(&ls));
	set_line(&ls, 12, "ticket -");
	assert_int_equal(bg_request2_parse(t, join(&ls, t), &rq), BG_OK);
	assert_string_equal(rq.ticket, "");
	/* a field that fails leaves nothing behind */
	refused_with(15, "request-key 00", "line 15", NULL);
	assert_int_equal(bg_request2_parse(t, 0, &rq), BG_EFORMAT);
	assert_true(zeroed(&rq, sizeof(rq)));
	assert_int_equal(bg_request2_parse(NULL, 0, &rq), BG_EINVAL);
}

/* ------------------------------------------------------------- describe */

static void
test_describe(void **state)
{
	static char out[2 * BG_REQUEST2_MAX + 4 * 64 + 512];
	const char *g = GOLDEN;
	const size_t len = strlen(g);
	static const char *const shown[] = { "alice", "123456789012",
	    "root-mfa  version 1  slot 0", "root-password  version 3  slot 17",
	    "\"" REASON "\"", "INC-4711", "2023-11-14T22:13:20Z",
	    "2023-11-15T02:13:20Z", "4h00m after created",
	    "0123456789abcdef0123456789abcdef",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
	    "3a6fd206edd0484db00a249fca53698428a4c8ddb6d6cac27bcdac058036a36b",
	    "404142434445464748494a4b4c4d4e4f",
	    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f",
	    "request-sha256" };
	uint8_t h[32];
	char hex[65];
	size_t i;

	(void)state;
	assert_int_equal(bg_request2_describe(g, len, REASON, strlen(REASON),
	    out, sizeof(out)), BG_OK);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strstr(out, shown[i]) == NULL)
			fail_msg("not shown: %s\n%s", shown[i], out);
	assert_int_equal(bg_request2_hash(g, len, h), BG_OK);
	assert_int_equal(bg_hex_encode(h, 32, hex, sizeof(hex)), BG_OK);
	assert_non_null(strstr(out, hex));
	/* a reason that is not the signed one is refused, nothing shown */
	assert_int_equal(bg_request2_describe(g, len, REASON "!",
	    strlen(REASON) + 1, out, sizeof(out)), BG_ETAMPER);
	assert_string_equal(out, "");
	assert_non_null(strstr(bg_why(), "reason-sha256"));
	assert_int_equal(bg_request2_describe(g, len, REASON,
	    strlen(REASON) - 1, out, sizeof(out)), BG_ETAMPER);
	assert_int_equal(bg_request2_describe(g, len, NULL, 0, out,
	    sizeof(out)), BG_EINVAL);
	/* a malformed request is refused naming its line */
	assert_int_equal(bg_request2_describe(g, len - 1, REASON,
	    strlen(REASON), out, sizeof(out)), BG_EFORMAT);
	assert_string_equal(out, "");
	assert_non_null(strstr(bg_why(), "line 15"));
	/* too small: refused, not truncated */
	assert_int_equal(bg_request2_describe(g, len, REASON, strlen(REASON),
	    out, 200), BG_ETOOBIG);
	assert_string_equal(out, "");
}

/* A reason that would drive a terminal is shown escaped, once it matches. */
static void
test_describe_escapes(void **state)
{
	static const char reason[] = "ok\x1b[2J\r\nfake line \xe2\x80\xae\\";
	static char text[BG_REQUEST2_MAX], out[4 * BG_REQUEST2_MAX];
	struct bg_request2 *rq = sample();
	size_t len, i;

	(void)state;
	assert_int_equal(bg_reason_sha256(reason, sizeof(reason) - 1,
	    rq->reason_sha256), BG_OK);
	assert_int_equal(bg_request2_build(rq, text, sizeof(text), &len),
	    BG_OK);
	assert_int_equal(bg_request2_describe(text, len, reason,
	    sizeof(reason) - 1, out, sizeof(out)), BG_OK);
	assert_non_null(strstr(out, "\"ok\\x1b[2J\\x0d\\x0afake line "
	    "\\xe2\\x80\\xae\\\\\""));
	for (i = 0; out[i] != '\0'; i++)
		assert_true(out[i] == '\n' ||
		    (out[i] >= 0x20 && out[i] < 0x7f));
	free(rq);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_round_trip_longest),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_every_byte_mutation),
		cmocka_unit_test(test_trailing_and_truncated),
		cmocka_unit_test(test_lines_refused),
		cmocka_unit_test(test_entries_refused),
		cmocka_unit_test(test_fields_refused),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_describe_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
