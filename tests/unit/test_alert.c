/*
 * Alerts without a network: the strict sink configuration (unknown keys,
 * URLs, secrets, patterns), the spool files (idempotent, private, forged
 * or truncated files refused), the webhook signature against a vector
 * computed independently (Python hmac), payloads that hold no secret, and
 * bg_alert_spool() on a real audit log, including the catch-up of an entry
 * whose process died before spooling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "common/common.h"
#include "audit/audit.h"
#include "broker/alerts/internal.h"

/* base64 of the bytes 1..32 */
#define SECRET_B64 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="

struct fx {
	char dir[64];
	char audit[96];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg-alert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->audit, sizeof(f->audit), "%s/audit", f->dir);
	assert_int_equal(bg_audit_init(f->audit, "test.local/alert"), BG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tu_rm_rf(f->dir), 0);
	free(f);
	return 0;
}

static int
parse(const char *text, struct bg_alert_config *cfg)
{
	return bg_alert_config_parse(text, strlen(text), cfg);
}

static void
write_config(const struct fx *f, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/breakglass.json", f->dir);
	assert_int_equal(bg_file_replace(path, text, strlen(text), 0600), BG_OK);
}

/* ------------------------------------------------------------- config */

static void
test_config_good(void **state)
{
	struct bg_alert_config cfg;
	const struct bg_alert_sink *s;

	(void)state;
	assert_int_equal(parse("{\"vault\":{\"x\":1},\"alerts\":{"
	    "\"ca_bundle\":\"/etc/ssl/certs/ca-certificates.crt\","
	    "\"timeout_ms\":20000,\"max_attempts\":3,\"sinks\":["
	    "{\"name\":\"soc\",\"type\":\"webhook\",\"url\":"
	    "\"https://soc.example:8443/in?x=1\",\"secret\":\"" SECRET_B64 "\","
	    "\"events\":[\"request.*\",\"release.done\"]},"
	    "{\"name\":\"chat\",\"type\":\"slack\",\"url\":"
	    "\"https://hooks.slack.example/T/B/X\",\"ca_bundle\":\"/ca.pem\"}"
	    "]}}\n", &cfg), BG_OK);
	assert_int_equal(cfg.nsinks, 2);
	assert_int_equal(cfg.timeout_ms, 20000);
	assert_int_equal(cfg.connect_timeout_ms, 5000);	/* default */
	assert_int_equal(cfg.max_attempts, 3);
	s = bg_alert_config_sink(&cfg, "soc");
	assert_non_null(s);
	assert_int_equal(s->type, BG_ALERT_WEBHOOK);
	assert_int_equal(s->secret_len, 32);
	assert_int_equal(s->secret[0], 1);
	assert_int_equal(s->secret[31], 32);
	assert_string_equal(s->ca_bundle, "/etc/ssl/certs/ca-certificates.crt");
	assert_true(bg_alert_sink_wants(s, "request.open"));
	assert_true(bg_alert_sink_wants(s, "request.refused"));
	assert_true(bg_alert_sink_wants(s, "release.done"));
	assert_false(bg_alert_sink_wants(s, "requests.open"));
	assert_false(bg_alert_sink_wants(s, "request"));
	assert_false(bg_alert_sink_wants(s, "approval.granted"));
	s = bg_alert_config_sink(&cfg, "chat");
	assert_int_equal(s->type, BG_ALERT_SLACK);
	assert_null(s->secret);
	assert_string_equal(s->ca_bundle, "/ca.pem");
	/* the default events */
	assert_true(bg_alert_sink_wants(s, "custody.violation"));
	assert_true(bg_alert_sink_wants(s, "audit.verify_failed"));
	/* every burn, one short of quorum, and quorum (= release) */
	assert_true(bg_alert_sink_wants(s, "approval.granted"));
	assert_true(bg_alert_sink_wants(s, "request.near_quorum"));
	assert_true(bg_alert_sink_wants(s, "request.quorum_met"));
	assert_true(bg_alert_sink_wants(s, "release.done"));
	assert_false(bg_alert_sink_wants(s, "request.status"));
	assert_false(bg_alert_sink_wants(s, "operator.note"));
	assert_null(bg_alert_config_sink(&cfg, "nope"));
	bg_alert_config_free(&cfg);
	assert_null(cfg.json);
}

