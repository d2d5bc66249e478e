/*
 * custody check (custody.h, docs/custody.md): the static rules between
 * people and channels, the attestations found in the audit log (each
 * re-verified), and per item version: its seal, who holds its boxes
 * against the policy's groups, each group's threshold reachable with
 * fresh custodians, the one-time slots left, and versions released but
 * not sealed again (slots and releases as the ledger reads the log).
 */
#define _GNU_SOURCE	/* memmem */
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "broker/custody/custody.h"
#include "broker/ledger/ledger.h"

#define DAY UINT64_C(86400)
#define SKEW 300		/* seconds a statement may be ahead */
#define LAG 3600		/* seconds from statement to its entry */
#define LIST_MAX 400		/* bytes of a list of names in a message */

/* What the log says about one person of the vault. */
struct pstate {
	int has_ok, has_fail;
	uint64_t ok_seq, ok_time, fail_seq;
	char *ok_stmt;			/* the latest verified statement */
	char fail_token[2 * BG_TOKEN_ID_LEN + 1];
	char fail_err[128];
	int tok_state[BG_VAULT_TOKENS_MAX];	/* 0 none, 1 ok, -1 failed */
	char tok_err[BG_VAULT_TOKENS_MAX][128];
};

/* When a quorum first named an item version: it was released then. */
struct exposure {
	char account[BG_ACCOUNT_MAX + 1];
	char item[BG_NAME_MAX + 1];
	uint64_t version, time;
};

struct chk {
	const struct bg_vault *v;
	const struct bg_custody_config *cfg;
	uint64_t now;
	struct bg_custody_report *rep;
	struct pstate *ps;		/* one per v->people */
	bg_ledger_t *l;			/* slots burned, versions exposed */
	struct exposure *ex;		/* the times of the exposures */
	size_t nex, capex;
	int err;			/* a failure that is not a finding */
	cJSON *posture;			/* the last aws.posture's detail */
	uint64_t posture_time;
};

/* ============================================================ findings */

#define add bg_custody_report_add

void
bg_custody_report_add(struct bg_custody_report *rep, enum bg_custody_sev sev,
    const char *rule, const char *fmt, ...)
{
	struct bg_custody_finding *f;
	va_list ap;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? 2 * rep->cap : 16;

		if ((f = realloc(rep->f, cap * sizeof(*f))) == NULL)
			return;	/* counted below all the same */
		rep->f = f;
		rep->cap = cap;
	}
	rep->count[sev]++;
	if (rep->n >= rep->cap)
		return;
	f = &rep->f[rep->n++];
	f->sev = sev;
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

void
bg_custody_report_free(struct bg_custody_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->f);
	memset(rep, 0, sizeof(*rep));
}

const char *
bg_custody_sev_str(enum bg_custody_sev s)
{
	switch (s) {
	case BG_CUSTODY_CRITICAL:
		return "critical";
	case BG_CUSTODY_VIOLATION:
		return "violation";
	case BG_CUSTODY_WARNING:
		return "warning";
	}
	return "?";
}

int
bg_custody_report_json(const struct bg_custody_report *rep, size_t max,
    cJSON **out)
{
	cJSON *o, *counts, *list, *f;
	size_t i;

	if ((*out = o = cJSON_CreateObject()) == NULL ||
	    (counts = cJSON_AddObjectToObject(o, "counts")) == NULL ||
	    !cJSON_AddNumberToObject(counts, "critical",
	    (double)rep->count[BG_CUSTODY_CRITICAL]) ||
	    !cJSON_AddNumberToObject(counts, "violation",
	    (double)rep->count[BG_CUSTODY_VIOLATION]) ||
	    !cJSON_AddNumberToObject(counts, "warning",
	    (double)rep->count[BG_CUSTODY_WARNING]) ||
	    !cJSON_AddNumberToObject(o, "rejected_attestations",
	    (double)rep->rejected) ||
	    (list = cJSON_AddArrayToObject(o, "findings")) == NULL)
		goto fail;
	for (i = 0; i < rep->n && i < max; i++) {
		if ((f = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, f) ||
		    !cJSON_AddStringToObject(f, "severity",
		    bg_custody_sev_str(rep->f[i].sev)) ||
		    !cJSON_AddStringToObject(f, "rule", rep->f[i].rule) ||
		    !cJSON_AddStringToObject(f, "message", rep->f[i].message))
			goto fail;
	}
	if (rep->n > max && !cJSON_AddNumberToObject(o, "more",
	    (double)(rep->n - max)))
		goto fail;
	return BG_OK;
fail:
	cJSON_Delete(*out);
	*out = NULL;
	return BG_ENOMEM;
}

/* Appends name to a ", "-separated list in buf. */
static void
list_add(char *buf, size_t sz, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, sz - n, "%s%s", n ? ", " : "", name);
}

/* ======================================================== static rules */

/* The policy groups an item needs, as a list of names (n of them). */
static size_t
item_groups(const bg_policy_t *p, const char *item, const char **out)
{
	size_t i, k, n = 0;

	for (i = 0; i < bg_policy_nitems(p); i++) {
		if (strcmp(bg_policy_item_name(p, i), item) != 0)
			continue;
		for (k = 0; k < bg_policy_item_ngroups(p, i) &&
		    n < BG_POLICY_GROUPS_MAX; k++)
			out[n++] = bg_policy_item_group(p, i, k);
	}
	return n;
}

