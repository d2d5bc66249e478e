/*
 * broker/ alert sinks: the "alerts" member of STATE/breakglass.json,
 * parsed strictly (docs/alerts.md). Needs only common/ and audit/'s event
 * name rule, so the fuzz harness builds it alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/alerts/internal.h"

/*
 * Events that alert when a sink lists none (docs/alerts.md). Every burn
 * (approval.burn, approval.granted), a request one approval short in
 * every group (request.near_quorum: a colluding member could finish it
 * offline) and a met quorum (request.quorum_met: quorum is release) are
 * among them (docs/design.md §5.2), and so is every governance event:
 * whatever changes who holds, approves or seals, what the vault holds,
 * or where alerts go (issue 11).
 */
static const char *const default_events[] = {
	"request.open", "approval.burn", "approval.granted",
	"request.near_quorum", "request.quorum_met", "approval.denied",
	"approval.failed", "release.done", "request.refused",
	"custody.violation", "custody.attest_failed", "audit.verify_failed",
	"vault.verify_failed", "vault.refused", "alert.dead",
	/* breakglassd: a client refused, a release that did not open */
	"service.refused", "release.open_failed", "custody.refused",
	"clock.skew",	/* the clock stepped back (docs/audit.md, "Time") */
	/* the AWS account: a critical posture or an unexplained root use,
	 * and a check of it that could not run (monitoring is down) */
	"aws.finding", "aws.posture_failed", "aws.reconcile_failed",
	/* a witness saw another history (a rollback or a fork), or too few
	 * witnesses cosigned before a command the policy guards */
	"witness.inconsistent", "witness.unavailable",
	/* governance */
	"vault.init", "config.init", "config.changed", "config.refused",
	"account.added", "person.added", "custodian.added",
	"custodian.removed", "requester.added", "requester.removed",
	"token.enrolled", "token.removed", "policy.changed", "item.sealed",
	"vault.ready", "vault.armed", "rekey.opened", "rekey.contributed",
	"rekey.accepted", "rekey.done", "group.rekeyed", "chain.genesis",
	"chain.link", "change.opened", "change.approved", "change.denied",
	"change.applied", "change.closed", "change.refused",
};
#define NDEFAULT (sizeof(default_events) / sizeof(default_events[0]))

#define SECRET_FILE_MAX 256	/* base64 of 64 bytes is 88 */

static const char *const top_keys[] = { "ca_bundle", "connect_timeout_ms",
	"timeout_ms", "max_attempts", "backoff_initial_seconds",
	"backoff_max_seconds", "sinks", NULL };
static const char *const sink_keys[] = { "name", "type", "url", "secret",
	"secret_file", "ca_bundle", "events", "payload", NULL };

