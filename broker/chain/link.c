/* Chain links (chain.h): made, signed, written and read. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "broker/chain/internal.h"

static const char link_tag[] = "breakglass/v1/chain-link";

void
bg_chain_hex(const uint8_t h[32], char out[65])
{
	(void)bg_hex_encode(h, 32, out, 65);
}

void
bg_chain_path(uint64_t n, char out[BG_CHAIN_PATH_MAX])
{
	snprintf(out, BG_CHAIN_PATH_MAX, BG_CHAIN_DIR "/%06" PRIu64 ".json", n);
}

int
bg_chain_tagged_hash(const char *tag, const void *const *p, const size_t *len,
    size_t n, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, strlen(tag) + 1) == 1;
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(md, p[i], len[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? BG_OK : BG_ECRYPTO;
}

/* person's token id in v, or NULL (v may be NULL). */
const bg_token_desc_t *
bg_chain_holds(const struct bg_vault *v, const char *person, const char *id)
{
	const struct bg_vault_person *p;
	int t;

	if (v == NULL || (p = bg_vault_person(v, person)) == NULL ||
	    (t = bg_vault_person_token(p, id)) < 0)
		return NULL;
	return p->tokens[t];
}

/* Index of the signature by person with token, or -1. */
int
bg_chain_signed_with(const struct bg_chain_link *l, const char *person,
    const char *token)
{
	size_t i;

	for (i = 0; i < l->nsigs; i++)
		if (strcmp(l->sigs[i].person, person) == 0 &&
		    strcmp(l->sigs[i].token, token) == 0)
			return (int)i;
	return -1;
}


static int
link_message(struct bg_chain_link *l)
{
	uint8_t n[8];
	const void *p[5] = { l->fp, n, l->prev, l->state_hash, l->nonce };
	size_t len[5] = { 32, 8, 32, 32, sizeof(l->nonce) }, i;

	for (i = 0; i < 8; i++)
		n[i] = (uint8_t)(l->n >> (56 - 8 * i));
	return bg_chain_tagged_hash(link_tag, p, len, 5, l->m);
}

void
bg_chain_link_free(struct bg_chain_link **l)
{
	if (l == NULL || *l == NULL)
		return;
	bg_vault_free(&(*l)->state);
	free((*l)->sigs);
	free(*l);
	*l = NULL;
}

int
bg_chain_link_new(const struct bg_chain_link *prev_link,
    const struct bg_vault *v, struct bg_chain_link **out)
{
	struct bg_chain_link *l = calloc(1, sizeof(*l));
	int r;

	*out = NULL;
	if (l == NULL)
		return BG_ENOMEM;
	if (prev_link != NULL) {
		l->n = prev_link->n + 1;
		memcpy(l->fp, prev_link->n == 0 ? prev_link->m : prev_link->fp,
		    32);
		memcpy(l->prev, prev_link->m, 32);
	}
	if (RAND_bytes(l->nonce, sizeof(l->nonce)) != 1)
		r = BG_ECRYPTO;
	else if ((r = bg_chain_state_of(v, &l->state, l->state_hash)) ==
	    BG_OK && (r = link_message(l)) == BG_OK) {
		*out = l;
		return BG_OK;
	}
	bg_chain_link_free(&l);
	return r;
}

int
bg_chain_link_sign(struct bg_chain_link *l, const char *person,
    const char *token, const uint8_t sig[BG_TOKEN_SIG_LEN])
{
	struct bg_chain_sig *more;
	size_t i;

	for (i = 0; i < l->nsigs; i++)
		if (strcmp(l->sigs[i].person, person) == 0 &&
		    strcmp(l->sigs[i].token, token) == 0)
			return BG_EEXIST;
	if (l->nsigs >= BG_CHAIN_SIGS_MAX || strlen(person) > BG_NAME_MAX ||
	    strlen(token) != 2 * BG_TOKEN_ID_LEN)
		return BG_ETOOBIG;
	if ((more = realloc(l->sigs, (l->nsigs + 1) * sizeof(*more))) == NULL)
		return BG_ENOMEM;
	l->sigs = more;
	more = &l->sigs[l->nsigs++];
	snprintf(more->person, sizeof(more->person), "%s", person);
	snprintf(more->token, sizeof(more->token), "%s", token);
	memcpy(more->sig, sig, BG_TOKEN_SIG_LEN);
	return BG_OK;
}

static int
sig_to_json(cJSON *array, const struct bg_chain_sig *s)
{
	cJSON *o;
	int r;

	if ((r = bg_vjson_push_obj(array, &o)) != BG_OK)
		return r;
	if (!cJSON_AddStringToObject(o, "person", s->person) ||
	    !cJSON_AddStringToObject(o, "token", s->token))
		return BG_ENOMEM;
	return bg_vjson_add_b64(o, "signature", s->sig, BG_TOKEN_SIG_LEN);
}

