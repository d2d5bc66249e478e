/*
 * Approval statements of vault format v2 (quorum/statement2.c,
 * docs/design.md §5.2, "Approve" step 3): the canonical text (a known
 * answer, and its tagged hash), build -> parse -> build identical, one
 * text per statement (every single-byte change, deletion or insertion
 * either fails to parse or parses to a different statement with a
 * different hash), every truncation and any trailing byte refused, each
 * rule refused with BG_EFORMAT and a bg_why() naming the line, a deny
 * that names a box refused, and what an approver is shown.
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

#define H_OPEN0 \
    "101112131415161718191a1b1c1d1e1f" \
    "202122232425262728292a2b2c2d2e2f"
#define H_WRIT0 \
    "303132333435363738393a3b3c3d3e3f" \
    "404142434445464748494a4b4c4d4e4f"
#define H_OPEN1 \
    "505152535455565758595a5b5c5d5e5f" \
    "606162636465666768696a6b6c6d6e6f"
#define H_WRIT1 \
    "707172737475767778797a7b7c7d7e7f" \
    "808182838485868788898a8b8c8d8e8f"
#define ZERO64 \
    "00000000000000000000000000000000" \
    "00000000000000000000000000000000"

#define GOLDEN \
    "format breakglass-approval-v2\n" \
    "vault 000102030405060708090a0b0c0d0e0f" \
    "101112131415161718191a1b1c1d1e1f\n" \
    "chain a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" \
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n" \
    "request-sha256 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf" \
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf\n" \
    "log-size 42\n" \
    "log-root e0e1e2e3e4e5e6e7e8e9eaebecedeeef" \
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\n" \
    "group mfa\n" \
    "person carol\n" \
    "token 00112233445566778899aabbccddeeff\n" \
    "decision approve\n" \
    "entries 2\n" \
    "entry root-mfa 1 0 7 2 " H_OPEN0 " " H_WRIT0 "\n" \
    "entry root-password 3 17 7 2 " H_OPEN1 " " H_WRIT1 "\n"

#define NLINES 13
#define LINE_MAX_ 320

/* Zeroed, so whole structs compare with memcmp. */
static struct bg_statement2 *
sample(void)
{
	struct bg_statement2 *st = calloc(1, sizeof(*st));
	size_t i;

	assert_non_null(st);
	for (i = 0; i < 32; i++) {
		st->vault[i] = (uint8_t)i;
		st->chain[i] = (uint8_t)(0xa0 + i);
		st->request[i] = (uint8_t)(0xc0 + i);
		st->log_root[i] = (uint8_t)(0xe0 + i);
		st->entry[0].opened[i] = (uint8_t)(0x10 + i);
		st->entry[0].written[i] = (uint8_t)(0x30 + i);
		st->entry[1].opened[i] = (uint8_t)(0x50 + i);
		st->entry[1].written[i] = (uint8_t)(0x70 + i);
	}
	st->log_size = 42;
	strcpy(st->group, "mfa");
	strcpy(st->person, "carol");
	strcpy(st->token, "00112233445566778899aabbccddeeff");
	st->decision = BG_DECISION_APPROVE;
	st->nentries = 2;
	strcpy(st->entry[0].item, "root-mfa");
	st->entry[0].version = 1;
	st->entry[0].slot = 0;
	strcpy(st->entry[1].item, "root-password");
	st->entry[1].version = 3;
	st->entry[1].slot = 17;
	for (i = 0; i < 2; i++) {
		st->entry[i].epoch = 7;
		st->entry[i].x = 2;
	}
	return st;
}

static struct bg_statement2 *
denial(void)
{
	struct bg_statement2 *st = sample();
	size_t i;

	st->decision = BG_DECISION_DENY;
	for (i = 0; i < st->nentries; i++) {
		memset(st->entry[i].opened, 0, 32);
		memset(st->entry[i].written, 0, 32);
	}
	return st;
}

