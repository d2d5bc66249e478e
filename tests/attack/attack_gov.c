/*
 * attack_gov: the insider against governance (issue 11), with a copy of
 * the state directory, the audit log's own signing key in it, the
 * project's libraries and no obligation to use the CLI. Each mode makes
 * one forgery; test_attack_gov.sh shows what the real program does with
 * the result.
 *
 *   forge-grant STATE REQUEST PERSON GROUP
 *     appends "approval.granted" by PERSON (their real token id, a
 *     statement for the request with the right fingerprint and head),
 *     signed by a key that is not PERSON's token: a YubiKey approval
 *     "by frank" with frank's key unplugged.
 *   forge-policy STATE
 *     appends "policy.changed" with every threshold 1.
 *   edit-policy STATE
 *     rewrites vault.json with every threshold 1 and records it with the
 *     log's key (a valid entry naming the new file's hash).
 *   swap-key STATE PERSON
 *     replaces PERSON's token box key (X25519) in vault.json with one the
 *     attacker holds, re-making the descriptor's proof of possession with
 *     a fresh signing key, and records vault.json with the log's key.
 *   forge-chain REAL NEW
 *     NEW is a state the attacker made with 'breakglass init' (their own
 *     log key). Into it goes the real vault's governance state with every
 *     token's signing key replaced by a fresh one the attacker holds (box
 *     keys real, so seals still reach the real tokens; proofs re-made),
 *     and a genesis every one of those keys signed: a whole chain that
 *     verifies on its own.
 *   swap-link STATE
 *     a chain link that keeps the token ids of alice, bob, dave and erin
 *     but gives them the attacker's keys, signed only by those keys (as
 *     if by both groups' thresholds), written as chain/<n>.json and
 *     recorded with the log's key.
 *   forge-event STATE EVENT ACTOR REQUEST
 *     appends EVENT (approval.burn, request.quorum_met, release.done,
 *     change.approved) by ACTOR for REQUEST, signed by no token.
 *   replay STATE EVENT PERSON FROM TO
 *     a genuine EVENT by PERSON for request FROM (signature and all)
 *     appended again as one for request TO.
 *   forge-deny STATE CHANGE PERSON
 *     closes change CHANGE as denied by PERSON (a signature of no token),
 *     file and change.denied entry recorded with the log's key.
 *   dup-token STATE FROM TO
 *     before genesis: gives TO a copy of FROM's first token, its
 *     credential key re-encoded (SEC1 compressed) under a new id, and
 *     records vault.json with the log's key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "broker/ceremony/ceremony.h"
#include "broker/chain/chain.h"
#include "broker/ledger/ledger.h"

/* tokens/internal.h: signs the descriptor's proof with the signing key
 * of xpriv, whatever the descriptor says (the attacker's own copy). */
int bg_desc_prove(bg_token_desc_t *d, const uint8_t xpriv[32]);

static int
fail(const char *what, int r)
{
	fprintf(stderr, "attack_gov: %s: %s (%s)\n", what, bg_strerror(r),
	    bg_why());
	return 1;
}

/* Opens STATE for writing without the ceremony's checks. */
static int
open_raw(const char *dir, struct bg_state *st, struct bg_vault **v)
{
	int r;

	if ((r = bg_state_open(st, dir)) != BG_OK)
		return r;
	if ((r = bg_vault_load(st, v)) != BG_OK)
		bg_state_close(st);
	return r;
}

static int
note(struct bg_state *st, const char *event, const char *actor,
    const char *account, const char *request, cJSON *d)
{
	struct bg_audit_event ev = { event, actor, account, request, d };
	int r = bg_state_note(st, &ev);

	cJSON_Delete(d);
	return r;
}

/* ------------------------------------------------------ forge-grant */

