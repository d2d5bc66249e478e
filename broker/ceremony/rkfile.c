/*
 * rekeys/<id>.json (ceremony.h): what a rekey is (group, holders, new
 * members, versions), the pieces each holder made
 * and signed, and the boxes each new member made and signed. Parsed
 * strictly; signatures are the ceremony's to check (it knows the tokens).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/ceremony.h"

static void
signed_free(struct bg_rk_signed *s, size_t n)
{
	size_t i, b;

	for (i = 0; s != NULL && i < n; i++) {
		for (b = 0; b < s[i].nboxes; b++)
			free(s[i].boxes[b].box);
		free(s[i].boxes);
	}
	free(s);
}

void
bg_rkfile_free(struct bg_rkfile **fp)
{
	struct bg_rkfile *f;

	if (fp == NULL || (f = *fp) == NULL)
		return;
	signed_free(f->contrib, f->ncontrib);
	signed_free(f->accept, f->naccept);
	free(f->from);
	free(f->members);
	free(f->versions);
	free(f);
	*fp = NULL;
}

/* ================================================================ hash */

/* Each label length-prefixed, so the sequence parses one way. */
static int
hash_label(EVP_MD_CTX *md, const struct bg_label *l)
{
	uint8_t n[2] = { (uint8_t)(l->len >> 8), (uint8_t)l->len };

	if (bg_label_ok(l) != BG_OK)
		return BG_ETOOBIG;
	return EVP_DigestUpdate(md, n, 2) == 1 &&
	    EVP_DigestUpdate(md, l->b, l->len) == 1 ? BG_OK : BG_ECRYPTO;
}

static int
hash_body(EVP_MD_CTX *md, const uint8_t vault_id[16],
    const struct bg_rkfile *f)
{
	struct bg_label l;
	size_t i;
	int r;

	bg_label_init(&l, "breakglass/v2/rekey");
	bg_label_bin(&l, vault_id, 16);
	bg_label_str(&l, f->id);
	bg_label_str(&l, f->account);
	bg_label_str(&l, f->group);
	bg_label_u64(&l, f->t);
	bg_label_u64(&l, f->nfrom);
	bg_label_u64(&l, f->nmembers);
	bg_label_u64(&l, f->nversions);
	if ((r = hash_label(md, &l)) != BG_OK)
		return r;
	for (i = 0; i < f->nfrom && r == BG_OK; i++) {
		bg_label_init(&l, "from");
		bg_label_str(&l, f->from[i]);
		r = hash_label(md, &l);
	}
	for (i = 0; i < f->nmembers && r == BG_OK; i++) {
		bg_label_init(&l, "member");
		bg_label_str(&l, f->members[i].person);
		bg_label_u64(&l, f->members[i].x);
		r = hash_label(md, &l);
	}
	for (i = 0; i < f->nversions && r == BG_OK; i++) {
		const struct bg_rk_version *v = &f->versions[i];

		bg_label_init(&l, "version");
		bg_label_str(&l, v->item);
		bg_label_u64(&l, v->version);
		bg_label_u64(&l, v->epoch);
		bg_label_u64(&l, v->nslots);
		bg_label_bin(&l, v->root, 32);
		bg_label_bin(&l, v->from_x, f->nfrom);
		r = hash_label(md, &l);
	}
	return r;
}

int
bg_rkfile_hash(const uint8_t vault_id[16], const struct bg_rkfile *f,
    uint8_t h[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = BG_ECRYPTO;

	if (md == NULL)
		return BG_ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    (r = hash_body(md, vault_id, f)) == BG_OK)
		r = EVP_DigestFinal_ex(md, h, NULL) == 1 ? BG_OK : BG_ECRYPTO;
	EVP_MD_CTX_free(md);
	return r;
}