static struct bg_statement2 *
parsed(const char *text, size_t len)
{
	struct bg_statement2 *st = malloc(sizeof(*st));

	assert_non_null(st);
	memset(st, 0xa5, sizeof(*st));
	assert_int_equal(bg_statement2_parse(text, len, st), BG_OK);
	return st;
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
	static const char tag[] = "breakglass/v2/approval";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, tag, sizeof(tag)), 1); /* NUL */
	assert_int_equal(EVP_DigestUpdate(ctx, text, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

/* build -> text; parse -> the same struct; build again -> the same text */
static size_t
round_trip(const struct bg_statement2 *st, char *text, size_t textsz)
{
	static char again[BG_STATEMENT2_MAX];
	struct bg_statement2 *back;
	size_t len, len2;

	assert_int_equal(bg_statement2_build(st, text, textsz, &len), BG_OK);
	assert_true(len <= BG_STATEMENT2_MAX);
	back = parsed(text, len);
	assert_memory_equal(back, st, sizeof(*st));
	assert_int_equal(bg_statement2_build(back, again, sizeof(again),
	    &len2), BG_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, text, len);
	free(back);
	return len;
}

static void
test_known_text(void **state)
{
	struct bg_statement2 *st = sample();
	static char text[BG_STATEMENT2_MAX];
	uint8_t h[32], want[32];
	size_t len, len2;

	(void)state;
	len = round_trip(st, text, sizeof(text));
	assert_int_equal(len, strlen(GOLDEN));
	assert_memory_equal(text, GOLDEN, len);
	/* what the approver's token signs: the tagged hash */
	assert_int_equal(bg_statement2_hash(text, len, h), BG_OK);
	tagged(GOLDEN, strlen(GOLDEN), want);
	assert_memory_equal(h, want, 32);
	assert_int_equal(EVP_Digest(GOLDEN, len, want, NULL, EVP_sha256(),
	    NULL), 1);
	assert_memory_not_equal(h, want, 32);
	assert_int_equal(bg_statement2_build(st, text, len, &len2), BG_OK);
	assert_int_equal(bg_statement2_build(st, text, len - 1, &len2),
	    BG_ETOOBIG);
	assert_int_equal(len2, 0);
	free(st);
}

static void
test_deny(void **state)
{
	struct bg_statement2 *st = denial();
	static char text[BG_STATEMENT2_MAX];
	size_t len;

	(void)state;
	len = round_trip(st, text, sizeof(text));
	text[len] = '\0';
	assert_non_null(strstr(text, "\ndecision deny\n"));
	assert_non_null(strstr(text, "\nentry root-mfa 1 0 7 2 " ZERO64 " "
	    ZERO64 "\n"));
	free(st);
}

/* The longest statement: 32 entries, every name and number at most. */
static void
test_round_trip_longest(void **state)
{
	struct bg_statement2 *st = sample();
	static char text[BG_STATEMENT2_MAX], out[2 * BG_STATEMENT2_MAX];
	size_t len, i;

	(void)state;
	memset(st->group, 'g', BG_NAME_MAX);
	memset(st->person, 'p', BG_NAME_MAX);
	st->log_size = UINT64_MAX;
	st->nentries = BG_POLICY_ITEMS_MAX;
	for (i = 0; i < BG_POLICY_ITEMS_MAX; i++) {
		memset(st->entry[i].item, 'a', BG_NAME_MAX);
		st->entry[i].item[BG_NAME_MAX - 1] = (char)('A' + i % 26);
		st->entry[i].item[BG_NAME_MAX - 2] = (char)('0' + i / 26);
		st->entry[i].version = UINT64_MAX;
		st->entry[i].slot = BG_SLOTS_MAX - 1;
		st->entry[i].epoch = UINT64_MAX;
		st->entry[i].x = 255;
		memset(st->entry[i].opened, 0xff, 32);
		memset(st->entry[i].written, 0xee, 32);
	}
	len = round_trip(st, text, sizeof(text));
	assert_int_equal(bg_statement2_describe(text, len, out, sizeof(out)),
	    BG_OK);
	free(st);
}

static void
refuse_build(struct bg_statement2 *st, const char *why)
{
	static char text[BG_STATEMENT2_MAX];
	size_t len = 1;

	assert_int_equal(bg_statement2_build(st, text, sizeof(text), &len),
	    BG_EINVAL);
	assert_int_equal(len, 0);
	if (strstr(bg_why(), why) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", bg_why(), why);
	free(st);
}

static void
test_build_refuses(void **state)
{
	struct bg_statement2 *st;
	size_t len;

	(void)state;
#define REFUSE(make, stmt, why) do {					\
	st = make();							\
	stmt;								\
	refuse_build(st, why);						\
} while (0)
	REFUSE(sample, strcpy(st->group, "m fa"), "invalid group");
	REFUSE(sample, st->person[0] = '\0', "invalid person");
	REFUSE(sample, st->token[0] = 'A', "invalid token");
	REFUSE(sample, st->token[31] = '\0', "invalid token");
	/* 33 hex digits: no terminating NUL, and nothing read past it */
	REFUSE(sample, memset(st->token, 'a', sizeof(st->token)),
	    "invalid token");
	REFUSE(sample, st->decision = 0, "invalid decision");
	REFUSE(sample, st->decision = 3, "invalid decision");
	REFUSE(sample, st->nentries = 0, "invalid entries");
	REFUSE(sample, st->nentries = BG_POLICY_ITEMS_MAX + 1,
	    "invalid entries");
	REFUSE(sample, st->entry[1].version = 0, "at least 1");
	REFUSE(sample, st->entry[1].slot = BG_SLOTS_MAX, "below 256");
	REFUSE(sample, st->entry[1].x = 0, "1..255");
	REFUSE(sample, strcpy(st->entry[0].item, "root-password"), "sorted");
	REFUSE(sample, strcpy(st->entry[0].item, "ROOT-PASSWORD"), "twice");
	REFUSE(sample, memset(st->entry[1].opened, 0, 32), "neither hash");
	REFUSE(sample, memset(st->entry[0].written, 0, 32), "neither hash");
	REFUSE(denial, st->entry[1].opened[31] = 1, "all zero");
	REFUSE(denial, st->entry[0].written[0] = 1, "all zero");
#undef REFUSE
	st = sample();
	assert_int_equal(bg_statement2_build(st, NULL, 0, &len), BG_EINVAL);
	assert_int_equal(bg_statement2_build(NULL, (char *)st, 1, &len),
	    BG_EINVAL);
	free(st);
}

/*
 * One statement, one text: any accepted change is a different statement
 * with a different hash.
 */
static void
check_mutant(const char *m, size_t len, const struct bg_statement2 *orig,
    const uint8_t orig_hash[32], unsigned *accepted)
{
	static struct bg_statement2 st;
	uint8_t h[32];

	if (bg_statement2_parse(m, len, &st) != BG_OK) {
		assert_true(bg_why()[0] != '\0');
		assert_int_equal(bg_statement2_hash(m, len, h), BG_EFORMAT);
		return;
	}
	assert_memory_not_equal(&st, orig, sizeof(st));
	assert_int_equal(bg_statement2_hash(m, len, h), BG_OK);
	assert_memory_not_equal(h, orig_hash, 32);
	(*accepted)++;
}

static void
mutate_all(const char *g, const struct bg_statement2 *orig)
{
	static const char ins[] = { ' ', '\n', '\r', '\0', 'a', '0', 'A',
	    '-' };
	static char m[BG_STATEMENT2_MAX + 1];
	const size_t len = strlen(g);
	uint8_t oh[32];
	unsigned b, accepted = 0, tried = 0;
	size_t i, k;

	assert_int_equal(bg_statement2_hash(g, len, oh), BG_OK);
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
	assert_true(accepted > 0);
	assert_true(accepted < tried / 10);
}

static void
test_every_byte_mutation(void **state)
{
	static char text[BG_STATEMENT2_MAX + 1];
	struct bg_statement2 *st = sample();
	size_t len;

	(void)state;
	mutate_all(GOLDEN, st);
	free(st);
	/* a deny: its zero hashes may not change either */
	st = denial();
	assert_int_equal(bg_statement2_build(st, text, sizeof(text) - 1,
	    &len), BG_OK);
	text[len] = '\0';
	mutate_all(text, st);
	free(st);
}

static void
test_trailing_and_truncated(void **state)
{
	static const char *const tails[] = { "\n", "x", " ", "\0", "\r",
	    "entry zz 1 0 7 2 " H_OPEN0 " " H_WRIT0 "\n", "format x\n" };
	static char t[BG_STATEMENT2_MAX + 512];
	static struct bg_statement2 st;
	const size_t len = strlen(GOLDEN);
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		n = i == 3 ? 1 : strlen(tails[i]);
		memcpy(t, GOLDEN, len);
		memcpy(t + len, tails[i], n);
		assert_int_equal(bg_statement2_parse(t, len + n, &st),
		    BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "line 14 "));
	}
	for (n = 0; n < len; n++) {	/* every truncation */
		assert_int_equal(bg_statement2_parse(GOLDEN, n, &st),
		    BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "approval statement: line "));
	}
	assert_true(zeroed(&st, sizeof(st)));
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

