/* Internals shared by the ceremony's files (ceremony*.c). */
#ifndef BG_CER_INT_H
#define BG_CER_INT_H

#include "broker/ceremony/ceremony.h"
#include "broker/ledger/ledger.h"

#define RQ_PATH_MAX (sizeof("requests/.json") + BG_REQUEST_ID_LEN)

/*
 * Records "request.refused" (command cmd, the error and bg_why()) and
 * returns err, or the audit failure when the entry cannot be made.
 */
int cer_refuse(struct bg_cer *c, const char *cmd, const char *id,
    const char *account, const char *actor, int err);
/*
 * Loads requests/<id>.json after checking it is the version the audit
 * log last recorded, then the request itself: made for this vault, by a
 * requester of it, signed by one of the requester's tokens (BG_ETAMPER
 * otherwise, bg_why() saying which).
 */
int cer_load(struct bg_cer *c, const char *id, struct bg_rqfile **f);
/* Made for this vault by one of its requesters, signed by their token. */
int cer_request_signed(struct bg_cer *c, const struct bg_rqfile *f);
/* cer_load's checks of a request file already read (j). */
int cer_parse_request(struct bg_cer *c, const cJSON *j, const char *id,
    struct bg_rqfile **f);
/* Writes it; the event is recorded first with the file's hash. */
int cer_save(struct bg_cer *c, const struct bg_rqfile *f, const char *event,
    const char *actor, cJSON *detail);

/* The groups the request's items need, in policy order. */
int cer_groups(struct bg_cer *c, const struct bg_rqfile *f,
    const char **groups, size_t *n);

/* The vault fingerprint (the genesis link's message; zero before). */
void cer_vault_fp(const struct bg_cer *c, uint8_t fp[BG_FINGERPRINT_LEN]);

/* Label of the request key's box, bound to the request's hash. */
int cer_request_key_label(const struct bg_cer *c, const struct bg_rqfile *f,
    struct bg_label *l);
/*
 * Label of member x's share of the request's slot of item it, re-sealed
 * to the request key: built from the signed request and the vault.
 */
int cer_approval_label(const struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_vault_item *it, size_t g, uint8_t x, const char *token,
    struct bg_label *l);

/* The request key's private half sealed to each of p's tokens (key_boxes). */
int cer_seal_request_key(struct bg_cer *c, struct bg_rqfile *f,
    const struct bg_vault_person *p, const uint8_t priv[32]);

/* The request's entry for item, or NULL. */
const struct bg_request2_entry *cer_entry(const struct bg_rqfile *f,
    const char *item);
/*
 * The signed item version a request entry names: present, the version
 * current, the slot in range, the sealer's signature good. BG_EPERM
 * (rotated, no such slot) or BG_ETAMPER with bg_why() saying which.
 */
int cer_item(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_request2_entry *e, struct bg_vault_item **it);

/* BG_ETAMPER unless every group of it is at the epoch the log says. */
int cer_epochs(struct bg_cer *c, const struct bg_vault_account *a,
    const struct bg_vault_item *it);

/* BG_EPERM unless the request is open (file and log) and not expired. */
int cer_open_check(struct bg_cer *c, const struct bg_rqfile *f);
/* Free text shown to people (reasons): no control character. */
int cer_text_ok(const char *s, size_t max);

/*
 * BG_OK when approval ap is a statement for this very request (its hash),
 * by its custodian, group and token, approving, signed by that token.
 */
int cer_approval_ok(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_rq_approval *ap);
/*
 * For a FIDO2 token: the assertion (authdata, sig) verifies over
 * bg_cer_intent() of the statement's fields, with the enrolled
 * credential key, user presence and UV mode; BG_OK for a YubiKey.
 */
int cer_fido2_ok(const bg_token_desc_t *d, const struct bg_statement2 *st,
    const uint8_t *authdata, size_t authdata_len, const uint8_t *sig,
    size_t sig_len);
/*
 * Approval i of f as release checks it before opening anything, and as
 * status and the count see it (release.c): no other approval of the
 * file by the same person, cer_approval_ok(), every entry of its
 * statement the request's own item, version and slot, and the log
 * agreeing (the slot burned by this request, the custodian's share of it
 * written for the group). BG_ETAMPER when forged; BG_EPERM when it
 * verifies but does not count (the custodian not, or no longer, a
 * member of a group the request needs). bg_why() names the approver.
 */
