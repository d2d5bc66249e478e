/*
 * The log's governance, re-verified from the log alone (ceremony.h,
 * docs/audit.md "Governance"): the chain is rebuilt from the chain.link
 * entries (each carries its whole link) and checked from genesis; every
 * token-signed entry is checked against the membership in effect at its
 * place in the log. The log's own signing key makes none of these: an
 * entry forged with it is named here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

/* A request the log opened: its id, requester and hash. */
struct seen_rq {
	char id[BG_REQUEST_ID_LEN + 1];
	char requester[BG_NAME_MAX + 1];
	uint8_t hash[32];
};

/* An approval.burn verified: who burned for which request. */
struct seen_burn {
	char id[BG_REQUEST_ID_LEN + 1];
	char person[BG_NAME_MAX + 1];
};

/* A change the log opened: its id and link (the state it proposes). */
struct proposal {
	char id[BG_CHANGE_ID_LEN + 1];
	struct bg_chain_link *l;
};

struct walk {
	struct bg_gov_check *res;
	struct bg_chain_link *last;	/* the link in effect (owned) */
	uint8_t fp[32];
	struct seen_rq *rq;
	size_t nrq;
	struct seen_burn *burn;
	size_t nburn;
	struct proposal *prop;
	size_t nprop;
};

/* A new zeroed element at the end of *arr (n elements of el bytes). */
static void *
push(void *arrp, size_t *n, size_t el)
{
	void **arr = arrp;
	char *more;

	if ((more = realloc(*arr, (*n + 1) * el)) == NULL)
		return NULL;
	*arr = more;
	memset(more + *n * el, 0, el);
	return more + (*n)++ * el;
}

static const struct seen_rq *
find_rq(const struct walk *w, const char *id)
{
	size_t i;

	for (i = w->nrq; id != NULL && i-- > 0;)
		if (strcmp(w->rq[i].id, id) == 0)
			return &w->rq[i];
	return NULL;
}