/* The text of ls is refused, and bg_why() holds why (and why2). */
static void
refused(const struct lines *ls, const char *why, const char *why2)
{
	static char t[sizeof(ls->l)];
	static struct bg_statement2 st;
	size_t n = join(ls, t);

	assert_int_equal(bg_statement2_parse(t, n, &st), BG_EFORMAT);
	if (strstr(bg_why(), why) == NULL ||
	    (why2 != NULL && strstr(bg_why(), why2) == NULL))
		fail_msg("why \"%s\" lacks \"%s\" or \"%s\" for\n%.*s",
		    bg_why(), why, why2 != NULL ? why2 : "", (int)n, t);
}

static int
accepted(const struct lines *ls)
{
	static char t[sizeof(ls->l)];
	static struct bg_statement2 st;

	return bg_statement2_parse(t, join(ls, t), &st) == BG_OK;
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
		snprintf(want, sizeof(want), "line %zu ",
		    i + (i == 11 ? 2 : 1));
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
	/* lines out of order */
	split(&ls);
	swap_lines(&ls, 6, 7);
	refused(&ls, "line 7 (group)", "expected");
	split(&ls);
	swap_lines(&ls, 4, 5);
	refused(&ls, "line 5 (log-size)", "expected");
	split(&ls);
	swap_lines(&ls, 9, 10);
	refused(&ls, "line 10 (decision)", "expected");
}

