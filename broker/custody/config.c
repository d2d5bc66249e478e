/*
 * The "custody" member of STATE/breakglass.json (custody.h,
 * docs/custody.md), parsed strictly. Needs only common/, quorum/'s names
 * and the vault's address check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/custody/custody.h"

static const char *const top_keys[] = { "max_age_days", "rotation_days",
	"accounts", "personal_emails", NULL };
static const char *const account_keys[] = { "account", "email_inbox",
	"phone", "mfa_devices", NULL };
static const char *const mfa_keys[] = { "name", "holders", NULL };

static int
bad(const char *where, const char *what)
{
	bg_set_why("custody%s: %s", where, what);
	return BG_EFORMAT;
}

static int
keys(const cJSON *o, const char *const *allowed, const char *where)
{
	const cJSON *k;
	size_t i;

	if (!cJSON_IsObject(o))
		return bad(where, "must be a JSON object");
	if (bg_json_only_keys(o, allowed) == BG_OK)
		return BG_OK;
	cJSON_ArrayForEach(k, o) {
		for (i = 0; allowed[i] != NULL; i++)
			if (k->string && strcmp(k->string, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL && k->string != NULL &&
		    bg_name_valid(k->string)) {
			bg_set_why("custody%s: unknown key '%s'", where,
			    k->string);
			return BG_EFORMAT;
		}
	}
	return bad(where, "unknown or repeated key");
}

static int
days(const cJSON *o, const char *key, uint64_t max, uint64_t def,
    uint64_t *out)
{
	int r = bg_json_get_u64(o, key, 1, max, out);

	if (r == BG_ENOENT) {
		*out = def;
		return BG_OK;
	}
	if (r != BG_OK)
		bg_set_why("custody.%s must be a whole number of days from 1 "
		    "to %llu", key, (unsigned long long)max);
	return r;
}

/* A list of 1..BG_CUSTODY_HOLDERS_MAX distinct person names. */
static int
names(const cJSON *o, const char *key, const char *where,
    struct bg_custody_names *out)
{
	const cJSON *a, *e;
	size_t i;

	out->n = 0;
	if (bg_json_get_array(o, key, &a) != BG_OK ||
	    cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > BG_CUSTODY_HOLDERS_MAX) {
		bg_set_why("custody%s.%s must be a list of 1 to %d person "
		    "names", where, key, BG_CUSTODY_HOLDERS_MAX);
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || !bg_name_valid(e->valuestring)) {
			bg_set_why("custody%s.%s[%zu] is not a person name",
			    where, key, out->n);
			return BG_EFORMAT;
		}
		for (i = 0; i < out->n; i++)
			if (bg_name_same(out->name[i], e->valuestring)) {
				bg_set_why("custody%s.%s names %s twice",
				    where, key, e->valuestring);
				return BG_EFORMAT;
			}
		snprintf(out->name[out->n++], BG_NAME_MAX + 1, "%s",
		    e->valuestring);
	}
	return BG_OK;
}

static int
mfa_device(const cJSON *o, const char *where, struct bg_custody_account *acc)
{
	struct bg_custody_mfa *m = &acc->mfa[acc->nmfa];
	const char *name;
	char w[128];
	size_t i;
	int r;

	snprintf(w, sizeof(w), "%s.mfa_devices[%zu]", where, acc->nmfa);
	if ((r = keys(o, mfa_keys, w)) != BG_OK)
		return r;
	if (bg_json_get_str(o, "name", BG_NAME_MAX, &name) != BG_OK ||
	    !bg_name_valid(name))
		return bad(w, "name must be a device name ([A-Za-z0-9._@-], "
		    "1 to 64 bytes)");
	for (i = 0; i < acc->nmfa; i++)
		if (bg_name_same(acc->mfa[i].name, name)) {
			bg_set_why("custody%s: device %s is listed twice", where,
			    name);
			return BG_EFORMAT;
		}
	snprintf(m->name, sizeof(m->name), "%s", name);
	if ((r = names(o, "holders", w, &m->holders)) != BG_OK)
		return r;
	acc->nmfa++;
	return BG_OK;
}

static int
account(const cJSON *o, size_t idx, struct bg_custody_config *cfg)
{
	struct bg_custody_account *acc = &cfg->accounts[idx];
	const cJSON *devs, *d;
	const char *id;
	char w[64];
	size_t i;
	int r;

	snprintf(w, sizeof(w), ".accounts[%zu]", idx);
	if ((r = keys(o, account_keys, w)) != BG_OK)
		return r;
	if (bg_json_get_str(o, "account", BG_ACCOUNT_MAX, &id) != BG_OK ||
	    !bg_account_valid(id))
		return bad(w, "account must be an account id");
	for (i = 0; i < idx; i++)
		if (strcmp(cfg->accounts[i].account, id) == 0) {
			bg_set_why("custody.accounts lists account %s twice", id);
			return BG_EFORMAT;
		}
	snprintf(acc->account, sizeof(acc->account), "%s", id);
	snprintf(w, sizeof(w), ".accounts[%s]", id);
	if ((r = names(o, "email_inbox", w, &acc->email_inbox)) != BG_OK ||
	    (r = names(o, "phone", w, &acc->phone)) != BG_OK)
		return r;
	if ((r = bg_json_get_array(o, "mfa_devices", &devs)) == BG_ENOENT)
		return BG_OK;	/* reported by the check: root MFA is mandatory */
	if (r != BG_OK || cJSON_GetArraySize(devs) > BG_CUSTODY_MFA_MAX)
		return bad(w, "mfa_devices must be a list of at most 8 devices "
		    "(the AWS limit)");
	cJSON_ArrayForEach(d, devs)
		if ((r = mfa_device(d, w, acc)) != BG_OK)
			return r;
	return BG_OK;
}

