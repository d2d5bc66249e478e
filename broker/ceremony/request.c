/*
 * request (ceremony.h, docs/design.md §5.2): the requester asks for items
 * of an account; the broker picks each item's lowest free slot and makes
 * the request text; the requester's client makes the request key, seals
 * its private half to the requester's own tokens and signs the text with
 * a touch; the broker checks it all again and records request.open. In a
 * rehearsal the three steps run in one process; with breakglassd the
 * middle one runs in the client, and the request key never leaves it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/ceremony/internal.h"



/* Default items: the account's root-password and root-mfa. */
static size_t
default_items(const struct bg_vault_account *a, const char **items)
{
	size_t n = 0;

	if (bg_vault_item(a, "root-mfa") != NULL)
		items[n++] = "root-mfa";
	if (bg_vault_item(a, "root-password") != NULL)
		items[n++] = "root-password";
	return n;
}

static int
check_items(const struct bg_vault_account *a, const char *const *items,
    size_t n)
{
	size_t i;

	if (n == 0) {
		bg_set_why("account %s has nothing sealed to ask for", a->id);
		return BG_ENOENT;
	}
	if (n > BG_POLICY_ITEMS_MAX) {
		bg_set_why("too many items");
		return BG_ETOOBIG;
	}
	for (i = 0; i < n; i++)
		if (bg_vault_item(a, items[i]) == NULL) {
			bg_set_why("account %s has no sealed item '%s'", a->id,
			    items[i]);
			return BG_ENOENT;
		}
	return BG_OK;
}

/* The lowest slot of the version neither burned nor named by an open
 * request (docs/design.md §5.2). */
static int
pick_slot(struct bg_cer *c, const bg_ledger_t *l,
    const struct bg_vault_account *a, const struct bg_vault_item *it,
    struct bg_request2_entry *e)
{
	struct bg_ledger_slot s;
	uint32_t j;

	memset(&s, 0, sizeof(s));
	snprintf(s.account, sizeof(s.account), "%s", a->id);
	snprintf(s.item, sizeof(s.item), "%s", it->name);
	s.version = it->version;
	for (j = 0; j < it->ver->nslots; j++) {
		s.slot = j;
		if (bg_ledger_burned(l, &s) == NULL &&
		    !bg_ledger_reserved(l, &s, NULL, c->now)) {
			snprintf(e->item, sizeof(e->item), "%s", it->name);
			e->version = it->version;
			e->slot = j;
			return BG_OK;
		}
	}
	bg_set_why("%s of account %s has no slot left (all %u burned or "
	    "held by open requests): seal it again (rotate)", it->name, a->id,
	    it->ver->nslots);
	return BG_EPERM;
}

static int
entry_cmp(const void *x, const void *y)
{
	return strcmp(((const struct bg_request2_entry *)x)->item,
	    ((const struct bg_request2_entry *)y)->item);
}

/* The entries: each item's signed version and a free slot, by name. */
static int
pick_entries(struct bg_cer *c, const struct bg_vault_account *a,
    const char *const *items, size_t n, struct bg_request2 *q)
{
	bg_ledger_t *l = NULL;
	struct bg_vault_item *it;
	size_t i;
	int r;

	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	if (bg_ledger_open_requests(l, q->requester, c->now) >=
	    BG_RQ_OPEN_MAX) {
		bg_set_why("%s already has %d open requests: deny or release "
		    "one first", q->requester, BG_RQ_OPEN_MAX);
		r = BG_EPERM;
	}
	for (i = 0; i < n && r == BG_OK; i++) {
		it = bg_vault_item(a, items[i]);
		if ((r = bg_vault_item_verify(c->v, a, it)) == BG_OK)
			r = pick_slot(c, l, a, it, &q->entry[i]);
	}
	q->nentries = n;
	qsort(q->entry, n, sizeof(q->entry[0]), entry_cmp);
	return r;
}

/* The fields as bg_request_t holds them (and checks them). */
static int
request_fields(struct bg_cer *c, const char *reason, struct bg_rqfile *f)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	struct bg_request_fields rf;
	size_t i;
	int r;

	memset(&rf, 0, sizeof(rf));
	for (i = 0; i < f->rq2->nentries; i++)
		items[i] = f->rq2->entry[i].item;
	rf.id = f->rq2->id;
	rf.account = f->rq2->account;
	rf.requester = f->rq2->requester;
	rf.reason = reason;
	rf.ticket = f->rq2->ticket;
	rf.items = items;
	rf.nitems = f->rq2->nentries;
	rf.created = f->rq2->created;
	rf.expiry = f->rq2->expiry;
	memcpy(rf.key, f->rq2->key, 32);
	if ((r = bg_request_new(&rf, &f->rq)) != BG_OK)
		return r;
	return bg_request_conforms(f->rq, c->v->policy);
}