static int
forge_grant(int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	static struct bg_cer c;
	static struct bg_statement2 st;
	const struct bg_vault_person *p;
	static char text[4096];
	char hex[65], sig64[100];
	uint8_t h[32], sig[64];
	size_t len;
	cJSON *d;
	int r;

	if (argc != 6)
		return 2;
	if ((r = bg_cer_begin(&c, argv[2], stdout, &o)) != BG_OK)
		return fail("open", r);
	if ((p = bg_vault_person(c.v, argv[4])) == NULL || p->ntokens == 0) {
		bg_cer_end(&c);
		return fail("no such person", BG_ENOENT);
	}
	memcpy(st.vault, bg_chain_fingerprint(c.chain), 32);
	memcpy(st.chain, bg_chain_head(c.chain), 32);
	RAND_bytes(st.request, 32);
	st.log_size = bg_audit_size(c.st.log);
	snprintf(st.group, sizeof(st.group), "%s", argv[5]);
	snprintf(st.person, sizeof(st.person), "%s", p->name);
	snprintf(st.token, sizeof(st.token), "%s",
	    bg_token_desc_id(p->tokens[0]));
	st.decision = BG_DECISION_APPROVE;
	st.nentries = 1;
	snprintf(st.entry[0].item, sizeof(st.entry[0].item), "root-password");
	st.entry[0].version = 1;
	memset(st.entry[0].opened, 1, 32);
	memset(st.entry[0].written, 2, 32);
	st.entry[0].x = 1;
	RAND_bytes(sig, sizeof(sig));	/* not frank's token: he is away */
	if ((r = bg_statement2_build(&st, text, sizeof(text) - 1, &len)) !=
	    BG_OK || (r = bg_statement2_hash(text, len, h)) != BG_OK) {
		bg_cer_end(&c);
		return fail("statement", r);
	}
	text[len] = '\0';
	bg_hex_encode(h, 32, hex, sizeof(hex));
	bg_b64_encode(sig, sizeof(sig), sig64, sizeof(sig64));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "group", argv[5]);
	cJSON_AddStringToObject(d, "token", st.token);
	cJSON_AddStringToObject(d, "statement", text);
	cJSON_AddStringToObject(d, "request_sha256", hex);
	cJSON_AddStringToObject(d, "signature", sig64);
	r = note(&c.st, "approval.granted", p->name,
	    c.v->accounts[0].id, argv[3], d);
	if (r == BG_OK)
		printf("appended approval.granted by %s (signed with the log's "
		    "key)\n", p->name);
	bg_cer_end(&c);
	return r == BG_OK ? 0 : fail("append", r);
}

/* ------------------------------------------------------ policies */

static int
thresholds_one(bg_policy_t *p)
{
	size_t g;
	int r = BG_OK;

	for (g = 0; r == BG_OK && g < bg_policy_ngroups(p); g++)
		r = bg_policy_set_threshold(p, bg_policy_group_name(p, g), 1);
	return r;
}

static int
forge_policy(int argc, char **argv, int edit)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	cJSON *d = NULL;
	int r;

	if (argc != 3)
		return 2;
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	if ((r = thresholds_one(v->policy)) == BG_OK &&
	    (r = bg_policy_to_json(v->policy, &d)) == BG_OK) {
		if (edit) {
			struct bg_audit_event ev = { "vault.read", "alice",
			    "", "", NULL };

			r = bg_vault_save(&st, v, &ev);
			cJSON_Delete(d);
		} else {
			r = note(&st, "policy.changed", "alice", "", "", d);
		}
	}
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("policy", r);
	printf("%s: every threshold 1 (signed with the log's key)\n",
	    edit ? "vault.json rewritten" : "appended policy.changed");
	return 0;
}

/* ------------------------------------------------------ re-keying */

/*
 * d with new keys: the box key replaced by xpriv's when box is set, the
 * signing key always the one of xpriv; the proof re-made with it. The
 * FIDO2 credential's own assertion is kept as it is.
 */
