/*
 * broker/aws/ without a network: CloudTrail files streamed (plain, gzip,
 * JSON Lines, EventBridge; truncated, malformed, oversized, 100 MB with
 * bounded memory), root events classified from the public fixtures in
 * tests/aws/fixtures, the XML reader and times. The fake AWS endpoint
 * tests (tests/e2e/test_aws.py) cover the requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "tests/unit/testutil.h"

static char scratch[] = "/tmp/bg-aws-trail.XXXXXX";

/*
 * ASan keeps freed memory in quarantine (256 MiB by default), which
 * would count as peak memory; a small quarantine keeps the 100 MB case's
 * bound meaningful under the sanitizers too.
 */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_BOUND_KB (96 * 1024)
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}
#else
#define RSS_BOUND_KB (32 * 1024)
#endif

struct seen {
	size_t records, root;
	struct bg_aws_event last;
	int stop_at;
};

static int
count(void *ctx, const cJSON *rec)
{
	struct seen *s = ctx;
	struct bg_aws_event ev;

	s->records++;
	if (bg_aws_event_from_record(rec, &ev) == BG_OK) {
		s->root++;
		s->last = ev;
	}
	return s->stop_at != 0 && (int)s->records == s->stop_at ? BG_EINVAL :
	    BG_OK;
}

static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

#define ROOT_LOGIN \
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"," \
	"\"principalId\":\"111122223333\",\"arn\":\"arn:aws:iam::" \
	"111122223333:root\",\"accountId\":\"111122223333\"}," \
	"\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventSource\":" \
	"\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\"," \
	"\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"192.0.2.7\"," \
	"\"responseElements\":{\"ConsoleLogin\":\"Success\"}," \
	"\"additionalEventData\":{\"MFAUsed\":\"YES\"},\"eventID\":" \
	"\"id-1\",\"recipientAccountId\":\"111122223333\"}"
#define USER_LOGIN \
	"{\"userIdentity\":{\"type\":\"IAMUser\",\"accountId\":" \
	"\"111122223333\"},\"eventTime\":\"2026-01-02T03:04:05Z\"," \
	"\"eventName\":\"ConsoleLogin\",\"eventID\":\"id-2\"}"

static void
test_records_file(void **state)
{
	struct seen s = { 0 };
	const char *p = write_file("a.json", "{\"Records\":[" ROOT_LOGIN ","
	    USER_LOGIN "]}\n");

	(void)state;
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_OK);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.root, 1);
	assert_string_equal(s.last.id, "id-1");
	assert_string_equal(s.last.account, "111122223333");
	assert_int_equal(s.last.kind, BG_AWS_LOGIN);
	assert_int_equal(s.last.mfa, 1);	/* "YES" is yes */
	/* an empty Records list is no record: a clear error */
	p = write_file("e.json", "{\"Records\":[]}");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_EFORMAT);
	assert_non_null(strstr(bg_why(), "no record"));
}