int
bg_rkfile_piece_label(const struct bg_rkfile *f, const uint8_t h[32],
    const char *from, const struct bg_rk_box *b, struct bg_label *l)
{
	const struct bg_rk_version *v;
	size_t m;

	if (b->v >= f->nversions)
		return BG_EINVAL;
	v = &f->versions[b->v];
	for (m = 0; m < f->nmembers; m++)
		if (strcmp(f->members[m].person, b->to) == 0)
			break;
	if (m == f->nmembers)
		return BG_EINVAL;
	bg_label_init(l, "breakglass/v2/rekey-piece");
	bg_label_bin(l, h, 32);
	bg_label_str(l, from);
	bg_label_str(l, b->to);
	bg_label_u64(l, f->members[m].x);
	bg_label_str(l, b->token);
	bg_label_str(l, f->account);
	bg_label_str(l, v->item);
	bg_label_u64(l, v->version);
	bg_label_u64(l, v->epoch + 1);
	return bg_label_ok(l);
}

/* ============================================================== writing */

static int
add_num(cJSON *o, const char *key, uint64_t n)
{
	return cJSON_AddNumberToObject(o, key, (double)n) ? BG_OK : BG_ENOMEM;
}

static int
boxes_to_json(const struct bg_rk_signed *s, cJSON *o)
{
	cJSON *arr, *e;
	size_t i;
	int r;

	if ((arr = cJSON_AddArrayToObject(o, "boxes")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < s->nboxes; i++)
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "to", s->boxes[i].to) ||
		    !cJSON_AddStringToObject(e, "token", s->boxes[i].token) ||
		    (r = add_num(e, "v", s->boxes[i].v)) != BG_OK ||
		    (r = bg_vjson_add_b64(e, "box", s->boxes[i].box,
		    s->boxes[i].len)) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

static int
signed_to_json(const struct bg_rk_signed *s, size_t n, cJSON *arr)
{
	cJSON *e;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "person", s[i].person) ||
		    !cJSON_AddStringToObject(e, "token", s[i].token) ||
		    (r = bg_vjson_add_b64(e, "signature", s[i].sig,
		    sizeof(s[i].sig))) != BG_OK ||
		    (r = boxes_to_json(&s[i], e)) != BG_OK)
			return BG_ENOMEM;
	}
	return BG_OK;
}

