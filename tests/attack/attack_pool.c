/*
 * The attacker of issue 10, as a program of the tests: a copy of the
 * state directory, a token it holds (the requester's own, or one
 * custodian's), the project's libraries, and no obligation to run the
 * CLI. It opens every share that approvals re-sealed to the requests
 * named (with the requester's token) and every share of every slot of
 * the holder's own member boxes (with a custodian's token), pools them
 * however it likes, and tries to rebuild each item's key:
 *  - per slot: t shares of each group's part, all groups' parts;
 *  - across slots: t shares of a group from any slots against every
 *    slot's part commitment, and parts of different slots against K's.
 * Exit 0 and "RECOVERED item" when it rebuilds a key (the control: a
 * request that really reached its quorum); 2 and "not recovered"
 * otherwise; 1 on an error.
 *
 * Two more modes write to the state they are given, as a requester
 * running their own program against the state (docs/design.md §2.8: the
 * state and the audit signing key are reachable by whoever runs a
 * ceremony, §2.9), with the project's own functions:
 *  - forge-slot: the request file ID rewritten so that it names SLOT for
 *    ITEM, its text rebuilt (bg_request2_build), the request key's box
 *    re-sealed under the new hash and the text signed again by the
 *    requester's token, exactly as bg_cer_request does; recorded in the
 *    audit log (bg_state_write, event request.open) unless --unlogged,
 *    which only replaces the file;
 *  - strip-approvals: the request file ID rewritten without its
 *    approvals (the signed request unchanged), recorded in the log;
 *  - bad-share: PERSON's shares in the request file ID replaced by random
 *    bytes re-sealed to the request key under the very label the honest
 *    release builds (they open, they are not the sealer's), recorded;
 *  - forge-approval: an approval "by" PERSON for GROUP added to request ID:
 *    a well-formed statement for this very request naming PERSON, GROUP,
 *    PERSON's token and the request's slots, signed by the attacker's
 *    own token (not PERSON's), recorded;
 *  - copy-approval: PERSON's approval taken from the request file FILE
 *    (another request, or this request in a forked copy of the state)
 *    and added to request ID, recorded.
 * Exit 0 when written, 1 otherwise.
 *
 * usage: attack_pool STATE PERSON REQUEST-ID...
 *        attack_pool forge-slot STATE REQUESTER ID ITEM=SLOT...
 *            [--unlogged]
 *        attack_pool strip-approvals STATE REQUESTER ID
 *        attack_pool bad-share STATE REQUESTER ID PERSON
 *        attack_pool forge-approval STATE REQUESTER ID PERSON GROUP
 *        attack_pool copy-approval STATE REQUESTER ID PERSON FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/ceremony/internal.h"

#define MAXSH 1024

struct sh {
	char item[BG_NAME_MAX + 1];
	size_t g;
	uint8_t x;
	uint32_t slot;
	uint8_t y[BG_SLOT_KEY_LEN];
};

static struct sh pool[MAXSH];
static size_t npool;

static int
request_key(struct bg_cer *c, const struct bg_rqfile *f,
    const bg_token_key_t *key, const char *token, uint8_t priv[32])
{
	struct bg_label l;
	size_t i, len;

	for (i = 0; i < f->nkey; i++)
		if (strcmp(f->key_token[i], token) == 0 &&
		    cer_request_key_label(c, f, &l) == BG_OK)
			return bg_box_open(bg_token_key_bytes(key),
			    "request-key", l.b, l.len, f->key_box[i],
			    BG_RQ_KEY_BOX_LEN, priv, 32, &len);
	return BG_ENOENT;
}

/* Every share of every approval of f that opens with the request key. */
static void
take(struct bg_cer *c, const struct bg_rqfile *f, const uint8_t priv[32])
{
	const struct bg_vault_account *a = bg_vault_account(c->v,
	    f->rq2->account);
	size_t i, k, m, len;

	for (i = 0; i < f->napprovals; i++) {
		const struct bg_rq_approval *ap = &f->approvals[i];

		for (k = 0; k < ap->nshare && npool < MAXSH; k++) {
			struct bg_vault_item *it = bg_vault_item(a,
			    ap->share[k].item);
			struct sh *s = &pool[npool];
			struct bg_label l;
			int g;

			if (it == NULL || (g = bg_vault_item_group(it,
			    ap->group)) < 0)
				continue;
			for (m = 0; m < it->ver->g[g].n; m++)
				if (strcmp(it->ver->g[g].m[m].person,
				    ap->custodian) == 0)
					break;
			if (m == it->ver->g[g].n)
				continue;
			s->x = it->ver->g[g].m[m].x;
			s->g = (size_t)g;
			s->slot = cer_entry(f, it->name)->slot;
			snprintf(s->item, sizeof(s->item), "%s", it->name);
			if (cer_approval_label(c, f, it, (size_t)g, s->x,
			    ap->token, &l) == BG_OK &&
			    bg_box_open(priv, "approval-share", l.b, l.len,
			    ap->share[k].box, BG_RQ_SHARE_BOX_LEN, s->y,
			    BG_SLOT_KEY_LEN, &len) == BG_OK)
				npool++;
		}
	}
}

