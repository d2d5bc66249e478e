/*
 * The ceremony (ceremony.h): shared steps, request, deny and status.
 * approve is in approve.c, release in release.c, status and rekey in
 * rekey.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "broker/ceremony/internal.h"

/* Records (and so alerts) a state file that is not what the log says. */
static void
tampered(struct bg_cer *c, int err)
{
	struct bg_audit_event ev = { "vault.verify_failed", "", "", "", NULL };

	(void)bg_state_note_failure(&c->st, &ev, NULL, NULL, err);
}

int
bg_cer_begin(struct bg_cer *c, const char *dir, FILE *out,
    const struct bg_token_opts *o)
{
	static const char *const checked[] = { BG_VAULT_FILE,
	    "breakglass.json" };
	int r;

	memset(c, 0, sizeof(*c));
	c->out = out;
	c->o = *o;
	if ((r = bg_state_open(&c->st, dir)) != BG_OK)
		return r;
	/* vault.json and breakglass.json as the log last recorded them */
	if ((r = bg_state_check_files(&c->st, checked, 2)) != BG_OK ||
	    (r = bg_vault_load(&c->st, &c->v)) != BG_OK) {
		if (r == BG_ETAMPER || r == BG_EFORMAT)
			tampered(c, r);
		bg_state_close(&c->st);
		return r;
	}
	c->now = (uint64_t)time(NULL);
	return BG_OK;
}

void
bg_cer_end(struct bg_cer *c)
{
	bg_vault_free(&c->v);
	bg_state_close(&c->st);
}

/* ========================================================= shared steps */

int
bg_cer_note(struct bg_cer *c, const char *event, const char *actor,
    const char *account, const char *id, const cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, account ? account : "",
	    id ? id : "", detail };

	return bg_state_note(&c->st, &ev);
}

int
cer_refuse(struct bg_cer *c, const char *cmd, const char *id,
    const char *account, const char *actor, int err)
{
	return bg_cer_refused(c, "request.refused", cmd, id, account, actor,
	    err);
}

int
bg_cer_refused(struct bg_cer *c, const char *event, const char *cmd,
    const char *id, const char *account, const char *actor, int err)
{
	struct bg_audit_event ev = { event, actor, account, id, NULL };

	return bg_state_note_failure(&c->st, &ev, "command", cmd, err);
}

static void
rq_name(const char *id, char out[RQ_PATH_MAX])
{
	snprintf(out, RQ_PATH_MAX, "requests/%s.json", id);
}

int
cer_load(struct bg_cer *c, const char *id, struct bg_rqfile **f)
{
	char name[RQ_PATH_MAX];
	cJSON *j = NULL;
	int r;

	*f = NULL;
	if (!bg_request_id_valid(id)) {
		bg_set_why("'%s' is not a request id (32 hex digits)", id);
		return BG_EINVAL;
	}
	rq_name(id, name);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_ENOENT) {
		bg_set_why("no request %s", id);
		return r;
	}
	if (r == BG_OK && (r = bg_state_check_file(&c->st, name)) == BG_OK &&
	    (r = bg_rqfile_from_json(j, f)) == BG_OK &&
	    strcmp(bg_request_id((*f)->rq), id) != 0) {
		bg_set_why("%s holds another request", name);
		bg_rqfile_free(f);
		r = BG_ETAMPER;
	}
	cJSON_Delete(j);
	return r;
}

int
cer_save(struct bg_cer *c, const struct bg_rqfile *f, const char *event,
    const char *actor, cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, bg_request_account(f->rq),
	    bg_request_id(f->rq), detail };
	char name[RQ_PATH_MAX];
	cJSON *j = NULL;
	int r;

	rq_name(bg_request_id(f->rq), name);
	if ((r = bg_rqfile_to_json(f, &j)) == BG_OK)
		r = bg_state_write(&c->st, name, j, &ev);
	cJSON_Delete(j);
	return r;
}