static void
test_entries_refused(void **state)
{
	static struct lines ls;
	char e[LINE_MAX_];
	size_t i;

	(void)state;
	refused_with(13, "entry root-mfa 1 0 7 2 " H_OPEN1 " " H_WRIT1,
	    "line 13 (entry)", "sorted");
	split(&ls);
	set_line(&ls, 11, "entry ROOT-PASSWORD 1 0 7 2 " H_OPEN0 " "
	    H_WRIT0);
	refused(&ls, "line 13 (entry)", "twice");
	split(&ls);
	swap_lines(&ls, 11, 12);
	refused(&ls, "line 13 (entry)", "sorted");
	/* the count and the lines disagree */
	refused_with(11, "entries 1", "line 13 (entry)", "unexpected");
	refused_with(11, "entries 3", "line 14 (entry)", "missing");
	refused_with(11, "entries 2 ", "line 11 (entries)", "leading zeros");
	/* none */
	split(&ls);
	delete_line(&ls, 11);
	delete_line(&ls, 11);
	refused(&ls, "line 12 (entry)", "missing");
	set_line(&ls, 10, "entries 0");
	refused(&ls, "line 11 (entries)", "1..32");
	/* 32 are fine, 33 are not */
	set_line(&ls, 10, "entries 32");
	for (i = 0; i < BG_POLICY_ITEMS_MAX; i++) {
		snprintf(e, sizeof(e), "entry item%02zu 1 %zu 0 1 " H_OPEN0 " "
		    H_WRIT0, i, i);
		insert_line(&ls, 11 + i, e);
	}
	assert_true(accepted(&ls));
	insert_line(&ls, 11 + i, "entry zz 1 0 0 1 " H_OPEN0 " " H_WRIT0);
	refused(&ls, "line 44 (entry)", "unexpected");
	set_line(&ls, 10, "entries 33");
	refused(&ls, "line 11 (entries)", "1..32");
#define E(s) "entry root-mfa " s " " H_OPEN0 " " H_WRIT0
	refused_with(12, E("0 0 7 2"), "line 12 (entry)", "at least 1");
	refused_with(12, E("1 256 7 2"), "line 12 (entry)", "below 256");
	refused_with(12, E("1 0 7 0"), "line 12 (entry)", "1..255");
	refused_with(12, E("1 0 7 256"), "line 12 (entry)", "1..255");
	refused_with(12, E("01 0 7 2"), "line 12 (entry)", "leading zeros");
	refused_with(12, E("1 00 7 2"), "line 12 (entry)", "leading zeros");
	refused_with(12, E("1 0 07 2"), "line 12 (entry)", "leading zeros");
	refused_with(12, E("1 0 7 02"), "line 12 (entry)", "leading zeros");
	refused_with(12, E("1 0 18446744073709551616 2"), "line 12 (entry)",
	    "leading zeros");
	refused_with(12, E("1 0 7  2"), "line 12 (entry)", "one space");
	refused_with(12, E("1 0 7"), "line 12 (entry)", "one space");
	refused_with(12, "entry root-mfa 1 0 7 2 " H_OPEN0, "line 12 (entry)",
	    "one space");
	refused_with(12, "entry root-mfa 1 0 7 2 " H_OPEN0 " " H_WRIT0 " 1",
	    "line 12 (entry)", "one space");
	refused_with(12, "entry root-mfa 1 0 7 2 " H_OPEN0 " " ZERO64,
	    "line 12 (entry)", "neither hash");
	refused_with(12, "entry root-mfa 1 0 7 2 " ZERO64 " " ZERO64,
	    "line 12 (entry)", "neither hash");
	refused_with(12, "entry root-mfa 1 0 7 2 " H_OPEN0 " 3031",
	    "line 12 (entry)", "hex");
	refused_with(12, "entry root-mfa 1 0 7 2 " H_OPEN0 " " H_WRIT0 "A",
	    "line 12 (entry)", "hex");
	refused_with(12, "entry root/mfa 1 0 7 2 " H_OPEN0 " " H_WRIT0,
	    "line 12 (entry)", "a name");
#undef E
	/* the largest values are fine */
	split(&ls);
	set_line(&ls, 12, "entry root-password 18446744073709551615 255 "
	    "18446744073709551615 255 " H_OPEN1 " " H_WRIT1);
	assert_true(accepted(&ls));
}