static size_t
group_index(const bg_policy_t *p, const char *group)
{
	size_t g;

	for (g = 0; g < bg_policy_ngroups(p); g++)
		if (strcmp(bg_policy_group_name(p, g), group) == 0)
			return g;
	return (size_t)-1;
}

/* The password groups and the MFA groups share nobody. */
static void
rule_groups_disjoint(struct chk *k)
{
	const bg_policy_t *p = k->v->policy;
	const char *pw[BG_POLICY_GROUPS_MAX], *mfa[BG_POLICY_GROUPS_MAX];
	size_t npw = item_groups(p, "root-password", pw);
	size_t nmfa = item_groups(p, "root-mfa", mfa), i, j, a, b, ga, gb;

	for (i = 0; i < npw; i++)
		for (j = 0; j < nmfa; j++) {
			if (strcmp(pw[i], mfa[j]) == 0) {
				add(k->rep, BG_CUSTODY_VIOLATION,
				    "groups-disjoint", "group %s holds both the "
				    "root password and the root MFA", pw[i]);
				continue;
			}
			ga = group_index(p, pw[i]);
			gb = group_index(p, mfa[j]);
			if (ga == (size_t)-1 || gb == (size_t)-1)
				continue;
			for (a = 0; a < bg_policy_group_nmembers(p, ga); a++)
				for (b = 0; b < bg_policy_group_nmembers(p, gb);
				    b++)
					if (bg_name_same(
					    bg_policy_group_member(p, ga, a),
					    bg_policy_group_member(p, gb, b)))
						add(k->rep, BG_CUSTODY_VIOLATION,
						    "groups-disjoint", "%s is in "
						    "both password group %s and "
						    "MFA group %s",
						    bg_policy_group_member(p, ga,
						    a), pw[i], mfa[j]);
		}
}

static void
rule_group_size(struct chk *k)
{
	const bg_policy_t *p = k->v->policy;
	size_t g, n;

	for (g = 0; g < bg_policy_ngroups(p); g++)
		if ((n = bg_policy_group_nmembers(p, g)) < 2)
			add(k->rep, BG_CUSTODY_VIOLATION, "group-size",
			    "group %s has %zu member(s): at least two people "
			    "must be able to reach it", bg_policy_group_name(p, g),
			    n);
}

static int
names_has(const struct bg_custody_names *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (bg_name_same(n->name[i], name))
			return 1;
	return 0;
}

/* A channel's holders: people of the vault with a token, at least two. */
static void
rule_holders(struct chk *k, const char *account, const char *channel,
    const struct bg_custody_names *n)
{
	const struct bg_vault_person *p;
	size_t i;

	if (n->n < 2)
		add(k->rep, BG_CUSTODY_VIOLATION, "channel-size", "%s of "
		    "account %s has %zu holder(s) (%s): at least two people "
		    "must hold it", channel, account, n->n,
		    n->n ? n->name[0] : "none");
	for (i = 0; i < n->n; i++) {
		if ((p = bg_vault_person(k->v, n->name[i])) == NULL)
			add(k->rep, BG_CUSTODY_VIOLATION, "holder-unknown",
			    "%s (%s of account %s) is not a person in the "
			    "vault: 'custody holder add %s', then enroll a "
			    "token", n->name[i], channel, account, n->name[i]);
		else if (p->ntokens == 0)
			add(k->rep, BG_CUSTODY_VIOLATION, "holder-unknown",
			    "%s (%s of account %s) has no token enrolled and "
			    "cannot attest", n->name[i], channel, account);
	}
}

static void
rule_channels(struct chk *k, const struct bg_custody_account *c)
{
	char label[BG_NAME_MAX + 16];
	size_t i, m;

	for (i = 0; i < c->email_inbox.n; i++)
		if (names_has(&c->phone, c->email_inbox.name[i]))
			add(k->rep, BG_CUSTODY_VIOLATION, "channels-disjoint",
			    "%s holds both the root e-mail inbox and the phone "
			    "number of account %s: either can reset the root "
			    "password", c->email_inbox.name[i], c->account);
	rule_holders(k, c->account, "email_inbox", &c->email_inbox);
	rule_holders(k, c->account, "phone", &c->phone);
	if (c->nmfa == 0)
		add(k->rep, BG_CUSTODY_VIOLATION, "mfa-devices", "account %s "
		    "records no root MFA device: root MFA is mandatory",
		    c->account);
	else if (c->nmfa == 1)
		add(k->rep, BG_CUSTODY_WARNING, "mfa-devices", "account %s "
		    "records one root MFA device (%s): AWS advises more than "
		    "one", c->account, c->mfa[0].name);
	for (m = 0; m < c->nmfa; m++) {
		snprintf(label, sizeof(label), "mfa_device %s", c->mfa[m].name);
		rule_holders(k, c->account, label, &c->mfa[m].holders);
	}
}

/* local@domain with any "+tag" dropped from local, compared ignoring case. */
static int
same_mailbox(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');
	const char *pa = strchr(a, '+'), *pb = strchr(b, '+');
	size_t la, lb;

	if (at_a == NULL || at_b == NULL || strcasecmp(at_a, at_b) != 0)
		return 0;
	la = (size_t)((pa && pa < at_a ? pa : at_a) - a);
	lb = (size_t)((pb && pb < at_b ? pb : at_b) - b);
	return la == lb && strncasecmp(a, b, la) == 0;
}

static const char *
personal_email(const struct bg_custody_config *cfg, const char *person)
{
	size_t i;

	for (i = 0; i < cfg->nemails; i++)
		if (bg_name_same(cfg->emails[i].person, person))
			return cfg->emails[i].email;
	return NULL;
}

