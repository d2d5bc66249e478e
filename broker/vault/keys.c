/*
 * The vault's cryptography (vault.h): group key pairs split into shares
 * sealed to tokens, and items sealed to the groups they need. Private
 * keys, shares and items in clear live only in locked memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/vault/vault.h"

#define AAD_MAX 512

/* =========================================================== the AADs */

static size_t
aad_share(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_gkey *k, const char *person, uint8_t x, char *out)
{
	int n = snprintf(out, AAD_MAX, "breakglass/v1/share\nvault %s\n"
	    "account %s\ngroup %s\nepoch %llu\nperson %s\nx %u\n", v->id_hex,
	    a->id, k->group, (unsigned long long)k->epoch, person, x);

	return n > 0 && n < AAD_MAX ? (size_t)n : 0;
}

static size_t
aad_item(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_item *it, char *out)
{
	int n = snprintf(out, AAD_MAX, "breakglass/v1/item\nvault %s\n"
	    "account %s\nitem %s\nkind %s\nversion %llu\n", v->id_hex, a->id,
	    it->name, bg_item_kind_str(it->kind),
	    (unsigned long long)it->version);

	return n > 0 && n < AAD_MAX ? (size_t)n : 0;
}

static size_t
aad_item_key(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_item *it, const struct bg_item_key *k, char *out)
{
	int n = snprintf(out, AAD_MAX, "breakglass/v1/item-key\nvault %s\n"
	    "account %s\nitem %s\nversion %llu\ngroup %s\nepoch %llu\n",
	    v->id_hex, a->id, it->name, (unsigned long long)it->version,
	    k->group, (unsigned long long)k->epoch);

	return n > 0 && n < AAD_MAX ? (size_t)n : 0;
}

/* ====================================================== group key pairs */

/* A fresh X25519 key pair; priv in the caller's locked memory. */
static int
keypair(uint8_t priv[32], uint8_t pub[32])
{
	if (RAND_priv_bytes(priv, 32) != 1)
		return BG_ECRYPTO;
	return bg_x25519_public(priv, pub);
}

/* Seals share x of k for person p to each of p's tokens into s. */
static int
seal_share(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_gkey *k, const struct bg_vault_person *p,
    uint8_t x, const uint8_t *share, struct bg_vault_share *s)
{
	char aad[AAD_MAX];
	size_t aadlen, t, len;
	int r;

	memset(s, 0, sizeof(*s));
	memcpy(s->person, p->name, strlen(p->name) + 1);
	s->x = x;
	if ((aadlen = aad_share(v, a, k, p->name, x, aad)) == 0)
		return BG_ETOOBIG;
	if ((r = bg_share_commit(v->id, k->group, x, share, BG_SHARE_LEN,
	    s->commit)) != BG_OK)
		return r;
	for (t = 0; t < p->ntokens; t++) {
		memcpy(s->token[t], bg_token_desc_id(p->tokens[t]),
		    sizeof(s->token[t]));
		if ((r = bg_box_seal(bg_token_desc_public(p->tokens[t]),
		    "share", aad, aadlen, share, BG_SHARE_LEN, s->box[t],
		    BG_SHARE_BOX_LEN, &len)) != BG_OK)
			return r;
	}
	s->nbox = p->ntokens;
	return BG_OK;
}

/*
 * The members of group g in the policy, each with a token and none a
 * requester (docs/design.md §5.2 policy floor: a requester's own share
 * would count toward their own request, offline).
 */
static int
members(const struct bg_vault *v, const char *group, size_t *g,
    const struct bg_vault_person **out, size_t *n)
{
	size_t i, m;
	const char *name;

	for (*g = 0; *g < bg_policy_ngroups(v->policy); (*g)++)
		if (strcmp(bg_policy_group_name(v->policy, *g), group) == 0)
			break;
	if (*g == bg_policy_ngroups(v->policy)) {
		bg_set_why("no group named '%s' in the policy", group);
		return BG_ENOENT;
	}
	m = bg_policy_group_nmembers(v->policy, *g);
	for (i = 0; i < m; i++) {
		name = bg_policy_group_member(v->policy, *g, i);
		if ((out[i] = bg_vault_person(v, name)) != NULL &&
		    out[i]->requester) {
			/* names the group in bg_why() */
			(void)bg_policy_requester_check(v->policy, name, NULL, 0,
			    NULL, 0);
			return BG_EPERM;
		}
		if (out[i] == NULL || out[i]->ntokens == 0) {
			bg_set_why("%s (group %s) has no token enrolled: run "
			    "'breakglass token enroll %s ...'", name, group,
			    name);
			return BG_EPERM;
		}
	}
	*n = m;
	return BG_OK;
}