/* The signed text and the fields of the request, from what was asked. */
static int
new_request(struct bg_cer *c, const struct bg_vault_account *a,
    const char *reason, const char *ticket, const char *const *items,
    size_t nitems, const char *requester, const uint8_t pub[32],
    struct bg_rqfile *f)
{
	struct bg_request2 *q = f->rq2;
	uint8_t rid[16];
	int r;

	if (ticket != NULL && ticket[0] != '\0' && (!bg_ticket_valid(ticket) ||
	    strcmp(ticket, "-") == 0)) {
		bg_set_why("request: invalid ticket (at most %d printable ASCII "
		    "characters, no space, not \"-\")", BG_TICKET_MAX);
		return BG_EINVAL;
	}
	cer_vault_fp(c, q->vault);
	cer_chain_head(c, q->chain);
	if (RAND_bytes(rid, sizeof(rid)) != 1 ||
	    RAND_bytes(q->nonce, sizeof(q->nonce)) != 1)
		return BG_ECRYPTO;
	bg_hex_encode(rid, sizeof(rid), q->id, sizeof(q->id));
	snprintf(q->requester, sizeof(q->requester), "%s", requester);
	snprintf(q->account, sizeof(q->account), "%s", a->id);
	snprintf(q->ticket, sizeof(q->ticket), "%s", ticket ? ticket : "");
	q->created = c->now;
	q->expiry = c->now + bg_policy_expiry(c->v->policy);
	memcpy(q->key, pub, 32);
	if ((r = bg_reason_sha256(reason, strlen(reason),
	    q->reason_sha256)) != BG_OK ||
	    (r = pick_entries(c, a, items, nitems, q)) != BG_OK ||
	    (r = request_fields(c, reason, f)) != BG_OK)
		return r;
	if ((f->text = malloc(BG_REQUEST2_MAX + 1)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_request2_build(q, f->text, BG_REQUEST2_MAX,
	    &f->text_len)) != BG_OK)
		return r;
	f->text[f->text_len] = '\0';
	f->state = BG_RQ_OPEN;
	return bg_request2_hash(f->text, f->text_len, f->hash);
}

int
cer_seal_request_key(struct bg_cer *c, struct bg_rqfile *f,
    const struct bg_vault_person *p, const uint8_t priv[32])
{
	struct bg_label l;
	size_t i, len;
	int r;

	if ((r = cer_request_key_label(c, f, &l)) != BG_OK)
		return r;
	for (i = 0; i < p->ntokens && r == BG_OK; i++) {
		memcpy(f->key_token[i], bg_token_desc_id(p->tokens[i]),
		    sizeof(f->key_token[i]));
		r = bg_box_seal(bg_token_desc_public(p->tokens[i]),
		    "request-key", l.b, l.len, priv, 32, f->key_box[i],
		    BG_RQ_KEY_BOX_LEN, &len);
	}
	f->nkey = p->ntokens;
	return r;
}

static int
request_detail(const struct bg_rqfile *f, cJSON **d)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	uint64_t vers[BG_POLICY_ITEMS_MAX];
	uint32_t slots[BG_POLICY_ITEMS_MAX];
	char ts[BG_RFC3339_LEN + 1], hex[65], rqh[65];
	const char *reason = bg_request_reason(f->rq);
	cJSON *arr;
	size_t i;
	int r;

	for (i = 0; i < f->rq2->nentries; i++) {
		items[i] = f->rq2->entry[i].item;
		vers[i] = f->rq2->entry[i].version;
		slots[i] = f->rq2->entry[i].slot;
	}
	bg_hex_encode(f->rq2->reason_sha256, 32, hex, sizeof(hex));
	bg_hex_encode(f->hash, 32, rqh, sizeof(rqh));
	if ((r = bg_rfc3339_format(bg_request_expiry(f->rq), ts)) != BG_OK)
		return r;
	if ((*d = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_CreateStringArray(items, (int)i)) == NULL ||
	    bg_json_add(*d, "items", arr) != BG_OK ||
	    !cJSON_AddStringToObject(*d, "reason", reason) ||
	    !cJSON_AddStringToObject(*d, "reason_sha256", hex) ||
	    !cJSON_AddStringToObject(*d, "ticket", bg_request_ticket(f->rq)) ||
	    !cJSON_AddStringToObject(*d, "expiry", ts) ||
	    !cJSON_AddStringToObject(*d, "token", f->token) ||
	    !cJSON_AddStringToObject(*d, "request_sha256", rqh) ||
	    !cJSON_AddStringToObject(*d, "request", f->text) ||
	    bg_vjson_add_b64(*d, "signature", f->sig, BG_TOKEN_SIG_LEN) !=
	    BG_OK)
		return BG_ENOMEM;
	return bg_ledger_add_entries(*d, items, vers, slots, i);
}

