/*
 * broker/aws/ root posture (docs/aws.md "Posture"): the caller, the
 * organization, and per account what IAM says of its root user; then
 * the findings, against the vault and the custody configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

void
bg_aws_posture_free(struct bg_aws_posture *p)
{
	free(p->members);
	free(p->roots);
	bg_custody_report_free(&p->rep);
	memset(p, 0, sizeof(*p));
}

static const struct bg_aws_org_account *
member(const struct bg_aws_posture *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nmembers; i++)
		if (strcmp(p->members[i].id, id) == 0)
			return &p->members[i];
	return NULL;
}

/* cfg's role ARN for account ({account} replaced); "" when none. */
static int
role_for(const struct bg_aws_config *cfg, const char *account, char *out,
    size_t outsz)
{
	const char *at = strstr(cfg->role, "{account}");
	int n;

	if (cfg->role[0] == '\0')
		return BG_ENOENT;
	n = at == NULL ? snprintf(out, outsz, "%s", cfg->role) :
	    snprintf(out, outsz, "%.*s%s%s", (int)(at - cfg->role), cfg->role,
	    account, at + strlen("{account}"));
	return n > 0 && (size_t)n < outsz ? BG_OK : BG_ETOOBIG;
}

/* The summary and the MFA devices with client b. */
static int
read_with(struct bg_aws *b, struct bg_aws_root *root, int root_session)
{
	int r;

	if ((r = bg_aws_summary(b, root)) != BG_OK)
		return r;
	root->read = 1;
	root->mfa_virtual_only = !root_session;
	if (bg_aws_root_mfa(b, root->account, root_session,
	    &root->mfa_devices) != BG_OK)
		root->mfa_devices = -1;	/* the summary still stands */
	return BG_OK;
}

/* Another account: AssumeRoot where it is on, else the configured role. */
static int
read_other(struct bg_aws *a, const struct bg_aws_config *cfg,
    const struct bg_aws_posture *p, struct bg_aws_root *root)
{
	char role[320];
	struct bg_aws_creds cr;
	struct bg_aws b;
	int r, rs = 0;

	memset(&cr, 0, sizeof(cr));
	if (p->root_sessions && member(p, root->account) != NULL) {
		snprintf(root->via, sizeof(root->via), "assume-root");
		r = bg_aws_assume_root(a, root->account, &cr);
		rs = 1;
	} else if (role_for(cfg, root->account, role, sizeof(role)) == BG_OK) {
		snprintf(root->via, sizeof(root->via), "role");
		r = bg_aws_assume_role(a, role, &cr);
	} else {
		bg_set_why("not the caller's account, the organization does "
		    "not allow root sessions (sts:AssumeRoot, feature "
		    "RootSessions) into it, and breakglass.json names no "
		    "\"aws\".\"role\" to read it with");
		return BG_ENOENT;
	}
	if (r == BG_OK && (r = bg_aws_with_creds(a, &cr, &b)) == BG_OK) {
		r = read_with(&b, root, rs);
		a->requests += b.requests;
		a->retries += b.retries;
		bg_aws_close(&b);
		if (r == BG_OK && rs)	/* reconciliation knows it by this */
			snprintf(root->session_key, sizeof(root->session_key),
			    "%s", cr.key_id);
	}
	bg_aws_creds_free(&cr);
	return r;
}

static void
read_root(struct bg_aws *a, const struct bg_aws_config *cfg,
    const struct bg_aws_posture *p, struct bg_aws_root *root)
{
	size_t n = strlen(p->caller_arn);
	int r;

	root->mfa = root->keys = root->password = root->certs = -1;
	root->mfa_devices = -1;
	bg_clear_why();
	if (strcmp(root->account, p->caller_account) == 0) {
		snprintf(root->via, sizeof(root->via), "caller");
		r = read_with(a, root, n >= 5 &&
		    strcmp(p->caller_arn + n - 5, ":root") == 0);
	} else
		r = read_other(a, cfg, p, root);
	if (r != BG_OK)
		snprintf(root->error, sizeof(root->error), "%s: %s",
		    bg_strerror(r), bg_why());
}

