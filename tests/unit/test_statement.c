/*
 * Approval statements (quorum/statement.c, docs/design.md §5): the canonical text
 * (a known answer), build -> parse -> identical, one text per statement
 * (every single-byte change, deletion or insertion either fails to parse
 * or parses to a different statement with a different SHA-256), refusal
 * of reordered, missing, extra, CR-terminated, trailing and over-long
 * lines, RFC 3339 times against the C library, and what an approver is
 * shown: every field, nothing else, no byte that drives a terminal.
 * Requests (quorum/request.c): strict JSON, field rules (one line of
 * UTF-8 without control or bidi-override characters for the reason),
 * conformance to a policy, and statements that take their fields from
 * the request.
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

#include "tests/unit/testutil.h"

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define GOLDEN \
    "format breakglass-approval-v1\n" \
    "vault 000102030405060708090a0b0c0d0e0f\n" \
    "request 0123456789abcdef0123456789abcdef\n" \
    "account 123456789012\n" \
    "requester alice\n" \
    "reason-sha256 " \
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n" \
    "expiry 2023-11-14T22:13:20Z\n" \
    "group mfa\n" \
    "custodian carol\n" \
    "share-sha256 " \
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n"

#define NLINES 10

static struct bg_statement
sample(void)
{
	struct bg_statement st;
	size_t i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < 16; i++)
		st.vault[i] = (uint8_t)i;
	strcpy(st.request, "0123456789abcdef0123456789abcdef");
	strcpy(st.account, "123456789012");
	strcpy(st.requester, "alice");
	for (i = 0; i < 32; i++) {
		st.reason_sha256[i] = (uint8_t)(0x20 + i);
		st.share_sha256[i] = (uint8_t)(0x40 + i);
	}
	st.expiry = 1700000000;	/* 2023-11-14T22:13:20Z */
	strcpy(st.group, "mfa");
	strcpy(st.custodian, "carol");
	return st;
}

static int
same(const struct bg_statement *a, const struct bg_statement *b)
{
	return memcmp(a->vault, b->vault, 16) == 0 &&
	    strcmp(a->request, b->request) == 0 &&
	    strcmp(a->account, b->account) == 0 &&
	    strcmp(a->requester, b->requester) == 0 &&
	    memcmp(a->reason_sha256, b->reason_sha256, 32) == 0 &&
	    a->expiry == b->expiry && strcmp(a->group, b->group) == 0 &&
	    strcmp(a->custodian, b->custodian) == 0 &&
	    memcmp(a->share_sha256, b->share_sha256, 32) == 0;
}

static void
sha256(const void *p, size_t n, uint8_t out[32])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

static int
parses(const char *text, size_t len)
{
	struct bg_statement st;

	return bg_statement_parse(text, len, &st) == BG_OK;
}

static void
test_known_text(void **state)
{
	struct bg_statement st = sample(), back;
	char text[BG_STATEMENT_MAX];
	uint8_t h[32], want[32];
	size_t len;

	(void)state;
	assert_int_equal(bg_statement_build(&st, text, sizeof(text), &len),
	    BG_OK);
	assert_int_equal(len, strlen(GOLDEN));
	assert_memory_equal(text, GOLDEN, len);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(bg_statement_parse(text, len, &back), BG_OK);
	assert_true(same(&st, &back));
	/* what a FIDO2 approver signs as clientDataHash */
	assert_int_equal(bg_statement_hash(text, len, h), BG_OK);
	sha256(GOLDEN, strlen(GOLDEN), want);
	assert_memory_equal(h, want, 32);
	/* exact output size is enough, one byte less is not */
	assert_int_equal(bg_statement_build(&st, text, len, &len), BG_OK);
	assert_int_equal(bg_statement_build(&st, text, len - 1, &len),
	    BG_ETOOBIG);
	assert_int_equal(len, 0);
}