/*
 * A custodian's token: their own share of every slot of every item of
 * account a they hold a box of for this token (bg_v2_take_share checks
 * each against the sealer's commitments).
 */
static size_t
take_own(struct bg_cer *c, const struct bg_vault_account *a,
    const char *person, const bg_token_key_t *key, const char *token)
{
	size_t i, g, m, t, n0 = npool;
	uint32_t s;

	for (i = 0; a != NULL && i < a->nitems; i++) {
		const struct bg_vault_item *it = &a->items[i];
		struct bg_v2_expect want = { a->id, it->name, it->version,
		    it->ver->root };

		for (g = 0; g < it->ver->ng; g++)
			for (m = 0; m < it->ver->g[g].n; m++) {
				const struct bg_v2_member *mb =
				    &it->ver->g[g].m[m];

				if (strcmp(mb->person, person) != 0)
					continue;
				for (t = 0; t < mb->ntokens &&
				    strcmp(mb->token[t], token) != 0; t++)
					;
				for (s = 0; t < mb->ntokens &&
				    s < it->ver->nslots && npool < MAXSH; s++) {
					struct sh *p = &pool[npool];

					if (bg_v2_take_share(c->v, it->ver,
					    &want, g, mb->x, t,
					    bg_token_key_bytes(key), s,
					    p->y) != BG_OK)
						continue;
					snprintf(p->item, sizeof(p->item),
					    "%s", it->name);
					p->g = g;
					p->x = mb->x;
					p->slot = s;
					npool++;
				}
			}
	}
	return npool - n0;
}

/*
 * A part of group g from t pooled shares of distinct x (any slots unless
 * one_slot); *mixed (may be NULL) is 1 when they came from two slots or
 * more.
 */
static int
part_from(const struct bg_vault_item *it, size_t g, int one_slot,
    uint32_t slot, uint8_t part[BG_SLOT_KEY_LEN], int *mixed)
{
	const uint8_t *ys[BG_SHAMIR_MAX];
	uint8_t xs[BG_SHAMIR_MAX];
	unsigned k = 0, t = it->ver->g[g].t, j;
	uint32_t first = 0;
	size_t i;

	if (mixed != NULL)
		*mixed = 0;

	for (i = 0; i < npool && k < t; i++) {
		if (strcmp(pool[i].item, it->name) != 0 || pool[i].g != g ||
		    (one_slot && pool[i].slot != slot))
			continue;
		for (j = 0; j < k && xs[j] != pool[i].x; j++)
			;
		if (j < k)
			continue;
		if (k == 0)
			first = pool[i].slot;
		else if (pool[i].slot != first && mixed != NULL)
			*mixed = 1;
		xs[k] = pool[i].x;
		ys[k++] = pool[i].y;
	}
	if (k < t)
		return BG_EPERM;
	return bg_shamir_combine(xs, ys, k, BG_SLOT_KEY_LEN, part);
}

