/*
 * seal (ceremony.h): who may seal what, the sealer's touch, and the seal
 * made in a client. In production the value never reaches the daemon:
 * the client seals it into a new version with the vault of the kit, the
 * sealer's token signs it, and the daemon checks that the version has
 * the very shape its own seal would have (account, item, next version,
 * slots, groups, thresholds, epochs, members, x and tokens), that the
 * commitments are the signed root's, and the sealer's signature, before
 * it takes it. What the boxes hold it cannot see: each custodian's
 * approval checks their share against the commitments, and the release
 * checks the value against its key commitment (docs/deploy.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

int
bg_cer_seal_kind(const char *item, int note, enum bg_item_kind *kind)
{
	int pw = strcmp(item, "root-password") == 0;
	int mfa = strcmp(item, "root-mfa") == 0;

	*kind = pw ? BG_ITEM_PASSWORD : mfa ? BG_ITEM_TOTP : BG_ITEM_NOTE;
	if (!bg_name_valid(item) || (note && (pw || mfa)) ||
	    (!note && !pw && !mfa)) {
		bg_set_why("seal root-password, root-mfa, or NAME --note");
		return BG_EINVAL;
	}
	return BG_OK;
}

/*
 * Which groups guard a note is governance: the policy names it first
 * ('policy set --note NAME', a change request once armed).
 */
static int
note_named(struct bg_cer *c, enum bg_item_kind kind, const char *item)
{
	const char *groups[BG_POLICY_GROUPS_MAX], *one[1] = { item };
	size_t n;

	if (kind != BG_ITEM_NOTE || bg_policy_groups_for_items(c->v->policy,
	    one, 1, groups, BG_POLICY_GROUPS_MAX, &n) == BG_OK)
		return BG_OK;
	bg_set_why("the policy names no note '%s': which groups guard it is "
	    "governance, so name it first with 'breakglass policy set --note "
	    "%s'", item, item);
	return BG_EPERM;
}

/* Who may seal: a member of a group the item needs, or a requester. */
static int
sealer_ok(struct bg_cer *c, const char *item, const char *name,
    struct bg_vault_person **p)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t g, n;

	if ((*p = bg_cer_person(c, name)) == NULL)
		return BG_ENOENT;
	if ((*p)->requester)
		return BG_OK;
	if (bg_policy_groups_for_items(c->v->policy, &item, 1, groups,
	    BG_POLICY_GROUPS_MAX, &n) == BG_OK)
		for (g = 0; g < n; g++)
			if (bg_policy_is_member(c->v->policy, groups[g], name))
				return BG_OK;
	bg_set_why("%s may not seal %s: a member of a group it needs or a "
	    "requester must", name, item);
	return BG_EPERM;
}

int
bg_cer_seal_may(struct bg_cer *c, const struct bg_cer_seal *s,
    struct bg_vault_account **acct, struct bg_vault_person **sealer)
{
	enum bg_item_kind kind;
	int r;

	if ((*acct = bg_vault_account(c->v, s->account)) == NULL) {
		bg_set_why("no account %s in the vault", s->account);
		return BG_ENOENT;
	}
	if ((r = bg_cer_seal_kind(s->item, s->note, &kind)) != BG_OK ||
	    (r = note_named(c, kind, s->item)) != BG_OK ||
	    (r = bg_cer_armed(c, "sealing")) != BG_OK)
		return r;
	return sealer_ok(c, s->item, s->as, sealer);
}

int
bg_cer_seal_sign(struct bg_cer *c, struct bg_vault_person *p,
    struct bg_vault_item *it)
{
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	uint8_t msg[32];
	size_t tok;
	int r;