static int
rekeyed(const bg_token_desc_t *d, const uint8_t xpriv[32], int box,
    bg_token_desc_t **out)
{
	uint8_t id[BG_TOKEN_ID_LEN], pub[32], spub[32];
	char b64[64];
	cJSON *j = NULL;
	int r;

	if ((r = bg_hex_decode_exact(bg_token_desc_id(d), 32, id,
	    sizeof(id))) != BG_OK ||
	    (r = bg_x25519_public(xpriv, pub)) != BG_OK ||
	    (r = bg_token_sign_public(id, xpriv, spub)) != BG_OK ||
	    (r = bg_token_desc_to_json(d, &j)) != BG_OK)
		return r;
	if (box) {
		bg_b64_encode(pub, 32, b64, sizeof(b64));
		cJSON_ReplaceItemInObjectCaseSensitive(j, "x25519",
		    cJSON_CreateString(b64));
	}
	bg_b64_encode(spub, 32, b64, sizeof(b64));
	cJSON_ReplaceItemInObjectCaseSensitive(j, "ed25519",
	    cJSON_CreateString(b64));
	r = bg_token_desc_from_json(j, out);
	cJSON_Delete(j);
	if (r == BG_OK && (r = bg_desc_prove(*out, xpriv)) != BG_OK)
		bg_token_desc_free(out);
	return r;
}

static int
swap_key(int argc, char **argv)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	struct bg_vault_person *p;
	bg_token_desc_t *d = NULL;
	uint8_t xpriv[32];
	int r;

	if (argc != 4)
		return 2;
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	RAND_bytes(xpriv, sizeof(xpriv));
	if ((p = bg_vault_person(v, argv[3])) == NULL || p->ntokens == 0)
		r = BG_ENOENT;
	else if ((r = rekeyed(p->tokens[0], xpriv, 1, &d)) == BG_OK) {
		struct bg_audit_event ev = { "vault.read", argv[3], "", "",
		    NULL };

		bg_token_desc_free(&p->tokens[0]);
		p->tokens[0] = d;
		r = bg_vault_save(&st, v, &ev);
	}
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("swap", r);
	printf("%s's box key is now the attacker's (proof re-made, vault.json "
	    "recorded with the log's key)\n", argv[3]);
	return 0;
}

/* ------------------------------------------------------ forge-chain */

struct fake {
	char person[BG_NAME_MAX + 1];
	char token[2 * BG_TOKEN_ID_LEN + 1];
	uint8_t id[BG_TOKEN_ID_LEN], xpriv[32];
};

/* Every token of v gets a signing key of the attacker's; keys in f. */
static int
fake_keys(struct bg_vault *v, struct fake *f, size_t max, size_t *n)
{
	bg_token_desc_t *d;
	size_t i, t;
	int r;

	*n = 0;
	for (i = 0; i < v->npeople; i++)
		for (t = 0; t < v->people[i].ntokens && *n < max; t++) {
			struct fake *k = &f[(*n)++];

			snprintf(k->person, sizeof(k->person), "%s",
			    v->people[i].name);
			snprintf(k->token, sizeof(k->token), "%s",
			    bg_token_desc_id(v->people[i].tokens[t]));
			bg_hex_decode_exact(k->token, 32, k->id, sizeof(k->id));
			RAND_bytes(k->xpriv, sizeof(k->xpriv));
			if ((r = rekeyed(v->people[i].tokens[t], k->xpriv, 0,
			    &d)) != BG_OK)
				return r;
			bg_token_desc_free(&v->people[i].tokens[t]);
			v->people[i].tokens[t] = d;
		}
	return BG_OK;
}

/* chain/<n>.json and its chain.link entry, as change apply writes them. */
static int
write_link(struct bg_state *st, const struct bg_chain_link *l)
{
	struct bg_audit_event ev = { "chain.link", "breakglass", "", "", NULL };
	char head[65], name[BG_CHAIN_PATH_MAX];
	cJSON *j = NULL, *d = cJSON_CreateObject();
	int r;

	bg_chain_hex(l->m, head);
	bg_chain_path(l->n, name);
	if ((r = bg_chain_link_to_json(l, &j)) != BG_OK)
		return r;
	cJSON_AddNumberToObject(d, "n", (double)l->n);
	cJSON_AddStringToObject(d, "head", head);
	cJSON_AddItemToObject(d, "link", cJSON_Duplicate(j, 1));
	ev.detail = d;
	r = bg_state_write(st, name, j, &ev);
	cJSON_Delete(j);
	cJSON_Delete(d);
	return r;
}