static int
forged(struct walk *w, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
forged(struct walk *w, uint64_t seq, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	w->res->bad_seq = seq;
	snprintf(w->res->reason, sizeof(w->res->reason), "entry %" PRIu64
	    ": %s", seq, why);
	return BG_ETAMPER;
}

static const char *
dstr(const cJSON *d, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* The actor's token named by the entry, in the state in effect. */
static const bg_token_desc_t *
signer(struct walk *w, const struct bg_audit_entry *e, const char *token)
{
	const struct bg_vault_person *p;
	int t;

	if (w->last == NULL || token == NULL ||
	    (p = bg_vault_person(w->last->state, e->actor)) == NULL ||
	    (t = bg_vault_person_token(p, token)) < 0)
		return NULL;
	return p->tokens[t];
}

/* The entry's "signature" over msg by the actor's token "token". */
static int
check_sig(struct walk *w, const struct bg_audit_entry *e, const uint8_t *msg,
    size_t len)
{
	const bg_token_desc_t *d = signer(w, e, dstr(e->detail, "token"));
	uint8_t sig[BG_TOKEN_SIG_LEN];

	if (d == NULL)
		return forged(w, e->seq, "%s by %s: the token is not theirs in "
		    "the governance chain", e->event, e->actor);
	if (bg_json_get_b64(e->detail, "signature", sig, sizeof(sig)) !=
	    BG_OK || bg_token_sig_verify(d, msg, len, sig) != BG_OK)
		return forged(w, e->seq, "%s by %s: the token's signature "
		    "does not verify (made without their token)", e->event,
		    e->actor);
	w->res->signatures++;
	return BG_OK;
}

static int
on_link(struct walk *w, const struct bg_audit_entry *e)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(e->detail, "link");
	struct bg_chain_link *l = NULL;
	const char *head = dstr(e->detail, "head");
	char why[1024], hex[65];
	uint64_t n = w->last ? w->last->n + 1 : 0;

	if (j == NULL || bg_chain_link_from_json(j, &l) != BG_OK)
		return forged(w, e->seq, "chain.link without a readable link");
	bg_chain_hex(l->m, hex);
	if (head == NULL || strcmp(head, hex) != 0 ||
	    bg_chain_link_check(w->last ? w->last->state : NULL, w->fp,
	    w->last ? w->last->m : NULL, n, l, why, sizeof(why)) != BG_OK) {
		bg_chain_link_free(&l);
		return forged(w, e->seq, "chain link does not verify: %s",
		    head == NULL || strcmp(head, hex) ? "its head is not its "
		    "link's" : why);
	}
	if (n == 0)
		memcpy(w->fp, l->m, 32);
	w->res->signatures += l->nsigs;
	w->res->links++;
	bg_chain_link_free(&w->last);
	w->last = l;
	return BG_OK;
}

static int
hash_seen(const struct walk *w, const uint8_t h[32])
{
	size_t i;

	for (i = 0; i < w->nrq; i++)
		if (memcmp(w->rq[i].hash, h, 32) == 0)
			return 1;
	return 0;
}

static int
on_request(struct walk *w, const struct bg_audit_entry *e)
{
	const char *text = dstr(e->detail, "request");
	const char *rqh = dstr(e->detail, "request_sha256");
	struct bg_request2 *rq = calloc(1, sizeof(*rq));
	struct seen_rq *seen;
	uint8_t h[32], named[32];
	int ok, r;

	if (rq == NULL)
		return BG_ENOMEM;
	ok = text != NULL && rqh != NULL && bg_request2_parse(text,
	    strlen(text), rq) == BG_OK && bg_request2_hash(text, strlen(text),
	    h) == BG_OK && bg_hex_decode_exact(rqh, strlen(rqh), named, 32) ==
	    BG_OK && memcmp(h, named, 32) == 0 &&
	    memcmp(rq->vault, w->fp, 32) == 0 &&
	    memcmp(rq->chain, w->last->m, 32) == 0 &&
	    strcmp(rq->requester, e->actor) == 0 && e->request != NULL &&
	    strcmp(rq->id, e->request) == 0;
	free(rq);
	if (!ok)
		return forged(w, e->seq, "request.open by %s: not a request of "
		    "theirs for this vault and chain head", e->actor);
	if ((r = check_sig(w, e, h, 32)) != BG_OK)
		return r;
	if (find_rq(w, e->request) != NULL || hash_seen(w, h))
		return forged(w, e->seq, "request.open by %s: that request was "
		    "opened before (a replay)", e->actor);
	if ((seen = push(&w->rq, &w->nrq, sizeof(*seen))) == NULL)
		return BG_ENOMEM;
	snprintf(seen->id, sizeof(seen->id), "%s", e->request);
	snprintf(seen->requester, sizeof(seen->requester), "%s", e->actor);
	memcpy(seen->hash, h, 32);
	return BG_OK;
}

/* The FIDO2 assertion of a FIDO2 approver's touch, from the entry. */
static int
granted_fido2(struct walk *w, const struct bg_audit_entry *e,
    const struct bg_statement2 *st)
{
	const bg_token_desc_t *d = signer(w, e, dstr(e->detail, "token"));
	const char *ad = dstr(e->detail, "fido2_authdata");
	const char *sig = dstr(e->detail, "fido2_sig");
	static uint8_t a[BG_TOKEN_AUTHDATA_MAX], s[BG_TOKEN_SIG_MAX];
	size_t alen = 0, slen = 0;

	if (d == NULL || bg_token_desc_kind(d) != BG_TOKEN_FIDO2)
		return BG_OK;	/* check_sig named a stranger already */
	if (ad == NULL || sig == NULL || bg_b64_decode(ad, strlen(ad), a,
	    sizeof(a), &alen) != BG_OK || bg_b64_decode(sig, strlen(sig), s,
	    sizeof(s), &slen) != BG_OK || cer_fido2_ok(d, st, a, alen, s,
	    slen) != BG_OK)
		return forged(w, e->seq, "approval.granted by %s: no FIDO2 "
		    "assertion of their key's touch over this approval",
		    e->actor);
	w->res->signatures++;
	return BG_OK;
}

static int remember_burn(struct walk *w, const struct bg_audit_entry *e);
static int of_change(struct walk *w, const struct bg_audit_entry *e,
    const uint8_t m[32]);

/* The entry's slots are exactly the statement's (item, version, slot). */
static int
same_slots(const cJSON *d, const struct bg_statement2 *st)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(d, "entries"), *o;
	const cJSON *it, *ver, *sl;
	uint64_t seen = 0;	/* BG_POLICY_ITEMS_MAX entries at most */
	size_t n = 0, k;

	if (st->nentries > 64)
		return 0;
	cJSON_ArrayForEach(o, arr) {
		it = cJSON_GetObjectItemCaseSensitive(o, "item");
		ver = cJSON_GetObjectItemCaseSensitive(o, "version");
		sl = cJSON_GetObjectItemCaseSensitive(o, "slot");
		if (!cJSON_IsString(it) || !cJSON_IsNumber(ver) ||
		    !cJSON_IsNumber(sl))
			return 0;
		for (k = 0; k < st->nentries; k++)
			if (strcmp(st->entry[k].item, it->valuestring) == 0 &&
			    (double)st->entry[k].version == ver->valuedouble &&
			    (double)st->entry[k].slot == sl->valuedouble)
				break;
		if (k == st->nentries || (seen >> k & 1))
			return 0;	/* not the statement's, or twice */
		seen |= (uint64_t)1 << k;
		n++;
	}
	return cJSON_IsArray(arr) && n == st->nentries;
}

