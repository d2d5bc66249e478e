/*
 * The state directory: each write is audited first with the new file's
 * hash; when the audit entry cannot be made the file is not written; a
 * file edited, added or removed by hand is reported by bg_state_verify.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <openssl/evp.h>

#include "common/common.h"
#include "broker/state/state.h"

struct fx {
	char dir[64];
	char reports[1024];
	int nreports;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char audit[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg-state-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(audit, sizeof(audit), "%s/audit", f->dir);
	assert_int_equal(bg_audit_init(audit, "test.example/state"), BG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
report(void *ctx, const char *file, const char *problem)
{
	struct fx *f = ctx;
	size_t n = strlen(f->reports);

	snprintf(f->reports + n, sizeof(f->reports) - n, "%s %s\n", file,
	    problem);
	f->nreports++;
}

static int
verify(struct fx *f)
{
	f->reports[0] = '\0';
	f->nreports = 0;
	return bg_state_verify(f->dir, report, f);
}

static void
write_doc(struct fx *f, const char *name, int n)
{
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct bg_state st;
	cJSON *doc = cJSON_CreateObject();

	assert_non_null(cJSON_AddNumberToObject(doc, "n", n));
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_write(&st, name, doc, &ev), BG_OK);
	bg_state_close(&st);
	cJSON_Delete(doc);
}

static void
put_file(struct fx *f, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(bg_file_replace(path, text, strlen(text), 0600), BG_OK);
}

static void
test_write_read_verify(void **state)
{
	struct fx *f = *state;
	struct bg_state st;
	cJSON *doc;

	write_doc(f, "vault.json", 1);
	write_doc(f, "requests/abc.json", 2);
	write_doc(f, "vault.json", 3);
	assert_int_equal(verify(f), BG_OK);
	assert_int_equal(f->nreports, 0);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_read(&st, "vault.json", &doc), BG_OK);
	assert_int_equal(cJSON_GetObjectItem(doc, "n")->valueint, 3);
	cJSON_Delete(doc);
	assert_int_equal(bg_state_read(&st, "requests/none.json", &doc),
	    BG_ENOENT);
	assert_int_equal(bg_state_read(&st, "../x.json", &doc), BG_EINVAL);
	bg_state_close(&st);
}

static void
test_hand_edits_detected(void **state)
{
	struct fx *f = *state;
	char path[256];

	write_doc(f, "vault.json", 1);
	write_doc(f, "requests/abc.json", 2);
	put_file(f, "vault.json", "{\n\t\"n\":\t9\n}\n");
	assert_int_equal(verify(f), BG_ETAMPER);
	assert_non_null(strstr(f->reports, "vault.json differs"));
	write_doc(f, "vault.json", 1);	/* an audited write makes it right */
	assert_int_equal(verify(f), BG_OK);
	put_file(f, "requests/forged.json", "{}\n");
	assert_int_equal(verify(f), BG_ETAMPER);
	assert_non_null(strstr(f->reports, "requests/forged.json is not "
	    "recorded"));
	snprintf(path, sizeof(path), "%s/requests/forged.json", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/requests/abc.json", f->dir);
	unlink(path);
	assert_int_equal(verify(f), BG_ETAMPER);
	assert_non_null(strstr(f->reports, "requests/abc.json is missing"));
	assert_int_equal(f->nreports, 1);
	put_file(f, "breakglass.json", "{}\n");
	assert_int_equal(verify(f), BG_ETAMPER);
	assert_non_null(strstr(f->reports, "breakglass.json is not recorded"));
}

