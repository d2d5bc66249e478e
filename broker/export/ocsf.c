/*
 * broker/export/ an audit entry as an OCSF 1.8.0 event (docs/export.md,
 * tests/ocsf/MAPPING.md): a table from the event name to its class,
 * activity, severity and status, then the fields each class adds. What
 * has no OCSF home (the detail, the inclusion proof) goes under
 * "unmapped". The entry line itself is raw_data, and metadata.uid is
 * its Merkle leaf hash, so a SIEM can prove the event was logged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "broker/export/export.h"

enum cls {
	BASE = 0,
	FINDING = 2004,
	ACCOUNT = 3001,
	AUTH = 3002,
	ENTITY = 3004,
	GROUP = 3006,
	API = 6003,
};

#define BY_COMMAND (-1)		/* the activity from detail.command */
#define OTHER 99

struct map {
	const char *event;
	enum cls cls;
	int act;		/* activity_id, BY_COMMAND, or OTHER */
	const char *verb;	/* activity_name for OTHER; API: operation */
	int sev;		/* severity_id */
	int fail;		/* status 2 Failure */
};

static const struct map maps[] = {
	{ "approval.burn", AUTH, OTHER, "Burn", 3, 0 },
	{ "approval.granted", AUTH, OTHER, "Approve", 4, 0 },
	{ "approval.failed", AUTH, OTHER, "Approve", 3, 1 },
	{ "approval.denied", AUTH, OTHER, "Deny", 3, 0 },
	{ "custody.attested", AUTH, OTHER, "Attest", 1, 0 },
	{ "custody.attest_failed", AUTH, OTHER, "Attest", 4, 1 },
	{ "custody.refused", AUTH, OTHER, "Attest", 3, 1 },
	{ "request.open", API, 1, "request", 4, 0 },
	{ "request.quorum_met", API, 3, "approve", 4, 0 },
	{ "request.near_quorum", API, 3, "approve", 3, 0 },
	{ "release.done", API, 2, "release", 4, 0 },
	{ "release.open_failed", API, 2, "release", 4, 1 },
	{ "request.status", API, 2, "status", 1, 0 },
	{ "request.refused", API, BY_COMMAND, NULL, 3, 1 },
	{ "item.sealed", API, 1, "seal", 3, 0 },
	{ "change.opened", API, 1, "change open", 3, 0 },
	{ "change.approved", API, 3, "change approve", 3, 0 },
	{ "change.denied", API, 3, "change deny", 3, 0 },
	{ "change.closed", API, 3, "change close", 3, 0 },
	{ "change.read", API, 2, "change status", 1, 0 },
	{ "change.refused", API, BY_COMMAND, NULL, 3, 1 },
	{ "vault.read", API, 2, "vault show", 1, 0 },
	{ "config.read", API, 2, "config show", 1, 0 },
	{ "vault.refused", API, BY_COMMAND, NULL, 3, 1 },
	{ "config.refused", API, 3, "config set", 3, 1 },
	{ "service.refused", API, BY_COMMAND, NULL, 3, 1 },
	{ "rekey.opened", API, 1, "rekey begin", 3, 0 },
	{ "rekey.contributed", API, 3, "rekey contribute", 3, 0 },
	{ "rekey.accepted", API, 3, "rekey accept", 3, 0 },
	{ "rekey.done", API, 3, "rekey accept", 3, 0 },
	{ "rekey.status", API, 2, "rekey status", 1, 0 },
	{ "aws.posture", API, 2, "aws posture", 1, 0 },
	{ "aws.reconciled", API, 2, "aws reconcile", 1, 0 },
	{ "custody.check", API, 2, "custody check", 1, 0 },
	{ "aws.posture_failed", API, 2, "aws posture", 4, 1 },
	{ "aws.reconcile_failed", API, 2, "aws reconcile", 4, 1 },
	{ "token.enrolled", ACCOUNT, 10, NULL, 3, 0 },
	{ "token.removed", ACCOUNT, 11, NULL, 3, 0 },
	{ "requester.added", ACCOUNT, 1, NULL, 3, 0 },
	{ "person.added", ACCOUNT, 1, NULL, 3, 0 },
	{ "requester.removed", ACCOUNT, 6, NULL, 3, 0 },
	{ "custodian.added", GROUP, 3, NULL, 3, 0 },
	{ "custodian.removed", GROUP, 4, NULL, 3, 0 },
	{ "config.init", ENTITY, 1, NULL, 3, 0 },
	{ "vault.init", ENTITY, 1, NULL, 3, 0 },
	{ "account.added", ENTITY, 1, NULL, 3, 0 },
	{ "chain.link", ENTITY, 1, NULL, 3, 0 },
	{ "config.changed", ENTITY, 3, NULL, 3, 0 },
	{ "policy.changed", ENTITY, 3, NULL, 3, 0 },
	{ "vault.armed", ENTITY, 3, NULL, 3, 0 },
	{ "vault.ready", ENTITY, 3, NULL, 3, 0 },
	{ "change.applied", ENTITY, 3, NULL, 3, 0 },
	{ "group.rekeyed", ENTITY, 3, NULL, 3, 0 },
	{ "audit.verify_failed", FINDING, 1, "audit verify", 5, 0 },
	{ "vault.verify_failed", FINDING, 1, "vault verify", 5, 0 },
	{ "custody.violation", FINDING, 1, "custody check", 5, 0 },
	{ "aws.finding", FINDING, 1, "aws", 5, 0 },
	{ "clock.skew", FINDING, 1, "audit clock", 4, 0 },
	{ "witness.inconsistent", FINDING, 1, "witness", 5, 0 },
	{ "audit.init", BASE, OTHER, "Init", 1, 0 },
	{ "audit.recovered", BASE, OTHER, "Recover", 3, 0 },
	{ "operator.note", BASE, OTHER, "Note", 1, 0 },
	{ "state.write_failed", BASE, OTHER, "Write", 4, 1 },
	{ "alert.test", BASE, OTHER, "Test", 1, 0 },
	{ "alert.dead", BASE, OTHER, "Alert", 4, 1 },
	{ "witness.unavailable", BASE, OTHER, "Witness", 3, 1 },
	{ NULL, BASE, OTHER, "Other", 1, 0 },	/* any other event */
};