static void
test_deny_refused(void **state)
{
	static struct lines ls;

	(void)state;
	split(&ls);
	set_line(&ls, 9, "decision deny");
	refused(&ls, "line 12 (entry)", "all zero");
	set_line(&ls, 11, "entry root-mfa 1 0 7 2 " ZERO64 " " ZERO64);
	refused(&ls, "line 13 (entry)", "all zero");
	set_line(&ls, 12, "entry root-password 3 17 7 2 " ZERO64 " " H_WRIT1);
	refused(&ls, "line 13 (entry)", "all zero");
	set_line(&ls, 12, "entry root-password 3 17 7 2 " H_OPEN1 " " ZERO64);
	refused(&ls, "line 13 (entry)", "all zero");
	set_line(&ls, 12, "entry root-password 3 17 7 2 " ZERO64 " " ZERO64);
	assert_true(accepted(&ls));
	set_line(&ls, 9, "decision approve");
	refused(&ls, "line 12 (entry)", "neither hash");
}

static void
test_fields_refused(void **state)
{
	static struct bg_statement2 st;

	(void)state;
	refused_with(1, "format breakglass-approval-v1", "line 1 (format)",
	    NULL);
	refused_with(1, "format breakglass-request-v2", "line 1 (format)",
	    NULL);
	refused_with(2, "vault 000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f", "line 2 (vault)", "hex");
	refused_with(3, "chain 00", "line 3 (chain)", "hex");
	refused_with(4, "request-sha256 0123456789abcdef0123456789abcdef",
	    "line 4 (request-sha256)", "hex");
	refused_with(5, "log-size 042", "line 5 (log-size)", "leading zeros");
	refused_with(5, "log-size -1", "line 5 (log-size)", NULL);
	refused_with(5, "log-size 18446744073709551616", "line 5 (log-size)",
	    NULL);
	refused_with(5, "log-size 0x2a", "line 5 (log-size)", NULL);
	refused_with(6, "log-root ", "line 6 (log-root)", "empty");
	refused_with(7, "group -mfa", "line 7 (group)", "a name");
	refused_with(8, "person carol ", "line 8 (person)", "a name");
	refused_with(9, "token 00112233445566778899AABBCCDDEEFF",
	    "line 9 (token)", "hex");
	refused_with(9, "token 00112233445566778899aabbccddee",
	    "line 9 (token)", "hex");
	refused_with(10, "decision yes", "line 10 (decision)", "approve or "
	    "deny");
	refused_with(10, "decision Approve", "line 10 (decision)", NULL);
	refused_with(10, "decision approve ", "line 10 (decision)", NULL);
	assert_int_equal(bg_statement2_parse(GOLDEN, 0, &st), BG_EFORMAT);
	assert_true(zeroed(&st, sizeof(st)));
	assert_int_equal(bg_statement2_parse(NULL, 0, &st), BG_EINVAL);
}

