/*
 * tests/unit/test_password.c: the AWS root password rule of
 * broker/secrets/password.c, the embedded common-password list and the generator.
 *
 * Every rule is broken once and named in the reason, which never holds
 * the password. The list entries that pass the AWS rule (computed here
 * from john's and zxcvbn's lists by an independent check;
 * docs/passwords.md counts 1 + 14) are refused as common, and so is
 * every entry of every list through bg_pw_is_common() (which proves the
 * build-time skeletons match the run-time ones) and every dictionary
 * word dressed up with a capital, a digit and a symbol. 10,000 generated
 * passwords all pass, have the length asked for, hold every class and
 * are distinct; an RNG failure (RAND_bytes wrapped with --wrap) leaves
 * no password behind.
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

#include "common/common.h"
#include "broker/secrets/secrets.h"

/* The lists the build embedded, from Debian packages (docs/passwords.md);
 * tests/unit/secrets.cmake passes their paths. */
#define JOHN BG_WORDLIST_JOHN
#define ZXCVBN BG_WORDLIST_ZXCVBN
#define CRACKLIB BG_WORDLIST_CRACKLIB
#define WAMERICAN BG_WORDLIST_WAMERICAN

/* The AWS root rule, written again here without looking at password.c. */
static const char aws_symbols[] = "!@#$%^&*()<>[]{}|_+-=";

static int
aws_passes(const char *s, size_t n)
{
	int up = 0, lo = 0, dg = 0, sy = 0;
	size_t i;

	if (n < 8 || n > 128)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			up = 1;
		else if (s[i] >= 'a' && s[i] <= 'z')
			lo = 1;
		else if (s[i] >= '0' && s[i] <= '9')
			dg = 1;
		else if (s[i] != '\0' && strchr(aws_symbols, s[i]) != NULL)
			sy = 1;
		else
			return 0;
	}
	return up + lo + dg + sy >= 3;
}

/* ------------------------------------------------------------- rules */

struct pw_case {
	const char	*pw;
	size_t		 len;		/* 0: strlen(pw) */
	const char	*account;
	const char	*email;
	enum bg_pw_rule	 rule;
	const char	*word;		/* the reason names the rule */
};