static void
test_config_none(void **state)
{
	struct bg_alert_config cfg;

	(void)state;
	assert_int_equal(parse("{\"vault\":{}}", &cfg), BG_OK);
	assert_int_equal(cfg.nsinks, 0);
	assert_int_equal(cfg.max_attempts, 8);
	bg_alert_config_free(&cfg);
	assert_int_equal(parse("{\"alerts\":{}}", &cfg), BG_OK);
	assert_int_equal(cfg.nsinks, 0);
	bg_alert_config_free(&cfg);
}

static const char *const bad_configs[] = {
	"",
	"[]",
	"{\"alerts\":[]}",
	"{\"alerts\":{\"sinks\":[]}",			/* truncated */
	"{\"alerts\":{},\"alerts\":{}}",		/* duplicate */
	"{\"alerts\":{\"colour\":1}}",
	"{\"alerts\":{\"timeout_ms\":99}}",
	"{\"alerts\":{\"timeout_ms\":1.5}}",
	"{\"alerts\":{\"max_attempts\":0}}",
	"{\"alerts\":{\"connect_timeout_ms\":9000,\"timeout_ms\":8000}}",
	"{\"alerts\":{\"backoff_initial_seconds\":60,"
	    "\"backoff_max_seconds\":30}}",
	"{\"alerts\":{\"ca_bundle\":\"relative.pem\"}}",
	"{\"alerts\":{\"sinks\":{}}}",
	"{\"alerts\":{\"sinks\":[1]}}",
	"{\"alerts\":{\"sinks\":[{\"type\":\"slack\",\"url\":\"https://a/\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"Bad Name\",\"type\":\"slack\","
	    "\"url\":\"https://a/\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"email\","
	    "\"url\":\"https://a/\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\",\"x\":1}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\",\"secret\":\"" SECRET_B64 "\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"webhook\","
	    "\"url\":\"https://a/\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"webhook\","
	    "\"url\":\"https://a/\",\"secret\":\"" SECRET_B64 "\","
	    "\"secret_file\":\"/s\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"webhook\","
	    "\"url\":\"https://a/\",\"secret\":\"c2hvcnQ=\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"webhook\","
	    "\"url\":\"https://a/\",\"secret\":\"not base64!\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"webhook\","
	    "\"url\":\"https://a/\",\"secret_file\":\"/nonexistent/x\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"http://10.0.0.1/\"}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\",\"events\":[]}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\",\"events\":[\"Request.Open\"]}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\",\"events\":[\"*.open\"]}]}}",
	"{\"alerts\":{\"sinks\":[{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://a/\"},{\"name\":\"a\",\"type\":\"slack\","
	    "\"url\":\"https://b/\"}]}}",
};

static void
test_config_bad(void **state)
{
	struct bg_alert_config cfg;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		r = bg_alert_config_parse(bad_configs[i], strlen(bad_configs[i]),
		    &cfg);
		if (r == BG_OK)
			fail_msg("accepted: %s", bad_configs[i]);
		/* the reason never carries the secret */
		assert_null(strstr(bg_why(), SECRET_B64));
		bg_alert_config_free(&cfg);
	}
}

static void
test_url_check(void **state)
{
	static const char *const good[] = {
		"https://a.example/", "https://a.example", "https://a:1/x",
		"https://[2001:db8::1]:443/x?y=z", "http://127.0.0.1:8080/h",
		"http://[::1]/h", "http://localhost/h", "http://LOCALHOST:1",
		"https://hooks.slack.com/services/T0/B0/XXXX",
	};
	static const char *const bad[] = {
		"", "https://", "ftp://a/", "file:///etc/passwd", "HTTPS://a/",
		"http://a.example/", "http://127.0.0.2/", "http://localhost.evil/",
		"http://127.0.0.1.evil/", "http://127.0.0.1@evil/",
		"https://u:p@a/", "https://a/#frag", "https://a/ b",
		"https://a:0/", "https://a:65536/", "https://a:01/",
		"https://a:/", "https://a\\b/", "https://-a/", "https://a/\x7f",
		"https://a?x", "http://[::2]/", "https://a/\xc3\xa9",
	};
	size_t i;
	int plain;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (bg_alert_url_check(good[i], &plain) != BG_OK)
			fail_msg("refused %s: %s", good[i], bg_why());
	assert_int_equal(bg_alert_url_check("http://[::1]:9/", &plain), BG_OK);
	assert_int_equal(plain, 1);
	assert_int_equal(bg_alert_url_check("https://a/", &plain), BG_OK);
	assert_int_equal(plain, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bg_alert_url_check(bad[i], &plain) == BG_OK)
			fail_msg("accepted %s", bad[i]);
}