static int
version_label(const struct bg_cer *c, const struct bg_vault_item *it,
    struct bg_label *l)
{
	struct bg_slot_box_id id;

	memset(&id, 0, sizeof(id));
	id.vault = c->v->id;
	id.vault_len = sizeof(c->v->id);
	id.account = it->ver->account;
	id.item = it->name;
	id.version = it->version;
	id.epoch = it->ver->epoch;
	return bg_slot_version_label(&id, l);
}

/* Every way the pool could give K; 1 when one does. */
static int
attack(const struct bg_cer *c, const struct bg_vault_item *it)
{
	uint8_t parts[BG_SLOT_GROUPS_MAX][BG_SLOT_KEY_LEN], key[32];
	const uint8_t *pp[BG_SLOT_GROUPS_MAX];
	bg_commitments_t *cm = NULL;
	struct bg_label l;
	uint32_t s, s2;
	size_t g, ok;
	int won = 0, mixed;

	if (version_label(c, it, &l) != BG_OK ||
	    bg_commitments_decode(it->ver->commitments,
	    it->ver->commitments_len, &cm) != BG_OK)
		return 0;
	for (s = 0; s < it->ver->nslots && !won; s++) {
		/* within one slot */
		for (g = 0, ok = 0; g < it->ver->ng; g++) {
			pp[g] = parts[g];
			ok += part_from(it, g, 1, s, parts[g], NULL) == BG_OK;
		}
		if (ok == it->ver->ng) {
			bg_slots_join(pp, it->ver->ng, key);
			won = bg_commitments_check_key(cm, &l, key) == BG_OK;
		}
		/* a group's shares from any slots, against slot s */
		for (g = 0; g < it->ver->ng && !won; g++)
			if (part_from(it, g, 0, 0, parts[g], &mixed) ==
			    BG_OK && mixed &&
			    bg_commitments_check_part(cm, &l, g, s,
			    parts[g]) == BG_OK)
				printf("part of group %zu for slot %u from "
				    "mixed slots\n", g, s);
		/* parts of slot s for group 0 with slot s2 for the others */
		for (s2 = 0; s2 < it->ver->nslots && !won && it->ver->ng > 1;
		    s2++) {
			if (s2 == s || part_from(it, 0, 1, s, parts[0], NULL) !=
			    BG_OK)
				continue;
			for (g = 1, ok = 1; g < it->ver->ng; g++)
				ok += part_from(it, g, 1, s2, parts[g], NULL) ==
				    BG_OK;
			if (ok < it->ver->ng)
				continue;
			bg_slots_join(pp, it->ver->ng, key);
			won = bg_commitments_check_key(cm, &l, key) == BG_OK;
		}
	}
	bg_commitments_free(&cm);
	bg_wipe(key, sizeof(key));
	return won;
}

/* The file as it is: no log check, no signature check (ours to skip). */
static int
load(struct bg_cer *c, const char *id, struct bg_rqfile **f)
{
	char name[RQ_PATH_MAX];
	cJSON *j = NULL;
	int r;

	snprintf(name, sizeof(name), "requests/%s.json", id);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_OK)
		r = bg_rqfile_from_json(j, f);
	cJSON_Delete(j);
	return r;
}

/* ======================================= writing the state (forge) */

/* Replaces STATE/requests/<id>.json without any audit entry. */
static int
write_unlogged(struct bg_cer *c, const struct bg_rqfile *f)
{
	char path[sizeof(c->st.dir) + RQ_PATH_MAX + 1];
	cJSON *j = NULL;
	char *text = NULL;
	FILE *fp = NULL;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/requests/%s.json",
	    c->st.dir, bg_request_id(f->rq)) >= sizeof(path))
		return BG_ETOOBIG;
	if ((r = bg_rqfile_to_json(f, &j)) == BG_OK &&
	    ((text = cJSON_Print(j)) == NULL || (fp = fopen(path, "w")) ==
	    NULL || fputs(text, fp) == EOF))
		r = BG_EIO;
	if (fp != NULL && fclose(fp) != 0)
		r = BG_EIO;
	free(text);
	cJSON_Delete(j);
	return r;
}