static int
requester_ok(struct bg_cer *c, const char *requester,
    struct bg_vault_person **p)
{
	if ((*p = bg_cer_person(c, requester)) == NULL)
		return BG_ENOENT;
	if (!(*p)->requester) {
		bg_set_why("%s is not a requester (breakglass requester add)",
		    requester);
		return BG_EPERM;
	}
	if ((*p)->ntokens == 0) {
		bg_set_why("%s has no token enrolled", requester);
		return BG_EPERM;
	}
	return BG_OK;
}

/*
 * docs/design.md §5.2 policy floor, at run time: whatever let it into the
 * vault (a hand-made state), a requester who is a member of a group the
 * items need would hold a share of it.
 */
static int
requester_outside(struct bg_cer *c, const char *requester,
    const char *const *items, size_t nitems)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t n;
	int r;

	if ((r = bg_policy_groups_for_items(c->v->policy, items, nitems, groups,
	    BG_POLICY_GROUPS_MAX, &n)) != BG_OK)
		return r;
	return bg_policy_requester_check(c->v->policy, requester, groups, n,
	    NULL, 0);
}

/* ========================================================= the asking */

int
bg_cer_ask_to_json(const struct bg_cer_ask *q, cJSON **args)
{
	cJSON *items;
	char hex[65];
	size_t i;

	bg_hex_encode(q->key, 32, hex, sizeof(hex));
	if ((*args = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*args, "account", q->account) ||
	    !cJSON_AddStringToObject(*args, "reason", q->reason) ||
	    !cJSON_AddStringToObject(*args, "ticket", q->ticket) ||
	    !cJSON_AddStringToObject(*args, "as", q->as) ||
	    !cJSON_AddStringToObject(*args, "key", hex) ||
	    (items = cJSON_AddArrayToObject(*args, "items")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < q->nitems; i++)
		if (!cJSON_AddItemToArray(items,
		    cJSON_CreateString(q->items[i])))
			return BG_ENOMEM;
	return BG_OK;
}

static int
ask_str(const cJSON *j, const char *key, char *out, size_t sz)
{
	const char *s;

	if (bg_json_get_str(j, key, sz - 1, &s) != BG_OK)
		return BG_EFORMAT;
	memcpy(out, s, strlen(s) + 1);
	return BG_OK;
}

int
bg_cer_ask_from_json(const cJSON *j, struct bg_cer_ask *q)
{
	static const char *const keys[] = { "account", "reason", "ticket",
	    "as", "key", "items", NULL };
	const cJSON *items, *s;
	const char *hex;

	memset(q, 0, sizeof(*q));
	if (bg_json_only_keys(j, keys) != BG_OK ||
	    ask_str(j, "account", q->account, sizeof(q->account)) != BG_OK ||
	    ask_str(j, "reason", q->reason, sizeof(q->reason)) != BG_OK ||
	    ask_str(j, "ticket", q->ticket, sizeof(q->ticket)) != BG_OK ||
	    ask_str(j, "as", q->as, sizeof(q->as)) != BG_OK ||
	    bg_json_get_str(j, "key", 64, &hex) != BG_OK ||
	    bg_hex_decode_exact(hex, strlen(hex), q->key, 32) != BG_OK ||
	    bg_json_get_array(j, "items", &items) != BG_OK ||
	    cJSON_GetArraySize(items) > BG_POLICY_ITEMS_MAX)
		goto bad;
	cJSON_ArrayForEach(s, items) {
		if (!cJSON_IsString(s) ||
		    strlen(s->valuestring) > BG_NAME_MAX)
			goto bad;
		memcpy(q->items[q->nitems++], s->valuestring,
		    strlen(s->valuestring) + 1);
	}
	return BG_OK;
bad:
	bg_set_why("a malformed request (account, reason, ticket, as, key, "
	    "items)");
	return BG_EFORMAT;
}

/* The account, person and items the ask names, checked. */
static int
ask_check(struct bg_cer *c, const struct bg_cer_ask *q,
    struct bg_vault_account **a, struct bg_vault_person **p,
    const char **items, size_t *n)
{
	size_t i;
	int r;

	if ((*a = bg_vault_account(c->v, q->account)) == NULL) {
		bg_set_why("no account %s in the vault", q->account);
		return BG_ENOENT;
	}
	for (i = 0; i < q->nitems; i++)
		items[i] = q->items[i];
	*n = q->nitems ? q->nitems : default_items(*a, items);
	if ((r = requester_ok(c, q->as, p)) != BG_OK ||
	    (r = check_items(*a, items, *n)) != BG_OK)
		return r;
	return requester_outside(c, (*p)->name, items, *n);
}

static struct bg_rqfile *
rqfile_new(void)
{
	struct bg_rqfile *f = calloc(1, sizeof(*f));

	if (f != NULL && (f->rq2 = calloc(1, sizeof(*f->rq2))) == NULL)
		bg_rqfile_free(&f);
	return f;
}

int
bg_cer_request_kit(struct bg_cer *c, const struct bg_cer_ask *q,
    cJSON **kit)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	struct bg_vault_account *a;
	struct bg_vault_person *p;
	struct bg_rqfile *f = NULL;
	size_t n;
	int r;

	*kit = NULL;
	if ((r = ask_check(c, q, &a, &p, items, &n)) != BG_OK)
		return cer_refuse(c, "request", "", q->account, q->as, r);
	if ((f = rqfile_new()) == NULL)
		return BG_ENOMEM;
	if ((r = new_request(c, a, q->reason, q->ticket, items, n, p->name,
	    q->key, f)) != BG_OK)
		r = cer_refuse(c, "request", "", a->id, p->name, r);
	else if ((r = bg_cer_kit(c, kit)) == BG_OK &&
	    (!cJSON_AddStringToObject(*kit, "text", f->text) ||
	    !cJSON_AddStringToObject(*kit, "id", bg_request_id(f->rq))))
		r = BG_ENOMEM;
	bg_rqfile_free(&f);
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	return r;
}

