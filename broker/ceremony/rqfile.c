/*
 * requests/<id>.json (ceremony.h): the signed request text and its
 * reason, the requester's signature, the request key's boxes, and the
 * approvals, each a signed statement with the shares it re-sealed.
 */
#include <stdlib.h>
#include <string.h>

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
	size_t i;

	if (fp == NULL || (f = *fp) == NULL)
		return;
	bg_request_free(&f->rq);
	free(f->rq2);
	free(f->text);
	for (i = 0; f->approvals != NULL && i < f->napprovals; i++)
		free(f->approvals[i].statement);
	free(f->approvals);
	free(f);
	*fp = NULL;
}

/* ============================================================== writing */

static int
approval_to_json(const struct bg_rq_approval *a, cJSON *o)
{
	cJSON *arr, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(o, "group", a->group) ||
	    !cJSON_AddStringToObject(o, "custodian", a->custodian) ||
	    (r = bg_vjson_add_time(o, "time", a->time)) != BG_OK ||
	    !cJSON_AddStringToObject(o, "token", a->token) ||
	    !cJSON_AddStringToObject(o, "statement", a->statement) ||
	    (r = bg_vjson_add_b64(o, "signature", a->sig,
	    sizeof(a->sig))) != BG_OK ||
	    (a->fido2_sig_len > 0 && (bg_vjson_add_b64(o, "fido2_authdata",
	    a->fido2_authdata, a->fido2_authdata_len) != BG_OK ||
	    bg_vjson_add_b64(o, "fido2_sig", a->fido2_sig, a->fido2_sig_len) !=
	    BG_OK)) ||
	    (arr = cJSON_AddArrayToObject(o, "shares")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < a->nshare; i++)
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "item", a->share[i].item) ||
		    (r = bg_vjson_add_b64(e, "box", a->share[i].box,
		    BG_RQ_SHARE_BOX_LEN)) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

int
bg_rq_approval_to_json(const struct bg_rq_approval *a, cJSON **j)
{
	int r;

	if ((*j = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = approval_to_json(a, *j)) != BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
	}
	return r;
}

static int
fill(const struct bg_rqfile *f, cJSON *j)
{
	cJSON *arr, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(j, "format", BG_RQFILE_FORMAT) ||
	    !cJSON_AddStringToObject(j, "request", f->text) ||
	    !cJSON_AddStringToObject(j, "reason", bg_request_reason(f->rq)) ||
	    !cJSON_AddStringToObject(j, "token", f->token) ||
	    (r = bg_vjson_add_b64(j, "signature", f->sig,
	    sizeof(f->sig))) != BG_OK ||
	    !cJSON_AddStringToObject(j, "state", bg_rq_state_str(f->state)) ||
	    (arr = cJSON_AddArrayToObject(j, "key_boxes")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->nkey; i++)
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "token", f->key_token[i]) ||
		    (r = bg_vjson_add_b64(e, "box", f->key_box[i],
		    BG_RQ_KEY_BOX_LEN)) != BG_OK)
			return BG_ENOMEM;
	if ((arr = cJSON_AddArrayToObject(j, "approvals")) == NULL)
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

static int
fill_any(const void *f, cJSON *j)
{
	return fill(f, j);
}

int
bg_rqfile_to_json(const struct bg_rqfile *f, cJSON **j)
{
	return bg_vjson_build(fill_any, f, j);
}

/* ============================================================== reading */

static int
bad(const char *what)
{
	bg_set_why("request file: %s", what);
	return BG_EFORMAT;
}

int
bg_rq_token_from_json(const cJSON *o, char out[2 * BG_TOKEN_ID_LEN + 1])
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
read_key_box(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "token", "box", NULL };
	struct bg_rqfile *f = ctx;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    bg_rq_token_from_json(e, f->key_token[i]) != BG_OK ||
	    bg_json_get_b64(e, "box", f->key_box[i], BG_RQ_KEY_BOX_LEN))
		return bad("key_boxes");
	return BG_OK;
}

static int
read_share(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "item", "box", NULL };
	struct bg_rq_approval *a = ctx;
	const char *s;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    bg_json_get_str(e, "item", BG_NAME_MAX, &s) != BG_OK ||
	    !bg_name_valid(s) ||
	    bg_json_get_b64(e, "box", a->share[i].box, BG_RQ_SHARE_BOX_LEN))
		return bad("an approval's share");
	memcpy(a->share[i].item, s, strlen(s) + 1);
	return BG_OK;
}

static int
read_name(const cJSON *e, const char *key, char out[BG_NAME_MAX + 1])
{
	return bg_vjson_get_name(e, key, out) == BG_OK ? BG_OK : bad(key);
}