/* Writes the file through the audited state: the log records its hash. */
static int
write_logged(struct bg_cer *c, const struct bg_rqfile *f, const char *who)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	uint64_t vers[BG_POLICY_ITEMS_MAX];
	uint32_t slots[BG_POLICY_ITEMS_MAX];
	char hex[65];
	cJSON *d;
	size_t i;
	int r;

	for (i = 0; i < f->rq2->nentries; i++) {
		items[i] = f->rq2->entry[i].item;
		vers[i] = f->rq2->entry[i].version;
		slots[i] = f->rq2->entry[i].slot;
	}
	bg_hex_encode(f->hash, 32, hex, sizeof(hex));
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(d, "token", f->token) ||
	    !cJSON_AddStringToObject(d, "request_sha256", hex) ||
	    !cJSON_AddStringToObject(d, "request", f->text) ||
	    bg_vjson_add_b64(d, "signature", f->sig, BG_TOKEN_SIG_LEN) !=
	    BG_OK)	/* as the real entry: what it signed, and how */
		r = BG_ENOMEM;
	else if ((r = bg_ledger_add_entries(d, items, vers, slots, i)) ==
	    BG_OK)
		r = cer_save(c, f, "request.open", who, d);
	cJSON_Delete(d);
	return r;
}

/*
 * forge-slot: entries ITEM=SLOT changed, the text rebuilt, the request
 * key re-sealed under the new hash, the text signed by the requester's
 * token: what bg_cer_request would have written had it picked SLOT.
 */
static int
forge_slot(struct bg_cer *c, struct bg_rqfile *f, char **pairs, size_t n,
    const struct bg_vault_person *p, const bg_token_key_t *key,
    const char *token)
{
	struct bg_request2_entry *e;
	uint8_t priv[32];
	char *text, *eq, *end;
	unsigned long slot;
	size_t i, len;
	int r;

	if ((r = request_key(c, f, key, token, priv)) != BG_OK) {
		fprintf(stderr, "attack_pool: the request key does not open "
		    "with %s's token\n", p->name);
		return r;
	}
	for (i = 0; i < n; i++) {
		if ((eq = strchr(pairs[i], '=')) == NULL)
			return BG_EINVAL;
		*eq = '\0';
		slot = strtoul(eq + 1, &end, 10);
		e = (struct bg_request2_entry *)cer_entry(f, pairs[i]);
		if (*end != '\0' || e == NULL) {
			fprintf(stderr, "attack_pool: the request has no "
			    "item %s\n", pairs[i]);
			return BG_EINVAL;
		}
		e->slot = (uint32_t)slot;
	}
	if ((text = malloc(BG_REQUEST2_MAX + 1)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_request2_build(f->rq2, text, BG_REQUEST2_MAX, &len)) !=
	    BG_OK) {
		free(text);
		return r;
	}
	text[len] = '\0';
	free(f->text);
	f->text = text;
	f->text_len = len;
	if ((r = bg_request2_hash(f->text, f->text_len, f->hash)) == BG_OK)
		r = cer_seal_request_key(c, f, p, priv);
	bg_wipe(priv, sizeof(priv));
	if (r != BG_OK)
		return r;
	memcpy(f->token, token, sizeof(f->token));
	return bg_token_key_sign(key, f->hash, sizeof(f->hash), f->sig);
}

