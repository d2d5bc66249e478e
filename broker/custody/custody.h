/*
 * broker/custody/: recovery-channel custody (docs/design.md §1): who holds
 * the root e-mail inbox, the account phone number and the root MFA
 * devices; custodians and channel holders attesting with their tokens
 * that they still hold what they hold; and the checks that judge it all.
 *
 * The configuration is the "custody" member of STATE/breakglass.json.
 * Attestations live only in the audit log ("custody.attested",
 * "custody.attest_failed"): the log is the record, and a FIDO2
 * attestation's signature is re-verified against the enrolled key every
 * time it is counted. docs/custody.md describes the formats and rules.
 */
#ifndef BG_CUSTODY_H
#define BG_CUSTODY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "broker/vault/vault.h"

#define BG_CUSTODY_ATTEST_FORMAT "breakglass-custody-attestation-v2"
#define BG_CUSTODY_HOLDERS_MAX 16	/* people per channel */
#define BG_CUSTODY_MFA_MAX 8		/* AWS: up to 8 root MFA devices */
#define BG_CUSTODY_EMAILS_MAX BG_VAULT_PEOPLE_MAX
#define BG_CUSTODY_AGE_DEFAULT 90	/* days an attestation stays fresh */
#define BG_CUSTODY_AGE_MAX 3650
#define BG_CUSTODY_ROTATION_DEFAULT 7	/* days to re-seal a released item */
#define BG_CUSTODY_ROTATION_MAX 365
#define BG_CUSTODY_STATEMENT_MAX 8192

/* ------------------------------------------------------------- config */

struct bg_custody_names {
	char name[BG_CUSTODY_HOLDERS_MAX][BG_NAME_MAX + 1];
	size_t n;
};

struct bg_custody_mfa {
	char name[BG_NAME_MAX + 1];	/* the device, e.g. "yubikey-1" */
	struct bg_custody_names holders;
};

struct bg_custody_account {
	char account[BG_ACCOUNT_MAX + 1];
	struct bg_custody_names email_inbox;	/* who can read root's mail */
	struct bg_custody_names phone;		/* who holds the number */
	struct bg_custody_mfa mfa[BG_CUSTODY_MFA_MAX];
	size_t nmfa;
};

struct bg_custody_email {
	char person[BG_NAME_MAX + 1];
	char email[BG_EMAIL_MAX + 1];
};

struct bg_custody_config {
	int present;			/* breakglass.json has "custody" */
	uint64_t max_age_days;
	uint64_t rotation_days;
	struct bg_custody_account *accounts;
	size_t naccounts;
	struct bg_custody_email *emails;	/* personal addresses */
	size_t nemails;
};

/*
 * Parses the "custody" member of the breakglass.json object root
 * strictly (unknown or duplicate keys, bad names, accounts, addresses,
 * numbers out of range, a name twice in one channel, an account twice:
 * BG_EFORMAT or BG_ERANGE with bg_why() naming the place). No "custody"
 * member: BG_OK with the defaults and no account. Free with
 * bg_custody_config_free(), also after a failure.
 */
int bg_custody_config_from_json(const cJSON *root,
    struct bg_custody_config *cfg);
/* The same from a whole breakglass.json text of len bytes. */
int bg_custody_config_parse(const char *text, size_t len,
    struct bg_custody_config *cfg);
/* Reads STATE/breakglass.json (missing: the defaults) and parses it. */
int bg_custody_config_load(const struct bg_state *st,
    struct bg_custody_config *cfg);
void bg_custody_config_free(struct bg_custody_config *cfg);
/* cfg with the defaults and no account. */
void bg_custody_config_defaults(struct bg_custody_config *cfg);
/* The account's channels, or NULL. */
const struct bg_custody_account *bg_custody_config_account(
    const struct bg_custody_config *cfg, const char *account);

/* -------------------------------------------------------------- check */