static void
test_secret_file(void **state)
{
	struct fx *f = *state;
	struct bg_alert_config cfg;
	char path[128], text[512];

	snprintf(path, sizeof(path), "%s/soc.secret", f->dir);
	assert_int_equal(bg_file_replace(path, SECRET_B64 "\n",
	    strlen(SECRET_B64) + 1, 0600), BG_OK);
	snprintf(text, sizeof(text), "{\"alerts\":{\"sinks\":[{\"name\":\"a\","
	    "\"type\":\"webhook\",\"url\":\"https://a/\",\"secret_file\":"
	    "\"%s\"}]}}", path);
	assert_int_equal(parse(text, &cfg), BG_OK);
	assert_int_equal(cfg.sinks[0].secret_len, 32);
	bg_alert_config_free(&cfg);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(parse(text, &cfg), BG_EPERM);
	assert_non_null(strstr(bg_why(), "chmod 600"));
	bg_alert_config_free(&cfg);
}

/* -------------------------------------------------------------- spool */

static const char entry[] = "{\"seq\":7,\"time\":\"2024-01-02T03:04:05.000Z\","
    "\"event\":\"request.open\",\"actor\":\"alice\",\"account\":\"prod\","
    "\"request\":\"r1\",\"detail\":{}}";
static const char checkpoint[] = "test.local/alert\n8\nAAAA\n\n— sig\n";

static void
new_alert(struct bg_alert_new *a, const char *sink)
{
	*a = (struct bg_alert_new){ "00000000000000000007", sink,
	    "test.local/alert/7", "request.open", 1, 7, entry, strlen(entry),
	    checkpoint, strlen(checkpoint) };
}

