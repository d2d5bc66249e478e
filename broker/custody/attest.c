/*
 * custody attest: a custodian or channel holder touches a token; the box
 * of every item version they hold sealed to it is opened, their share of
 * slot 0 checked against its commitment and wiped (nothing leaves the
 * process), and a statement of what was checked and which channels they
 * hold is recorded, signed by FIDO2 tokens (docs/custody.md).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/audit.h"
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

/* One box p holds sealed to the touched token: an item version's group. */
struct held {
	const struct bg_vault_account *a;
	const struct bg_vault_item *it;
	size_t g;			/* the group in it->ver */
	const struct bg_v2_member *m;
	size_t t;			/* the box among m's tokens */
};

typedef int (*held_fn)(void *ctx, const struct held *h);

/*
 * Calls fn for every box of every item version that p, as a member of one
 * of its groups, holds sealed to token id (any of p's tokens when NULL).
 */
static int
each_held(const struct bg_vault *v, const struct bg_vault_person *p,
    const char *id, held_fn fn, void *ctx)
{
	const struct bg_v2_version *ver;
	struct held h;
	size_t i, j, m;
	int r;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < v->naccounts; i++)
		for (j = 0; j < v->accounts[i].nitems; j++) {
			h.a = &v->accounts[i];
			h.it = &h.a->items[j];
			if ((ver = h.it->ver) == NULL)
				continue;
			for (h.g = 0; h.g < ver->ng; h.g++)
				for (m = 0; m < ver->g[h.g].n; m++) {
					h.m = &ver->g[h.g].m[m];
					if (strcmp(h.m->person, p->name) != 0)
						continue;
					for (h.t = 0; h.t < h.m->ntokens; h.t++)
						if ((id == NULL || strcmp(
						    h.m->token[h.t], id) == 0) &&
						    h.m->box[h.t] != NULL &&
						    (r = fn(ctx, &h)) != BG_OK)
							return r;
				}
		}
	return BG_OK;
}

static int
share_line(void *ctx, const struct held *h)
{
	struct att *a = ctx;
	int r;

	if ((r = put(a, "share %s %s %llu %s %u\n", h->a->id, h->it->name,
	    (unsigned long long)h->it->version, h->it->ver->g[h->g].name,
	    h->m->x)) == BG_OK)
		a->nshares++;
	return r;
}