/* A statement for this very request (its hash) and these very slots. */
static int
statement_here(const struct walk *w, const struct bg_audit_entry *e,
    const struct bg_statement2 *st)
{
	const struct seen_rq *q = find_rq(w, e->request);

	return q != NULL && memcmp(st->request, q->hash, 32) == 0 &&
	    same_slots(e->detail, st);
}

static int
on_granted(struct walk *w, const struct bg_audit_entry *e)
{
	const char *text = dstr(e->detail, "statement");
	struct bg_statement2 *st = calloc(1, sizeof(*st));
	uint8_t h[32];
	int r = BG_ETAMPER;

	if (st == NULL)
		return BG_ENOMEM;
	if (text != NULL && bg_statement2_parse(text, strlen(text), st) ==
	    BG_OK && strcmp(st->person, e->actor) == 0 &&
	    st->decision == BG_DECISION_APPROVE &&
	    memcmp(st->vault, w->fp, 32) == 0 &&
	    memcmp(st->chain, w->last->m, 32) == 0 &&
	    bg_statement2_hash(text, strlen(text), h) == BG_OK)
		r = BG_OK;
	if (r != BG_OK)
		r = forged(w, e->seq, "%s by %s: not a statement of theirs "
		    "for this vault and chain head", e->event, e->actor);
	else if (!statement_here(w, e, st))
		r = forged(w, e->seq, "%s by %s: the statement is for another "
		    "request or other slots than the entry names", e->event,
		    e->actor);
	else if ((r = check_sig(w, e, h, 32)) == BG_OK)
		r = granted_fido2(w, e, st);
	free(st);
	if (r == BG_OK && strcmp(e->event, "approval.burn") == 0)
		r = remember_burn(w, e);
	return r;
}

static int
remember_burn(struct walk *w, const struct bg_audit_entry *e)
{
	struct seen_burn *b;

	if (e->request == NULL || strlen(e->request) > BG_REQUEST_ID_LEN)
		return forged(w, e->seq, "approval.burn names no request");
	if ((b = push(&w->burn, &w->nburn, sizeof(*b))) == NULL)
		return BG_ENOMEM;
	snprintf(b->id, sizeof(b->id), "%s", e->request);
	snprintf(b->person, sizeof(b->person), "%s", e->actor);
	return BG_OK;
}

/*
 * request.quorum_met and near_quorum follow the approval that made them,
 * whose approval.burn (signed) came first: same person, same request.
 */
static int
on_quorum(struct walk *w, const struct bg_audit_entry *e)
{
	size_t i;

	for (i = w->nburn; e->request != NULL && i-- > 0;)
		if (strcmp(w->burn[i].id, e->request) == 0 &&
		    strcmp(w->burn[i].person, e->actor) == 0)
			return BG_OK;
	return forged(w, e->seq, "%s by %s without a signed approval of "
	    "theirs of that request before it", e->event, e->actor);
}

/* release.done: the request's own requester, signing with their token. */
static int
on_release(struct walk *w, const struct bg_audit_entry *e)
{
	const struct seen_rq *q = find_rq(w, e->request);
	uint8_t msg[32];

	if (q == NULL || strcmp(q->requester, e->actor) != 0)
		return forged(w, e->seq, "release.done by %s of a request "
		    "that is not theirs in this log", e->actor);
	if (bg_cer_act_message(BG_CER_RELEASE_TAG, q->hash, "", msg) != BG_OK)
		return BG_ECRYPTO;
	return check_sig(w, e, msg, 32);
}

/* change.denied: the denier's token over the link it names. */
static int
on_change_denied(struct walk *w, const struct bg_audit_entry *e)
{
	const char *link = dstr(e->detail, "link");
	uint8_t m[32], msg[32];
	int r;

	if (link == NULL || bg_hex_decode_exact(link, strlen(link), m, 32) !=
	    BG_OK)
		return forged(w, e->seq, "change.denied by %s names no link",
		    e->actor);
	if ((r = of_change(w, e, m)) != BG_OK)
		return r;
	if (bg_cer_act_message(BG_CER_CHANGE_DENY_TAG, m, "", msg) != BG_OK)
		return BG_ECRYPTO;
	return check_sig(w, e, msg, 32);
}

