/*
 * Governance states (chain.h): the projection of a vault, its hash, and
 * what a state the chain holds must be.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/chain/internal.h"

static const char state_tag[] = "breakglass/v1/chain-state";


/* vault.json's object with every account's items emptied. */
int
bg_chain_projection(const struct bg_vault *v, cJSON **j)
{
	const cJSON *accounts;
	cJSON *a;
	int r;

	if ((r = bg_vault_to_json(v, j)) != BG_OK)
		return r;
	accounts = cJSON_GetObjectItemCaseSensitive(*j, "accounts");
	cJSON_ArrayForEach(a, accounts)
		if (!cJSON_ReplaceItemInObjectCaseSensitive(a, "items",
		    cJSON_CreateArray())) {
			cJSON_Delete(*j);
			*j = NULL;
			return BG_ENOMEM;
		}
	return BG_OK;
}

static int
hash_json(const cJSON *j, uint8_t hash[32])
{
	char *text = cJSON_PrintUnformatted(j);
	const void *p[1] = { text };
	size_t len[1];
	int r;

	if (text == NULL)
		return BG_ENOMEM;
	len[0] = strlen(text);
	r = bg_chain_tagged_hash(state_tag, p, len, 1, hash);
	free(text);
	return r;
}

int
bg_chain_state_of(const struct bg_vault *v, struct bg_vault **state,
    uint8_t hash[32])
{
	cJSON *j = NULL;
	int r;

	if ((r = bg_chain_projection(v, &j)) == BG_OK && hash != NULL)
		r = hash_json(j, hash);
	if (r == BG_OK && state != NULL)
		r = bg_vault_from_json(j, state);
	cJSON_Delete(j);
	return r;
}

/* why already says it. */
static int
refuse(const char *why)
{
	bg_set_why("%s", why);
	return BG_EPERM;
}

static int
twice(const struct bg_vault_person *p, const struct bg_vault_person *q,
    char *why, size_t whysz)
{
	snprintf(why, whysz, "one token is enrolled twice (for %s and for "
	    "%s): a person's token is theirs alone", p->name, q->name);
	return refuse(why);
}

/* No requester in a group; every token proved and enrolled once. */
/*
 * 1 when old holds d byte for byte (the same person's): its proof was
 * checked when it joined, so a walk checks each proof once, not per link.
 */
static int
unchanged(const struct bg_vault *old, const char *person,
    const bg_token_desc_t *d)
{
	const bg_token_desc_t *o = bg_chain_holds(old, person, bg_token_desc_id(d));
	cJSON *a = NULL, *b = NULL;
	int same = 0;

	if (o != NULL && bg_token_desc_to_json(o, &a) == BG_OK &&
	    bg_token_desc_to_json(d, &b) == BG_OK)
		same = cJSON_Compare(a, b, 1);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return same;
}

/* fresh[k]: token k is not one old holds byte for byte. */
static void
mark_fresh(const struct bg_vault *old, const struct bg_vault *v,
    unsigned char *fresh)
{
	const struct bg_vault_person *p;
	size_t i, a;

	for (i = 0; i < v->npeople; i++)
		for (p = &v->people[i], a = 0; a < p->ntokens; a++)
			fresh[i * BG_VAULT_TOKENS_MAX + a] = !unchanged(old,
			    p->name, p->tokens[a]);
}

/* Each fresh token proved (the others were when they joined). */
static int
proofs_ok(const struct bg_vault *v, const unsigned char *fresh, char *why,
    size_t whysz)
{
	const struct bg_vault_person *p;
	size_t i, a;

	for (i = 0; i < v->npeople; i++)
		for (p = &v->people[i], a = 0; a < p->ntokens; a++)
			if (fresh[i * BG_VAULT_TOKENS_MAX + a] &&
			    bg_token_desc_proof_verify(p->tokens[a]) != BG_OK) {
				snprintf(why, whysz, "the token %s of %s "
				    "carries no valid proof of possession "
				    "(enroll it again)",
				    bg_token_desc_id(p->tokens[a]), p->name);
				return refuse(why);
			}
	return BG_OK;
}

/* No token twice; two tokens old held already were compared then. */
static int
distinct(const struct bg_vault *v, const unsigned char *fresh, char *why,
    size_t whysz)
{
	const struct bg_vault_person *p, *q;
	size_t i, j, a, b;

	for (i = 0; i < v->npeople; i++)
		for (j = i, p = &v->people[i]; j < v->npeople; j++)
			for (q = &v->people[j], a = 0; a < p->ntokens; a++)
				for (b = i == j ? a + 1 : 0; b < q->ntokens;
				    b++)
					if ((fresh[i * BG_VAULT_TOKENS_MAX +
					    a] || fresh[j *
					    BG_VAULT_TOKENS_MAX + b]) &&
					    bg_token_desc_same(p->tokens[a],
					    q->tokens[b]))
						return twice(p, q, why, whysz);
	return BG_OK;
}

static int
people_ok(const struct bg_vault *old, const struct bg_vault *v, char *why,
    size_t whysz)
{
	unsigned char *fresh;
	size_t i;
	int r = BG_OK;

	for (i = 0; i < v->npeople && r == BG_OK; i++)
		if (v->people[i].requester && bg_policy_requester_check(
		    v->policy, v->people[i].name, NULL, 0, why, whysz) != BG_OK)
			r = refuse(why);
	if (r != BG_OK)
		return r;
	if ((fresh = calloc(v->npeople + 1, BG_VAULT_TOKENS_MAX)) == NULL)
		return BG_ENOMEM;
	mark_fresh(old, v, fresh);
	if ((r = distinct(v, fresh, why, whysz)) == BG_OK)
		r = proofs_ok(v, fresh, why, whysz);
	free(fresh);
	return r;
}

int
bg_chain_state_ok_after(const struct bg_vault *old, const struct bg_vault *v,
    char *why, size_t whysz)
{
	int r;

	if ((r = bg_vault_ready(v, why, whysz)) != BG_OK)
		return r;
	if (v->naccounts == 0) {
		snprintf(why, whysz, "no account in the vault");
		return refuse(why);
	}
	return people_ok(old, v, why, whysz);
}

int
bg_chain_state_ok(const struct bg_vault *v, char *why, size_t whysz)
{
	return bg_chain_state_ok_after(NULL, v, why, whysz);
}