static void
test_gzip(void **state)
{
	char path[512];
	struct seen s = { 0 };
	const char *text = "{\"Records\":[" ROOT_LOGIN "]}";
	gzFile gz;

	(void)state;
	snprintf(path, sizeof(path), "%s/b.json.gz", scratch);
	assert_non_null(gz = gzopen(path, "wb"));
	assert_int_equal(gzputs(gz, text), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
	assert_int_equal(bg_aws_trail_file(path, count, &s), BG_OK);
	assert_int_equal(s.root, 1);
	/* a gzip file cut short */
	{
		size_t len;
		char *all = tu_read_file(path, &len);
		FILE *f;

		snprintf(path, sizeof(path), "%s/c.json.gz", scratch);
		assert_non_null(f = fopen(path, "w"));
		assert_int_equal(fwrite(all, 1, len / 2, f), len / 2);
		fclose(f);
		free(all);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(path, count, &s), BG_EFORMAT);
	assert_int_equal(s.records, 0);
}

static void
test_lines_and_eventbridge(void **state)
{
	struct seen s = { 0 };
	const char *p = write_file("d.jsonl", ROOT_LOGIN "\n" USER_LOGIN "\n"
	    "{\"version\":\"0\",\"detail-type\":\"AWS Console Sign In via "
	    "CloudTrail\",\"source\":\"aws.signin\",\"detail\":" ROOT_LOGIN
	    "}\n");

	(void)state;
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_OK);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.root, 2);
	/* a first key that starts like "Records" but is not */
	p = write_file("f.json", "{\"Rec\":1,\"userIdentity\":{\"type\":"
	    "\"Root\"}}");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_OK);
	assert_int_equal(s.records, 1);
	/*
	 * A record is never unwrapped, nor dropped unseen: a root record
	 * with a "detail-type" member of its own is still that root record;
	 * one whose first key is "Records" is read as a log file's wrapper
	 * and refused for what follows it (loud, never silent).
	 */
	p = write_file("h.jsonl", "{\"detail-type\":\"x\",\"detail\":{},"
	    "\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"w2\","
	    "\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventName\":\"X\","
	    "\"recipientAccountId\":\"111122223333\"}\n" ROOT_LOGIN "\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_OK);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.root, 2);
	p = write_file("i.jsonl", "{\"Records\":[],\"userIdentity\":{\"type\":"
	    "\"Root\"},\"eventID\":\"w1\"}\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_EFORMAT);
	/* inside JSON Lines, a wrapper with more than Records is a record */
	p = write_file("j.jsonl", ROOT_LOGIN "\n{\"Records\":[],\"userIdentity\":"
	    "{\"type\":\"Root\"},\"eventID\":\"w3\",\"eventTime\":"
	    "\"2026-01-02T03:04:05Z\",\"eventName\":\"X\","
	    "\"recipientAccountId\":\"111122223333\"}\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_OK);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.root, 2);
	/* fn's error stops the walk */
	p = write_file("g.jsonl", ROOT_LOGIN "\n" ROOT_LOGIN "\n");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(bg_aws_trail_file(p, count, &s), BG_EINVAL);
	assert_int_equal(s.records, 1);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",					/* empty */
		"   \n",
		"[1,2]",				/* not an object */
		"{\"Records\":{}}",			/* not a list */
		"{\"Records\":[" ROOT_LOGIN,		/* truncated */
		"{\"Records\":[" ROOT_LOGIN "]",	/* no closing brace */
		"{\"Records\":[" ROOT_LOGIN "]}x",	/* after the end */
		"{\"Records\":[1]}",			/* not a record */
		"{\"Records\":[{\"a\":tru}]}",		/* invalid JSON */
		"{\"Records\":[" ROOT_LOGIN " " ROOT_LOGIN "]}",  /* no ',' */
		ROOT_LOGIN "\nnot json\n",
		"{\"userIdentity\":{\"type\":\"Root\"}", /* cut */
		/* a second userIdentity cJSON's lookup would not see */
		"{\"userIdentity\":{\"type\":\"IAMUser\"},\"userIdentity\":"
		    "{\"type\":\"Root\"}}",
		"{\"Records\":[{\"userIdentity\":{\"type\":\"Root\",\"type\":"
		    "\"IAMUser\"}}]}",
		NULL,
	};
	struct seen s;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		const char *p = write_file("bad.json", bad[i]);

		memset(&s, 0, sizeof(s));
		bg_clear_why();
		assert_int_equal(bg_aws_trail_file(p, count, &s), BG_EFORMAT);
		/* the error names the file and where */
		assert_non_null(strstr(bg_why(), "bad.json"));
		assert_non_null(strstr(bg_why(), "byte"));
	}
	assert_int_equal(bg_aws_trail_file("/nonexistent/x.json", count, &s),
	    BG_ENOENT);
	assert_int_equal(bg_aws_trail_file(scratch, count, &s), BG_EINVAL);
}

/* A record past 1 MiB is refused, not buffered without bound. */
static void
test_record_too_big(void **state)
{
	char path[512];
	struct seen s = { 0 };
	FILE *f;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.json", scratch);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"Records\":[{\"x\":\"", f);
	for (i = 0; i < (2u << 20); i++)
		fputc('a', f);
	fputs("\"}]}", f);
	fclose(f);
	assert_int_equal(bg_aws_trail_file(path, count, &s), BG_EFORMAT);
	assert_non_null(strstr(bg_why(), "larger than 1 MiB"));
}

