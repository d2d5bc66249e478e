/*
 * The attacker of issue 10, as a program of the tests: a copy of the
 * state directory, the requester's own token, the project's libraries,
 * and no obligation to run the CLI. It opens every share that approvals
 * re-sealed to the requests named, pools them however it likes, and
 * tries to rebuild each item's key:
 *  - per slot: t shares of each group's part, all groups' parts;
 *  - across slots: t shares of a group from any slots against every
 *    slot's part commitment, and parts of different slots against K's.
 * Exit 0 and "RECOVERED item" when it rebuilds a key (the control: a
 * request that really reached its quorum); 2 and "not recovered"
 * otherwise; 1 on an error.
 *
 * usage: attack_pool STATE REQUESTER REQUEST-ID...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

#define MAXSH 256

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

/* A part of group g from t pooled shares of distinct x (any slots). */
static int
part_from(const struct bg_vault_item *it, size_t g, int one_slot,
    uint32_t slot, uint8_t part[BG_SLOT_KEY_LEN])
{
	const uint8_t *ys[BG_SHAMIR_MAX];
	uint8_t xs[BG_SHAMIR_MAX];
	unsigned k = 0, t = it->ver->g[g].t, j;
	size_t i;

	for (i = 0; i < npool && k < t; i++) {
		if (strcmp(pool[i].item, it->name) != 0 || pool[i].g != g ||
		    (one_slot && pool[i].slot != slot))
			continue;
		for (j = 0; j < k && xs[j] != pool[i].x; j++)
			;
		if (j < k)
			continue;
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
	int won = 0;

	if (version_label(c, it, &l) != BG_OK ||
	    bg_commitments_decode(it->ver->commitments,
	    it->ver->commitments_len, &cm) != BG_OK)
		return 0;
	for (s = 0; s < it->ver->nslots && !won; s++) {
		/* within one slot */
		for (g = 0, ok = 0; g < it->ver->ng; g++) {
			pp[g] = parts[g];
			ok += part_from(it, g, 1, s, parts[g]) == BG_OK;
		}
		if (ok == it->ver->ng) {
			bg_slots_join(pp, it->ver->ng, key);
			won = bg_commitments_check_key(cm, &l, key) == BG_OK;
		}
		/* a group's shares from any slots, against slot s */
		for (g = 0; g < it->ver->ng && !won; g++)
			if (part_from(it, g, 0, 0, parts[g]) == BG_OK &&
			    bg_commitments_check_part(cm, &l, g, s,
			    parts[g]) == BG_OK)
				printf("part of group %zu for slot %u from "
				    "mixed slots\n", g, s);
		/* parts of slot s for group 0 with slot s2 for the others */
		for (s2 = 0; s2 < it->ver->nslots && !won && it->ver->ng > 1;
		    s2++) {
			if (s2 == s || part_from(it, 0, 1, s, parts[0]) != BG_OK)
				continue;
			for (g = 1, ok = 1; g < it->ver->ng; g++)
				ok += part_from(it, g, 1, s2, parts[g]) == BG_OK;
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

	if (argc < 4) {
		fprintf(stderr, "usage: attack_pool STATE REQUESTER ID...\n");
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