/* ------------------------------------------------------------- describe */

static void
test_describe(void **state)
{
	static char out[2 * BG_STATEMENT2_MAX], text[BG_STATEMENT2_MAX];
	static const char *const shown[] = { "APPROVE", "mfa", "carol",
	    "00112233445566778899aabbccddeeff",
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
	    "log size           42",
	    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	    "root-mfa  version 1  slot 0  epoch 7  x 2",
	    "root-password  version 3  slot 17  epoch 7  x 2",
	    H_OPEN0, H_WRIT0, H_OPEN1, H_WRIT1 };
	struct bg_statement2 *st;
	const size_t len = strlen(GOLDEN);
	size_t i, n;

	(void)state;
	assert_int_equal(bg_statement2_describe(GOLDEN, len, out,
	    sizeof(out)), BG_OK);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strstr(out, shown[i]) == NULL)
			fail_msg("not shown: %s\n%s", shown[i], out);
	for (i = 0; out[i] != '\0'; i++)
		assert_true(out[i] == '\n' ||
		    (out[i] >= 0x20 && out[i] < 0x7f));
	/* a deny says so, and shows no box */
	st = denial();
	assert_int_equal(bg_statement2_build(st, text, sizeof(text), &n),
	    BG_OK);
	assert_int_equal(bg_statement2_describe(text, n, out, sizeof(out)),
	    BG_OK);
	assert_non_null(strstr(out, "DENY"));
	assert_null(strstr(out, "APPROVE"));
	assert_null(strstr(out, "box"));
	free(st);
	/* malformed: refused naming the line, nothing shown */
	assert_int_equal(bg_statement2_describe(GOLDEN, len - 1, out,
	    sizeof(out)), BG_EFORMAT);
	assert_string_equal(out, "");
	assert_non_null(strstr(bg_why(), "line 13"));
	/* too small: refused, not truncated */
	assert_int_equal(bg_statement2_describe(GOLDEN, len, out, 300),
	    BG_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(bg_statement2_describe(GOLDEN, len, NULL, 10),
	    BG_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_deny),
		cmocka_unit_test(test_round_trip_longest),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_every_byte_mutation),
		cmocka_unit_test(test_trailing_and_truncated),
		cmocka_unit_test(test_lines_refused),
		cmocka_unit_test(test_entries_refused),
		cmocka_unit_test(test_deny_refused),
		cmocka_unit_test(test_fields_refused),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