static int
forge_chain(int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	static struct bg_cer real;
	static struct bg_state st;
	static struct fake f[64];
	struct bg_vault *forged = NULL, *mine = NULL;
	struct bg_chain_link *l = NULL;
	uint8_t sig[BG_TOKEN_SIG_LEN];
	size_t n = 0, i;
	int r;

	if (argc != 4)
		return 2;
	if ((r = bg_cer_begin(&real, argv[2], stdout, &o)) != BG_OK)
		return fail("open the real state", r);
	r = bg_chain_state_of(real.v, &forged, NULL);
	bg_cer_end(&real);
	if (r != BG_OK || (r = fake_keys(forged, f, 64, &n)) != BG_OK ||
	    (r = bg_chain_link_new(NULL, forged, &l)) != BG_OK)
		return fail("forge the state", r);
	for (i = 0; i < n && r == BG_OK; i++)
		if ((r = bg_token_sign_raw(f[i].id, f[i].xpriv, l->m, 32,
		    sig)) == BG_OK)
			r = bg_chain_link_sign(l, f[i].person, f[i].token, sig);
	if (r == BG_OK && (r = open_raw(argv[3], &st, &mine)) == BG_OK) {
		struct bg_audit_event ev = { "vault.armed", "breakglass", "",
		    "", NULL };

		if ((r = write_link(&st, l)) == BG_OK)
			r = bg_vault_save(&st, forged, &ev);
		bg_vault_free(&mine);
		bg_state_close(&st);
	}
	bg_chain_link_free(&l);
	bg_vault_free(&forged);
	if (r != BG_OK)
		return fail("forge the chain", r);
	printf("forged genesis written: %zu token keys replaced, every one "
	    "signed by the attacker\n", n);
	return 0;
}

/* ------------------------------------------------------ swap-link */

/*
 * Link n+1: the token ids of alice, bob, dave and erin kept, their keys
 * replaced by the attacker's, signed by those keys only (as if by the
 * old thresholds of both groups), written and recorded with the log key.
 */
static int
swap_link(int argc, char **argv)
{
	static const char *const who[] = { "alice", "bob", "dave", "erin" };
	struct bg_token_opts o = bg_token_opts_default();
	static struct bg_cer c;
	struct bg_vault *forged = NULL;
	struct bg_chain_link *l = NULL;
	struct bg_vault_person *p;
	bg_token_desc_t *d = NULL;
	uint8_t xpriv[4][32], id[16], sig[BG_TOKEN_SIG_LEN];
	size_t i;
	int r;

	if (argc != 3)
		return 2;
	if ((r = bg_cer_begin(&c, argv[2], stdout, &o)) != BG_OK)
		return fail("open", r);
	r = bg_chain_state_of(c.v, &forged, NULL);
	for (i = 0; i < 4 && r == BG_OK; i++) {
		RAND_bytes(xpriv[i], 32);
		if ((p = bg_vault_person(forged, who[i])) == NULL)
			r = BG_ENOENT;
		else if ((r = rekeyed(p->tokens[0], xpriv[i], 1, &d)) ==
		    BG_OK) {
			bg_token_desc_free(&p->tokens[0]);
			p->tokens[0] = d;
		}
	}
	if (r == BG_OK)
		r = bg_chain_link_new(bg_chain_last(c.chain), forged, &l);
	for (i = 0; i < 4 && r == BG_OK; i++) {
		p = bg_vault_person(forged, who[i]);
		bg_hex_decode_exact(bg_token_desc_id(p->tokens[0]), 32, id, 16);
		if ((r = bg_token_sign_raw(id, xpriv[i], l->m, 32, sig)) ==
		    BG_OK)
			r = bg_chain_link_sign(l, who[i],
			    bg_token_desc_id(p->tokens[0]), sig);
	}
	if (r == BG_OK)
		r = write_link(&c.st, l);
	bg_chain_link_free(&l);
	bg_vault_free(&forged);
	bg_cer_end(&c);
	if (r != BG_OK)
		return fail("swap-link", r);
	printf("link written: four members' keys swapped under their ids, "
	    "signed by the new keys\n");
	return 0;
}

/* ------------------------------------------------------ forge-event */

/*
 * An entry the ledger or the ceremony acts on, appended with the log's
 * key and signed by no token: EVENT by ACTOR for REQUEST.
 */