static const struct {
	enum cls cls;
	const char *name;
	int cat;
	const char *cat_name;
} classes[] = {
	{ BASE, "Base Event", 0, "Uncategorized" },
	{ FINDING, "Detection Finding", 2, "Findings" },
	{ ACCOUNT, "Account Change", 3, "Identity & Access Management" },
	{ AUTH, "Authentication", 3, "Identity & Access Management" },
	{ ENTITY, "Entity Management", 3, "Identity & Access Management" },
	{ GROUP, "Group Management", 3, "Identity & Access Management" },
	{ API, "API Activity", 6, "Application Activity" },
};

/* The captions of the activities used (OTHER aside), by class. */
static const char *
activity_caption(enum cls cls, int act)
{
	static const char *const crud[] = { NULL, "Create", "Read", "Update",
	    "Delete" };

	if (cls == ACCOUNT)
		return act == 1 ? "Create" : act == 6 ? "Delete" :
		    act == 10 ? "MFA Factor Enable" : "MFA Factor Disable";
	if (cls == GROUP)
		return act == 3 ? "Add User" : "Remove User";
	return act >= 1 && act <= 4 ? crud[act] : "Other";
}

static const char *
severity_caption(int sev)
{
	static const char *const s[] = { "Unknown", "Informational", "Low",
	    "Medium", "High", "Critical" };

	return sev >= 0 && sev <= 5 ? s[sev] : "Unknown";
}

static const struct map *
map_of(const char *event)
{
	size_t i;

	for (i = 0; maps[i].event != NULL; i++)
		if (strcmp(maps[i].event, event) == 0)
			return &maps[i];
	return &maps[i];
}

/* ---------------------------------------------------------- helpers */

