/*
 * pw_zxcvbn: what bg_pw_check() refuses next to what libzxcvbn (Debian
 * package libzxcvbn-dev, zxcvbn-c) estimates, on the common-password cases
 * of tests/unit/test_password.c. The measurement behind docs/passwords.md;
 * not built by CMake, since libzxcvbn is not a dependency of breakglass.
 *
 *   apt-get install libzxcvbn-dev
 *   cc -O2 -I. -o /tmp/pw_zxcvbn tests/bench/pw_zxcvbn.c \
 *       build/normal/broker/secrets/libbg_secrets.a \
 *       build/normal/common/libbg_common.a -lzxcvbn -lcrypto -lcjson -lm
 *   /tmp/pw_zxcvbn JOHN ZXCVBN CRACKLIB WAMERICAN
 *
 * with the four word lists the build embeds (docs/passwords.md; ZXCVBN is
 * build/normal/broker/secrets/zxcvbn/passwords.txt). -l instead prints the
 * cases as "PASSWORD<TAB>ACCOUNT<TAB>EMAIL" lines, for comparing other
 * estimators on the same input.
 *
 * libzxcvbn returns an entropy in bits; the score is zxcvbn's, from
 * guesses = 2^bits: < 10^3 + 5 -> 0, < 10^6 + 5 -> 1, < 10^8 + 5 -> 2,
 * < 10^10 + 5 -> 3, else 4. Tables: one row a case. Summary lines: per
 * group, how many bg_pw_check refuses and how many have a score below 3
 * and below 4 (a "minimum score 3" or "4" policy would refuse those).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zxcvbn.h>

#include "common/common.h"
#include "broker/secrets/secrets.h"

struct pw_case {
	const char	*pw, *account, *email;
};

#define ACCT	"prod-root"
#define MAIL	"aws-root@example.com"
#define W(pw)		{ pw, NULL, NULL }
#define U(pw, a, e)	{ pw, a, e }
#define END		{ NULL, NULL, NULL }

/* test_password.c pw_cases: "common passwords and words" */
static const struct pw_case common_cases[] = {
	W("P@ssw0rd"), W("pa$$W0RD"), W("Password1!"), W("!!Pa55word"),
	W("Front242"), W("fRONT242"), W("Pr0blems!"), W("1Sunshine!"),
	W("Baseball#1"), W("C0mpl1cat3d"), W("S@SHA_007"), END,
};

/* test_password.c pw_cases: "the account name or e-mail, dressed up" */
static const struct pw_case personal_cases[] = {
	U("Pr0d-Root", ACCT, NULL), U("prod-root2024!", ACCT, NULL),
	U("#1Prod-ROOT", ACCT, NULL), U("Aws-Root2024!", NULL, MAIL),
	U("2024!@Wsr00t_0ps", NULL, "awsroot_ops@example.com"), END,
};

/* test_every_list_entry: list entries dressed up, and its known limit */
static const struct pw_case dressed_cases[] = {
	W("P@$$W0RD"), W("2024!!p4ssword"), W("!!iloveyou99"),
	W("#1!l0v3y0u"), W("Dragon1234!"), W("5up3rm@n"), W("((5uperman))"),
	W("Zebra8642!"), END,
};

/* test_password.c pw_cases: "and some that pass" */
static const struct pw_case accepted_cases[] = {
	U("Correct-Horse-Battery-9", ACCT, MAIL), U("xK4#mQ9!vL2@", ACCT, MAIL),
	U("Prod-Root-9x", ACCT, NULL), W("zQ8]tW3{pR"), END,
};

/* Not from the tests: common shapes (word + year, sequences, repeats). */
static const struct pw_case pattern_cases[] = {
	W("Summer2024!"), W("Winter2023!"), W("Welcome1!"), W("January2024!"),
	W("Abcd1234!"), W("Aa1!Aa1!Aa1!"), W("Qwerty123!"), W("Monkey123!"),
	W("Admin123!"), W("Letmein1!"), W("Michael1987!"), W("1Q2w3e4r!"),
	W("!QAZ2wsx#EDC"), W("Asdf1234!"), W("Aaaaaaaa1!"), W("Abcdefgh1!"),
	W("Qazwsx123!"), W("Zebra8642!"), W("Dog12345!"), W("Passw0rd2024!"),
	END,
};

static const char aws_symbols[] = "!@#$%^&*()<>[]{}|_+-=";

static int list_mode;

struct tally {
	unsigned	n, refused, below3, below4;
};

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

static int
score(double bits)
{
	double g = pow(2.0, bits);

	return g < 1e3 + 5 ? 0 : g < 1e6 + 5 ? 1 : g < 1e8 + 5 ? 2 :
	    g < 1e10 + 5 ? 3 : 4;
}

static const char *
short_rule(enum bg_pw_rule r)
{
	switch (r) {
	case BG_PW_RULE_OK:		return "accepted";
	case BG_PW_RULE_COMMON:		return "COMMON";
	case BG_PW_RULE_PERSONAL:	return "PERSONAL";
	case BG_PW_RULE_CLASSES:	return "CLASSES";
	default:			return "other rule";
	}
}

