/* vault.json: the strict JSON form of struct bg_vault (vault.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/vault/vault.h"

static const char *const kind_names[] = { "", "password", "totp", "note" };

const char *
bg_item_kind_str(enum bg_item_kind kind)
{
	return kind >= BG_ITEM_PASSWORD && kind <= BG_ITEM_NOTE ?
	    kind_names[kind] : "?";
}

/* ============================================================== writing */

int
bg_vjson_add_b64(cJSON *o, const char *key, const uint8_t *data, size_t len)
{
	size_t n = bg_b64_len(len);
	char *s = malloc(n);
	int r = BG_ENOMEM;

	if (s != NULL && (r = bg_b64_encode(data, len, s, n)) == BG_OK)
		r = cJSON_AddStringToObject(o, key, s) ? BG_OK : BG_ENOMEM;
	free(s);
	return r;
}

int
bg_vjson_add_time(cJSON *o, const char *key, uint64_t t)
{
	char ts[BG_RFC3339_LEN + 1] = "";

	if (t != 0 && bg_rfc3339_format(t, ts) != BG_OK)
		return BG_ERANGE;
	return cJSON_AddStringToObject(o, key, ts) ? BG_OK : BG_ENOMEM;
}

static int
add_num(cJSON *o, const char *key, uint64_t n)
{
	return cJSON_AddNumberToObject(o, key, (double)n) ? BG_OK : BG_ENOMEM;
}

int
bg_vjson_get_name(const cJSON *o, const char *key, char out[BG_NAME_MAX + 1])
{
	const char *s;

	if (bg_json_get_str(o, key, BG_NAME_MAX, &s) != BG_OK ||
	    !bg_name_valid(s))
		return BG_EFORMAT;
	memcpy(out, s, strlen(s) + 1);
	return BG_OK;
}

int
bg_vjson_build(int (*fill)(const void *obj, cJSON *j), const void *obj,
    cJSON **j)
{
	int r;

	if ((*j = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = fill(obj, *j)) != BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
	}
	return r;
}