static int
emails(const cJSON *o, struct bg_custody_config *cfg)
{
	const cJSON *e;
	size_t i;

	if (!cJSON_IsObject(o))
		return bad(".personal_emails", "must be an object of person "
		    "names to addresses");
	if (cJSON_GetArraySize(o) > BG_CUSTODY_EMAILS_MAX)
		return bad(".personal_emails", "too many addresses");
	if ((cfg->emails = calloc((size_t)cJSON_GetArraySize(o) + 1,
	    sizeof(*cfg->emails))) == NULL)
		return BG_ENOMEM;
	cJSON_ArrayForEach(e, o) {
		if (e->string == NULL || !bg_name_valid(e->string))
			return bad(".personal_emails", "a key is not a person "
			    "name");
		if (!cJSON_IsString(e) || strlen(e->valuestring) > BG_EMAIL_MAX ||
		    !bg_vault_email_valid(e->valuestring)) {
			bg_set_why("custody.personal_emails.%s is not an e-mail "
			    "address", e->string);
			return BG_EFORMAT;
		}
		for (i = 0; i < cfg->nemails; i++)
			if (bg_name_same(cfg->emails[i].person, e->string)) {
				bg_set_why("custody.personal_emails names %s twice",
				    e->string);
				return BG_EFORMAT;
			}
		snprintf(cfg->emails[cfg->nemails].person, BG_NAME_MAX + 1,
		    "%s", e->string);
		snprintf(cfg->emails[cfg->nemails].email, BG_EMAIL_MAX + 1,
		    "%s", e->valuestring);
		cfg->nemails++;
	}
	return BG_OK;
}

void
bg_custody_config_defaults(struct bg_custody_config *cfg)
{
	cfg->max_age_days = BG_CUSTODY_AGE_DEFAULT;
	cfg->rotation_days = BG_CUSTODY_ROTATION_DEFAULT;
}

int
bg_custody_config_from_json(const cJSON *root, struct bg_custody_config *cfg)
{
	const cJSON *c, *accts, *a, *em;
	size_t n;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	bg_custody_config_defaults(cfg);
	bg_clear_why();
	if (!cJSON_IsObject(root)) {
		bg_set_why("breakglass.json is not a JSON object");
		return BG_EFORMAT;
	}
	if ((r = bg_json_get_obj(root, "custody", &c)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK)
		return bad("", "must be a JSON object");
	cfg->present = 1;
	if ((r = keys(c, top_keys, "")) != BG_OK ||
	    (r = days(c, "max_age_days", BG_CUSTODY_AGE_MAX,
	    BG_CUSTODY_AGE_DEFAULT, &cfg->max_age_days)) != BG_OK ||
	    (r = days(c, "rotation_days", BG_CUSTODY_ROTATION_MAX,
	    BG_CUSTODY_ROTATION_DEFAULT, &cfg->rotation_days)) != BG_OK)
		return r;
	if ((r = bg_json_get_array(c, "accounts", &accts)) == BG_OK) {
		n = (size_t)cJSON_GetArraySize(accts);
		if (n > BG_VAULT_ACCOUNTS_MAX)
			return bad(".accounts", "too many accounts");
		if ((cfg->accounts = calloc(n + 1, sizeof(*cfg->accounts))) ==
		    NULL)
			return BG_ENOMEM;
		cJSON_ArrayForEach(a, accts) {
			if ((r = account(a, cfg->naccounts, cfg)) != BG_OK)
				return r;
			cfg->naccounts++;
		}
	} else if (r != BG_ENOENT) {
		return bad(".accounts", "must be a list");
	}
	em = cJSON_GetObjectItemCaseSensitive(c, "personal_emails");
	return em == NULL ? BG_OK : emails(em, cfg);
}

int
bg_custody_config_parse(const char *text, size_t len,
    struct bg_custody_config *cfg)
{
	cJSON *j;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	    text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if ((j = bg_json_parse(text, len)) == NULL) {
		bg_set_why("breakglass.json is not a strict JSON object");
		return BG_EFORMAT;
	}
	r = bg_custody_config_from_json(j, cfg);
	cJSON_Delete(j);
	return r;
}

void
bg_custody_config_free(struct bg_custody_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->accounts);
	free(cfg->emails);
	memset(cfg, 0, sizeof(*cfg));
}

const struct bg_custody_account *
bg_custody_config_account(const struct bg_custody_config *cfg,
    const char *account)
{
	size_t i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].account, account) == 0)
			return &cfg->accounts[i];
	return NULL;
}