static void
test_round_trip_longest(void **state)
{
	struct bg_statement st = sample(), back;
	char text[BG_STATEMENT_MAX];
	size_t len;

	(void)state;
	memset(st.account, '9', BG_ACCOUNT_MAX);
	st.account[BG_ACCOUNT_MAX] = '\0';
	memset(st.requester, 'r', BG_NAME_MAX);
	st.requester[BG_NAME_MAX] = '\0';
	memset(st.group, 'g', BG_NAME_MAX);
	st.group[BG_NAME_MAX] = '\0';
	memset(st.custodian, 'c', BG_NAME_MAX);
	st.custodian[BG_NAME_MAX] = '\0';
	st.expiry = BG_TIME_MAX;
	memset(st.vault, 0xff, 16);
	assert_int_equal(bg_statement_build(&st, text, sizeof(text), &len),
	    BG_OK);
	assert_true(len < BG_STATEMENT_MAX);
	assert_int_equal(bg_statement_parse(text, len, &back), BG_OK);
	assert_true(same(&st, &back));
	text[len] = '\0';
	assert_non_null(strstr(text, "\nexpiry 9999-12-31T23:59:59Z\n"));
}

static void
test_build_refuses(void **state)
{
	struct bg_statement st, base = sample();
	char text[BG_STATEMENT_MAX];
	size_t len;

	(void)state;
#define REFUSE(stmt) do {						\
	st = base;							\
	stmt;								\
	assert_int_equal(bg_statement_build(&st, text, sizeof(text),	\
	    &len), BG_EINVAL);						\
} while (0)
	REFUSE(st.request[0] = 'A');
	REFUSE(st.request[31] = '\0');
	REFUSE(strcpy(st.account, "prod_root"));
	REFUSE(st.account[0] = '\0');
	REFUSE(strcpy(st.requester, "al ice"));
	REFUSE(strcpy(st.requester, "alice\n"));
	REFUSE(st.group[0] = '\0');
	REFUSE(strcpy(st.custodian, ".carol"));
	REFUSE(st.expiry = BG_TIME_MAX + 1);
#undef REFUSE
	st = base;
	assert_int_equal(bg_statement_build(NULL, text, sizeof(text), &len),
	    BG_EINVAL);
	assert_int_equal(bg_statement_build(&st, NULL, sizeof(text), &len),
	    BG_EINVAL);
}

/*
 * One statement, one text: any accepted change is a different statement
 * with a different hash. (A text that differs and parses to the same
 * fields would let two parties disagree on what was signed.)
 */
static void
check_mutant(const char *m, size_t len, const struct bg_statement *orig,
    const uint8_t orig_hash[32], unsigned *accepted)
{
	struct bg_statement st;
	uint8_t h[32];

	if (bg_statement_parse(m, len, &st) != BG_OK) {
		assert_int_equal(bg_statement_hash(m, len, h), BG_EFORMAT);
		return;
	}
	assert_false(same(&st, orig));
	assert_int_equal(bg_statement_hash(m, len, h), BG_OK);
	assert_memory_not_equal(h, orig_hash, 32);
	(*accepted)++;
}

static void
test_every_byte_mutation(void **state)
{
	static const char ins[] = { ' ', '\n', '\r', '\t', '\0', 'a', '0',
	    'A', '-', 'Z' };
	struct bg_statement orig = sample();
	const char *g = GOLDEN;
	const size_t len = strlen(g);
	char m[BG_STATEMENT_MAX + 1];
	uint8_t oh[32];
	unsigned b, accepted = 0, tried = 0;
	size_t i, k;

	(void)state;
	assert_int_equal(bg_statement_hash(g, len, oh), BG_OK);
	for (i = 0; i < len; i++) {
		for (b = 0; b < 256; b++) {
			if (b == (unsigned char)g[i])
				continue;
			memcpy(m, g, len);
			m[i] = (char)b;
			check_mutant(m, len, &orig, oh, &accepted);
			tried++;
		}
		/* deletion */
		memcpy(m, g, i);
		memcpy(m + i, g + i + 1, len - i - 1);
		check_mutant(m, len - 1, &orig, oh, &accepted);
		/* insertion */
		for (k = 0; k < sizeof(ins); k++) {
			memcpy(m, g, i);
			m[i] = ins[k];
			memcpy(m + i + 1, g + i, len - i);
			check_mutant(m, len + 1, &orig, oh, &accepted);
		}
	}
	/* both outcomes occur: hex digits and names can change */
	assert_true(accepted > 0);
	assert_true(accepted < tried / 10);
}

/* The GOLDEN lines, each with its '\n'. */
static void
split(char lines[NLINES][160])
{
	const char *p = GOLDEN, *nl;
	size_t i;

	for (i = 0; i < NLINES; i++) {
		assert_non_null(nl = strchr(p, '\n'));
		assert_true((size_t)(nl - p) + 2 < 160);
		memcpy(lines[i], p, (size_t)(nl - p) + 1);
		lines[i][nl - p + 1] = '\0';
		p = nl + 1;
	}
	assert_int_equal(*p, '\0');
}