/* detail's string key, or NULL */
static const char *
dstr(const struct bg_audit_entry *e, const char *key)
{
	const cJSON *j = e->detail != NULL ?
	    cJSON_GetObjectItemCaseSensitive(e->detail, key) : NULL;

	return cJSON_IsString(j) && j->valuestring[0] != '\0' ?
	    j->valuestring : NULL;
}

/* A refusal's activity, from the command it refused. */
static int
command_activity(const char *cmd)
{
	static const char *const create[] = { "add", "enroll", "seal",
	    "request", "open", "init", "begin", NULL };
	static const char *const read[] = { "list", "show", "status",
	    "release", "verify", "check", NULL };
	size_t i;

	if (cmd == NULL)
		return OTHER;
	if (strstr(cmd, "remove") != NULL)
		return 4;
	for (i = 0; create[i] != NULL; i++)
		if (strstr(cmd, create[i]) != NULL)
			return 1;
	for (i = 0; read[i] != NULL; i++)
		if (strstr(cmd, read[i]) != NULL)
			return 2;
	return 3;
}

static cJSON *
user_obj(const char *name)
{
	int sys = name == NULL || name[0] == '\0' ||
	    strcmp(name, "breakglass") == 0;
	cJSON *u = cJSON_CreateObject();

	if (u != NULL && (!cJSON_AddStringToObject(u, "name", sys ?
	    "breakglass" : name) || !cJSON_AddNumberToObject(u, "type_id",
	    sys ? 3 : 1) || !cJSON_AddStringToObject(u, "type", sys ?
	    "System" : "User"))) {
		cJSON_Delete(u);
		u = NULL;
	}
	return u;
}

/* {"factor_type_id": 6, "factor_type": "Hardware Token"[, provider]} */
static int
add_factors(cJSON *o, const char *provider)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "auth_factors"), *f;

	if (arr == NULL || (f = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	cJSON_AddItemToArray(arr, f);
	if (!cJSON_AddNumberToObject(f, "factor_type_id", 6) ||
	    !cJSON_AddStringToObject(f, "factor_type", "Hardware Token") ||
	    (provider != NULL && !cJSON_AddStringToObject(f, "provider",
	    provider)))
		return BG_ENOMEM;
	return BG_OK;
}

/* ------------------------------------------------------- the classes */

static int
auth(cJSON *o, const struct bg_audit_entry *e)
{
	cJSON *svc;

	if (bg_json_add(o, "user", user_obj(e->actor)) != BG_OK ||
	    (svc = cJSON_AddObjectToObject(o, "service")) == NULL ||
	    !cJSON_AddStringToObject(svc, "name", "breakglass"))
		return BG_ENOMEM;
	return add_factors(o, NULL);
}

static int
resource(cJSON *arr, const char *type, const char *name, const char *uid,
    const char *version)
{
	cJSON *r = cJSON_CreateObject();

	if (r == NULL)
		return BG_ENOMEM;
	cJSON_AddItemToArray(arr, r);
	if (!cJSON_AddStringToObject(r, "type", type) ||
	    (name != NULL && !cJSON_AddStringToObject(r, "name", name)) ||
	    !cJSON_AddStringToObject(r, "uid", uid) ||
	    (version != NULL && !cJSON_AddStringToObject(r, "version",
	    version)))
		return BG_ENOMEM;
	return BG_OK;
}

/* One secret item of the entry's account. */
static int
item_resource(cJSON *arr, const struct bg_audit_entry *e, const char *item,
    const char *version)
{
	char uid[2 * BG_NAME_MAX + 2];

	snprintf(uid, sizeof(uid), "%s/%s", e->account, item);
	return resource(arr, "secret item", item, uid, version);
}

/* The items a request names: "items" (names) or "entries" ({item}). */
static int
request_items(cJSON *arr, const struct bg_audit_entry *e)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "items"), *it, *name;
	int r = BG_OK;

	if (!cJSON_IsArray(items))
		items = cJSON_GetObjectItemCaseSensitive(e->detail, "entries");
	cJSON_ArrayForEach(it, items) {
		name = cJSON_IsObject(it) ?
		    cJSON_GetObjectItemCaseSensitive(it, "item") : it;
		if (r == BG_OK && cJSON_IsString(name))
			r = item_resource(arr, e, name->valuestring, NULL);
	}
	return r;
}