/*
 * Who group's key is split among (n of them) and its threshold t, within
 * the floor whoever calls: with t = 1 each share is the key itself.
 */
static int
split_plan(const struct bg_vault *v, const char *group,
    const struct bg_vault_person **who, size_t *n, unsigned *t)
{
	size_t g;
	int r;

	if ((r = members(v, group, &g, who, n)) != BG_OK)
		return r;
	if ((*t = bg_policy_group_threshold(v->policy, g)) < 2) {
		bg_set_why("group %s: threshold %u: a group key is split at "
		    "least 2 of n", group, *t);
		return BG_EPERM;
	}
	return BG_OK;
}

/* Splits priv among the group's current members into k (t, shares). */
static int
split_into(const struct bg_vault *v, const struct bg_vault_account *a,
    struct bg_vault_gkey *k, const uint8_t priv[32])
{
	const struct bg_vault_person *who[BG_POLICY_MEMBERS_MAX];
	struct bg_vault_share *shares = NULL;
	uint8_t *sh = NULL;
	size_t n = 0, i, shlen = 0;
	unsigned t;
	int r;

	if ((r = split_plan(v, k->group, who, &n, &t)) != BG_OK)
		return r;
	shlen = n * BG_SHARE_LEN;
	r = BG_ENOMEM;
	if ((sh = bg_secure_alloc(shlen)) == NULL ||
	    (shares = calloc(n, sizeof(*shares))) == NULL)
		goto out;
	if ((r = bg_shamir_split(priv, BG_SHARE_LEN, t, (unsigned)n, sh)) !=
	    BG_OK)
		goto out;
	k->threshold = t;
	for (i = 0; i < n && r == BG_OK; i++)
		r = seal_share(v, a, k, who[i], (uint8_t)(i + 1),
		    sh + i * BG_SHARE_LEN, &shares[i]);
	if (r == BG_OK) {
		free(k->shares);
		k->shares = shares;
		k->nshares = n;
		shares = NULL;
	}
out:
	bg_secure_free(&sh, shlen);
	free(shares);
	return r;
}

/* Arms (account a, policy group g) with a fresh key pair. */
static int
arm_one(struct bg_vault *v, struct bg_vault_account *a, const char *group)
{
	struct bg_vault_gkey *k;
	uint8_t *priv;
	int r;

	if ((k = realloc(a->keys, (a->nkeys + 1) * sizeof(*k))) == NULL)
		return BG_ENOMEM;
	a->keys = k;
	k = &a->keys[a->nkeys];
	memset(k, 0, sizeof(*k));
	memcpy(k->group, group, strlen(group) + 1);
	k->epoch = 1;
	if ((priv = bg_secure_alloc(32)) == NULL)
		return BG_ENOMEM;
	if ((r = keypair(priv, k->pub)) == BG_OK &&
	    (r = split_into(v, a, k, priv)) == BG_OK)
		a->nkeys++;
	bg_secure_free(&priv, 32);
	return r;
}

/* Every member of every group has a token and is not a requester. */
static int
all_members_ok(const struct bg_vault *v)
{
	const struct bg_vault_person *who[BG_POLICY_MEMBERS_MAX];
	size_t g, i, n;
	int r;

	for (g = 0; g < bg_policy_ngroups(v->policy); g++)
		if ((r = members(v, bg_policy_group_name(v->policy, g), &i,
		    who, &n)) != BG_OK)
			return r;
	return BG_OK;
}

int
bg_vault_arm(struct bg_vault *v, size_t *armed)
{
	char why[512];
	size_t i, g;
	const char *group;
	int r;

	*armed = 0;
	if (bg_policy_validate(v->policy, why, sizeof(why)) != BG_OK) {
		bg_set_why("the policy cannot be met: %s", why);
		return BG_EPERM;
	}
	if (v->naccounts == 0) {
		bg_set_why("no account in the vault");
		return BG_EPERM;
	}
	if ((r = all_members_ok(v)) != BG_OK)	/* before any change */
		return r;
	for (i = 0; i < v->naccounts; i++)
		for (g = 0; g < bg_policy_ngroups(v->policy); g++) {
			group = bg_policy_group_name(v->policy, g);
			if (bg_vault_gkey(&v->accounts[i], group) != NULL)
				continue;
			if ((r = arm_one(v, &v->accounts[i], group)) != BG_OK)
				return r;
			++*armed;
		}
	return BG_OK;
}

