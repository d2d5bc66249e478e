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

struct walk {
	struct bg_gov_check *res;
	struct bg_chain_link *last;	/* the link in effect (owned) */
	uint8_t fp[32];
};

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

/* Events that change who may approve: after genesis only by a link. */
static int
governing(const char *event)
{
	static const char *const ev[] = { "account.added", "custodian.added",
	    "custodian.removed", "requester.added", "requester.removed",
	    "token.enrolled", "token.removed", "policy.changed", NULL };
	size_t i;

	for (i = 0; ev[i] != NULL; i++)
		if (strcmp(event, ev[i]) == 0)
			return 1;
	return 0;
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
on_request(struct walk *w, const struct bg_audit_entry *e)
{
	const char *text = dstr(e->detail, "request");
	uint8_t h[32];

	if (text == NULL || bg_request2_hash(text, strlen(text), h) != BG_OK)
		return forged(w, e->seq, "%s by %s carries no signed request",
		    e->event, e->actor);
	return check_sig(w, e, h, 32);
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
	    memcmp(st->vault, w->fp, 32) == 0 &&
	    memcmp(st->chain, w->last->m, 32) == 0 &&
	    bg_statement2_hash(text, strlen(text), h) == BG_OK)
		r = BG_OK;
	if (r != BG_OK)
		r = forged(w, e->seq, "approval.granted by %s: not a "
		    "statement of theirs for this vault and chain head",
		    e->actor);
	else if ((r = check_sig(w, e, h, 32)) == BG_OK)
		r = granted_fido2(w, e, st);
	free(st);
	return r;
}

static int
on_denied(struct walk *w, const struct bg_audit_entry *e)
{
	const char *reason = dstr(e->detail, "reason");
	uint8_t h[32], msg[32];

	if (e->request == NULL || reason == NULL)
		return forged(w, e->seq, "approval.denied by %s: no reason",
		    e->actor);
	/* the request's hash, from its request.open entry */
	if (bg_cer_gov_request_hash(w->res, e->request, h) != BG_OK)
		return forged(w, e->seq, "approval.denied by %s of a request "
		    "the log never opened (%s)", e->actor, e->request);
	if (bg_cer_deny_message(h, reason, msg) != BG_OK)
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
	cJSON_ArrayForEach(s, sigs) {
		one = *e;
		one.detail = s;
		/* a token the change adds is not in the chain yet: its
		 * signature is checked with the link that adds it */
		if (signer(w, &one, dstr(s, "token")) == NULL)
			continue;
		if ((r = check_sig(w, &one, m, 32)) != BG_OK)
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

	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return BG_OK;	/* the log's own verify names it */
	e.seq = seq;
	ev = e.event;
	if (strcmp(ev, "chain.link") == 0)
		r = on_link(w, &e);
	else if (w->last != NULL && governing(ev))
		r = forged(w, seq, "%s after genesis outside a chain link (only "
		    "a signed change may make it)", ev);
	else if (w->last == NULL)
		r = BG_OK;	/* before genesis nothing is signed yet */
	else if (strcmp(ev, "request.open") == 0 &&
	    (r = on_request(w, &e)) == BG_OK)
		r = bg_cer_gov_remember(w->res, &e);
	else if (strcmp(ev, "approval.granted") == 0)
		r = on_granted(w, &e);
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
	int r;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.res = res;
	r = each_line(entries, n, &w);
	if (w.last != NULL)
		memcpy(res->fp, w.fp, 32);
	res->armed = w.last != NULL;
	bg_chain_link_free(&w.last);
	free(res->rq);
	res->rq = NULL;
	return r;
}

/* ------------------------------------------- requests seen so far */

int
bg_cer_gov_remember(struct bg_gov_check *res, const struct bg_audit_entry *e)
{
	const char *h = dstr(e->detail, "request_sha256");
	struct bg_gov_rq *more;

	if (h == NULL || e->request == NULL || strlen(e->request) >
	    BG_REQUEST_ID_LEN)
		return BG_OK;
	if ((more = realloc(res->rq, (res->nrq + 1) * sizeof(*more))) == NULL)
		return BG_ENOMEM;
	res->rq = more;
	more = &res->rq[res->nrq];
	snprintf(more->id, sizeof(more->id), "%s", e->request);
	if (bg_hex_decode_exact(h, strlen(h), more->hash, 32) != BG_OK)
		return BG_OK;
	res->nrq++;
	return BG_OK;
}

int
bg_cer_gov_request_hash(const struct bg_gov_check *res, const char *id,
    uint8_t h[32])
{
	size_t i;

	for (i = res->nrq; i-- > 0;)
		if (strcmp(res->rq[i].id, id) == 0) {
			memcpy(h, res->rq[i].hash, 32);
			return BG_OK;
		}
	return BG_ENOENT;
}
