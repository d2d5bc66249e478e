/*
 * approve: the custodian reads exactly what they approve, touches a
 * token, and their share moves from their token to the request key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/internal.h"

struct ap {
	struct bg_cer *c;
	struct bg_rqfile *f;
	const struct bg_vault_person *p;
	const struct bg_vault_gkey *k;
	const struct bg_vault_share *s;
	const char *group;
	char text[BG_STATEMENT_MAX];
	size_t len;
	uint8_t share_sha256[32];
};

/* The statement for token tok: it names the share sealed to that token. */
static int
ap_statement(void *ctx, size_t tok, uint8_t hash[32])
{
	struct ap *a = ctx;
	struct bg_statement st;
	int b = bg_vault_share_box(a->s, a->p, tok), r;

	if (b < 0) {
		bg_set_why("%s's share is not sealed to this token (rekey "
		    "needed)", a->p->name);
		return BG_ENOENT;
	}
	if (EVP_Digest(a->s->box[b], BG_SHARE_BOX_LEN, a->share_sha256, NULL,
	    EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	if ((r = bg_request_statement(a->f->rq, a->c->v->id, a->group,
	    a->p->name, a->share_sha256, &st)) != BG_OK ||
	    (r = bg_statement_build(&st, a->text, sizeof(a->text),
	    &a->len)) != BG_OK)
		return r;
	return hash == NULL ? BG_OK : bg_statement_hash(a->text, a->len, hash);
}

/*
 * The group of the request this custodian approves for. Whatever the
 * policy's self-approval switch says, the requester approves nothing, and
 * nobody approves for a requester who is a member of a group the request
 * needs (docs/design.md §5.2 policy floor): their own share would count.
 */
static int
pick_group(struct ap *a)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	const char *requester = bg_request_requester(a->f->rq);
	size_t i, n;
	int r;

	if (bg_name_same(a->p->name, requester)) {
		bg_set_why("%s opened this request and cannot approve it",
		    a->p->name);
		return BG_EPERM;
	}
	for (i = 0; i < a->f->napprovals; i++)
		if (bg_name_same(a->f->approvals[i].custodian, a->p->name)) {
			bg_set_why("%s has already approved this request",
			    a->p->name);
			return BG_EEXIST;
		}
	if ((r = cer_groups(a->c, a->f, groups, &n)) != BG_OK ||
	    (r = bg_policy_requester_check(a->c->v->policy, requester, groups,
	    n, NULL, 0)) != BG_OK)
		return r;
	for (i = 0; i < n; i++)
		if (bg_policy_is_member(a->c->v->policy, groups[i], a->p->name)) {
			a->group = groups[i];
			return BG_OK;
		}
	bg_set_why("%s is not in a group this request needs", a->p->name);
	return BG_EPERM;
}

static int
find_share(struct ap *a)
{
	const struct bg_vault_account *acct;

	acct = bg_vault_account(a->c->v, bg_request_account(a->f->rq));
	if (acct == NULL || (a->k = bg_vault_gkey(acct, a->group)) == NULL) {
		bg_set_why("group %s of this account is not armed", a->group);
		return BG_ENOENT;
	}
	if ((a->s = bg_vault_share(a->k, a->p->name)) == NULL) {
		bg_set_why("%s holds no share of group %s's current key "
		    "(rekey needed)", a->p->name, a->group);
		return BG_ENOENT;
	}
	return BG_OK;
}

/* Shows the custodian every field they sign, and nothing else. */
static int
show(struct ap *a)
{
	const char *reason = bg_request_reason(a->f->rq);
	size_t i, sz = 2 * BG_STATEMENT_MAX + 4 * strlen(reason) + 64;
	char *out = malloc(sz);
	int r;

	if (out == NULL)
		return BG_ENOMEM;
	if ((r = ap_statement(a, 0, NULL)) == BG_OK &&
	    (r = bg_statement_describe(a->text, a->len, reason,
	    strlen(reason), out, sz)) == BG_OK) {
		fprintf(a->c->out, "%s approves:\n%s", a->p->name, out);
		fprintf(a->c->out, "  items:");
		for (i = 0; i < bg_request_nitems(a->f->rq); i++)
			fprintf(a->c->out, " %s", bg_request_items(a->f->rq)[i]);
		fprintf(a->c->out, "\n  ticket: %s\n",
		    bg_request_ticket(a->f->rq)[0] ?
		    bg_request_ticket(a->f->rq) : "(none)");
	}
	free(out);
	return r;
}

/* Opens the share with the token key and seals it to the request key. */
static int
move_share(struct ap *a, const bg_token_key_t *key, size_t tok,
    struct bg_rq_approval *ap)
{
	const struct bg_vault_account *acct =
	    bg_vault_account(a->c->v, bg_request_account(a->f->rq));
	uint8_t *share = bg_secure_alloc(BG_SHARE_LEN);
	char aad[512];
	size_t aadlen, len;
	int r;

	if (share == NULL)
		return BG_ENOMEM;
	r = bg_vault_share_open(a->c->v, acct, a->k, a->s,
	    (size_t)bg_vault_share_box(a->s, a->p, tok),
	    bg_token_key_bytes(key), share);
	if (r == BG_OK && (aadlen = cer_aad_approval(a->c, a->f, a->group,
	    a->p->name, a->s->x, aad, sizeof(aad))) == 0)
		r = BG_EINTERNAL;
	if (r == BG_OK)
		r = bg_box_seal(bg_request_key(a->f->rq), "approval-share", aad,
		    aadlen, share, BG_SHARE_LEN, ap->share, sizeof(ap->share),
		    &len);
	bg_secure_free(&share, BG_SHARE_LEN);
	ap->x = a->s->x;
	return r;
}

static int
granted_detail(const struct bg_rq_approval *ap, const uint8_t sum[32],
    cJSON **d)
{
	char hex[65];
	int r;

	bg_hex_encode(sum, 32, hex, sizeof(hex));
	if ((*d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*d, "group", ap->group) ||
	    !cJSON_AddStringToObject(*d, "token", ap->touch.token) ||
	    !cJSON_AddStringToObject(*d, "statement", ap->statement) ||
	    !cJSON_AddStringToObject(*d, "share_sha256", hex))
		return BG_ENOMEM;
	if ((r = bg_vjson_add_b64(*d, "authdata", ap->touch.as.authdata,
	    ap->touch.signed_ ? ap->touch.as.authdata_len : 0)) != BG_OK)
		return r;
	return bg_vjson_add_b64(*d, "sig", ap->touch.as.sig,
	    ap->touch.signed_ ? ap->touch.as.sig_len : 0);
}

static int
failed(struct bg_cer *c, const struct ap *a, int err)
{
	struct bg_audit_event ev = { "approval.failed", a->p->name,
	    bg_request_account(a->f->rq), bg_request_id(a->f->rq), NULL };

	return bg_state_note_failure(&c->st, &ev, "group", a->group, err);
}

static int
grant(struct ap *a)
{
	struct bg_rq_approval *ap = &a->f->approvals[a->f->napprovals];
	bg_token_key_t *key = NULL;
	cJSON *d = NULL;
	size_t tok;
	int r;

	memset(ap, 0, sizeof(*ap));
	if ((r = bg_cer_touch(a->c, a->p, ap_statement, a, &ap->touch, &key,
	    &tok)) != BG_OK || (r = move_share(a, key, tok, ap)) != BG_OK) {
		bg_token_key_free(&key);
		return failed(a->c, a, r);
	}
	bg_token_key_free(&key);
	snprintf(ap->group, sizeof(ap->group), "%s", a->group);
	snprintf(ap->custodian, sizeof(ap->custodian), "%s", a->p->name);
	memcpy(ap->statement, a->text, a->len);
	ap->statement[a->len] = '\0';
	ap->statement_len = a->len;
	ap->time = a->c->now;
	a->f->napprovals++;
	if ((r = granted_detail(ap, a->share_sha256, &d)) == BG_OK)
		r = cer_save(a->c, a->f, "approval.granted", a->p->name, d);
	cJSON_Delete(d);
	return r;
}

static int
approve(struct ap *a, const char *custodian)
{
	int r;

	if ((a->p = bg_cer_person(a->c, custodian)) == NULL)
		return BG_ENOENT;
	if ((r = cer_open_check(a->c, a->f)) != BG_OK ||
	    (r = pick_group(a)) != BG_OK || (r = find_share(a)) != BG_OK)
		return r;
	if (a->f->napprovals >= BG_RQ_APPROVALS_MAX) {
		bg_set_why("too many approvals");
		return BG_ETOOBIG;
	}
	return show(a);
}

int
bg_cer_approve(struct bg_cer *c, const char *id, const char *custodian)
{
	struct ap a;
	struct bg_rq_approval *more;
	char why[512];
	int r;

	memset(&a, 0, sizeof(a));
	a.c = c;
	if ((r = cer_load(c, id, &a.f)) != BG_OK)
		return cer_refuse(c, "approve", id, "", custodian, r);
	if ((r = approve(&a, custodian)) != BG_OK) {
		r = cer_refuse(c, "approve", id, bg_request_account(a.f->rq),
		    custodian, r);
		goto out;
	}
	if ((more = realloc(a.f->approvals, (a.f->napprovals + 1) *
	    sizeof(*more))) == NULL) {
		r = BG_ENOMEM;
		goto out;
	}
	a.f->approvals = more;
	if ((r = grant(&a)) != BG_OK)
		goto out;
	if (cer_quorum(c, a.f, why, sizeof(why)) == BG_OK)
		fprintf(c->out, "approved; the quorum is met: %s may release "
		    "request %s\n", bg_request_requester(a.f->rq), id);
	else
		fprintf(c->out, "approved; still missing: %s\n", why);
out:
	bg_rqfile_free(&a.f);
	return r;
}