static void
rule_root_email(struct chk *k)
{
	const bg_policy_t *p = k->v->policy;
	size_t a, i, g, m;

	for (a = 0; a < k->v->naccounts; a++)
		for (i = 0; i < k->cfg->nemails; i++)
			if (same_mailbox(k->v->accounts[a].email,
			    k->cfg->emails[i].email))
				add(k->rep, BG_CUSTODY_VIOLATION,
				    "root-email-personal", "the root e-mail of "
				    "account %s (%s) is the personal address of "
				    "%s: use a group address",
				    k->v->accounts[a].id, k->v->accounts[a].email,
				    k->cfg->emails[i].person);
	for (g = 0; g < bg_policy_ngroups(p); g++)
		for (m = 0; m < bg_policy_group_nmembers(p, g); m++)
			if (personal_email(k->cfg,
			    bg_policy_group_member(p, g, m)) == NULL)
				add(k->rep, BG_CUSTODY_WARNING,
				    "personal-email-missing", "no personal "
				    "e-mail recorded for %s (group %s): the root "
				    "e-mail rule cannot be checked for them",
				    bg_policy_group_member(p, g, m),
				    bg_policy_group_name(p, g));
}

static void
rule_accounts(struct chk *k)
{
	const struct bg_custody_account *c;
	size_t a;

	for (a = 0; a < k->v->naccounts; a++)
		if (bg_custody_config_account(k->cfg,
		    k->v->accounts[a].id) == NULL)
			add(k->rep, BG_CUSTODY_VIOLATION, "channels-missing",
			    "account %s (%s) has no recovery channels in "
			    "breakglass.json (custody.accounts)",
			    k->v->accounts[a].id, k->v->accounts[a].name);
	for (a = 0; a < k->cfg->naccounts; a++) {
		c = &k->cfg->accounts[a];
		if (bg_vault_account(k->v, c->account) == NULL)
			add(k->rep, BG_CUSTODY_VIOLATION, "unknown-account",
			    "custody.accounts names account %s, which is not "
			    "in the vault", c->account);
		rule_channels(k, c);
	}
}

/* ====================================================== the attestations */

static int
fresh(const struct chk *k, const struct pstate *s)
{
	return s->has_ok && s->ok_time <= k->now + SKEW &&
	    (s->ok_time >= k->now ||
	    k->now - s->ok_time <= k->cfg->max_age_days * DAY);
}

/* Splits line into at most max space-separated words. */
static size_t
words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

static int
num_ok(const char *s, unsigned long long max)
{
	unsigned long long v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (unsigned)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (unsigned)(*s - '0');
	}
	return 1;
}

/*
 * One body line: "share ACCOUNT ITEM VERSION GROUP X" or a channel.
 */
static int
body_line(char **w, size_t n)
{
	if (n == 6 && strcmp(w[0], "share") == 0)
		return bg_account_valid(w[1]) && bg_name_valid(w[2]) &&
		    num_ok(w[3], BG_JSON_INT_MAX) && strcmp(w[3], "0") != 0 &&
		    bg_name_valid(w[4]) && num_ok(w[5], 255) &&
		    strcmp(w[5], "0") != 0;
	if (n == 3 && strcmp(w[0], "channel") == 0)
		return bg_account_valid(w[1]) &&
		    (strcmp(w[2], "email_inbox") == 0 ||
		    strcmp(w[2], "phone") == 0);
	if (n == 4 && strcmp(w[0], "channel") == 0)
		return bg_account_valid(w[1]) &&
		    strcmp(w[2], "mfa_device") == 0 && bg_name_valid(w[3]);
	return 0;
}

/*
 * The statement is exactly the canonical form for this vault, person and
 * token, with at least one share or channel; *t gets its time.
 */
static int
stmt_check(const struct chk *k, const char *text, const char *person,
    const char *token, uint64_t *t)
{
	static const char *const head[] = { "format", "vault", "person",
	    "time", "token" };
	char *copy, *line, *save = NULL, *w[7];
	size_t n, i = 0, len = strlen(text);
	int ok = 1;

	if (len == 0 || len > BG_CUSTODY_STATEMENT_MAX || text[len - 1] != '\n' ||
	    strstr(text, "\n\n") != NULL || strstr(text, "  ") != NULL ||
	    text[0] == ' ' || strstr(text, "\n ") || strstr(text, " \n") ||
	    (copy = strdup(text)) == NULL)
		return 0;
	for (line = strtok_r(copy, "\n", &save); line != NULL && ok;
	    line = strtok_r(NULL, "\n", &save), i++) {
		n = words(line, w, 6);
		if (i >= 5) {
			ok = body_line(w, n);
			continue;
		}
		if (n != 2 || strcmp(w[0], head[i]) != 0) {
			ok = 0;
			continue;
		}
		switch (i) {
		case 0:
			ok = strcmp(w[1], BG_CUSTODY_ATTEST_FORMAT) == 0;
			break;
		case 1:
			ok = strcmp(w[1], k->v->id_hex) == 0;
			break;
		case 2:
			ok = strcmp(w[1], person) == 0;
			break;
		case 3:
			ok = bg_rfc3339_parse(w[1], strlen(w[1]), t) == BG_OK;
			break;
		default:
			ok = strcmp(w[1], token) == 0;
		}
	}
	free(copy);
	return ok && i > 5;
}