/* Appends a new object to array; *o is it (owned by the array). */
int
bg_vjson_push_obj(cJSON *array, cJSON **o)
{
	if ((*o = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if (!cJSON_AddItemToArray(array, *o)) {
		cJSON_Delete(*o);
		return BG_ENOMEM;
	}
	return BG_OK;
}

static int
person_to_json(const struct bg_vault_person *p, cJSON *o)
{
	cJSON *toks, *t;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(o, "name", p->name) ||
	    !cJSON_AddBoolToObject(o, "requester", p->requester) ||
	    (toks = cJSON_AddArrayToObject(o, "tokens")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < p->ntokens; i++) {
		if ((r = bg_token_desc_to_json(p->tokens[i], &t)) != BG_OK)
			return r;
		if (!cJSON_AddItemToArray(toks, t)) {
			cJSON_Delete(t);
			return BG_ENOMEM;
		}
	}
	return BG_OK;
}

static int
member_to_json(const struct bg_v2_member *m, uint32_t nslots, cJSON *o)
{
	cJSON *boxes, *b;
	size_t t;
	int r;

	if (!cJSON_AddStringToObject(o, "person", m->person) ||
	    (r = add_num(o, "x", m->x)) != BG_OK ||
	    (boxes = cJSON_AddArrayToObject(o, "boxes")) == NULL)
		return BG_ENOMEM;
	for (t = 0; t < m->ntokens; t++)
		if ((r = bg_vjson_push_obj(boxes, &b)) != BG_OK ||
		    !cJSON_AddStringToObject(b, "token", m->token[t]) ||
		    (r = bg_vjson_add_b64(b, "box", m->box[t],
		    BG_V2_BOX_LEN(nslots))) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

static int
group_to_json(const struct bg_v2_group *g, uint32_t nslots, cJSON *o)
{
	cJSON *members, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(o, "name", g->name) ||
	    (r = add_num(o, "threshold", g->t)) != BG_OK ||
	    (r = add_num(o, "epoch", g->epoch)) != BG_OK ||
	    (members = cJSON_AddArrayToObject(o, "members")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < g->n; i++)
		if ((r = bg_vjson_push_obj(members, &e)) != BG_OK ||
		    (r = member_to_json(&g->m[i], nslots, e)) != BG_OK)
			return r;
	return BG_OK;
}

static int
item_to_json(const struct bg_vault_item *it, cJSON *o)
{
	const struct bg_v2_version *ver = it->ver;
	char root[65];
	cJSON *groups, *g;
	size_t i;
	int r;

	bg_hex_encode(ver->root, 32, root, sizeof(root));
	if (!cJSON_AddStringToObject(o, "name", it->name) ||
	    !cJSON_AddStringToObject(o, "kind", bg_item_kind_str(it->kind)) ||
	    (r = add_num(o, "version", it->version)) != BG_OK ||
	    (r = bg_vjson_add_time(o, "sealed", it->sealed)) != BG_OK ||
	    !cJSON_AddStringToObject(o, "sealer", it->sealer) ||
	    !cJSON_AddStringToObject(o, "sealer_token", it->sealer_token) ||
	    (r = bg_vjson_add_b64(o, "signature", it->sig,
	    sizeof(it->sig))) != BG_OK ||
	    (r = add_num(o, "epoch", ver->epoch)) != BG_OK ||
	    (r = add_num(o, "slots", ver->nslots)) != BG_OK ||
	    !cJSON_AddStringToObject(o, "commitments", root) ||
	    (r = bg_vjson_add_b64(o, "data", ver->data,
	    ver->data_len)) != BG_OK ||
	    (groups = cJSON_AddArrayToObject(o, "groups")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < ver->ng; i++)
		if ((r = bg_vjson_push_obj(groups, &g)) != BG_OK ||
		    (r = group_to_json(&ver->g[i], ver->nslots, g)) != BG_OK)
			return r;
	return BG_OK;
}

static int
account_to_json(const struct bg_vault_account *a, cJSON *o)
{
	cJSON *items, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(o, "id", a->id) ||
	    !cJSON_AddStringToObject(o, "name", a->name) ||
	    !cJSON_AddStringToObject(o, "root_email", a->email) ||
	    (items = cJSON_AddArrayToObject(o, "items")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < a->nitems; i++)
		if ((r = bg_vjson_push_obj(items, &e)) != BG_OK ||
		    (r = item_to_json(&a->items[i], e)) != BG_OK)
			return r;
	return BG_OK;
}

static int
vault_fill_json(const struct bg_vault *v, cJSON *j)
{
	cJSON *pol = NULL, *people, *accounts, *e;
	size_t i;
	int r;

	if (!cJSON_AddStringToObject(j, "format", BG_VAULT_FORMAT) ||
	    !cJSON_AddStringToObject(j, "vault", v->id_hex) ||
	    (r = bg_vjson_add_time(j, "created", v->created)) != BG_OK ||
	    (v->production && !cJSON_AddStringToObject(j, "deployment",
	    "production")))
		return BG_ENOMEM;
	if ((r = bg_policy_to_json(v->policy, &pol)) != BG_OK ||
	    (r = bg_json_add(j, "policy", pol)) != BG_OK)
		return r;
	if ((people = cJSON_AddArrayToObject(j, "people")) == NULL ||
	    (accounts = cJSON_AddArrayToObject(j, "accounts")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < v->npeople; i++)
		if ((r = bg_vjson_push_obj(people, &e)) != BG_OK ||
		    (r = person_to_json(&v->people[i], e)) != BG_OK)
			return r;
	for (i = 0; i < v->naccounts; i++)
		if ((r = bg_vjson_push_obj(accounts, &e)) != BG_OK ||
		    (r = account_to_json(&v->accounts[i], e)) != BG_OK)
			return r;
	return BG_OK;
}

int
bg_vault_to_json(const struct bg_vault *v, cJSON **j)
{
	int r;

	if ((*j = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = vault_fill_json(v, *j)) != BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
	}
	return r;
}

/* ============================================================== reading */

/* Each reader below fails with BG_EFORMAT and bg_why() naming the place. */
static int
bad(const char *where, const char *what)
{
	bg_set_why("vault.json: %s: %s", where, what);
	return BG_EFORMAT;
}

static int
get_name(const cJSON *o, const char *key, char *out, size_t outsz,
    int (*valid)(const char *), const char *where)
{
	const char *s;

	if (bg_json_get_str(o, key, outsz - 1, &s) != BG_OK || !valid(s))
		return bad(where, key);
	memcpy(out, s, strlen(s) + 1);
	return BG_OK;
}

int
bg_vjson_get_time(const cJSON *o, const char *key, int optional, uint64_t *t,
    const char *where)
{
	const char *s;

	*t = 0;
	if (bg_json_get_str(o, key, BG_RFC3339_LEN, &s) != BG_OK)
		return bad(where, key);
	if (s[0] == '\0' && optional)
		return BG_OK;
	if (bg_rfc3339_parse(s, strlen(s), t) != BG_OK || *t == 0)
		return bad(where, key);
	return BG_OK;
}

/* Calls fn for each object of array key (at most max). */
int
bg_vjson_each(const cJSON *o, const char *key, size_t max, const char *where,
    int (*fn)(void *ctx, const cJSON *e, size_t i), void *ctx, size_t *n)
{
	const cJSON *arr, *e;
	size_t i = 0;
	int r;

	if (bg_json_get_array(o, key, &arr) != BG_OK)
		return bad(where, key);
	if ((size_t)cJSON_GetArraySize(arr) > max)
		return bad(where, "too many entries");
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsObject(e))
			return bad(where, key);
		if (n != NULL)	/* counted first: freeing sees a partial one */
			*n = i + 1;
		if ((r = fn(ctx, e, i)) != BG_OK)
			return r;
		i++;
	}
	return BG_OK;
}

static void *
alloc_array(const cJSON *o, const char *key, size_t elsize)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key);
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;

	return calloc(n > 0 ? (size_t)n : 1, elsize);
}

static int
read_token(void *ctx, const cJSON *e, size_t i)
{
	struct bg_vault_person *p = ctx;

	if (bg_token_desc_from_json(e, &p->tokens[i]) != BG_OK)
		return bad(p->name, "a token descriptor");
	p->ntokens = i + 1;
	return BG_OK;
}

static int
read_person(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "name", "requester", "tokens",
	    NULL };
	struct bg_vault_person *p = &((struct bg_vault *)ctx)->people[i];

	if (bg_json_only_keys(e, keys) != BG_OK)
		return bad("people", "unknown or repeated key");
	if (get_name(e, "name", p->name, sizeof(p->name), bg_name_valid,
	    "people") != BG_OK || bg_json_get_bool(e, "requester",
	    &p->requester) != BG_OK)
		return bad("people", "name or requester");
	return bg_vjson_each(e, "tokens", BG_VAULT_TOKENS_MAX, p->name, read_token, p,
	    NULL);
}

/* A member's box: its token and bytes (member, with the slot count). */
struct rd_member {
	struct bg_v2_member *m;
	uint32_t nslots;
};

static int
read_box(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "token", "box", NULL };
	struct rd_member *rm = ctx;
	struct bg_v2_member *m = rm->m;
	size_t len = BG_V2_BOX_LEN(rm->nslots), n;
	const char *tok, *box;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    bg_json_get_str(e, "token", 2 * BG_TOKEN_ID_LEN, &tok) != BG_OK ||
	    strlen(tok) != 2 * BG_TOKEN_ID_LEN ||
	    bg_json_get_str(e, "box", bg_b64_len(len), &box) != BG_OK)
		return bad(m->person, "a box");
	memcpy(m->token[i], tok, sizeof(m->token[i]));
	if ((m->box[i] = malloc(len)) == NULL)
		return BG_ENOMEM;
	m->ntokens = i + 1;
	if (bg_b64_decode(box, strlen(box), m->box[i], len, &n) != BG_OK ||
	    n != len)
		return bad(m->person, "a box of the wrong length");
	return BG_OK;
}