static void
test_lines_refused(void **state)
{
	static char t[2048];
	char lines[NLINES][160];
	size_t i, j, k;

	(void)state;
	split(lines);
	for (i = 0; i < NLINES; i++) {
		/* line i missing */
		t[0] = '\0';
		for (j = 0; j < NLINES; j++)
			if (j != i)
				strcat(t, lines[j]);
		assert_false(parses(t, strlen(t)));
		/* line i twice */
		t[0] = '\0';
		for (j = 0; j < NLINES; j++) {
			strcat(t, lines[j]);
			if (j == i)
				strcat(t, lines[j]);
		}
		assert_false(parses(t, strlen(t)));
		/* an unknown line after line i */
		t[0] = '\0';
		for (j = 0; j < NLINES; j++) {
			strcat(t, lines[j]);
			if (j == i)
				strcat(t, "note approve-anything\n");
		}
		assert_false(parses(t, strlen(t)));
		/* lines i and k swapped */
		for (k = i + 1; k < NLINES; k++) {
			t[0] = '\0';
			for (j = 0; j < NLINES; j++)
				strcat(t, lines[j == i ? k : j == k ? i : j]);
			assert_false(parses(t, strlen(t)));
		}
		/* CR before line i's newline */
		t[0] = '\0';
		for (j = 0; j < NLINES; j++) {
			strcat(t, lines[j]);
			if (j == i)
				strcpy(t + strlen(t) - 1, "\r\n");
		}
		assert_false(parses(t, strlen(t)));
	}
	/* CRLF throughout */
	t[0] = '\0';
	for (j = 0; j < NLINES; j++) {
		strcat(t, lines[j]);
		strcpy(t + strlen(t) - 1, "\r\n");
	}
	assert_false(parses(t, strlen(t)));
	assert_true(parses(GOLDEN, strlen(GOLDEN)));
}

static void
test_trailing_and_truncated(void **state)
{
	const size_t len = strlen(GOLDEN);
	static const char *const tails[] = { "\n", "x", " ", "\0", "\r",
	    "format breakglass-approval-v1\n" };
	char t[2048];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		n = i == 3 ? 1 : strlen(tails[i]);
		memcpy(t, GOLDEN, len);
		memcpy(t + len, tails[i], n);
		assert_false(parses(t, len + n));
	}
	for (n = 0; n < len; n++)	/* every truncation */
		assert_false(parses(GOLDEN, n));
	assert_false(parses("", 0));
}

/* GOLDEN with one line's value replaced. */
static int
parses_with(const char *key, const char *value)
{
	static char t[2048];
	char lines[NLINES][160];
	size_t j, klen = strlen(key);

	split(lines);
	t[0] = '\0';
	for (j = 0; j < NLINES; j++) {
		if (strncmp(lines[j], key, klen) == 0 &&
		    lines[j][klen] == ' ') {
			strcat(t, key);
			strcat(t, " ");
			strcat(t, value);
			strcat(t, "\n");
		} else
			strcat(t, lines[j]);
	}
	return parses(t, strlen(t));
}

/* GOLDEN with line idx replaced by the len bytes at line. */
static int
parses_line_n(size_t idx, const char *line, size_t len)
{
	static char t[2048];
	char lines[NLINES][160];
	size_t j, n = 0, l;

	split(lines);
	for (j = 0; j < NLINES; j++) {
		l = j == idx ? len : strlen(lines[j]);
		memcpy(t + n, j == idx ? line : lines[j], l);
		n += l;
	}
	return parses(t, n);
}

#define parses_line(idx, lit) parses_line_n(idx, lit, sizeof(lit) - 1)