struct bg_vault_person *
bg_cer_person(struct bg_cer *c, const char *name)
{
	struct bg_vault_person *p = bg_vault_person(c->v, name);
	const struct bg_vault_person *like;

	if (p != NULL)
		return p;
	if ((like = bg_vault_person_like(c->v, name)) != NULL)
		bg_set_why("no person '%s' (did you mean '%s'?)", name,
		    like->name);
	else
		bg_set_why("no person named '%s' in the vault", name);
	return NULL;
}

static int
absent(int r)
{
	return r == BG_ENODEV || r == BG_ENOCRED || r == BG_ESERIAL;
}

static int
touch_one(struct bg_cer *c, const bg_token_desc_t *d, const uint8_t *hash,
    struct bg_touch *t, bg_token_key_t **key)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->token, bg_token_desc_id(d), sizeof(t->token));
	if (hash == NULL || bg_token_desc_kind(d) != BG_TOKEN_FIDO2)
		return bg_token_unlock(d, &c->o, key);
	t->signed_ = 1;
	return bg_token_sign(d, &c->o, hash, &t->as, key);
}

int
bg_cer_touch(struct bg_cer *c, const struct bg_vault_person *p,
    bg_cer_hash_fn hash_fn, void *ctx, struct bg_touch *t, bg_token_key_t **key,
    size_t *tok)
{
	uint8_t hash[32];
	char sum[256];
	size_t i;
	int r = BG_ENODEV;

	*key = NULL;
	for (i = 0; i < p->ntokens; i++) {
		if (hash_fn != NULL && (r = hash_fn(ctx, i, hash)) != BG_OK)
			return r;
		bg_token_desc_summary(p->tokens[i], sum, sizeof(sum));
		fprintf(c->out, "%s: touch your token (%s)\n", p->name, sum);
		fflush(c->out);
		r = touch_one(c, p->tokens[i], hash_fn ? hash : NULL, t, key);
		if (r == BG_OK) {
			*tok = i;
			return BG_OK;
		}
		if (!absent(r))
			break;
	}
	if (absent(r)) {
		bg_set_why("%s: none of their tokens is connected", p->name);
	} else {
		char why[256];

		snprintf(why, sizeof(why), "%s", bg_why()[0] ? bg_why() :
		    bg_strerror(r));
		bg_set_why("%s: %s", p->name, why);
	}
	return r;
}

int
cer_groups(struct bg_cer *c, const struct bg_rqfile *f, const char **groups,
    size_t *n)
{
	return bg_policy_groups_for_items(c->v->policy,
	    bg_request_items(f->rq), bg_request_nitems(f->rq), groups,
	    BG_POLICY_GROUPS_MAX, n);
}

static int
rq_hash_hex(const struct bg_rqfile *f, char hex[65])
{
	uint8_t h[32];
	int r;

	if ((r = bg_rqfile_request_hash(f, h)) != BG_OK)
		return r;
	return bg_hex_encode(h, 32, hex, 65);
}

size_t
cer_aad_approval(const struct bg_cer *c, const struct bg_rqfile *f,
    const char *group, const char *custodian, uint8_t x, char *out,
    size_t outsz)
{
	char hex[65];
	int n;

	if (rq_hash_hex(f, hex) != BG_OK)
		return 0;
	n = snprintf(out, outsz, "breakglass/v1/approval-share\nvault %s\n"
	    "request %s\nrequest-sha256 %s\ngroup %s\ncustodian %s\nx %u\n",
	    c->v->id_hex, bg_request_id(f->rq), hex, group, custodian, x);
	return n > 0 && (size_t)n < outsz ? (size_t)n : 0;
}

size_t
cer_aad_request_key(const struct bg_cer *c, const struct bg_rqfile *f,
    char *out, size_t outsz)
{
	char hex[65];
	int n;

	if (rq_hash_hex(f, hex) != BG_OK)
		return 0;
	n = snprintf(out, outsz, "breakglass/v1/request-key\nvault %s\n"
	    "request %s\nrequest-sha256 %s\n", c->v->id_hex,
	    bg_request_id(f->rq), hex);
	return n > 0 && (size_t)n < outsz ? (size_t)n : 0;
}