size_t
bg_vault_stale_holders(const struct bg_vault *v, const struct bg_vault_gkey *k,
    const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < k->nshares; i++)
		if (!bg_policy_is_member(v->policy, k->group,
		    k->shares[i].person) && n < max)
			names[n++] = k->shares[i].person;
	return n;
}

/* =============================================================== shares */

int
bg_vault_share_open(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_gkey *k, const struct bg_vault_share *s, size_t box,
    const uint8_t tokpriv[32], uint8_t share[BG_SHARE_LEN])
{
	char aad[AAD_MAX];
	size_t aadlen, len;
	int r;

	if (box >= s->nbox || (aadlen = aad_share(v, a, k, s->person, s->x,
	    aad)) == 0)
		return BG_EINVAL;
	if ((r = bg_box_open(tokpriv, "share", aad, aadlen, s->box[box],
	    BG_SHARE_BOX_LEN, share, BG_SHARE_LEN, &len)) != BG_OK) {
		bg_set_why("the share of %s for group %s does not open with "
		    "this token", s->person, k->group);
		return r;
	}
	return bg_vault_share_check(v, k, s->x, share);
}

int
bg_vault_share_check(const struct bg_vault *v, const struct bg_vault_gkey *k,
    uint8_t x, const uint8_t share[BG_SHARE_LEN])
{
	uint8_t c[BG_COMMIT_LEN];
	size_t i;
	int r;

	if ((r = bg_share_commit(v->id, k->group, x, share, BG_SHARE_LEN, c)) !=
	    BG_OK)
		return r;
	for (i = 0; i < k->nshares; i++)
		if (k->shares[i].x == x)
			break;
	if (i == k->nshares || bg_ct_memcmp(c, k->shares[i].commit,
	    sizeof(c)) != 0) {
		bg_set_why("bad share: x=%u%s%s does not match its commitment "
		    "for group %s", x, i < k->nshares ? " of " : "",
		    i < k->nshares ? k->shares[i].person : "", k->group);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_vault_combine(const struct bg_vault_gkey *k, const uint8_t *xs,
    const uint8_t *const *ys, unsigned n, uint8_t priv[32])
{
	uint8_t pub[32];
	int r;

	if (n < k->threshold) {
		bg_set_why("group %s: %u of %u shares", k->group, n,
		    k->threshold);
		return BG_EPERM;
	}
	if ((r = bg_shamir_combine(xs, ys, n, BG_SHARE_LEN, priv)) != BG_OK ||
	    (r = bg_x25519_public(priv, pub)) != BG_OK)
		return r;
	if (bg_ct_memcmp(pub, k->pub, 32) != 0) {
		bg_wipe(priv, 32);
		bg_set_why("group %s: the shares combine to the wrong key",
		    k->group);
		return BG_ETAMPER;
	}
	return BG_OK;
}

/* ================================================================ items */

/* The groups the policy names for item (pointers into the policy). */
static int
item_groups(const struct bg_vault *v, const char *name, const char **groups,
    size_t *n)
{
	const char *items[1] = { name };

	return bg_policy_groups_for_items(v->policy, items, 1, groups,
	    BG_POLICY_GROUPS_MAX, n);
}

/* Seals the item key parts: XOR of all parts is ipriv. */
static int
seal_parts(const struct bg_vault *v, const struct bg_vault_account *a,
    struct bg_vault_item *it, const char *const *groups, size_t n,
    const uint8_t ipriv[32])
{
	uint8_t *part = bg_secure_alloc(64), *acc = part + 32;
	char aad[AAD_MAX];
	size_t i, b, aadlen, len;
	int r = BG_OK;

	if (part == NULL)
		return BG_ENOMEM;
	memcpy(acc, ipriv, 32);
	for (i = 0; i < n && r == BG_OK; i++) {
		const struct bg_vault_gkey *k = bg_vault_gkey(a, groups[i]);
		struct bg_item_key *ik = &it->keys[i];

		memcpy(ik->group, k->group, sizeof(ik->group));
		ik->epoch = k->epoch;
		if (i + 1 < n && RAND_priv_bytes(part, 32) != 1)
			r = BG_ECRYPTO;
		else if (i + 1 == n)
			memcpy(part, acc, 32);
		for (b = 0; b < 32 && i + 1 < n; b++)
			acc[b] ^= part[b];
		if (r == BG_OK && (aadlen = aad_item_key(v, a, it, ik,
		    aad)) == 0)
			r = BG_ETOOBIG;
		if (r == BG_OK)
			r = bg_box_seal(k->pub, "item-key", aad, aadlen, part,
			    32, ik->box, sizeof(ik->box), &len);
	}
	it->nkeys = n;
	bg_secure_free(&part, 64);
	return r;
}

static int
seal_data(const struct bg_vault *v, const struct bg_vault_account *a,
    struct bg_vault_item *it, const uint8_t *data, size_t len,
    const uint8_t ipub[32])
{
	char aad[AAD_MAX];
	size_t aadlen;

	free(it->data);
	it->data_len = 0;
	if ((aadlen = aad_item(v, a, it, aad)) == 0)
		return BG_ETOOBIG;
	if ((it->data = malloc(len + BG_BOX_OVERHEAD)) == NULL)
		return BG_ENOMEM;
	return bg_box_seal(ipub, "item", aad, aadlen, data, len, it->data,
	    len + BG_BOX_OVERHEAD, &it->data_len);
}

static int
need_armed(const struct bg_vault_account *a, const char *const *groups,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bg_vault_gkey(a, groups[i]) == NULL) {
			bg_set_why("group %s of account %s is not armed: run "
			    "'breakglass vault arm'", groups[i], a->id);
			return BG_EPERM;
		}
	return BG_OK;
}

int
bg_vault_seal(struct bg_vault *v, struct bg_vault_account *a,
    const char *name, enum bg_item_kind kind, const uint8_t *data, size_t len,
    uint64_t now)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	struct bg_vault_item *it, fresh;
	uint8_t *ipriv = NULL, ipub[32];
	size_t n;
	int r;

	if (len == 0 || len > BG_VAULT_ITEM_MAX)
		return BG_ERANGE;
	if ((r = item_groups(v, name, groups, &n)) != BG_OK ||
	    (r = need_armed(a, groups, n)) != BG_OK)
		return r;
	memset(&fresh, 0, sizeof(fresh));
	if ((it = bg_vault_item(a, name)) != NULL)
		fresh.version = it->version + 1;
	else
		fresh.version = 1;
	memcpy(fresh.name, name, strlen(name) + 1);
	fresh.kind = kind;
	fresh.sealed = now;
	if ((ipriv = bg_secure_alloc(32)) == NULL)
		return BG_ENOMEM;
	if ((r = keypair(ipriv, ipub)) == BG_OK &&
	    (r = seal_data(v, a, &fresh, data, len, ipub)) == BG_OK)
		r = seal_parts(v, a, &fresh, groups, n, ipriv);
	bg_secure_free(&ipriv, 32);
	if (r == BG_OK && it == NULL && (it = realloc(a->items, (a->nitems + 1) *
	    sizeof(*it))) != NULL) {
		a->items = it;
		it = &a->items[a->nitems++];
		it->data = NULL;
	} else if (r == BG_OK && it == NULL) {
		r = BG_ENOMEM;
	}
	if (r != BG_OK) {
		free(fresh.data);
		return r;
	}
	free(it->data);
	*it = fresh;
	return BG_OK;
}