/* bad-share: every share of person's approval, random but well sealed. */
static int
bad_share(struct bg_cer *c, struct bg_rqfile *f, const char *person,
    const bg_token_key_t *key, const char *token)
{
	const struct bg_vault_account *a = bg_vault_account(c->v,
	    f->rq2->account);
	uint8_t priv[32], junk[BG_SLOT_KEY_LEN];
	struct bg_label l;
	size_t i, k, m, len;
	int r = BG_ENOENT, g;

	if (request_key(c, f, key, token, priv) != BG_OK)
		return BG_EPERM;
	for (i = 0; i < f->napprovals; i++) {
		struct bg_rq_approval *ap = &f->approvals[i];

		if (strcmp(ap->custodian, person) != 0)
			continue;
		for (k = 0; k < ap->nshare; k++) {
			struct bg_vault_item *it = bg_vault_item(a,
			    ap->share[k].item);

			if (it == NULL || (g = bg_vault_item_group(it,
			    ap->group)) < 0)
				continue;
			for (m = 0; m < it->ver->g[g].n &&
			    strcmp(it->ver->g[g].m[m].person, person) != 0; m++)
				;
			if (m == it->ver->g[g].n ||
			    RAND_bytes(junk, sizeof(junk)) != 1 ||
			    cer_approval_label(c, f, it, (size_t)g,
			    it->ver->g[g].m[m].x, ap->token, &l) != BG_OK ||
			    bg_box_seal(bg_request_key(f->rq), "approval-share",
			    l.b, l.len, junk, sizeof(junk), ap->share[k].box,
			    sizeof(ap->share[k].box), &len) != BG_OK)
				return BG_ECRYPTO;
			r = BG_OK;
		}
	}
	bg_wipe(priv, sizeof(priv));
	return r;
}

/* Room for one more approval at the end of f's list, zeroed. */
static struct bg_rq_approval *
one_more(struct bg_rqfile *f)
{
	struct bg_rq_approval *more;

	if ((more = realloc(f->approvals, (f->napprovals + 1) *
	    sizeof(*more))) == NULL)
		return NULL;
	f->approvals = more;
	memset(&more[f->napprovals], 0, sizeof(*more));
	return &more[f->napprovals];
}

/* The statement's entries: the request's slots of the items group guards. */
static void
forged_entries(struct bg_cer *c, const struct bg_rqfile *f,
    const char *person, const char *group, struct bg_statement2 *st)
{
	const struct bg_vault_account *a = bg_vault_account(c->v,
	    f->rq2->account);
	struct bg_vault_item *it;
	size_t i, m;
	int g;

	for (i = 0; i < f->rq2->nentries && a != NULL; i++) {
		const struct bg_request2_entry *e = &f->rq2->entry[i];
		struct bg_statement2_entry *se = &st->entry[st->nentries];

		if ((it = bg_vault_item(a, e->item)) == NULL ||
		    (g = bg_vault_item_group(it, group)) < 0)
			continue;
		snprintf(se->item, sizeof(se->item), "%s", e->item);
		se->version = e->version;
		se->slot = e->slot;
		se->epoch = it->ver->g[g].epoch;
		se->x = 1;
		for (m = 0; m < it->ver->g[g].n; m++)
			if (strcmp(it->ver->g[g].m[m].person, person) == 0)
				se->x = it->ver->g[g].m[m].x;
		(void)RAND_bytes(se->opened, sizeof(se->opened));
		(void)RAND_bytes(se->written, sizeof(se->written));
		st->nentries++;
	}
}

/*
 * forge-approval: PERSON's approval of this request for GROUP, every
 * field as approve writes it, signed by the attacker's key.
 */
static int
forge_approval(struct bg_cer *c, struct bg_rqfile *f, const char *person,
    const char *group, const bg_token_key_t *key)
{
	const struct bg_vault_person *v = bg_vault_person(c->v, person);
	struct bg_rq_approval *ap;
	struct bg_statement2 *st = NULL;
	char *text;
	uint8_t h[32];
	size_t len;
	int r;

	if (v == NULL || v->ntokens == 0)
		return BG_ENOENT;
	if ((ap = one_more(f)) == NULL || (st = calloc(1, sizeof(*st))) ==
	    NULL || (text = malloc(BG_STATEMENT2_MAX)) == NULL) {
		free(st);
		return BG_ENOMEM;
	}
	cer_vault_fp(c, st->vault);
	memcpy(st->request, f->hash, 32);
	st->log_size = bg_audit_size(c->st.log);
	snprintf(st->group, sizeof(st->group), "%s", group);
	snprintf(st->person, sizeof(st->person), "%s", person);
	snprintf(st->token, sizeof(st->token), "%s",
	    bg_token_desc_id(v->tokens[0]));
	st->decision = BG_DECISION_APPROVE;
	forged_entries(c, f, person, group, st);
	if ((r = bg_statement2_build(st, text, BG_STATEMENT2_MAX, &len)) ==
	    BG_OK && (r = bg_statement2_hash(text, len, h)) == BG_OK)
		r = bg_token_key_sign(key, h, sizeof(h), ap->sig);
	if (r == BG_OK) {
		text[len] = '\0';
		ap->statement = text;
		ap->statement_len = len;
		snprintf(ap->group, sizeof(ap->group), "%s", group);
		snprintf(ap->custodian, sizeof(ap->custodian), "%s", person);
		snprintf(ap->token, sizeof(ap->token), "%s", st->token);
		ap->time = c->now;
		f->napprovals++;
	} else
		free(text);
	free(st);
	return r;
}