static void
test_fields_refused(void **state)
{
	char v[80];

	(void)state;
	memset(v, 'a', sizeof(v));
	v[BG_NAME_MAX] = '\0';
	assert_true(parses_with("requester", v));
	assert_true(parses_with("custodian", v));
	assert_true(parses_with("group", v));
	v[BG_NAME_MAX] = 'a';
	v[BG_NAME_MAX + 1] = '\0';		/* over-long */
	assert_false(parses_with("requester", v));
	assert_false(parses_with("custodian", v));
	assert_false(parses_with("group", v));
	memset(v, '1', sizeof(v));
	v[BG_ACCOUNT_MAX] = '\0';
	assert_true(parses_with("account", v));
	v[BG_ACCOUNT_MAX] = '1';
	v[BG_ACCOUNT_MAX + 1] = '\0';
	assert_false(parses_with("account", v));
	assert_false(parses_with("format", "breakglass-approval-v2"));
	assert_false(parses_with("vault", "000102030405060708090A0B0C0D0E0F"));
	assert_false(parses_with("vault", "000102030405060708090a0b0c0d0e"));
	assert_false(parses_with("vault", "000102030405060708090a0b0c0d0e0f00"));
	assert_false(parses_with("request", "0123456789ABCDEF0123456789abcdef"));
	assert_false(parses_with("request", "0123456789abcdef"));
	assert_false(parses_with("account", "prod root"));
	assert_false(parses_with("account", "prod_root"));
	assert_false(parses_with("requester", "alice "));
	assert_false(parses_with("requester", " alice"));
	assert_false(parses_with("requester", ""));
	assert_false(parses_with("requester", "al\tice"));
	assert_false(parses_with("requester", "-alice"));
	assert_false(parses_with("group", "mfa\xc2\xa0"));
	assert_false(parses_with("expiry", "2023-11-14T22:13:20.000Z"));
	assert_false(parses_with("expiry", "2023-11-14T22:13:20+00:00"));
	assert_false(parses_with("expiry", "1700000000"));
	assert_false(parses_with("reason-sha256", "00"));
	/* the key must be exact and followed by one space */
	assert_true(parses_with("group", "mfa"));
	assert_false(parses_with("group", " mfa"));
	assert_false(parses_line(7, "Group mfa\n"));
	assert_false(parses_line(7, "group\tmfa\n"));
	assert_false(parses_line(7, "groupmfa\n"));
	assert_false(parses_line(7, "group\n"));
	assert_false(parses_line(7, "\n"));
	assert_false(parses_line(7, "group mfa \n"));
	assert_false(parses_line(7, "group m\0a\n"));
	assert_true(parses_line(7, "group mfa\n"));
}

static void
test_rfc3339_known(void **state)
{
	static const struct {
		uint64_t t;
		const char *s;
	} kat[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 1700000000, "2023-11-14T22:13:20Z" },
		{ 4107542399ULL, "2100-02-28T23:59:59Z" },
		{ 4107542400ULL, "2100-03-01T00:00:00Z" },
		{ 13574563200ULL, "2400-02-29T00:00:00Z" },
		{ BG_TIME_MAX, "9999-12-31T23:59:59Z" },
	};
	static const char *const bad[] = {
		"2023-11-14t22:13:20Z", "2023-11-14T22:13:20z",
		"2023-11-14 22:13:20Z", "1969-12-31T23:59:59Z",
		"2023-13-01T00:00:00Z", "2023-00-01T00:00:00Z",
		"2023-11-00T00:00:00Z", "2023-11-31T00:00:00Z",
		"2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
		"2023-11-14T24:00:00Z", "2023-11-14T23:60:00Z",
		"2023-11-14T23:59:60Z", "+023-11-14T23:59:59Z",
		"2023-1-014T23:59:59Z", "2023-11-14T23:59:5 Z",
		"2023-11-14T23:59:59", "2023-11-14T23:59:59ZZ",
	};
	char out[BG_RFC3339_LEN + 1];
	uint64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		assert_int_equal(bg_rfc3339_format(kat[i].t, out), BG_OK);
		assert_string_equal(out, kat[i].s);
		assert_int_equal(bg_rfc3339_parse(kat[i].s, strlen(kat[i].s),
		    &t), BG_OK);
		assert_int_equal(t, kat[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bg_rfc3339_parse(bad[i], strlen(bad[i]), &t) != BG_EFORMAT)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(bg_rfc3339_format(BG_TIME_MAX + 1, out), BG_ERANGE);
	assert_string_equal(out, "");
	/* len is exact: a longer buffer holding a valid prefix is refused */
	assert_int_equal(bg_rfc3339_parse("2023-11-14T22:13:20Z", 19, &t),
	    BG_EFORMAT);
}