struct rd_group {
	struct bg_v2_group *g;
	uint32_t nslots;
};

static int
read_member(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "person", "x", "boxes", NULL };
	struct rd_group *rg = ctx;
	struct rd_member rm = { &rg->g->m[i], rg->nslots };
	uint64_t x;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    get_name(e, "person", rm.m->person, sizeof(rm.m->person),
	    bg_name_valid, "members") != BG_OK ||
	    bg_json_get_u64(e, "x", 1, BG_SHAMIR_MAX, &x) != BG_OK)
		return bad(rg->g->name, "a member's person or x");
	rm.m->x = (uint8_t)x;
	return bg_vjson_each(e, "boxes", BG_VAULT_TOKENS_MAX, rm.m->person,
	    read_box, &rm, NULL);
}

static int
read_group(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "name", "threshold", "epoch",
	    "members", NULL };
	struct bg_v2_version *ver = ctx;
	struct rd_group rg = { &ver->g[i], ver->nslots };
	uint64_t t;

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    get_name(e, "name", rg.g->name, sizeof(rg.g->name),
	    bg_name_valid, "groups") != BG_OK ||
	    bg_json_get_u64(e, "threshold", 2, BG_SHAMIR_MAX, &t) != BG_OK)
		return bad(ver->item, "a group's name or threshold (2..255)");
	if (bg_json_get_u64(e, "epoch", ver->epoch, BG_JSON_INT_MAX,
	    &rg.g->epoch) != BG_OK)
		return bad(ver->item, "a group's epoch (at least the item's)");
	rg.g->t = (unsigned)t;
	if ((rg.g->m = alloc_array(e, "members", sizeof(*rg.g->m))) == NULL)
		return BG_ENOMEM;
	return bg_vjson_each(e, "members", BG_SHAMIR_MAX, rg.g->name,
	    read_member, &rg, &rg.g->n);
}