static int
reject(struct chk *k, const struct bg_audit_entry *e, const char *why)
{
	k->rep->rejected++;
	add(k->rep, BG_CUSTODY_CRITICAL, "attestation-rejected",
	    "the attestation of %s in audit entry %llu is rejected: %s",
	    e->actor, (unsigned long long)e->seq, why);
	return 0;
}

int
bg_custody_touch_from_json(const cJSON *d, struct bg_token_assertion *as)
{
	const char *ad, *sig;

	memset(as, 0, sizeof(*as));
	if (bg_json_get_str(d, "authdata", 2 * BG_TOKEN_AUTHDATA_MAX, &ad) ||
	    bg_json_get_str(d, "sig", 2 * BG_TOKEN_SIG_MAX, &sig) ||
	    bg_b64_decode(ad, strlen(ad), as->authdata, sizeof(as->authdata),
	    &as->authdata_len) != BG_OK ||
	    bg_b64_decode(sig, strlen(sig), as->sig, sizeof(as->sig),
	    &as->sig_len) != BG_OK ||
	    (as->authdata_len == 0) != (as->sig_len == 0))
		return -1;
	return 0;
}

/*
 * 1 when the entry has a key_sig (an attestation made in a client, through
 * breakglassd) that is not the token key's over the statement's SHA-256.
 */
static int
key_sig_bad(const cJSON *d, const bg_token_desc_t *desc, const char *text)
{
	uint8_t ks[BG_TOKEN_SIG_LEN], h[32];

	if (cJSON_GetObjectItemCaseSensitive(d, "key_sig") == NULL)
		return 0;
	return bg_json_get_b64(d, "key_sig", ks, sizeof(ks)) != BG_OK ||
	    EVP_Digest(text, strlen(text), h, NULL, EVP_sha256(), NULL) != 1 ||
	    bg_token_sig_verify(desc, h, 32, ks) != BG_OK;
}

static int
on_attested(struct chk *k, const struct bg_audit_entry *e)
{
	static const char *const dk[] = { "token", "statement", "authdata",
	    "sig", "key_sig", "peer", NULL };
	const struct bg_vault_person *p = bg_vault_person(k->v, e->actor);
	struct bg_token_assertion as;
	const char *tok, *text;
	struct pstate *s;
	uint64_t st, et;
	uint8_t h[32];
	int ti;
	const bg_token_desc_t *d;

	if (p == NULL)
		return reject(k, e, "not a person in the vault");
	if (bg_json_only_keys(e->detail, dk) != BG_OK ||
	    bg_json_get_str(e->detail, "token", 2 * BG_TOKEN_ID_LEN, &tok) ||
	    bg_json_get_str(e->detail, "statement", BG_CUSTODY_STATEMENT_MAX,
	    &text) || bg_custody_touch_from_json(e->detail, &as) != 0)
		return reject(k, e, "the record is malformed");
	if ((ti = bg_vault_person_token(p, tok)) < 0)
		return reject(k, e, "the token is not one of theirs");
	if (!stmt_check(k, text, p->name, tok, &st))
		return reject(k, e, "the statement is not a canonical "
		    "attestation of this vault, person and token");
	if (bg_rfc3339_entry_parse(e->time, &et) != BG_OK || st > et + 60 ||
	    et - st > LAG)
		return reject(k, e, "the statement's time does not match the "
		    "entry's");
	d = p->tokens[ti];
	if (key_sig_bad(e->detail, d, text))
		return reject(k, e, "the token key's signature (key_sig) does "
		    "not verify");
	if (bg_token_desc_kind(d) == BG_TOKEN_FIDO2) {
		if (as.sig_len == 0 || EVP_Digest(text, strlen(text), h, NULL,
		    EVP_sha256(), NULL) != 1 || bg_token_verify(d, h, &as) !=
		    BG_OK)
			return reject(k, e, "the FIDO2 signature does not "
			    "verify (statement or signature altered)");
	} else if (as.sig_len != 0) {
		return reject(k, e, "a YubiKey does not sign");
	}
	s = &k->ps[p - k->v->people];
	free(s->ok_stmt);
	if ((s->ok_stmt = strdup(text)) == NULL) {
		s->has_ok = 0;
		k->err = BG_ENOMEM;
		return BG_ENOMEM;
	}
	s->has_ok = 1;
	s->ok_seq = e->seq;
	s->ok_time = st;
	s->tok_state[ti] = 1;
	return 0;
}

static int
on_failed(struct chk *k, const struct bg_audit_entry *e)
{
	const struct bg_vault_person *p = bg_vault_person(k->v, e->actor);
	const char *tok = "", *err = "";
	struct pstate *s;
	int ti;

	if (p == NULL)
		return 0;	/* a failure of nobody we know counts for nobody */
	s = &k->ps[p - k->v->people];
	(void)bg_json_get_str(e->detail, "token", 2 * BG_TOKEN_ID_LEN, &tok);
	(void)bg_json_get_str(e->detail, "error", 127, &err);
	s->has_fail = 1;
	s->fail_seq = e->seq;
	snprintf(s->fail_token, sizeof(s->fail_token), "%s", tok);
	snprintf(s->fail_err, sizeof(s->fail_err), "%s", err);
	if ((ti = bg_vault_person_token(p, tok)) >= 0) {
		s->tok_state[ti] = -1;
		snprintf(s->tok_err[ti], sizeof(s->tok_err[ti]), "%s", err);
	}
	return 0;
}