/* api.resources: what the operation touched (none: not added). */
static int
api_resources(cJSON *o, const struct bg_audit_entry *e)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *v;
	char ver[24];
	int r = BG_OK;

	if (arr == NULL)
		return BG_ENOMEM;
	if (strncmp(e->event, "change.", 7) == 0 && e->request[0] != '\0')
		r = resource(arr, "change request", dstr(e, "what"),
		    e->request, NULL);
	else if (strcmp(e->event, "item.sealed") == 0 && dstr(e, "item")) {
		v = cJSON_GetObjectItemCaseSensitive(e->detail, "version");
		snprintf(ver, sizeof(ver), "%.0f", cJSON_IsNumber(v) ?
		    v->valuedouble : 0.0);
		r = item_resource(arr, e, dstr(e, "item"), ver);
	} else if ((strncmp(e->event, "request.", 8) == 0 ||
	    strncmp(e->event, "release.", 8) == 0) && e->account[0] != '\0' &&
	    strcmp(e->event, "request.refused") != 0 &&
	    strcmp(e->event, "request.status") != 0) {
		if ((r = resource(arr, "AWS account", NULL, e->account,
		    NULL)) == BG_OK)
			r = request_items(arr, e);
	}
	if (r == BG_OK && cJSON_GetArraySize(arr) > 0)
		return bg_json_add(o, "resources", arr);
	cJSON_Delete(arr);
	return r;
}

static int
api(cJSON *o, const struct bg_audit_entry *e, const struct map *m,
    const struct bg_ocsf_ctx *ctx)
{
	const char *op = m->verb != NULL ? m->verb : dstr(e, "command");
	cJSON *a, *s, *q, *src;

	if ((a = cJSON_AddObjectToObject(o, "api")) == NULL ||
	    !cJSON_AddStringToObject(a, "operation", op != NULL ? op :
	    e->event) ||
	    (s = cJSON_AddObjectToObject(a, "service")) == NULL ||
	    !cJSON_AddStringToObject(s, "name", "breakglass"))
		return BG_ENOMEM;
	if (e->request[0] != '\0' &&
	    ((q = cJSON_AddObjectToObject(a, "request")) == NULL ||
	    !cJSON_AddStringToObject(q, "uid", e->request)))
		return BG_ENOMEM;
	if (m->fail && (dstr(e, "error") != NULL || dstr(e, "reason") != NULL) &&
	    ((q = cJSON_AddObjectToObject(a, "response")) == NULL ||
	    (dstr(e, "error") != NULL && !cJSON_AddStringToObject(q, "error",
	    dstr(e, "error"))) || (dstr(e, "reason") != NULL &&
	    !cJSON_AddStringToObject(q, "error_message", dstr(e, "reason")))))
		return BG_ENOMEM;
	if ((src = cJSON_AddObjectToObject(o, "src_endpoint")) == NULL ||
	    !cJSON_AddStringToObject(src, "hostname", ctx->hostname))
		return BG_ENOMEM;
	return api_resources(o, e);
}

/* Account Change: the person (detail.person) and, for tokens, the factor. */
static int
account(cJSON *o, const struct bg_audit_entry *e)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "descriptor");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(d, "kind");
	int r;

	if ((r = bg_json_add(o, "user", user_obj(dstr(e, "person")))) !=
	    BG_OK || strncmp(e->event, "token.", 6) != 0)
		return r;
	return add_factors(o, !cJSON_IsString(kind) ? NULL :
	    strcmp(kind->valuestring, "fido2") == 0 ? "FIDO2" : "YubiKey");
}

static int
group(cJSON *o, const struct bg_audit_entry *e)
{
	cJSON *g = cJSON_AddObjectToObject(o, "group");

	if (g == NULL || !cJSON_AddStringToObject(g, "name",
	    dstr(e, "group") != NULL ? dstr(e, "group") : "") ||
	    !cJSON_AddStringToObject(g, "type", "custodian group"))
		return BG_ENOMEM;
	return dstr(e, "person") == NULL ? BG_OK :
	    bg_json_add(o, "user", user_obj(dstr(e, "person")));
}

