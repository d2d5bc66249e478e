/*
 * broker/aws/ the AWS actions breakglass calls, each with its wire format
 * (botocore's service definitions: iam 2010-05-08 and sts 2011-06-15
 * query API with XML answers; organizations 2016-11-28 and cloudtrail
 * 2013-11-01 JSON 1.1). Every list is read to its last page, bounded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

#define PAGES_MAX 1000		/* pages of one list */
#define TOKEN_MAX 2048		/* a pagination token or marker */
#define FORM_MAX 3072

#define IAM_V "2010-05-08"
#define STS_V "2011-06-15"
#define ORG_TARGET "AWSOrganizationsV20161128.ListAccounts"
#define TRAIL_TARGET \
	"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define AUDIT_TASK \
	"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"

/* A form of (key, value) pairs ended by NULL: Action and Version first. */
static int
form_of(char *out, size_t outsz, const char *const *kv)
{
	size_t pos = 0;
	int r = BG_OK;

	out[0] = '\0';
	for (; r == BG_OK && kv[0] != NULL; kv += 2)
		if (kv[1] != NULL)
			r = bg_aws_form_add(out, outsz, &pos, kv[0], kv[1]);
	return r;
}

static int
query(struct bg_aws *a, const char *service, const char *const *kv,
    struct bg_aws_resp *out)
{
	char form[FORM_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = form_of(form, sizeof(form), kv)) != BG_OK)
		return r;
	return bg_aws_query(a, service, a->region, form, out);
}

/* An element's text of an answer, required. */
static int
need(const struct bg_aws_resp *rs, const char *tag, char *out, size_t outsz,
    const char *what)
{
	int r = bg_aws_xml_text(rs->body, rs->body + rs->len, tag, out, outsz);

	if (r != BG_OK)
		bg_set_why("AWS %s: the answer has no valid <%s>", what, tag);
	return r;
}

int
bg_aws_caller(struct bg_aws *a, char *account, size_t accsz, char *arn,
    size_t arnsz)
{
	static const char *const kv[] = { "Action", "GetCallerIdentity",
	    "Version", STS_V, NULL };
	struct bg_aws_resp rs;
	int r;

	if ((r = query(a, "sts", kv, &rs)) == BG_OK &&
	    (r = need(&rs, "Account", account, accsz,
	    "sts GetCallerIdentity")) == BG_OK)
		r = need(&rs, "Arn", arn, arnsz, "sts GetCallerIdentity");
	bg_aws_resp_free(&rs);
	return r;
}

/* A summary value: 0, 1 .. as an int; -1 when absent. */
static int
summary_value(const char *p, const char *end, const char *key)
{
	const char *in, *in_end;
	char k[96], v[32];

	while (bg_aws_xml_next(&p, end, "entry", &in, &in_end))
		if (bg_aws_xml_text(in, in_end, "key", k, sizeof(k)) ==
		    BG_OK && strcmp(k, key) == 0 &&
		    bg_aws_xml_text(in, in_end, "value", v, sizeof(v)) ==
		    BG_OK)
			return atoi(v);
	return -1;
}

int
bg_aws_summary(struct bg_aws *a, struct bg_aws_root *root)
{
	static const char *const kv[] = { "Action", "GetAccountSummary",
	    "Version", IAM_V, NULL };
	struct bg_aws_resp rs;
	const char *end;
	int r;

	if ((r = query(a, "iam", kv, &rs)) != BG_OK)
		return r;
	end = rs.body + rs.len;
	root->mfa = summary_value(rs.body, end, "AccountMFAEnabled");
	root->keys = summary_value(rs.body, end, "AccountAccessKeysPresent");
	root->password = summary_value(rs.body, end,
	    "AccountPasswordPresent");
	root->certs = summary_value(rs.body, end,
	    "AccountSigningCertificatesPresent");
	bg_aws_resp_free(&rs);
	if (root->mfa < 0 || root->keys < 0 || root->password < 0) {
		bg_set_why("AWS iam GetAccountSummary: the SummaryMap lacks "
		    "AccountMFAEnabled, AccountAccessKeysPresent or "
		    "AccountPasswordPresent");
		return BG_EFORMAT;
	}
	return BG_OK;
}

/*
 * Counts members of a paged IAM list: ListMFADevices (a root session:
 * the root user's devices) or ListVirtualMFADevices (those assigned to
 * root_arn).
 */
