/* requests/<id>.json: the request object beside its approvals (ceremony.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/ceremony.h"

static const char *const state_names[] = { "", "open", "denied", "released" };

const char *
bg_rq_state_str(enum bg_rq_state s)
{
	return s >= BG_RQ_OPEN && s <= BG_RQ_RELEASED ? state_names[s] : "?";
}

void
bg_rqfile_free(struct bg_rqfile **fp)
{
	struct bg_rqfile *f;

	if (fp == NULL || (f = *fp) == NULL)
		return;
	bg_request_free(&f->rq);
	free(f->approvals);
	free(f);
	*fp = NULL;
}

int
bg_rqfile_request_hash(const struct bg_rqfile *f, uint8_t out[32])
{
	cJSON *j = NULL;
	char *text = NULL;
	int r;

	if ((r = bg_request_to_json(f->rq, &j)) != BG_OK)
		return r;
	if ((text = cJSON_PrintUnformatted(j)) == NULL)
		r = BG_ENOMEM;
	else if (EVP_Digest(text, strlen(text), out, NULL, EVP_sha256(),
	    NULL) != 1)
		r = BG_ECRYPTO;
	free(text);
	cJSON_Delete(j);
	return r;
}

/* ============================================================== writing */

static int
touch_to_json(const struct bg_touch *t, cJSON *o)
{
	int r;

	if (!cJSON_AddStringToObject(o, "token", t->token))
		return BG_ENOMEM;
	if ((r = bg_vjson_add_b64(o, "authdata", t->as.authdata,
	    t->signed_ ? t->as.authdata_len : 0)) != BG_OK)
		return r;
	return bg_vjson_add_b64(o, "sig", t->as.sig,
	    t->signed_ ? t->as.sig_len : 0);
}

static int
approval_to_json(const struct bg_rq_approval *a, cJSON *o)
{
	cJSON *t;
	int r;

	if (!cJSON_AddStringToObject(o, "group", a->group) ||
	    !cJSON_AddStringToObject(o, "custodian", a->custodian) ||
	    (r = bg_vjson_add_time(o, "time", a->time)) != BG_OK ||
	    !cJSON_AddStringToObject(o, "statement", a->statement) ||
	    (t = cJSON_AddObjectToObject(o, "touch")) == NULL)
		return BG_ENOMEM;
	if ((r = touch_to_json(&a->touch, t)) != BG_OK)
		return r;
	if (!cJSON_AddNumberToObject(o, "x", a->x))
		return BG_ENOMEM;
	return bg_vjson_add_b64(o, "share", a->share, sizeof(a->share));
}

static int
fill(const struct bg_rqfile *f, cJSON *j)
{
	cJSON *rq = NULL, *arr, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(j, "format", BG_RQFILE_FORMAT) ||
	    (r = bg_request_to_json(f->rq, &rq)) != BG_OK ||
	    (r = bg_json_add(j, "request", rq)) != BG_OK ||
	    !cJSON_AddStringToObject(j, "state", bg_rq_state_str(f->state)) ||
	    (arr = cJSON_AddArrayToObject(j, "key_boxes")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->nkey; i++)
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "token", f->key_token[i]) ||
		    (r = bg_vjson_add_b64(e, "box", f->key_box[i],
		    BG_RQ_KEY_BOX_LEN)) != BG_OK)
			return BG_ENOMEM;
	if ((e = cJSON_AddObjectToObject(j, "proof")) == NULL ||
	    (r = touch_to_json(&f->proof, e)) != BG_OK ||
	    (arr = cJSON_AddArrayToObject(j, "approvals")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->napprovals; i++)
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    (r = approval_to_json(&f->approvals[i], e)) != BG_OK)
			return r;
	if (!cJSON_AddStringToObject(j, "denied_by", f->denied_by) ||
	    !cJSON_AddStringToObject(j, "denial", f->denial))
		return BG_ENOMEM;
	return bg_vjson_add_time(j, "closed", f->closed);
}

int
bg_rqfile_to_json(const struct bg_rqfile *f, cJSON **j)
{
	int r;

	if ((*j = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = fill(f, *j)) != BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
	}
	return r;
}

/* ============================================================== reading */

static int
bad(const char *what)
{
	bg_set_why("request file: %s", what);
	return BG_EFORMAT;
}

static int
get_token_id(const cJSON *o, char out[2 * BG_TOKEN_ID_LEN + 1])
{
	const char *s;
	uint8_t raw[BG_TOKEN_ID_LEN];

	if (bg_json_get_str(o, "token", 2 * BG_TOKEN_ID_LEN, &s) != BG_OK ||
	    strlen(s) != 2 * BG_TOKEN_ID_LEN ||
	    bg_hex_decode_exact(s, strlen(s), raw, sizeof(raw)) != BG_OK)
		return bad("token id");
	memcpy(out, s, 2 * BG_TOKEN_ID_LEN + 1);
	return BG_OK;
}

static int
read_touch(const cJSON *o, struct bg_touch *t)
{
	static const char *const keys[] = { "token", "authdata", "sig", NULL };
	const char *ad, *sig;

	memset(t, 0, sizeof(*t));
	if (!cJSON_IsObject(o) || bg_json_only_keys(o, keys) != BG_OK ||
	    get_token_id(o, t->token) != BG_OK ||
	    bg_json_get_str(o, "authdata", 2 * BG_TOKEN_AUTHDATA_MAX, &ad) ||
	    bg_json_get_str(o, "sig", 2 * BG_TOKEN_SIG_MAX, &sig) ||
	    bg_b64_decode(ad, strlen(ad), t->as.authdata,
	    sizeof(t->as.authdata), &t->as.authdata_len) != BG_OK ||
	    bg_b64_decode(sig, strlen(sig), t->as.sig, sizeof(t->as.sig),
	    &t->as.sig_len) != BG_OK)
		return bad("a token's touch");
	if ((t->as.authdata_len == 0) != (t->as.sig_len == 0))
		return bad("a signature without its authenticator data");
	t->signed_ = t->as.sig_len > 0;
	return BG_OK;
}

