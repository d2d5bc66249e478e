/* status and rekey (ceremony.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

/* ============================================================== status */

static void
print_request(struct bg_cer *c, const struct bg_rqfile *f)
{
	char exp[BG_RFC3339_LEN + 1], why[512];
	const char *state = bg_rq_state_str(f->state);
	size_t i;

	bg_rfc3339_format(bg_request_expiry(f->rq), exp);
	if (f->state == BG_RQ_OPEN && c->now >= bg_request_expiry(f->rq))
		state = "expired";
	fprintf(c->out, "request %s  [%s]\n  account %s, requester %s, "
	    "expires %s\n  items:", bg_request_id(f->rq), state,
	    bg_request_account(f->rq), bg_request_requester(f->rq), exp);
	for (i = 0; i < bg_request_nitems(f->rq); i++)
		fprintf(c->out, " %s", bg_request_items(f->rq)[i]);
	fprintf(c->out, "\n");
	for (i = 0; i < f->napprovals; i++)
		fprintf(c->out, "  approved: %s (group %s)\n",
		    f->approvals[i].custodian, f->approvals[i].group);
	if (f->state == BG_RQ_DENIED)
		fprintf(c->out, "  denied by %s\n", f->denied_by);
	else if (f->state == BG_RQ_OPEN && cer_quorum(c, f, why,
	    sizeof(why)) != BG_OK)
		fprintf(c->out, "  missing: %s\n", why);
	else if (f->state == BG_RQ_OPEN)
		fprintf(c->out, "  quorum met: ready for release\n");
}

/* Calls fn for every request file id under STATE/requests. */
static int
each_request(struct bg_cer *c, size_t *n)
{
	char path[BG_PATH_MAX], id[BG_REQUEST_ID_LEN + 1];
	struct bg_rqfile *f;
	struct dirent *de;
	DIR *d;
	int r = BG_OK;

	if (bg_path_join(path, sizeof(path), c->st.dir, "requests") != BG_OK)
		return BG_ETOOBIG;
	if ((d = opendir(path)) == NULL)
		return BG_OK;
	while ((de = readdir(d)) != NULL && r == BG_OK) {
		if (strlen(de->d_name) != BG_REQUEST_ID_LEN + 5 ||
		    strcmp(de->d_name + BG_REQUEST_ID_LEN, ".json") != 0)
			continue;
		memcpy(id, de->d_name, BG_REQUEST_ID_LEN);
		id[BG_REQUEST_ID_LEN] = '\0';
		if ((r = cer_load(c, id, &f)) != BG_OK)
			break;
		if (f->state == BG_RQ_OPEN) {
			print_request(c, f);
			++*n;
		}
		bg_rqfile_free(&f);
	}
	closedir(d);
	return r;
}

int
bg_cer_status(struct bg_cer *c, const char *id)
{
	struct bg_rqfile *f = NULL;
	size_t n = 0;
	int r;

	if ((r = bg_cer_note(c, "request.status", "", "", id ? id : "", NULL)) !=
	    BG_OK)
		return r;
	if (id == NULL) {
		if ((r = each_request(c, &n)) == BG_OK && n == 0)
			fprintf(c->out, "no open request\n");
		return r;
	}
	if ((r = cer_load(c, id, &f)) != BG_OK)
		return r;
	print_request(c, f);
	bg_rqfile_free(&f);
	return BG_OK;
}

/* =============================================================== rekey */

struct rk {
	struct bg_cer *c;
	const char *group;
	uint8_t *sh;			/* locked: account a, person i */
	size_t shlen;
	uint8_t xs[BG_VAULT_ACCOUNTS_MAX][BG_POLICY_MEMBERS_MAX];
	unsigned n[BG_VAULT_ACCOUNTS_MAX];
};

static uint8_t *
rk_share(struct rk *k, size_t a, size_t i)
{
	return k->sh + (a * BG_POLICY_MEMBERS_MAX + i) * BG_SHARE_LEN;
}