static const uint8_t *
priv_for(const struct bg_group_priv *keys, size_t nkeys, const char *group)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].group, group) == 0)
			return keys[i].priv;
	return NULL;
}

/* XORs every part of it's key into ipriv. */
static int
open_parts(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_item *it, const struct bg_group_priv *keys,
    size_t nkeys, uint8_t ipriv[32], uint8_t part[32])
{
	const uint8_t *gpriv;
	char aad[AAD_MAX];
	size_t i, b, aadlen, len;
	int r;

	memset(ipriv, 0, 32);
	for (i = 0; i < it->nkeys; i++) {
		if ((gpriv = priv_for(keys, nkeys, it->keys[i].group)) == NULL) {
			bg_set_why("item %s also needs group %s", it->name,
			    it->keys[i].group);
			return BG_EPERM;
		}
		if ((aadlen = aad_item_key(v, a, it, &it->keys[i], aad)) == 0)
			return BG_ETOOBIG;
		if ((r = bg_box_open(gpriv, "item-key", aad, aadlen,
		    it->keys[i].box, BG_ITEM_KEY_BOX_LEN, part, 32, &len)) !=
		    BG_OK) {
			bg_set_why("item %s: its key for group %s does not open "
			    "(sealed to another group key?)", it->name,
			    it->keys[i].group);
			return r;
		}
		for (b = 0; b < 32; b++)
			ipriv[b] ^= part[b];
	}
	return BG_OK;
}