/* A managed_entity: type_id, type, name. */
static cJSON *
entity_obj(const struct bg_audit_entry *e)
{
	const char *ev = e->event, *type = "Vault", *name = "vault.json";
	int type_id = 99;
	cJSON *x = cJSON_CreateObject();

	if (strncmp(ev, "config.", 7) == 0) {
		type = "Configuration";
		name = "breakglass.json";
	} else if (strcmp(ev, "policy.changed") == 0) {
		type_id = 5;
		type = "Policy";
		name = "vault policy";
	} else if (strcmp(ev, "account.added") == 0) {
		type = "AWS account";
		name = e->account[0] != '\0' ? e->account : "account";
	} else if (strcmp(ev, "chain.link") == 0 ||
	    strcmp(ev, "change.applied") == 0) {
		type = "Governance chain link";
		name = dstr(e, "what") != NULL ? dstr(e, "what") :
		    "governance chain";
	} else if (strcmp(ev, "group.rekeyed") == 0) {
		type = "Custodian group";
		name = dstr(e, "group") != NULL ? dstr(e, "group") : "group";
	}
	if (x != NULL && (!cJSON_AddNumberToObject(x, "type_id", type_id) ||
	    !cJSON_AddStringToObject(x, "type", type) ||
	    !cJSON_AddStringToObject(x, "name", name))) {
		cJSON_Delete(x);
		x = NULL;
	}
	return x;
}

static int
entity(cJSON *o, const struct bg_audit_entry *e)
{
	static const char *const keep[] = { "file", "sections", "sha256",
	    NULL };
	cJSON *res, *data;
	const cJSON *v;
	size_t i;

	if (bg_json_add(o, "entity", entity_obj(e)) != BG_OK ||
	    bg_json_add(o, "entity_result", res = entity_obj(e)) != BG_OK ||
	    (data = cJSON_AddObjectToObject(res, "data")) == NULL)
		return BG_ENOMEM;
	for (i = 0; keep[i] != NULL; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(e->detail,
		    keep[i])) != NULL && (strcmp(keep[i], "sections") != 0 ||
		    strncmp(e->event, "config.", 7) == 0) &&
		    bg_json_add(data, keep[i], cJSON_Duplicate(v, 1)) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

/* The finding's title: what the check found, in a line. */
static void
finding_title(const struct bg_audit_entry *e, char *t, size_t tsz)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e->detail, "counts");
	const cJSON *crit = cJSON_GetObjectItemCaseSensitive(c, "critical");
	const cJSON *viol = cJSON_GetObjectItemCaseSensitive(c, "violation");
	const cJSON *back = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "back_ms");

	if (strcmp(e->event, "custody.violation") == 0)
		snprintf(t, tsz, "custody check: %.0f critical, %.0f "
		    "violation(s)", cJSON_IsNumber(crit) ? crit->valuedouble :
		    0.0, cJSON_IsNumber(viol) ? viol->valuedouble : 0.0);
	else if (strcmp(e->event, "clock.skew") == 0)
		snprintf(t, tsz, "clock stepped back by %.0f ms",
		    cJSON_IsNumber(back) ? back->valuedouble : 0.0);
	else
		snprintf(t, tsz, "%s", strcmp(e->event, "audit.verify_failed")
		    == 0 ? "audit log tampered" : strcmp(e->event,
		    "vault.verify_failed") == 0 ? "vault state unlike the log" :
		    strcmp(e->event, "witness.inconsistent") == 0 ?
		    "a witness saw another history of the log" :
		    "AWS root account finding");
}