/* Names the first key of obj not in allowed, if it is printable. */
static int
only_keys(const cJSON *obj, const char *const *allowed, const char *where)
{
	const cJSON *c;
	size_t i;

	if (!cJSON_IsObject(obj)) {
		bg_set_why("%s is not a JSON object", where);
		return BG_EFORMAT;
	}
	for (c = obj->child; c != NULL; c = c->next) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(c->string, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		if (strlen(c->string) <= 40 &&
		    strspn(c->string, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		    strlen(c->string))
			bg_set_why("%s: unknown key \"%s\"", where, c->string);
		else
			bg_set_why("%s: unknown key", where);
		return BG_EFORMAT;
	}
	/* duplicates (trees from bg_json_parse have none; be sure) */
	if (bg_json_only_keys(obj, allowed) != BG_OK) {
		bg_set_why("%s: a key appears twice", where);
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* An optional number field with a default. */
static int
get_num(const cJSON *obj, const char *key, uint64_t min, uint64_t max,
    uint64_t dflt, uint64_t *out)
{
	int r;

	if ((r = bg_json_get_u64(obj, key, min, max, out)) == BG_ENOENT) {
		*out = dflt;
		return BG_OK;
	}
	if (r != BG_OK)
		bg_set_why("alerts.%s must be a whole number from %llu to %llu",
		    key, (unsigned long long)min, (unsigned long long)max);
	return r;
}

/* An optional absolute path (CA bundle, secret file). */
static int
get_path(const cJSON *obj, const char *key, const char *where,
    const char **out)
{
	int r;

	*out = NULL;
	if ((r = bg_json_get_str(obj, key, BG_PATH_MAX - 1, out)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || (*out)[0] != '/') {
		bg_set_why("%s.%s must be an absolute path", where, key);
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* [::1], or [hex:hex...] for https; returns the bytes taken or 0. */
static size_t
ipv6_literal(const char *s)
{
	size_t n;

	if (s[0] != '[')
		return 0;
	n = strspn(s + 1, "0123456789abcdefABCDEF:");
	if (n < 2 || s[1 + n] != ']')
		return 0;
	return n + 2;
}

/* An optional ":PORT" (1..65535) at s: *taken gets its length. */
static int
port_part(const char *s, size_t *taken)
{
	unsigned long v = 0;
	size_t i;

	*taken = 0;
	if (s[0] != ':')
		return 0;
	for (i = 1; s[i] >= '0' && s[i] <= '9' && i <= 6; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 1 || s[1] == '0' || v < 1 || v > 65535)
		return -1;
	*taken = i;
	return 0;
}

static int
url_fail(const char *reason)
{
	bg_set_why("alert URL: %s", reason);
	return BG_EFORMAT;
}

int
bg_alert_url_check(const char *url, int *plain_http)
{
	const char *h, *p;
	size_t hl, pl, i;

	*plain_http = 0;
	for (i = 0; url[i] != '\0'; i++)
		if (url[i] <= ' ' || url[i] > '~')
			return url_fail("only printable ASCII, no spaces");
	if (i > BG_ALERT_URL_MAX)
		return url_fail("too long");
	if (strncmp(url, "https://", 8) == 0)
		h = url + 8;
	else if (strncmp(url, "http://", 7) == 0) {
		h = url + 7;
		*plain_http = 1;
	} else
		return url_fail("must start with https:// (or http:// for a "
		    "loopback host)");
	if (strcspn(h, "@") < strcspn(h, "/"))
		return url_fail("no user information (user:password@)");
	if ((hl = ipv6_literal(h)) == 0)
		for (hl = 0; host_char(h[hl]); hl++)
			;
	if (hl == 0 || hl > 253 || h[0] == '.' || h[0] == '-')
		return url_fail("no valid host name");
	if (port_part(h + hl, &pl) != 0)
		return url_fail("bad port");
	p = h + hl + pl;
	if (*p != '\0' && *p != '/')
		return url_fail("no user information; host, port, then a path");
	if (strchr(p, '#') != NULL || strchr(p, '\\') != NULL)
		return url_fail("no fragment or backslash");
	if (*plain_http && !((hl == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
	    (hl == 5 && strncmp(h, "[::1]", 5) == 0) ||
	    (hl == 9 && strncasecmp(h, "localhost", 9) == 0)))
		return url_fail("http:// is only for 127.0.0.1, [::1] and "
		    "localhost; use https://");
	return BG_OK;
}

/* Reads a secret file: ours, 0600 or stricter, a regular file. */
static int
read_secret_file(const char *path, char *buf, size_t bufsz, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, r = BG_EPERM;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		bg_set_why("cannot open the secret file %s", path);
		return bg_err_from_errno(errno);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		bg_set_why("the secret file %s must be a regular file of ours "
		    "that only we can read (chmod 600)", path);
	else if ((n = read(fd, buf, bufsz)) < 0 || (size_t)n >= bufsz) {
		bg_set_why("cannot read the secret file %s (or too long)",
		    path);
		r = BG_EFORMAT;
	} else {
		*len = (size_t)n;
		r = BG_OK;
	}
	close(fd);
	return r;
}

static int
decode_secret(struct bg_alert_sink *s, const char *b64, size_t len,
    const char *where)
{
	while (len > 0 && (b64[len - 1] == '\n' || b64[len - 1] == '\r'))
		len--;
	if ((s->secret = bg_secure_alloc(BG_ALERT_SECRET_MAX)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_decode(b64, len, s->secret, BG_ALERT_SECRET_MAX,
	    &s->secret_len) != BG_OK || s->secret_len < BG_ALERT_SECRET_MIN) {
		bg_set_why("%s: the secret must be base64 of %d to %d random "
		    "bytes", where, BG_ALERT_SECRET_MIN, BG_ALERT_SECRET_MAX);
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* Webhooks need exactly one of secret and secret_file; Slack neither. */
static int
sink_secret(const cJSON *o, struct bg_alert_sink *s, const char *where)
{
	char buf[SECRET_FILE_MAX];
	const char *inline_b64 = NULL, *file;
	size_t len = 0;
	int r;

	if ((r = get_path(o, "secret_file", where, &file)) != BG_OK)
		return r;
	if ((r = bg_json_get_str(o, "secret", SECRET_FILE_MAX, &inline_b64)) !=
	    BG_OK && r != BG_ENOENT) {
		bg_set_why("%s.secret must be a base64 string", where);
		return r;
	}
	if (s->type == BG_ALERT_SLACK) {
		if (inline_b64 == NULL && file == NULL)
			return BG_OK;
		bg_set_why("%s: a slack sink takes no secret (Slack does not "
		    "check signatures; its URL is the credential)", where);
		return BG_EFORMAT;
	}
	if ((inline_b64 == NULL) == (file == NULL)) {
		bg_set_why("%s: a webhook needs exactly one of \"secret\" and "
		    "\"secret_file\"", where);
		return BG_EFORMAT;
	}
	if (inline_b64 != NULL)
		return decode_secret(s, inline_b64, strlen(inline_b64), where);
	if ((r = read_secret_file(file, buf, sizeof(buf), &len)) == BG_OK)
		r = decode_secret(s, buf, len, where);
	bg_wipe(buf, sizeof(buf));
	return r;
}

/* "payload": "json" (the default) or "ocsf", a webhook's only. */
static int
sink_payload(const cJSON *o, struct bg_alert_sink *s)
{
	const char *p;
	int r = bg_json_get_str(o, "payload", 8, &p);

	if (r == BG_ENOENT)
		return BG_OK;
	if (r == BG_OK && strcmp(p, "json") == 0)
		return BG_OK;
	if (r == BG_OK && strcmp(p, "ocsf") == 0 &&
	    s->type == BG_ALERT_WEBHOOK) {
		s->ocsf = 1;
		return BG_OK;
	}
	bg_set_why("sink %s: payload is \"json\" or, for a webhook, "
	    "\"ocsf\"", s->name);
	return BG_EFORMAT;
}

/* "*", "a.b" or "a.*" with a valid event name before ".*". */
static int
pattern_ok(const char *p)
{
	char buf[BG_AUDIT_FIELD_MAX + 1];
	size_t n = strlen(p);

	if (strcmp(p, "*") == 0)
		return 1;
	if (n > BG_AUDIT_FIELD_MAX)
		return 0;
	if (n > 2 && strcmp(p + n - 2, ".*") == 0) {
		memcpy(buf, p, n - 2);
		buf[n - 2] = '\0';
		return bg_audit_event_name_ok(buf);
	}
	return bg_audit_event_name_ok(p);
}

static int
sink_events(const cJSON *o, struct bg_alert_sink *s, const char *where)
{
	const cJSON *arr, *e;
	int n, r;

	if ((r = bg_json_get_array(o, "events", &arr)) == BG_ENOENT) {
		s->events = (const char **)default_events;
		s->nevents = NDEFAULT;
		return BG_OK;
	}
	n = r == BG_OK ? cJSON_GetArraySize(arr) : 0;
	if (n < 1 || n > BG_ALERT_EVENTS_MAX) {
		bg_set_why("%s.events must be a list of 1 to %d event names or "
		    "patterns", where, BG_ALERT_EVENTS_MAX);
		return BG_EFORMAT;
	}
	if ((s->events = calloc((size_t)n, sizeof(*s->events))) == NULL)
		return BG_ENOMEM;
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || !pattern_ok(e->valuestring)) {
			bg_set_why("%s.events[%zu] is not an event name (a.b), a "
			    "pattern (a.*) or *", where, s->nevents);
			return BG_EFORMAT;
		}
		s->events[s->nevents++] = e->valuestring;
	}
	return BG_OK;
}

static int
sink_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= BG_ALERT_NAME_MAX &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int
sink_ident(const cJSON *o, struct bg_alert_sink *s, const char *where)
{
	const char *type;
	char why[160];

	if (bg_json_get_str(o, "name", BG_ALERT_NAME_MAX, &s->name) != BG_OK ||
	    !sink_name_ok(s->name)) {
		bg_set_why("%s.name is required: 1 to %d of a-z 0-9 _ -", where,
		    BG_ALERT_NAME_MAX);
		return BG_EFORMAT;
	}
	if (bg_json_get_str(o, "type", 16, &type) != BG_OK ||
	    (strcmp(type, "webhook") != 0 && strcmp(type, "slack") != 0)) {
		bg_set_why("sink %s: type is required: \"webhook\" or "
		    "\"slack\"", s->name);
		return BG_EFORMAT;
	}
	s->type = strcmp(type, "slack") == 0 ? BG_ALERT_SLACK : BG_ALERT_WEBHOOK;
	if (sink_payload(o, s) != BG_OK)
		return BG_EFORMAT;
	if (bg_json_get_str(o, "url", BG_ALERT_URL_MAX, &s->url) != BG_OK) {
		bg_set_why("sink %s: url is required", s->name);
		return BG_EFORMAT;
	}
	if (bg_alert_url_check(s->url, &s->plain_http) != BG_OK) {
		snprintf(why, sizeof(why), "%s", bg_why());
		bg_set_why("sink %s: %s", s->name, why);
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
parse_sink(const cJSON *o, size_t i, const char *ca_bundle,
    struct bg_alert_config *cfg)
{
	struct bg_alert_sink *s = &cfg->sinks[i];
	char where[64];
	size_t j;
	int r;

	snprintf(where, sizeof(where), "alerts.sinks[%zu]", i);
	if ((r = only_keys(o, sink_keys, where)) != BG_OK ||
	    (r = sink_ident(o, s, where)) != BG_OK)
		return r;
	for (j = 0; j < i; j++)
		if (strcmp(cfg->sinks[j].name, s->name) == 0) {
			bg_set_why("%s: the name %s is used twice", where,
			    s->name);
			return BG_EFORMAT;
		}
	snprintf(where, sizeof(where), "sink %s", s->name);
	if ((r = get_path(o, "ca_bundle", where, &s->ca_bundle)) != BG_OK ||
	    (r = sink_events(o, s, where)) != BG_OK)
		return r;
	if (s->ca_bundle == NULL)
		s->ca_bundle = ca_bundle;
	return sink_secret(o, s, where);
}

/* The limits of a config without "alerts" (docs/alerts.md). */
static void
set_defaults(struct bg_alert_config *cfg)
{
	cfg->connect_timeout_ms = 5000;
	cfg->timeout_ms = 10000;
	cfg->max_attempts = 8;
	cfg->backoff_initial = 30;
	cfg->backoff_max = 3600;
}

static int
parse_limits(const cJSON *a, struct bg_alert_config *cfg)
{
	int r;

	if ((r = get_num(a, "connect_timeout_ms", 100, 60000, 5000,
	    &cfg->connect_timeout_ms)) != BG_OK ||
	    (r = get_num(a, "timeout_ms", 100, 300000, 10000,
	    &cfg->timeout_ms)) != BG_OK ||
	    (r = get_num(a, "max_attempts", 1, 100, 8,
	    &cfg->max_attempts)) != BG_OK ||
	    (r = get_num(a, "backoff_initial_seconds", 1, 86400, 30,
	    &cfg->backoff_initial)) != BG_OK ||
	    (r = get_num(a, "backoff_max_seconds", 1, 604800, 3600,
	    &cfg->backoff_max)) != BG_OK)
		return r;
	if (cfg->timeout_ms < cfg->connect_timeout_ms ||
	    cfg->backoff_max < cfg->backoff_initial) {
		bg_set_why("alerts: timeout_ms must be at least "
		    "connect_timeout_ms, backoff_max_seconds at least "
		    "backoff_initial_seconds");
		return BG_ERANGE;
	}
	return BG_OK;
}

static int
parse_alerts(const cJSON *a, struct bg_alert_config *cfg)
{
	const char *ca_bundle;
	const cJSON *sinks, *o;
	size_t i = 0;
	int r;

	if ((r = only_keys(a, top_keys, "alerts")) != BG_OK ||
	    (r = parse_limits(a, cfg)) != BG_OK ||
	    (r = get_path(a, "ca_bundle", "alerts", &ca_bundle)) != BG_OK)
		return r;
	if ((r = bg_json_get_array(a, "sinks", &sinks)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || cJSON_GetArraySize(sinks) > BG_ALERT_SINKS_MAX) {
		bg_set_why("alerts.sinks must be a list of at most %d sinks",
		    BG_ALERT_SINKS_MAX);
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(o, sinks) {
		cfg->nsinks = i + 1;	/* so that free sees this one */
		if ((r = parse_sink(o, i, ca_bundle, cfg)) != BG_OK)
			return r;
		i++;
	}
	return BG_OK;
}

int
bg_alert_config_parse(const char *text, size_t len,
    struct bg_alert_config *cfg)
{
	const cJSON *a;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	/* a file edited by hand ends with a newline; cJSON stops before */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	    text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if ((cfg->json = bg_json_parse(text, len)) == NULL ||
	    !cJSON_IsObject(cfg->json)) {
		bg_set_why("breakglass.json is not a strict JSON object");
		return BG_EFORMAT;
	}
	if ((r = bg_json_get_obj(cfg->json, "alerts", &a)) == BG_ENOENT) {
		set_defaults(cfg);
		return BG_OK;
	}
	if (r != BG_OK) {
		bg_set_why("alerts must be a JSON object");
		return r;
	}
	return parse_alerts(a, cfg);
}

int
bg_alert_config_load(const char *state_dir, struct bg_alert_config *cfg)
{
	char path[BG_PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if ((r = bg_path_join(path, sizeof(path), state_dir,
	    BG_ALERT_CONFIG_FILE)) != BG_OK)
		return r;
	r = bg_file_read(path, BG_ALERT_CONFIG_MAX, &text, &len);
	if (r == BG_ENOENT) {
		set_defaults(cfg);
		return BG_OK;
	}
	if (r != BG_OK) {
		bg_set_why("cannot read %s", path);
		return r;
	}
	r = bg_alert_config_parse(text, len, cfg);
	bg_wipe(text, len);	/* may hold inline webhook secrets */
	free(text);
	return r;
}

/* Inline secrets are copied into the tree by cJSON: wipe them there. */
static void
wipe_inline_secrets(cJSON *json)
{
	cJSON *a, *sinks, *s, *sec;

	a = cJSON_GetObjectItemCaseSensitive(json, "alerts");
	sinks = cJSON_GetObjectItemCaseSensitive(a, "sinks");
	cJSON_ArrayForEach(s, sinks) {
		sec = cJSON_GetObjectItemCaseSensitive(s, "secret");
		if (cJSON_IsString(sec))
			bg_wipe(sec->valuestring, strlen(sec->valuestring));
	}
}

void
bg_alert_config_free(struct bg_alert_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsinks; i++) {
		bg_secure_free(&cfg->sinks[i].secret, BG_ALERT_SECRET_MAX);
		if (cfg->sinks[i].events != (const char **)default_events)
			free(cfg->sinks[i].events);
	}
	if (cfg->json != NULL)
		wipe_inline_secrets(cfg->json);
	cJSON_Delete(cfg->json);
	memset(cfg, 0, sizeof(*cfg));
}

const struct bg_alert_sink *
bg_alert_config_sink(const struct bg_alert_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsinks; i++)
		if (strcmp(cfg->sinks[i].name, name) == 0)
			return &cfg->sinks[i];
	return NULL;
}

int
bg_alert_sink_wants(const struct bg_alert_sink *sink, const char *event)
{
	const char *p;
	size_t i, n;

	for (i = 0; i < sink->nevents; i++) {
		p = sink->events[i];
		n = strlen(p);
		if (strcmp(p, "*") == 0 || strcmp(p, event) == 0)
			return 1;
		/* "a.*" matches "a.b" and "a.b.c", not "a" or "ab.c" */
		if (n > 2 && strcmp(p + n - 2, ".*") == 0 &&
		    strncmp(p, event, n - 1) == 0 && event[n - 1] != '\0')
			return 1;
	}
	return 0;
}
