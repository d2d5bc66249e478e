/*
 * Acts on a request that a token signs (ceremony.h): a denial and a
 * release. The token signs SHA-256(tag 0x00 || request hash || text); the
 * signature is checked against the person's token as the vault has it,
 * here before anything is written and again by audit verify. In
 * production the touch happens in the client (bg_cer_*_take) and the
 * daemon checks the signature (bg_cer_*_submit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/internal.h"

int
bg_cer_act_message(const char *tag, const uint8_t request[32],
    const char *text, uint8_t msg[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, strlen(tag) + 1) == 1 &&
	    EVP_DigestUpdate(md, request, 32) == 1 &&
	    EVP_DigestUpdate(md, text, strlen(text)) == 1 &&
	    EVP_DigestFinal_ex(md, msg, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
cer_act_sign(struct bg_cer *c, const struct bg_vault_person *p,
    const char *tag, const uint8_t hash[32], const char *text,
    struct bg_cer_act *a, bg_token_key_t **keep)
{
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	uint8_t msg[32];
	size_t tok;
	int r;

	if ((r = bg_cer_touch(c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return r;
	snprintf(a->token, sizeof(a->token), "%s", t.token);
	if ((r = bg_cer_act_message(tag, hash, text, msg)) == BG_OK)
		r = bg_token_key_sign(key, msg, 32, a->sig);
	if (r == BG_OK && keep != NULL)
		*keep = key;
	else
		bg_token_key_free(&key);
	return r;
}

int
cer_act_check(const struct bg_vault_person *p, const char *tag,
    const uint8_t hash[32], const char *text, const struct bg_cer_act *a)
{
	return cer_act_check_key(p, NULL, tag, hash, text, a);
}

int
cer_act_check_key(const struct bg_vault_person *p, const bg_token_desc_t *d,
    const char *tag, const uint8_t hash[32], const char *text,
    const struct bg_cer_act *a)
{
	uint8_t msg[32];
	int tok;

	if ((tok = bg_vault_person_token(p, a->token)) >= 0 && d == NULL)
		d = p->tokens[tok];
	if (tok < 0 || bg_cer_act_message(tag, hash, text, msg) != BG_OK ||
	    bg_token_sig_verify(d, msg, 32, a->sig) != BG_OK) {
		bg_set_why("the signature is not %s's token's over this "
		    "request (made without their token)", p->name);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_cer_act_to_json(const struct bg_cer_act *a, cJSON **j)
{
	if ((*j = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*j, "token", a->token) ||
	    bg_vjson_add_b64(*j, "signature", a->sig, sizeof(a->sig)) !=
	    BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
		return BG_ENOMEM;
	}
	return BG_OK;
}

int
bg_cer_act_from_json(const cJSON *j, struct bg_cer_act *a)
{
	static const char *const keys[] = { "token", "signature", NULL };

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_rq_token_from_json(j, a->token) != BG_OK ||
	    bg_json_get_b64(j, "signature", a->sig, sizeof(a->sig)) != BG_OK) {
		bg_set_why("a malformed signed act (token, signature)");
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* The token and signature, as audit verify reads them from the entry. */
int
cer_act_detail(const struct bg_cer_act *a, cJSON *d)
{
	if (!cJSON_AddStringToObject(d, "token", a->token) ||
	    bg_vjson_add_b64(d, "signature", a->sig, BG_TOKEN_SIG_LEN) != BG_OK)
		return BG_ENOMEM;
	return BG_OK;
}

/* ================================================================ deny */

/* The person may stop the request: its requester or a needed custodian. */
static int
may_deny(struct bg_cer *c, const struct bg_rqfile *f, const char *person)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t i, n;
	int r;

	if (strcmp(person, bg_request_requester(f->rq)) == 0)
		return BG_OK;
	if ((r = cer_groups(c, f, groups, &n)) != BG_OK)
		return r;
	for (i = 0; i < n; i++)
		if (bg_policy_is_member(c->v->policy, groups[i], person))
			return BG_OK;
	bg_set_why("%s is neither the requester nor in a group this request "
	    "needs", person);
	return BG_EPERM;
}