static int
finding(cJSON *o, const struct bg_audit_entry *e, const struct map *m,
    const char *leaf, char *title, size_t tsz)
{
	const char *src = strcmp(e->event, "aws.finding") == 0 ?
	    dstr(e, "source") : NULL;
	cJSON *f, *types, *a;
	char name[64];

	finding_title(e, title, tsz);
	snprintf(name, sizeof(name), "%s%s%s", m->verb, src ? " " : "",
	    src ? src : "");
	if (!cJSON_AddTrueToObject(o, "is_alert") ||
	    !cJSON_AddNumberToObject(o, "confidence_id", 3) ||
	    !cJSON_AddStringToObject(o, "confidence", "High") ||
	    (f = cJSON_AddObjectToObject(o, "finding_info")) == NULL ||
	    !cJSON_AddStringToObject(f, "uid", leaf) ||
	    !cJSON_AddStringToObject(f, "title", title) ||
	    (dstr(e, "reason") != NULL && !cJSON_AddStringToObject(f, "desc",
	    dstr(e, "reason"))) ||
	    (types = cJSON_AddArrayToObject(f, "types")) == NULL ||
	    bg_json_add(types, NULL, cJSON_CreateString(e->event)) != BG_OK ||
	    (a = cJSON_AddObjectToObject(f, "analytic")) == NULL ||
	    !cJSON_AddNumberToObject(a, "type_id", 1) ||
	    !cJSON_AddStringToObject(a, "type", "Rule") ||
	    !cJSON_AddStringToObject(a, "name", name))
		return BG_ENOMEM;
	return BG_OK;
}

/* ------------------------------------------------------ every event */

/* message: one line for people */
static void
message(const struct bg_audit_entry *e, const struct map *m,
    const char *title, char *out, size_t outsz)
{
	const char *who = e->actor[0] != '\0' ? e->actor : "breakglass";
	const char *why = dstr(e, "reason");

	if (m->cls == FINDING)
		snprintf(out, outsz, "%s%s%s", title, why ? ": " : "",
		    why ? why : "");
	else if (m->fail)
		snprintf(out, outsz, "%s %s refused%s%s", who, m->verb ?
		    m->verb : dstr(e, "command") ? dstr(e, "command") :
		    e->event, why ? ": " : "", why ? why : "");
	else
		snprintf(out, outsz, "%s: %s%s%s%s%s", e->event, who,
		    e->account[0] ? ", account " : "", e->account,
		    e->request[0] ? ", " : "", e->request);
}

/* time in ms from the entry's RFC 3339 time (with milliseconds) */
static int
time_ms(const char *t, double *ms)
{
	uint64_t secs;
	int frac = 0;

	if (bg_rfc3339_entry_parse(t, &secs) != BG_OK)
		return BG_EFORMAT;
	if (strlen(t) >= 24 && t[19] == '.')
		frac = (t[20] - '0') * 100 + (t[21] - '0') * 10 + (t[22] - '0');
	*ms = (double)secs * 1000.0 + frac;
	return BG_OK;
}

static int
metadata(cJSON *o, const struct bg_audit_entry *e, const char *leaf,
    const struct bg_ocsf_ctx *ctx)
{
	cJSON *md = cJSON_AddObjectToObject(o, "metadata"), *p, *prof;

	if (md == NULL || !cJSON_AddStringToObject(md, "version", "1.8.0") ||
	    (p = cJSON_AddObjectToObject(md, "product")) == NULL ||
	    !cJSON_AddStringToObject(p, "name", "breakglass") ||
	    !cJSON_AddStringToObject(p, "vendor_name", "breakglass") ||
	    !cJSON_AddStringToObject(p, "version", ctx->version) ||
	    !cJSON_AddStringToObject(md, "uid", leaf) ||
	    !cJSON_AddNumberToObject(md, "sequence", (double)e->seq) ||
	    !cJSON_AddStringToObject(md, "event_code", e->event) ||
	    !cJSON_AddStringToObject(md, "original_time", e->time) ||
	    !cJSON_AddStringToObject(md, "log_provider", "breakglass") ||
	    !cJSON_AddStringToObject(md, "log_source", ctx->origin) ||
	    (e->request[0] != '\0' && !cJSON_AddStringToObject(md,
	    "correlation_uid", e->request)) ||
	    (prof = cJSON_AddArrayToObject(md, "profiles")) == NULL ||
	    bg_json_add(prof, NULL, cJSON_CreateString("host")) != BG_OK ||
	    (e->account[0] != '\0' && bg_json_add(prof, NULL,
	    cJSON_CreateString("cloud")) != BG_OK))
		return BG_ENOMEM;
	return BG_OK;
}