static int
read_key_box(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "token", "box", NULL };
	struct bg_rqfile *f = ctx;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    get_token_id(e, f->key_token[i]) != BG_OK ||
	    bg_json_get_b64(e, "box", f->key_box[i], BG_RQ_KEY_BOX_LEN))
		return bad("key_boxes");
	return BG_OK;
}

static int
read_approval(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "group", "custodian", "time",
	    "statement", "touch", "x", "share", NULL };
	struct bg_rq_approval *a = &((struct bg_rqfile *)ctx)->approvals[i];
	const cJSON *t;
	const char *s;
	uint64_t x;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    bg_json_get_str(e, "group", BG_NAME_MAX, &s) || !bg_name_valid(s))
		return bad("approval group");
	memcpy(a->group, s, strlen(s) + 1);
	if (bg_json_get_str(e, "custodian", BG_NAME_MAX, &s) ||
	    !bg_name_valid(s))
		return bad("approval custodian");
	memcpy(a->custodian, s, strlen(s) + 1);
	if (bg_vjson_get_time(e, "time", 0, &a->time, "approval") != BG_OK ||
	    bg_json_get_str(e, "statement", BG_STATEMENT_MAX, &s) != BG_OK)
		return bad("approval time or statement");
	a->statement_len = strlen(s);
	memcpy(a->statement, s, a->statement_len + 1);
	if (bg_json_get_obj(e, "touch", &t) != BG_OK ||
	    read_touch(t, &a->touch) != BG_OK ||
	    bg_json_get_u64(e, "x", 1, BG_SHAMIR_MAX, &x) != BG_OK ||
	    bg_json_get_b64(e, "share", a->share, sizeof(a->share)) != BG_OK)
		return bad("approval touch, x or share");
	a->x = (uint8_t)x;
	return BG_OK;
}

static int
read_state(const cJSON *j, enum bg_rq_state *st)
{
	const char *s;
	int i;

	if (bg_json_get_str(j, "state", 16, &s) != BG_OK)
		return bad("state");
	for (i = BG_RQ_OPEN; i <= BG_RQ_RELEASED; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*st = (enum bg_rq_state)i;
			return BG_OK;
		}
	return bad("state");
}

static int
read_text(const cJSON *j, const char *key, char *out, size_t max)
{
	const char *s;

	if (bg_json_get_str(j, key, max, &s) != BG_OK)
		return bad(key);
	memcpy(out, s, strlen(s) + 1);
	return BG_OK;
}

static int
read_all(const cJSON *j, struct bg_rqfile *f)
{
	static const char *const keys[] = { "format", "request", "state",
	    "key_boxes", "proof", "approvals", "denied_by", "denial", "closed",
	    NULL };
	const cJSON *o, *arr;
	const char *s;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK)
		return bad("unknown, missing or repeated key");
	if (bg_json_get_str(j, "format", 64, &s) != BG_OK ||
	    strcmp(s, BG_RQFILE_FORMAT) != 0)
		return bad("format");
	if (bg_json_get_obj(j, "request", &o) != BG_OK)
		return bad("request");
	if ((r = bg_request_from_json(o, &f->rq)) != BG_OK)
		return r;
	if ((r = read_state(j, &f->state)) != BG_OK ||
	    (r = bg_vjson_each(j, "key_boxes", BG_VAULT_TOKENS_MAX, "key_boxes",
	    read_key_box, f, &f->nkey)) != BG_OK)
		return r;
	if (bg_json_get_obj(j, "proof", &o) != BG_OK ||
	    read_touch(o, &f->proof) != BG_OK)
		return bad("proof");
	if (bg_json_get_array(j, "approvals", &arr) != BG_OK)
		return bad("approvals");
	if ((f->approvals = calloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof(*f->approvals))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_vjson_each(j, "approvals", BG_RQ_APPROVALS_MAX,
	    "approvals", read_approval, f, &f->napprovals)) != BG_OK ||
	    (r = read_text(j, "denied_by", f->denied_by, BG_NAME_MAX)) ||
	    (r = read_text(j, "denial", f->denial, BG_REASON_MAX)))
		return r;
	if ((f->state == BG_RQ_DENIED) != (f->denied_by[0] != '\0') ||
	    (f->denied_by[0] != '\0' && !bg_name_valid(f->denied_by)))
		return bad("denied_by");
	if ((r = bg_vjson_get_time(j, "closed", 1, &f->closed, "closed")))
		return r;
	if ((f->state == BG_RQ_OPEN) != (f->closed == 0))
		return bad("state and closing time disagree");
	return BG_OK;
}

int
bg_rqfile_from_json(const cJSON *j, struct bg_rqfile **out)
{
	struct bg_rqfile *f;
	int r;

	*out = NULL;
	if (!cJSON_IsObject(j))
		return bad("not an object");
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return BG_ENOMEM;
	if ((r = read_all(j, f)) != BG_OK) {
		bg_rqfile_free(&f);
		return r;
	}
	*out = f;
	return BG_OK;
}