/* The audit entry cannot be written: the file must not change. */
static void
test_audit_failure_writes_nothing(void **state)
{
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct fx *f = *state;
	struct bg_state st;
	struct rlimit old, lim;
	struct stat sb;
	char path[256];
	cJSON *doc;

	write_doc(f, "vault.json", 1);
	snprintf(path, sizeof(path), "%s/audit/entries.jsonl", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "n", 2);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size;	/* no room for one more entry */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_not_equal(bg_state_write(&st, "vault.json", doc, &ev), BG_OK);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	bg_state_close(&st);
	cJSON_Delete(doc);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_read(&st, "vault.json", &doc), BG_OK);
	assert_int_equal(cJSON_GetObjectItem(doc, "n")->valueint, 1);
	cJSON_Delete(doc);
	bg_state_close(&st);
	assert_int_equal(verify(f), BG_OK);
}

/* The new version cannot even be staged: no entry, nothing changed. */
static void
test_stage_failure_writes_nothing(void **state)
{
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct fx *f = *state;
	struct bg_state st;
	cJSON *doc = cJSON_CreateObject();
	char path[128];
	uint64_t before;

	put_file(f, "requests", "not a directory");
	cJSON_AddNumberToObject(doc, "n", 1);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	before = bg_audit_size(st.log);
	assert_int_not_equal(bg_state_write(&st, "requests/x.json", doc, &ev),
	    BG_OK);
	assert_int_equal(bg_audit_size(st.log), before);
	bg_state_close(&st);
	cJSON_Delete(doc);
	snprintf(path, sizeof(path), "%s/requests", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(verify(f), BG_OK);
}

/* Records that name's next version has hash hex, as a write would. */
static void
record_hash(struct fx *f, const char *name, const char *hex)
{
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct bg_state st;
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "file", name);
	cJSON_AddStringToObject(d, "sha256", hex);
	ev.detail = d;
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_note(&st, &ev), BG_OK);
	bg_state_close(&st);
	cJSON_Delete(d);
}

static void
sha256_hex_of(const char *text, char hex[65])
{
	uint8_t sum[32];

	assert_int_equal(EVP_Digest(text, strlen(text), sum, NULL,
	    EVP_sha256(), NULL), 1);
	bg_hex_encode(sum, 32, hex, 65);
}

/*
 * A crash after the staged file and its entry, before the rename: the
 * next open finishes the write. A crash before the entry: the staged file
 * is dropped. Either way the state verifies.
 */
static void
test_interrupted_writes_settle(void **state)
{
	const char *next = "{\n\t\"n\":\t2\n}\n";
	struct fx *f = *state;
	char hex[65], path[128], *v;
	struct bg_state st;
	size_t len;

	write_doc(f, "vault.json", 1);
	write_doc(f, "requests/a.json", 1);
	sha256_hex_of(next, hex);
	record_hash(f, "vault.json", hex);	/* opens: nothing pending yet */
	put_file(f, "vault.json.pending", next);
	put_file(f, "requests/a.json.pending", "{\"n\": 3}\n");
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	bg_state_close(&st);
	snprintf(path, sizeof(path), "%s/vault.json", f->dir);
	v = tu_read_file(path, &len);
	assert_string_equal(v, next);
	free(v);
	snprintf(path, sizeof(path), "%s/vault.json.pending", f->dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/requests/a.json.pending", f->dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(verify(f), BG_OK);
}

/*
 * Review finding: edit vault.json and patch the hash recorded in the
 * audit entry to match. vault verify must not trust an unverified log.
 */
static void
test_patched_log_refused(void **state)
{
	struct fx *f = *state;
	char path[256], hex_old[65], hex_new[65], *log, *pos, *v;
	size_t len, vlen;
	uint8_t sum[32];

	write_doc(f, "vault.json", 1);
	snprintf(path, sizeof(path), "%s/vault.json", f->dir);
	v = tu_read_file(path, &vlen);
	assert_int_equal(EVP_Digest(v, vlen, sum, NULL, EVP_sha256(), NULL), 1);
	bg_hex_encode(sum, 32, hex_old, sizeof(hex_old));
	free(v);
	put_file(f, "vault.json", "{\n\t\"n\":\t7\n}\n");
	v = tu_read_file(path, &vlen);
	assert_int_equal(EVP_Digest(v, vlen, sum, NULL, EVP_sha256(), NULL), 1);
	bg_hex_encode(sum, 32, hex_new, sizeof(hex_new));
	free(v);
	snprintf(path, sizeof(path), "%s/audit/entries.jsonl", f->dir);
	log = tu_read_file(path, &len);
	assert_non_null(pos = strstr(log, hex_old));
	memcpy(pos, hex_new, 64);
	assert_int_equal(bg_file_replace(path, log, len, 0600), BG_OK);
	free(log);
	assert_int_equal(verify(f), BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "does not verify"));
}

