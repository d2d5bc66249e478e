/*
 * broker/ledger/: what the audit log says about one-time slots and
 * requests (docs/design.md §5.2). A slot is burned when an approval entry
 * (approval.burn, written before the shares, or approval.granted) names
 * it; there is no flag in any state file to clear. The same reading
 * gives the open requests per requester, the burns per custodian, and the
 * versions a quorum has exposed, so editing vault.json or a request file
 * changes none of them.
 *
 * The ledger trusts the log it is given: the log is signed and
 * hash-chained, and bg_state_open() refuses one that does not verify.
 */
#ifndef BG_LEDGER_H
#define BG_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"
#include "quorum/quorum.h"

/* One (account, item, version, slot). */
struct bg_ledger_slot {
	char account[BG_ACCOUNT_MAX + 1];
	char item[BG_NAME_MAX + 1];
	uint64_t version;
	uint32_t slot;
};

/* A burn: the first approval that named the slot. */
struct bg_ledger_burn {
	struct bg_ledger_slot s;
	char request[BG_REQUEST_ID_LEN + 1];
	char person[BG_NAME_MAX + 1];
	uint64_t time;
};

typedef struct bg_ledger bg_ledger_t;

/* Reads the whole log (entries 0..size). Free with bg_ledger_free(). */
int bg_ledger_read(bg_audit_t *log, bg_ledger_t **l);
/*
 * Folds in the entries log has gained since l was read or last
 * extended (the same log: a log now shorter is BG_EINVAL). What it
 * gives equals a bg_ledger_read of the whole log.
 */
int bg_ledger_extend(bg_audit_t *log, bg_ledger_t *l);
/* An empty ledger, to fold lines into. */
int bg_ledger_new(bg_ledger_t **l);
/* Folds in entry seq's line, which must be the next one (l's size). */
int bg_ledger_fold_line(bg_ledger_t *l, uint64_t seq, const char *line,
    size_t len);
/*
 * The ledger as JSON, for a snapshot of it (broker/ceremony/fold.c):
 * the entries it covers ("size") and every record in the order it was
 * folded in, so that the same log always gives the same text; and back,
 * strictly (BG_EFORMAT for anything else). A ledger read back folds
 * later entries in with bg_ledger_extend as the one it was made from.
 */
int bg_ledger_to_json(const bg_ledger_t *l, cJSON **out);
/* The entries l covers: 0..size-1. */
uint64_t bg_ledger_size(const bg_ledger_t *l);
int bg_ledger_from_json(const cJSON *j, bg_ledger_t **out);
void bg_ledger_free(bg_ledger_t **l);

/*
 * The governance chain as the log records it: the number of chain.link
 * entries, and in *head the last one's head (64 hex, "" before genesis).
 * A chain/ directory with fewer links, or another head, was rolled back.
 */
uint64_t bg_ledger_chain(const bg_ledger_t *l, const char **head);

/* The burn of the slot, or NULL when no approval has named it. */
const struct bg_ledger_burn *bg_ledger_burned(const bg_ledger_t *l,
    const struct bg_ledger_slot *s);
/* Slots of the version burned so far. */
uint32_t bg_ledger_nburned(const bg_ledger_t *l, const char *account,
    const char *item, uint64_t version);
/* 1 when a recorded quorum named the version: exposed until rotated. */
int bg_ledger_exposed(const bg_ledger_t *l, const char *account,
    const char *item, uint64_t version);
/*
 * 1 when another request (not id) still open at now names the slot, so a
 * new request picks another one.
 */
int bg_ledger_reserved(const bg_ledger_t *l, const struct bg_ledger_slot *s,
    const char *id, uint64_t now);
/* Requests of requester still open at now (neither closed nor expired). */
size_t bg_ledger_open_requests(const bg_ledger_t *l, const char *requester,
    uint64_t now);
/* Burns by person at or after since. */
size_t bg_ledger_burns_by(const bg_ledger_t *l, const char *person,
    uint64_t since);
/*
 * 1 when a request still open at now (neither closed nor expired) names
 * the version.
 */
int bg_ledger_version_open(const bg_ledger_t *l, const char *account,
    const char *item, uint64_t version, uint64_t now);
/*
 * The epoch the last group.rekeyed entry gave group of the version, or 0
 * when it was never rekeyed (the version's own epoch stands).
 */
uint64_t bg_ledger_epoch(const bg_ledger_t *l, const char *account,
    const char *item, uint64_t version, const char *group);
/*
 * The distinct persons whose approval.granted entries wrote a share of
 * slot s for group (any request, any hash: whoever holds the request key
 * opens them all), at most max, into persons (pointers into l).
 */
size_t bg_ledger_holders(const bg_ledger_t *l, const struct bg_ledger_slot *s,
    const char *group, const char **persons, size_t max);
/* 1 when person burned or wrote a share of a slot bound to request id. */
int bg_ledger_approved(const bg_ledger_t *l, const char *id,
    const char *person);
/* 1 when the request was closed (denied or released) in the log. */
int bg_ledger_closed(const bg_ledger_t *l, const char *id);
/* 1 when a quorum was recorded for the request. */
int bg_ledger_quorum(const bg_ledger_t *l, const char *id);

/*
 * The "entries" array of an audit detail naming slots:
 * [{"item":..,"version":..,"slot":..}, ...]. Added to detail d.
 */
int bg_ledger_add_entries(cJSON *d, const char *const *items,
    const uint64_t *versions, const uint32_t *slots, size_t n);

#endif /* BG_LEDGER_H */