/* Agrees with gmtime_r/strftime over the whole range. */
static void
test_rfc3339_vs_libc(void **state)
{
	char a[BG_RFC3339_LEN + 1], b[64];
	uint64_t x = 88172645463325252ULL, t, back;
	struct tm tm;
	time_t tt;
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;	/* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		t = i < 1000 ? (uint64_t)i * 86399 : x % (BG_TIME_MAX + 1);
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ",
		    &tm), BG_RFC3339_LEN);
		assert_int_equal(bg_rfc3339_format(t, a), BG_OK);
		assert_string_equal(a, b);
		assert_int_equal(bg_rfc3339_parse(a, BG_RFC3339_LEN, &back),
		    BG_OK);
		assert_int_equal(back, t);
	}
}

/* Only printable ASCII and our own newlines reach the screen. */
static void
assert_inert(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p >= 0x7f))
			fail_msg("byte 0x%02x shown", *p);
}

static void
test_describe(void **state)
{
	static const char *const shown[] = {
		"breakglass-approval-v1",
		"000102030405060708090a0b0c0d0e0f",
		"0123456789abcdef0123456789abcdef",
		"123456789012",
		"alice",
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		"2023-11-14T22:13:20Z",
		"mfa",
		"carol",
		"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
	};
	static char out[4096];
	size_t i, n;

	(void)state;
	assert_int_equal(bg_statement_describe(GOLDEN, strlen(GOLDEN), NULL, 0,
	    out, sizeof(out)), BG_OK);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strstr(out, shown[i]) == NULL)
			fail_msg("%s not shown in:\n%s", shown[i], out);
	assert_null(strstr(out, "reason ("));
	assert_inert(out);
	/* one line per field (the heading names the format), no more */
	for (i = 0, n = 0; out[i] != '\0'; i++)
		n += out[i] == '\n';
	assert_int_equal(n, NLINES);
	assert_int_equal(out[i - 1], '\n');
	/* nothing rather than part of it */
	assert_int_equal(bg_statement_describe(GOLDEN, strlen(GOLDEN), NULL, 0,
	    out, 100), BG_ETOOBIG);
	assert_string_equal(out, "");
	/* a malformed statement shows nothing */
	assert_int_equal(bg_statement_describe(GOLDEN, strlen(GOLDEN) - 1,
	    NULL, 0, out, sizeof(out)), BG_EFORMAT);
	assert_string_equal(out, "");
}

/* The reason is shown only when it is the one the statement hashes. */
static void
test_describe_reason(void **state)
{
	static const char reason[] = "rotate root after INC-42\x1b[2J\x1b[32m"
	    "APPROVED\x1b[0m\r\n\"q\" \\ \xc3\xa9\x7f";
	const size_t rlen = sizeof(reason) - 1;
	struct bg_statement st = sample();
	static char text[BG_STATEMENT_MAX], out[4096];
	size_t len;

	(void)state;
	assert_int_equal(bg_reason_sha256(reason, rlen, st.reason_sha256),
	    BG_OK);
	assert_int_equal(bg_statement_build(&st, text, sizeof(text), &len),
	    BG_OK);
	assert_int_equal(bg_statement_describe(text, len, reason, rlen, out,
	    sizeof(out)), BG_OK);
	assert_non_null(strstr(out, "rotate root after INC-42\\x1b[2J\\x1b[32m"
	    "APPROVED\\x1b[0m\\x0d\\x0a\"q\" \\\\ \\xc3\\xa9\\x7f\"\n"));
	assert_non_null(strstr(out, "reason (matches reason-sha256)"));
	assert_inert(out);
	/* a different reason is tampering: nothing is shown */
	assert_int_equal(bg_statement_describe(text, len, reason, rlen - 1,
	    out, sizeof(out)), BG_ETAMPER);
	assert_string_equal(out, "");
	assert_int_equal(bg_statement_describe(GOLDEN, strlen(GOLDEN), reason,
	    rlen, out, sizeof(out)), BG_ETAMPER);
	assert_int_equal(bg_statement_describe(text, len, reason, rlen, out,
	    0), BG_EINVAL);
}

/* ------------------------------------------------------------- requests */

static const char *const ITEMS[] = { "root-password", "root-mfa" };

static struct bg_request_fields
fields(void)
{
	struct bg_request_fields f;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.id = "0123456789abcdef0123456789abcdef";
	f.account = "123456789012";
	f.requester = "alice";
	f.reason = "rotate root after INC-42 (\xc3\xa9t\xc3\xa9)";
	f.ticket = "INC-42";
	f.items = ITEMS;
	f.nitems = 2;
	f.created = 1700000000;
	f.expiry = 1700000000 + 4 * 3600;
	for (i = 0; i < 32; i++)
		f.key[i] = (uint8_t)(i + 1);
	return f;
}