static int
on_denied(struct walk *w, const struct bg_audit_entry *e)
{
	const char *reason = dstr(e->detail, "reason");
	const struct seen_rq *q;
	uint8_t msg[32];

	if (e->request == NULL || reason == NULL)
		return forged(w, e->seq, "approval.denied by %s: no reason",
		    e->actor);
	/* the request's hash, from its request.open entry */
	if ((q = find_rq(w, e->request)) == NULL)
		return forged(w, e->seq, "approval.denied by %s of a request "
		    "the log never opened (%s)", e->actor, e->request);
	if (bg_cer_act_message(BG_CER_DENY_TAG, q->hash, reason, msg) != BG_OK)
		return BG_ECRYPTO;
	return check_sig(w, e, msg, 32);
}

static int
on_sealed(struct walk *w, const struct bg_audit_entry *e)
{
	uint8_t msg[32];
	const char *m = dstr(e->detail, "message");

	if (m == NULL || bg_hex_decode_exact(m, strlen(m), msg, 32) != BG_OK)
		return forged(w, e->seq, "item.sealed by %s carries no signed "
		    "seal", e->actor);
	return check_sig(w, e, msg, 32);
}

/* change.opened: the link it proposes, kept for its approvals. */
static int
on_change_opened(struct walk *w, const struct bg_audit_entry *e)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "proposal");
	const char *link = dstr(e->detail, "link");
	struct proposal *p;
	struct bg_chain_link *l = NULL;
	char hex[65];

	if (j == NULL || bg_chain_link_from_json(j, &l) != BG_OK)
		return forged(w, e->seq, "change.opened without a readable "
		    "proposal");
	bg_chain_hex(l->m, hex);
	if (link == NULL || strcmp(link, hex) != 0 ||
	    (p = push(&w->prop, &w->nprop, sizeof(*p))) == NULL) {
		bg_chain_link_free(&l);
		return link == NULL || strcmp(link, hex) ? forged(w, e->seq,
		    "change.opened names another link than it proposes") :
		    BG_ENOMEM;
	}
	p->l = l;
	snprintf(p->id, sizeof(p->id), "%s", e->request ? e->request : "");
	return BG_OK;
}

/*
 * The link a change approval or denial names must be the one its change
 * (the entry's request field) proposed when the log opened it.
 */
static int
of_change(struct walk *w, const struct bg_audit_entry *e, const uint8_t m[32])
{
	size_t i;

	for (i = w->nprop; e->request != NULL && i-- > 0;)
		if (strcmp(w->prop[i].id, e->request) == 0)
			return memcmp(w->prop[i].l->m, m, 32) == 0 ? BG_OK :
			    forged(w, e->seq, "%s by %s names another link "
			    "than change %s proposed", e->event, e->actor,
			    e->request);
	return forged(w, e->seq, "%s by %s of a change the log never opened",
	    e->event, e->actor);
}

/* The token a change adds, as the change the log opened proposes it. */
static const bg_token_desc_t *
proposed(const struct walk *w, const uint8_t m[32], const char *person,
    const char *token)
{
	const struct bg_vault_person *p;
	size_t i;
	int t;

	for (i = 0; token != NULL && i < w->nprop; i++)
		if (memcmp(w->prop[i].l->m, m, 32) == 0 &&
		    (p = bg_vault_person(w->prop[i].l->state, person)) != NULL &&
		    (t = bg_vault_person_token(p, token)) >= 0)
			return p->tokens[t];
	return NULL;
}

/* A change approval by a token the change adds: its proposed key. */
static int
check_added(struct walk *w, const struct bg_audit_entry *e,
    const uint8_t m[32])
{
	const bg_token_desc_t *d = proposed(w, m, e->actor,
	    dstr(e->detail, "token"));
	uint8_t sig[BG_TOKEN_SIG_LEN];

	if (d == NULL)
		return forged(w, e->seq, "change.approved by %s: the token is "
		    "theirs neither in the chain nor in the change it approves",
		    e->actor);
	if (bg_json_get_b64(e->detail, "signature", sig, sizeof(sig)) !=
	    BG_OK || bg_token_sig_verify(d, m, 32, sig) != BG_OK)
		return forged(w, e->seq, "change.approved by %s: the token's "
		    "signature does not verify", e->actor);
	w->res->signatures++;
	return BG_OK;
}

/* 1 when person holds a token in the state in effect. */
static int
holds_any(const struct walk *w, const char *person)
{
	const struct bg_vault_person *p = bg_vault_person(w->last->state,
	    person);

	return p != NULL && p->ntokens > 0;
}