int
cer_quorum(struct bg_cer *c, const struct bg_rqfile *f, char *why,
    size_t whysz)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	struct bg_approval *ap;
	size_t i, n;
	int r;

	if ((r = cer_groups(c, f, groups, &n)) != BG_OK)
		return r;
	if ((ap = calloc(f->napprovals + 1, sizeof(*ap))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->napprovals; i++) {
		ap[i].person = f->approvals[i].custodian;
		ap[i].group = f->approvals[i].group;
	}
	r = bg_policy_quorum_met(c->v->policy, groups, n, ap, f->napprovals,
	    bg_request_requester(f->rq), why, whysz);
	free(ap);
	return r;
}

/* ============================================================== request */

struct rq_ctx {
	struct bg_rqfile *f;
	uint8_t hash[32];
};

static int
rq_hash(void *ctx, size_t i, uint8_t hash[32])
{
	(void)i;
	memcpy(hash, ((struct rq_ctx *)ctx)->hash, 32);
	return BG_OK;
}

/* Default items: the account's root-password and root-mfa. */
static size_t
default_items(const struct bg_vault_account *a, const char **items)
{
	size_t n = 0;

	if (bg_vault_item(a, "root-password") != NULL)
		items[n++] = "root-password";
	if (bg_vault_item(a, "root-mfa") != NULL)
		items[n++] = "root-mfa";
	return n;
}

static int
check_items(const struct bg_vault_account *a, const char *const *items,
    size_t n)
{
	size_t i;

	if (n == 0) {
		bg_set_why("account %s has nothing sealed to ask for", a->id);
		return BG_ENOENT;
	}
	for (i = 0; i < n; i++)
		if (bg_vault_item(a, items[i]) == NULL) {
			bg_set_why("account %s has no sealed item '%s'", a->id,
			    items[i]);
			return BG_ENOENT;
		}
	return BG_OK;
}

/* The request's key pair: private half sealed to each requester token. */
static int
seal_request_key(struct bg_cer *c, struct bg_rqfile *f,
    const struct bg_vault_person *p, const uint8_t priv[32])
{
	char aad[512];
	size_t i, aadlen, len;
	int r = BG_OK;

	if ((aadlen = cer_aad_request_key(c, f, aad, sizeof(aad))) == 0)
		return BG_EINTERNAL;
	for (i = 0; i < p->ntokens && r == BG_OK; i++) {
		memcpy(f->key_token[i], bg_token_desc_id(p->tokens[i]),
		    sizeof(f->key_token[i]));
		r = bg_box_seal(bg_token_desc_public(p->tokens[i]),
		    "request-key", aad, aadlen, priv, 32, f->key_box[i],
		    BG_RQ_KEY_BOX_LEN, &len);
	}
	f->nkey = p->ntokens;
	return r;
}

static int
new_request(struct bg_cer *c, const char *account, const char *reason,
    const char *ticket, const char *const *items, size_t nitems,
    const char *requester, const uint8_t pub[32], struct bg_rqfile *f)
{
	struct bg_request_fields rf;
	int r;

	memset(&rf, 0, sizeof(rf));
	rf.account = account;
	rf.requester = requester;
	rf.reason = reason;
	rf.ticket = ticket;
	rf.items = items;
	rf.nitems = nitems;
	rf.created = c->now;
	rf.expiry = c->now + bg_policy_expiry(c->v->policy);
	memcpy(rf.key, pub, 32);
	if ((r = bg_request_new(&rf, &f->rq)) != BG_OK ||
	    (r = bg_request_conforms(f->rq, c->v->policy)) != BG_OK)
		return r;
	f->state = BG_RQ_OPEN;
	return BG_OK;
}