int
bg_vault_open_item(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_item *it, const struct bg_group_priv *keys,
    size_t nkeys, uint8_t **out, size_t *outlen)
{
	uint8_t *k = bg_secure_alloc(64);
	char aad[AAD_MAX];
	size_t aadlen, cap = it->data_len - BG_BOX_OVERHEAD;
	int r;

	*out = NULL;
	*outlen = 0;
	if (k == NULL || (*out = bg_secure_alloc(cap + 1)) == NULL) {
		bg_secure_free(&k, 64);
		return BG_ENOMEM;
	}
	if ((r = open_parts(v, a, it, keys, nkeys, k, k + 32)) == BG_OK) {
		if ((aadlen = aad_item(v, a, it, aad)) == 0)
			r = BG_ETOOBIG;
		else
			r = bg_box_open(k, "item", aad, aadlen, it->data,
			    it->data_len, *out, cap, outlen);
	}
	bg_secure_free(&k, 64);
	if (r != BG_OK) {
		bg_secure_free(out, cap + 1);
		*outlen = 0;
		return r;
	}
	(*out)[*outlen] = '\0';
	return BG_OK;
}

/* ================================================================ rekey */

/* Re-seals every item part of group (old key oldpriv) to k's new key. */
static int
reseal_items(const struct bg_vault *v, struct bg_vault_account *a,
    const struct bg_vault_gkey *k, const uint8_t oldpriv[32])
{
	uint8_t *part = bg_secure_alloc(32);
	char aad[AAD_MAX];
	size_t i, j, aadlen, len;
	int r = BG_OK;

	if (part == NULL)
		return BG_ENOMEM;
	for (i = 0; i < a->nitems && r == BG_OK; i++)
		for (j = 0; j < a->items[i].nkeys && r == BG_OK; j++) {
			struct bg_item_key *ik = &a->items[i].keys[j];

			if (strcmp(ik->group, k->group) != 0)
				continue;
			if ((aadlen = aad_item_key(v, a, &a->items[i], ik,
			    aad)) == 0)
				r = BG_ETOOBIG;
			else
				r = bg_box_open(oldpriv, "item-key", aad,
				    aadlen, ik->box, sizeof(ik->box), part, 32,
				    &len);
			if (r != BG_OK)
				break;
			ik->epoch = k->epoch;
			if ((aadlen = aad_item_key(v, a, &a->items[i], ik,
			    aad)) == 0)
				r = BG_ETOOBIG;
			else
				r = bg_box_seal(k->pub, "item-key", aad, aadlen,
				    part, 32, ik->box, sizeof(ik->box), &len);
		}
	bg_secure_free(&part, 32);
	return r;
}

int
bg_vault_resplit(struct bg_vault *v, struct bg_vault_account *a,
    const char *group, const uint8_t priv[32], int new_key)
{
	const struct bg_vault_person *who[BG_POLICY_MEMBERS_MAX];
	struct bg_vault_gkey *k = bg_vault_gkey(a, group);
	uint8_t pub[32], *fresh = NULL;
	size_t n;
	unsigned t;
	int r;

	if (k == NULL)
		return BG_ENOENT;
	if ((r = bg_x25519_public(priv, pub)) != BG_OK)
		return r;
	if (bg_ct_memcmp(pub, k->pub, 32) != 0) {
		bg_set_why("group %s: not the group's private key", group);
		return BG_ETAMPER;
	}
	/* refused before the key pair or the items change */
	if ((r = split_plan(v, group, who, &n, &t)) != BG_OK)
		return r;
	if (!new_key)
		return split_into(v, a, k, priv);
	if ((fresh = bg_secure_alloc(32)) == NULL)
		return BG_ENOMEM;
	if ((r = keypair(fresh, k->pub)) == BG_OK) {
		k->epoch++;
		if ((r = reseal_items(v, a, k, priv)) == BG_OK)
			r = split_into(v, a, k, fresh);
	}
	bg_secure_free(&fresh, 32);
	return r;
}