/* copy-approval: PERSON's approval out of the request file at path. */
static int
copy_approval(struct bg_rqfile *f, const char *person, const char *path)
{
	struct bg_rqfile *from = NULL;
	struct bg_rq_approval *ap;
	char *text = NULL;
	cJSON *j = NULL;
	size_t len, i;
	int r;

	if ((r = bg_file_read(path, 1 << 20, &text, &len)) != BG_OK)
		return r;
	if ((j = cJSON_ParseWithLength(text, len)) == NULL)
		r = BG_EFORMAT;
	else
		r = bg_rqfile_from_json(j, &from);
	for (i = 0; r == BG_OK && i < from->napprovals; i++)
		if (strcmp(from->approvals[i].custodian, person) == 0)
			break;
	if (r == BG_OK && i == from->napprovals)
		r = BG_ENOENT;
	if (r == BG_OK && (ap = one_more(f)) == NULL)
		r = BG_ENOMEM;
	if (r == BG_OK) {
		*ap = from->approvals[i];
		from->approvals[i].statement = NULL;	/* moved */
		f->napprovals++;
	}
	bg_rqfile_free(&from);
	cJSON_Delete(j);
	free(text);
	return r;
}

static void
strip_approvals(struct bg_rqfile *f)
{
	size_t i;

	for (i = 0; i < f->napprovals; i++)
		free(f->approvals[i].statement);
	f->napprovals = 0;
}

