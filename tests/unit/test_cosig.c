/*
 * audit/cosig.c: C2SP tlog-cosignature checked against a vector made by
 * tests/witness/witness.py (Python, the cryptography package: an
 * implementation independent of ours): a log's checkpoint and a witness's
 * cosignature of it. Then every way it can be wrong: another key, a byte
 * flipped, another checkpoint (a replayed cosignature), a short line, a
 * bad and a good line by the same key, malformed notes and keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "audit/audit.h"

/* tests/witness/witness.py, seed 00 01 .. 1f, first contact */
#define WVKEY "witness.test/w1+a67560cf+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define CP_TEXT "example.test/log-a\n3\n" \
	"8z4tl1mcuJtUmb5JwKD57mkpUhFsPbuZelwmJ1KMpsM=\n"
#define LOG_SIG "\xe2\x80\x94 example.test/log-a O4gKUYX1pcC36OyKT5UTqtLu0/" \
	"5427zF3v5N5PFs4B1/6qBV2t2+3rcn8lvI+DdaGVZPCRcvSj4Ip5zKuNdwBeUWwgs=\n"
#define W_SIG "\xe2\x80\x94 witness.test/w1 pnVgzwAAAABrFc47EZoAoQBsoq3XhZkJ0n" \
	"d6WR2zn5iweVtKVOqfMcmyRgU3W4ECCylBA+MRROObn1EnH7M9J79avKzUG6BhRCHtDg==\n"
#define NOTE CP_TEXT "\n" LOG_SIG W_SIG

static struct bg_audit_cosig_key key;

static int
check(const char *note, uint64_t *t)
{
	return bg_audit_cosig_check(note, strlen(note), &key, t);
}

static void
test_vector(void **state)
{
	uint64_t t;

	(void)state;
	assert_int_equal(check(NOTE, &t), BG_OK);
	assert_int_equal(t, 1796591163);
	/* the log's own line alone: no cosignature */
	assert_int_equal(check(CP_TEXT "\n" LOG_SIG, &t), BG_ENOENT);
}

static void
test_wrong(void **state)
{
	char note[1024], *p;
	uint64_t t;

	(void)state;
	/* a byte of the signature flipped */
	snprintf(note, sizeof(note), "%s", NOTE);
	p = strstr(note, "pnVgzw") + 40;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(check(note, &t), BG_ESIG);
	/* replayed on another checkpoint (size 4, same root) */
	snprintf(note, sizeof(note), "%s", NOTE);
	note[strlen("example.test/log-a\n")] = '4';
	assert_int_equal(check(note, &t), BG_ESIG);
	/* the time changed: the signed message changes */
	snprintf(note, sizeof(note), "%s", NOTE);
	p = strstr(note, "pnVgzwAAAABr") + 11;
	*p = 's';
	assert_int_equal(check(note, &t), BG_ESIG);
	/* a bad line and a good one by the same key: never accepted */
	snprintf(note, sizeof(note), "%s%s", NOTE, W_SIG);
	p = strstr(note, "pnVgzw") + 40;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(check(note, &t), BG_ESIG);
	/* a short signature with the key's name and id */
	snprintf(note, sizeof(note), "%s\n%s\xe2\x80\x94 witness.test/w1 "
	    "pnVgzwAAAABrFc47\n", CP_TEXT, LOG_SIG);
	assert_int_equal(check(note, &t), BG_ESIG);
	/* the same name, another key id: not this witness's */
	snprintf(note, sizeof(note), "%s\n%s\xe2\x80\x94 witness.test/w1 "
	    "AAAAAAAAAABrFc47EZoAoQBsoq3XhZkJ0nd6WR2zn5iweVtKVOqfMcmyRgU3W4E"
	    "CCylBA+MRROObn1EnH7M9J79avKzUG6BhRCHtDg==\n", CP_TEXT, LOG_SIG);
	assert_int_equal(check(note, &t), BG_ENOENT);
	/* a name that only starts like it */
	snprintf(note, sizeof(note), "%s\n%s\xe2\x80\x94 witness.test/w1x "
	    "pnVgzw==\n", CP_TEXT, LOG_SIG);
	assert_int_equal(check(note, &t), BG_ENOENT);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		CP_TEXT,				/* no signatures */
		CP_TEXT "\n",				/* none after the line */
		CP_TEXT "\n" LOG_SIG "garbage\n",	/* not a signature */
		CP_TEXT "\n" LOG_SIG "\xe2\x80\x94 witness.test/w1 !!!\n",
		CP_TEXT "\n" LOG_SIG "\xe2\x80\x94 witness.test/w1 pnVgzw",
		NULL,
	};
	struct bg_audit_cosig_key k;
	uint64_t t;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(check(bad[i], &t), BG_EFORMAT);
	/* keys: a log key (type 0x01) is not a cosignature key */
	assert_int_not_equal(bg_audit_cosig_key_parse("example.test/log-a+"
	    "3b880a51+ASvz16Xj64fASqs9dNR9k5yySqcKZ00zaCJo4o58F1QP", 68, &k),
	    BG_OK);
	assert_int_not_equal(bg_audit_cosig_key_parse(WVKEY, strlen(WVKEY) - 1,
	    &k), BG_OK);
	assert_int_not_equal(bg_audit_cosig_key_parse("witness.test/w1+"
	    "a67560ce+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4", 68, &k),
	    BG_OK);		/* the id does not match the key */
}

static int
setup(void **state)
{
	(void)state;
	return bg_audit_cosig_key_parse(WVKEY, strlen(WVKEY), &key) == BG_OK ?
	    0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_wrong),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
