/*
 * broker/aws/ reconciliation (docs/aws.md "Reconciliation"): each root
 * event against the releases the audit log records, and against the
 * events an earlier run recorded ("aws.reconciled"), so that a run over
 * overlapping input gives the same verdicts and records nothing twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

#define EVENTS_MAX 200000	/* root events of one run */
#define POSTURE_SLACK 900	/* seconds a posture run's reads take */

void
bg_aws_recon_free(struct bg_aws_recon *rc)
{
	free(rc->m);
	bg_custody_report_free(&rc->notes);
	memset(rc, 0, sizeof(*rc));
}

int
bg_aws_recon_add(struct bg_aws_recon *rc, const struct bg_aws_event *ev)
{
	struct bg_aws_match *m;
	size_t cap;

	if (rc->n == EVENTS_MAX) {
		bg_set_why("more than %d root events in one run: reconcile "
		    "a shorter period", EVENTS_MAX);
		return BG_ETOOBIG;
	}
	if (rc->n == rc->cap) {
		cap = rc->cap ? 2 * rc->cap : 64;
		if ((m = realloc(rc->m, cap * sizeof(*m))) == NULL)
			return BG_ENOMEM;
		rc->m = m;
		rc->cap = cap;
	}
	m = &rc->m[rc->n++];
	memset(m, 0, sizeof(*m));
	m->ev = *ev;
	return BG_OK;
}

/*
 * An event's identity: time, eventID, account and eventName. The same
 * eventID with other content is another event (a doctored record must
 * not shadow, or be taken for, the real one).
 */
static int
by_time_id(const void *a, const void *b)
{
	const struct bg_aws_match *x = a, *y = b;
	int c;

	if (x->ev.time != y->ev.time)
		return x->ev.time < y->ev.time ? -1 : 1;
	if ((c = strcmp(x->ev.id, y->ev.id)) != 0 ||
	    (c = strcmp(x->ev.account, y->ev.account)) != 0)
		return c;
	return strcmp(x->ev.name, y->ev.name);
}

/* Sorted by time, each event (by_time_id) once. */
static void
dedupe(struct bg_aws_recon *rc)
{
	size_t i, o = 0;

	if (rc->n == 0)
		return;
	qsort(rc->m, rc->n, sizeof(*rc->m), by_time_id);
	for (i = 1; i < rc->n; i++)
		if (by_time_id(&rc->m[o], &rc->m[i]) != 0)
			rc->m[++o] = rc->m[i];
	rc->duplicates += rc->n - (o + 1);
	rc->n = o + 1;
}

/* ------------------------------------------------------ what the log says */

struct span {
	char account[BG_AWS_ACCOUNT_LEN + 1];
	uint64_t from, to;
	char by[80];
	char key[BG_AWS_KEYID_MAX + 1];	/* a posture run's session key */
};

struct logview {
	struct span *s;
	size_t n, cap;
	struct bg_aws_match *rc;	/* the events, sorted */
	size_t nrc;
	uint64_t window;
};

static int
add_span(struct logview *lv, const char *account, uint64_t from,
    uint64_t to, const char *by, const char *key)
{
	struct span *s;

	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 32;

		if ((s = realloc(lv->s, cap * sizeof(*s))) == NULL)
			return BG_ENOMEM;
		lv->s = s;
		lv->cap = cap;
	}
	s = &lv->s[lv->n++];
	snprintf(s->account, sizeof(s->account), "%s", account);
	s->from = from;
	s->to = to;
	snprintf(s->by, sizeof(s->by), "%s", by);
	snprintf(s->key, sizeof(s->key), "%s", key != NULL ? key : "");
	return BG_OK;
}

/*
 * A posture run read these accounts with AssumeRoot around t, each in a
 * session whose key it recorded: that session, and no other, is its own.
 */
static int
posture_spans(struct logview *lv, const struct bg_audit_entry *e,
    uint64_t t)
{
	const cJSON *accs = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "accounts"), *a;
	char by[80];
	int r = BG_OK;

	snprintf(by, sizeof(by), "breakglass posture run (entry %" PRIu64 ")",
	    e->seq);
	cJSON_ArrayForEach(a, accs) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a,
		    "account");
		const cJSON *via = cJSON_GetObjectItemCaseSensitive(a, "via");
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(a,
		    "session_key");

		if (r == BG_OK && cJSON_IsString(id) && cJSON_IsString(via) &&
		    strcmp(via->valuestring, "assume-root") == 0 &&
		    cJSON_IsString(key) && key->valuestring[0] != '\0')
			r = add_span(lv, id->valuestring, t > POSTURE_SLACK ?
			    t - POSTURE_SLACK : 0, t + 60, by, key->valuestring);
	}
	return r;
}

