/*
 * Items (vault.h): whether the vault can seal, sealing a new version into
 * one-time slots, and the sealer's signature over it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/vault/vault.h"

/*
 * Every member of every group holds a token and none is a requester
 * (docs/design.md §5.2 policy floor: a requester's own share would count
 * toward their own request, offline).
 */
static int
member_ok(const struct bg_vault *v, const char *group, const char *name)
{
	const struct bg_vault_person *p = bg_vault_person(v, name);

	if (p != NULL && p->requester) {
		/* names the group in bg_why() */
		(void)bg_policy_requester_check(v->policy, name, NULL, 0, NULL,
		    0);
		return BG_EPERM;
	}
	if (p == NULL || p->ntokens == 0) {
		bg_set_why("%s (group %s) has no token enrolled: run "
		    "'breakglass token enroll %s ...'", name, group, name);
		return BG_EPERM;
	}
	return BG_OK;
}

int
bg_vault_ready(const struct bg_vault *v, char *why, size_t whysz)
{
	const bg_policy_t *p = v->policy;
	char pw[512];
	size_t g, m;
	int r = BG_OK;

	if (bg_policy_validate(p, pw, sizeof(pw)) != BG_OK) {
		bg_set_why("the policy cannot be met: %s", pw);
		r = BG_EPERM;
	}
	for (g = 0; r == BG_OK && g < bg_policy_ngroups(p); g++)
		for (m = 0; r == BG_OK && m < bg_policy_group_nmembers(p, g);
		    m++)
			r = member_ok(v, bg_policy_group_name(p, g),
			    bg_policy_group_member(p, g, m));
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", r == BG_OK ? "" : bg_why());
	return r;
}

/* A new item, or the next version of the one there: the slot it goes to. */
static struct bg_vault_item *
slot_for(struct bg_vault_account *a, const char *name, uint64_t *version)
{
	struct bg_vault_item *it = bg_vault_item(a, name), *more;

	if (it != NULL) {
		*version = it->version + 1;
		return it;
	}
	*version = 1;
	if (a->nitems >= BG_POLICY_ITEMS_MAX ||
	    (more = realloc(a->items, (a->nitems + 1) * sizeof(*more))) == NULL)
		return NULL;
	a->items = more;
	memset(&a->items[a->nitems], 0, sizeof(*more));
	return &a->items[a->nitems];
}

int
bg_vault_seal(struct bg_vault *v, struct bg_vault_account *a,
    const char *name, enum bg_item_kind kind, const uint8_t *data, size_t len,
    uint64_t now, struct bg_vault_item **out)
{
	struct bg_v2_version *ver = NULL;
	struct bg_vault_item *it;
	uint64_t version;
	int r;

	*out = NULL;
	if (len == 0 || len > BG_VAULT_ITEM_MAX)
		return BG_ERANGE;
	if ((r = bg_vault_ready(v, NULL, 0)) != BG_OK)
		return r;
	if ((it = slot_for(a, name, &version)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_v2_seal(v, a, name, version, bg_policy_slots(v->policy),
	    data, len, &ver)) != BG_OK)
		return r;
	if (it == &a->items[a->nitems])
		a->nitems++;
	bg_v2_version_free(&it->ver);
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->kind = kind;
	it->version = version;
	it->sealed = now;
	it->ver = ver;
	*out = it;
	return BG_OK;
}

uint64_t
bg_vault_next_version(const struct bg_vault_account *a, const char *name)
{
	const struct bg_vault_item *it = bg_vault_item(a, name);

	return it != NULL ? it->version + 1 : 1;
}

int
bg_vault_put_item(struct bg_vault_account *a, struct bg_vault_item *in)
{
	struct bg_vault_item *it;
	uint64_t version;

	if ((it = slot_for(a, in->name, &version)) == NULL)
		return BG_ENOMEM;
	if (version != in->version) {
		bg_set_why("%s: version %llu, not the next one (%llu)",
		    in->name, (unsigned long long)in->version,
		    (unsigned long long)version);
		return BG_EPERM;
	}
	if (it == &a->items[a->nitems])
		a->nitems++;
	bg_v2_version_free(&it->ver);
	*it = *in;
	memset(in, 0, sizeof(*in));
	return BG_OK;
}

