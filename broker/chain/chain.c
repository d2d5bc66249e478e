/* Governance states, links and the chain (chain.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/chain/chain.h"

static const char state_tag[] = "breakglass/v1/chain-state";
static const char link_tag[] = "breakglass/v1/chain-link";

struct bg_chain {
	struct bg_chain_link **links;
	size_t n;
};

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

/* SHA-256(tag || 0x00 || parts...), parts as (pointer, length) pairs. */
static int
tagged_hash(const char *tag, const void *const *p, const size_t *len,
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

/* ============================================================ states */

/* vault.json's object with every account's items emptied. */
static int
projection(const struct bg_vault *v, cJSON **j)
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
	r = tagged_hash(state_tag, p, len, 1, hash);
	free(text);
	return r;
}

int
bg_chain_state_of(const struct bg_vault *v, struct bg_vault **state,
    uint8_t hash[32])
{
	cJSON *j = NULL;
	int r;

	if ((r = projection(v, &j)) == BG_OK && hash != NULL)
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
static const bg_token_desc_t *holds(const struct bg_vault *v,
    const char *person, const char *id);

/*
 * 1 when old holds d byte for byte (the same person's): its proof was
 * checked when it joined, so a walk checks each proof once, not per link.
 */
static int
unchanged(const struct bg_vault *old, const char *person,
    const bg_token_desc_t *d)
{
	const bg_token_desc_t *o = holds(old, person, bg_token_desc_id(d));
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

static int
state_ok_after(const struct bg_vault *old, const struct bg_vault *v,
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
	return state_ok_after(NULL, v, why, whysz);
}

/* ============================================================= links */

static int
link_message(struct bg_chain_link *l)
{
	uint8_t n[8];
	const void *p[4] = { l->fp, n, l->prev, l->state_hash };
	size_t len[4] = { 32, 8, 32, 32 }, i;

	for (i = 0; i < 8; i++)
		n[i] = (uint8_t)(l->n >> (56 - 8 * i));
	return tagged_hash(link_tag, p, len, 4, l->m);
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
	if ((r = bg_chain_state_of(v, &l->state, l->state_hash)) == BG_OK &&
	    (r = link_message(l)) == BG_OK) {
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
	char fp[65], prev[65];
	cJSON *state = NULL, *sigs;
	size_t i;
	int r;

	bg_chain_hex(l->fp, fp);
	bg_chain_hex(l->prev, prev);
	if (!cJSON_AddStringToObject(j, "format", BG_CHAIN_FORMAT) ||
	    !cJSON_AddNumberToObject(j, "n", (double)l->n) ||
	    !cJSON_AddStringToObject(j, "fingerprint", fp) ||
	    !cJSON_AddStringToObject(j, "prev", prev))
		return BG_ENOMEM;
	if ((r = projection(l->state, &state)) != BG_OK ||
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
	    "prev", "state", "signatures", NULL };
	const cJSON *state;
	struct bg_vault *raw = NULL;
	const char *fmt;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_json_get_str(j, "format", 64, &fmt) != BG_OK ||
	    strcmp(fmt, BG_CHAIN_FORMAT) != 0)
		return bad_link("not " BG_CHAIN_FORMAT);
	if (bg_json_get_u64(j, "n", 0, BG_CHAIN_LINKS_MAX, &l->n) != BG_OK ||
	    get_hash(j, "fingerprint", l->fp) != BG_OK ||
	    get_hash(j, "prev", l->prev) != BG_OK ||
	    bg_json_get_obj(j, "state", &state) != BG_OK)
		return bad_link("n, fingerprint, prev or state");
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

/* ============================================================= rules */

/* p's token id in v with the same public keys as d, or NULL. */
static const bg_token_desc_t *
holds(const struct bg_vault *v, const char *person, const char *id)
{
	const struct bg_vault_person *p;
	int t;

	if (v == NULL || (p = bg_vault_person(v, person)) == NULL ||
	    (t = bg_vault_person_token(p, id)) < 0)
		return NULL;
	return p->tokens[t];
}

static int
same_keys(const bg_token_desc_t *a, const bg_token_desc_t *b)
{
	return memcmp(bg_token_desc_public(a), bg_token_desc_public(b),
	    BG_TOKEN_X25519_LEN) == 0 && memcmp(bg_token_desc_sign_public(a),
	    bg_token_desc_sign_public(b), 32) == 0;
}

/* 1 when d (of person in the new state) was held, keys and all, before. */
static int
held_before(const struct bg_vault *old, const char *person,
    const bg_token_desc_t *d)
{
	const bg_token_desc_t *o = holds(old, person, bg_token_desc_id(d));

	return o != NULL && same_keys(o, d);
}

/* Index of the signature by person with token, or -1. */
static int
signed_with(const struct bg_chain_link *l, const char *person,
    const char *token)
{
	size_t i;

	for (i = 0; i < l->nsigs; i++)
		if (strcmp(l->sigs[i].person, person) == 0 &&
		    strcmp(l->sigs[i].token, token) == 0)
			return (int)i;
	return -1;
}

/*
 * Each signature made by a token its signer holds, checked with the key
 * the old state has for it (an approver's), or for a token the link adds,
 * with the new state's key. A signature never counts under the key it was
 * not checked with.
 */
static int
sigs_valid(const struct bg_vault *old, const struct bg_chain_link *l,
    char *why, size_t whysz)
{
	const struct bg_chain_sig *s;
	const bg_token_desc_t *o, *n;
	size_t i;

	for (i = 0; i < l->nsigs; i++) {
		s = &l->sigs[i];
		o = holds(old, s->person, s->token);
		n = holds(l->state, s->person, s->token);
		if (o == NULL && n == NULL) {
			snprintf(why, whysz, "%s signed with token %s, which "
			    "is not theirs", s->person, s->token);
			return BG_ETAMPER;
		}
		if (bg_token_sig_verify(o ? o : n, l->m, 32, s->sig) != BG_OK) {
			snprintf(why, whysz, "the signature of %s (token %s) "
			    "does not verify", s->person, s->token);
			return BG_ETAMPER;
		}
	}
	return BG_OK;
}

/* A token id the old state has with other keys: keys swapped under it. */
static int
keys_kept(const struct bg_vault *old, const struct bg_chain_link *l,
    char *why, size_t whysz)
{
	const struct bg_vault_person *p;
	const bg_token_desc_t *d;
	size_t i, j, t;

	for (i = 0; old != NULL && i < l->state->npeople; i++)
		for (p = &l->state->people[i], t = 0; t < p->ntokens; t++)
			for (j = 0; j < old->npeople; j++) {
				d = holds(old, old->people[j].name,
				    bg_token_desc_id(p->tokens[t]));
				if (d != NULL && !same_keys(d, p->tokens[t])) {
					snprintf(why, whysz, "token %s keeps "
					    "its id but not its keys",
					    bg_token_desc_id(p->tokens[t]));
					return BG_ETAMPER;
				}
			}
	return BG_OK;
}

/* Appends "; text" to out (what is still missing). */
static void
add_missing(char *out, size_t outsz, size_t *n, const char *text)
{
	size_t len = strlen(out);

	if (len < outsz)
		snprintf(out + len, outsz - len, "%s%s", *n ? "; " : "", text);
	++*n;
}

static const char *
text(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *
text(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	return buf;
}

/* Members of group g of old who signed with a token they held there. */
static unsigned
group_signers(const struct bg_vault *old, size_t g,
    const struct bg_chain_link *l)
{
	const bg_policy_t *p = old->policy;
	const char *who;
	unsigned k = 0;
	size_t m, i;

	for (m = 0; m < bg_policy_group_nmembers(p, g); m++) {
		who = bg_policy_group_member(p, g, m);
		for (i = 0; i < l->nsigs; i++)
			if (strcmp(l->sigs[i].person, who) == 0 &&
			    holds(old, who, l->sigs[i].token) != NULL) {
				k++;
				break;
			}
	}
	return k;
}

/* Each token l adds signed by itself, and by an old token of its holder. */
static void
need_tokens(const struct bg_vault *old, const struct bg_chain_link *l,
    char *out, size_t outsz, size_t *n)
{
	const struct bg_vault_person *p, *was;
	char line[256];
	size_t i, t, k;
	int gains;

	for (i = 0; i < l->state->npeople; i++) {
		p = &l->state->people[i];
		gains = 0;
		for (t = 0; t < p->ntokens; t++) {
			if (held_before(old, p->name, p->tokens[t]))
				continue;
			gains = 1;
			if (signed_with(l, p->name,
			    bg_token_desc_id(p->tokens[t])) < 0)
				add_missing(out, outsz, n, text(line,
				    sizeof(line), "%s with the token added "
				    "(%s)", p->name,
				    bg_token_desc_id(p->tokens[t])));
		}
		was = old ? bg_vault_person(old, p->name) : NULL;
		if (!gains || was == NULL || was->ntokens == 0)
			continue;
		for (k = 0, t = 0; t < was->ntokens; t++)
			k += signed_with(l, p->name,
			    bg_token_desc_id(was->tokens[t])) >= 0;
		if (k == 0)
			add_missing(out, outsz, n, text(line, sizeof(line),
			    "%s with a token they held before", p->name));
	}
}

/* What is missing, into out; the count. */
static size_t
need(const struct bg_vault *old, const struct bg_chain_link *l, char *out,
    size_t outsz)
{
	const bg_policy_t *p;
	size_t g, n = 0;
	unsigned k, t;
	char more[32], line[256];

	out[0] = '\0';
	need_tokens(old, l, out, outsz, &n);
	if (old == NULL)
		return n;
	p = old->policy;
	for (g = 0; g < bg_policy_ngroups(p); g++) {
		t = bg_policy_group_threshold(p, g);
		if ((k = group_signers(old, g, l)) >= t)
			continue;
		snprintf(more, sizeof(more), "%u", t - k);
		add_missing(out, outsz, &n, text(line, sizeof(line),
		    "group %s: %s more member(s)", bg_policy_group_name(p, g),
		    more));
	}
	return n;
}

void
bg_chain_missing(const struct bg_vault *old, const struct bg_chain_link *l,
    char *out, size_t outsz)
{
	(void)need(old, l, out, outsz);
}

static int
follows(const struct bg_vault *old, const uint8_t fp[32],
    const uint8_t prev[32], uint64_t n, const struct bg_chain_link *l,
    char *why, size_t whysz)
{
	static const uint8_t zero[32];

	if (l->n != n || memcmp(l->fp, old ? fp : zero, 32) != 0 ||
	    memcmp(l->prev, old ? prev : zero, 32) != 0) {
		snprintf(why, whysz, "link %" PRIu64 " does not follow the "
		    "chain (number, fingerprint or previous head)", l->n);
		return BG_ETAMPER;
	}
	if (old != NULL && (memcmp(old->id, l->state->id, 16) != 0 ||
	    old->created != l->state->created)) {
		snprintf(why, whysz, "link %" PRIu64 " is of another vault",
		    l->n);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_chain_link_check(const struct bg_vault *old, const uint8_t fp[32],
    const uint8_t prev[32], uint64_t n, const struct bg_chain_link *l,
    char *why, size_t whysz)
{
	char miss[1024];
	int r;

	why[0] = '\0';
	if ((r = follows(old, fp, prev, n, l, why, whysz)) != BG_OK ||
	    (r = keys_kept(old, l, why, whysz)) != BG_OK ||
	    (r = sigs_valid(old, l, why, whysz)) != BG_OK)
		return r;
	if (state_ok_after(old, l->state, why, whysz) != BG_OK)
		return BG_EPERM;
	if (need(old, l, miss, sizeof(miss)) > 0) {
		snprintf(why, whysz, "signatures missing: %s", miss);
		return BG_EPERM;
	}
	return BG_OK;
}

/* ============================================================= chain */

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

/* Reads and checks link n after what c holds. */
static int
load_link(const struct bg_state *st, bg_chain_t *c, uint64_t n)
{
	const struct bg_chain_link *last = n ? c->links[n - 1] : NULL;
	struct bg_chain_link *l = NULL;
	char name[BG_CHAIN_PATH_MAX], why[1024];
	cJSON *j = NULL;
	int r;

	bg_chain_path(n, name);
	if ((r = bg_state_read(st, name, &j)) != BG_OK)
		return r;
	r = bg_chain_link_from_json(j, &l);
	cJSON_Delete(j);
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
		if (signed_with(c->links[i], person, token) >= 0)
			return 1;
	return 0;
}