static int
read_kind(const cJSON *e, enum bg_item_kind *kind)
{
	const char *s;
	int k;

	if (bg_json_get_str(e, "kind", 16, &s) != BG_OK)
		return BG_EFORMAT;
	for (k = BG_ITEM_PASSWORD; k <= BG_ITEM_NOTE; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*kind = (enum bg_item_kind)k;
			return BG_OK;
		}
	return BG_EFORMAT;
}

static int
read_seal(const cJSON *e, struct bg_vault_item *it)
{
	const char *tok;

	if (get_name(e, "sealer", it->sealer, sizeof(it->sealer),
	    bg_name_valid, it->name) != BG_OK ||
	    bg_json_get_str(e, "sealer_token", 2 * BG_TOKEN_ID_LEN,
	    &tok) != BG_OK || strlen(tok) != 2 * BG_TOKEN_ID_LEN ||
	    bg_json_get_b64(e, "signature", it->sig, sizeof(it->sig)) != BG_OK)
		return bad(it->name, "sealer, sealer_token or signature");
	memcpy(it->sealer_token, tok, sizeof(it->sealer_token));
	return BG_OK;
}

/* The version record; its coordinates are the enclosing item's. */
static int
read_version(const cJSON *e, const char *account, struct bg_vault_item *it)
{
	struct bg_v2_version *ver;
	const char *root, *data;
	size_t max = BG_VAULT_ITEM_MAX + 28;
	uint64_t n;

	if ((ver = it->ver = calloc(1, sizeof(*ver))) == NULL)
		return BG_ENOMEM;
	snprintf(ver->account, sizeof(ver->account), "%s", account);
	snprintf(ver->item, sizeof(ver->item), "%s", it->name);
	ver->version = it->version;
	if (bg_json_get_u64(e, "epoch", 1, BG_JSON_INT_MAX, &ver->epoch) ||
	    bg_json_get_u64(e, "slots", 1, BG_SLOTS_MAX, &n) != BG_OK)
		return bad(it->name, "epoch or slots");
	ver->nslots = (uint32_t)n;
	if (bg_json_get_str(e, "commitments", 64, &root) != BG_OK ||
	    strlen(root) != 64 ||
	    bg_hex_decode_exact(root, 64, ver->root, 32) != BG_OK)
		return bad(it->name, "commitments (64 hex digits)");
	if (bg_json_get_str(e, "data", 2 * max, &data) != BG_OK)
		return bad(it->name, "data");
	if ((ver->data = malloc(max)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_decode(data, strlen(data), ver->data, max,
	    &ver->data_len) != BG_OK || ver->data_len < 28)
		return bad(it->name, "data");
	return bg_vjson_each(e, "groups", BG_SLOT_GROUPS_MAX, it->name,
	    read_group, ver, &ver->ng);
}

static int
read_item(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "name", "kind", "version",
	    "sealed", "sealer", "sealer_token", "signature", "epoch", "slots",
	    "commitments", "data", "groups", NULL };
	struct bg_vault_account *a = ctx;
	struct bg_vault_item *it = &a->items[i];

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    get_name(e, "name", it->name, sizeof(it->name), bg_name_valid,
	    "items") != BG_OK || read_kind(e, &it->kind) != BG_OK ||
	    bg_json_get_u64(e, "version", 1, BG_JSON_INT_MAX, &it->version) ||
	    bg_vjson_get_time(e, "sealed", 0, &it->sealed, it->name) != BG_OK)
		return bad("items", "name, kind, version or sealed");
	if (read_seal(e, it) != BG_OK)
		return BG_EFORMAT;
	return read_version(e, a->id, it);
}

int
bg_vault_item_from_json(const cJSON *j, const char *account,
    struct bg_vault_item *it)
{
	struct bg_vault_account a;
	int r;