int
bg_aws_posture_read(struct bg_aws *a, const struct bg_aws_config *cfg,
    const char *const *ids, size_t n, struct bg_aws_posture *p)
{
	size_t i;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = bg_aws_caller(a, p->caller_account,
	    sizeof(p->caller_account), p->caller_arn,
	    sizeof(p->caller_arn))) != BG_OK)
		return r;
	if (bg_aws_org_accounts(a, &p->members, &p->nmembers, &p->org) ==
	    BG_OK)
		p->org_listed = p->org;
	else
		p->org = -1;	/* not the management account, or denied */
	if (p->org == 1 && bg_aws_org_features(a, &p->central_root,
	    &p->root_sessions) != BG_OK)
		p->central_root = p->root_sessions = 0;
	if (n > 0 && (p->roots = calloc(n, sizeof(*p->roots))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(p->roots[i].account, sizeof(p->roots[i].account),
		    "%s", ids[i]);
		read_root(a, cfg, p, &p->roots[i]);
	}
	p->nroots = n;
	return BG_OK;
}

/* ------------------------------------------------------------- judge */

static const struct bg_vault_item *
sealed_item(const struct bg_vault *v, const char *account,
    enum bg_item_kind kind)
{
	const struct bg_vault_account *a = bg_vault_account(v, account);
	size_t i;

	for (i = 0; a != NULL && i < a->nitems; i++)
		if (a->items[i].kind == kind && a->items[i].version > 0)
			return &a->items[i];
	return NULL;
}

#define REP (&p->rep)

static void
judge_mfa(struct bg_aws_posture *p, const struct bg_aws_root *x,
    const struct bg_custody_config *ccfg)
{
	const struct bg_custody_account *ca =
	    bg_custody_config_account(ccfg, x->account);

	if (x->mfa == 0) {
		bg_custody_report_add(REP, BG_CUSTODY_CRITICAL,
		    "aws-root-mfa-off", "account %s: root has no MFA device "
		    "(AccountMFAEnabled 0)", x->account);
		return;
	}
	if (x->mfa_devices == 1 && !x->mfa_virtual_only)
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-root-mfa-single", "account %s: root has one MFA "
		    "device; AWS advises more than one (up to 8)",
		    x->account);
	if (ca != NULL && ca->nmfa > 0 && x->mfa_devices >= 0 &&
	    !x->mfa_virtual_only && (size_t)x->mfa_devices != ca->nmfa)
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-mfa-custody-mismatch", "account %s: AWS lists %d root "
		    "MFA device(s), the custody configuration names %zu",
		    x->account, x->mfa_devices, ca->nmfa);
}

static void
judge_root(struct bg_aws_posture *p, const struct bg_aws_root *x,
    const struct bg_vault *v, const struct bg_custody_config *ccfg)
{
	const struct bg_aws_org_account *m = member(p, x->account);

	if (m != NULL && strcmp(m->status, "ACTIVE") != 0 && m->status[0])
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-account-not-active", "account %s is %s in the "
		    "organization", x->account, m->status);
	else if (p->org_listed && m == NULL)
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-account-not-in-org", "account %s is in the vault but "
		    "not in organization of %s", x->account,
		    p->caller_account);
	if (!x->read) {
		bg_custody_report_add(REP, BG_CUSTODY_VIOLATION,
		    "aws-account-unreadable", "account %s: its root posture "
		    "could not be read: %.300s", x->account, x->error);
		return;
	}
	if (x->keys > 0)
		bg_custody_report_add(REP, BG_CUSTODY_CRITICAL,
		    "aws-root-access-key", "account %s: root has an access "
		    "key (AccountAccessKeysPresent %d): delete it", x->account,
		    x->keys);
	if (x->certs > 0)
		bg_custody_report_add(REP, BG_CUSTODY_CRITICAL,
		    "aws-root-signing-cert", "account %s: root has a signing "
		    "certificate (AccountSigningCertificatesPresent %d)",
		    x->account, x->certs);
	judge_mfa(p, x, ccfg);
	if (x->password == 0 && sealed_item(v, x->account, BG_ITEM_PASSWORD))
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-password-sealed-none", "account %s: the vault seals "
		    "a root password, but root has none (deleted, or "
		    "centralized root management removed it)", x->account);
	if (x->password > 0 && !sealed_item(v, x->account, BG_ITEM_PASSWORD))
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-password-not-sealed", "account %s: root has a "
		    "password, and the vault seals none: who holds it?",
		    x->account);
}