static int
count_page(const struct bg_aws_resp *rs, const char *list,
    const char *root_arn, int *n)
{
	const char *p = rs->body, *end = rs->body + rs->len, *in, *in_end;
	const char *m, *m_end;
	char arn[256];

	if (!bg_aws_xml_next(&p, end, list, &in, &in_end)) {
		bg_set_why("AWS iam: the answer has no <%s>", list);
		return BG_EFORMAT;
	}
	while (bg_aws_xml_next(&in, in_end, "member", &m, &m_end)) {
		const char *u = m, *ui, *ui_end;

		if (root_arn == NULL)
			(*n)++;
		else if (bg_aws_xml_next(&u, m_end, "User", &ui, &ui_end) &&
		    bg_aws_xml_text(ui, ui_end, "Arn", arn, sizeof(arn)) ==
		    BG_OK && strcmp(arn, root_arn) == 0)
			(*n)++;
	}
	return BG_OK;
}

int
bg_aws_root_mfa(struct bg_aws *a, const char *account, int root_session,
    int *n)
{
	const char *action = root_session ? "ListMFADevices" :
	    "ListVirtualMFADevices";
	char marker[TOKEN_MAX], trunc[8], root_arn[64];
	struct bg_aws_resp rs;
	int r = BG_OK, page;

	*n = 0;
	marker[0] = '\0';
	snprintf(root_arn, sizeof(root_arn), "arn:aws:iam::%s:root", account);
	for (page = 0; r == BG_OK && page < PAGES_MAX; page++) {
		const char *kv[] = { "Action", action, "Version", IAM_V,
		    "AssignmentStatus", root_session ? NULL : "Assigned",
		    "Marker", marker[0] ? marker : NULL, NULL };

		if ((r = query(a, "iam", kv, &rs)) == BG_OK)
			r = count_page(&rs, root_session ? "MFADevices" :
			    "VirtualMFADevices", root_session ? NULL :
			    root_arn, n);
		if (r == BG_OK && (bg_aws_xml_text(rs.body, rs.body + rs.len,
		    "IsTruncated", trunc, sizeof(trunc)) != BG_OK ||
		    strcmp(trunc, "true") != 0)) {
			bg_aws_resp_free(&rs);
			return BG_OK;
		}
		/* truncated: a Marker to follow, or an error (never the end) */
		if (r == BG_OK && bg_aws_xml_text(rs.body, rs.body + rs.len,
		    "Marker", marker, sizeof(marker)) != BG_OK) {
			bg_set_why("AWS iam %s: a truncated list without a "
			    "valid Marker", action);
			r = BG_EFORMAT;
		}
		bg_aws_resp_free(&rs);
	}
	if (r == BG_OK) {
		bg_set_why("AWS iam %s: more than %d pages", action, PAGES_MAX);
		r = BG_ETOOBIG;
	}
	return r;
}

int
bg_aws_org_features(struct bg_aws *a, int *central_root, int *sessions)
{
	static const char *const kv[] = { "Action",
	    "ListOrganizationsFeatures", "Version", IAM_V, NULL };
	struct bg_aws_resp rs;
	const char *p, *end, *in, *in_end, *m, *m_end;
	char f[64];
	int r;

	*central_root = *sessions = 0;
	if ((r = query(a, "iam", kv, &rs)) == BG_OK) {
		p = rs.body;
		end = rs.body + rs.len;
		if (bg_aws_xml_next(&p, end, "EnabledFeatures", &in, &in_end))
			while (bg_aws_xml_next(&in, in_end, "member", &m,
			    &m_end))
				if (bg_aws_xml_range(m, m_end, f, sizeof(f)) ==
				    BG_OK) {
					*central_root |= strcmp(f,
					    "RootCredentialsManagement") == 0;
					*sessions |= strcmp(f, "RootSessions")
					    == 0;
				}
	} else if (strncmp(rs.code, "OrganizationNotFound", 20) == 0 ||
	    strncmp(rs.code, "ServiceAccessNotEnabled", 23) == 0 ||
	    strncmp(rs.code, "OrganizationNotInAllFeaturesMode", 32) == 0 ||
	    strncmp(rs.code, "AccountNotManagementOrDelegatedAdministrator",
	    44) == 0)
		/* off, or not ours to see (AWS spells these with and without
		 * "Exception"): neither feature */
		r = BG_OK;
	bg_aws_resp_free(&rs);
	return r;
}

/* Temporary credentials of an AssumeRoot or AssumeRole answer. */
static int
creds_of(const struct bg_aws_resp *rs, const char *what,
    struct bg_aws_creds *cr)
{
	char id[BG_AWS_KEYID_MAX + 1];
	char *secret = bg_secure_alloc(BG_AWS_SECRET_MAX + 1);
	char *token = bg_secure_alloc(BG_AWS_TOKEN_MAX + 1);
	struct bg_aws_creds tmp;
	int r = BG_ENOMEM;