static long
max_rss_kb(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/*
 * 100 MB of records streamed: every record is seen, the one root event
 * at the end too, and the process's peak memory grows by far less than
 * the file (one record at a time).
 */
static void
test_100mb_streamed(void **state)
{
	char path[512], rec[1024];
	struct seen s = { 0 };
	size_t written = 0, n = 0, len;
	long before;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/huge.json", scratch);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"Records\":[", f);
	while (written < 100u * 1000 * 1000) {
		len = (size_t)snprintf(rec, sizeof(rec), "{\"userIdentity\":"
		    "{\"type\":\"AssumedRole\",\"accountId\":\"111122223333\"},"
		    "\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventName\":"
		    "\"GetObject\",\"eventID\":\"n-%zu\",\"requestParameters\":"
		    "{\"pad\":\"%0400d\"}},", n++, 0);
		assert_int_equal(fwrite(rec, 1, len, f), len);
		written += len;
	}
	fputs(ROOT_LOGIN "]}", f);
	fclose(f);
	before = max_rss_kb();
	assert_int_equal(bg_aws_trail_file(path, count, &s), BG_OK);
	assert_int_equal(s.records, n + 1);
	assert_int_equal(s.root, 1);
	/* read in 64 KiB blocks, one record at a time: a few MiB at most
	 * (a whole file loaded would be 100 MB and its tree several times
	 * that) */
	assert_true(max_rss_kb() - before < RSS_BOUND_KB);
	unlink(path);
}

/* ------------------------------------------------------------ fixtures */

static cJSON *
fixture(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/records/%s", BG_AWS_FIXTURES, name);
	return tu_read_json(path);
}

static void
classify(const char *name, int want_r, enum bg_aws_kind kind, int mfa)
{
	struct bg_aws_event ev;
	cJSON *j = fixture(name);

	assert_non_null(j);
	assert_int_equal(bg_aws_event_from_record(j, &ev), want_r);
	if (want_r == BG_OK) {
		assert_int_equal(ev.kind, kind);
		if (mfa != -2)	/* -2: not a sign-in, not looked at */
			assert_int_equal(ev.mfa, mfa);
		assert_int_equal(strlen(ev.account), 12);
		assert_true(ev.time > 0);
		assert_true(ev.id[0] != '\0');
	}
	cJSON_Delete(j);
}

static void
test_fixtures(void **state)
{
	struct bg_aws_event ev;
	cJSON *j;

	(void)state;
	classify("root-console-login-mfa-Yes-derived.json", BG_OK,
	    BG_AWS_LOGIN, 1);
	classify("root-console-login-no-mfa.json", BG_OK, BG_AWS_LOGIN, 0);
	classify("root-console-login-mfa-YES.json", BG_OK, BG_AWS_LOGIN, 1);
	/* failure is responseElements.ConsoleLogin, with or without an
	 * errorMessage */
	classify("root-console-login-failure.json", BG_OK,
	    BG_AWS_LOGIN_FAILED, -2);
	classify("root-console-login-failure-no-errormessage.json", BG_OK,
	    BG_AWS_LOGIN_FAILED, -2);
	classify("iam-user-console-login-mfa.json", BG_ENOENT, 0, 0);
	classify("root-create-access-key.json", BG_OK,
	    BG_AWS_ACCESS_KEY_CREATED, -2);
	classify("root-password-recovery-requested-derived.json", BG_OK,
	    BG_AWS_RECOVERY_REQUESTED, -2);
	classify("root-password-recovery-completed-derived.json", BG_OK,
	    BG_AWS_RECOVERY_COMPLETED, -2);
	classify("root-password-updated.json", BG_OK, BG_AWS_PASSWORD_UPDATED,
	    -2);
	classify("root-enable-mfa-device.json", BG_OK, BG_AWS_MFA_ENABLED, -2);
	classify("root-deactivate-mfa-device-derived.json", BG_OK,
	    BG_AWS_MFA_DEACTIVATED, -2);
	classify("root-list-access-keys.json", BG_OK, BG_AWS_API_CALL, -2);
	/* the member account's record of an AssumeRoot session is a plain
	 * root call; the AssumeRoot call (management account) names the
	 * target and the session's key (bg_aws_recon_judge joins them) */
	classify("assumeroot-member-delete-bucket-policy.json", BG_OK,
	    BG_AWS_API_CALL, -2);
	assert_non_null(j = fixture("assumeroot-management-assume-root.json"));
	/* the guide's example leaves out eventID: without one a record is
	 * malformed; CloudTrail writes one on every record */
	assert_int_equal(bg_aws_event_from_record(j, &ev), BG_EFORMAT);
	/* an empty eventID is none (found by fuzz_aws) */
	assert_non_null(cJSON_AddStringToObject(j, "eventID", ""));
	assert_int_equal(bg_aws_event_from_record(j, &ev), BG_EFORMAT);
	cJSON_DeleteItemFromObject(j, "eventID");
	assert_non_null(cJSON_AddStringToObject(j, "eventID", "ar-1"));
	assert_int_equal(bg_aws_event_from_record(j, &ev), BG_OK);
	assert_int_equal(ev.kind, BG_AWS_ASSUME_ROOT);
	assert_string_equal(ev.account, "222222222222");
	assert_string_equal(ev.task, "S3UnlockBucketPolicy");
	assert_string_equal(ev.issued, "ASIAIOSFODNN7EXAMPLE");
	cJSON_Delete(j);
}