static void
test_spool_roundtrip(void **state)
{
	struct fx *f = *state;
	struct bg_alert_new a;
	struct bg_alert_item it;
	struct stat st;
	char **names, path[160];
	size_t n;

	new_alert(&a, "soc");
	assert_int_equal(bg_alert_spool_add(f->dir, &a), BG_OK);
	assert_int_equal(bg_alert_spool_add(f->dir, &a), BG_OK); /* again */
	assert_int_equal(bg_alert_spool_names(f->dir, 0, &names, &n), BG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "00000000000000000007.soc.alert");
	snprintf(path, sizeof(path), "%s/spool/%s", f->dir, names[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/spool", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(bg_alert_spool_read(f->dir, 0, names[0], &it), BG_OK);
	assert_string_equal(it.entry, entry);
	assert_string_equal(it.checkpoint, checkpoint);
	assert_string_equal(it.key, "test.local/alert/7");
	assert_int_equal(it.seq, 7);
	assert_int_equal(it.attempts, 0);
	it.attempts = 3;
	it.last_error = "HTTP status 503";
	assert_int_equal(bg_alert_spool_bury(f->dir, &it), BG_OK);
	bg_alert_item_free(&it);
	bg_alert_spool_names_free(&names, n);
	assert_int_equal(bg_alert_spool_names(f->dir, 0, &names, &n), BG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(bg_alert_spool_names(f->dir, 1, &names, &n), BG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(bg_alert_spool_read(f->dir, 1, names[0], &it), BG_OK);
	assert_true(it.dead);
	assert_false(it.audited);
	assert_int_equal(it.attempts, 3);
	assert_string_equal(it.last_error, "HTTP status 503");
	bg_alert_item_free(&it);
	/* a dead file is not read as a queued one */
	assert_int_equal(bg_alert_spool_read(f->dir, 0, names[0], &it),
	    BG_ENOENT);
	bg_alert_spool_names_free(&names, n);
}

static void
spool_file_refused(const struct fx *f, const char *text)
{
	struct bg_alert_item it;
	char path[160];

	snprintf(path, sizeof(path), "%s/spool/1.soc.alert", f->dir);
	assert_int_equal(bg_file_replace(path, text, strlen(text), 0600),
	    BG_OK);
	assert_int_not_equal(bg_alert_spool_read(f->dir, 0, "1.soc.alert",
	    &it), BG_OK);
	assert_null(it.json);
}

static void
test_spool_malformed(void **state)
{
	struct fx *f = *state;
	struct bg_alert_item it;
	struct bg_alert_new a;
	char *good, path[160];
	size_t len;

	new_alert(&a, "soc");
	a.id = "1";
	assert_int_equal(bg_alert_spool_add(f->dir, &a), BG_OK);
	snprintf(path, sizeof(path), "%s/spool/1.soc.alert", f->dir);
	assert_int_equal(bg_file_read(path, 1 << 20, &good, &len), BG_OK);
	good[len / 2] = '\0';
	spool_file_refused(f, good);			/* truncated */
	free(good);
	spool_file_refused(f, "");
	spool_file_refused(f, "{}");
	spool_file_refused(f, "{\"version\":2,\"sink\":\"soc\"}");
	/* a file claiming to be dead in the queue */
	new_alert(&a, "ops");
	assert_int_equal(bg_alert_spool_add(f->dir, &a), BG_OK);
	assert_int_equal(bg_alert_spool_read(f->dir, 0,
	    "00000000000000000007.ops.alert", &it), BG_OK);
	it.dead = 1;
	assert_int_equal(bg_alert_spool_update(f->dir, &it), BG_OK);
	bg_alert_item_free(&it);
	assert_int_equal(bg_alert_spool_read(f->dir, 0,
	    "00000000000000000007.ops.alert", &it), BG_EFORMAT);
	/* names that are not spool files */
	assert_int_equal(bg_alert_spool_read(f->dir, 0, "../x.alert", &it),
	    BG_EINVAL);
	assert_int_equal(bg_alert_spool_read(f->dir, 0, "a/../x.alert", &it),
	    BG_EINVAL);
	assert_int_equal(bg_alert_spool_read(f->dir, 0, ".lock", &it),
	    BG_EINVAL);
	/* a NUL in the entry is refused, not cut */
	new_alert(&a, "x");
	a.entry_len = sizeof(entry);
	assert_int_not_equal(bg_alert_spool_add(f->dir, &a), BG_OK);
}

/* --------------------------------------------------------------- send */

static void
test_sign_vector(void **state)
{
	uint8_t key[32];
	char hex[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	/* python3: hmac.new(bytes(range(1,33)), b'1700000000.{"a":1}',
	 * hashlib.sha256).hexdigest() */
	assert_int_equal(bg_alert_sign(key, sizeof(key), "1700000000",
	    "{\"a\":1}", 7, hex), BG_OK);
	assert_string_equal(hex, "af271c4474faf9bbb3bfe35599870d0b"
	    "ea89f60d82fc9118f418239279196c5f");
	assert_int_equal(bg_alert_sign(key, sizeof(key), "1700000001",
	    "{\"a\":1}", 7, hex), BG_OK);
	assert_string_not_equal(hex, "af271c4474faf9bbb3bfe35599870d0b"
	    "ea89f60d82fc9118f418239279196c5f");
}

static int
contains(const char *hay, size_t n, const uint8_t *needle, size_t m)
{
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

static void
test_body_has_no_secret(void **state)
{
	struct bg_alert_config cfg;
	struct bg_alert_item it;
	char *body;
	cJSON *doc;
	size_t len, i;

	(void)state;
	assert_int_equal(parse("{\"alerts\":{\"sinks\":[{\"name\":\"soc\","
	    "\"type\":\"webhook\",\"url\":\"https://a/\",\"secret\":\""
	    SECRET_B64 "\"},{\"name\":\"chat\",\"type\":\"slack\",\"url\":"
	    "\"https://b/\"}]}}", &cfg), BG_OK);
	memset(&it, 0, sizeof(it));
	it.sink = "soc";
	it.key = "test.local/alert/7";
	it.event = "request.open";
	it.entry = entry;
	it.checkpoint = checkpoint;
	it.last_error = "";
	it.logged = 1;
	it.seq = 7;
	for (i = 0; i < cfg.nsinks; i++) {
		assert_int_equal(bg_alert_body(&it, &cfg.sinks[i], &body, &len),
		    BG_OK);
		assert_null(strstr(body, SECRET_B64));
		assert_false(contains(body, len, cfg.sinks[0].secret, 32));
		assert_null(strstr(body, "https://"));
		doc = bg_json_parse(body, len);
		assert_non_null(doc);
		if (i == 0) {
			assert_string_equal(cJSON_GetObjectItem(doc,
			    "entry")->valuestring, entry);
			assert_string_equal(cJSON_GetObjectItem(doc,
			    "origin")->valuestring, "test.local/alert");
		} else
			/* Slack's escaping of <, > and & */
			assert_non_null(strstr(cJSON_GetObjectItem(doc,
			    "text")->valuestring, "request.open"));
		cJSON_Delete(doc);
		free(body);
	}
	bg_alert_config_free(&cfg);
}

/* -------------------------------------------------- on a real log */

struct line {
	char *text;
	size_t len;
};

static int
grab(void *ctx, uint64_t seq, const char *text, size_t len)
{
	struct line *l = ctx;

	(void)seq;
	l->text = malloc(len);
	assert_non_null(l->text);
	memcpy(l->text, text, len);
	l->len = len;
	return 0;
}

/* Appends event and returns its line and the checkpoint. */
static void
append(const struct fx *f, const char *event, struct line *l, char **cp,
    size_t *cp_len)
{
	struct bg_audit_event ev = { event, "alice", "prod", "r1", NULL };
	bg_audit_t *log = NULL;
	uint64_t seq;

	assert_int_equal(bg_audit_open(f->audit, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_append(log, &ev, &seq), BG_OK);
	assert_int_equal(bg_audit_foreach(log, seq, seq + 1, grab, l), 0);
	assert_int_equal(bg_audit_checkpoint(log, cp, cp_len), BG_OK);
	bg_audit_close(&log);
}

static size_t
queued(const struct fx *f)
{
	char **names;
	size_t n;

	assert_int_equal(bg_alert_spool_names(f->dir, 0, &names, &n), BG_OK);
	bg_alert_spool_names_free(&names, n);
	return n;
}

static void
test_spool_entries(void **state)
{
	struct fx *f = *state;
	struct line l = { NULL, 0 };
	char *cp = NULL;
	size_t cp_len;

	append(f, "request.open", &l, &cp, &cp_len);
	/* no breakglass.json: nothing to do */
	assert_int_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, cp, cp_len),
	    BG_OK);
	assert_int_equal(queued(f), 0);
	write_config(f, "{\"alerts\":{\"sinks\":["
	    "{\"name\":\"soc\",\"type\":\"webhook\",\"url\":\"https://a/\","
	    "\"secret\":\"" SECRET_B64 "\"},"
	    "{\"name\":\"notes\",\"type\":\"slack\",\"url\":\"https://b/\","
	    "\"events\":[\"operator.*\"]}]}}");
	assert_int_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, cp, cp_len),
	    BG_OK);
	assert_int_equal(queued(f), 1);		/* soc only */
	/* a forged or truncated entry is refused: fail closed */
	assert_int_not_equal(bg_alert_spool(f->dir, NULL, l.text, l.len - 1, cp,
	    cp_len), BG_OK);
	assert_int_not_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, "x", 1),
	    BG_OK);
	/* a bad config fails closed too */
	write_config(f, "{\"alerts\":{\"sinks\":[],\"bogus\":true}}");
	assert_int_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, cp, cp_len),
	    BG_EFORMAT);
	free(l.text);
	free(cp);
}

