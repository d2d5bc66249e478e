/*
 * Audit entries: one JSON object per line, fields in a fixed order:
 * {"seq":N,"time":"...","event":"...","actor":"...","account":"...",
 *  "request":"...","detail":{...}}
 * The stored bytes are what is hashed; nothing is ever re-serialized.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "audit/internal.h"

static const char *const entry_keys[] = {
	"seq", "time", "event", "actor", "account", "request", "detail", NULL
};

int
bg_audit_event_name_ok(const char *name)
{
	size_t i, n;
	int word = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (c == '.') {
			if (!word)
				return 0;
			word = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_') {
			word = 1;
		} else
			return 0;
	}
	return word;
}

/*
 * Clean one-line text (common/text.c: strict UTF-8, no C0 or C1 controls,
 * no direction controls), at most BG_AUDIT_FIELD_MAX bytes.
 */
static int
field_ok(const char *s)
{
	size_t n = strlen(s);

	return n <= BG_AUDIT_FIELD_MAX &&
	    bg_text_check(s, n, 0, NULL, NULL) == BG_OK;
}

int
bg_entry_now(char out[BG_TIME_LEN + 1])
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		return BG_EINTERNAL;
	if (snprintf(out, BG_TIME_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000) != BG_TIME_LEN)
		return BG_EINTERNAL;
	return BG_OK;
}

/* Appends the JSON string form of s to the line under construction. */
static char *
quote(const char *s)
{
	cJSON *str;
	char *out;

	if ((str = cJSON_CreateString(s == NULL ? "" : s)) == NULL)
		return NULL;
	out = cJSON_PrintUnformatted(str);
	cJSON_Delete(str);
	return out;
}

/*
 * The event's fields and every string in its detail are clean text
 * (common/text.c); detail values may hold '\n' (the multi-line
 * statements the program builds, escaped in the line), keys may not.
 * bg_why() names the field that is not.
 */
static int
event_ok(const struct bg_audit_event *ev)
{
	const char *f[] = { ev->actor, ev->account, ev->request };
	const char *names[] = { "actor", "account", "request" };
	const char *problem = "";
	char where[96];
	size_t i, off;

	if (!bg_audit_event_name_ok(ev->event)) {
		bg_audit_set_why("the event name is not dotted lower-case "
		    "words");
		return 0;
	}
	for (i = 0; i < 3; i++) {
		if (f[i] == NULL)
			continue;
		if (strlen(f[i]) > BG_AUDIT_FIELD_MAX) {
			bg_audit_set_why("the %s is longer than %d bytes",
			    names[i], BG_AUDIT_FIELD_MAX);
			return 0;
		}
		if (bg_text_check(f[i], strlen(f[i]), 0, &off, &problem) !=
		    BG_OK) {
			bg_audit_set_why("the %s holds %s at byte %zu", names[i],
			    problem, off);
			return 0;
		}
	}
	if (ev->detail == NULL)
		return 1;
	if (!cJSON_IsObject(ev->detail)) {
		bg_audit_set_why("the detail is not a JSON object");
		return 0;
	}
	if (bg_text_check_json(ev->detail, BG_TEXT_LINES, where, sizeof(where),
	    &problem) != BG_OK) {
		bg_audit_set_why("detail.%s holds %s", where, problem);
		return 0;
	}
	return 1;
}