static void
test_eventbridge_fixtures(void **state)
{
	static const char *const names[] = { "root-console-signin.json",
	    "root-api-call-create-bucket.json" };
	char path[512];
	struct seen s;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof(s));
		snprintf(path, sizeof(path), "%s/eventbridge/%s",
		    BG_AWS_FIXTURES, names[i]);
		assert_int_equal(bg_aws_trail_file(path, count, &s), BG_OK);
		assert_int_equal(s.records, 1);
		assert_int_equal(s.root, 1);
		assert_int_equal(s.last.kind, i == 0 ? BG_AWS_LOGIN :
		    BG_AWS_API_CALL);
	}
}

/* ---------------------------------------------------------- XML, time */

static void
test_xml(void **state)
{
	static const char x[] = "<R xmlns=\"https://iam.amazonaws.com/doc/"
	    "2010-05-08/\"><A><member><B>1 &amp; 2</B></member><member>"
	    "<B>&lt;x&gt;</B><C/></member></A><D>bad &bogus;</D></R>";
	const char *p = x, *end = x + sizeof(x) - 1, *in, *ie, *m, *me;
	char out[32];
	int n = 0;

	(void)state;
	assert_true(bg_aws_xml_next(&p, end, "A", &in, &ie));
	while (bg_aws_xml_next(&in, ie, "member", &m, &me)) {
		assert_int_equal(bg_aws_xml_text(m, me, "B", out, sizeof(out)),
		    BG_OK);
		assert_string_equal(out, n == 0 ? "1 & 2" : "<x>");
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(bg_aws_xml_text(x, end, "C", out, sizeof(out)),
	    BG_OK);
	assert_string_equal(out, "");
	assert_int_equal(bg_aws_xml_text(x, end, "D", out, sizeof(out)),
	    BG_EFORMAT);
	assert_int_equal(bg_aws_xml_text(x, end, "Z", out, sizeof(out)),
	    BG_ENOENT);
	assert_int_equal(bg_aws_xml_text(x, end, "B", out, 3), BG_ETOOBIG);
	/* an element cut short is no element */
	assert_int_equal(bg_aws_xml_text("<B>abc</", "<B>abc</" + 8, "B",
	    out, sizeof(out)), BG_ENOENT);
}

static void
test_time(void **state)
{
	uint64_t t;

	(void)state;
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05Z", &t), BG_OK);
	assert_int_equal(t, 1767323045);
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05.123Z", &t),
	    BG_OK);
	assert_int_equal(t, 1767323045);
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05+00:00", &t),
	    BG_OK);
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05+02:00", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_aws_time_parse("2026-01-02 03:04:05Z", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_aws_time_parse("2026-13-02T03:04:05Z", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05Zjunk", &t),
	    BG_EFORMAT);
	/* fractions: digits only, then Z */
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05.+05:00Z", &t),
	    BG_EFORMAT);
	assert_int_equal(bg_aws_time_parse("2026-01-02T03:04:05.Z", &t),
	    BG_EFORMAT);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tu_rm_rf(scratch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_file),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_lines_and_eventbridge),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_record_too_big),
		cmocka_unit_test(test_100mb_streamed),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_eventbridge_fixtures),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