enum bg_custody_sev {
	BG_CUSTODY_WARNING = 1,
	BG_CUSTODY_VIOLATION = 2,
	BG_CUSTODY_CRITICAL = 3,
};

struct bg_custody_finding {
	enum bg_custody_sev sev;
	char rule[32];		/* e.g. "groups-disjoint", "stale" */
	char message[512];	/* names the people and channels */
};

struct bg_custody_report {
	struct bg_custody_finding *f;
	size_t n, cap;
	size_t count[4];	/* by severity */
	int rejected;		/* attestation entries that did not verify */
};

/*
 * Judges the vault, the configuration and the audit log (entries
 * [0, size): the attestations, and the slots burned and versions exposed
 * as bg_ledger reads them) at time now: the static rules, attestation age
 * and failures, per item version its seal, who holds its boxes against
 * the policy's groups, each group's threshold reachable with fresh
 * custodians, the slots left, and versions released but not sealed again.
 * Fills rep (free with bg_custody_report_free); BG_OK even when it finds
 * violations.
 */
int bg_custody_check(const struct bg_vault *v,
    const struct bg_custody_config *cfg, bg_audit_t *log, uint64_t now,
    struct bg_custody_report *rep);
void bg_custody_report_free(struct bg_custody_report *rep);
/* Adds a finding (counted even when memory runs out). */
void bg_custody_report_add(struct bg_custody_report *rep,
    enum bg_custody_sev sev, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *bg_custody_sev_str(enum bg_custody_sev s);
/* The report as JSON (findings and counts); caller cJSON_Delete()s. */
int bg_custody_report_json(const struct bg_custody_report *rep,
    size_t max, cJSON **out);

/* ------------------------------------------------------------- attest */

/*
 * What an attestation proves with the token's key: for every item version
 * whose group names p with a box sealed to p->tokens[tok], the item's seal
 * verifies, the box opens with tokpriv (its label built from the vault's
 * record: account, item, version, group, x, person, token) and the share of
 * slot 0 matches its commitment. Every share is wiped; *n (may be NULL)
 * gets the number checked. The first failure is returned with bg_why()
 * naming the item version and group.
 */
int bg_custody_prove(const struct bg_vault *v, const struct bg_vault_person *p,
    size_t tok, const uint8_t tokpriv[32], size_t *n);

struct bg_cer;
/*
 * The person touches a token; bg_custody_prove() opens every box they
 * hold sealed to it (nothing is released); the statement (vault, person,
 * time, token, one "share" line per item version and group checked and
 * the channels cfg says they hold) is signed by a FIDO2 token and
 * recorded as "custody.attested". A failure is recorded as
 * "custody.attest_failed" and returned; a version whose seal does not
 * verify is refused ("custody.refused") before any touch.
 */
int bg_custody_attest(struct bg_cer *c, const struct bg_custody_config *cfg,
    const char *person);
/*
 * The same touched in a client (breakglassd): the kit is the vault's with
 * the custody section of breakglass.json; the client touches, opens and
 * checks every box as above and answers the statement, the FIDO2
 * assertion and "key_sig", the token key's Ed25519 signature of the
 * statement's SHA-256 (a YubiKey's possession proof); the daemon rebuilds
 * the statement (the client's time within two minutes of its own), checks
 * both signatures with the token as the vault holds it, and records
 * custody.attested. Whether every box opened it cannot see: that part
 * holds only in honest client code (docs/custody.md).
 */
int bg_custody_attest_kit(struct bg_cer *c, const char *person, cJSON **kit);
int bg_custody_attest_take(struct bg_cer *c, const cJSON *kit,
    const char *person, cJSON **sub);
int bg_custody_attest_submit(struct bg_cer *c,
    const struct bg_custody_config *cfg, const char *person,
    const cJSON *sub);
/* authdata and sig of an entry's detail (both empty for a YubiKey). */
int bg_custody_touch_from_json(const cJSON *d, struct bg_token_assertion *as);

#endif /* BG_CUSTODY_H */