/* Optional: both or neither, each bounded. */
static int
read_assertion(const cJSON *e, struct bg_rq_approval *a)
{
	const char *ad, *sig;
	int have_ad = bg_json_get_str(e, "fido2_authdata",
	    bg_b64_len(BG_TOKEN_AUTHDATA_MAX), &ad) == BG_OK;
	int have_sig = bg_json_get_str(e, "fido2_sig",
	    bg_b64_len(BG_TOKEN_SIG_MAX), &sig) == BG_OK;

	if (!have_ad && !have_sig && !cJSON_HasObjectItem(e,
	    "fido2_authdata") && !cJSON_HasObjectItem(e, "fido2_sig"))
		return BG_OK;
	if (!have_ad || !have_sig ||
	    bg_b64_decode(ad, strlen(ad), a->fido2_authdata,
	    sizeof(a->fido2_authdata), &a->fido2_authdata_len) != BG_OK ||
	    bg_b64_decode(sig, strlen(sig), a->fido2_sig, sizeof(a->fido2_sig),
	    &a->fido2_sig_len) != BG_OK || a->fido2_authdata_len == 0 ||
	    a->fido2_sig_len == 0)
		return BG_EFORMAT;
	return BG_OK;
}

static int
approval_from_json(const cJSON *e, struct bg_rq_approval *a)
{
	static const char *const keys[] = { "group", "custodian", "time",
	    "token", "statement", "signature", "fido2_authdata", "fido2_sig",
	    "shares", NULL };
	const char *s;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    read_name(e, "group", a->group) != BG_OK ||
	    read_name(e, "custodian", a->custodian) != BG_OK ||
	    bg_rq_token_from_json(e, a->token) != BG_OK)
		return bad("approval group, custodian or token");
	if (bg_vjson_get_time(e, "time", 0, &a->time, "approval") != BG_OK ||
	    bg_json_get_str(e, "statement", BG_STATEMENT2_MAX, &s) != BG_OK ||
	    bg_json_get_b64(e, "signature", a->sig, sizeof(a->sig)) != BG_OK)
		return bad("approval time, statement or signature");
	if (read_assertion(e, a) != BG_OK)
		return bad("approval FIDO2 assertion");
	a->statement_len = strlen(s);
	if ((a->statement = strdup(s)) == NULL)
		return BG_ENOMEM;
	return bg_vjson_each(e, "shares", BG_POLICY_ITEMS_MAX, "shares",
	    read_share, a, &a->nshare);
}

static int
read_approval(void *ctx, const cJSON *e, size_t i)
{
	return approval_from_json(e, &((struct bg_rqfile *)ctx)->approvals[i]);
}

int
bg_rq_approval_from_json(const cJSON *j, struct bg_rq_approval *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (!cJSON_IsObject(j))
		return bad("approval");
	if ((r = approval_from_json(j, a)) != BG_OK) {
		free(a->statement);
		a->statement = NULL;
	}
	return r;
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

/* The request's fields from its strictly parsed text and its reason. */
static int
read_request(const cJSON *j, struct bg_rqfile *f)
{
	const struct bg_request2 *q;
	const char *items[BG_POLICY_ITEMS_MAX], *text, *reason;
	struct bg_request_fields rf;
	uint8_t h[32];
	size_t i;
	int r;

	if (bg_json_get_str(j, "request", BG_REQUEST2_MAX, &text) != BG_OK ||
	    bg_json_get_str(j, "reason", BG_REASON_MAX, &reason) != BG_OK)
		return bad("request or reason");
	f->text_len = strlen(text);
	if ((f->text = strdup(text)) == NULL ||
	    (f->rq2 = calloc(1, sizeof(*f->rq2))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_request2_parse(text, f->text_len, f->rq2)) != BG_OK ||
	    (r = bg_request2_hash(text, f->text_len, f->hash)) != BG_OK)
		return r;
	q = f->rq2;
	if (bg_reason_sha256(reason, strlen(reason), h) != BG_OK ||
	    bg_ct_memcmp(h, q->reason_sha256, 32) != 0)
		return bad("the reason is not the one the request signs");
	memset(&rf, 0, sizeof(rf));
	for (i = 0; i < q->nentries; i++)
		items[i] = q->entry[i].item;
	rf.id = q->id;
	rf.account = q->account;
	rf.requester = q->requester;
	rf.reason = reason;
	rf.ticket = q->ticket;
	rf.items = items;
	rf.nitems = q->nentries;
	rf.created = q->created;
	rf.expiry = q->expiry;
	memcpy(rf.key, q->key, 32);
	return bg_request_new(&rf, &f->rq);
}

static int
read_all(const cJSON *j, struct bg_rqfile *f)
{
	static const char *const keys[] = { "format", "request", "reason",
	    "token", "signature", "state", "key_boxes", "approvals",
	    "denied_by", "denial", "closed", NULL };
	const cJSON *arr;
	const char *s;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK)
		return bad("unknown, missing or repeated key");
	if (bg_json_get_str(j, "format", 64, &s) != BG_OK ||
	    strcmp(s, BG_RQFILE_FORMAT) != 0)
		return bad("format");
	if ((r = read_request(j, f)) != BG_OK)
		return r;
	if (bg_rq_token_from_json(j, f->token) != BG_OK ||
	    bg_json_get_b64(j, "signature", f->sig, sizeof(f->sig)) != BG_OK)
		return bad("the requester's token or signature");
	if ((r = read_state(j, &f->state)) != BG_OK ||
	    (r = bg_vjson_each(j, "key_boxes", BG_VAULT_TOKENS_MAX, "key_boxes",
	    read_key_box, f, &f->nkey)) != BG_OK)
		return r;
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
