/*
 * The chain as every ceremony command sees it (ceremony.h, chain.h):
 * loaded and checked from genesis at bg_cer_begin, vault.json compared
 * with its head, the log's record of it compared with chain/, and an
 * apply cut short by a crash finished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

static int
rolled_back(uint64_t logged, uint64_t have)
{
	bg_set_why("the audit log records %llu chain link(s) but chain/ "
	    "holds %llu: the governance chain was rolled back or cut",
	    (unsigned long long)logged, (unsigned long long)have);
	return BG_ETAMPER;
}

/* Before genesis: nothing may be sealed, and the log names no link. */
static int
no_genesis(struct bg_cer *c, uint64_t logged)
{
	size_t a;

	if (logged > 0)
		return rolled_back(logged, 0);
	for (a = 0; a < c->v->naccounts; a++)
		if (c->v->accounts[a].nitems > 0) {
			bg_set_why("vault.json holds sealed items but there "
			    "is no genesis (chain/000000.json)");
			return BG_ETAMPER;
		}
	return BG_OK;
}

/* Each chain file as the log last recorded it. */
static int
files_recorded(struct bg_cer *c)
{
	char (*names)[BG_CHAIN_PATH_MAX];
	const char **p;
	uint64_t i, n = bg_chain_length(c->chain);
	int r = BG_ENOMEM;

	names = calloc(n, sizeof(*names));
	p = calloc(n, sizeof(*p));
	if (names != NULL && p != NULL) {
		for (i = 0; i < n; i++) {
			bg_chain_path(i, names[i]);
			p[i] = names[i];
		}
		r = bg_state_check_files(&c->st, p, n);
	}
	free(names);
	free(p);
	return r;
}

/* Drops m's boxes for tokens its person no longer holds (removed). */
static void
prune_member(const struct bg_vault *v, struct bg_v2_member *m)
{
	const struct bg_vault_person *p = bg_vault_person(v, m->person);
	size_t t = 0;

	while (t < m->ntokens) {
		if (p != NULL && bg_vault_person_token(p, m->token[t]) >= 0) {
			t++;
			continue;
		}
		free(m->box[t]);
		memmove(&m->box[t], &m->box[t + 1], (m->ntokens - t - 1) *
		    sizeof(m->box[0]));
		memmove(&m->token[t], &m->token[t + 1], (m->ntokens - t - 1) *
		    sizeof(m->token[0]));
		m->box[--m->ntokens] = NULL;
	}
}

/*
 * A removed token's boxes go with it: sealed versions keep the boxes of
 * the tokens their members still hold (a member left with none opens
 * nothing of that version until it is sealed again or rekeyed).
 */
static void
prune_boxes(struct bg_vault *v)
{
	struct bg_v2_version *ver;
	size_t a, i, g, m;

	for (a = 0; a < v->naccounts; a++)
		for (i = 0; i < v->accounts[a].nitems; i++) {
			ver = v->accounts[a].items[i].ver;
			for (g = 0; ver != NULL && g < ver->ng; g++)
				for (m = 0; m < ver->g[g].n; m++)
					prune_member(v, &ver->g[g].m[m]);
		}
}

int
cer_adopt(struct bg_vault *v, const struct bg_chain_link *l)
{
	struct bg_vault *s = NULL;
	const struct bg_vault_account *sa;
	struct bg_vault_account *a;
	bg_policy_t *pol;
	struct bg_vault_person *people;
	size_t i, np;
	int r;

	if ((r = bg_chain_state_of(l->state, &s, NULL)) != BG_OK)
		return r;
	pol = v->policy, v->policy = s->policy, s->policy = pol;
	people = v->people, v->people = s->people, s->people = people;
	np = v->npeople, v->npeople = s->npeople, s->npeople = np;
	for (i = 0; r == BG_OK && i < s->naccounts; i++) {
		sa = &s->accounts[i];
		if ((a = bg_vault_account(v, sa->id)) == NULL) {
			r = bg_vault_add_account(v, sa->id, sa->name,
			    sa->email);
			continue;
		}
		snprintf(a->name, sizeof(a->name), "%s", sa->name);
		snprintf(a->email, sizeof(a->email), "%s", sa->email);
	}
	bg_vault_free(&s);
	if (r == BG_OK)
		prune_boxes(v);
	return r;
}

/*
 * vault.json one link behind the head: an apply cut short after the link
 * was recorded. vault.json is written from the head, as apply would.
 */
