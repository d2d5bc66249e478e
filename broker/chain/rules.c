/* The rules of a link (chain.h): who must sign what. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/chain/internal.h"

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
	const bg_token_desc_t *o = bg_chain_holds(old, person,
	    bg_token_desc_id(d));

	return o != NULL && same_keys(o, d);
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
		o = bg_chain_holds(old, s->person, s->token);
		n = bg_chain_holds(l->state, s->person, s->token);
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
				d = bg_chain_holds(old, old->people[j].name,
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
			    bg_chain_holds(old, who, l->sigs[i].token) != NULL) {
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
			if (bg_chain_signed_with(l, p->name,
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
			k += bg_chain_signed_with(l, p->name,
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
	if (bg_chain_state_ok_after(old, l->state, why, whysz) != BG_OK)
		return BG_EPERM;
	if (need(old, l, miss, sizeof(miss)) > 0) {
		snprintf(why, whysz, "signatures missing: %s", miss);
		return BG_EPERM;
	}
	return BG_OK;
}

