/*
 * The ledger (broker/ledger/): what a real audit log says about one-time
 * slots and requests. Entries are appended as the ceremony would write
 * them: request.open (actor the requester, detail expiry and entries),
 * approval.granted (actor the custodian, detail entries; the first one
 * naming a slot burns it), request.quorum_met (the versions exposed),
 * approval.denied and release.done (closing the request). Entries of a
 * detail that are malformed are skipped, never read as some other slot.
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

#include "common/common.h"
#include "broker/ledger/ledger.h"

#define PROD "111122223333"
#define STAGING "444455556666"
#define PW "root-password"
#define MFA "root-mfa"

/* Requests: A open, B expired, C denied, D released, E for staging. */
#define RQ_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RQ_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define RQ_C "cccccccccccccccccccccccccccccccc"
#define RQ_D "dddddddddddddddddddddddddddddddd"
#define RQ_E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define RQ_F "ffffffffffffffffffffffffffffffff"

struct fx {
	char dir[64];
	char audit[128];
	bg_audit_t *log;
	bg_ledger_t *l;
	uint64_t t0, t1;	/* before the first entry, after the last */
};

/*
 * The clock the log's entries read (time() may lag it by a tick, so an
 * entry could seem later than a time() taken after it).
 */
static uint64_t
realtime(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint64_t)ts.tv_sec;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg-ledger-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->audit, sizeof(f->audit), "%s/audit", f->dir);
	assert_int_equal(bg_audit_init(f->audit, "test.example/ledger"),
	    BG_OK);
	assert_int_equal(bg_audit_open(f->audit, BG_AUDIT_WRITE, &f->log),
	    BG_OK);
	f->t0 = realtime();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bg_ledger_free(&f->l);
	bg_audit_close(&f->log);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
append(struct fx *f, const char *event, const char *actor,
    const char *account, const char *request, cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, account, request, detail };

	assert_int_equal(bg_audit_append(f->log, &ev, NULL), BG_OK);
	cJSON_Delete(detail);
}

/* A detail naming n slots of one version each, as the ceremony writes. */
static cJSON *
entries(const char *const *items, const uint64_t *versions,
    const uint32_t *slots, size_t n)
{
	cJSON *d = cJSON_CreateObject();

	assert_non_null(d);
	assert_int_equal(bg_ledger_add_entries(d, items, versions, slots, n),
	    BG_OK);
	return d;
}

static cJSON *
one(const char *item, uint64_t version, uint32_t slot)
{
	return entries(&item, &version, &slot, 1);
}

/* request.open's detail: expiry (RFC 3339) and the entries. */
static cJSON *
opened(uint64_t expiry, cJSON *d)
{
	char ts[BG_RFC3339_LEN + 1];

	assert_int_equal(bg_rfc3339_format(expiry, ts), BG_OK);
	assert_non_null(cJSON_AddStringToObject(d, "expiry", ts));
	return d;
}

static void
read_ledger(struct fx *f)
{
	bg_ledger_free(&f->l);
	f->t1 = realtime();
	assert_int_equal(bg_ledger_read(f->log, &f->l), BG_OK);
	assert_non_null(f->l);
}

static struct bg_ledger_slot
slot(const char *account, const char *item, uint64_t version, uint32_t s)
{
	struct bg_ledger_slot x;

	memset(&x, 0, sizeof(x));
	snprintf(x.account, sizeof(x.account), "%s", account);
	snprintf(x.item, sizeof(x.item), "%s", item);
	x.version = version;
	x.slot = s;
	return x;
}

static const struct bg_ledger_burn *
burned(const struct fx *f, const char *account, const char *item,
    uint64_t version, uint32_t s)
{
	struct bg_ledger_slot x = slot(account, item, version, s);

	return bg_ledger_burned(f->l, &x);
}

static int
reserved(const struct fx *f, const char *item, uint32_t s, const char *id,
    uint64_t now)
{
	struct bg_ledger_slot x = slot(PROD, item, 1, s);

	return bg_ledger_reserved(f->l, &x, id, now);
}