static int
versions_to_json(const struct bg_rkfile *f, cJSON *arr)
{
	char root[65];
	cJSON *e, *xs, *x;
	size_t i, k;
	int r;

	for (i = 0; i < f->nversions; i++) {
		const struct bg_rk_version *v = &f->versions[i];

		bg_hex_encode(v->root, 32, root, sizeof(root));
		if ((r = bg_vjson_push_obj(arr, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "item", v->item) ||
		    add_num(e, "version", v->version) != BG_OK ||
		    add_num(e, "epoch", v->epoch) != BG_OK ||
		    add_num(e, "slots", v->nslots) != BG_OK ||
		    !cJSON_AddStringToObject(e, "commitments", root) ||
		    (xs = cJSON_AddArrayToObject(e, "from_x")) == NULL)
			return BG_ENOMEM;
		for (k = 0; k < f->nfrom; k++)
			if ((x = cJSON_CreateNumber(v->from_x[k])) == NULL ||
			    !cJSON_AddItemToArray(xs, x)) {
				cJSON_Delete(x);
				return BG_ENOMEM;
			}
	}
	return BG_OK;
}

static int
people_to_json(const struct bg_rkfile *f, cJSON *j)
{
	cJSON *from, *members, *e;
	size_t i;
	int r;

	if ((from = cJSON_AddArrayToObject(j, "from")) == NULL ||
	    (members = cJSON_AddArrayToObject(j, "members")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->nfrom; i++)
		if ((e = cJSON_CreateString(f->from[i])) == NULL ||
		    !cJSON_AddItemToArray(from, e)) {
			cJSON_Delete(e);
			return BG_ENOMEM;
		}
	for (i = 0; i < f->nmembers; i++)
		if ((r = bg_vjson_push_obj(members, &e)) != BG_OK ||
		    !cJSON_AddStringToObject(e, "person",
		    f->members[i].person) ||
		    add_num(e, "x", f->members[i].x) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

static int
fill(const struct bg_rkfile *f, cJSON *j)
{
	cJSON *arr;
	int r;

	if (!cJSON_AddStringToObject(j, "format", BG_RKFILE_FORMAT) ||
	    !cJSON_AddStringToObject(j, "id", f->id) ||
	    !cJSON_AddStringToObject(j, "account", f->account) ||
	    !cJSON_AddStringToObject(j, "group", f->group) ||
	    !cJSON_AddStringToObject(j, "opened_by", f->opened_by) ||
	    (r = bg_vjson_add_time(j, "opened", f->opened)) != BG_OK ||
	    (r = bg_vjson_add_time(j, "closed", f->closed)) != BG_OK ||
	    !cJSON_AddStringToObject(j, "outcome", f->outcome) ||
	    add_num(j, "threshold", f->t) != BG_OK ||
	    (r = people_to_json(f, j)) != BG_OK ||
	    (arr = cJSON_AddArrayToObject(j, "versions")) == NULL ||
	    (r = versions_to_json(f, arr)) != BG_OK ||
	    (arr = cJSON_AddArrayToObject(j, "contributions")) == NULL ||
	    (r = signed_to_json(f->contrib, f->ncontrib, arr)) != BG_OK ||
	    (arr = cJSON_AddArrayToObject(j, "acceptances")) == NULL)
		return BG_ENOMEM;
	return signed_to_json(f->accept, f->naccept, arr);
}

static int
fill_any(const void *f, cJSON *j)
{
	return fill(f, j);
}

int
bg_rkfile_to_json(const struct bg_rkfile *f, cJSON **j)
{
	return bg_vjson_build(fill_any, f, j);
}

/* ============================================================== reading */

static int
bad(const char *what)
{
	bg_set_why("rekey file: %s", what);
	return BG_EFORMAT;
}

static int
read_name(const cJSON *e, const char *key, char out[BG_NAME_MAX + 1])
{
	return bg_vjson_get_name(e, key, out) == BG_OK ? BG_OK : bad(key);
}

static int
read_hex(const cJSON *e, const char *key, size_t n, uint8_t *out,
    char *text)
{
	const char *s;

	if (bg_json_get_str(e, key, 2 * n, &s) != BG_OK ||
	    strlen(s) != 2 * n || bg_hex_decode_exact(s, 2 * n, out, n) != BG_OK)
		return bad(key);
	if (text != NULL)
		memcpy(text, s, 2 * n + 1);
	return BG_OK;
}

struct rd_signed {
	const struct bg_rkfile *f;
	struct bg_rk_signed *s;
};

static int
read_box(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "to", "token", "v", "box", NULL };
	struct rd_signed *rs = ctx;
	struct bg_rk_box *b = &rs->s->boxes[i];
	uint8_t raw[BG_TOKEN_ID_LEN];
	const char *s = NULL;
	uint64_t v;
	size_t max;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    read_name(e, "to", b->to) != BG_OK ||
	    read_hex(e, "token", BG_TOKEN_ID_LEN, raw, b->token) != BG_OK ||
	    rs->f->nversions == 0 ||
	    bg_json_get_u64(e, "v", 0, rs->f->nversions - 1, &v) != BG_OK)
		return bad("a box's recipient, token or version");
	b->v = (size_t)v;
	max = BG_V2_BOX_LEN(rs->f->versions[b->v].nslots);
	if (bg_json_get_str(e, "box", bg_b64_len(max), &s) != BG_OK ||
	    (b->box = malloc(max)) == NULL)
		return s == NULL ? bad("a box") : BG_ENOMEM;
	if (bg_b64_decode(s, strlen(s), b->box, max, &b->len) != BG_OK ||
	    b->len != max)
		return bad("a box of the wrong length");
	return BG_OK;
}

static int
read_signed(const cJSON *e, const struct bg_rkfile *f, struct bg_rk_signed *s)
{
	static const char *const keys[] = { "person", "token", "signature",
	    "boxes", NULL };
	struct rd_signed rs = { f, s };
	const cJSON *arr;
	uint8_t raw[BG_TOKEN_ID_LEN];
	size_t n;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    read_name(e, "person", s->person) != BG_OK ||
	    read_hex(e, "token", BG_TOKEN_ID_LEN, raw, s->token) != BG_OK ||
	    bg_json_get_b64(e, "signature", s->sig, sizeof(s->sig)) != BG_OK)
		return bad("a contribution's person, token or signature");
	if (bg_json_get_array(e, "boxes", &arr) != BG_OK)
		return bad("boxes");
	n = (size_t)cJSON_GetArraySize(arr);
	if ((s->boxes = calloc(n + 1, sizeof(*s->boxes))) == NULL)
		return BG_ENOMEM;
	return bg_vjson_each(e, "boxes", f->nversions * BG_SHAMIR_MAX *
	    BG_VAULT_TOKENS_MAX, "boxes", read_box, &rs, &s->nboxes);
}

int
bg_rk_signed_to_json(const struct bg_rk_signed *s, cJSON **j)
{
	cJSON *arr = cJSON_CreateArray();
	int r;

	*j = NULL;
	if (arr == NULL)
		return BG_ENOMEM;
	if ((r = signed_to_json(s, 1, arr)) == BG_OK &&
	    (*j = cJSON_DetachItemFromArray(arr, 0)) == NULL)
		r = BG_ENOMEM;
	cJSON_Delete(arr);
	return r;
}

int
bg_rk_signed_from_json(const cJSON *j, const struct bg_rkfile *f,
    struct bg_rk_signed *s)
{
	return read_signed(j, f, s);
}

static int
read_contrib(void *ctx, const cJSON *e, size_t i)
{
	struct bg_rkfile *f = ctx;

	return read_signed(e, f, &f->contrib[i]);
}

static int
read_accept(void *ctx, const cJSON *e, size_t i)
{
	struct bg_rkfile *f = ctx;

	return read_signed(e, f, &f->accept[i]);
}

static int
read_member(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "person", "x", NULL };
	struct bg_rkfile *f = ctx;
	uint64_t x;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    read_name(e, "person", f->members[i].person) != BG_OK ||
	    bg_json_get_u64(e, "x", i + 1, i + 1, &x) != BG_OK)
		return bad("members: person and x = 1..n in order");
	f->members[i].x = (uint8_t)x;
	return BG_OK;
}

