/*
 * broker/ceremony/: the break-glass ceremony (docs/design.md §2, §5): request,
 * approve, deny, release, status, rekey; and the request files
 * (requests/<id>.json) they keep.
 *
 * Every operation runs inside one open state (the audit log's writer
 * lock held from load to save) and records what it did or why it refused
 * before anything takes effect; a refusal changes no file.
 */
#ifndef BG_CEREMONY_H
#define BG_CEREMONY_H

#include <stdint.h>
#include <stdio.h>

#include "broker/chain/chain.h"
#include "broker/vault/vault.h"

#define BG_RQFILE_FORMAT "breakglass-request-file-v2"
#define BG_RQ_KEY_BOX_LEN (32 + BG_BOX_OVERHEAD)
#define BG_RQ_SHARE_BOX_LEN (BG_SLOT_KEY_LEN + BG_BOX_OVERHEAD)
#define BG_RQ_APPROVALS_MAX 256
/* Caps (docs/ceremony.md): open requests per requester, and slots one
 * custodian may burn in a day. */
#define BG_RQ_OPEN_MAX 3
#define BG_BURNS_PER_DAY_MAX 8

enum bg_rq_state { BG_RQ_OPEN = 1, BG_RQ_DENIED, BG_RQ_RELEASED };

/* A token's touch, as recorded: FIDO2 signs, a YubiKey only unlocks. */
struct bg_touch {
	char token[2 * BG_TOKEN_ID_LEN + 1];
	int signed_;		/* authdata and sig hold a FIDO2 assertion */
	struct bg_token_assertion as;
};

/* One slot share an approval re-sealed to the request key. */
struct bg_rq_share {
	char item[BG_NAME_MAX + 1];
	uint8_t box[BG_RQ_SHARE_BOX_LEN];
};

struct bg_rq_approval {
	char group[BG_NAME_MAX + 1];
	char custodian[BG_NAME_MAX + 1];
	uint64_t time;
	char token[2 * BG_TOKEN_ID_LEN + 1];	/* the token that signed */
	char *statement;		/* breakglass-approval-v2 text */
	size_t statement_len;
	uint8_t sig[BG_TOKEN_SIG_LEN];	/* over bg_statement2_hash() */
	/* FIDO2 tokens: the touch's own assertion over bg_cer_intent() */
	uint8_t fido2_authdata[BG_TOKEN_AUTHDATA_MAX];
	size_t fido2_authdata_len;
	uint8_t fido2_sig[BG_TOKEN_SIG_MAX];
	size_t fido2_sig_len;
	struct bg_rq_share share[BG_POLICY_ITEMS_MAX];
	size_t nshare;
};

struct bg_rqfile {
	bg_request_t *rq;		/* its fields, from the signed text */
	struct bg_request2 *rq2;	/* the signed request */
	char *text;			/* breakglass-request-v2 text */
	size_t text_len;
	uint8_t hash[32];		/* bg_request2_hash() */
	char token[2 * BG_TOKEN_ID_LEN + 1];	/* the requester's, signing */
	uint8_t sig[BG_TOKEN_SIG_LEN];
	enum bg_rq_state state;
	char key_token[BG_VAULT_TOKENS_MAX][2 * BG_TOKEN_ID_LEN + 1];
	uint8_t key_box[BG_VAULT_TOKENS_MAX][BG_RQ_KEY_BOX_LEN];
	size_t nkey;
	struct bg_rq_approval *approvals;
	size_t napprovals;
	char denied_by[BG_NAME_MAX + 1];
	char denial[BG_REASON_MAX + 1];
	uint64_t closed;		/* time denied or released, 0 open */
};

/*
 * Strict parse: the request text is parsed strictly and its reason must
 * hash to reason-sha256. Signatures are the ceremony's to check (it knows
 * the tokens).
 */
int bg_rqfile_from_json(const cJSON *j, struct bg_rqfile **f);
int bg_rqfile_to_json(const struct bg_rqfile *f, cJSON **j);
void bg_rqfile_free(struct bg_rqfile **f);
/* One approval, as the file holds it (the daemon receives it so). */
int bg_rq_approval_to_json(const struct bg_rq_approval *a, cJSON **j);
/* Strict; the caller frees a->statement. */
int bg_rq_approval_from_json(const cJSON *j, struct bg_rq_approval *a);
const char *bg_rq_state_str(enum bg_rq_state s);

/* ================================================================ ceremony */

struct bg_ledger;