int cer_approval_check(struct bg_cer *c, const struct bg_rqfile *f,
    size_t i);
/*
 * The request's approvals as the policy counts them; only those for
 * which cer_approval_check() holds count. *near (may be NULL) is 1 when
 * every group has at least its threshold less one.
 */
int cer_quorum(struct bg_cer *c, const struct bg_rqfile *f, char *why,
    size_t whysz, int *near);

/*
 * Per entry of the request, what the log says is exposed (docs/design.md
 * §5.2): met[i] when every group of the entry's version has its
 * threshold of distinct record members who wrote a share of the entry's
 * slot (any request or hash), near[i] when each has at least the
 * threshold less one; counting xperson's share in xgroup about to be
 * written (both may be NULL).
 */
int cer_items_met(struct bg_cer *c, const struct bg_rqfile *f,
    const char *xperson, const char *xgroup, int *met, int *near);

/*
 * The ledger of the open state's log, read again only when the log has
 * grown: borrowed, valid until the next entry is appended (bg_cer_end
 * frees it).
 */
int cer_ledger(struct bg_cer *c, bg_ledger_t **l);
/*
 * The ledger's part of the log's snapshots (fold.c; the state module
 * keeps and proves them, state.h): load starts c's ledger from the
 * snapshot the state believed (else nothing: it reads the whole log);
 * save, when one is due, gives the state the ledger for a new one.
 * Neither fails a command: a snapshot only saves reading.
 */
void cer_fold_load(struct bg_cer *c);
void cer_fold_save(struct bg_cer *c);

/* =============================================== governance (govern.c) */

/*
 * Loads the chain into c->chain (NULL before genesis) and checks it:
 * every link from genesis, each chain file as the log recorded it, as
 * many links and the same head as the log's chain.link entries, and
 * vault.json's governance state the head's. vault.json one link behind
 * (an apply cut short) is finished. BG_ETAMPER otherwise.
 */
int cer_chain(struct bg_cer *c);
/* v takes l's people, policy and accounts, keeping its sealed items. */
int cer_adopt(struct bg_vault *v, const struct bg_chain_link *l);
/* Saves c->v, event naming link l (n, head, fingerprint) and a note. */
int cer_save_vault(struct bg_cer *c, const char *event,
    const struct bg_chain_link *l, const char *note);
/*
 * After a touch of person's token (r: the unlock's result): a token whose
 * keys are not the chain's (BG_EWRONGTOKEN), or one the chain holds no
 * signature of, means a chain not made with that token: BG_ETAMPER.
 */
int cer_touch_check(const struct bg_cer *c, const char *person,
    const char *token, int r);
/* The chain head (zero before genesis). */
void cer_chain_head(const struct bg_cer *c, uint8_t head[BG_FINGERPRINT_LEN]);

/* bg_cer_kit() with request f, its approvals' share boxes left out. */
int cer_kit_with(struct bg_cer *c, const struct bg_rqfile *f, cJSON **kit);

/*
 * A signed act (act.c): p touches a token, which signs
 * bg_cer_act_message(tag, hash, text); *keep (may be NULL) keeps the
 * token's key for the caller to free. cer_act_check() verifies one
 * against p's token as the vault has it (BG_ETAMPER, bg_why() set);
 * cer_act_detail() adds it to an entry's detail.
 */
int cer_act_sign(struct bg_cer *c, const struct bg_vault_person *p,
    const char *tag, const uint8_t hash[32], const char *text,
    struct bg_cer_act *a, bg_token_key_t **keep);
int cer_act_check(const struct bg_vault_person *p, const char *tag,
    const uint8_t hash[32], const char *text, const struct bg_cer_act *a);
int cer_act_detail(const struct bg_cer_act *a, cJSON *d);
/* cer_act_check() with the key d (NULL: p's token as the vault has it). */
int cer_act_check_key(const struct bg_vault_person *p, const bg_token_desc_t *d,
    const char *tag, const uint8_t hash[32], const char *text,
    const struct bg_cer_act *a);
/*
 * ver->commitments: the blob of arr (base64 strings) whose root is
 * ver->root (BG_ETAMPER when none is).
 */
int cer_commitments_of(const cJSON *arr, struct bg_v2_version *ver);
/* bg_cer_kit(), with no chain before the genesis (a change's kit). */
int cer_kit_any(struct bg_cer *c, cJSON **kit);

#endif