/*
 * The story: rita opens A (slots PW 0, MFA 0; open) and B (PW 1; already
 * expired), sam opens C (PW 2; denied after bob's approval), rita opens D
 * (PW 3; released) and E on staging (PW 0 there). alice and dave approve
 * A; bob approves C, and with a forged entry also names A's slot.
 */
static void
story(struct fx *f, uint64_t now)
{
	static const char *const both[2] = { MFA, PW };
	static const uint64_t v11[2] = { 1, 1 };
	static const uint32_t s00[2] = { 0, 0 };

	append(f, "request.open", "rita", PROD, RQ_A, opened(now + 3600,
	    entries(both, v11, s00, 2)));
	append(f, "request.open", "rita", PROD, RQ_B, opened(now - 10,
	    one(PW, 1, 1)));
	append(f, "request.open", "sam", PROD, RQ_C, opened(now + 3600,
	    one(PW, 1, 2)));
	append(f, "request.open", "rita", PROD, RQ_D, opened(now + 3600,
	    one(PW, 1, 3)));
	append(f, "request.open", "rita", STAGING, RQ_E, opened(now + 3600,
	    one(PW, 1, 0)));
	append(f, "approval.granted", "alice", PROD, RQ_A, one(PW, 1, 0));
	append(f, "approval.granted", "bob", PROD, RQ_C, one(PW, 1, 2));
	/* another request's approval naming A's slot: not a second burn */
	append(f, "approval.granted", "bob", PROD, RQ_C, one(PW, 1, 0));
	append(f, "approval.granted", "dave", PROD, RQ_A, one(MFA, 1, 0));
	append(f, "approval.granted", "carol", PROD, RQ_D, one(PW, 1, 3));
	append(f, "approval.granted", "bob", PROD, RQ_D, one(PW, 1, 3));
	append(f, "request.quorum_met", "", PROD, RQ_D, one(PW, 1, 3));
	append(f, "approval.denied", "erin", PROD, RQ_C, NULL);
	append(f, "release.done", "rita", PROD, RQ_D, NULL);
	read_ledger(f);
}

static void
test_burns(void **state)
{
	struct fx *f = *state;
	const struct bg_ledger_burn *b;

	story(f, f->t0);
	/* the first approval naming a slot burns it */
	assert_non_null(b = burned(f, PROD, PW, 1, 0));
	assert_string_equal(b->request, RQ_A);
	assert_string_equal(b->person, "alice");
	assert_string_equal(b->s.account, PROD);
	assert_string_equal(b->s.item, PW);
	assert_int_equal(b->s.version, 1);
	assert_int_equal(b->s.slot, 0);
	assert_true(b->time >= f->t0 && b->time <= f->t1);
	/* bob's later approval of C naming it did not re-burn it */
	assert_string_equal(burned(f, PROD, PW, 1, 0)->person, "alice");
	assert_non_null(b = burned(f, PROD, MFA, 1, 0));
	assert_string_equal(b->person, "dave");
	assert_non_null(b = burned(f, PROD, PW, 1, 2));
	assert_string_equal(b->request, RQ_C);
	assert_string_equal(b->person, "bob");
	assert_non_null(b = burned(f, PROD, PW, 1, 3));
	assert_string_equal(b->person, "carol");	/* first of two */
	/* opened only, never approved: not burned */
	assert_null(burned(f, PROD, PW, 1, 1));
	/* another account, version or item: not the same slot */
	assert_null(burned(f, STAGING, PW, 1, 0));
	assert_null(burned(f, PROD, PW, 2, 0));
	assert_null(burned(f, PROD, "recovery-codes", 1, 0));
	assert_null(burned(f, PROD, MFA, 1, 1));

	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 1), 3);
	assert_int_equal(bg_ledger_nburned(f->l, PROD, MFA, 1), 1);
	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 2), 0);
	assert_int_equal(bg_ledger_nburned(f->l, STAGING, PW, 1), 0);

	/* burns per custodian, since a time */
	assert_int_equal(bg_ledger_burns_by(f->l, "alice", 0), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "bob", 0), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "BOB", 0), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "carol", f->t0), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "dave", f->t0 - 86400), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "dave", f->t1 + 1), 0);
	assert_int_equal(bg_ledger_burns_by(f->l, "erin", 0), 0);
	assert_int_equal(bg_ledger_burns_by(f->l, "rita", 0), 0);
}