/* Loads request id and checks that person may deny it: refusals recorded. */
static int
deny_begin(struct bg_cer *c, const char *id, const char *person,
    const char *reason, struct bg_rqfile **f, struct bg_vault_person **p)
{
	int r;

	if ((r = cer_load(c, id, f)) != BG_OK)
		return cer_refuse(c, "deny", id, "", person, r);
	if ((*p = bg_cer_person(c, person)) == NULL)
		r = BG_ENOENT;
	else if ((r = cer_open_check(c, *f)) == BG_OK &&
	    (r = may_deny(c, *f, person)) == BG_OK &&
	    !cer_text_ok(reason, BG_REASON_MAX))
		r = BG_EINVAL;
	if (r != BG_OK)
		return cer_refuse(c, "deny", id, bg_request_account((*f)->rq),
		    person, r);
	return BG_OK;
}

static int
deny_record(struct bg_cer *c, struct bg_rqfile *f, const char *person,
    const char *reason, const struct bg_cer_act *a)
{
	cJSON *d = cJSON_CreateObject();
	int r = BG_ENOMEM;

	f->state = BG_RQ_DENIED;
	f->closed = c->now;
	snprintf(f->denied_by, sizeof(f->denied_by), "%s", person);
	snprintf(f->denial, sizeof(f->denial), "%s", reason);
	if (d != NULL && cJSON_AddStringToObject(d, "reason", reason) &&
	    cer_act_detail(a, d) == BG_OK)
		r = cer_save(c, f, "approval.denied", person, d);
	cJSON_Delete(d);
	return r;
}

int
bg_cer_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason)
{
	struct bg_vault_person *p = NULL;
	struct bg_rqfile *f = NULL;
	struct bg_cer_act a;
	int r;

	if ((r = deny_begin(c, id, person, reason, &f, &p)) == BG_OK) {
		if ((r = cer_act_sign(c, p, BG_CER_DENY_TAG, f->hash, reason,
		    &a, NULL)) != BG_OK)
			r = cer_refuse(c, "deny", id, bg_request_account(f->rq),
			    person, r);
		else
			r = deny_record(c, f, person, reason, &a);
	}
	bg_rqfile_free(&f);
	return r;
}

int
bg_cer_deny_kit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, cJSON **kit)
{
	struct bg_vault_person *p = NULL;
	struct bg_rqfile *f = NULL;
	int r;

	*kit = NULL;
	if ((r = deny_begin(c, id, person, reason, &f, &p)) == BG_OK)
		r = cer_kit_with(c, f, kit);
	bg_rqfile_free(&f);
	return r;
}

int
bg_cer_deny_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *person, const char *reason, struct bg_cer_act *a)
{
	struct bg_vault_person *p;
	struct bg_rqfile *f = NULL;
	int r;

	if ((r = cer_parse_request(c, cJSON_GetObjectItemCaseSensitive(kit,
	    "request"), id, &f)) != BG_OK)
		return r;
	if ((p = bg_cer_person(c, person)) == NULL)
		r = BG_ENOENT;
	else
		r = cer_act_sign(c, p, BG_CER_DENY_TAG, f->hash, reason, a,
		    NULL);
	bg_rqfile_free(&f);
	return r;
}

int
bg_cer_deny_submit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, const cJSON *sub)
{
	struct bg_vault_person *p = NULL;
	struct bg_rqfile *f = NULL;
	struct bg_cer_act a;
	int r;

	if ((r = deny_begin(c, id, person, reason, &f, &p)) == BG_OK) {
		if ((r = bg_cer_act_from_json(sub, &a)) != BG_OK ||
		    (r = cer_act_check(p, BG_CER_DENY_TAG, f->hash, reason,
		    &a)) != BG_OK)
			r = cer_refuse(c, "deny", id, bg_request_account(f->rq),
			    person, r);
		else
			r = deny_record(c, f, person, reason, &a);
	}
	bg_rqfile_free(&f);
	return r;
}