/* The audit log's entries, to show that nothing was appended. */
static void
log_bytes(struct fx *f, char **buf, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/audit/entries.jsonl", f->dir);
	assert_int_equal(bg_file_read(path, 1u << 24, buf, len), BG_OK);
}

/*
 * A state file with a string that is not clean text is not written and
 * nothing is recorded; the path of the bad member is named. A newline in
 * a value (a request's statement) is allowed.
 */
static void
test_unclean_text_not_written(void **state)
{
	static const char *const bad[] = { "\xff", "a\xc2\x85", "\xe2\x80\xae",
	    "a\tb", "\xed\xa0\x80" };
	struct bg_audit_event ev = { "vault.test", "tester", "", "", NULL };
	struct fx *f = *state;
	struct bg_state st;
	char *before, *after, path[256];
	size_t blen, alen, i;
	cJSON *doc, *arr;

	write_doc(f, "vault.json", 1);
	log_bytes(f, &before, &blen);
	snprintf(path, sizeof(path), "%s/requests/x.json", f->dir);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(doc = cJSON_CreateObject());
		assert_non_null(arr = cJSON_AddArrayToObject(doc, "people"));
		cJSON_AddItemToArray(arr, cJSON_CreateString("ok"));
		cJSON_AddItemToArray(arr, cJSON_CreateString(bad[i]));
		bg_clear_why();
		assert_int_equal(bg_state_write(&st, "requests/x.json", doc,
		    &ev), BG_EINVAL);
		assert_non_null(strstr(bg_why(), "requests/x.json: people[1]"));
		cJSON_Delete(doc);
		assert_int_equal(access(path, F_OK), -1);
	}
	assert_non_null(doc = cJSON_CreateObject());
	assert_non_null(cJSON_AddNumberToObject(doc, "a\nb", 1));
	assert_int_equal(bg_state_write(&st, "vault.json", doc, &ev),
	    BG_EINVAL);
	cJSON_Delete(doc);
	bg_state_close(&st);
	log_bytes(f, &after, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	assert_int_equal(verify(f), BG_OK);
	/* control: a statement's newlines are written */
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_non_null(doc = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(doc, "request",
	    "format x\nid y\n"));
	assert_int_equal(bg_state_write(&st, "requests/x.json", doc, &ev),
	    BG_OK);
	cJSON_Delete(doc);
	bg_state_close(&st);
	assert_int_equal(access(path, F_OK), 0);
	free(before);
}