static uint64_t
exposed_at(const struct chk *k, const char *account, const char *item,
    uint64_t version)
{
	size_t i;

	for (i = 0; i < k->nex; i++)
		if (k->ex[i].version == version &&
		    strcmp(k->ex[i].account, account) == 0 &&
		    strcmp(k->ex[i].item, item) == 0)
			return k->ex[i].time;
	return 0;
}

/*
 * request.quorum_met: the time each version it names was first exposed.
 * Whether a version is exposed at all is the ledger's to say; this only
 * dates it.
 */
static int
on_quorum(struct chk *k, const struct bg_audit_entry *e)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "entries"), *x, *item, *ver;
	struct exposure *ex;
	uint64_t t;

	if (bg_rfc3339_entry_parse(e->time, &t) != BG_OK || e->account == NULL)
		return 0;
	cJSON_ArrayForEach(x, arr) {
		item = cJSON_GetObjectItemCaseSensitive(x, "item");
		ver = cJSON_GetObjectItemCaseSensitive(x, "version");
		if (!cJSON_IsString(item) || !bg_name_valid(item->valuestring) ||
		    !cJSON_IsNumber(ver) || ver->valuedouble < 1 ||
		    ver->valuedouble > (double)BG_JSON_INT_MAX ||
		    exposed_at(k, e->account, item->valuestring,
		    (uint64_t)ver->valuedouble) != 0)
			continue;
		if (k->nex == k->capex) {
			size_t cap = k->capex ? 2 * k->capex : 8;

			if ((ex = realloc(k->ex, cap * sizeof(*ex))) == NULL) {
				k->err = BG_ENOMEM;
				return BG_ENOMEM;
			}
			k->ex = ex;
			k->capex = cap;
		}
		ex = &k->ex[k->nex++];
		memset(ex, 0, sizeof(*ex));
		snprintf(ex->account, sizeof(ex->account), "%s", e->account);
		snprintf(ex->item, sizeof(ex->item), "%s", item->valuestring);
		ex->version = (uint64_t)ver->valuedouble;
		ex->time = t;
	}
	return 0;
}

/* ================================================================ aws */

/*
 * aws.posture (broker/aws): the last run over every vault account joins
 * the check (a run over a few accounts must not hide the others').
 */
static int
on_posture(struct chk *k, const struct bg_audit_entry *e)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "scope");

	if (!cJSON_IsString(scope) || strcmp(scope->valuestring, "all") != 0)
		return 0;
	cJSON_Delete(k->posture);
	k->posture = NULL;
	if (bg_rfc3339_entry_parse(e->time, &k->posture_time) != BG_OK ||
	    (k->posture = cJSON_Duplicate(e->detail, 1)) == NULL)
		k->err = BG_ENOMEM;
	return k->err;
}

static enum bg_custody_sev
sev_of(const char *s)
{
	return strcmp(s, "critical") == 0 ? BG_CUSTODY_CRITICAL :
	    strcmp(s, "violation") == 0 ? BG_CUSTODY_VIOLATION :
	    BG_CUSTODY_WARNING;
}

static void
rule_aws(struct chk *k)
{
	const cJSON *fs, *f, *sev, *rule, *msg;
	char when[BG_RFC3339_LEN + 1] = "?";

	if (k->posture == NULL)
		return;
	(void)bg_rfc3339_format(k->posture_time, when);
	if (k->now > k->posture_time + k->cfg->max_age_days * 86400)
		add(k->rep, BG_CUSTODY_WARNING, "aws-posture-stale", "the last "
		    "'aws posture' ran at %s, more than %" PRIu64 " days ago",
		    when, k->cfg->max_age_days);
	fs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    k->posture, "report"), "findings");
	cJSON_ArrayForEach(f, fs) {
		sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
		rule = cJSON_GetObjectItemCaseSensitive(f, "rule");
		msg = cJSON_GetObjectItemCaseSensitive(f, "message");
		if (cJSON_IsString(sev) && cJSON_IsString(rule) &&
		    cJSON_IsString(msg))
			add(k->rep, sev_of(sev->valuestring), rule->valuestring,
			    "%s (aws posture at %s)", msg->valuestring, when);
	}
}

static int
on_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct chk *k = ctx;
	struct bg_audit_entry e;
	int r = 0;

	(void)seq;
	/* cheap filter first: most entries are neither custody's nor quorums */
	if (memmem(line, len, "\"custody.attest", 15) == NULL &&
	    memmem(line, len, "\"request.quorum_met\"", 20) == NULL &&
	    memmem(line, len, "\"aws.posture\"", 13) == NULL)
		return 0;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK) {
		k->err = BG_EFORMAT;
		return BG_EFORMAT;
	}
	if (strcmp(e.event, "custody.attested") == 0)
		r = on_attested(k, &e);
	else if (strcmp(e.event, "custody.attest_failed") == 0)
		r = on_failed(k, &e);
	else if (strcmp(e.event, "request.quorum_met") == 0)
		r = on_quorum(k, &e);
	else if (strcmp(e.event, "aws.posture") == 0)
		r = on_posture(k, &e);
	bg_audit_entry_free(&e);
	return r;
}

/* =================================================== freshness, quorum */

static int
covers(const struct pstate *s, const char *prefix)
{
	return s->ok_stmt != NULL && strstr(s->ok_stmt, prefix) != NULL;
}