	memset(&tmp, 0, sizeof(tmp));
	if (secret != NULL && token != NULL &&
	    (r = need(rs, "AccessKeyId", id, sizeof(id), what)) == BG_OK &&
	    (r = need(rs, "SecretAccessKey", secret, BG_AWS_SECRET_MAX + 1,
	    what)) == BG_OK &&
	    (r = need(rs, "SessionToken", token, BG_AWS_TOKEN_MAX + 1,
	    what)) == BG_OK) {
		tmp.secret = secret;
		tmp.token = token;
		snprintf(tmp.key_id, sizeof(tmp.key_id), "%s", id);
		snprintf(tmp.source, sizeof(tmp.source), "%s", what);
		r = bg_aws_creds_copy(&tmp, cr);
	}
	bg_secure_free(&secret, BG_AWS_SECRET_MAX + 1);
	bg_secure_free(&token, BG_AWS_TOKEN_MAX + 1);
	return r;
}

int
bg_aws_assume_root(struct bg_aws *a, const char *account,
    struct bg_aws_creds *cr)
{
	const char *kv[] = { "Action", "AssumeRoot", "Version", STS_V,
	    "TargetPrincipal", account, "TaskPolicyArn.arn", AUDIT_TASK,
	    "DurationSeconds", "900", NULL };
	struct bg_aws_resp rs;
	int r;

	if ((r = query(a, "sts", kv, &rs)) == BG_OK)
		r = creds_of(&rs, "sts AssumeRoot", cr);
	bg_wipe(rs.body, rs.len);
	bg_aws_resp_free(&rs);
	return r;
}

int
bg_aws_assume_role(struct bg_aws *a, const char *role_arn,
    struct bg_aws_creds *cr)
{
	const char *kv[] = { "Action", "AssumeRole", "Version", STS_V,
	    "RoleArn", role_arn, "RoleSessionName", "breakglass-posture",
	    "DurationSeconds", "900", NULL };
	struct bg_aws_resp rs;
	int r;

	if ((r = query(a, "sts", kv, &rs)) == BG_OK)
		r = creds_of(&rs, "sts AssumeRole", cr);
	bg_wipe(rs.body, rs.len);
	bg_aws_resp_free(&rs);
	return r;
}

/* ------------------------------------------------------ JSON lists */

/* One page: {"NextToken"?} in, the answer parsed in *out. */
static int
json_page(struct bg_aws *a, const char *service, const char *region,
    const char *target, cJSON *in, cJSON **out, char *code, size_t codesz)
{
	struct bg_aws_resp rs;
	char *body = cJSON_PrintUnformatted(in);
	int r;

	*out = NULL;
	memset(&rs, 0, sizeof(rs));
	if (body == NULL)
		return BG_ENOMEM;
	r = bg_aws_json(a, service, region, target, body, &rs);
	free(body);
	if (code != NULL)
		snprintf(code, codesz, "%s", rs.code);
	if (r == BG_OK && (*out = cJSON_ParseWithLength(rs.body, rs.len)) ==
	    NULL) {
		bg_set_why("AWS %s: the answer is not JSON", target);
		r = BG_EFORMAT;
	}
	bg_aws_resp_free(&rs);
	return r;
}

/*
 * in's NextToken from the answer's: 1, or 0 when the list is at its end,
 * or a BG_E* code. A token that cannot be followed is an error, never
 * the end: a list cut short would hide what its later pages hold.
 */
static int
next_page(cJSON *in, const cJSON *ans, const char *what)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ans, "NextToken");

	cJSON_DeleteItemFromObjectCaseSensitive(in, "NextToken");
	if (t == NULL || cJSON_IsNull(t))
		return 0;
	if (!cJSON_IsString(t) || t->valuestring[0] == '\0' ||
	    strlen(t->valuestring) > TOKEN_MAX) {
		bg_set_why("AWS %s: a NextToken that is not a string of 1 to "
		    "%d bytes", what, TOKEN_MAX);
		return BG_EFORMAT;
	}
	return cJSON_AddStringToObject(in, "NextToken", t->valuestring) !=
	    NULL ? 1 : BG_ENOMEM;
}

static int
add_member(const cJSON *acc, struct bg_aws_org_account **m, size_t *n)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(acc, "Id");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(acc, "Name");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(acc, "Status");
	struct bg_aws_org_account *q;

	if (!cJSON_IsString(id) || strlen(id->valuestring) !=
	    BG_AWS_ACCOUNT_LEN) {
		bg_set_why("AWS organizations ListAccounts: an account "
		    "without a 12-digit Id");
		return BG_EFORMAT;
	}
	if ((q = realloc(*m, (*n + 1) * sizeof(**m))) == NULL)
		return BG_ENOMEM;
	*m = q;
	q += *n;
	memset(q, 0, sizeof(*q));
	snprintf(q->id, sizeof(q->id), "%s", id->valuestring);
	snprintf(q->name, sizeof(q->name), "%s", cJSON_IsString(nm) ?
	    nm->valuestring : "");
	snprintf(q->status, sizeof(q->status), "%s", cJSON_IsString(st) ?
	    st->valuestring : "");
	(*n)++;
	return BG_OK;
}