int
bg_entry_format(uint64_t seq, const char *time,
    const struct bg_audit_event *ev, char **line, size_t *len)
{
	char *q[5] = { NULL, NULL, NULL, NULL, NULL };
	char *buf = NULL;
	size_t i, cap;
	int n, r = BG_EINVAL;

	*line = NULL;
	if (ev == NULL)
		return BG_EINVAL;
	if (!event_ok(ev))
		return BG_EINVAL;	/* the caller's text; nothing written */
	r = BG_ENOMEM;
	q[0] = quote(ev->event);
	q[1] = quote(ev->actor);
	q[2] = quote(ev->account);
	q[3] = quote(ev->request);
	q[4] = ev->detail != NULL ? cJSON_PrintUnformatted(ev->detail) :
	    strdup("{}");
	for (i = 0; i < 5; i++)
		if (q[i] == NULL)
			goto out;
	cap = 128 + strlen(q[0]) + strlen(q[1]) + strlen(q[2]) +
	    strlen(q[3]) + strlen(q[4]);
	r = BG_ETOOBIG;
	if (cap > BG_AUDIT_ENTRY_MAX + 128)
		goto out;
	r = BG_ENOMEM;
	if ((buf = malloc(cap)) == NULL)
		goto out;
	n = snprintf(buf, cap, "{\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"event\":%s,\"actor\":%s,\"account\":%s,\"request\":%s,"
	    "\"detail\":%s}\n", seq, time, q[0], q[1], q[2], q[3], q[4]);
	r = BG_ETOOBIG;
	if (n < 0 || (size_t)n >= cap || (size_t)n > BG_AUDIT_ENTRY_MAX)
		goto out;
	*line = buf;
	*len = (size_t)n;
	buf = NULL;
	r = BG_OK;
out:
	for (i = 0; i < 5; i++)
		free(q[i]);
	free(buf);
	return r;
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" with digits in place (ranges not checked). */
static int
time_ok(const char *t)
{
	return digits(t, 4) && t[4] == '-' && digits(t + 5, 2) &&
	    t[7] == '-' && digits(t + 8, 2) && t[10] == 'T' &&
	    digits(t + 11, 2) && t[13] == ':' && digits(t + 14, 2) &&
	    t[16] == ':' && digits(t + 17, 2) && t[19] == '.' &&
	    digits(t + 20, 3) && t[23] == 'Z';
}

int
bg_entry_scan(const char *line, size_t len, uint64_t *seq,
    char time[BG_TIME_LEN + 1])
{
	static const char p1[] = "{\"seq\":";
	static const char p2[] = ",\"time\":\"";
	static const char p3[] = "\",\"event\":\"";
	size_t i = sizeof(p1) - 1, start;
	uint64_t v = 0;

	if (len < 64 || memcmp(line, p1, i) != 0 || line[len - 1] != '}')
		return BG_EFORMAT;
	for (start = i; i < len && i - start < 20 && line[i] >= '0' &&
	    line[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return BG_EFORMAT;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (i == start || (line[start] == '0' && i - start > 1))
		return BG_EFORMAT;
	if (len - i < sizeof(p2) - 1 + BG_TIME_LEN + sizeof(p3) - 1 ||
	    memcmp(line + i, p2, sizeof(p2) - 1) != 0)
		return BG_EFORMAT;
	i += sizeof(p2) - 1;
	if (!time_ok(line + i) || memcmp(line + i + BG_TIME_LEN, p3,
	    sizeof(p3) - 1) != 0)
		return BG_EFORMAT;
	memcpy(time, line + i, BG_TIME_LEN);
	time[BG_TIME_LEN] = '\0';
	*seq = v;
	return BG_OK;
}

static int
entry_fields(struct bg_audit_entry *e)
{
	const char **f[] = { &e->event, &e->actor, &e->account, &e->request };
	const char *names[] = { "event", "actor", "account", "request" };
	size_t i;
	int r;

	if ((r = bg_json_only_keys(e->json, entry_keys)) != BG_OK ||
	    (r = bg_json_get_u64(e->json, "seq", 0, BG_JSON_INT_MAX,
	    &e->seq)) != BG_OK ||
	    (r = bg_json_get_str(e->json, "time", BG_TIME_LEN, &e->time)) != BG_OK ||
	    (r = bg_json_get_obj(e->json, "detail", &e->detail)) != BG_OK)
		return BG_EFORMAT;
	if (strlen(e->time) != BG_TIME_LEN || !time_ok(e->time))
		return BG_EFORMAT;
	for (i = 0; i < 4; i++) {
		if (bg_json_get_str(e->json, names[i], BG_AUDIT_FIELD_MAX,
		    f[i]) != BG_OK || !field_ok(*f[i]))
			return BG_EFORMAT;
	}
	return bg_audit_event_name_ok(e->event) ? BG_OK : BG_EFORMAT;
}

int
bg_audit_entry_parse(const char *line, size_t len, struct bg_audit_entry *e)
{
	uint64_t seq;
	char t[BG_TIME_LEN + 1];

	if (line == NULL || e == NULL)
		return BG_EINVAL;
	memset(e, 0, sizeof(*e));
	if (len > BG_AUDIT_ENTRY_MAX || bg_entry_scan(line, len, &seq, t) != BG_OK)
		return BG_EFORMAT;
	if ((e->json = bg_json_parse(line, len)) == NULL ||
	    entry_fields(e) != BG_OK || e->seq != seq) {
		bg_audit_entry_free(e);
		return BG_EFORMAT;
	}
	return BG_OK;
}

void
bg_audit_entry_free(struct bg_audit_entry *e)
{
	if (e == NULL)
		return;
	cJSON_Delete(e->json);
	memset(e, 0, sizeof(*e));
}

const char *
bg_audit_line_event(const char *line, size_t len, size_t *n)
{
	static const char seq[] = "{\"seq\":", tm[] = ",\"time\":\"";
	static const char ev[] = "\",\"event\":\"", actor[] = "\",\"actor\":";
	const char *p = line, *end = line + len, *name;

	if (len < sizeof(seq) - 1 || memcmp(p, seq, sizeof(seq) - 1) != 0)
		return NULL;
	for (p += sizeof(seq) - 1; p < end && *p >= '0' && *p <= '9'; p++)
		;
	/* the time is "YYYY-MM-DDTHH:MM:SS.mmmZ": 24 bytes */
	if ((size_t)(end - p) < sizeof(tm) - 1 + 24 + sizeof(ev) - 1 ||
	    memcmp(p, tm, sizeof(tm) - 1) != 0)
		return NULL;
	p += sizeof(tm) - 1 + 24;
	if (memcmp(p, ev, sizeof(ev) - 1) != 0)
		return NULL;
	name = p += sizeof(ev) - 1;
	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= '0' &&
	    *p <= '9') || *p == '_' || *p == '.'))
		p++;
	if (p == name || (size_t)(end - p) < sizeof(actor) - 1 ||
	    memcmp(p, actor, sizeof(actor) - 1) != 0)
		return NULL;
	*n = (size_t)(p - name);
	return name;
}