static void
age_text(const struct chk *k, const struct pstate *s, char *out, size_t sz)
{
	char ts[BG_RFC3339_LEN + 1];

	if (!s->has_ok) {
		snprintf(out, sz, "never attested");
		return;
	}
	if (bg_rfc3339_format(s->ok_time, ts) != BG_OK)
		snprintf(ts, sizeof(ts), "?");
	snprintf(out, sz, "last attested %s (%llu days ago, limit %llu)", ts,
	    (unsigned long long)(s->ok_time < k->now ?
	    (k->now - s->ok_time) / DAY : 0),
	    (unsigned long long)k->cfg->max_age_days);
}

/* One person who must attest: fresh, and their tokens not failing. */
static void
person_rules(struct chk *k, const struct bg_vault_person *p, const char *role)
{
	struct pstate *s = &k->ps[p - k->v->people];
	char age[160];
	size_t t;

	if (!fresh(k, s)) {
		age_text(k, s, age, sizeof(age));
		add(k->rep, BG_CUSTODY_VIOLATION, s->has_ok ?
		    "attestation-stale" : "attestation-missing",
		    "%s (%s) has no fresh attestation: %s", p->name, role, age);
	}
	for (t = 0; t < p->ntokens; t++)
		if (s->tok_state[t] < 0)
			add(k->rep, BG_CUSTODY_VIOLATION, "attestation-failed",
			    "token %.16s... of %s failed its last attestation "
			    "(%s)", bg_token_desc_id(p->tokens[t]), p->name,
			    s->tok_err[t]);
	if (s->has_fail && s->fail_token[0] == '\0' &&
	    (!s->has_ok || s->fail_seq > s->ok_seq))
		add(k->rep, BG_CUSTODY_VIOLATION, "attestation-failed",
		    "the last attestation of %s failed (%s)", p->name,
		    s->fail_err);
}

/* name holds a box of some item version (a share to attest). */
static int
holds_box(const struct bg_vault *v, const char *name)
{
	const struct bg_vault_item *it;
	size_t a, i, g, m;

	for (a = 0; a < v->naccounts; a++)
		for (i = 0; i < v->accounts[a].nitems; i++) {
			it = &v->accounts[a].items[i];
			for (g = 0; it->ver != NULL && g < it->ver->ng; g++)
				for (m = 0; m < it->ver->g[g].n; m++)
					if (bg_name_same(it->ver->g[g].m[m].person,
					    name))
						return 1;
		}
	return 0;
}

/*
 * Members of a group who hold a share of some item version: a member who
 * holds none (nothing sealed yet, or added after sealing: box-missing)
 * has nothing to attest as a custodian.
 */
static void
custodian_rules(struct chk *k)
{
	const bg_policy_t *pol = k->v->policy;
	const struct bg_vault_person *p;
	char role[BG_NAME_MAX + 16];
	size_t i, g;

	for (i = 0; i < k->v->npeople; i++) {
		p = &k->v->people[i];
		for (g = 0; g < bg_policy_ngroups(pol); g++)
			if (bg_policy_is_member(pol, bg_policy_group_name(pol, g),
			    p->name))
				break;
		if (g == bg_policy_ngroups(pol) || !holds_box(k->v, p->name))
			continue;
		snprintf(role, sizeof(role), "custodian of group %s",
		    bg_policy_group_name(pol, g));
		person_rules(k, p, role);
	}
}

/* Every holder of a channel attested holding it, recently. */
static void
channel_fresh(struct chk *k, const char *account, const char *channel,
    const struct bg_custody_names *n)
{
	const struct bg_vault_person *p;
	char prefix[BG_ACCOUNT_MAX + BG_NAME_MAX + 32];
	char *stale = calloc(1, LIST_MAX);
	size_t i, nfresh = 0;
	const struct pstate *s;

	if (stale == NULL) {
		k->err = BG_ENOMEM;
		return;
	}
	snprintf(prefix, sizeof(prefix), "\nchannel %s %s\n", account, channel);
	for (i = 0; i < n->n; i++) {
		if ((p = bg_vault_person(k->v, n->name[i])) == NULL)
			continue;	/* holder-unknown said so */
		s = &k->ps[p - k->v->people];
		if (fresh(k, s) && covers(s, prefix)) {
			nfresh++;
			continue;
		}
		list_add(stale, LIST_MAX, p->name);
		if (p->ntokens == 0)
			continue;	/* holder-unknown said so */
		add(k->rep, BG_CUSTODY_VIOLATION, "channel-unattested",
		    "%s has not attested holding %s of account %s within %llu "
		    "days", p->name, channel, account,
		    (unsigned long long)k->cfg->max_age_days);
	}
	if (nfresh == 0)
		add(k->rep, BG_CUSTODY_CRITICAL, "channel-unreachable",
		    "nobody has attested holding %s of account %s within %llu "
		    "days (holders: %s)", channel, account,
		    (unsigned long long)k->cfg->max_age_days,
		    stale[0] ? stale : "none");
	free(stale);
}

static void
channel_rules(struct chk *k)
{
	const struct bg_custody_account *c;
	char label[BG_NAME_MAX + 16];
	size_t a, m;

	for (a = 0; a < k->cfg->naccounts; a++) {
		c = &k->cfg->accounts[a];
		channel_fresh(k, c->account, "email_inbox", &c->email_inbox);
		channel_fresh(k, c->account, "phone", &c->phone);
		for (m = 0; m < c->nmfa; m++) {
			snprintf(label, sizeof(label), "mfa_device %s",
			    c->mfa[m].name);
			channel_fresh(k, c->account, label, &c->mfa[m].holders);
		}
	}
}

/* ======================================================= item versions */