static void
test_catch_up(void **state)
{
	struct fx *f = *state;
	struct bg_alert_run run;
	struct line l = { NULL, 0 };
	char *cp = NULL, **names;
	size_t cp_len, n;

	/* unreachable sink: nothing can be delivered, so files stay */
	write_config(f, "{\"alerts\":{\"connect_timeout_ms\":100,"
	    "\"timeout_ms\":200,\"sinks\":[{\"name\":\"soc\",\"type\":"
	    "\"slack\",\"url\":\"http://127.0.0.1:1/\"}]}}");
	/* a process that died after its audit append, before spooling and
	 * before any run made a cursor: the first run starts at the entry
	 * that recorded the configuration, here none, so at the start */
	append(f, "request.open", &l, &cp, &cp_len);
	free(l.text);
	free(cp);
	assert_int_equal(bg_alert_run(f->dir, 0, NULL, &run), BG_OK);
	assert_int_equal(run.failed, 1);
	assert_int_equal(queued(f), 1);
	/* again, now with a cursor */
	append(f, "release.done", &l, &cp, &cp_len);
	free(l.text);
	free(cp);
	assert_int_equal(bg_alert_run(f->dir, 0, NULL, &run), BG_OK);
	assert_int_equal(run.failed, 1);	/* the first is not due yet */
	assert_int_equal(bg_alert_spool_names(f->dir, 0, &names, &n), BG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "00000000000000000001.soc.alert");
	assert_string_equal(names[1], "00000000000000000002.soc.alert");
	bg_alert_spool_names_free(&names, n);
	/* not due yet: the next run leaves it alone */
	assert_int_equal(bg_alert_run(f->dir, 0, NULL, &run), BG_OK);
	assert_int_equal(run.failed + run.delivered, 0);
}