struct bg_cer {
	struct bg_state st;		/* open: the writer lock is held */
	struct bg_vault *v;
	bg_chain_t *chain;		/* NULL before genesis; else checked
					 * from genesis, v agreeing with it */
	struct bg_ledger *ledger;	/* cer_ledger()'s (its own size) */
	struct bg_token_opts o;		/* PIN source, prompts, timeout */
	FILE *out;			/* what the people present read */
	uint64_t now;			/* seconds, at bg_cer_begin */
	/* a client's copy (bg_cer_remote): no state, the log's head as the
	 * daemon's kit said it */
	int remote;
	uint64_t log_size;
	uint8_t log_root[32];
};

/* Opens the state, loads the vault. End with bg_cer_end(). */
int bg_cer_begin(struct bg_cer *c, const char *dir, FILE *out,
    const struct bg_token_opts *o);
void bg_cer_end(struct bg_cer *c);
/*
 * What a writer settles before checking the vault (vault verify): a
 * change apply cut short after its link was recorded, vault.json one link
 * behind the chain head, is finished as bg_cer_begin finishes it. Records
 * nothing else: BG_OK also when there is nothing to finish, or when the
 * state is not whole (the caller's checks report that).
 */
int bg_cer_settle(const char *dir);
/*
 * The ledger c holds (broker/ledger), brought up to the log's size: the
 * snapshot's and the entries since, not a new read of the whole log.
 * c's own: valid until bg_cer_end, not to be freed.
 */
int bg_cer_ledger(struct bg_cer *c, struct bg_ledger **l);
/*
 * vault verify's check of the snapshots anchored in the log (fold.c,
 * docs/audit.md "Snapshots"): each state.snapshot entry's digest against
 * the folds recomputed from the entries before it. One forged with the
 * log's key is reported (report(ctx, what, problem)) and BG_ETAMPER.
 */
int bg_cer_fold_verify(const char *dir, bg_state_report_fn report, void *ctx);
/*
 * What a client needs to touch for a command (kit.c): the vault as
 * vault.json has it with its items' commitments, the chain from genesis
 * and the log's size and root. bg_cer_remote() makes a ceremony of it in
 * the client: the chain checked from genesis, the vault checked against
 * its head, every commitments blob against its version; nothing to
 * write to (c->remote). bg_cer_end() frees it.
 */
int bg_cer_kit(struct bg_cer *c, cJSON **kit);
int bg_cer_remote(struct bg_cer *c, const cJSON *kit, FILE *out,
    const struct bg_token_opts *o);
/* The log's size and root as a statement names them. */
int bg_cer_log_head(struct bg_cer *c, uint64_t *size, uint8_t root[32]);
/*
 * In a client (c made by bg_cer_remote from kit): the kit's signed
 * checkpoint verifies with vkey (breakglass.conf's "verifier") and is the
 * log head the kit names. BG_ETAMPER, bg_why() saying which, otherwise.
 */
int bg_cer_kit_checkpoint(const struct bg_cer *c, const cJSON *kit,
    const char *vkey);
/*
 * Records a refusal as event (e.g. "request.refused", "vault.refused"):
 * the command, the error and bg_why(). Returns err, or the audit failure
 * when the entry cannot be made; bg_why() is kept.
 */
int bg_cer_refused(struct bg_cer *c, const char *event, const char *cmd,
    const char *id, const char *account, const char *actor, int err);

/* What a requester asks for (request.c). */
struct bg_cer_ask {
	char account[BG_ACCOUNT_MAX + 1];
	char reason[BG_REASON_MAX + 1];
	char ticket[BG_TICKET_MAX + 1];
	char as[BG_NAME_MAX + 1];		/* the requester */
	char items[BG_POLICY_ITEMS_MAX][BG_NAME_MAX + 1];
	size_t nitems;		/* 0: the account's root-password and -mfa */
	uint8_t key[32];	/* the request key's public half */
};
int bg_cer_ask_to_json(const struct bg_cer_ask *q, cJSON **args);
int bg_cer_ask_from_json(const cJSON *args, struct bg_cer_ask *q);
/*
 * Opens a request (a rehearsal: the three steps below in this process):
 * per item its current version and the lowest slot neither burned nor
 * named by another open request; the requester's token signs the request
 * text, the request key's private half (made here) is sealed to the
 * requester's tokens. id gets the request id.
 */
int bg_cer_request(struct bg_cer *c, const struct bg_cer_ask *q,
    char id[BG_REQUEST_ID_LEN + 1]);