/* An event an earlier run recorded: marked seen. */
static void
mark_seen(struct logview *lv, const cJSON *d)
{
	const cJSON *evs = cJSON_GetObjectItemCaseSensitive(d, "events"), *x;
	struct bg_aws_match key;
	struct bg_aws_match *hit;

	cJSON_ArrayForEach(x, evs) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "time");
		const cJSON *acct = cJSON_GetObjectItemCaseSensitive(x,
		    "account");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(x,
		    "event");

		if (!cJSON_IsString(id) || !cJSON_IsString(t) ||
		    !cJSON_IsString(acct) || !cJSON_IsString(name))
			continue;
		memset(&key, 0, sizeof(key));
		snprintf(key.ev.id, sizeof(key.ev.id), "%s", id->valuestring);
		snprintf(key.ev.account, sizeof(key.ev.account), "%s",
		    acct->valuestring);
		snprintf(key.ev.name, sizeof(key.ev.name), "%s",
		    name->valuestring);
		if (bg_aws_time_parse(t->valuestring, &key.ev.time) != BG_OK)
			continue;
		if ((hit = bsearch(&key, lv->rc, lv->nrc, sizeof(key),
		    by_time_id)) != NULL)
			hit->seen = 1;
	}
}

static int
log_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct logview *lv = ctx;
	struct bg_audit_entry e;
	char by[80];
	uint64_t t;
	int r = BG_OK;

	(void)seq;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return BG_OK;	/* the log verified when it was opened */
	if (bg_rfc3339_entry_parse(e.time, &t) != BG_OK)
		t = 0;
	if (strcmp(e.event, "release.done") == 0 && e.account != NULL &&
	    t > 0)
		r = (snprintf(by, sizeof(by), "request %s", e.request != NULL ?
		    e.request : "?"), add_span(lv, e.account, t, t + lv->window,
		    by, NULL));
	else if (strcmp(e.event, "aws.posture") == 0 && t > 0)
		r = posture_spans(lv, &e, t);
	else if (strcmp(e.event, "aws.reconciled") == 0)
		mark_seen(lv, e.detail);
	bg_audit_entry_free(&e);
	return r;
}

/* ----------------------------------------------------------- judging */

/* The span that explains m, or NULL. */
static const struct span *
explains(const struct logview *lv, const struct bg_aws_match *m)
{
	static const char *const reads[] = { "GetAccountSummary",
	    "ListMFADevices", NULL };
	size_t i, k;

	for (i = 0; i < lv->n; i++) {
		const struct span *s = &lv->s[i];
		int posture = strncmp(s->by, "breakglass posture", 18) == 0;

		if (strcmp(s->account, m->ev.account) != 0 ||
		    m->ev.time < s->from || m->ev.time > s->to)
			continue;
		if (!posture)
			return s;
		/* a posture run explains its own AssumeRoot (the session key
		 * it recorded) and that session's reads, nothing else */
		if (m->ev.kind == BG_AWS_ASSUME_ROOT &&
		    strcmp(m->ev.issued, s->key) == 0 &&
		    strcmp(m->ev.task, "IAMAuditRootUserCredentials") == 0)
			return s;
		for (k = 0; m->ev.session && m->ev.kind == BG_AWS_API_CALL &&
		    strcmp(m->ev.key_id, s->key) == 0 && reads[k] != NULL; k++)
			if (strcmp(m->ev.name, reads[k]) == 0)
				return s;
	}
	return NULL;
}

static void
finding(struct bg_aws_match *m, enum bg_custody_sev sev, const char *rule,
    const char *what)
{
	char t[BG_RFC3339_LEN + 1] = "?";

	(void)bg_rfc3339_format(m->ev.time, t);
	m->sev = sev;
	snprintf(m->rule, sizeof(m->rule), "%s", rule);
	snprintf(m->message, sizeof(m->message), "account %s: %s at %s from "
	    "%s (%s)%s%s", m->ev.account, what, t, m->ev.ip[0] ? m->ev.ip :
	    "?", m->explained ? "inside a release window" : "unexplained: no "
	    "release covers it", m->explained ? ": " : "",
	    m->explained ? m->by : "");
}

/*
 * A root event whose access key an sts:AssumeRoot answer issued ran in
 * that session (AWS records no other marker on it): who asked, with
 * which task.
 */
static void
join_sessions(struct bg_aws_recon *rc)
{
	size_t i, k;

	for (i = 0; i < rc->n; i++) {
		struct bg_aws_match *a = &rc->m[i];

		if (a->ev.kind != BG_AWS_ASSUME_ROOT || a->ev.issued[0] == '\0')
			continue;
		for (k = 0; k < rc->n; k++) {
			struct bg_aws_event *e = &rc->m[k].ev;

			if (e->kind == BG_AWS_ASSUME_ROOT ||
			    strcmp(e->key_id, a->ev.issued) != 0 ||
			    strcmp(e->account, a->ev.account) != 0)
				continue;
			e->session = 1;	/* its kind stays: rules judge it */
			snprintf(e->issuer, sizeof(e->issuer), "%s",
			    a->ev.issuer);
			snprintf(e->task, sizeof(e->task), "%s", a->ev.task);
		}
	}
}