/* argv: forge-slot|strip-approvals STATE REQUESTER ID [ITEM=SLOT...] */
static int
forge_main(int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	const struct bg_vault_person *p;
	bg_token_key_t *key = NULL;
	struct bg_rqfile *f = NULL;
	static struct bg_touch t;
	static struct bg_cer c;
	int strip = strcmp(argv[1], "strip-approvals") == 0, unlogged = 0;
	int bad = strcmp(argv[1], "bad-share") == 0;
	int fa = strcmp(argv[1], "forge-approval") == 0;
	int ca = strcmp(argv[1], "copy-approval") == 0;
	size_t tok, n = (size_t)argc - 5;
	int r;

	if (n > 0 && strcmp(argv[argc - 1], "--unlogged") == 0) {
		unlogged = 1;
		n--;
	}
	if ((strip && n != 0) || (bad && n != 1) || ((fa || ca) && n != 2) ||
	    (!strip && n == 0)) {
		fprintf(stderr, "usage: attack_pool forge-slot STATE REQUESTER "
		    "ID ITEM=SLOT... [--unlogged]\n"
		    "       attack_pool strip-approvals STATE REQUESTER ID\n"
		    "       attack_pool bad-share STATE REQUESTER ID PERSON\n"
		    "       attack_pool forge-approval STATE REQUESTER ID "
		    "PERSON GROUP\n"
		    "       attack_pool copy-approval STATE REQUESTER ID "
		    "PERSON FILE\n");
		return 1;
	}
	if ((r = bg_cer_begin(&c, argv[2], stdout, &o)) != BG_OK) {
		fprintf(stderr, "attack_pool: %s: %s\n", bg_strerror(r),
		    bg_why());
		return 1;
	}
	if ((p = bg_vault_person(c.v, argv[3])) == NULL ||
	    bg_cer_touch(&c, p, NULL, NULL, &t, &key, &tok) != BG_OK) {
		fprintf(stderr, "attack_pool: no token for %s\n", argv[3]);
		bg_cer_end(&c);
		return 1;
	}
	if ((r = load(&c, argv[4], &f)) == BG_OK) {
		if (strip)
			strip_approvals(f);
		else if (bad)
			r = bad_share(&c, f, argv[5], key, t.token);
		else if (fa)
			r = forge_approval(&c, f, argv[5], argv[6], key);
		else if (ca)
			r = copy_approval(f, argv[5], argv[6]);
		else
			r = forge_slot(&c, f, argv + 5, n, p, key, t.token);
	}
	if (r == BG_OK)
		r = unlogged ? write_unlogged(&c, f) :
		    write_logged(&c, f, p->name);
	if (r == BG_OK)
		printf("%s request %s%s\n", strip ? "stripped" : bad ?
		    "bad shares in" : fa ? "approval forged in" : ca ?
		    "approval copied into" : "forged",
		    argv[4], unlogged ? " (file only)" : " (recorded)");
	else
		fprintf(stderr, "attack_pool: %s: %s\n", bg_strerror(r),
		    bg_why());
	bg_rqfile_free(&f);
	bg_token_key_free(&key);
	bg_cer_end(&c);
	return r == BG_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	const struct bg_vault_person *p;
	struct bg_vault_account *a = NULL;
	bg_token_key_t *key = NULL;
	struct bg_rqfile *f;
	static struct bg_touch t;
	static struct bg_cer c;
	uint8_t priv[32];
	size_t tok, i, won = 0;
	int r;

	if (argc >= 5 && (strcmp(argv[1], "forge-slot") == 0 ||
	    strcmp(argv[1], "strip-approvals") == 0 ||
	    strcmp(argv[1], "bad-share") == 0 ||
	    strcmp(argv[1], "forge-approval") == 0 ||
	    strcmp(argv[1], "copy-approval") == 0))
		return forge_main(argc, argv);
	if (argc < 4) {
		fprintf(stderr, "usage: attack_pool STATE PERSON ID...\n");
		return 1;
	}
	if ((r = bg_cer_begin(&c, argv[1], stdout, &o)) != BG_OK) {
		fprintf(stderr, "attack_pool: %s\n", bg_strerror(r));
		return 1;
	}
	if ((p = bg_vault_person(c.v, argv[2])) == NULL ||
	    bg_cer_touch(&c, p, NULL, NULL, &t, &key, &tok) != BG_OK) {
		fprintf(stderr, "attack_pool: no token for %s\n", argv[2]);
		bg_cer_end(&c);
		return 1;
	}
	for (i = 3; i < (size_t)argc; i++) {
		if (load(&c, argv[i], &f) != BG_OK) {
			fprintf(stderr, "attack_pool: %s: %s\n", argv[i],
			    bg_why());
			continue;
		}
		a = bg_vault_account(c.v, f->rq2->account);
		if (request_key(&c, f, key, t.token, priv) == BG_OK)
			take(&c, f, priv);
		bg_rqfile_free(&f);
	}
	if (a == NULL && c.v->naccounts > 0)
		a = &c.v->accounts[0];
	if (!p->requester)
		printf("own shares of %s: %zu\n", p->name,
		    take_own(&c, a, p->name, key, t.token));
	printf("pooled %zu shares\n", npool);
	for (i = 0; a != NULL && i < a->nitems; i++)
		if (attack(&c, &a->items[i])) {
			printf("RECOVERED %s\n", a->items[i].name);
			won++;
		}
	bg_token_key_free(&key);
	bg_wipe(priv, sizeof(priv));
	bg_wipe(pool, sizeof(pool));
	bg_cer_end(&c);
	if (won == 0)
		printf("not recovered\n");
	return won > 0 ? 0 : 2;
}