static int
request_detail(const struct bg_rqfile *f, cJSON **d)
{
	char ts[BG_RFC3339_LEN + 1], hex[65];
	uint8_t h[32];
	cJSON *items;
	int r;

	const char *reason = bg_request_reason(f->rq);
	if ((r = bg_reason_sha256(reason, strlen(reason), h)) != BG_OK ||
	    (r = bg_hex_encode(h, 32, hex, sizeof(hex))) != BG_OK ||
	    (r = bg_rfc3339_format(bg_request_expiry(f->rq), ts)) != BG_OK)
		return r;
	if ((*d = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_CreateStringArray(bg_request_items(f->rq),
	    (int)bg_request_nitems(f->rq))) == NULL ||
	    bg_json_add(*d, "items", items) != BG_OK ||
	    !cJSON_AddStringToObject(*d, "reason", reason) ||
	    !cJSON_AddStringToObject(*d, "reason_sha256", hex) ||
	    !cJSON_AddStringToObject(*d, "ticket", bg_request_ticket(f->rq)) ||
	    !cJSON_AddStringToObject(*d, "expiry", ts) ||
	    !cJSON_AddStringToObject(*d, "token", f->proof.token))
		return BG_ENOMEM;
	return BG_OK;
}

static int
open_request(struct bg_cer *c, struct bg_rqfile *f,
    const struct bg_vault_person *p)
{
	struct rq_ctx x = { f, { 0 } };
	bg_token_key_t *key = NULL;
	cJSON *d = NULL;
	size_t tok;
	int r;

	if ((r = bg_rqfile_request_hash(f, x.hash)) != BG_OK)
		return r;
	if ((r = bg_cer_touch(c, p, rq_hash, &x, &f->proof, &key, &tok)) != BG_OK)
		return cer_refuse(c, "request", bg_request_id(f->rq),
		    bg_request_account(f->rq), p->name, r);
	bg_token_key_free(&key);
	if ((r = request_detail(f, &d)) == BG_OK)
		r = cer_save(c, f, "request.open", p->name, d);
	cJSON_Delete(d);
	return r;
}

static int
requester_ok(struct bg_cer *c, const char *requester,
    struct bg_vault_person **p)
{
	if ((*p = bg_cer_person(c, requester)) == NULL)
		return BG_ENOENT;
	if (!(*p)->requester) {
		bg_set_why("%s is not a requester (breakglass requester add)",
		    requester);
		return BG_EPERM;
	}
	if ((*p)->ntokens == 0) {
		bg_set_why("%s has no token enrolled", requester);
		return BG_EPERM;
	}
	return BG_OK;
}

/*
 * docs/design.md §5.2 policy floor, at run time: whatever let it into the
 * vault (a vault armed before the floor, a hand-made state), a requester
 * who is a member of a group the items need would hold a share of it.
 */
static int
requester_outside(struct bg_cer *c, const char *requester,
    const char *const *items, size_t nitems)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t n;
	int r;

	if ((r = bg_policy_groups_for_items(c->v->policy, items, nitems, groups,
	    BG_POLICY_GROUPS_MAX, &n)) != BG_OK)
		return r;
	return bg_policy_requester_check(c->v->policy, requester, groups, n,
	    NULL, 0);
}