/*
 * The steps: the broker checks the ask and makes the text (the kit gains
 * "text" and "id"); the client (bg_cer_remote) checks the text is what it
 * asked, shows it, touches, signs, seals priv (whose public half is
 * q->key) to the requester's tokens; the broker checks the text again
 * (the slots still free), the signature and the boxes, and records
 * request.open. Refusals are recorded by the broker's steps.
 */
int bg_cer_request_kit(struct bg_cer *c, const struct bg_cer_ask *q,
    cJSON **kit);
int bg_cer_request_take(struct bg_cer *c, const cJSON *kit,
    const struct bg_cer_ask *q, const uint8_t priv[32], cJSON **sub);
int bg_cer_request_submit(struct bg_cer *c, const struct bg_cer_ask *q,
    const cJSON *kit, const cJSON *sub, char id[BG_REQUEST_ID_LEN + 1]);
/*
 * What a FIDO2 approver's touch signs (its clientDataHash; the statement,
 * which names the boxes the touch opened, is signed with the token's
 * Ed25519 key after it): SHA-256("breakglass/v1/approval-intent" 0x00 ||
 * request hash || fingerprint || chain head || group 0x00 || person 0x00
 * || token id (32 hex)). Checkable with fido2-assert -V (docs/audit.md).
 */
int bg_cer_intent(const uint8_t request[32], const uint8_t fp[32],
    const uint8_t head[32], const char *group, const char *person,
    const char *token, uint8_t out[32]);
/* The custodian reads the request, touches a token, approves. */
int bg_cer_approve(struct bg_cer *c, const char *id, const char *custodian);
/*
 * The same in three steps, for breakglassd and its client: the daemon
 * checks everything it can before the touch and gives the kit (request
 * file and group added); the client (c from bg_cer_remote) shows the
 * request, touches and returns the approval; the daemon, with the state
 * open again, runs every check again and refuses an approval that is not
 * exactly what the custodian's own touch makes (BG_ETAMPER, recorded).
 */
int bg_cer_approve_kit(struct bg_cer *c, const char *id, const char *custodian,
    cJSON **kit);
int bg_cer_approve_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *custodian, cJSON **approval);
int bg_cer_approve_submit(struct bg_cer *c, const char *id,
    const char *custodian, const cJSON *approval);
/*
 * What a token signs for an act on a request: SHA-256(tag 0x00 || request
 * hash || text). A denial (approval.denied): BG_CER_DENY_TAG and the
 * reason; a release (release.done): BG_CER_RELEASE_TAG and "".
 */
#define BG_CER_DENY_TAG "breakglass/v1/request-deny"
#define BG_CER_RELEASE_TAG "breakglass/v1/request-release"
#define BG_CER_CHANGE_DENY_TAG "breakglass/v1/change-deny"	/* link m */
int bg_cer_act_message(const char *tag, const uint8_t request[32],
    const char *text, uint8_t msg[32]);
/* A token's signature of an act, as a client sends it. */
struct bg_cer_act {
	char token[2 * BG_TOKEN_ID_LEN + 1];
	uint8_t sig[BG_TOKEN_SIG_LEN];
};
int bg_cer_act_to_json(const struct bg_cer_act *a, cJSON **j);
int bg_cer_act_from_json(const cJSON *j, struct bg_cer_act *a);
/* The "token" field of o: a token id in hex. */
int bg_rq_token_from_json(const cJSON *o, char out[2 * BG_TOKEN_ID_LEN + 1]);

/* A custodian of a needed group, or the requester, stops the request. */
int bg_cer_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason);
/*
 * The same in three steps (act.c): the daemon checks and gives the kit;
 * the client touches and signs (*a); the daemon checks everything again
 * and the signature against the person's token, then records.
 */
int bg_cer_deny_kit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, cJSON **kit);
int bg_cer_deny_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *person, const char *reason, struct bg_cer_act *a);
int bg_cer_deny_submit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, const cJSON *sub);

/* What a release opens; data is locked memory. */
struct bg_released {
	char name[BG_NAME_MAX + 1];
	enum bg_item_kind kind;
	uint8_t *data;
	size_t len;
};
/*
 * Checks every approval and the quorum, the requester touches a token,
 * shares are combined and checked, the items opened; release.done is
 * durable before *items is returned. reveal_seed is recorded.
 */
int bg_cer_release(struct bg_cer *c, const char *id, const char *requester,
    int reveal_seed, struct bg_released **items, size_t *nitems);
