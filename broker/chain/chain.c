/* The chain from genesis (chain.h): read and checked on every load. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/chain/internal.h"


void
bg_chain_free(bg_chain_t **c)
{
	size_t i;

	if (c == NULL || *c == NULL)
		return;
	for (i = 0; i < (*c)->n; i++)
		bg_chain_link_free(&(*c)->links[i]);
	free((*c)->links);
	free(*c);
	*c = NULL;
}

static int
chain_push(bg_chain_t *c, struct bg_chain_link *l)
{
	struct bg_chain_link **more = realloc(c->links, (c->n + 1) *
	    sizeof(*more));

	if (more == NULL)
		return BG_ENOMEM;
	c->links = more;
	c->links[c->n++] = l;
	return BG_OK;
}

/* Checks link n (j, named name) after what c holds, and keeps it. */
static int
push_checked(bg_chain_t *c, uint64_t n, const cJSON *j, const char *name)
{
	const struct bg_chain_link *last = n ? c->links[n - 1] : NULL;
	struct bg_chain_link *l = NULL;
	char why[1024];
	int r;

	r = bg_chain_link_from_json(j, &l);
	if (r == BG_OK)
		r = bg_chain_link_check(last ? last->state : NULL,
		    last ? (last->n ? last->fp : last->m) : NULL,
		    last ? last->m : NULL, n, l, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", bg_why());
	if (r == BG_OK && (r = chain_push(c, l)) == BG_OK)
		return BG_OK;
	bg_chain_link_free(&l);
	if (r == BG_ENOMEM)
		return r;
	bg_set_why("%s does not verify: %s", name, why);
	return BG_ETAMPER;
}

/* Reads and checks link n after what c holds. */
static int
load_link(const struct bg_state *st, bg_chain_t *c, uint64_t n)
{
	char name[BG_CHAIN_PATH_MAX];
	cJSON *j = NULL;
	int r;

	bg_chain_path(n, name);
	if ((r = bg_state_read(st, name, &j)) != BG_OK)
		return r;
	r = push_checked(c, n, j, name);
	cJSON_Delete(j);
	return r;
}

int
bg_chain_from_json(const cJSON *links, bg_chain_t **out)
{
	bg_chain_t *c = calloc(1, sizeof(*c));
	char name[BG_CHAIN_PATH_MAX];
	const cJSON *l;
	uint64_t n = 0;
	int r = BG_OK;

	*out = NULL;
	if (c == NULL)
		return BG_ENOMEM;
	if (!cJSON_IsArray(links) || cJSON_GetArraySize(links) < 1 ||
	    cJSON_GetArraySize(links) > BG_CHAIN_LINKS_MAX) {
		bg_set_why("a chain must be an array of 1 to %d links",
		    BG_CHAIN_LINKS_MAX);
		r = BG_EFORMAT;
	}
	cJSON_ArrayForEach(l, links) {
		if (r != BG_OK)
			break;
		bg_chain_path(n, name);
		r = push_checked(c, n++, l, name);
	}
	if (r == BG_OK)
		*out = c;
	else
		bg_chain_free(&c);
	return r;
}

int
bg_chain_to_json(const bg_chain_t *c, cJSON **out)
{
	cJSON *a = cJSON_CreateArray(), *j;
	uint64_t i;
	int r;

	*out = NULL;
	if (a == NULL)
		return BG_ENOMEM;
	for (i = 0; i < c->n; i++) {
		if ((r = bg_chain_link_to_json(c->links[i], &j)) != BG_OK) {
			cJSON_Delete(a);
			return r;
		}
		cJSON_AddItemToArray(a, j);
	}
	*out = a;
	return BG_OK;
}

int
bg_chain_load(const struct bg_state *st, bg_chain_t **out)
{
	bg_chain_t *c = calloc(1, sizeof(*c));
	uint64_t n;
	int r = BG_OK;

	*out = NULL;
	if (c == NULL)
		return BG_ENOMEM;
	for (n = 0; n < BG_CHAIN_LINKS_MAX; n++)
		if ((r = load_link(st, c, n)) != BG_OK)
			break;
	if (r == BG_ENOENT && n > 0)
		r = BG_OK;
	else if (r == BG_ENOENT)
		bg_set_why("the vault has no genesis yet ('vault arm')");
	if (r == BG_OK)
		*out = c;
	else
		bg_chain_free(&c);
	return r;
}

uint64_t
bg_chain_length(const bg_chain_t *c)
{
	return c->n;
}

const struct bg_chain_link *
bg_chain_last(const bg_chain_t *c)
{
	return c->links[c->n - 1];
}

const struct bg_chain_link *
bg_chain_at(const bg_chain_t *c, uint64_t i)
{
	return i < c->n ? c->links[i] : NULL;
}

const uint8_t *
bg_chain_fingerprint(const bg_chain_t *c)
{
	return c->links[0]->m;
}

const uint8_t *
bg_chain_head(const bg_chain_t *c)
{
	return bg_chain_last(c)->m;
}

int
bg_chain_check_vault(const bg_chain_t *c, const struct bg_vault *v)
{
	uint8_t h[32];
	int r;

	if ((r = bg_chain_state_of(v, NULL, h)) != BG_OK)
		return r;
	if (memcmp(h, bg_chain_last(c)->state_hash, 32) != 0) {
		bg_set_why("vault.json disagrees with the chain: its people, "
		    "tokens, groups, policy or accounts are not the state "
		    "the custodians signed (link %zu)", c->n - 1);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_chain_signed_by(const bg_chain_t *c, const char *person,
    const char *token)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (bg_chain_signed_with(c->links[i], person, token) >= 0)
			return 1;
	return 0;
}

const bg_token_desc_t *
bg_chain_token_ever(const bg_chain_t *c, const char *person, const char *id)
{
	const bg_token_desc_t *d;
	size_t i;

	for (i = c->n; i-- > 0;)
		if ((d = bg_chain_holds(c->links[i]->state, person, id)) != NULL)
			return d;
	return NULL;
}