	if ((r = bg_vault_seal_message(c->v, it, p->name, msg)) != BG_OK ||
	    (r = bg_cer_touch(c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return r;
	r = bg_token_key_sign(key, msg, sizeof(msg), it->sig);
	bg_token_key_free(&key);
	snprintf(it->sealer, sizeof(it->sealer), "%s", p->name);
	memcpy(it->sealer_token, t.token, sizeof(it->sealer_token));
	return r;
}

int
bg_cer_seal_detail(struct bg_cer *c, const struct bg_vault_item *it,
    cJSON **d)
{
	uint8_t msg[32];
	char root[65], hex[65];
	int r;

	bg_hex_encode(it->ver->root, 32, root, sizeof(root));
	if ((r = bg_vault_seal_message(c->v, it, it->sealer, msg)) != BG_OK)
		return r;
	bg_hex_encode(msg, 32, hex, sizeof(hex));
	if ((*d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*d, "item", it->name) ||
	    !cJSON_AddStringToObject(*d, "kind", bg_item_kind_str(it->kind)) ||
	    !cJSON_AddNumberToObject(*d, "version", (double)it->version) ||
	    !cJSON_AddNumberToObject(*d, "slots", (double)it->ver->nslots) ||
	    !cJSON_AddStringToObject(*d, "commitments", root) ||
	    !cJSON_AddStringToObject(*d, "token", it->sealer_token) ||
	    !cJSON_AddStringToObject(*d, "message", hex))
		return BG_ENOMEM;
	return bg_vjson_add_b64(*d, "signature", it->sig, BG_SEAL_SIG_LEN);
}

/* ------------------------------------------------- the seal in a client */

int
bg_cer_seal_args_to_json(const struct bg_cer_seal *s, cJSON **args)
{
	if ((*args = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*args, "account", s->account) ||
	    !cJSON_AddStringToObject(*args, "item", s->item) ||
	    !cJSON_AddStringToObject(*args, "as", s->as) ||
	    !cJSON_AddBoolToObject(*args, "note", s->note)) {
		cJSON_Delete(*args);
		*args = NULL;
		return BG_ENOMEM;
	}
	return BG_OK;
}

int
bg_cer_seal_args_from_json(const cJSON *args, struct bg_cer_seal *s)
{
	static const char *const keys[] = { "account", "item", "as", "note",
	    NULL };
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(args, "note");

	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "account", BG_ACCOUNT_MAX, &s->account) !=
	    BG_OK ||
	    bg_json_get_str(args, "item", BG_NAME_MAX, &s->item) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, &s->as) != BG_OK ||
	    !cJSON_IsBool(n)) {
		bg_set_why("a malformed seal (account, item, as, note)");
		return BG_EFORMAT;
	}
	s->note = cJSON_IsTrue(n);
	s->kit_next = 0;
	return BG_OK;
}

/* the kit's vault: accounts[].items[] of {name, version, ...} */
uint64_t
bg_cer_seal_kit_next(const cJSON *kit, const struct bg_cer_seal *s)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kit, "vault");
	const cJSON *a, *i, *name, *ver;
	uint64_t next = 1;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(v,
	    "accounts")) {
		if (!cJSON_IsString(name = cJSON_GetObjectItemCaseSensitive(a,
		    "id")) || strcmp(name->valuestring, s->account) != 0)
			continue;
		cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(a,
		    "items")) {
			name = cJSON_GetObjectItemCaseSensitive(i, "name");
			ver = cJSON_GetObjectItemCaseSensitive(i, "version");
			if (cJSON_IsString(name) && cJSON_IsNumber(ver) &&
			    strcmp(name->valuestring, s->item) == 0 &&
			    ver->valuedouble >= (double)next)
				next = (uint64_t)ver->valuedouble + 1;
		}
		return next;
	}
	return 0;
}

int
bg_cer_seal_kit(struct bg_cer *c, const struct bg_cer_seal *s, cJSON **kit)
{
	struct bg_vault_account *acct;
	struct bg_vault_person *sealer;
	int r;

	*kit = NULL;
	if ((r = bg_cer_seal_may(c, s, &acct, &sealer)) != BG_OK)
		return bg_cer_refused(c, "vault.refused", "seal", "", s->account,
		    s->as, r);
	return bg_cer_kit(c, kit);
}

/* {"item": the item as vault.json has it, "commitments": [its file]} */
static int
seal_sub(const struct bg_vault_item *it, cJSON **sub)
{
	const struct bg_v2_version *ver = it->ver;
	cJSON *j = NULL, *arr;
	size_t n = bg_b64_len(ver->commitments_len);
	char *b64;
	int r;

	if ((b64 = malloc(n)) == NULL)
		return BG_ENOMEM;
	(void)bg_b64_encode(ver->commitments, ver->commitments_len, b64, n);
	r = BG_ENOMEM;
	if ((*sub = cJSON_CreateObject()) != NULL &&
	    (arr = cJSON_AddArrayToObject(*sub, "commitments")) != NULL &&
	    cJSON_AddItemToArray(arr, cJSON_CreateString(b64)) &&
	    (r = bg_vault_item_to_json(it, &j)) == BG_OK)
		r = bg_json_add(*sub, "item", j);
	free(b64);
	return r;
}

int
bg_cer_seal_take(struct bg_cer *c, const struct bg_cer_seal *s,
    enum bg_item_kind kind, const uint8_t *value, size_t len, cJSON **sub)
{
	struct bg_vault_account *acct;
	struct bg_vault_person *sealer;
	struct bg_vault_item *it;
	int r;

	*sub = NULL;
	if ((r = bg_cer_seal_may(c, s, &acct, &sealer)) != BG_OK ||
	    (r = bg_vault_seal(c->v, acct, s->item, kind, value, len, c->now,
	    &it)) != BG_OK ||
	    (r = bg_cer_seal_sign(c, sealer, it)) != BG_OK)
		return r;
	return seal_sub(it, sub);
}

/* Member m as the daemon's own seal would make it: same person, x, tokens. */
static int
same_member(const struct bg_v2_member *a, const struct bg_v2_member *b)
{
	size_t k;

	if (strcmp(a->person, b->person) != 0 || a->x != b->x ||
	    a->ntokens != b->ntokens)
		return 0;
	for (k = 0; k < a->ntokens; k++)
		if (strcmp(a->token[k], b->token[k]) != 0 || b->box[k] == NULL)
			return 0;
	return 1;
}