void bg_released_free(struct bg_released **items, size_t n);
/*
 * The same in steps, so that release.done is recorded before the client
 * can open anything: the daemon checks (requester, open, approvals,
 * quorum, time lock) and gives the kit, the approvals' share boxes left
 * out; the client touches, signs the release and opens the request key
 * (rqpriv, 32 bytes of locked memory); the daemon checks all again and
 * the signature, records release.done and only then returns the whole
 * request file (*after); the client opens the shares and the items.
 */
int bg_cer_release_kit(struct bg_cer *c, const char *id,
    const char *requester, cJSON **kit);
int bg_cer_release_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *requester, struct bg_cer_act *a, uint8_t *rqpriv);
int bg_cer_release_submit(struct bg_cer *c, const char *id,
    const char *requester, int reveal_seed, const cJSON *sub,
    cJSON **after);
int bg_cer_release_open(struct bg_cer *c, const cJSON *after,
    const char *id, const uint8_t *rqpriv, struct bg_released **items,
    size_t *nitems);

/* ================================================================ seal */

/* What is sealed, and by whom (seal.c). */
struct bg_cer_seal {
	const char *account, *item, *as;
	int note;		/* a recovery note NAME (else root-*) */
	uint64_t kit_next;	/* the version the kit offered (0: unknown) */
};
/*
 * The version of s's item that the kit's vault makes next: what an honest
 * client seals. A submit naming it when the vault has moved on since is a
 * race (another sealer was faster), not a forgery.
 */
uint64_t bg_cer_seal_kit_next(const cJSON *kit, const struct bg_cer_seal *s);
/* The kind an item name has: root-password, root-mfa, or a note. */
int bg_cer_seal_kind(const char *item, int note, enum bg_item_kind *kind);
/*
 * The account is the vault's, the item a note the policy names (or a
 * root item), the vault armed, and s->as a member of a group the item
 * needs or a requester.
 */
int bg_cer_seal_may(struct bg_cer *c, const struct bg_cer_seal *s,
    struct bg_vault_account **acct, struct bg_vault_person **sealer);
/* The sealer's touch: their token signs bg_vault_seal_message(). */
int bg_cer_seal_sign(struct bg_cer *c, struct bg_vault_person *p,
    struct bg_vault_item *it);
/* item.sealed's detail: the coordinates, message and signature. */
int bg_cer_seal_detail(struct bg_cer *c, const struct bg_vault_item *it,
    cJSON **d);
/*
 * The seal made in a client: the daemon checks and gives the kit; the
 * client seals the value into a new version of the kit's vault and the
 * sealer touches (*sub: the item and its commitments); the daemon checks
 * it has the shape of its own seal, the commitments and the signature,
 * and takes it (item.sealed). The value never leaves the client.
 */
int bg_cer_seal_args_to_json(const struct bg_cer_seal *s, cJSON **args);
int bg_cer_seal_args_from_json(const cJSON *args, struct bg_cer_seal *s);
int bg_cer_seal_kit(struct bg_cer *c, const struct bg_cer_seal *s,
    cJSON **kit);
int bg_cer_seal_take(struct bg_cer *c, const struct bg_cer_seal *s,
    enum bg_item_kind kind, const uint8_t *value, size_t len, cJSON **sub);
int bg_cer_seal_submit(struct bg_cer *c, const struct bg_cer_seal *s,
    const cJSON *sub);

/* Prints the requests (one, or all open ones) with what each lacks. */
int bg_cer_status(struct bg_cer *c, const char *id);

/* ================================================== change requests */

/*
 * Governance changes (change.c, docs/ceremony.md "Genesis and change
 * requests"): changes/<id>.json holds the proposed chain link (the whole
 * new governance state) and the signatures gathered. Before genesis the
 * set-up commands save directly; 'vault arm' proposes the genesis; after
 * it every set-up command proposes a change instead.
 */
#define BG_CHANGE_FORMAT "breakglass-change-v1"
#define BG_CHANGE_ID_LEN 32
#define BG_CHANGE_WHAT_MAX 256

/*
 * Proposes next's governance state as the next link (the genesis before
 * there is one), refused when that state could never be applied
 * (bg_chain_state_ok) or changes nothing. Prints it; id gets its id.
 */
int bg_cer_change_open(struct bg_cer *c, const struct bg_vault *next,
    const char *what, const char *actor, char id[BG_CHANGE_ID_LEN + 1]);