static const struct pw_case pw_cases[] = {
	{ "Ab1!xyz", 0, NULL, NULL, BG_PW_RULE_SHORT, "too short" },
	{ "", 0, NULL, NULL, BG_PW_RULE_SHORT, "too short" },
	{ "Prod-Root-2024", 0, "prod-root-2024", NULL, BG_PW_RULE_ACCOUNT,
	    "account name" },
	{ "prod-root-2024", 0, "PROD-ROOT-2024", NULL, BG_PW_RULE_ACCOUNT,
	    "account name" },
	{ "MY ACCOUNT 1", 0, "My Account 1", NULL, BG_PW_RULE_ACCOUNT,
	    "account name" },
	{ "root+aws@EXAMPLE.COM", 0, "acme", "Root+AWS@Example.com",
	    BG_PW_RULE_EMAIL, "e-mail" },
	{ "Root+AWS@Example.com", 0, NULL, "root+aws@example.com",
	    BG_PW_RULE_EMAIL, "e-mail" },
	{ "Abc def1!", 0, NULL, NULL, BG_PW_RULE_SPACE, "a space" },
	{ "Abcdef1!\t", 0, NULL, NULL, BG_PW_RULE_CONTROL, "control" },
	{ "Abcdef1!\n", 0, NULL, NULL, BG_PW_RULE_CONTROL, "control" },
	{ "Abcdef1!\x7f", 0, NULL, NULL, BG_PW_RULE_CONTROL, "control" },
	{ "Abc\0def1!", 9, NULL, NULL, BG_PW_RULE_CONTROL, "control" },
	{ "Abcd\xc3\xa9" "f1!", 0, NULL, NULL, BG_PW_RULE_NONASCII,
	    "non-ASCII" },
	{ "Abcdef1!\xff", 0, NULL, NULL, BG_PW_RULE_NONASCII, "non-ASCII" },
	{ "Abcdef1!'", 0, NULL, NULL, BG_PW_RULE_SYMBOL, "outside the AWS" },
	{ "Abcdef1!.", 0, NULL, NULL, BG_PW_RULE_SYMBOL, "outside the AWS" },
	{ "abcdefghij", 0, NULL, NULL, BG_PW_RULE_CLASSES, "three of the four" },
	{ "ABCDEFGH1234", 0, NULL, NULL, BG_PW_RULE_CLASSES,
	    "three of the four" },
	{ "zq!@#$%^xv", 0, NULL, NULL, BG_PW_RULE_CLASSES,
	    "three of the four" },
	{ "12345678!@#", 0, NULL, NULL, BG_PW_RULE_CLASSES,
	    "three of the four" },
	{ "Xqzvbnmwrt", 0, NULL, NULL, BG_PW_RULE_CLASSES,
	    "three of the four" },
	/* the account name or e-mail, dressed up */
	{ "Pr0d-Root", 0, "prod-root", NULL, BG_PW_RULE_PERSONAL,
	    "account name or e-mail" },
	{ "prod-root2024!", 0, "prod-root", NULL, BG_PW_RULE_PERSONAL,
	    "account name or e-mail" },
	{ "#1Prod-ROOT", 0, "prod-root", NULL, BG_PW_RULE_PERSONAL,
	    "account name or e-mail" },
	{ "Aws-Root2024!", 0, NULL, "aws-root@example.com",
	    BG_PW_RULE_PERSONAL, "account name or e-mail" },
	{ "2024!@Wsr00t_0ps", 0, NULL, "awsroot_ops@example.com",
	    BG_PW_RULE_PERSONAL, "account name or e-mail" },
	/* common passwords and words */
	{ "P@ssw0rd", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "pa$$W0RD", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "Password1!", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "!!Pa55word", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "Front242", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "fRONT242", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "Pr0blems!", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "1Sunshine!", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "Baseball#1", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "C0mpl1cat3d", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	{ "S@SHA_007", 0, NULL, NULL, BG_PW_RULE_COMMON, "common password" },
	/* and some that pass */
	{ "Correct-Horse-Battery-9", 0, "prod-root", "aws-root@example.com",
	    BG_PW_RULE_OK, "" },
	{ "xK4#mQ9!vL2@", 0, "prod-root", "aws-root@example.com",
	    BG_PW_RULE_OK, "" },
	{ "Prod-Root-9x", 0, "prod-root", NULL, BG_PW_RULE_OK, "" },
	{ "zQ8]tW3{pR", 0, NULL, NULL, BG_PW_RULE_OK, "" },
};

static void
check_case(const struct pw_case *c)
{
	size_t len = c->len ? c->len : strlen(c->pw);
	enum bg_pw_rule rule = (enum bg_pw_rule)-1;
	int r;

	r = bg_pw_check(c->pw, len, c->account, c->email, &rule);
	if (rule != c->rule || (r == BG_OK) != (c->rule == BG_PW_RULE_OK) ||
	    strstr(bg_why(), c->word) == NULL)
		fail_msg("case \"%s\": rule %d (%s), want %d", c->pw, rule,
		    bg_why(), c->rule);
	if (r != BG_OK) {
		assert_int_equal(r, BG_EINVAL);
		assert_string_equal(bg_why(), bg_pw_rule_str(rule));
		if (len > 0)
			assert_null(strstr(bg_why(), c->pw));
	} else
		assert_string_equal(bg_why(), "");
}

static void
test_rules(void **state)
{
	char pw[BG_PW_MAX + 2];
	enum bg_pw_rule rule;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pw_cases) / sizeof(pw_cases[0]); i++)
		check_case(&pw_cases[i]);

	/* lengths 8 and 128 pass, 7 and 129 are refused */
	memset(pw, 'x', sizeof(pw));
	memcpy(pw, "Zq8]", 4);
	assert_int_equal(bg_pw_check(pw, 7, NULL, NULL, &rule), BG_EINVAL);
	assert_int_equal(rule, BG_PW_RULE_SHORT);
	assert_int_equal(bg_pw_check(pw, 8, NULL, NULL, &rule), BG_OK);
	assert_int_equal(bg_pw_check(pw, 128, NULL, NULL, &rule), BG_OK);
	assert_int_equal(bg_pw_check(pw, 129, NULL, NULL, &rule), BG_EINVAL);
	assert_int_equal(rule, BG_PW_RULE_LONG);
	assert_non_null(strstr(bg_why(), "too long"));

	/* NULL rule pointer; NULL password */
	assert_int_equal(bg_pw_check("P@ssw0rd", 8, NULL, NULL, NULL),
	    BG_EINVAL);
	assert_int_equal(bg_pw_check(NULL, 8, NULL, NULL, &rule), BG_EINVAL);
	assert_int_equal(bg_pw_check(NULL, 0, NULL, NULL, &rule), BG_EINVAL);
	assert_int_equal(rule, BG_PW_RULE_SHORT);
	/* empty names are no names */
	assert_int_equal(bg_pw_check("zQ8]tW3{pR", 10, "", "", &rule), BG_OK);
	for (i = BG_PW_RULE_OK; i <= BG_PW_RULE_COMMON; i++)
		assert_true(strncmp(bg_pw_rule_str((enum bg_pw_rule)i),
		    "password ", 9) == 0);
}

