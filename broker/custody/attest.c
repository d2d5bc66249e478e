/*
 * custody attest: a custodian or channel holder touches a token; every
 * share they hold sealed to it is opened, checked against its commitment
 * and wiped (nothing leaves the process), and a statement of what was
 * checked and which channels they hold is recorded, signed by FIDO2
 * tokens (docs/custody.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/ceremony.h"
#include "broker/custody/custody.h"

struct att {
	struct bg_cer *c;
	const struct bg_custody_config *cfg;
	const struct bg_vault_person *p;
	char text[BG_CUSTODY_STATEMENT_MAX];
	size_t len;
	size_t nshares, nchannels;
};

static int put(struct att *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
put(struct att *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(a->text + a->len, sizeof(a->text) - a->len, fmt, ap);
	va_end(ap);

	if (n < 0 || (size_t)n >= sizeof(a->text) - a->len) {
		bg_set_why("the attestation statement is too long");
		return BG_ETOOBIG;
	}
	a->len += (size_t)n;
	return BG_OK;
}

static int
holds(const struct bg_custody_names *n, const char *person)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (strcmp(n->name[i], person) == 0)
			return 1;
	return 0;
}

static int
share_lines(struct att *a, size_t tok)
{
	const struct bg_vault *v = a->c->v;
	const struct bg_vault_share *s;
	size_t i, k;
	int r;

	for (i = 0; i < v->naccounts; i++)
		for (k = 0; k < v->accounts[i].nkeys; k++) {
			const struct bg_vault_gkey *g = &v->accounts[i].keys[k];

			if ((s = bg_vault_share(g, a->p->name)) == NULL ||
			    bg_vault_share_box(s, a->p, tok) < 0)
				continue;
			if ((r = put(a, "share %s %s %llu %u\n",
			    v->accounts[i].id, g->group,
			    (unsigned long long)g->epoch, s->x)) != BG_OK)
				return r;
			a->nshares++;
		}
	return BG_OK;
}

static int
channel_lines(struct att *a)
{
	const struct bg_custody_account *acc;
	size_t i, m;
	int r = BG_OK;

	for (i = 0; i < a->cfg->naccounts && r == BG_OK; i++) {
		acc = &a->cfg->accounts[i];
		if (holds(&acc->email_inbox, a->p->name) && (r = put(a,
		    "channel %s email_inbox\n", acc->account)) == BG_OK)
			a->nchannels++;
		if (r == BG_OK && holds(&acc->phone, a->p->name) && (r = put(a,
		    "channel %s phone\n", acc->account)) == BG_OK)
			a->nchannels++;
		for (m = 0; m < acc->nmfa && r == BG_OK; m++)
			if (holds(&acc->mfa[m].holders, a->p->name) &&
			    (r = put(a, "channel %s mfa_device %s\n",
			    acc->account, acc->mfa[m].name)) == BG_OK)
				a->nchannels++;
	}
	return r;
}

/* The statement for p's token tok; its SHA-256 when hash is not NULL. */
static int
statement(void *ctx, size_t tok, uint8_t hash[32])
{
	struct att *a = ctx;
	char ts[BG_RFC3339_LEN + 1];
	int r;

	a->len = a->nshares = a->nchannels = 0;
	if ((r = bg_rfc3339_format(a->c->now, ts)) != BG_OK ||
	    (r = put(a, "format %s\nvault %s\nperson %s\n",
	    BG_CUSTODY_ATTEST_FORMAT, a->c->v->id_hex, a->p->name)) != BG_OK ||
	    (r = put(a, "time %s\ntoken %s\n", ts,
	    bg_token_desc_id(a->p->tokens[tok]))) != BG_OK ||
	    (r = share_lines(a, tok)) != BG_OK ||
	    (r = channel_lines(a)) != BG_OK)
		return r;
	if (a->nshares + a->nchannels == 0) {
		bg_set_why("%s holds no share sealed to this token and no "
		    "recovery channel: nothing to attest", a->p->name);
		return BG_ENOENT;
	}
	if (hash != NULL && EVP_Digest(a->text, a->len, hash, NULL,
	    EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	return BG_OK;
}

/* Opens and checks every share named in the statement, then wipes it. */
static int
prove_shares(struct att *a, const bg_token_key_t *key, size_t tok)
{
	const struct bg_vault *v = a->c->v;
	const struct bg_vault_share *s;
	uint8_t *share = bg_secure_alloc(BG_SHARE_LEN);
	size_t i, k;
	int b, r = BG_OK;

	if (share == NULL)
		return BG_ENOMEM;
	for (i = 0; i < v->naccounts && r == BG_OK; i++)
		for (k = 0; k < v->accounts[i].nkeys && r == BG_OK; k++) {
			const struct bg_vault_gkey *g = &v->accounts[i].keys[k];

			if ((s = bg_vault_share(g, a->p->name)) == NULL ||
			    (b = bg_vault_share_box(s, a->p, tok)) < 0)
				continue;
			r = bg_vault_share_open(v, &v->accounts[i], g, s,
			    (size_t)b, bg_token_key_bytes(key), share);
			if (r != BG_OK)
				bg_set_why("%s's share of group %s of account "
				    "%s does not open with this token", a->p->name,
				    g->group, v->accounts[i].id);
		}
	bg_secure_free(&share, BG_SHARE_LEN);
	return r;
}

static int
record_failed(struct bg_cer *c, const char *person, const char *token,
    int err)
{
	struct bg_audit_event ev = { "custody.attest_failed", person, "", "",
	    NULL };

	return bg_state_note_failure(&c->st, &ev, "token", token, err);
}

static int
record_ok(struct bg_cer *c, const struct att *a, const struct bg_touch *t)
{
	cJSON *d = cJSON_CreateObject();
	int r = BG_ENOMEM;

	if (d == NULL || !cJSON_AddStringToObject(d, "token", t->token) ||
	    !cJSON_AddStringToObject(d, "statement", a->text))
		goto out;
	if ((r = bg_vjson_add_b64(d, "authdata", t->as.authdata,
	    t->signed_ ? t->as.authdata_len : 0)) != BG_OK ||
	    (r = bg_vjson_add_b64(d, "sig", t->as.sig,
	    t->signed_ ? t->as.sig_len : 0)) != BG_OK)
		goto out;
	r = bg_cer_note(c, "custody.attested", a->p->name, "", "", d);
out:
	cJSON_Delete(d);
	return r;
}

/* Here, not in config.c, so the parser needs no state layer. */
int
bg_custody_config_load(const struct bg_state *st,
    struct bg_custody_config *cfg)
{
	cJSON *j = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if ((r = bg_state_read(st, "breakglass.json", &j)) == BG_ENOENT) {
		bg_custody_config_defaults(cfg);
		return BG_OK;
	}
	if (r == BG_OK)
		r = bg_custody_config_from_json(j, cfg);
	cJSON_Delete(j);
	return r;
}

int
bg_custody_attest(struct bg_cer *c, const struct bg_custody_config *cfg,
    const char *person)
{
	struct att *a;
	struct bg_touch t;
	bg_token_key_t *key = NULL;
	size_t tok = 0;
	int r;

	memset(&t, 0, sizeof(t));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return BG_ENOMEM;
	a->c = c;
	a->cfg = cfg;
	if ((a->p = bg_cer_person(c, person)) == NULL) {
		r = bg_cer_refused(c, "custody.refused", "custody attest", "",
		    "", person, BG_ENOENT);
		goto out;
	}
	if (a->p->ntokens == 0) {
		bg_set_why("%s has no token enrolled (breakglass token enroll "
		    "%s ...)", person, person);
		r = bg_cer_refused(c, "custody.refused", "custody attest", "",
		    "", person, BG_EPERM);
		goto out;
	}
	if ((r = statement(a, 0, NULL)) != BG_OK && r != BG_ENOENT)
		goto out;
	if (r == BG_OK)
		fprintf(c->out, "%s attests:\n%.*s", person, (int)a->len,
		    a->text);
	if ((r = bg_cer_touch(c, a->p, statement, a, &t, &key, &tok)) != BG_OK) {
		/* no token of theirs answered: the person failed, not a token */
		r = record_failed(c, person, r == BG_ENODEV || r == BG_ENOCRED ||
		    r == BG_ESERIAL ? "" : t.token, r);
		goto out;
	}
	if ((r = prove_shares(a, key, tok)) != BG_OK) {
		r = record_failed(c, person, t.token, r);
		goto out;
	}
	if ((r = record_ok(c, a, &t)) == BG_OK)
		fprintf(c->out, "%s attested with token %.16s...: %zu share(s) "
		    "opened and checked, %zu channel(s) held\n", person, t.token,
		    a->nshares, a->nchannels);
out:
	bg_token_key_free(&key);
	free(a);
	return r;
}