static int
sha256(const void *p, size_t n, uint8_t out[32])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? BG_OK :
	    BG_ECRYPTO;
}

int
bg_vault_seal_message(const struct bg_vault *v,
    const struct bg_vault_item *it, const char *sealer, uint8_t msg[32])
{
	const struct bg_v2_version *ver = it->ver;
	struct bg_slot_box_id id;
	bg_commitments_t *c = NULL;
	struct bg_label vl, l;
	uint8_t h[32];
	int r;

	memset(&id, 0, sizeof(id));
	id.vault = v->id;
	id.vault_len = sizeof(v->id);
	id.account = ver->account;
	id.item = ver->item;
	id.version = ver->version;
	id.epoch = ver->epoch;
	if ((r = bg_slot_version_label(&id, &vl)) != BG_OK ||
	    (r = sha256(ver->data, ver->data_len, h)) != BG_OK ||
	    (r = bg_commitments_decode(ver->commitments, ver->commitments_len,
	    &c)) != BG_OK)
		return r;
	bg_label_init(&l, "breakglass/v2/seal");
	bg_label_bin(&l, vl.b, vl.len);
	bg_label_str(&l, sealer);
	bg_label_u64(&l, ver->nslots);
	bg_label_bin(&l, h, 32);
	bg_label_bin(&l, bg_commitments_key(c), BG_COMMIT_LEN);
	bg_label_bin(&l, ver->root, 32);
	bg_commitments_free(&c);
	if ((r = bg_label_ok(&l)) != BG_OK)
		return r;
	return sha256(l.b, l.len, msg);
}

static int
forged(const struct bg_vault_item *it, const char *what)
{
	bg_set_why("%s version %llu: %s", it->name,
	    (unsigned long long)it->version, what);
	return BG_ETAMPER;
}

/*
 * The record's groups are the ones the sealer committed: as many, and
 * each not re-split by a rekey of the threshold and size the commitments
 * name (a rekeyed group's come from its rekey, checked by the epoch the
 * log gave it).
 */
static int
groups_committed(const struct bg_vault_item *it)
{
	const struct bg_v2_version *ver = it->ver;
	struct bg_slot_group sg;
	bg_commitments_t *c = NULL;
	size_t g;
	int r;

	if ((r = bg_commitments_decode(ver->commitments, ver->commitments_len,
	    &c)) != BG_OK)
		return forged(it, "bad commitments");
	if (bg_commitments_ngroups(c) != ver->ng)
		r = forged(it, "not as many groups as the sealer committed");
	for (g = 0; r == BG_OK && g < ver->ng; g++) {
		sg = bg_commitments_group(c, g);
		if (ver->g[g].epoch == ver->epoch && (sg.t != ver->g[g].t ||
		    sg.n != ver->g[g].n))
			r = forged(it, "a group's threshold or members are not "
			    "those the sealer committed");
	}
	bg_commitments_free(&c);
	return r;
}

int
bg_vault_item_verify(const struct bg_vault *v,
    const struct bg_vault_account *a, const struct bg_vault_item *it)
{
	const struct bg_vault_person *p = bg_vault_person(v, it->sealer);
	const struct bg_v2_version *ver = it->ver;
	uint8_t msg[32];
	int tok, r;

	if (ver == NULL || strcmp(ver->account, a->id) != 0 ||
	    strcmp(ver->item, it->name) != 0 || ver->version != it->version)
		return forged(it, "the record is another item's");
	if (p == NULL || (tok = bg_vault_person_token(p,
	    it->sealer_token)) < 0)
		return forged(it, "sealed by nobody known with that token");
	if ((r = bg_vault_seal_message(v, it, it->sealer, msg)) != BG_OK)
		return r == BG_EFORMAT ? forged(it, "bad commitments") : r;
	if (bg_token_sig_verify(p->tokens[tok], msg, sizeof(msg),
	    it->sig) != BG_OK)
		return forged(it, "the sealer's signature does not verify");
	return groups_committed(it);
}

int
bg_vault_item_group(const struct bg_vault_item *it, const char *name)
{
	size_t g;

	for (g = 0; it->ver != NULL && g < it->ver->ng; g++)
		if (strcmp(it->ver->g[g].name, name) == 0)
			return (int)g;
	return -1;
}