/* device, actor, cloud */
static int
who_where(cJSON *o, const struct bg_audit_entry *e,
    const struct bg_ocsf_ctx *ctx)
{
	cJSON *d, *a, *c, *acct;

	if ((d = cJSON_AddObjectToObject(o, "device")) == NULL ||
	    !cJSON_AddStringToObject(d, "hostname", ctx->hostname) ||
	    !cJSON_AddNumberToObject(d, "type_id", 1) ||
	    !cJSON_AddStringToObject(d, "type", "Server") ||
	    (a = cJSON_AddObjectToObject(o, "actor")) == NULL ||
	    bg_json_add(a, "user", user_obj(e->actor)) != BG_OK)
		return BG_ENOMEM;
	if (e->account[0] == '\0')
		return BG_OK;
	if ((c = cJSON_AddObjectToObject(o, "cloud")) == NULL ||
	    !cJSON_AddStringToObject(c, "provider", "AWS") ||
	    (acct = cJSON_AddObjectToObject(c, "account")) == NULL ||
	    !cJSON_AddStringToObject(acct, "uid", e->account) ||
	    !cJSON_AddNumberToObject(acct, "type_id", 10) ||
	    !cJSON_AddStringToObject(acct, "type", "AWS Account"))
		return BG_ENOMEM;
	return BG_OK;
}