/* One person touches a token; their share of every account is opened. */
static int
rk_collect(struct rk *k, const char *name, const char *account)
{
	struct bg_vault *v = k->c->v;
	const struct bg_vault_person *p = bg_cer_person(k->c, name);
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok, a, b;
	int r;

	if (p == NULL)
		return BG_ENOENT;
	if ((r = bg_cer_touch(k->c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return r;
	for (a = 0; a < v->naccounts && r == BG_OK; a++) {
		const struct bg_vault_account *acct = &v->accounts[a];
		const struct bg_vault_gkey *g = bg_vault_gkey(acct, k->group);
		const struct bg_vault_share *s;

		if (g == NULL || (account && strcmp(acct->id, account) != 0) ||
		    (s = bg_vault_share(g, p->name)) == NULL ||
		    k->n[a] >= BG_POLICY_MEMBERS_MAX)
			continue;
		for (b = 0; b < s->nbox; b++)
			if (strcmp(s->token[b], t.token) == 0)
				break;
		r = bg_vault_share_open(v, acct, g, s, b, bg_token_key_bytes(key),
		    rk_share(k, a, k->n[a]));
		k->xs[a][k->n[a]++] = s->x;
	}
	bg_token_key_free(&key);
	return r;
}

static int
rk_stale(struct rk *k, int new_key)
{
	const char *names[BG_SHAMIR_MAX];
	size_t a, n;

	for (a = 0; a < k->c->v->naccounts && !new_key; a++) {
		const struct bg_vault_gkey *g = bg_vault_gkey(
		    &k->c->v->accounts[a], k->group);

		if (g != NULL && (n = bg_vault_stale_holders(k->c->v, g, names,
		    BG_SHAMIR_MAX)) > 0) {
			bg_set_why("%s left group %s but holds a share of its "
			    "key: rekey with --new-key", names[0], k->group);
			return BG_EPERM;
		}
	}
	return BG_OK;
}

static int
rk_apply(struct rk *k, const char *account, int new_key, size_t *done)
{
	struct bg_vault *v = k->c->v;
	const uint8_t *ys[BG_POLICY_MEMBERS_MAX];
	uint8_t *priv = bg_secure_alloc(32);
	size_t a, i;
	int r = BG_OK;

	if (priv == NULL)
		return BG_ENOMEM;
	for (a = 0; a < v->naccounts && r == BG_OK; a++) {
		struct bg_vault_account *acct = &v->accounts[a];
		struct bg_vault_gkey *g = bg_vault_gkey(acct, k->group);

		if (g == NULL || (account && strcmp(acct->id, account) != 0))
			continue;
		for (i = 0; i < k->n[a]; i++)
			ys[i] = rk_share(k, a, i);
		if ((r = bg_vault_combine(g, k->xs[a], ys, k->n[a], priv)) ==
		    BG_OK && (r = bg_vault_resplit(v, acct, k->group, priv,
		    new_key)) == BG_OK)
			++*done;
	}
	bg_secure_free(&priv, 32);
	return r;
}

static int
rk_record(struct rk *k, const char *account, int new_key, size_t done)
{
	struct bg_audit_event ev = { "group.rekeyed", "", account ? account :
	    "", "", NULL };
	cJSON *d = cJSON_CreateObject();
	int r = BG_ENOMEM;

	if (d != NULL && cJSON_AddStringToObject(d, "group", k->group) &&
	    cJSON_AddBoolToObject(d, "new_key", new_key) &&
	    cJSON_AddNumberToObject(d, "accounts", (double)done)) {
		ev.detail = d;
		r = bg_vault_save(&k->c->st, k->c->v, &ev);
	}
	cJSON_Delete(d);
	return r;
}

/*
 * The policy the group is split for passes validation, the floor included
 * (docs/design.md §5.2: t >= 2, no requester a member), before anyone
 * touches a token: a re-split must not make what arming refuses.
 */
static int
rk_policy(struct rk *k)
{
	const struct bg_vault *v = k->c->v;
	char why[512];
	size_t i;

	if (bg_policy_validate(v->policy, why, sizeof(why)) != BG_OK) {
		bg_set_why("the policy cannot be met: %s", why);
		return BG_EPERM;
	}
	for (i = 0; i < v->npeople; i++)
		if (v->people[i].requester && bg_policy_requester_check(
		    v->policy, v->people[i].name, NULL, 0, NULL, 0) != BG_OK)
			return BG_EPERM;
	return BG_OK;
}

static int
rekey(struct rk *k, const char *account, const char *const *with,
    size_t nwith, int new_key)
{
	size_t i, j, done = 0;
	int r;

	if ((r = rk_policy(k)) != BG_OK || (r = rk_stale(k, new_key)) != BG_OK)
		return r;
	if (account != NULL && bg_vault_account(k->c->v, account) == NULL) {
		bg_set_why("no account %s in the vault", account);
		return BG_ENOENT;
	}
	for (i = 0; i < nwith; i++)
		for (j = 0; j < i; j++)
			if (bg_name_same(with[i], with[j])) {
				bg_set_why("%s is named twice: each person's "
				    "share counts once", with[i]);
				return BG_EINVAL;
			}
	for (i = 0; i < nwith; i++)
		if ((r = rk_collect(k, with[i], account)) != BG_OK)
			return r;
	if ((r = rk_apply(k, account, new_key, &done)) != BG_OK)
		return r;
	if (done == 0) {
		bg_set_why("group %s is not armed for any account", k->group);
		return BG_ENOENT;
	}
	fprintf(k->c->out, "group %s re-split for %zu account(s)%s\n",
	    k->group, done, new_key ? " under a new key; items re-sealed" : "");
	return rk_record(k, account, new_key, done);
}

int
bg_cer_rekey(struct bg_cer *c, const char *account, const char *group,
    const char *const *with, size_t nwith, int new_key)
{
	struct rk *k = calloc(1, sizeof(*k));
	int r;

	if (k == NULL)
		return BG_ENOMEM;
	k->c = c;
	k->group = group;
	k->shlen = (c->v->naccounts + 1) * BG_POLICY_MEMBERS_MAX *
	    BG_SHARE_LEN;
	if ((k->sh = bg_secure_alloc(k->shlen)) == NULL) {
		free(k);
		return BG_ENOMEM;
	}
	if ((r = rekey(k, account, with, nwith, new_key)) != BG_OK)
		r = cer_refuse(c, "rekey", "", account ? account : "", with[0],
		    r);
	bg_secure_free(&k->sh, k->shlen);
	free(k);
	return r;
}