static int
fill_link(const void *obj, cJSON *j)
{
	const struct bg_chain_link *l = obj;
	char fp[65], prev[65], nonce[2 * sizeof(l->nonce) + 1];
	cJSON *state = NULL, *sigs;
	size_t i;
	int r;

	bg_chain_hex(l->fp, fp);
	bg_chain_hex(l->prev, prev);
	bg_hex_encode(l->nonce, sizeof(l->nonce), nonce, sizeof(nonce));
	if (!cJSON_AddStringToObject(j, "format", BG_CHAIN_FORMAT) ||
	    !cJSON_AddNumberToObject(j, "n", (double)l->n) ||
	    !cJSON_AddStringToObject(j, "fingerprint", fp) ||
	    !cJSON_AddStringToObject(j, "prev", prev) ||
	    !cJSON_AddStringToObject(j, "nonce", nonce))
		return BG_ENOMEM;
	if ((r = bg_chain_projection(l->state, &state)) != BG_OK ||
	    (r = bg_json_add(j, "state", state)) != BG_OK)
		return r;
	if ((sigs = cJSON_AddArrayToObject(j, "signatures")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < l->nsigs; i++)
		if ((r = sig_to_json(sigs, &l->sigs[i])) != BG_OK)
			return r;
	return BG_OK;
}

int
bg_chain_link_to_json(const struct bg_chain_link *l, cJSON **j)
{
	return bg_vjson_build(fill_link, l, j);
}

static int
bad_link(const char *what)
{
	bg_set_why("chain link: %s", what);
	return BG_EFORMAT;
}

static int
read_sig(void *ctx, const cJSON *e, size_t i)
{
	static const char *const keys[] = { "person", "token", "signature",
	    NULL };
	struct bg_chain_link *l = ctx;
	char person[BG_NAME_MAX + 1];
	const char *tok;
	uint8_t sig[BG_TOKEN_SIG_LEN], id[BG_TOKEN_ID_LEN];
	int r;

	(void)i;
	if (bg_json_only_keys(e, keys) != BG_OK ||
	    bg_vjson_get_name(e, "person", person) != BG_OK ||
	    bg_json_get_str(e, "token", 2 * BG_TOKEN_ID_LEN, &tok) != BG_OK ||
	    bg_hex_decode_exact(tok, strlen(tok), id, sizeof(id)) != BG_OK ||
	    bg_json_get_b64(e, "signature", sig, sizeof(sig)) != BG_OK)
		return bad_link("a signature is malformed");
	if ((r = bg_chain_link_sign(l, person, tok, sig)) == BG_EEXIST)
		return bad_link("a token signs twice");
	return r;
}

static int
get_hash(const cJSON *j, const char *key, uint8_t out[32])
{
	const char *s;

	if (bg_json_get_str(j, key, 64, &s) != BG_OK ||
	    bg_hex_decode_exact(s, strlen(s), out, 32) != BG_OK)
		return bad_link(key);
	return BG_OK;
}

static int
items_empty(const struct bg_vault *v)
{
	size_t a;

	for (a = 0; a < v->naccounts; a++)
		if (v->accounts[a].nitems != 0)
			return bad_link("the state holds sealed items");
	return BG_OK;
}

static int
parse_link(const cJSON *j, struct bg_chain_link *l)
{
	static const char *const keys[] = { "format", "n", "fingerprint",
	    "prev", "nonce", "state", "signatures", NULL };
	const cJSON *state;
	struct bg_vault *raw = NULL;
	const char *fmt, *nonce;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_json_get_str(j, "format", 64, &fmt) != BG_OK ||
	    strcmp(fmt, BG_CHAIN_FORMAT) != 0)
		return bad_link("not " BG_CHAIN_FORMAT);
	if (bg_json_get_u64(j, "n", 0, BG_CHAIN_LINKS_MAX, &l->n) != BG_OK ||
	    get_hash(j, "fingerprint", l->fp) != BG_OK ||
	    get_hash(j, "prev", l->prev) != BG_OK ||
	    bg_json_get_str(j, "nonce", 2 * sizeof(l->nonce), &nonce) !=
	    BG_OK || bg_hex_decode_exact(nonce, strlen(nonce), l->nonce,
	    sizeof(l->nonce)) != BG_OK ||
	    bg_json_get_obj(j, "state", &state) != BG_OK)
		return bad_link("n, fingerprint, prev, nonce or state");
	/* the hash is of the state re-made from the parsed one (no items:
	 * the projection is the state itself), never of the file's bytes */
	if ((r = bg_vault_from_json(state, &raw)) != BG_OK ||
	    (r = items_empty(raw)) != BG_OK ||
	    (r = bg_chain_state_of(raw, NULL, l->state_hash)) != BG_OK) {
		bg_vault_free(&raw);
		return r;
	}
	l->state = raw;
	if ((r = bg_vjson_each(j, "signatures", BG_CHAIN_SIGS_MAX, "chain link",
	    read_sig, l, NULL)) != BG_OK)
		return r;
	return link_message(l);
}

int
bg_chain_link_from_json(const cJSON *j, struct bg_chain_link **out)
{
	struct bg_chain_link *l = calloc(1, sizeof(*l));
	int r;

	*out = NULL;
	if (l == NULL)
		return BG_ENOMEM;
	if ((r = parse_link(j, l)) != BG_OK) {
		bg_chain_link_free(&l);
		return r;
	}
	*out = l;
	return BG_OK;
}