/* Each printable ASCII byte outside the set, and each byte class. */
static void
test_bad_bytes(void **state)
{
	char pw[16];
	enum bg_pw_rule rule, want;
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		memcpy(pw, "Abcdef1!x", 9);
		pw[4] = (char)c;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') ||
		    (c != 0 && strchr(aws_symbols, (int)c) != NULL))
			want = BG_PW_RULE_OK;
		else if (c == ' ')
			want = BG_PW_RULE_SPACE;
		else if (c < 0x20 || c == 0x7f)
			want = BG_PW_RULE_CONTROL;
		else if (c >= 0x80)
			want = BG_PW_RULE_NONASCII;
		else
			want = BG_PW_RULE_SYMBOL;
		bg_pw_check(pw, 9, NULL, NULL, &rule);
		if (rule != want)
			fail_msg("byte 0x%02x: rule %d, want %d", c, rule, want);
	}
}

/* ------------------------------------------------------------- lists */

/* Calls fn on each line of a list (john's "#!comment" lines skipped). */
static size_t
each_line(const char *path, void (*fn)(const char *, size_t, void *),
    void *arg)
{
	char *text = tu_read_file(path, NULL), *p = text, *nl;
	size_t n, lines = 0;

	while (*p != '\0') {
		n = (nl = strchr(p, '\n')) != NULL ? (size_t)(nl - p) :
		    strlen(p);
		if (strncmp(p, "#!comment", 9) != 0) {	/* john has "" */
			fn(p, n, arg);
			lines++;
		}
		p += n + (nl != NULL);
	}
	free(text);
	return lines;
}

struct passing {
	size_t	n;
	char	pw[32][130];
};

static void
collect_passing(const char *s, size_t n, void *arg)
{
	struct passing *p = arg;

	if (!aws_passes(s, n))
		return;
	assert_true(p->n < 32);
	memcpy(p->pw[p->n], s, n);
	p->pw[p->n++][n] = '\0';
}

static void
assert_common(const char *pw, size_t n)
{
	enum bg_pw_rule rule;

	if (bg_pw_check(pw, n, "prod-root", "aws-root@example.com", &rule) !=
	    BG_EINVAL || rule != BG_PW_RULE_COMMON)
		fail_msg("list entry \"%.*s\" not refused as common: %s",
		    (int)n, pw, bg_why());
	assert_non_null(strstr(bg_why(), "common password"));
}

/*
 * The entries of john (1) and zxcvbn (14) that satisfy the AWS rule are
 * refused as common, as typed and with the case of each letter flipped.
 */
static void
test_list_entries_passing_aws(void **state)
{
	static struct passing john, zx;
	char flip[130];
	size_t i, k, n;
	int found_front = 0;

	(void)state;
	assert_int_equal(each_line(JOHN, collect_passing, &john), 3546);
	assert_int_equal(each_line(ZXCVBN, collect_passing, &zx), 30000);
	assert_int_equal(john.n, 1);
	assert_int_equal(zx.n, 14);
	for (i = 0; i < john.n + zx.n; i++) {
		const char *pw = i < john.n ? john.pw[i] : zx.pw[i - john.n];

		n = strlen(pw);
		found_front |= strcmp(pw, "Front242") == 0;
		assert_common(pw, n);
		for (k = 0; k <= n; k++)
			flip[k] = (char)(pw[k] >= 'a' && pw[k] <= 'z' ?
			    pw[k] - 'a' + 'A' : pw[k] >= 'A' && pw[k] <= 'Z' ?
			    pw[k] - 'A' + 'a' : pw[k]);
		if (aws_passes(flip, n))
			assert_common(flip, n);
	}
	assert_true(found_front);
	for (i = 0; i < zx.n; i++)
		print_message("zxcvbn entry passing AWS: %s\n", zx.pw[i]);
}