/* 1 when one of sigs is by a token the chain gives e's actor. */
static int
chain_signed(struct walk *w, const struct bg_audit_entry *e,
    const cJSON *sigs)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, sigs)
		if (signer(w, e, dstr(s, "token")) != NULL)
			return 1;
	return 0;
}

/* Each signature a change.approved entry names, over its link. */
static int
on_change_approved(struct walk *w, const struct bg_audit_entry *e)
{
	const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "signatures"), *s;
	const char *link = dstr(e->detail, "link");
	uint8_t m[32];
	struct bg_audit_entry one;
	int r;

	if (link == NULL || bg_hex_decode_exact(link, strlen(link), m, 32) !=
	    BG_OK || !cJSON_IsArray(sigs))
		return forged(w, e->seq, "change.approved by %s names no "
		    "link", e->actor);
	if ((r = of_change(w, e, m)) != BG_OK)
		return r;
	if (holds_any(w, e->actor) && !chain_signed(w, e, sigs))
		return forged(w, e->seq, "change.approved by %s carries no "
		    "signature of a token the chain gives them", e->actor);
	cJSON_ArrayForEach(s, sigs) {
		one = *e;
		one.detail = s;
		/* a token the change adds is not in the chain yet: its
		 * key is the one the change the log opened proposes */
		if (signer(w, &one, dstr(s, "token")) == NULL)
			r = check_added(w, &one, m);
		else
			r = check_sig(w, &one, m, 32);
		if (r != BG_OK)
			return r;
	}
	return BG_OK;
}

static int
on_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct walk *w = ctx;
	struct bg_audit_entry e;
	const char *ev;
	int r = BG_OK;

	/* the log's verify hashes lines; only this pass reads them whole */
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return forged(w, seq, "not an entry the log's writer makes (it "
		    "does not parse)");
	e.seq = seq;
	ev = e.event;
	if (strcmp(ev, "chain.link") == 0)
		r = on_link(w, &e);
	else if (w->last != NULL && bg_cer_governing(ev))
		r = forged(w, seq, "%s after genesis outside a chain link (only "
		    "a signed change may make it)", ev);
	else if (w->last == NULL)
		r = BG_OK;	/* before genesis nothing is signed yet */
	else if (strcmp(ev, "request.open") == 0)
		r = on_request(w, &e);
	else if (strcmp(ev, "approval.granted") == 0 ||
	    strcmp(ev, "approval.burn") == 0)
		r = on_granted(w, &e);
	else if (strcmp(ev, "request.quorum_met") == 0 ||
	    strcmp(ev, "request.near_quorum") == 0)
		r = on_quorum(w, &e);
	else if (strcmp(ev, "release.done") == 0)
		r = on_release(w, &e);
	else if (strcmp(ev, "change.denied") == 0)
		r = on_change_denied(w, &e);
	else if (strcmp(ev, "change.opened") == 0)
		r = on_change_opened(w, &e);
	else if (strcmp(ev, "approval.denied") == 0)
		r = on_denied(w, &e);
	else if (strcmp(ev, "item.sealed") == 0)
		r = on_sealed(w, &e);
	else if (strcmp(ev, "change.approved") == 0)
		r = on_change_approved(w, &e);
	bg_audit_entry_free(&e);
	return r;
}

/*
 * The first n lines of entries.jsonl, read as they are: audit verify
 * has just checked them against the signed checkpoint, and reading them
 * needs neither the writer's lock nor an index that may lag after a crash.
 */
static int
each_line(const char *path, uint64_t n, struct walk *w)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t seq;
	int r = BG_OK;

	if (f == NULL)
		return bg_err_from_errno(errno);
	for (seq = 0; r == BG_OK && seq < n; seq++) {
		if ((len = getline(&line, &cap, f)) <= 0 ||
		    len > BG_AUDIT_ENTRY_MAX) {
			r = BG_EFORMAT;
			break;
		}
		r = on_entry(w, seq, line, (size_t)len - 1);
	}
	free(line);
	fclose(f);
	return r;
}

int
bg_cer_audit_governance(const char *entries, uint64_t n,
    struct bg_gov_check *res)
{
	struct walk w;
	size_t i;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.res = res;
	r = each_line(entries, n, &w);
	if (w.last != NULL)
		memcpy(res->fp, w.fp, 32);
	res->armed = w.last != NULL;
	bg_chain_link_free(&w.last);
	for (i = 0; i < w.nprop; i++)
		bg_chain_link_free(&w.prop[i].l);
	free(w.prop);
	free(w.rq);
	free(w.burn);
	return r;
}