/* What an entry with no actor names: the default, else breakglass. */
static void
test_default_actor(void **state)
{
	static const char *const want[] = { "breakglass", "operator1",
	    "carol" };
	struct bg_audit_event ev = { "thing.done", NULL, "", "", NULL };
	struct bg_audit_entry e;
	struct fx *f = *state;
	struct bg_state st;
	char *buf, *line, *nl;
	size_t len, i, n, k;

	assert_string_equal(bg_state_actor(), BG_STATE_SYSTEM_ACTOR);
	assert_int_equal(bg_state_set_actor(""), BG_EINVAL);
	assert_int_equal(bg_state_set_actor(NULL), BG_EINVAL);
	assert_int_equal(bg_state_set_actor("x\xe2\x80\xae"), BG_EINVAL);
	assert_string_equal(bg_state_actor(), BG_STATE_SYSTEM_ACTOR);
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	assert_int_equal(bg_state_note(&st, &ev), BG_OK);	/* NULL */
	assert_int_equal(bg_state_set_actor("operator1"), BG_OK);
	ev.actor = "";
	assert_int_equal(bg_state_note(&st, &ev), BG_OK);	/* empty */
	ev.actor = "carol";
	assert_int_equal(bg_state_note(&st, &ev), BG_OK);	/* given */
	bg_state_close(&st);
	assert_int_equal(bg_state_set_actor(BG_STATE_SYSTEM_ACTOR), BG_OK);
	log_bytes(f, &buf, &len);
	/* the last three entries */
	for (i = len - 1, n = 0; i > 0 && n < 3; i--)
		if (buf[i - 1] == '\n')
			n++;
	line = buf + i + 1;
	for (k = 0; k < 3; k++) {
		assert_non_null(nl = strchr(line, '\n'));
		assert_int_equal(bg_audit_entry_parse(line, (size_t)(nl - line),
		    &e), BG_OK);
		assert_string_equal(e.event, "thing.done");
		assert_string_equal(e.actor, want[k]);
		bg_audit_entry_free(&e);
		line = nl + 1;
	}
	free(buf);
}

/*
 * A state directory, its audit directory or a file in them that others
 * may write, or a signing key others may read, is refused by the writer
 * and by verify, naming the path and the fix; restored, it works again.
 */
static void
test_permissions_refused(void **state)
{
	static const struct {
		const char *name;
		mode_t bad, good;
		const char *fix;
	} cases[] = {
		{ "", 0707, 0700, "chmod go-w" },
		{ "audit", 0770, 0700, "chmod go-w" },
		{ "vault.json", 0620, 0600, "chmod go-w" },
		{ "audit/entries.jsonl", 0606, 0600, "chmod go-w" },
		{ "audit/signing.key", 0640, 0600, "chmod go-rwx" },
		{ "requests", 0720, 0700, "chmod go-w" },
	};
	struct fx *f = *state;
	struct bg_state st;
	char path[256], link[256], *before, *after;
	size_t blen, alen, i;
	cJSON *doc;

	write_doc(f, "vault.json", 1);
	write_doc(f, "requests/abc.json", 2);
	log_bytes(f, &before, &blen);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", f->dir,
		    cases[i].name[0] ? "/" : "", cases[i].name);
		assert_int_equal(chmod(path, cases[i].bad), 0);
		bg_clear_why();
		assert_int_equal(bg_state_open(&st, f->dir), BG_EPERM);
		assert_non_null(strstr(bg_why(), path));
		assert_non_null(strstr(bg_why(), cases[i].fix));
		assert_int_equal(verify(f), BG_EPERM);
		assert_int_equal(bg_state_check_perms(f->dir), BG_EPERM);
		assert_int_equal(chmod(path, cases[i].good), 0);
		assert_int_equal(bg_state_check_perms(f->dir), BG_OK);
	}
	/* a file under requests/ is judged when it is read */
	assert_int_equal(bg_state_open(&st, f->dir), BG_OK);
	snprintf(path, sizeof(path), "%s/requests/abc.json", f->dir);
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(bg_state_read(&st, "requests/abc.json", &doc),
	    BG_EPERM);
	assert_non_null(strstr(bg_why(), "chmod go-w"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(bg_state_read(&st, "requests/abc.json", &doc), BG_OK);
	cJSON_Delete(doc);
	bg_state_close(&st);
	/* a symlink in the state directory */
	snprintf(link, sizeof(link), "%s/breakglass.json", f->dir);
	snprintf(path, sizeof(path), "%s/vault.json", f->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(bg_state_open(&st, f->dir), BG_EPERM);
	assert_non_null(strstr(bg_why(), "symbolic link"));
	assert_int_equal(unlink(link), 0);
	log_bytes(f, &after, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	free(before);
	assert_int_equal(verify(f), BG_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hand_edits_detected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_failure_writes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_failure_writes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_writes_settle,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_patched_log_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclean_text_not_written,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_actor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions_refused,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