int
bg_cer_request(struct bg_cer *c, const char *account, const char *reason,
    const char *ticket, const char *const *items, size_t nitems,
    const char *requester, char id[BG_REQUEST_ID_LEN + 1])
{
	const char *defaults[2];
	struct bg_vault_person *p = NULL;
	struct bg_vault_account *a;
	struct bg_rqfile *f = NULL;
	uint8_t *priv = NULL, pub[32];
	int r;

	id[0] = '\0';
	if ((a = bg_vault_account(c->v, account)) == NULL) {
		bg_set_why("no account %s in the vault", account);
		return cer_refuse(c, "request", "", account, requester,
		    BG_ENOENT);
	}
	if (nitems == 0) {
		nitems = default_items(a, defaults);
		items = defaults;
	}
	if ((r = requester_ok(c, requester, &p)) != BG_OK ||
	    (r = check_items(a, items, nitems)) != BG_OK ||
	    (r = requester_outside(c, p->name, items, nitems)) != BG_OK)
		return cer_refuse(c, "request", "", account, requester, r);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (priv = bg_secure_alloc(32)) == NULL) {
		free(f);
		return BG_ENOMEM;
	}
	if ((r = RAND_priv_bytes(priv, 32) == 1 ? BG_OK : BG_ECRYPTO) ||
	    (r = bg_x25519_public(priv, pub)) ||
	    (r = new_request(c, account, reason, ticket, items, nitems,
	    requester, pub, f)) != BG_OK) {
		r = cer_refuse(c, "request", "", account, requester, r);
	} else if ((r = seal_request_key(c, f, p, priv)) == BG_OK &&
	    (r = open_request(c, f, p)) == BG_OK) {
		memcpy(id, bg_request_id(f->rq), BG_REQUEST_ID_LEN + 1);
	}
	bg_secure_free(&priv, 32);
	bg_rqfile_free(&f);
	return r;
}

/* ================================================================= deny */

int
cer_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max) {
		bg_set_why("the text must be 1 to %zu bytes", max);
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			bg_set_why("the text holds a control character");
			return 0;
		}
	return 1;
}

/* The person may stop the request: its requester or a needed custodian. */
static int
may_deny(struct bg_cer *c, const struct bg_rqfile *f, const char *person)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t i, n;
	int r;

	if (strcmp(person, bg_request_requester(f->rq)) == 0)
		return BG_OK;
	if ((r = cer_groups(c, f, groups, &n)) != BG_OK)
		return r;
	for (i = 0; i < n; i++)
		if (bg_policy_is_member(c->v->policy, groups[i], person))
			return BG_OK;
	bg_set_why("%s is neither the requester nor in a group this request "
	    "needs", person);
	return BG_EPERM;
}

int
cer_open_check(struct bg_cer *c, const struct bg_rqfile *f)
{
	if (f->state != BG_RQ_OPEN) {
		bg_set_why("request %s is %s", bg_request_id(f->rq),
		    bg_rq_state_str(f->state));
		return BG_EPERM;
	}
	if (c->now >= bg_request_expiry(f->rq)) {
		bg_set_why("request %s has expired", bg_request_id(f->rq));
		return BG_EPERM;
	}
	return BG_OK;
}

int
bg_cer_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason)
{
	struct bg_vault_person *p;
	struct bg_rqfile *f = NULL;
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok;
	cJSON *d = NULL;
	int r;

	if ((r = cer_load(c, id, &f)) != BG_OK)
		return cer_refuse(c, "deny", id, "", person, r);
	if ((p = bg_cer_person(c, person)) == NULL)
		r = BG_ENOENT;
	else if ((r = cer_open_check(c, f)) == BG_OK &&
	    (r = may_deny(c, f, person)) == BG_OK &&
	    !cer_text_ok(reason, BG_REASON_MAX))
		r = BG_EINVAL;
	if (r == BG_OK)
		r = bg_cer_touch(c, p, NULL, NULL, &t, &key, &tok);
	if (r != BG_OK) {
		r = cer_refuse(c, "deny", id, bg_request_account(f->rq), person,
		    r);
		goto out;
	}
	f->state = BG_RQ_DENIED;
	f->closed = c->now;
	snprintf(f->denied_by, sizeof(f->denied_by), "%s", person);
	snprintf(f->denial, sizeof(f->denial), "%s", reason);
	r = BG_ENOMEM;
	if ((d = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(d, "reason", reason) &&
	    cJSON_AddStringToObject(d, "token", t.token))
		r = cer_save(c, f, "approval.denied", person, d);
out:
	bg_token_key_free(&key);
	cJSON_Delete(d);
	bg_rqfile_free(&f);
	return r;
}