#define REQUEST_JSON "{\"format\":\"breakglass-request-v1\"," \
    "\"id\":\"0123456789abcdef0123456789abcdef\"," \
    "\"account\":\"123456789012\",\"requester\":\"alice\"," \
    "\"reason\":\"rotate root after INC-42 (\xc3\xa9t\xc3\xa9)\"," \
    "\"ticket\":\"INC-42\",\"items\":[\"root-password\",\"root-mfa\"]," \
    "\"created\":\"2023-11-14T22:13:20Z\"," \
    "\"expiry\":\"2023-11-15T02:13:20Z\"," \
    "\"request_key\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"}"

static char *
request_print(const bg_request_t *rq)
{
	cJSON *j = NULL;
	char *s;

	assert_int_equal(bg_request_to_json(rq, &j), BG_OK);
	assert_non_null(s = cJSON_PrintUnformatted(j));
	cJSON_Delete(j);
	return s;
}

static int
request_load(const char *text, bg_request_t **rq)
{
	cJSON *j;
	int r;

	*rq = NULL;
	if ((j = bg_json_parse(text, strlen(text))) == NULL)
		return BG_EFORMAT;
	r = bg_request_from_json(j, rq);
	cJSON_Delete(j);
	return r;
}

static void
test_request_round_trip(void **state)
{
	struct bg_request_fields f = fields();
	bg_request_t *rq = NULL, *back = NULL;
	char *s1, *s2;

	(void)state;
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	s1 = request_print(rq);
	assert_string_equal(s1, REQUEST_JSON);
	assert_int_equal(request_load(s1, &back), BG_OK);
	s2 = request_print(back);
	assert_string_equal(s1, s2);
	assert_string_equal(bg_request_id(back), f.id);
	assert_string_equal(bg_request_account(back), f.account);
	assert_string_equal(bg_request_requester(back), f.requester);
	assert_string_equal(bg_request_reason(back), f.reason);
	assert_string_equal(bg_request_ticket(back), f.ticket);
	assert_int_equal(bg_request_nitems(back), 2);
	assert_string_equal(bg_request_items(back)[1], "root-mfa");
	assert_int_equal(bg_request_created(back), f.created);
	assert_int_equal(bg_request_expiry(back), f.expiry);
	assert_memory_equal(bg_request_key(back), f.key, 32);
	free(s1);
	free(s2);
	bg_request_free(&rq);
	bg_request_free(&back);
	assert_null(back);
	bg_request_free(NULL);
	/* no ticket and a fresh id */
	f.id = NULL;
	f.ticket = NULL;
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	assert_true(bg_request_id_valid(bg_request_id(rq)));
	assert_string_equal(bg_request_ticket(rq), "");
	assert_int_equal(bg_request_new(&f, &back), BG_OK);
	assert_string_not_equal(bg_request_id(rq), bg_request_id(back));
	s1 = request_print(rq);
	bg_request_free(&back);
	assert_int_equal(request_load(s1, &back), BG_OK);
	free(s1);
	bg_request_free(&rq);
	bg_request_free(&back);
}