/*
 * 1 for an event that changes who may approve or how many must
 * (account.added, custodian.*, requester.*, token.enrolled/removed,
 * policy.changed): after genesis only a change request makes one.
 */
int bg_cer_governing(const char *event);
/* BG_EPERM (why: what needs the genesis) before genesis. */
int bg_cer_armed(struct bg_cer *c, const char *what);
/* person's tokens (each a touch) sign the link; shows it first. */
int bg_cer_change_approve(struct bg_cer *c, const char *id,
    const char *person);
/* person's token signs a denial: the change is closed for good. */
int bg_cer_change_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason);
/* Writes the link and vault.json when bg_chain_link_check() holds. */
/*
 * The same touched in a client: the daemon checks and gives the kit (the
 * change file in it; no chain before the genesis); the client shows the
 * change and its tokens sign (*sub: the signatures, or the denial); the
 * daemon checks all again, each signature with the token's key as the
 * chain holds it (the change's for a token it adds), and records.
 * reason NULL: approve.
 */
int bg_cer_change_kit(struct bg_cer *c, const char *id, const char *person,
    int deny, cJSON **kit);
int bg_cer_change_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *person, int deny, cJSON **sub);
int bg_cer_change_submit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, const cJSON *sub);
int bg_cer_change_apply(struct bg_cer *c, const char *id);
int bg_cer_change_status(struct bg_cer *c, const char *id);

/* ================================================ the log's governance */

/* What bg_cer_audit_governance() found. */
struct bg_gov_check {
	int armed;		/* a genesis is in the log */
	uint8_t fp[32];		/* its fingerprint */
	uint64_t links;		/* chain.link entries verified */
	uint64_t signatures;	/* token signatures re-verified */
	uint64_t bad_seq;	/* on BG_ETAMPER: the entry */
	char reason[512];	/* and what is wrong with it */
};

/*
 * Re-verifies the log's governance from the log alone (auditgov.c), its
 * first n entries in the file entries (audit/entries.jsonl, just checked
 * by bg_audit_verify): the
 * chain rebuilt from its chain.link entries and checked from genesis;
 * after genesis no governing event (custodian.added, policy.changed, ...)
 * outside a link; every request.open, approval.burn, approval.granted,
 * approval.denied, release.done, item.sealed, change.approved and
 * change.denied signed by its actor's token as the chain has it there
 * (a change approval by a token the change adds: one of its link's
 * signatures); request.quorum_met and near_quorum only after a signed
 * burn by the same person for the same request. BG_OK, or BG_ETAMPER
 * naming the first bad entry.
 */
int bg_cer_audit_governance(const char *entries, uint64_t n,
    struct bg_gov_check *res);

/* ============================================================= rekey */

/*
 * Rekey by resharing (docs/ceremony.md "Rekey"): rekeys/<id>.json. The
 * holders named in "from" (exactly the threshold of every version) each
 * re-split their shares to the group's members as the policy names them
 * now, in their own process with their own touch; each new member joins
 * the pieces addressed to them in theirs. No process holds another's
 * token secret or a group part.
 */
#define BG_RKFILE_FORMAT "breakglass-rekey-v1"
#define BG_RK_ID_LEN 32
#define BG_RK_VERSIONS_MAX BG_POLICY_ITEMS_MAX

struct bg_rk_member {
	char person[BG_NAME_MAX + 1];
	uint8_t x;			/* new x, 1..n, policy order */
};

struct bg_rk_version {
	char item[BG_NAME_MAX + 1];
	uint64_t version;
	uint64_t epoch;			/* the group's, before the rekey */
	uint32_t nslots;
	uint8_t root[32];		/* the sealer's commitments root */
	uint8_t from_x[BG_SHAMIR_MAX];	/* each holder's x, in from order */
};

/* A piece (contribution) or a new member box (acceptance). */
struct bg_rk_box {
	char to[BG_NAME_MAX + 1];
	char token[2 * BG_TOKEN_ID_LEN + 1];	/* the recipient's */
	size_t v;				/* index into versions */
	uint8_t *box;
	size_t len;
};

/* What one person's process made and signed. */
struct bg_rk_signed {
	char person[BG_NAME_MAX + 1];
	char token[2 * BG_TOKEN_ID_LEN + 1];	/* the token that signed */
	uint8_t sig[BG_TOKEN_SIG_LEN];
	struct bg_rk_box *boxes;
	size_t nboxes;
};