/* raw_data, its size and hash; unmapped.breakglass.detail */
static int
raw(cJSON *o, const struct bg_audit_entry *e, const char *line, size_t len)
{
	uint8_t h[32];
	char hex[65], *copy;
	cJSON *hash, *u, *b;
	int r = BG_ENOMEM;

	if (EVP_Digest(line, len, h, NULL, EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	(void)bg_hex_encode(h, 32, hex, sizeof(hex));
	if ((copy = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (cJSON_AddStringToObject(o, "raw_data", copy) &&
	    cJSON_AddNumberToObject(o, "raw_data_size", (double)len) &&
	    (hash = cJSON_AddObjectToObject(o, "raw_data_hash")) != NULL &&
	    cJSON_AddNumberToObject(hash, "algorithm_id", 3) &&
	    cJSON_AddStringToObject(hash, "algorithm", "SHA-256") &&
	    cJSON_AddStringToObject(hash, "value", hex) &&
	    (u = cJSON_AddObjectToObject(o, "unmapped")) != NULL &&
	    (b = cJSON_AddObjectToObject(u, "breakglass")) != NULL)
		r = bg_json_add(b, "detail", e->detail != NULL ?
		    cJSON_Duplicate(e->detail, 1) : cJSON_CreateObject());
	free(copy);
	return r;
}

/* class, category, activity, type, severity, status */
static int
classify(cJSON *o, const struct bg_audit_entry *e, const struct map *m,
    int *act)
{
	const char *aname, *cname = "Base Event", *catname = "Uncategorized";
	char tname[96];
	int cat = 0;
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].cls == m->cls) {
			cname = classes[i].name;
			cat = classes[i].cat;
			catname = classes[i].cat_name;
		}
	*act = m->act == BY_COMMAND ? command_activity(dstr(e, "command")) :
	    m->act;
	if (*act != OTHER)
		aname = activity_caption(m->cls, *act);
	else if (m->cls == API)	/* a refusal of a command not named */
		aname = dstr(e, "command") ? dstr(e, "command") : e->event;
	else
		aname = m->verb;
	snprintf(tname, sizeof(tname), "%s: %s", cname, *act == OTHER ?
	    "Other" : activity_caption(m->cls, *act));
	if (!cJSON_AddNumberToObject(o, "class_uid", m->cls) ||
	    !cJSON_AddStringToObject(o, "class_name", cname) ||
	    !cJSON_AddNumberToObject(o, "category_uid", cat) ||
	    !cJSON_AddStringToObject(o, "category_name", catname) ||
	    !cJSON_AddNumberToObject(o, "activity_id", *act) ||
	    !cJSON_AddStringToObject(o, "activity_name", aname) ||
	    !cJSON_AddNumberToObject(o, "type_uid", (double)m->cls * 100 +
	    *act) ||
	    !cJSON_AddStringToObject(o, "type_name", tname) ||
	    !cJSON_AddNumberToObject(o, "severity_id", m->sev) ||
	    !cJSON_AddStringToObject(o, "severity", severity_caption(m->sev)) ||
	    !cJSON_AddNumberToObject(o, "status_id", m->fail ? 2 : 1) ||
	    !cJSON_AddStringToObject(o, "status", m->cls == FINDING ? "New" :
	    m->fail ? "Failure" : "Success"))
		return BG_ENOMEM;
	if (m->fail && ((dstr(e, "error") != NULL && !cJSON_AddStringToObject(
	    o, "status_code", dstr(e, "error"))) || (dstr(e, "reason") !=
	    NULL && !cJSON_AddStringToObject(o, "status_detail",
	    dstr(e, "reason")))))
		return BG_ENOMEM;
	return BG_OK;
}

/*
 * An entry whose class needs what it does not record (an Account Change
 * with no person: entries written before they named one) is a Base
 * Event, which needs nothing more.
 */
static const struct map *
effective(const struct bg_audit_entry *e, const struct map *m,
    struct map *tmp)
{
	if (m->cls != ACCOUNT || dstr(e, "person") != NULL)
		return m;
	*tmp = *m;
	tmp->cls = BASE;
	tmp->act = OTHER;
	tmp->verb = strncmp(e->event, "token.", 6) == 0 ? "Token" : "Person";
	return tmp;
}

static int
fields(cJSON *o, const struct bg_audit_entry *e, const struct map *m,
    const char *leaf, const struct bg_ocsf_ctx *ctx, char *title,
    size_t tsz)
{
	switch (m->cls) {
	case AUTH:
		return auth(o, e);
	case API:
		return api(o, e, m, ctx);
	case ACCOUNT:
		return account(o, e);
	case GROUP:
		return group(o, e);
	case ENTITY:
		return entity(o, e);
	case FINDING:
		return finding(o, e, m, leaf, title, tsz);
	default:
		return BG_OK;
	}
}

int
bg_ocsf_event(const char *line, size_t len, const struct bg_ocsf_ctx *ctx,
    cJSON **out)
{
	struct bg_audit_entry e;
	const struct map *m;
	struct map tmp;
	char leaf[48], title[160] = "", msg[1024];
	uint8_t h[32];
	double ms;
	cJSON *o;
	int act, r;

	*out = NULL;
	if ((r = bg_audit_entry_parse(line, len, &e)) != BG_OK)
		return r;
	m = effective(&e, map_of(e.event), &tmp);
	if ((r = bg_audit_leaf_hash(line, len, h)) != BG_OK ||
	    (r = bg_b64_encode(h, 32, leaf, sizeof(leaf))) != BG_OK ||
	    (r = time_ms(e.time, &ms)) != BG_OK) {
		bg_audit_entry_free(&e);
		return r;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		r = BG_ENOMEM;
	if (r == BG_OK && (r = classify(o, &e, m, &act)) == BG_OK &&
	    (r = (cJSON_AddNumberToObject(o, "time", ms) &&
	    cJSON_AddNumberToObject(o, "timezone_offset", 0)) ? BG_OK :
	    BG_ENOMEM) == BG_OK &&
	    (r = metadata(o, &e, leaf, ctx)) == BG_OK &&
	    (r = who_where(o, &e, ctx)) == BG_OK &&
	    (r = fields(o, &e, m, leaf, ctx, title, sizeof(title))) == BG_OK &&
	    (r = raw(o, &e, line, len)) == BG_OK) {
		message(&e, m, title, msg, sizeof(msg));
		if (!cJSON_AddStringToObject(o, "message", msg))
			r = BG_ENOMEM;
	}
	bg_audit_entry_free(&e);
	if (r != BG_OK)
		cJSON_Delete(o);
	else
		*out = o;
	return r;
}