static int
forge_event(int argc, char **argv)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	const char *items[1] = { "root-password" };
	uint64_t vers[1] = { 1 };
	uint32_t slots[1] = { 0 };
	uint8_t rnd[64];
	char b64[100], hex[65];
	cJSON *d, *sigs, *one;
	int r;

	if (argc != 6)
		return 2;
	d = cJSON_CreateObject();
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	RAND_bytes(rnd, sizeof(rnd));
	bg_b64_encode(rnd, 64, b64, sizeof(b64));
	bg_hex_encode(rnd, 32, hex, sizeof(hex));
	r = bg_ledger_add_entries(d, items, vers, slots, 1);
	cJSON_AddStringToObject(d, "token", hex);
	cJSON_AddStringToObject(d, "signature", b64);
	if (strcmp(argv[3], "change.approved") == 0) {
		hex[32] = '\0';
		sigs = cJSON_AddArrayToObject(d, "signatures");
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "token", hex);
		cJSON_AddStringToObject(one, "signature", b64);
		cJSON_AddItemToArray(sigs, one);
		bg_hex_encode(rnd + 32, 32, hex, sizeof(hex));
		cJSON_AddStringToObject(d, "link", hex);
	}
	if (r == BG_OK)
		r = note(&st, argv[3], argv[4], v->accounts[0].id, argv[5], d);
	else
		cJSON_Delete(d);
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("append", r);
	printf("appended %s by %s (log key only)\n", argv[3], argv[4]);
	return 0;
}

/* ------------------------------------------------------ replay */

struct find {
	const char *event, *actor, *request;
	cJSON *detail;		/* the last match's, a copy */
};

static int
find_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct find *f = ctx;
	struct bg_audit_entry e;

	(void)seq;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return BG_OK;
	if (strcmp(e.event, f->event) == 0 && strcmp(e.actor, f->actor) == 0 &&
	    strcmp(e.request, f->request) == 0) {
		cJSON_Delete(f->detail);
		f->detail = cJSON_Duplicate(e.detail, 1);
	}
	bg_audit_entry_free(&e);
	return BG_OK;
}

/*
 * A genuine entry (EVENT by PERSON for request FROM, signature and all)
 * appended again with the log's key as one for request TO.
 */
static int
replay(int argc, char **argv)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	struct find f;
	int r;

	if (argc != 7)
		return 2;
	f = (struct find){ argv[3], argv[4], argv[5], NULL };
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	r = bg_audit_foreach(st.log, 0, bg_audit_size(st.log), find_entry, &f);
	if (r == BG_OK && f.detail == NULL)
		r = BG_ENOENT;
	if (r == BG_OK)
		r = note(&st, argv[3], argv[4], v->accounts[0].id, argv[6],
		    f.detail);
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("replay", r);
	printf("%s by %s of %s replayed for %s\n", argv[3], argv[4], argv[5],
	    argv[6]);
	return 0;
}

/* ------------------------------------------------------ forge-deny */

/*
 * Change ID closed as "denied by PERSON" (a signature of no token), the
 * file and a change.denied entry recorded with the log's key.
 */
static int
forge_deny(int argc, char **argv)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	char name[128], b64[100];
	uint8_t rnd[64];
	cJSON *j = NULL, *den, *d;
	int r;

	if (argc != 5)
		return 2;
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	snprintf(name, sizeof(name), "changes/%s.json", argv[3]);
	RAND_bytes(rnd, sizeof(rnd));
	bg_b64_encode(rnd, 64, b64, sizeof(b64));
	if ((r = bg_state_read(&st, name, &j)) == BG_OK) {
		const struct bg_vault_person *p = bg_vault_person(v, argv[4]);

		cJSON_ReplaceItemInObjectCaseSensitive(j, "outcome",
		    cJSON_CreateString("denied"));
		den = cJSON_AddObjectToObject(j, "denial");
		cJSON_AddStringToObject(den, "person", argv[4]);
		cJSON_AddStringToObject(den, "token", p && p->ntokens ?
		    bg_token_desc_id(p->tokens[0]) : "");
		cJSON_AddStringToObject(den, "reason", "vetoed");
		cJSON_AddStringToObject(den, "signature", b64);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "signature", b64);
		cJSON_AddStringToObject(d, "token", p && p->ntokens ?
		    bg_token_desc_id(p->tokens[0]) : "");
		{
			struct bg_audit_event ev = { "change.denied", argv[4],
			    "", argv[3], d };

			r = bg_state_write(&st, name, j, &ev);
		}
		cJSON_Delete(d);
	}
	cJSON_Delete(j);
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("forge-deny", r);
	printf("change %s now 'denied by %s' (no token signed it)\n", argv[3],
	    argv[4]);
	return 0;
}