struct bg_rkfile {
	char id[BG_RK_ID_LEN + 1];
	char account[BG_ACCOUNT_MAX + 1];
	char group[BG_NAME_MAX + 1];
	char opened_by[BG_NAME_MAX + 1];
	uint64_t opened, closed;
	char outcome[16];		/* "", "done" or "failed" */
	unsigned t;			/* the new threshold */
	char (*from)[BG_NAME_MAX + 1];
	size_t nfrom;
	struct bg_rk_member *members;
	size_t nmembers;
	struct bg_rk_version *versions;
	size_t nversions;
	struct bg_rk_signed *contrib, *accept;
	size_t ncontrib, naccept;
};

int bg_rkfile_from_json(const cJSON *j, struct bg_rkfile **f);
/* One contribution or acceptance (its boxes for f's versions). */
int bg_rk_signed_to_json(const struct bg_rk_signed *s, cJSON **j);
int bg_rk_signed_from_json(const cJSON *j, const struct bg_rkfile *f,
    struct bg_rk_signed *s);
int bg_rkfile_to_json(const struct bg_rkfile *f, cJSON **j);
void bg_rkfile_free(struct bg_rkfile **f);
/* The hash of what the rekey is (not who did what): every box is bound
 * to it, every signature covers it. */
int bg_rkfile_hash(const uint8_t vault_id[16], const struct bg_rkfile *f,
    uint8_t h[32]);
/*
 * What the piece b from holder from is sealed under (h: the file's hash):
 * the rekey, sender, recipient and their new x, token, version, new epoch.
 */
int bg_rkfile_piece_label(const struct bg_rkfile *f, const uint8_t h[32],
    const char *from, const struct bg_rk_box *b, struct bg_label *l);

/*
 * Opens a rekey of group in account: from names the holders (exactly the
 * threshold of each current version of the group), the new members and
 * threshold are the policy's now. Refused while a request naming a
 * version is open. id gets the rekey id.
 */
int bg_cer_rekey_begin(struct bg_cer *c, const char *account,
    const char *group, const char *const *from, size_t nfrom,
    const char *as, char id[BG_RK_ID_LEN + 1]);
/* A holder touches, re-splits their shares to the new members, signs. */
int bg_cer_rekey_contribute(struct bg_cer *c, const char *id, const char *as);
/*
 * A new member touches, joins the pieces addressed to them into new
 * boxes, signs; after the last one the vault uses the new boxes
 * (group.rekeyed). Run again by a member once all have accepted, it
 * finishes a rekey an error interrupted.
 */
int bg_cer_rekey_accept(struct bg_cer *c, const char *id, const char *as);
/* Prints one rekey, or every one not closed. */
int bg_cer_rekey_status(struct bg_cer *c, const char *id);
/*
 * contribute (accept 0) and accept (accept 1) touched in a client: the
 * daemon checks and gives the kit (the rekey file in it); the client
 * touches, re-splits or joins, seals and signs (*sub: the contribution
 * or acceptance); the daemon checks it is the person's, addressed to
 * exactly the recipients and versions the file names and signed by their
 * token, records it, and after the last acceptance applies the rekey.
 */
int bg_cer_rekey_kit(struct bg_cer *c, const char *id, const char *as,
    int accept, cJSON **kit);
int bg_cer_rekey_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *as, int accept, cJSON **sub);
int bg_cer_rekey_submit(struct bg_cer *c, const char *id, const char *as,
    int accept, const cJSON *sub);

/* For the rooms above (custody): one touch, one recorded note. */
/* Records event with detail (may be NULL) and no file change. */
int bg_cer_note(struct bg_cer *c, const char *event, const char *actor,
    const char *account, const char *id, const cJSON *detail);

/* The person spelled exactly so (bg_why() helps with a near miss). */
struct bg_vault_person *bg_cer_person(struct bg_cer *c, const char *name);

/* The hash a FIDO2 token signs for token index i (NULL: no signature). */
typedef int (*bg_cer_hash_fn)(void *ctx, size_t i, uint8_t hash[32]);

/*
 * The person touches one of their tokens (the first that is connected):
 * FIDO2 signs hash_fn's hash and yields the token key from the same
 * assertion, a YubiKey only unlocks. *tok is the token's index.
 */
int bg_cer_touch(struct bg_cer *c, const struct bg_vault_person *p,
    bg_cer_hash_fn hash_fn, void *ctx, struct bg_touch *t,
    bg_token_key_t **key, size_t *tok);

#endif /* BG_CEREMONY_H */