static void
judge(struct bg_aws_match *m)
{
	if (m->ev.kind == BG_AWS_ACCESS_KEY_CREATED)
		finding(m, BG_CUSTODY_CRITICAL, "aws-root-access-key-created",
		    "root created an access key");
	else if (m->ev.kind == BG_AWS_LOGIN && m->ev.mfa != 1)
		finding(m, BG_CUSTODY_CRITICAL, "aws-root-login-no-mfa",
		    "root signed in without MFA");
	else if (!m->explained)
		finding(m, BG_CUSTODY_CRITICAL, "aws-root-unexplained",
		    m->ev.kind == BG_AWS_LOGIN_FAILED ? "a failed root "
		    "sign-in" : m->ev.kind == BG_AWS_ASSUME_ROOT ?
		    "sts:AssumeRoot" : m->ev.kind == BG_AWS_API_CALL ?
		    m->ev.name :
		    bg_aws_kind_str(m->ev.kind));
	else if (m->ev.kind == BG_AWS_LOGIN_FAILED)
		finding(m, BG_CUSTODY_WARNING, "aws-root-login-failed",
		    "a failed root sign-in");
	else if (m->ev.kind == BG_AWS_MFA_DEACTIVATED)
		finding(m, BG_CUSTODY_WARNING, "aws-root-mfa-deactivated",
		    "root deactivated an MFA device");
}

int
bg_aws_recon_judge(struct bg_aws_recon *rc, bg_audit_t *log,
    const struct bg_vault *v, uint64_t window)
{
	struct logview lv;
	const struct span *s;
	size_t i;
	int r;

	dedupe(rc);
	join_sessions(rc);
	memset(&lv, 0, sizeof(lv));
	lv.rc = rc->m;
	lv.nrc = rc->n;
	lv.window = window;
	if ((r = bg_audit_foreach(log, 0, UINT64_MAX, log_entry, &lv)) !=
	    BG_OK) {
		free(lv.s);
		return r;
	}
	rc->unexplained = rc->findings = rc->fresh = 0;
	for (i = 0; i < rc->n; i++) {
		struct bg_aws_match *m = &rc->m[i];

		if ((s = explains(&lv, m)) != NULL) {
			m->explained = 1;
			snprintf(m->by, sizeof(m->by), "%s", s->by);
		}
		judge(m);
		if (m->sev != 0 && bg_vault_account(v, m->ev.account) == NULL)
			snprintf(m->message + strlen(m->message),
			    sizeof(m->message) - strlen(m->message), "; the "
			    "vault does not hold this account");
		rc->unexplained += !m->explained;
		rc->findings += m->sev != 0;
		rc->fresh += !m->seen;
	}
	free(lv.s);
	return BG_OK;
}

/* ------------------------------------------------------------- JSON */

/* The match; for_log leaves out what only this run knows (seen). */
static cJSON *
match_json(const struct bg_aws_match *m, int for_log)
{
	char t[BG_RFC3339_LEN + 1] = "";
	cJSON *o = cJSON_CreateObject();

	(void)bg_rfc3339_format(m->ev.time, t);
	if (o == NULL || !cJSON_AddStringToObject(o, "id", m->ev.id) ||
	    !cJSON_AddStringToObject(o, "time", t) ||
	    !cJSON_AddStringToObject(o, "account", m->ev.account) ||
	    !cJSON_AddStringToObject(o, "kind", bg_aws_kind_str(m->ev.kind)) ||
	    !cJSON_AddStringToObject(o, "event", m->ev.name) ||
	    !cJSON_AddStringToObject(o, "ip", m->ev.ip) ||
	    (m->ev.session && !cJSON_AddBoolToObject(o, "assumed_root", 1)) ||
	    (m->ev.issuer[0] && !cJSON_AddStringToObject(o, "issuer",
	    m->ev.issuer)) || (m->ev.task[0] && !cJSON_AddStringToObject(o,
	    "task", m->ev.task)) ||
	    !(m->ev.mfa < 0 ? cJSON_AddNullToObject(o, "mfa") :
	    cJSON_AddBoolToObject(o, "mfa", m->ev.mfa)) ||
	    !cJSON_AddStringToObject(o, "verdict", m->explained ? "explained" :
	    "unexplained") ||
	    !cJSON_AddStringToObject(o, "by", m->by) ||
	    (!for_log && !cJSON_AddBoolToObject(o, "seen_before", m->seen)) ||
	    !cJSON_AddStringToObject(o, "severity", m->sev ?
	    bg_custody_sev_str(m->sev) : "") ||
	    !cJSON_AddStringToObject(o, "rule", m->rule) ||
	    !cJSON_AddStringToObject(o, "message", m->message)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
bg_aws_recon_json(const struct bg_aws_recon *rc, int fresh_only,
    size_t from, size_t max, size_t *next, cJSON **out)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i, n = 0;

	*out = NULL;
	if (o == NULL || (arr = cJSON_AddArrayToObject(o, "events")) == NULL) {
		cJSON_Delete(o);
		return BG_ENOMEM;
	}
	for (i = from; i < rc->n && n < max; i++) {
		if (fresh_only && rc->m[i].seen)
			continue;
		if (!cJSON_AddItemToArray(arr, match_json(&rc->m[i],
		    fresh_only))) {
			cJSON_Delete(o);
			return BG_ENOMEM;
		}
		n++;
	}
	if (next != NULL)
		*next = i;
	*out = o;
	return BG_OK;
}