static void
test_requests(void **state)
{
	struct fx *f = *state;
	uint64_t now = f->t0;

	story(f, now);
	/* reserved: named by a request still open, other than the asker */
	assert_true(reserved(f, PW, 0, NULL, now));
	assert_true(reserved(f, MFA, 0, NULL, now));
	assert_false(reserved(f, PW, 0, RQ_A, now));	/* its own */
	assert_true(reserved(f, PW, 0, RQ_C, now));
	assert_false(reserved(f, PW, 1, NULL, now));	/* B expired */
	assert_true(reserved(f, PW, 1, NULL, now - 100));	/* before */
	assert_false(reserved(f, PW, 2, NULL, now));	/* C denied */
	assert_false(reserved(f, PW, 3, NULL, now));	/* D released */
	assert_false(reserved(f, PW, 4, NULL, now));	/* nobody's */
	assert_false(reserved(f, PW, 0, NULL, now + 3600));	/* A expired */
	assert_false(reserved(f, PW, 0, NULL, now + 7200));
	{
		struct bg_ledger_slot s = slot(STAGING, PW, 1, 0);

		assert_true(bg_ledger_reserved(f->l, &s, NULL, now));
		assert_false(bg_ledger_reserved(f->l, &s, RQ_E, now));
	}

	/* open requests per requester: A and E (B expired, D released) */
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", now), 2);
	assert_int_equal(bg_ledger_open_requests(f->l, "Rita", now), 2);
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", now - 100), 3);
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", now + 3600), 0);
	assert_int_equal(bg_ledger_open_requests(f->l, "sam", now), 0);
	assert_int_equal(bg_ledger_open_requests(f->l, "alice", now), 0);

	/* closed: denied or released */
	assert_false(bg_ledger_closed(f->l, RQ_A));
	assert_false(bg_ledger_closed(f->l, RQ_B));	/* expired only */
	assert_true(bg_ledger_closed(f->l, RQ_C));
	assert_true(bg_ledger_closed(f->l, RQ_D));
	assert_false(bg_ledger_closed(f->l, RQ_F));	/* never opened */

	/* quorum and exposure */
	assert_true(bg_ledger_quorum(f->l, RQ_D));
	assert_false(bg_ledger_quorum(f->l, RQ_A));
	assert_false(bg_ledger_quorum(f->l, RQ_F));
	assert_true(bg_ledger_exposed(f->l, PROD, PW, 1));
	assert_false(bg_ledger_exposed(f->l, PROD, MFA, 1));
	assert_false(bg_ledger_exposed(f->l, PROD, PW, 2));
	assert_false(bg_ledger_exposed(f->l, STAGING, PW, 1));
}

/* What the log adds later changes the reading; nothing else does. */
static void
test_later_entries(void **state)
{
	struct fx *f = *state;
	uint64_t now = f->t0;

	story(f, now);
	assert_false(bg_ledger_exposed(f->l, PROD, MFA, 1));
	append(f, "request.quorum_met", "", PROD, RQ_A, entries(
	    (const char *const[]){ MFA, PW }, (const uint64_t[]){ 1, 1 },
	    (const uint32_t[]){ 0, 0 }, 2));
	append(f, "release.done", "rita", PROD, RQ_A, NULL);
	/* a second open of an id already there is not a new request */
	append(f, "request.open", "mallory", PROD, RQ_A, opened(now + 3600,
	    one(PW, 1, 9)));
	read_ledger(f);
	assert_true(bg_ledger_quorum(f->l, RQ_A));
	assert_true(bg_ledger_closed(f->l, RQ_A));
	assert_true(bg_ledger_exposed(f->l, PROD, MFA, 1));
	assert_false(reserved(f, PW, 0, NULL, now));
	assert_false(reserved(f, PW, 9, NULL, now));
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", now), 1);
	assert_int_equal(bg_ledger_open_requests(f->l, "mallory", now), 0);
	/* freed twice: harmless */
	bg_ledger_free(&f->l);
	assert_null(f->l);
	bg_ledger_free(&f->l);
}