void
bg_aws_posture_judge(struct bg_aws_posture *p, const struct bg_vault *v,
    const struct bg_custody_config *ccfg)
{
	size_t i;

	for (i = 0; i < p->nroots; i++)
		judge_root(p, &p->roots[i], v, ccfg);
	if (p->org == -1)
		bg_custody_report_add(REP, BG_CUSTODY_WARNING,
		    "aws-org-unreadable", "the organization's accounts could "
		    "not be listed with %s (not the management account, or "
		    "denied): accounts outside the vault are not checked",
		    p->caller_arn);
	for (i = 0; i < p->nmembers; i++)
		if (bg_vault_account(v, p->members[i].id) == NULL &&
		    strcmp(p->members[i].status, "ACTIVE") == 0)
			bg_custody_report_add(REP, BG_CUSTODY_VIOLATION,
			    "aws-account-not-in-vault", "account %s (%.64s) "
			    "is in the organization but not in the vault: "
			    "its root credentials are guarded by nobody",
			    p->members[i].id, p->members[i].name);
}

/* -------------------------------------------------------------- JSON */

static cJSON *
root_json(const struct bg_aws_root *x)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddStringToObject(o, "account", x->account) ||
	    !cJSON_AddStringToObject(o, "via", x->via) ||
	    !cJSON_AddBoolToObject(o, "read", x->read) ||
	    (x->session_key[0] && !cJSON_AddStringToObject(o, "session_key",
	    x->session_key)) ||
	    (x->read && (!cJSON_AddNumberToObject(o, "mfa_enabled", x->mfa) ||
	    !cJSON_AddNumberToObject(o, "access_keys", x->keys) ||
	    !cJSON_AddNumberToObject(o, "password", x->password) ||
	    !cJSON_AddNumberToObject(o, "signing_certificates", x->certs) ||
	    !cJSON_AddNumberToObject(o, "mfa_devices", x->mfa_devices) ||
	    !cJSON_AddBoolToObject(o, "mfa_virtual_only",
	    x->mfa_virtual_only))) ||
	    (!x->read && !cJSON_AddStringToObject(o, "error", x->error))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
bg_aws_posture_json(const struct bg_aws_posture *p, cJSON **out)
{
	cJSON *o = NULL, *arr, *f = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = bg_custody_report_json(&p->rep, p->rep.n, &f)) != BG_OK)
		return r;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "caller_account", p->caller_account) ||
	    !cJSON_AddStringToObject(o, "caller", p->caller_arn) ||
	    !cJSON_AddStringToObject(o, "organization", p->org == 1 ? "yes" :
	    p->org == 0 ? "no" : "unknown") ||
	    !cJSON_AddBoolToObject(o, "centralized_root", p->central_root) ||
	    !cJSON_AddBoolToObject(o, "root_sessions", p->root_sessions) ||
	    !cJSON_AddNumberToObject(o, "members", (double)p->nmembers) ||
	    !cJSON_AddStringToObject(o, "scope", p->all ? "all" : "named") ||
	    (arr = cJSON_AddArrayToObject(o, "accounts")) == NULL)
		goto fail;
	for (i = 0; i < p->nroots; i++)
		if (!cJSON_AddItemToArray(arr, root_json(&p->roots[i])))
			goto fail;
	if (!cJSON_AddItemToObject(o, "report", f))
		goto fail;
	*out = o;
	return BG_OK;
fail:
	cJSON_Delete(o);
	cJSON_Delete(f);
	return BG_ENOMEM;
}