static int
share_lines(struct att *a, size_t tok)
{
	return each_held(a->c->v, a->p, bg_token_desc_id(a->p->tokens[tok]),
	    share_line, a);
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

/* The item's seal: its sealer's token signed this very version. */
static int
verify_seal(const struct bg_vault *v, const struct held *h)
{
	char why[256];
	int r;

	if ((r = bg_vault_item_verify(v, h->a, h->it)) != BG_OK) {
		snprintf(why, sizeof(why), "%s", bg_why());
		bg_set_why("the seal of %s of account %s does not verify (%s): "
		    "nothing to attest against", h->it->name, h->a->id, why);
	}
	return r;
}

static int
seal_ok(void *ctx, const struct held *h)
{
	return verify_seal(ctx, h);
}

struct prove {
	const struct bg_vault *v;
	const uint8_t *tokpriv;
	uint8_t *share;			/* locked, BG_SLOT_KEY_LEN */
	size_t n;
};

/* Opens one box with the token's key; slot 0's share against its commitment. */
static int
prove_one(void *ctx, const struct held *h)
{
	struct prove *pr = ctx;
	const struct bg_v2_version *ver = h->it->ver;
	struct bg_v2_expect want = { h->a->id, h->it->name, h->it->version,
	    ver->root };
	char why[256];
	int r;

	if ((r = verify_seal(pr->v, h)) != BG_OK)
		return r;
	r = bg_v2_take_share(pr->v, ver, &want, h->g, h->m->x, h->t,
	    pr->tokpriv, 0, pr->share);
	bg_wipe(pr->share, BG_SLOT_KEY_LEN);
	if (r != BG_OK) {
		snprintf(why, sizeof(why), "%s", bg_why());
		bg_set_why("%s's box of %s version %llu of account %s (group "
		    "%s, x %u) does not open with this token or its share does "
		    "not match its commitment: %s", h->m->person, h->it->name,
		    (unsigned long long)h->it->version, h->a->id,
		    ver->g[h->g].name, h->m->x, why);
		return r;
	}
	pr->n++;
	return BG_OK;
}

int
bg_custody_prove(const struct bg_vault *v, const struct bg_vault_person *p,
    size_t tok, const uint8_t tokpriv[32], size_t *n)
{
	struct prove pr;
	int r;

	if (n != NULL)
		*n = 0;
	if (v == NULL || p == NULL || tokpriv == NULL || tok >= p->ntokens)
		return BG_EINVAL;
	memset(&pr, 0, sizeof(pr));
	pr.v = v;
	pr.tokpriv = tokpriv;
	if ((pr.share = bg_secure_alloc(BG_SLOT_KEY_LEN)) == NULL)
		return BG_ENOMEM;
	r = each_held(v, p, bg_token_desc_id(p->tokens[tok]), prove_one, &pr);
	bg_secure_free(&pr.share, BG_SLOT_KEY_LEN);
	if (n != NULL)
		*n = pr.n;
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

static int touch_json(const struct att *a, const struct bg_touch *t,
    const uint8_t *key_sig, cJSON *d);

/* custody.attested; key_sig (may be NULL) the token key's signature. */
static int
record_ok(struct bg_cer *c, const struct att *a, const struct bg_touch *t,
    const uint8_t *key_sig)
{
	cJSON *d = cJSON_CreateObject();
	int r = BG_ENOMEM;

	if (d != NULL && (r = touch_json(a, t, key_sig, d)) == BG_OK)
		r = bg_cer_note(c, "custody.attested", a->p->name, "", "", d);
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

/* A refusal before any touch: recorded, but in a client (no state). */
static int
att_refuse(struct bg_cer *c, const char *person, int r)
{
	return c->remote ? r : bg_cer_refused(c, "custody.refused",
	    "custody attest", "", "", person, r);
}

/* The person, a token, every held version's seal verifying. */
static int
att_begin(struct bg_cer *c, const struct bg_custody_config *cfg,
    const char *person, struct att **out)
{
	struct att *a;
	int r;

	if ((*out = a = calloc(1, sizeof(*a))) == NULL)
		return BG_ENOMEM;
	a->c = c;
	a->cfg = cfg;
	if ((a->p = bg_cer_person(c, person)) == NULL)
		return att_refuse(c, person, BG_ENOENT);
	if (a->p->ntokens == 0) {
		bg_set_why("%s has no token enrolled (breakglass token enroll "
		    "%s ...)", person, person);
		return att_refuse(c, person, BG_EPERM);
	}
	/* a version whose seal does not verify is refused before any touch */
	if ((r = each_held(c->v, a->p, NULL, seal_ok, c->v)) != BG_OK)
		return att_refuse(c, person, r);
	return BG_OK;
}

/*
 * The statement shown, the touch, every box it names opened and checked:
 * BG_OK with *key kept; else *absent says no token of theirs answered.
 */
static int
att_touch(struct att *a, struct bg_touch *t, bg_token_key_t **key,
    size_t *tok, int *absent)
{
	size_t proved = 0;
	int r;

	*absent = 0;
	if ((r = statement(a, 0, NULL)) != BG_OK && r != BG_ENOENT)
		return r;
	if (r == BG_OK)
		fprintf(a->c->out, "%s attests:\n%.*s", a->p->name, (int)a->len,
		    a->text);
	if ((r = bg_cer_touch(a->c, a->p, statement, a, t, key, tok)) !=
	    BG_OK) {
		*absent = r == BG_ENODEV || r == BG_ENOCRED || r == BG_ESERIAL;
		return r;
	}
	if ((r = bg_custody_prove(a->c->v, a->p, *tok, bg_token_key_bytes(*key),
	    &proved)) == BG_OK && proved != a->nshares) {
		bg_set_why("%zu share(s) checked, the statement names %zu",
		    proved, a->nshares);
		r = BG_EINTERNAL;
	}
	return r;
}

static void
att_done(const struct att *a, const char *token)
{
	fprintf(a->c->out, "%s attested with token %.16s...: %zu share(s) "
	    "opened and checked, %zu channel(s) held\n", a->p->name, token,
	    a->nshares, a->nchannels);
}

int
bg_custody_attest(struct bg_cer *c, const struct bg_custody_config *cfg,
    const char *person)
{
	struct att *a = NULL;
	struct bg_touch t;
	bg_token_key_t *key = NULL;
	size_t tok = 0;
	int absent, r;

	memset(&t, 0, sizeof(t));
	if ((r = att_begin(c, cfg, person, &a)) != BG_OK)
		goto out;
	if ((r = att_touch(a, &t, &key, &tok, &absent)) != BG_OK) {
		/* no token of theirs answered: the person failed, not a token */
		r = record_failed(c, person, absent ? "" : t.token, r);
		goto out;
	}
	if ((r = record_ok(c, a, &t, NULL)) == BG_OK)
		att_done(a, t.token);
out:
	bg_token_key_free(&key);
	free(a);
	return r;
}

/* ------------------------------------------------- touched in a client */

int
bg_custody_attest_kit(struct bg_cer *c, const char *person, cJSON **kit)
{
	struct bg_custody_config cfg;
	const cJSON *cu;
	cJSON *j = NULL, *root;
	struct att *a = NULL;
	int r;

	*kit = NULL;
	if ((r = bg_custody_config_load(&c->st, &cfg)) != BG_OK)
		return r;
	if ((r = att_begin(c, &cfg, person, &a)) == BG_OK &&
	    (r = bg_cer_kit(c, kit)) == BG_OK) {
		/* the custody section only: breakglass.json also holds the
		 * alert hooks' secrets */
		if (bg_state_read(&c->st, "breakglass.json", &j) == BG_OK &&
		    (cu = cJSON_GetObjectItemCaseSensitive(j, "custody")) != NULL)
			r = (root = cJSON_AddObjectToObject(*kit, "config")) ==
			    NULL ? BG_ENOMEM : bg_json_add(root, "custody",
			    cJSON_Duplicate(cu, 1));
		else if (!cJSON_AddObjectToObject(*kit, "config"))
			r = BG_ENOMEM;
	}
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	cJSON_Delete(j);
	free(a);
	bg_custody_config_free(&cfg);
	return r;
}

/* The token key's signature of the statement's SHA-256. */
static int
key_sign(const struct att *a, const bg_token_key_t *key,
    uint8_t sig[BG_TOKEN_SIG_LEN])
{
	uint8_t h[32];

	if (EVP_Digest(a->text, a->len, h, NULL, EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	return bg_token_key_sign(key, h, 32, sig);
}

static int
touch_json(const struct att *a, const struct bg_touch *t,
    const uint8_t *key_sig, cJSON *d)
{
	int r;

	if (!cJSON_AddStringToObject(d, "token", t->token) ||
	    !cJSON_AddStringToObject(d, "statement", a->text))
		return BG_ENOMEM;
	if ((r = bg_vjson_add_b64(d, "authdata", t->as.authdata,
	    t->signed_ ? t->as.authdata_len : 0)) != BG_OK ||
	    (r = bg_vjson_add_b64(d, "sig", t->as.sig,
	    t->signed_ ? t->as.sig_len : 0)) != BG_OK)
		return r;
	return key_sig == NULL ? BG_OK : bg_vjson_add_b64(d, "key_sig", key_sig,
	    BG_TOKEN_SIG_LEN);
}

int
bg_custody_attest_take(struct bg_cer *c, const cJSON *kit,
    const char *person, cJSON **sub)
{
	struct bg_custody_config cfg;
	uint8_t sig[BG_TOKEN_SIG_LEN];
	bg_token_key_t *key = NULL;
	struct att *a = NULL;
	struct bg_touch t;
	size_t tok = 0;
	int absent, r;

	*sub = NULL;
	memset(&t, 0, sizeof(t));
	if ((r = bg_custody_config_from_json(cJSON_GetObjectItemCaseSensitive(
	    kit, "config"), &cfg)) != BG_OK)
		return r;
	if ((r = att_begin(c, &cfg, person, &a)) == BG_OK &&
	    (r = att_touch(a, &t, &key, &tok, &absent)) == BG_OK &&
	    (r = key_sign(a, key, sig)) == BG_OK) {
		if ((*sub = cJSON_CreateObject()) == NULL)
			r = BG_ENOMEM;
		else
			r = touch_json(a, &t, sig, *sub);
	}
	bg_token_key_free(&key);
	free(a);
	bg_custody_config_free(&cfg);
	return r;
}

/* The client's statement is the one the daemon makes for that time. */
static int
same_statement(struct att *a, size_t tok, const char *text, uint8_t h[32])
{
	const char *tl = strstr(text, "\ntime ");
	uint64_t now = a->c->now, t;
	int r;

	if (tl == NULL || bg_rfc3339_parse(tl + 6, strcspn(tl + 6, "\n"),
	    &t) != BG_OK || t + 120 < now || t > now + 120) {
		bg_set_why("the attestation's time is not within two minutes "
		    "of the daemon's");
		return BG_EPERM;
	}
	a->c->now = t;
	r = statement(a, tok, h);
	a->c->now = now;
	if (r == BG_OK && (a->len != strlen(text) ||
	    memcmp(a->text, text, a->len) != 0)) {
		bg_set_why("the statement is not %s's for this token, vault, "
		    "shares and channels", a->p->name);
		r = BG_ETAMPER;
	}
	return r;
}

struct seen {
	const char *person, *text;
	int found;
};

static int
seen_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	static const char ev[] = "\"event\":\"custody.attested\"";
	struct seen *sn = ctx;
	struct bg_audit_entry e;
	const char *st;

	(void)seq;
	if (memmem(line, len, ev, sizeof(ev) - 1) == NULL ||
	    bg_audit_entry_parse(line, len, &e) != BG_OK)
		return 0;
	if (strcmp(e.actor, sn->person) == 0 &&
	    bg_json_get_str(e.detail, "statement", BG_CUSTODY_STATEMENT_MAX,
	    &st) == BG_OK && strcmp(st, sn->text) == 0)
		sn->found = 1;
	bg_audit_entry_free(&e);
	return sn->found;
}

/*
 * The statement is not recorded already: a client's copy of an entry
 * that audit show hands anyone, sent again within the two minutes, is a
 * replay (an insider review), not a second attestation.
 */
static int
not_recorded(struct att *a, const char *text)
{
	struct seen sn = { a->p->name, text, 0 };

	(void)bg_audit_foreach(a->c->st.log, 0, bg_audit_size(a->c->st.log),
	    seen_entry, &sn);
	if (!sn.found)
		return BG_OK;
	bg_set_why("this attestation of %s is recorded already (a copy sent "
	    "again)", a->p->name);
	return BG_ETAMPER;
}

/* The statement, and both signatures with the token the vault holds. */
static int
client_touch(struct att *a, const cJSON *sub, struct bg_touch *t,
    uint8_t ks[BG_TOKEN_SIG_LEN])
{
	static const char *const keys[] = { "token", "statement", "authdata",
	    "sig", "key_sig", NULL };
	const bg_token_desc_t *d;
	const char *tok, *text;
	uint8_t h[32];
	int ti, r;

	memset(t, 0, sizeof(*t));
	if (bg_json_only_keys(sub, keys) != BG_OK ||
	    bg_json_get_str(sub, "token", 2 * BG_TOKEN_ID_LEN, &tok) !=
	    BG_OK ||
	    bg_json_get_str(sub, "statement", BG_CUSTODY_STATEMENT_MAX,
	    &text) != BG_OK ||
	    bg_json_get_b64(sub, "key_sig", ks, BG_TOKEN_SIG_LEN) != BG_OK ||
	    bg_custody_touch_from_json(sub, &t->as) != 0) {
		bg_set_why("a malformed attestation");
		return BG_EFORMAT;
	}
	if ((ti = bg_vault_person_token(a->p, tok)) < 0) {
		bg_set_why("the token is not one of %s's", a->p->name);
		return BG_ETAMPER;
	}
	snprintf(t->token, sizeof(t->token), "%s", tok);
	t->signed_ = t->as.sig_len > 0;
	if ((r = same_statement(a, (size_t)ti, text, h)) != BG_OK ||
	    (r = not_recorded(a, text)) != BG_OK)
		return r;
	d = a->p->tokens[ti];
	if (bg_token_sig_verify(d, h, 32, ks) != BG_OK ||
	    (bg_token_desc_kind(d) == BG_TOKEN_FIDO2 &&
	    bg_token_verify(d, h, &t->as) != BG_OK) ||
	    (bg_token_desc_kind(d) != BG_TOKEN_FIDO2 && t->signed_)) {
		bg_set_why("the attestation is not signed by %s's token",
		    a->p->name);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_custody_attest_submit(struct bg_cer *c,
    const struct bg_custody_config *cfg, const char *person,
    const cJSON *sub)
{
	uint8_t sig[BG_TOKEN_SIG_LEN];
	struct att *a = NULL;
	struct bg_touch t;
	int r;

	/* a client's forgery is refused, not a failed attestation of theirs:
	 * anyone could make one in another's name */
	if ((r = att_begin(c, cfg, person, &a)) == BG_OK) {
		if ((r = client_touch(a, sub, &t, sig)) != BG_OK)
			r = att_refuse(c, person, r);
		else if ((r = record_ok(c, a, &t, sig)) == BG_OK)
			att_done(a, t.token);
	}
	free(a);
	return r;
}