/* The member of the version's group spelled so, or NULL. */
static const struct bg_v2_member *
ver_member(const struct bg_v2_group *g, const char *person)
{
	size_t m;

	for (m = 0; m < g->n; m++)
		if (bg_name_same(g->m[m].person, person))
			return &g->m[m];
	return NULL;
}

/*
 * s's latest attestation was made with a token m's box of this version is
 * sealed to, and states a share of the item's group in the account (of
 * this version or an earlier one: a version sealed again is sealed to the
 * same tokens). The statement is canonical (stmt_check), so its words hold
 * no space.
 */
static int
covers_share(const struct pstate *s, const char *account, const char *item,
    const char *group, const struct bg_v2_member *m)
{
	char pre[BG_ACCOUNT_MAX + BG_NAME_MAX + 16], grp[BG_NAME_MAX + 3];
	const char *p, *q;
	size_t t, n;

	if (s->ok_stmt == NULL || (p = strstr(s->ok_stmt, "\ntoken ")) == NULL)
		return 0;
	p += 7;
	for (t = 0; t < m->ntokens; t++) {
		n = strlen(m->token[t]);
		if (strncmp(p, m->token[t], n) == 0 && p[n] == '\n')
			break;
	}
	if (t == m->ntokens)
		return 0;
	snprintf(pre, sizeof(pre), "\nshare %s %s ", account, item);
	snprintf(grp, sizeof(grp), " %s ", group);
	for (p = s->ok_stmt; (p = strstr(p, pre)) != NULL; p++) {
		q = p + strlen(pre);
		q += strspn(q, "0123456789");
		if (strncmp(q, grp, strlen(grp)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Group g of the item's current version: holders who left the policy's
 * group, and its threshold reachable with holders still in the group who
 * attested freshly.
 */
static void
version_group(struct chk *k, const struct bg_vault_account *a,
    const struct bg_vault_item *it, const struct bg_v2_group *g)
{
	const struct bg_vault_person *p;
	const struct bg_v2_member *m;
	char *ok = calloc(1, LIST_MAX), *other = calloc(1, LIST_MAX);
	char *gone = calloc(1, LIST_MAX);
	size_t i, n = 0;

	if (ok == NULL || other == NULL || gone == NULL) {
		k->err = BG_ENOMEM;
		goto out;
	}
	for (i = 0; i < g->n; i++) {
		m = &g->m[i];
		p = bg_vault_person(k->v, m->person);
		if (p == NULL || !bg_policy_is_member(k->v->policy, g->name,
		    p->name)) {
			list_add(gone, LIST_MAX, m->person);
			list_add(other, LIST_MAX, m->person);
		} else if (fresh(k, &k->ps[p - k->v->people]) &&
		    covers_share(&k->ps[p - k->v->people], a->id, it->name,
		    g->name, m)) {
			list_add(ok, LIST_MAX, m->person);
			n++;
		} else {
			list_add(other, LIST_MAX, m->person);
		}
	}
	if (gone[0])
		add(k->rep, BG_CUSTODY_WARNING, "holder-removed", "%s still "
		    "hold(s) a share of %s version %llu of account %s for "
		    "group %s, which they are no longer in: only a rotation "
		    "revokes them (seal it again)", gone, it->name,
		    (unsigned long long)it->version, a->id, g->name);
	if (n < g->t)
		add(k->rep, BG_CUSTODY_CRITICAL, "threshold-unreachable",
		    "group %s of account %s cannot reach its threshold %u for "
		    "%s version %llu with custodians attested within %llu days: "
		    "fresh %zu (%s); stale, missing, failed or removed: %s",
		    g->name, a->id, g->t, it->name,
		    (unsigned long long)it->version,
		    (unsigned long long)k->cfg->max_age_days, n,
		    ok[0] ? ok : "none", other[0] ? other : "none");
out:
	free(ok);
	free(other);
	free(gone);
}

/*
 * The groups the policy has the item need now, against the version: a
 * group it was not sealed for, members added after it was sealed.
 */
static void
version_missing(struct chk *k, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	const bg_policy_t *pol = k->v->policy;
	const char *groups[BG_POLICY_GROUPS_MAX], *name = it->name, *who;
	char *missing;
	size_t n = 0, i, m, pg;
	int g;

	if (bg_policy_groups_for_items(pol, &name, 1, groups,
	    BG_POLICY_GROUPS_MAX, &n) != BG_OK)
		return;		/* the policy no longer names it */
	if ((missing = calloc(1, LIST_MAX)) == NULL) {
		k->err = BG_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		if ((g = bg_vault_item_group(it, groups[i])) < 0) {
			add(k->rep, BG_CUSTODY_WARNING, "box-missing", "the "
			    "policy has %s of account %s need group %s, which "
			    "version %llu was not sealed for: seal it again",
			    it->name, a->id, groups[i],
			    (unsigned long long)it->version);
			continue;
		}
		if ((pg = group_index(pol, groups[i])) == (size_t)-1)
			continue;
		missing[0] = '\0';
		for (m = 0; m < bg_policy_group_nmembers(pol, pg); m++) {
			who = bg_policy_group_member(pol, pg, m);
			if (ver_member(&it->ver->g[g], who) == NULL)
				list_add(missing, LIST_MAX, who);
		}
		if (missing[0])
			add(k->rep, BG_CUSTODY_WARNING, "box-missing", "%s "
			    "(group %s) hold(s) no share of %s version %llu of "
			    "account %s: added after it was sealed, so they "
			    "cannot approve it; seal it again", missing,
			    groups[i], it->name,
			    (unsigned long long)it->version, a->id);
	}
	free(missing);
}

/* The one-time slots the ledger has not seen burned. */
static void
version_slots(struct chk *k, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	uint32_t nslots = it->ver->nslots;
	uint32_t used = bg_ledger_nburned(k->l, a->id, it->name, it->version);
	uint32_t left = used >= nslots ? 0 : nslots - used;

	if (left == 0)
		add(k->rep, BG_CUSTODY_CRITICAL, "slots-left", "%s version "
		    "%llu of account %s has no slot left (%u burned): no "
		    "request can open it; rotate it and seal it again",
		    it->name, (unsigned long long)it->version, a->id, used);
	else if (left < nslots / 4)
		add(k->rep, BG_CUSTODY_WARNING, "slots-left", "%s version "
		    "%llu of account %s has %u of %u slots left (fewer than a "
		    "quarter): rotate it and seal it again", it->name,
		    (unsigned long long)it->version, a->id, left, nslots);
}

/* A version a quorum exposed: to rotate within rotation_days. */
static void
version_released(struct chk *k, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	char ts[BG_RFC3339_LEN + 1], due[BG_RFC3339_LEN + 1];
	uint64_t limit = k->cfg->rotation_days * DAY, t;

	if (!bg_ledger_exposed(k->l, a->id, it->name, it->version))
		return;
	if ((t = exposed_at(k, a->id, it->name, it->version)) == 0 ||
	    bg_rfc3339_format(t, ts) != BG_OK ||
	    bg_rfc3339_format(t + limit, due) != BG_OK) {
		add(k->rep, BG_CUSTODY_WARNING, "needs-rotation", "%s of "
		    "account %s (version %llu) was released: rotate it and "
		    "seal the new value", it->name, a->id,
		    (unsigned long long)it->version);
		return;
	}
	if (k->now >= t + limit)
		add(k->rep, BG_CUSTODY_VIOLATION, "needs-rotation", "%s of "
		    "account %s was released at %s (version %llu) and not "
		    "re-sealed within %llu days: rotate it and seal the new "
		    "value", it->name, a->id, ts,
		    (unsigned long long)it->version,
		    (unsigned long long)k->cfg->rotation_days);
	else
		add(k->rep, BG_CUSTODY_WARNING, "needs-rotation", "%s of "
		    "account %s was released at %s (version %llu): rotate it "
		    "before %s", it->name, a->id, ts,
		    (unsigned long long)it->version, due);
}

static void
item_rules(struct chk *k)
{
	static const char *const must[] = { "root-password", "root-mfa" };
	const bg_policy_t *pol = k->v->policy;
	const struct bg_vault_account *a;
	const struct bg_vault_item *it;
	size_t i, j, g;

	for (i = 0; i < k->v->naccounts; i++) {
		a = &k->v->accounts[i];
		for (j = 0; j < sizeof(must) / sizeof(must[0]); j++)
			for (g = 0; g < bg_policy_nitems(pol); g++)
				if (strcmp(bg_policy_item_name(pol, g),
				    must[j]) == 0 &&
				    bg_vault_item(a, must[j]) == NULL) {
					add(k->rep, BG_CUSTODY_WARNING,
					    "not-sealed", "%s of account %s is "
					    "not sealed (breakglass seal %s %s "
					    "--as NAME)", must[j], a->id, a->id,
					    must[j]);
					break;
				}
		for (j = 0; j < a->nitems; j++) {
			it = &a->items[j];
			if (it->ver == NULL)
				continue;
			if (bg_vault_item_verify(k->v, a, it) != BG_OK)
				add(k->rep, BG_CUSTODY_CRITICAL, "seal-invalid",
				    "%s version %llu of account %s: %.300s; no "
				    "request can use it: seal it again",
				    it->name, (unsigned long long)it->version,
				    a->id, bg_why());
			for (g = 0; g < it->ver->ng; g++)
				version_group(k, a, it, &it->ver->g[g]);
			version_missing(k, a, it);
			version_slots(k, a, it);
			version_released(k, a, it);
		}
	}
}

int
bg_custody_check(const struct bg_vault *v, const struct bg_custody_config *cfg,
    bg_audit_t *log, uint64_t now, struct bg_custody_report *rep)
{
	struct chk k;
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	memset(&k, 0, sizeof(k));
	k.v = v;
	k.cfg = cfg;
	k.now = now;
	k.rep = rep;
	if ((k.ps = calloc(v->npeople + 1, sizeof(*k.ps))) == NULL)
		return BG_ENOMEM;
	r = bg_audit_foreach(log, 0, bg_audit_size(log), on_entry, &k);
	if (r == BG_OK && k.err == BG_OK)
		r = bg_ledger_read(log, &k.l);
	if (r == BG_OK && k.err == BG_OK) {
		rule_groups_disjoint(&k);
		rule_group_size(&k);
		rule_accounts(&k);
		rule_root_email(&k);
		custodian_rules(&k);
		channel_rules(&k);
		item_rules(&k);
		rule_aws(&k);
	}
	if (r == BG_OK)
		r = k.err;
	for (i = 0; i < v->npeople; i++)
		free(k.ps[i].ok_stmt);
	free(k.ps);
	free(k.ex);
	cJSON_Delete(k.posture);
	bg_ledger_free(&k.l);
	if (r == BG_OK && rep->n < rep->count[1] + rep->count[2] +
	    rep->count[3])
		r = BG_ENOMEM;	/* a finding was counted but not kept */
	return r;
}