static int
read_from_x(const cJSON *e, const struct bg_rkfile *f,
    struct bg_rk_version *v)
{
	const cJSON *arr, *x;
	size_t i = 0, k;

	if (bg_json_get_array(e, "from_x", &arr) != BG_OK ||
	    (size_t)cJSON_GetArraySize(arr) != f->nfrom)
		return bad("from_x: one x per holder");
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsNumber(x) || x->valuedouble < 1 ||
		    x->valuedouble > BG_SHAMIR_MAX ||
		    x->valuedouble != (double)(int)x->valuedouble)
			return bad("from_x: 1..255");
		v->from_x[i] = (uint8_t)x->valuedouble;
		for (k = 0; k < i; k++)
			if (v->from_x[k] == v->from_x[i])
				return bad("from_x: repeated");
		i++;
	}
	return BG_OK;
}

static int
read_version(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "item", "version", "epoch",
	    "slots", "commitments", "from_x", NULL };
	struct bg_rkfile *f = ctx;
	struct bg_rk_version *v = &f->versions[i];
	uint64_t n;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    read_name(e, "item", v->item) != BG_OK ||
	    bg_json_get_u64(e, "version", 1, BG_JSON_INT_MAX,
	    &v->version) != BG_OK ||
	    bg_json_get_u64(e, "epoch", 1, BG_JSON_INT_MAX - 1,
	    &v->epoch) != BG_OK ||
	    bg_json_get_u64(e, "slots", 1, BG_SLOTS_MAX, &n) != BG_OK ||
	    read_hex(e, "commitments", 32, v->root, NULL) != BG_OK)
		return bad("a version's item, version, epoch, slots or "
		    "commitments");
	v->nslots = (uint32_t)n;
	return read_from_x(e, f, v);
}

static int
read_from(const cJSON *j, struct bg_rkfile *f)
{
	const cJSON *arr, *x;
	size_t i = 0, k, n;

	if (bg_json_get_array(j, "from", &arr) != BG_OK ||
	    (n = (size_t)cJSON_GetArraySize(arr)) < 2 || n > BG_SHAMIR_MAX)
		return bad("from: 2..255 holders");
	if ((f->from = calloc(n, sizeof(*f->from))) == NULL)
		return BG_ENOMEM;
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsString(x) || !bg_name_valid(x->valuestring))
			return bad("from: names");
		snprintf(f->from[i], sizeof(f->from[i]), "%s", x->valuestring);
		for (k = 0; k < i; k++)
			if (bg_name_same(f->from[k], f->from[i]))
				return bad("from: a holder repeated");
		i++;
	}
	f->nfrom = n;
	return BG_OK;
}