/* Whether the request's items are the asked ones (a set). */
static int
same_items(const struct bg_request2 *q2, const char *const *items, size_t n)
{
	size_t i, k;

	if (q2->nentries != n)
		return 0;
	for (i = 0; i < n; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(q2->entry[k].item, items[i]) == 0)
				break;
		if (k == n)
			return 0;
	}
	return 1;
}

/*
 * f from the kit's text: exactly what was asked, for this vault and chain
 * head, made now with the policy's expiry. Both the client (before its
 * touch) and the broker (before it records) check this.
 */
static int
kit_request(struct bg_cer *c, const cJSON *kit, const struct bg_cer_ask *q,
    struct bg_rqfile *f)
{
	const char *items[BG_POLICY_ITEMS_MAX], *text;
	const struct bg_request2 *q2 = f->rq2;
	uint8_t fp[32], head[32], h[32];
	struct bg_vault_account *a;
	struct bg_vault_person *p;
	size_t n;
	int r;

	if ((r = ask_check(c, q, &a, &p, items, &n)) != BG_OK)
		return r;
	if (bg_json_get_str(kit, "text", BG_REQUEST2_MAX, &text) != BG_OK ||
	    (f->text = strdup(text)) == NULL)
		return BG_EFORMAT;
	f->text_len = strlen(text);
	f->state = BG_RQ_OPEN;
	if ((r = bg_request2_parse(f->text, f->text_len, f->rq2)) != BG_OK ||
	    (r = bg_request2_hash(f->text, f->text_len, f->hash)) != BG_OK ||
	    (r = request_fields(c, q->reason, f)) != BG_OK ||
	    (r = bg_reason_sha256(q->reason, strlen(q->reason), h)) != BG_OK)
		return r;
	cer_vault_fp(c, fp);
	cer_chain_head(c, head);
	if (strcmp(q2->requester, p->name) != 0 ||
	    strcmp(q2->account, a->id) != 0 ||
	    strcmp(q2->ticket, q->ticket) != 0 ||
	    memcmp(q2->key, q->key, 32) != 0 ||
	    memcmp(q2->reason_sha256, h, 32) != 0 ||
	    memcmp(q2->vault, fp, 32) != 0 || memcmp(q2->chain, head, 32) != 0 ||
	    !same_items(q2, items, n) ||
	    q2->expiry != q2->created + bg_policy_expiry(c->v->policy) ||
	    q2->created > c->now + 300 || q2->created + 900 < c->now) {
		bg_set_why("the request text is not what was asked (account, "
		    "requester, reason, ticket, items, key, vault, chain head "
		    "or time)");
		return BG_ETAMPER;
	}
	return BG_OK;
}