static int
finish(struct bg_cer *c)
{
	const struct bg_chain_link *last = bg_chain_last(c->chain);
	const struct bg_chain_link *prev;
	uint8_t h[32];
	int r;

	if (bg_chain_length(c->chain) < 2 || (prev = bg_chain_at(c->chain,
	    bg_chain_length(c->chain) - 2)) == NULL ||
	    bg_chain_state_of(c->v, NULL, h) != BG_OK ||
	    memcmp(h, prev->state_hash, 32) != 0)
		return BG_ETAMPER;
	if ((r = cer_adopt(c->v, last)) != BG_OK)
		return r;
	return cer_save_vault(c, "change.applied", last, "finished: the "
	    "apply of this link was cut short");
}

int
cer_chain(struct bg_cer *c)
{
	bg_ledger_t *l;
	const char *head;
	char hex[65];
	uint64_t logged;
	int r;

	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	logged = bg_ledger_chain(l, &head);
	if ((r = bg_chain_load(&c->st, &c->chain)) == BG_ENOENT)
		return no_genesis(c, logged);
	if (r != BG_OK || (r = files_recorded(c)) != BG_OK)
		return r;
	if (logged != bg_chain_length(c->chain))
		return rolled_back(logged, bg_chain_length(c->chain));
	bg_chain_hex(bg_chain_head(c->chain), hex);
	if (strcmp(hex, head) != 0) {
		bg_set_why("the chain head is not the one the audit log "
		    "recorded last");
		return BG_ETAMPER;
	}
	if (bg_chain_check_vault(c->chain, c->v) == BG_OK)
		return BG_OK;
	if ((r = finish(c)) == BG_ETAMPER)
		(void)bg_chain_check_vault(c->chain, c->v);	/* its why */
	return r;
}

int
cer_save_vault(struct bg_cer *c, const char *event,
    const struct bg_chain_link *l, const char *note)
{
	struct bg_audit_event ev = { event, "", "", "", NULL };
	char head[65], fp[65];
	cJSON *d;
	int r;

	bg_chain_hex(l->m, head);
	bg_chain_hex(l->n ? l->fp : l->m, fp);
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddNumberToObject(d, "n", (double)l->n) ||
	    !cJSON_AddStringToObject(d, "head", head) ||
	    !cJSON_AddStringToObject(d, "fingerprint", fp) ||
	    (note != NULL && !cJSON_AddStringToObject(d, "note", note))) {
		r = BG_ENOMEM;
	} else {
		ev.detail = d;
		r = bg_vault_save(&c->st, c->v, &ev);
	}
	cJSON_Delete(d);
	return r;
}

int
bg_cer_armed(struct bg_cer *c, const char *what)
{
	if (c->chain != NULL)
		return BG_OK;
	bg_set_why("the vault has no genesis yet: %s needs 'breakglass vault "
	    "arm' and every member's and requester's signature first", what);
	return BG_EPERM;
}

void
cer_chain_head(const struct bg_cer *c, uint8_t head[BG_FINGERPRINT_LEN])
{
	memset(head, 0, BG_FINGERPRINT_LEN);
	if (c->chain != NULL)
		memcpy(head, bg_chain_head(c->chain), BG_FINGERPRINT_LEN);
}

int
cer_touch_check(const struct bg_cer *c, const char *person, const char *token,
    int r)
{
	if (c->chain == NULL)
		return r;
	/*
	 * The box key matched and the signing key did not (derive.c says
	 * "signing key", pinned by test_tokens): the descriptor's signing
	 * key is not this token's. A token that gives another secret (reset,
	 * swapped) fails on the box key and stays BG_EWRONGTOKEN.
	 */
	if (r == BG_EWRONGTOKEN && strstr(bg_why(), "signing key") != NULL) {
		bg_set_why("%s: the keys your token derives are not the ones "
		    "this vault's chain records for it, so the chain was not "
		    "signed with your token where you joined: a forged or "
		    "substituted chain (do not use this state; check the vault "
		    "fingerprint you keep)", person);
		return BG_ETAMPER;
	}
	if (r == BG_OK && !bg_chain_signed_by(c->chain, person, token)) {
		bg_set_why("%s: the chain holds no signature of token %s: "
		    "it was not signed where you joined", person, token);
		return BG_ETAMPER;
	}
	return r;
}