	memset(&a, 0, sizeof(a));
	memset(it, 0, sizeof(*it));
	snprintf(a.id, sizeof(a.id), "%s", account);
	a.items = it;
	if ((r = read_item(&a, j, 0)) != BG_OK)
		bg_v2_version_free(&it->ver);
	return r;
}

int
bg_vault_item_to_json(const struct bg_vault_item *it, cJSON **j)
{
	int r;

	if ((*j = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = item_to_json(it, *j)) != BG_OK) {
		cJSON_Delete(*j);
		*j = NULL;
	}
	return r;
}

static int
read_account(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "id", "name", "root_email",
	    "items", NULL };
	struct bg_vault_account *a = &((struct bg_vault *)ctx)->accounts[i];

	if (bg_json_only_keys(e, keys) != BG_OK ||
	    get_name(e, "id", a->id, sizeof(a->id), bg_account_valid,
	    "accounts") != BG_OK ||
	    get_name(e, "name", a->name, sizeof(a->name),
	    bg_vault_account_name_valid, a->id) != BG_OK ||
	    get_name(e, "root_email", a->email, sizeof(a->email),
	    bg_vault_email_valid, a->id) != BG_OK)
		return bad("accounts", "id, name or root_email");
	if ((a->items = alloc_array(e, "items", sizeof(*a->items))) == NULL)
		return BG_ENOMEM;
	return bg_vjson_each(e, "items", BG_POLICY_ITEMS_MAX, a->id, read_item, a,
	    &a->nitems);
}

static int
read_top(const cJSON *j, struct bg_vault *v)
{
	static const char *const keys[] = { "format", "vault", "created",
	    "deployment", "policy", "people", "accounts", NULL };
	const cJSON *pol;
	const char *s;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK)
		return bad("top level", "unknown, missing or repeated key");
	if (bg_json_get_str(j, "format", 64, &s) == BG_OK &&
	    strcmp(s, "breakglass-vault-v1") == 0) {
		bg_set_why("vault.json is of format breakglass-vault-v1, whose "
		    "approvals could be pooled offline (docs/design.md 5.1); "
		    "this version does not read it: set the vault up again "
		    "with 'breakglass init' in a new state directory and seal "
		    "fresh root credentials");
		return BG_EFORMAT;
	}
	if (bg_json_get_str(j, "format", 64, &s) != BG_OK ||
	    strcmp(s, BG_VAULT_FORMAT) != 0)
		return bad("format", "not " BG_VAULT_FORMAT);
	if (bg_json_get_str(j, "vault", 32, &s) != BG_OK || strlen(s) != 32 ||
	    bg_hex_decode_exact(s, 32, v->id, 16) != BG_OK)
		return bad("vault", "not 32 hex digits");
	bg_hex_encode(v->id, 16, v->id_hex, sizeof(v->id_hex));
	if (strcmp(s, v->id_hex) != 0)
		return bad("vault", "not lower-case hex");
	if ((r = bg_vjson_get_time(j, "created", 0, &v->created, "created")) != BG_OK)
		return r;
	if ((r = bg_json_get_str(j, "deployment", 16, &s)) == BG_OK &&
	    strcmp(s, "production") == 0)
		v->production = 1;
	else if (r != BG_ENOENT)
		return bad("deployment", "not \"production\"");
	if (bg_json_get_obj(j, "policy", &pol) != BG_OK ||
	    bg_policy_from_json(pol, &v->policy) != BG_OK) {
		char why[256];	/* bad() writes the buffer bg_why reads */

		snprintf(why, sizeof(why), "%s", bg_why());
		return bad("policy", why);
	}
	if ((v->people = alloc_array(j, "people", sizeof(*v->people))) == NULL ||
	    (v->accounts = alloc_array(j, "accounts",
	    sizeof(*v->accounts))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_vjson_each(j, "people", BG_VAULT_PEOPLE_MAX, "people", read_person,
	    v, &v->npeople)) != BG_OK)
		return r;
	return bg_vjson_each(j, "accounts", BG_VAULT_ACCOUNTS_MAX, "accounts",
	    read_account, v, &v->naccounts);
}

int
bg_vault_from_json(const cJSON *j, struct bg_vault **out)
{
	struct bg_vault *v;
	int r;

	*out = NULL;
	if (!cJSON_IsObject(j))
		return bad("top level", "not an object");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return BG_ENOMEM;
	if ((r = read_top(j, v)) == BG_OK)
		r = bg_vault_check(v);
	if (r != BG_OK) {
		bg_vault_free(&v);
		return r;
	}
	*out = v;
	return BG_OK;
}