static void *
alloc_array(const cJSON *j, const char *key, size_t el)
{
	const cJSON *arr;
	int n = 0;

	if (bg_json_get_array(j, key, &arr) == BG_OK)
		n = cJSON_GetArraySize(arr);
	return calloc((size_t)n + 1, el);
}

static int
read_head(const cJSON *j, struct bg_rkfile *f)
{
	const char *s;
	uint8_t raw[BG_RK_ID_LEN / 2];
	uint64_t t;

	if (bg_json_get_str(j, "format", 32, &s) != BG_OK ||
	    strcmp(s, BG_RKFILE_FORMAT) != 0)
		return bad("not " BG_RKFILE_FORMAT);
	if (read_hex(j, "id", sizeof(raw), raw, f->id) != BG_OK ||
	    bg_json_get_str(j, "account", BG_ACCOUNT_MAX, &s) != BG_OK ||
	    !bg_account_valid(s))
		return bad("id or account");
	memcpy(f->account, s, strlen(s) + 1);
	if (read_name(j, "group", f->group) != BG_OK ||
	    read_name(j, "opened_by", f->opened_by) != BG_OK ||
	    bg_vjson_get_time(j, "opened", 0, &f->opened, "rekey") != BG_OK ||
	    bg_vjson_get_time(j, "closed", 1, &f->closed, "rekey") != BG_OK ||
	    bg_json_get_str(j, "outcome", sizeof(f->outcome) - 1, &s) != BG_OK)
		return bad("group, opened_by, opened, closed or outcome");
	if (strcmp(s, "") != 0 && strcmp(s, "done") != 0 &&
	    strcmp(s, "failed") != 0)
		return bad("outcome: \"\", \"done\" or \"failed\"");
	if ((*s == '\0') != (f->closed == 0))
		return bad("closed and outcome disagree");
	memcpy(f->outcome, s, strlen(s) + 1);
	if (bg_json_get_u64(j, "threshold", 2, BG_SHAMIR_MAX, &t) != BG_OK)
		return bad("threshold (2..255)");
	f->t = (unsigned)t;
	return read_from(j, f);
}

static int
read_all(const cJSON *j, struct bg_rkfile *f)
{
	static const char *const keys[] = { "format", "id", "account",
	    "group", "opened_by", "opened", "closed", "outcome", "threshold",
	    "from", "members", "versions", "contributions", "acceptances",
	    NULL };
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK)
		return bad("unknown, missing or repeated key");
	if ((r = read_head(j, f)) != BG_OK)
		return r;
	if ((f->members = alloc_array(j, "members", sizeof(*f->members))) ==
	    NULL || (f->versions = alloc_array(j, "versions",
	    sizeof(*f->versions))) == NULL || (f->contrib = alloc_array(j,
	    "contributions", sizeof(*f->contrib))) == NULL ||
	    (f->accept = alloc_array(j, "acceptances",
	    sizeof(*f->accept))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_vjson_each(j, "members", BG_SHAMIR_MAX, "members",
	    read_member, f, &f->nmembers)) != BG_OK ||
	    (r = bg_vjson_each(j, "versions", BG_RK_VERSIONS_MAX, "versions",
	    read_version, f, &f->nversions)) != BG_OK ||
	    (r = bg_vjson_each(j, "contributions", f->nfrom, "contributions",
	    read_contrib, f, &f->ncontrib)) != BG_OK ||
	    (r = bg_vjson_each(j, "acceptances", f->nmembers, "acceptances",
	    read_accept, f, &f->naccept)) != BG_OK)
		return r;
	if (f->nmembers < f->t || f->nversions == 0)
		return bad("fewer members than the threshold, or no version");
	return BG_OK;
}

int
bg_rkfile_from_json(const cJSON *j, struct bg_rkfile **out)
{
	struct bg_rkfile *f;
	int r;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return BG_ENOMEM;
	if ((r = read_all(j, f)) != BG_OK) {
		bg_rkfile_free(&f);
		return r;
	}
	*out = f;
	return BG_OK;
}