/* A detail entry of the wrong shape is skipped, never taken as a slot. */
static void
test_malformed_entries(void **state)
{
	static const char *const bad[] = {
		"{\"item\":\"root-password\",\"version\":1,\"slot\":-1}",
		"{\"item\":\"root-password\",\"version\":1,\"slot\":256}",
		"{\"item\":\"root-password\",\"version\":1,\"slot\":1e9}",
		"{\"item\":\"root-password\",\"version\":1,\"slot\":\"5\"}",
		"{\"item\":\"root-password\",\"version\":1}",
		"{\"version\":1,\"slot\":6}",
		"{\"item\":5,\"version\":1,\"slot\":6}",
		"{\"item\":\"\",\"version\":1,\"slot\":6}",
		"{\"item\":\"not a name!\",\"version\":1,\"slot\":6}",
		"{\"item\":\"root-password\",\"version\":\"1\",\"slot\":7}",
		"{\"item\":\"root-password\",\"version\":0,\"slot\":7}",
		"{\"item\":\"root-password\",\"version\":-1,\"slot\":7}",
		"{\"item\":\"root-password\",\"slot\":7}",
		"{\"item\":\"root-password\",\"version\":null,\"slot\":7}",
		"[\"root-password\",1,8]",
		"\"root-password\"",
		"null",
	};
	struct fx *f = *state;
	uint64_t now = f->t0;
	cJSON *d, *arr, *e;
	size_t i;
	uint32_t s;

	d = cJSON_CreateObject();
	assert_non_null(arr = cJSON_AddArrayToObject(d, "entries"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(e = cJSON_Parse(bad[i]));
		assert_true(cJSON_AddItemToArray(arr, e));
	}
	/* and one good entry last: read, whatever came before */
	assert_non_null(e = cJSON_Parse("{\"item\":\"root-password\","
	    "\"version\":1,\"slot\":255}"));
	assert_true(cJSON_AddItemToArray(arr, e));
	/* the same entries opened as a request, and approved */
	append(f, "request.open", "rita", PROD, RQ_A, opened(now + 3600,
	    cJSON_Duplicate(d, 1)));
	append(f, "approval.granted", "alice", PROD, RQ_A, d);
	/* details without entries, or entries not an array */
	append(f, "approval.granted", "bob", PROD, RQ_A, NULL);
	d = cJSON_CreateObject();
	assert_non_null(cJSON_AddStringToObject(d, "entries", "slot 0"));
	append(f, "approval.granted", "bob", PROD, RQ_A, d);
	/* a request whose expiry is not a time is never open */
	d = one(PW, 1, 100);
	assert_non_null(cJSON_AddStringToObject(d, "expiry", "tomorrow"));
	append(f, "request.open", "sam", PROD, RQ_B, d);
	/* nor one without an expiry, nor one with a bad id */
	append(f, "request.open", "sam", PROD, RQ_C, one(PW, 1, 101));
	append(f, "request.open", "sam", PROD, "not-an-id", opened(now +
	    3600, one(PW, 1, 102)));
	read_ledger(f);

	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 1), 1);
	assert_non_null(burned(f, PROD, PW, 1, 255));
	for (s = 0; s < 255; s++)
		assert_null(burned(f, PROD, PW, 1, s));
	assert_null(burned(f, PROD, PW, 0, 7));
	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 0), 0);
	assert_int_equal(bg_ledger_burns_by(f->l, "alice", 0), 1);
	assert_int_equal(bg_ledger_burns_by(f->l, "bob", 0), 0);
	/* A reserves the good slot only */
	for (s = 0; s < 255; s++)
		assert_false(reserved(f, PW, s, NULL, now));
	assert_true(reserved(f, PW, 255, NULL, now));
	/* B, C and the bad id: never open */
	assert_false(reserved(f, PW, 100, NULL, now));
	assert_false(reserved(f, PW, 101, NULL, now));
	assert_false(reserved(f, PW, 102, NULL, now));
	assert_int_equal(bg_ledger_open_requests(f->l, "sam", now), 0);
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", now), 1);
}