int
bg_aws_org_accounts(struct bg_aws *a, struct bg_aws_org_account **m,
    size_t *n, int *in_use)
{
	cJSON *in = cJSON_CreateObject(), *ans = NULL;
	const cJSON *accs, *acc;
	char code[96] = "";
	int r = BG_OK, page, more = 1;

	*in_use = 1;
	if (in == NULL)
		return BG_ENOMEM;
	for (page = 0; r == BG_OK && more && page < PAGES_MAX; page++) {
		if ((r = json_page(a, "organizations", a->region, ORG_TARGET,
		    in, &ans, code, sizeof(code))) != BG_OK)
			break;
		accs = cJSON_GetObjectItemCaseSensitive(ans, "Accounts");
		if (!cJSON_IsArray(accs)) {
			bg_set_why("AWS organizations ListAccounts: no "
			    "Accounts list");
			r = BG_EFORMAT;
		}
		cJSON_ArrayForEach(acc, accs)
			if (r == BG_OK)
				r = add_member(acc, m, n);
		if ((more = next_page(in, ans, "organizations ListAccounts")) <
		    0 && r == BG_OK)
			r = more;
		cJSON_Delete(ans);
		ans = NULL;
	}
	cJSON_Delete(in);
	if (r == BG_OK && more) {
		bg_set_why("AWS organizations ListAccounts: more than %d pages",
		    PAGES_MAX);
		r = BG_ETOOBIG;
	}
	if (r != BG_OK && strcmp(code, "AWSOrganizationsNotInUseException") ==
	    0) {
		*in_use = 0;
		r = BG_OK;
	}
	return r;
}

/* Each event's CloudTrailEvent (a JSON text) parsed and handed to fn. */
static int
lookup_page(const cJSON *ans, bg_aws_record_fn fn, void *ctx)
{
	const cJSON *evs = cJSON_GetObjectItemCaseSensitive(ans, "Events"), *e;
	const cJSON *txt;
	cJSON *rec;
	int r = BG_OK;

	if (!cJSON_IsArray(evs)) {
		bg_set_why("AWS cloudtrail LookupEvents: no Events list");
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(e, evs) {
		txt = cJSON_GetObjectItemCaseSensitive(e, "CloudTrailEvent");
		if (!cJSON_IsString(txt) || (rec = cJSON_Parse(
		    txt->valuestring)) == NULL) {
			bg_set_why("AWS cloudtrail LookupEvents: an event "
			    "whose CloudTrailEvent is not a JSON record");
			return BG_EFORMAT;
		}
		r = fn(ctx, rec);
		cJSON_Delete(rec);
		if (r != BG_OK)
			break;
	}
	return r;
}

int
bg_aws_lookup_events(struct bg_aws *a, const char *region, uint64_t since,
    uint64_t until, const char *key, const char *value, bg_aws_record_fn fn,
    void *ctx)
{
	cJSON *in = cJSON_CreateObject(), *ans = NULL, *attrs, *at;
	int r = BG_OK, page, more = 1;

	if (in == NULL || !cJSON_AddNumberToObject(in, "StartTime",
	    (double)since) || !cJSON_AddNumberToObject(in, "EndTime",
	    (double)until) || !cJSON_AddNumberToObject(in, "MaxResults", 50) ||
	    (attrs = cJSON_AddArrayToObject(in, "LookupAttributes")) == NULL ||
	    (at = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(attrs, at) ||
	    !cJSON_AddStringToObject(at, "AttributeKey", key) ||
	    !cJSON_AddStringToObject(at, "AttributeValue", value)) {
		cJSON_Delete(in);
		return BG_ENOMEM;
	}
	for (page = 0; r == BG_OK && more && page < PAGES_MAX; page++) {
		if ((r = json_page(a, "cloudtrail", region, TRAIL_TARGET, in,
		    &ans, NULL, 0)) != BG_OK)
			break;
		r = lookup_page(ans, fn, ctx);
		if ((more = next_page(in, ans, "cloudtrail LookupEvents")) < 0 &&
		    r == BG_OK)
			r = more;
		cJSON_Delete(ans);
		ans = NULL;
	}
	cJSON_Delete(in);
	if (r == BG_OK && more) {
		bg_set_why("AWS cloudtrail LookupEvents: more than %d pages",
		    PAGES_MAX);
		r = BG_ETOOBIG;
	}
	return r;
}