/* f refused by bg_request_new with bg_why naming want. */
static void
refused(const struct bg_request_fields *f, const char *want)
{
	bg_request_t *rq = NULL;

	assert_int_equal(bg_request_new(f, &rq), BG_EINVAL);
	assert_null(rq);
	if (strstr(bg_why(), want) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", bg_why(), want);
}

static void
test_request_fields_refused(void **state)
{
	static const char *const bad_reasons[] = {
		"", "   ", "two\nlines", "tab\there", "\x1b[2Jclear",
		"del\x7f", "nel\xc2\x85", "rlo\xe2\x80\xaegnp.exe",
		"lri\xe2\x81\xa6x", "lrm\xe2\x80\x8e", "alm\xd8\x9c",
		"overlong\xc0\xaf", "surrogate\xed\xa0\x80", "cut\xe2\x80",
		"big\xf4\x90\x80\x80", "stray\x80", "ff\xff",
	};
	static const char *const good_reasons[] = {
		"x", "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x94\x91",
		" leading and trailing ",
	};
	static const char *const dup[] = { "root-mfa", "ROOT-MFA" };
	static const char *const badname[] = { "root mfa" };
	static char big[BG_REASON_MAX + 2];
	const char *many[BG_POLICY_ITEMS_MAX + 1];
	struct bg_request_fields f;
	bg_request_t *rq = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_reasons) / sizeof(bad_reasons[0]); i++) {
		f = fields();
		f.reason = bad_reasons[i];
		refused(&f, "reason");
	}
	for (i = 0; i < sizeof(good_reasons) / sizeof(good_reasons[0]); i++) {
		f = fields();
		f.reason = good_reasons[i];
		assert_int_equal(bg_request_new(&f, &rq), BG_OK);
		bg_request_free(&rq);
	}
	memset(big, 'r', BG_REASON_MAX);
	f = fields();
	f.reason = big;
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	bg_request_free(&rq);
	big[BG_REASON_MAX] = 'r';
	refused(&f, "reason");
	f = fields();
	f.id = "0123456789ABCDEF0123456789abcdef";
	refused(&f, "id");
	f = fields();
	f.account = "prod_root";
	refused(&f, "account");
	f = fields();
	f.requester = "al ice";
	refused(&f, "requester");
	f = fields();
	f.ticket = "INC 42";
	refused(&f, "ticket");
	f = fields();
	f.items = dup;
	refused(&f, "items");
	f = fields();
	f.items = badname;
	f.nitems = 1;
	refused(&f, "items");
	f = fields();
	f.nitems = 0;
	refused(&f, "items");
	for (i = 0; i <= BG_POLICY_ITEMS_MAX; i++)
		many[i] = i % 2 ? "a" : "b";
	f.items = many;
	f.nitems = BG_POLICY_ITEMS_MAX + 1;
	refused(&f, "items");
	f = fields();
	f.expiry = f.created;
	refused(&f, "expiry");
	f.expiry = f.created + BG_POLICY_EXPIRY_MAX + 1;
	refused(&f, "expiry");
	f.expiry = f.created + BG_POLICY_EXPIRY_MAX;
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	bg_request_free(&rq);
	f.created = BG_TIME_MAX;
	f.expiry = BG_TIME_MAX + 1;
	refused(&f, "expiry");
	f = fields();
	memset(f.key, 0, sizeof(f.key));
	refused(&f, "request_key");
	assert_int_equal(bg_request_new(NULL, &rq), BG_EINVAL);
}

/* REQUEST_JSON with from replaced by to, refused by the parse. */
static void
json_refused(const char *from, const char *to)
{
	static char t[4096];
	const char *at = strstr(REQUEST_JSON, from);
	bg_request_t *rq = NULL;
	size_t pre;

	assert_non_null(at);
	pre = (size_t)(at - REQUEST_JSON);
	assert_true(strlen(REQUEST_JSON) + strlen(to) < sizeof(t));
	memcpy(t, REQUEST_JSON, pre);
	strcpy(t + pre, to);
	strcat(t, at + strlen(from));
	if (request_load(t, &rq) == BG_OK)
		fail_msg("accepted %s", t);
	assert_null(rq);
	assert_true(bg_why()[0] != '\0' || bg_json_parse(t, strlen(t)) == NULL);
}