/* The requester's touch signs the text; the key boxes for their tokens. */
static int
sign_request(struct bg_cer *c, struct bg_rqfile *f,
    const struct bg_vault_person *p, const uint8_t priv[32])
{
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok;
	int r;

	if ((r = bg_cer_touch(c, p, NULL, NULL, &t, &key, &tok)) == BG_OK &&
	    (r = bg_token_key_sign(key, f->hash, sizeof(f->hash), f->sig)) ==
	    BG_OK)
		memcpy(f->token, t.token, sizeof(f->token));
	bg_token_key_free(&key);
	if (r == BG_OK)
		r = cer_seal_request_key(c, f, p, priv);
	return r;
}

/* Shows the requester the text their touch signs. */
static int
show_request(struct bg_cer *c, const struct bg_rqfile *f)
{
	const char *reason = bg_request_reason(f->rq);
	size_t sz = 2 * BG_REQUEST2_MAX + 4 * strlen(reason) + 512;
	char *out = malloc(sz);
	int r;

	if (out == NULL)
		return BG_ENOMEM;
	if ((r = bg_request2_describe(f->text, f->text_len, reason,
	    strlen(reason), out, sz)) == BG_OK)
		fprintf(c->out, "%s signs:\n%s", f->rq2->requester, out);
	free(out);
	return r;
}