/* ------------------------------------------------------ dup-token */

static int
dup_token(int argc, char **argv)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	struct bg_vault_person *from, *to;
	bg_token_desc_t *d = NULL;
	const cJSON *cp;
	uint8_t xy[64], sec1[33], id[16];
	char b64[64], hex[33];
	cJSON *j = NULL;
	int r;

	if (argc != 5)
		return 2;
	if ((r = open_raw(argv[2], &st, &v)) != BG_OK)
		return fail("open", r);
	from = bg_vault_person(v, argv[3]);
	to = bg_vault_person(v, argv[4]);
	if (from == NULL || to == NULL || from->ntokens == 0 ||
	    (r = bg_token_desc_to_json(from->tokens[0], &j)) != BG_OK)
		r = r ? r : BG_ENOENT;
	else if ((cp = cJSON_GetObjectItemCaseSensitive(j,
	    "cred_pubkey")) == NULL || !cJSON_IsString(cp) ||
	    bg_b64_decode_exact(cp->valuestring, strlen(cp->valuestring), xy,
	    sizeof(xy)) != BG_OK)
		r = BG_EFORMAT;
	else {
		sec1[0] = (uint8_t)(0x02 | (xy[63] & 1));	/* compressed */
		memcpy(sec1 + 1, xy, 32);
		bg_b64_encode(sec1, sizeof(sec1), b64, sizeof(b64));
		cJSON_ReplaceItemInObjectCaseSensitive(j, "cred_pubkey",
		    cJSON_CreateString(b64));
		RAND_bytes(id, sizeof(id));
		bg_hex_encode(id, sizeof(id), hex, sizeof(hex));
		cJSON_ReplaceItemInObjectCaseSensitive(j, "id",
		    cJSON_CreateString(hex));
		if ((r = bg_token_desc_from_json(j, &d)) == BG_OK) {
			struct bg_audit_event ev = { "token.enrolled", argv[4],
			    "", "", NULL };

			/* past bg_vault_add_token, which would refuse it */
			to->tokens[to->ntokens++] = d;
			r = bg_vault_save(&st, v, &ev);
		}
	}
	cJSON_Delete(j);
	bg_vault_free(&v);
	bg_state_close(&st);
	if (r != BG_OK)
		return fail("dup", r);
	printf("%s's token copied to %s (credential key re-encoded, new id)\n",
	    argv[3], argv[4]);
	return 0;
}

int
main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2 && strcmp(argv[1], "forge-grant") == 0)
		r = forge_grant(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "forge-policy") == 0)
		r = forge_policy(argc, argv, 0);
	else if (argc >= 2 && strcmp(argv[1], "edit-policy") == 0)
		r = forge_policy(argc, argv, 1);
	else if (argc >= 2 && strcmp(argv[1], "swap-key") == 0)
		r = swap_key(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "forge-chain") == 0)
		r = forge_chain(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "forge-event") == 0)
		r = forge_event(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		r = replay(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "forge-deny") == 0)
		r = forge_deny(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "swap-link") == 0)
		r = swap_link(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "dup-token") == 0)
		r = dup_token(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: attack_gov forge-grant STATE REQUEST "
		    "PERSON GROUP | forge-policy STATE | edit-policy STATE | "
		    "swap-key STATE PERSON | swap-link STATE | forge-chain REAL NEW | "
		    "forge-event STATE EVENT ACTOR REQUEST | replay STATE EVENT "
		    "PERSON FROM TO | forge-deny STATE "
		    "CHANGE PERSON | "
		    "dup-token "
		    "STATE FROM TO\n");
	return r;
}