struct list_stats {
	size_t	eligible, letters;
};

static int
allowed_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(aws_symbols, c) != NULL)))
			return 0;
	}
	return 1;
}

/*
 * Every entry that can matter (8..128 bytes of allowed characters, any
 * case) is on the embedded list; a word of letters with a capital and
 * "1!" appended is refused as common.
 */
static void
check_entry(const char *s, size_t n, void *arg)
{
	struct list_stats *st = arg;
	char pw[140];
	size_t i;
	int letters = 1;

	if (n < 8 || n > 128 || !allowed_lower(s, n))
		return;
	st->eligible++;
	if (!bg_pw_is_common(s, n))
		fail_msg("entry \"%.*s\" is not on the embedded list", (int)n,
		    s);
	for (i = 0; i < n; i++)
		letters &= (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z');
	if (!letters || n > 126)
		return;
	st->letters++;
	memcpy(pw, s, n);
	pw[0] = (char)(pw[0] >= 'a' && pw[0] <= 'z' ? pw[0] - 'a' + 'A' :
	    pw[0]);
	if (pw[1] >= 'A' && pw[1] <= 'Z')
		pw[1] = (char)(pw[1] - 'A' + 'a');
	memcpy(pw + n, "1!", 2);
	assert_common(pw, n + 2);
}

static void
test_every_list_entry(void **state)
{
	static const char *const lists[] = { JOHN, ZXCVBN, CRACKLIB,
	    WAMERICAN };
	struct list_stats st = { 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		each_line(lists[i], check_entry, &st);
	print_message("%zu list entries checked (%zu words dressed up); "
	    "embedded: %zu skeletons\n", st.eligible, st.letters,
	    bg_pw_common_count());
	assert_true(st.eligible > 60000);
	assert_true(bg_pw_common_count() > 50000 &&
	    bg_pw_common_count() <= st.eligible);
	/* substitutions undone, digits and symbols around, any case */
	assert_true(bg_pw_is_common("P@$$W0RD", 8));
	assert_true(bg_pw_is_common("pa55w0rd", 8));
	assert_true(bg_pw_is_common("2024!!p4ssword", 14));	/* zxcvbn */
	assert_true(bg_pw_is_common("!!iloveyou99", 12));
	assert_true(bg_pw_is_common("#1!l0v3y0u", 10));	/* ! for i */
	/* entries shorter than 8 are not embedded: a known limit */
	assert_true(bg_pw_is_common("Zebra8642!", 10) == 0);
	assert_true(bg_pw_is_common("Dragon1234!", 11));	/* dragon123 */
	assert_true(bg_pw_is_common("superman", 8));
	assert_true(bg_pw_is_common("5up3rm@n", 8));
	assert_true(bg_pw_is_common("((5uperman))", 12));
	assert_true(bg_pw_is_common("xsuperman", 9) == 0);
	assert_true(bg_pw_is_common(NULL, 0) == 0);
}

/* --------------------------------------------------------- generator */

#define GEN_N 10000

/* RAND_bytes fails once this many calls have succeeded; -1: never. */
static int rng_calls_left = -1;

int __real_RAND_bytes(unsigned char *buf, int num);
int __wrap_RAND_bytes(unsigned char *buf, int num);

int
__wrap_RAND_bytes(unsigned char *buf, int num)
{
	if (rng_calls_left == 0)
		return 0;
	if (rng_calls_left > 0)
		rng_calls_left--;
	return __real_RAND_bytes(buf, num);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned
classes_of(const char *pw, size_t n)
{
	unsigned cl = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pw[i] >= 'A' && pw[i] <= 'Z')
			cl |= 1;
		else if (pw[i] >= 'a' && pw[i] <= 'z')
			cl |= 2;
		else if (pw[i] >= '0' && pw[i] <= '9')
			cl |= 4;
		else if (strchr(aws_symbols, pw[i]) != NULL)
			cl |= 8;
		else
			cl |= 16;
	}
	return cl;
}

/*
 * 10,000 passwords of the default length: each passes, has 32 bytes and
 * every class; all differ; every one of the 83 characters shows up about
 * as often as the others.
 */
static void
test_generate(void **state)
{
	const size_t len = BG_PW_GEN_LEN, bufsz = BG_PW_GEN_LEN + 1;
	static size_t count[256];
	char **all, *buf;
	enum bg_pw_rule rule;
	size_t i, k, total = 0, min = SIZE_MAX, max = 0, chars = 0;

	(void)state;
	assert_non_null(buf = bg_secure_alloc(bufsz));
	assert_non_null(all = calloc(GEN_N, sizeof(*all)));
	for (i = 0; i < GEN_N; i++) {
		assert_int_equal(bg_pw_generate(len, NULL, NULL, buf, bufsz),
		    BG_OK);
		assert_int_equal(strlen(buf), len);
		assert_int_equal(classes_of(buf, len), 15);
		if (bg_pw_check(buf, len, NULL, NULL, &rule) != BG_OK)
			fail_msg("generated password refused: %s", bg_why());
		for (k = 0; k < len; k++)
			count[(unsigned char)buf[k]]++;
		assert_non_null(all[i] = strdup(buf));
	}
	assert_string_not_equal(all[0], all[1]);
	qsort(all, GEN_N, sizeof(*all), cmp_str);
	for (i = 1; i < GEN_N; i++)
		assert_string_not_equal(all[i - 1], all[i]);
	for (i = 0; i < 256; i++) {
		if (count[i] == 0)
			continue;
		chars++;
		total += count[i];
		min = count[i] < min ? count[i] : min;
		max = count[i] > max ? count[i] : max;
	}
	assert_int_equal(chars, 83);
	assert_int_equal(total, (size_t)GEN_N * len);
	/* expected 3855 each, sd about 61: +-15% is over 9 sd */
	assert_true(min > total / 83 * 85 / 100);
	assert_true(max < total / 83 * 115 / 100);
	for (i = 0; i < GEN_N; i++) {
		bg_wipe(all[i], len);
		free(all[i]);
	}
	free(all);
	bg_secure_free(&buf, bufsz);
}

/* Every length 8..128, with the names in play; bad arguments refused. */
static void
test_generate_lengths(void **state)
{
	const char *acct = "prod-root", *mail = "aws-root@example.com";
	char buf[BG_PW_MAX + 1], prev[BG_PW_MAX + 1];
	enum bg_pw_rule rule;
	size_t len;
	int rep;

	(void)state;
	prev[0] = '\0';
	for (len = BG_PW_MIN; len <= BG_PW_MAX; len++) {
		for (rep = 0; rep < 20; rep++) {
			assert_int_equal(bg_pw_generate(len, acct, mail, buf,
			    len + 1), BG_OK);
			assert_int_equal(strlen(buf), len);
			assert_int_equal(classes_of(buf, len), 15);
			assert_int_equal(bg_pw_check(buf, len, acct, mail,
			    &rule), BG_OK);
			assert_string_not_equal(buf, prev);
			memcpy(prev, buf, len + 1);
		}
	}
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(bg_pw_generate(7, NULL, NULL, buf, sizeof(buf)),
	    BG_ERANGE);
	assert_int_equal(buf[0], '\0');
	assert_non_null(strstr(bg_why(), "8 to 128"));
	assert_int_equal(bg_pw_generate(129, NULL, NULL, buf, sizeof(buf)),
	    BG_ERANGE);
	assert_int_equal(bg_pw_generate(0, NULL, NULL, buf, sizeof(buf)),
	    BG_ERANGE);
	assert_int_equal(bg_pw_generate(32, NULL, NULL, buf, 32), BG_EINVAL);
	assert_int_equal(bg_pw_generate(32, NULL, NULL, NULL, 33), BG_EINVAL);
	assert_int_equal(bg_pw_generate(32, NULL, NULL, buf, 33), BG_OK);
}

/* An RNG failure, at once or in mid-password, leaves no password. */
static void
test_generate_rng_failure(void **state)
{
	char buf[BG_PW_MAX + 1];
	size_t i;
	int left;

	(void)state;
	for (left = 0; left <= 1; left++) {
		memset(buf, 'x', sizeof(buf));
		rng_calls_left = left;
		/* 128 characters take more than one 64-byte block */
		assert_int_equal(bg_pw_generate(BG_PW_MAX, NULL, NULL, buf,
		    sizeof(buf)), BG_ECRYPTO);
		rng_calls_left = -1;
		for (i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0);
		assert_non_null(strstr(bg_why(), "random"));
	}
	assert_int_equal(bg_pw_generate(BG_PW_MAX, NULL, NULL, buf,
	    sizeof(buf)), BG_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_list_entries_passing_aws),
		cmocka_unit_test(test_every_list_entry),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_lengths),
		cmocka_unit_test(test_generate_rng_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