/* The client's version has the shape of want, the daemon's own seal. */
static int
same_shape(const struct bg_v2_version *want, const struct bg_v2_version *got)
{
	size_t g, m;

	if (want->epoch != got->epoch || want->nslots != got->nslots ||
	    want->ng != got->ng)
		return 0;
	for (g = 0; g < want->ng; g++) {
		if (strcmp(want->g[g].name, got->g[g].name) != 0 ||
		    want->g[g].t != got->g[g].t ||
		    want->g[g].epoch != got->g[g].epoch ||
		    want->g[g].n != got->g[g].n)
			return 0;
		for (m = 0; m < want->g[g].n; m++)
			if (!same_member(&want->g[g].m[m], &got->g[g].m[m]))
				return 0;
	}
	return 1;
}

/* The item a client sealed: parsed, its commitments its root's, shaped. */
static int
client_item(struct bg_cer *c, const struct bg_cer_seal *s,
    const struct bg_vault_account *acct, const cJSON *sub,
    struct bg_vault_item *it)
{
	static const char *const keys[] = { "item", "commitments", NULL };
	struct bg_v2_version *want = NULL;
	static const uint8_t one = 0;
	enum bg_item_kind kind;
	int r;

	if (bg_json_only_keys(sub, keys) != BG_OK ||
	    bg_vault_item_from_json(cJSON_GetObjectItemCaseSensitive(sub,
	    "item"), acct->id, it) != BG_OK) {
		bg_set_why("the client sent no sealed item");
		return BG_EFORMAT;
	}
	if ((r = cer_commitments_of(cJSON_GetObjectItemCaseSensitive(sub,
	    "commitments"), it->ver)) != BG_OK)
		return r;
	(void)bg_cer_seal_kind(s->item, s->note, &kind);
	if (strcmp(it->name, s->item) == 0 && s->kit_next > 0 &&
	    it->version == s->kit_next &&
	    it->version < bg_vault_next_version(acct, s->item)) {
		/* sealed again while this sealer typed: a race, not a forgery */
		bg_set_why("%s was sealed again while %s sealed it (it is at "
		    "version %llu now): nothing was written; seal again",
		    s->item, s->as, (unsigned long long)
		    (bg_vault_next_version(acct, s->item) - 1));
		return BG_EPERM;
	}
	if (strcmp(it->name, s->item) != 0 || it->kind != kind ||
	    it->version != bg_vault_next_version(acct, s->item) ||
	    strcmp(it->sealer, s->as) != 0) {
		bg_set_why("the sealed item is not %s's next version of %s",
		    s->as, s->item);
		return BG_ETAMPER;
	}
	if ((r = bg_v2_seal(c->v, acct, s->item, it->version,
	    bg_policy_slots(c->v->policy), &one, 1, &want)) != BG_OK)
		return r;
	r = same_shape(want, it->ver) ? BG_OK : BG_ETAMPER;
	bg_v2_version_free(&want);
	if (r != BG_OK) {
		bg_set_why("the sealed version is not for the members, "
		    "thresholds, epochs and slots the vault names now");
		return r;
	}
	it->sealed = c->now;
	return bg_vault_item_verify(c->v, acct, it);
}

static int
seal_submit(struct bg_cer *c, const struct bg_cer_seal *s, const cJSON *sub,
    struct bg_vault_item *it)
{
	struct bg_audit_event ev = { "item.sealed", s->as, s->account, "",
	    NULL };
	struct bg_vault_account *acct;
	struct bg_vault_person *sealer;
	cJSON *d = NULL;
	int r;

	if ((r = bg_cer_seal_may(c, s, &acct, &sealer)) != BG_OK ||
	    (r = client_item(c, s, acct, sub, it)) != BG_OK ||
	    (r = bg_cer_seal_detail(c, it, &d)) != BG_OK ||
	    (r = bg_vault_put_item(acct, it)) != BG_OK) {
		cJSON_Delete(d);
		return r;
	}
	ev.detail = d;
	r = bg_vault_save(&c->st, c->v, &ev);
	cJSON_Delete(d);
	return r;
}

int
bg_cer_seal_submit(struct bg_cer *c, const struct bg_cer_seal *s,
    const cJSON *sub)
{
	struct bg_vault_item *it = calloc(1, sizeof(*it));
	int r;

	if (it == NULL)
		return BG_ENOMEM;
	if ((r = seal_submit(c, s, sub, it)) != BG_OK)
		r = bg_cer_refused(c, "vault.refused", "seal", "", s->account,
		    s->as, r);
	else
		fprintf(c->out, "sealed %s of account %s\n", s->item,
		    s->account);
	bg_v2_version_free(&it->ver);
	free(it);
	return r;
}