/* One case: a table row unless quiet, counted into t. */
static void
measure(const struct pw_case *c, int quiet, struct tally *t)
{
	const char *ud[3] = { NULL, NULL, NULL };
	enum bg_pw_rule rule = BG_PW_RULE_OK;
	double bits;
	int k = 0, r, s;

	if (list_mode) {
		printf("%s\t%s\t%s\n", c->pw, c->account ? c->account : "",
		    c->email ? c->email : "");
		return;
	}
	if (c->account != NULL)
		ud[k++] = c->account;
	if (c->email != NULL)
		ud[k++] = c->email;
	bits = ZxcvbnMatch(c->pw, ud, NULL);
	s = score(bits);
	r = bg_pw_check(c->pw, strlen(c->pw), c->account, c->email, &rule);
	t->n++;
	t->refused += r != BG_OK;
	t->below3 += s < 3;
	t->below4 += s < 4;
	if (!quiet)
		printf("| `%s` | %s | %s | %.1f | %d |\n", c->pw,
		    k > 0 ? "yes" : "", short_rule(rule), bits, s);
}

static void
summary(const char *name, const struct tally *t)
{
	if (!list_mode)
		printf("%s: %u cases, bg_pw_check refuses %u; libzxcvbn score "
		    "< 3: %u, < 4: %u\n\n", name, t->n, t->refused, t->below3,
		    t->below4);
}

static void
group(const char *name, const struct pw_case *cases)
{
	struct tally t = { 0, 0, 0, 0 };
	size_t i;

	if (!list_mode)
		printf("%s\n\n| password | user words | bg_pw_check | "
		    "libzxcvbn bits | score |\n|---|---|---|---|---|\n", name);
	for (i = 0; cases[i].pw != NULL; i++)
		measure(&cases[i], 0, &t);
	if (!list_mode)
		printf("\n");
	summary(name, &t);
}

/* Reads a list; fn gets each line (john's "#!comment" lines skipped). */
static void
each_line(const char *path, void (*fn)(char *, size_t, void *), void *arg)
{
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t got;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		n = (size_t)got;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (strncmp(line, "#!comment", 9) != 0)
			fn(line, n, arg);
	}
	free(line);
	fclose(f);
}

/* The list entries that pass the AWS rule (test_list_entries_passing_aws). */
static void
passing_entry(char *s, size_t n, void *arg)
{
	struct pw_case c = { s, NULL, NULL };

	if (aws_passes(s, n))
		measure(&c, 0, arg);
}

struct words {
	char	**v;
	size_t	  n, cap;
};

/*
 * Every letters-only entry of 8..126 bytes with its first letter upper
 * case, its second lower case and "1!" appended (test_every_list_entry),
 * collected so that an entry of several lists counts once.
 */
static void
dressed_entry(char *s, size_t n, void *arg)
{
	struct words *w = arg;
	char *pw;
	size_t i;

	if (n < 8 || n > 126)
		return;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z')))
			return;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4096;
		if ((w->v = realloc(w->v, w->cap * sizeof(*w->v))) == NULL)
			abort();
	}
	if ((pw = malloc(n + 3)) == NULL)
		abort();
	memcpy(pw, s, n);
	if (pw[0] >= 'a' && pw[0] <= 'z')
		pw[0] = (char)(pw[0] - 'a' + 'A');
	if (pw[1] >= 'A' && pw[1] <= 'Z')
		pw[1] = (char)(pw[1] - 'A' + 'a');
	memcpy(pw + n, "1!", 3);
	w->v[w->n++] = pw;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	struct tally t = { 0, 0, 0, 0 };
	struct words w = { NULL, 0, 0 };
	size_t k;
	int i, a = 1;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		list_mode = 1;
		a++;
	}
	if (argc - a != 4) {
		fprintf(stderr, "usage: pw_zxcvbn [-l] JOHN ZXCVBN CRACKLIB "
		    "WAMERICAN\n");
		return 2;
	}
	group("test_password.c: common passwords and words", common_cases);
	if (!list_mode)
		printf("john and zxcvbn entries that pass the AWS rule\n\n"
		    "| password | user words | bg_pw_check | libzxcvbn bits | "
		    "score |\n|---|---|---|---|---|\n");
	each_line(argv[a], passing_entry, &t);
	each_line(argv[a + 1], passing_entry, &t);
	if (!list_mode)
		printf("\n");
	summary("john and zxcvbn entries that pass the AWS rule", &t);
	group("test_password.c: account name or e-mail, dressed up",
	    personal_cases);
	group("test_every_list_entry: dressed-up entries", dressed_cases);
	group("test_password.c: accepted", accepted_cases);
	group("not from the tests: common shapes", pattern_cases);
	if (list_mode)
		return 0;
	for (i = 0; i < 4; i++)
		each_line(argv[a + i], dressed_entry, &w);
	qsort(w.v, w.n, sizeof(*w.v), cmp);
	memset(&t, 0, sizeof(t));
	for (k = 0; k < w.n; k++) {
		struct pw_case c = { w.v[k], NULL, NULL };

		if (k == 0 || strcmp(w.v[k - 1], w.v[k]) != 0)
			measure(&c, 1, &t);
	}
	summary("every letters-only list entry dressed up as Word1!", &t);
	for (k = 0; k < w.n; k++)
		free(w.v[k]);
	free(w.v);
	return 0;
}