/*
 * Issue 11: governance events, burns, near-quorum and quorum_met alert by
 * default; reads and notes do not. Each event appended to a real log and
 * spooled for a sink that lists no events.
 */
static const char *const governance[] = {
	"token.enrolled", "token.removed", "custodian.added",
	"custodian.removed", "requester.added", "requester.removed",
	"person.added", "policy.changed", "group.rekeyed", "config.init",
	"config.changed", "config.refused", "vault.init", "account.added",
	"item.sealed", "vault.armed", "vault.ready", "rekey.opened",
	"rekey.contributed", "rekey.accepted", "rekey.done", "chain.genesis",
	"chain.link", "change.opened", "change.approved", "change.denied",
	"change.applied", "change.closed", "change.refused", "approval.burn",
	"request.near_quorum", "request.quorum_met",
};
static const char *const not_default[] = {
	"request.status", "vault.read", "config.read", "operator.note",
	"custody.check", "rekey.status", "change", "changes.opened",
	"token.enrolledx",
};

static void
test_default_governance(void **state)
{
	struct fx *f = *state;
	struct bg_alert_config cfg;
	const struct bg_alert_sink *s;
	struct line l;
	char *cp;
	size_t i, n, cp_len;

	assert_int_equal(parse("{\"alerts\":{\"sinks\":[{\"name\":\"soc\","
	    "\"type\":\"slack\",\"url\":\"https://a/\"}]}}", &cfg), BG_OK);
	s = bg_alert_config_sink(&cfg, "soc");
	assert_non_null(s);
	for (i = 0; i < sizeof(governance) / sizeof(*governance); i++)
		if (!bg_alert_sink_wants(s, governance[i]))
			fail_msg("%s does not alert by default", governance[i]);
	for (i = 0; i < sizeof(not_default) / sizeof(*not_default); i++)
		if (bg_alert_sink_wants(s, not_default[i]))
			fail_msg("%s alerts by default", not_default[i]);
	bg_alert_config_free(&cfg);
	/* spooled from a real log: one alert file per governance entry */
	write_config(f, "{\"alerts\":{\"sinks\":[{\"name\":\"soc\","
	    "\"type\":\"webhook\",\"url\":\"https://a/\",\"secret\":\""
	    SECRET_B64 "\"}]}}");
	for (i = 0, n = 0; i < sizeof(governance) / sizeof(*governance); i++) {
		append(f, governance[i], &l, &cp, &cp_len);
		assert_int_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, cp,
		    cp_len), BG_OK);
		if (queued(f) != ++n)
			fail_msg("%s was not spooled", governance[i]);
		free(l.text);
		free(cp);
	}
	for (i = 0; i < sizeof(not_default) / sizeof(*not_default); i++) {
		if (strchr(not_default[i], '.') == NULL)
			continue;	/* not an event name the log takes */
		append(f, not_default[i], &l, &cp, &cp_len);
		assert_int_equal(bg_alert_spool(f->dir, NULL, l.text, l.len, cp,
		    cp_len), BG_OK);
		if (queued(f) != n)
			fail_msg("%s was spooled", not_default[i]);
		free(l.text);
		free(cp);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_none),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test_setup_teardown(test_secret_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_malformed, setup,
		    teardown),
		cmocka_unit_test(test_sign_vector),
		cmocka_unit_test(test_body_has_no_secret),
		cmocka_unit_test_setup_teardown(test_spool_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_governance, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