static void
test_request_json_strict(void **state)
{
	bg_request_t *rq = NULL;
	cJSON *j;

	(void)state;
	assert_int_equal(request_load(REQUEST_JSON, &rq), BG_OK);
	bg_request_free(&rq);
	json_refused("{", "{\"admin\":true,");
	json_refused("\"format\":\"breakglass-request-v1\",", "");
	json_refused("\"ticket\":\"INC-42\",", "");
	json_refused("breakglass-request-v1", "breakglass-request-v2");
	json_refused("\"INC-42\"", "42");
	json_refused("\"INC-42\"", "null");
	json_refused("[\"root-password\",\"root-mfa\"]", "\"root-mfa\"");
	json_refused("[\"root-password\",\"root-mfa\"]", "[]");
	json_refused("[\"root-password\",\"root-mfa\"]", "[\"root-mfa\",7]");
	json_refused("[\"root-password\",\"root-mfa\"]",
	    "[\"root-mfa\",\"root-mfa\"]");
	json_refused("\"2023-11-14T22:13:20Z\"", "1700000000");
	json_refused("\"2023-11-14T22:13:20Z\"", "\"2023-11-14T22:13:20.000Z\"");
	json_refused("\"2023-11-14T22:13:20Z\"", "\"2023-11-15T02:13:20Z\"");
	json_refused("\"2023-11-15T02:13:20Z\"", "\"2023-11-24T02:13:20Z\"");
	json_refused("HyA=", "Hw==");
	json_refused("HyA=", "HyA");
	json_refused("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	json_refused("0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef0");
	json_refused("INC-42 (", "INC-42\\n(");
	json_refused("INC-42 (", "INC-42\\u202e(");
	json_refused("\"alice\"", "\"Alice Smith\"");
	/* duplicate keys: refused by the text parser ... */
	json_refused("{", "{\"ticket\":\"x\",");
	/* ... and in a tree from a laxer parser */
	assert_non_null(j = cJSON_Parse(REQUEST_JSON));
	cJSON_AddItemToObject(j, "requester", cJSON_CreateString("bob"));
	assert_int_equal(bg_request_from_json(j, &rq), BG_EFORMAT);
	assert_null(rq);
	cJSON_Delete(j);
}

static void
test_request_conforms(void **state)
{
	static const char *const note[] = { "root-mfa", "note-x" };
	struct bg_request_fields f = fields();
	bg_policy_t *p = NULL;
	bg_request_t *rq = NULL;

	(void)state;
	assert_int_equal(bg_policy_default(&p), BG_OK);
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	assert_int_equal(bg_request_conforms(rq, p), BG_OK);
	bg_request_free(&rq);
	f.expiry++;	/* one second longer than the policy allows */
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	assert_int_equal(bg_request_conforms(rq, p), BG_EPERM);
	assert_non_null(strstr(bg_why(), "longer than the policy"));
	bg_request_free(&rq);
	f = fields();
	f.items = note;
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	assert_int_equal(bg_request_conforms(rq, p), BG_EPERM);
	assert_non_null(strstr(bg_why(), "item \"note-x\""));
	bg_request_free(&rq);
	bg_policy_free(&p);
}

/* The statement's fields come from the request. */
static void
test_request_statement(void **state)
{
	struct bg_request_fields f = fields();
	struct bg_statement st, back;
	bg_request_t *rq = NULL;
	static char text[BG_STATEMENT_MAX], out[4096];
	uint8_t vault[16], share[32], rh[32];
	size_t len;

	(void)state;
	memset(vault, 0x11, sizeof(vault));
	memset(share, 0x22, sizeof(share));
	assert_int_equal(bg_request_new(&f, &rq), BG_OK);
	assert_int_equal(bg_request_statement(rq, vault, "mfa", "carol", share,
	    &st), BG_OK);
	assert_int_equal(bg_statement_build(&st, text, sizeof(text), &len),
	    BG_OK);
	assert_int_equal(bg_statement_parse(text, len, &back), BG_OK);
	assert_true(same(&st, &back));
	assert_memory_equal(back.vault, vault, 16);
	assert_string_equal(back.request, f.id);
	assert_string_equal(back.account, f.account);
	assert_string_equal(back.requester, f.requester);
	sha256(f.reason, strlen(f.reason), rh);
	assert_memory_equal(back.reason_sha256, rh, 32);
	assert_int_equal(back.expiry, f.expiry);
	assert_string_equal(back.group, "mfa");
	assert_string_equal(back.custodian, "carol");
	assert_memory_equal(back.share_sha256, share, 32);
	assert_int_equal(bg_statement_describe(text, len, bg_request_reason(rq),
	    strlen(bg_request_reason(rq)), out, sizeof(out)), BG_OK);
	assert_non_null(strstr(out, "2023-11-15T02:13:20Z"));
	assert_non_null(strstr(out, "rotate root after INC-42 (\\xc3\\xa9t"));
	assert_int_equal(bg_request_statement(rq, vault, "m fa", "carol", share,
	    &st), BG_EINVAL);
	assert_int_equal(bg_request_statement(rq, vault, "mfa", "", share,
	    &st), BG_EINVAL);
	bg_request_free(&rq);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_round_trip_longest),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_every_byte_mutation),
		cmocka_unit_test(test_lines_refused),
		cmocka_unit_test(test_trailing_and_truncated),
		cmocka_unit_test(test_fields_refused),
		cmocka_unit_test(test_rfc3339_known),
		cmocka_unit_test(test_rfc3339_vs_libc),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_describe_reason),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_fields_refused),
		cmocka_unit_test(test_request_json_strict),
		cmocka_unit_test(test_request_conforms),
		cmocka_unit_test(test_request_statement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