/*
 * A fractional slot or version is not an integer the ceremony writes:
 * skipped like the others (not truncated to a neighbouring slot).
 */
static void
test_fractional_entries(void **state)
{
	struct fx *f = *state;
	cJSON *d, *arr;

	d = cJSON_CreateObject();
	assert_non_null(arr = cJSON_AddArrayToObject(d, "entries"));
	assert_true(cJSON_AddItemToArray(arr, cJSON_Parse("{\"item\":"
	    "\"root-password\",\"version\":1,\"slot\":3.5}")));
	assert_true(cJSON_AddItemToArray(arr, cJSON_Parse("{\"item\":"
	    "\"root-mfa\",\"version\":1.5,\"slot\":4}")));
	assert_true(cJSON_AddItemToArray(arr, cJSON_Parse("{\"item\":"
	    "\"root-mfa\",\"version\":1,\"slot\":255.5}")));
	/* beyond any integer JSON carries exactly (and any uint64_t) */
	assert_true(cJSON_AddItemToArray(arr, cJSON_Parse("{\"item\":"
	    "\"root-mfa\",\"version\":1e300,\"slot\":4}")));
	append(f, "approval.granted", "alice", PROD, RQ_A, d);
	read_ledger(f);
	assert_null(burned(f, PROD, PW, 1, 3));
	assert_null(burned(f, PROD, MFA, 1, 4));
	assert_null(burned(f, PROD, MFA, 1, 255));
	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 1), 0);
	assert_int_equal(bg_ledger_nburned(f->l, PROD, MFA, 1), 0);
	assert_int_equal(bg_ledger_burns_by(f->l, "alice", 0), 0);
}

/* bg_ledger_add_entries writes what the ledger reads, in order. */
static void
test_add_entries(void **state)
{
	static const char *const items[3] = { MFA, PW, "recovery-codes" };
	static const uint64_t versions[3] = { 2, 7, 1 };
	static const uint32_t slots[3] = { 0, 31, 255 };
	struct fx *f = *state;
	cJSON *d = entries(items, versions, slots, 3), *arr, *e;
	size_t i = 0;

	arr = cJSON_GetObjectItemCaseSensitive(d, "entries");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	cJSON_ArrayForEach(e, arr) {
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(e,
		    "item")->valuestring, items[i]);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(e,
		    "version")->valuedouble, versions[i]);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(e,
		    "slot")->valuedouble, slots[i]);
		i++;
	}
	append(f, "approval.granted", "alice", PROD, RQ_A, d);
	read_ledger(f);
	for (i = 0; i < 3; i++) {
		assert_non_null(burned(f, PROD, items[i], versions[i],
		    slots[i]));
		assert_int_equal(bg_ledger_nburned(f->l, PROD, items[i],
		    versions[i]), 1);
	}
	assert_int_equal(bg_ledger_burns_by(f->l, "alice", 0), 3);
	/* no entries: an empty array */
	d = entries(NULL, NULL, NULL, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d,
	    "entries")), 0);
	cJSON_Delete(d);
}

/* An empty log (audit.init only) reads as nothing at all. */
static void
test_empty_log(void **state)
{
	struct fx *f = *state;

	read_ledger(f);
	assert_null(burned(f, PROD, PW, 1, 0));
	assert_int_equal(bg_ledger_nburned(f->l, PROD, PW, 1), 0);
	assert_false(bg_ledger_exposed(f->l, PROD, PW, 1));
	assert_false(reserved(f, PW, 0, NULL, f->t0));
	assert_int_equal(bg_ledger_open_requests(f->l, "rita", f->t0), 0);
	assert_int_equal(bg_ledger_burns_by(f->l, "alice", 0), 0);
	assert_false(bg_ledger_closed(f->l, RQ_A));
	assert_false(bg_ledger_quorum(f->l, RQ_A));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_burns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_later_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fractional_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_log, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