static int
sub_json(const struct bg_rqfile *f, cJSON **sub)
{
	cJSON *arr, *e;
	size_t i;

	if ((*sub = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*sub, "token", f->token) ||
	    bg_vjson_add_b64(*sub, "signature", f->sig, BG_TOKEN_SIG_LEN) !=
	    BG_OK || (arr = cJSON_AddArrayToObject(*sub, "key_boxes")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->nkey; i++)
		if (bg_vjson_push_obj(arr, &e) != BG_OK ||
		    !cJSON_AddStringToObject(e, "token", f->key_token[i]) ||
		    bg_vjson_add_b64(e, "box", f->key_box[i],
		    BG_RQ_KEY_BOX_LEN) != BG_OK)
			return BG_ENOMEM;
	return BG_OK;
}

int
bg_cer_request_take(struct bg_cer *c, const cJSON *kit,
    const struct bg_cer_ask *q, const uint8_t priv[32], cJSON **sub)
{
	struct bg_rqfile *f = rqfile_new();
	uint8_t pub[32];
	int r;

	*sub = NULL;
	if (f == NULL)
		return BG_ENOMEM;
	if ((r = bg_x25519_public(priv, pub)) == BG_OK &&
	    memcmp(pub, q->key, 32) != 0)
		r = BG_EINVAL;
	if (r == BG_OK && (r = kit_request(c, kit, q, f)) == BG_OK &&
	    (r = show_request(c, f)) == BG_OK &&
	    (r = sign_request(c, f, bg_vault_person(c->v, q->as), priv)) ==
	    BG_OK)
		r = sub_json(f, sub);
	bg_rqfile_free(&f);
	return r;
}

/* ===================================================== the broker's check */

/* Each entry still current, its slot neither burned nor held; the cap. */
static int
still_free(struct bg_cer *c, const struct bg_rqfile *f)
{
	struct bg_vault_item *it;
	struct bg_ledger_slot s;
	bg_ledger_t *l = NULL;
	size_t i;
	int r;

	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	if (bg_ledger_open_requests(l, f->rq2->requester, c->now) >=
	    BG_RQ_OPEN_MAX) {
		bg_set_why("%s already has %d open requests: deny or release "
		    "one first", f->rq2->requester, BG_RQ_OPEN_MAX);
		return BG_EPERM;
	}
	for (i = 0; i < f->rq2->nentries; i++) {
		const struct bg_request2_entry *e = &f->rq2->entry[i];

		if ((r = cer_item(c, f, e, &it)) != BG_OK)
			return r;
		memset(&s, 0, sizeof(s));
		snprintf(s.account, sizeof(s.account), "%s", f->rq2->account);
		snprintf(s.item, sizeof(s.item), "%s", e->item);
		s.version = e->version;
		s.slot = e->slot;
		if (bg_ledger_burned(l, &s) != NULL ||
		    bg_ledger_reserved(l, &s, f->rq2->id, c->now)) {
			bg_set_why("slot %u of %s was taken meanwhile by "
			    "another request: ask again", e->slot, e->item);
			return BG_EPERM;
		}
	}
	return BG_OK;
}

/* The submitted signature and key boxes: one box per token, in order. */
static int
read_sub(const cJSON *sub, const struct bg_vault_person *p,
    struct bg_rqfile *f)
{
	static const char *const keys[] = { "token", "signature",
	    "key_boxes", NULL };
	const cJSON *arr, *e;
	const char *s;

	if (bg_json_only_keys(sub, keys) != BG_OK ||
	    bg_json_get_str(sub, "token", 2 * BG_TOKEN_ID_LEN, &s) != BG_OK ||
	    strlen(s) != 2 * BG_TOKEN_ID_LEN ||
	    bg_json_get_b64(sub, "signature", f->sig, BG_TOKEN_SIG_LEN) !=
	    BG_OK || bg_json_get_array(sub, "key_boxes", &arr) != BG_OK ||
	    (size_t)cJSON_GetArraySize(arr) != p->ntokens)
		goto bad;
	memcpy(f->token, s, strlen(s) + 1);
	cJSON_ArrayForEach(e, arr) {
		if (bg_json_get_str(e, "token", 2 * BG_TOKEN_ID_LEN, &s) !=
		    BG_OK || strcmp(s, bg_token_desc_id(p->tokens[f->nkey])) !=
		    0 || bg_json_get_b64(e, "box", f->key_box[f->nkey],
		    BG_RQ_KEY_BOX_LEN) != BG_OK)
			goto bad;
		memcpy(f->key_token[f->nkey++], s, strlen(s) + 1);
	}
	return BG_OK;
bad:
	bg_set_why("the requester's answer is malformed (token, signature, "
	    "one key box per token of theirs)");
	return BG_EFORMAT;
}

int
bg_cer_request_submit(struct bg_cer *c, const struct bg_cer_ask *q,
    const cJSON *kit, const cJSON *sub, char id[BG_REQUEST_ID_LEN + 1])
{
	struct bg_rqfile *f = rqfile_new();
	cJSON *d = NULL;
	int r;

	id[0] = '\0';
	if (f == NULL)
		return BG_ENOMEM;
	if ((r = kit_request(c, kit, q, f)) != BG_OK ||
	    (r = still_free(c, f)) != BG_OK ||
	    (r = read_sub(sub, bg_vault_person(c->v, q->as), f)) != BG_OK ||
	    (r = cer_request_signed(c, f)) != BG_OK) {
		r = cer_refuse(c, "request", f->rq2->id, q->account, q->as, r);
		goto out;
	}
	if ((r = request_detail(f, &d)) == BG_OK &&
	    (r = cer_save(c, f, "request.open", q->as, d)) == BG_OK)
		memcpy(id, bg_request_id(f->rq), BG_REQUEST_ID_LEN + 1);
out:
	cJSON_Delete(d);
	bg_rqfile_free(&f);
	return r;
}

/* ============================================================ rehearsal */

int
bg_cer_request(struct bg_cer *c, const struct bg_cer_ask *ask,
    char id[BG_REQUEST_ID_LEN + 1])
{
	struct bg_cer_ask q = *ask;
	cJSON *kit = NULL, *sub = NULL;
	uint8_t *priv;
	int r;

	id[0] = '\0';
	if ((priv = bg_secure_alloc(32)) == NULL)
		return BG_ENOMEM;
	if ((r = RAND_priv_bytes(priv, 32) == 1 ? BG_OK : BG_ECRYPTO) !=
	    BG_OK || (r = bg_x25519_public(priv, q.key)) != BG_OK)
		goto out;
	if ((r = bg_cer_request_kit(c, &q, &kit)) != BG_OK)
		goto out;
	if ((r = bg_cer_request_take(c, kit, &q, priv, &sub)) != BG_OK) {
		r = cer_refuse(c, "request", "", q.account, q.as, r);
		goto out;
	}
	r = bg_cer_request_submit(c, &q, kit, sub, id);
out:
	bg_secure_free(&priv, 32);
	cJSON_Delete(kit);
	cJSON_Delete(sub);
	return r;
}
