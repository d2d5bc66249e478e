/*
 * The rekey against an insider (issue 10): a holder or new member of a
 * rekey, with their own token, a copy of the state directory and the
 * project's libraries, tries to open everything the rekey made: every
 * holder's piece for every recipient (under the very label the honest
 * code builds, bg_rkfile_piece_label) and every member box of every
 * version in vault.json. Only what is addressed to their own token may
 * open: the pieces sealed to others and the others' boxes must not.
 *
 * Prints "own pieces N, others' pieces M, own boxes K, others' boxes L";
 * exit 0 when M and L are 0 and N or K is not (the program can open what
 * is its own), 2 when something of another person opened, 1 on an error.
 *
 * A second mode records a file of the state as it is now, with the
 * project's own writer and the audit signing key the state holds (what
 * whoever holds the state can do until breakglassd, docs/design.md §2):
 * the file check then passes, and only checks that do not rest on the
 * log's word about that file still stand.
 *
 * usage: attack_rekey STATE PERSON REKEY-ID
 *        attack_rekey record STATE FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

struct count {
	size_t own_pieces, other_pieces, own_boxes, other_boxes;
};

static int
load(struct bg_cer *c, const char *id, struct bg_rkfile **f)
{
	char name[128];
	cJSON *j = NULL;
	int r;

	snprintf(name, sizeof(name), "rekeys/%s.json", id);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_OK)
		r = bg_rkfile_from_json(j, f);
	cJSON_Delete(j);
	return r;
}

/* Every piece of every contribution, opened with the attacker's key. */
static void
pieces(const struct bg_rkfile *f, const uint8_t h[32], const char *person,
    const uint8_t *priv, struct count *n)
{
	size_t i, b, len, sz;
	struct bg_label l;
	uint8_t *pt;

	for (i = 0; i < f->ncontrib; i++)
		for (b = 0; b < f->contrib[i].nboxes; b++) {
			const struct bg_rk_box *x = &f->contrib[i].boxes[b];

			sz = x->len;
			if ((pt = bg_secure_alloc(sz)) == NULL ||
			    bg_rkfile_piece_label(f, h, f->contrib[i].person,
			    x, &l) != BG_OK) {
				bg_secure_free(&pt, sz);
				continue;
			}
			if (bg_box_open(priv, "rekey-piece", l.b, l.len, x->box,
			    x->len, pt, sz, &len) == BG_OK) {
				if (strcmp(x->to, person) == 0)
					n->own_pieces++;
				else
					n->other_pieces++;
			}
			bg_secure_free(&pt, sz);
		}
}

/* Every member box of every version, as every member x, every token. */
static void
boxes(struct bg_cer *c, const char *person, const uint8_t *priv,
    struct count *n)
{
	size_t a, i, g, m, t, len;
	uint8_t *vec;

	for (a = 0; a < c->v->naccounts; a++)
		for (i = 0; i < c->v->accounts[a].nitems; i++) {
			const struct bg_vault_item *it =
			    &c->v->accounts[a].items[i];
			struct bg_v2_expect want = { c->v->accounts[a].id,
			    it->name, it->version, it->ver->root };

			len = (size_t)it->ver->nslots * BG_SLOT_KEY_LEN;
			if ((vec = bg_secure_alloc(len)) == NULL)
				return;
			for (g = 0; g < it->ver->ng; g++)
				for (m = 0; m < it->ver->g[g].n; m++)
					for (t = 0; t <
					    it->ver->g[g].m[m].ntokens; t++) {
						if (bg_v2_open_box(c->v,
						    it->ver, &want, g,
						    (uint8_t)(m + 1), t, priv,
						    vec) != BG_OK)
							continue;
						if (strcmp(it->ver->g[g].m[m].
						    person, person) == 0)
							n->own_boxes++;
						else
							n->other_boxes++;
					}
			bg_secure_free(&vec, len);
		}
}

static int
record(const char *dir, const char *name)
{
	struct bg_audit_event ev = { "vault.changed", "", "", "", NULL };
	static struct bg_state st;
	cJSON *j = NULL;
	int r;

	if ((r = bg_state_open(&st, dir)) != BG_OK)
		return r;
	if ((r = bg_state_read(&st, name, &j)) == BG_OK)
		r = bg_state_write(&st, name, j, &ev);
	cJSON_Delete(j);
	bg_state_close(&st);
	return r;
}

int
main(int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	const struct bg_vault_person *p;
	bg_token_key_t *key = NULL;
	struct bg_rkfile *f = NULL;
	static struct bg_touch t;
	static struct bg_cer c;
	struct count n = { 0, 0, 0, 0 };
	uint8_t h[32];
	size_t tok;

	if (argc == 4 && strcmp(argv[1], "record") == 0) {
		if (record(argv[2], argv[3]) != BG_OK) {
			fprintf(stderr, "attack_rekey: %s\n", bg_why());
			return 1;
		}
		printf("recorded %s\n", argv[3]);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: attack_rekey STATE PERSON REKEY-ID\n");
		return 1;
	}
	if (bg_cer_begin(&c, argv[1], stdout, &o) != BG_OK ||
	    (p = bg_vault_person(c.v, argv[2])) == NULL ||
	    bg_cer_touch(&c, p, NULL, NULL, &t, &key, &tok) != BG_OK ||
	    load(&c, argv[3], &f) != BG_OK ||
	    bg_rkfile_hash(c.v->id, f, h) != BG_OK) {
		fprintf(stderr, "attack_rekey: %s\n", bg_why());
		return 1;
	}
	pieces(f, h, p->name, bg_token_key_bytes(key), &n);
	boxes(&c, p->name, bg_token_key_bytes(key), &n);
	printf("own pieces %zu, others' pieces %zu, own boxes %zu, others' "
	    "boxes %zu\n", n.own_pieces, n.other_pieces, n.own_boxes,
	    n.other_boxes);
	bg_rkfile_free(&f);
	bg_token_key_free(&key);
	bg_cer_end(&c);
	if (n.other_pieces != 0 || n.other_boxes != 0)
		return 2;
	return n.own_pieces + n.own_boxes > 0 ? 0 : 1;
}
