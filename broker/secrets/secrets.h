/*
 * broker/secrets/: the two kinds of root material the broker makes or
 * checks itself: the AWS root password (bg_pw_) and the root MFA TOTP
 * seed (bg_totp_). docs/design.md §1.
 *
 * Passwords and keys are secrets: these functions keep their temporaries
 * on the stack and wipe them, never copy them elsewhere, and never put
 * them in a bg_why() message. The caller owns every buffer it passes and
 * keeps secrets in locked memory (bg_secure_alloc).
 */
#ifndef BG_SECRET_H
#define BG_SECRET_H

#include <stddef.h>
#include <stdint.h>

/* ============================================================ passwords */

#define BG_PW_MIN	8	/* AWS root password length, inclusive */
#define BG_PW_MAX	128
#define BG_PW_GEN_LEN	32	/* what the broker generates by default */

/* The AWS root symbol set, the only non-alphanumeric bytes allowed. */
#define BG_PW_SYMBOLS	"!@#$%^&*()<>[]{}|_+-="

/* The rule a password broke; bg_pw_rule_str() names it. */
enum bg_pw_rule {
	BG_PW_RULE_OK = 0,
	BG_PW_RULE_SHORT,	/* fewer than 8 bytes */
	BG_PW_RULE_LONG,	/* more than 128 bytes */
	BG_PW_RULE_ACCOUNT,	/* equals the account name, any case */
	BG_PW_RULE_EMAIL,	/* equals the root e-mail address, any case */
	BG_PW_RULE_SPACE,	/* contains a space */
	BG_PW_RULE_CONTROL,	/* a control byte (0x00-0x1f, 0x7f) */
	BG_PW_RULE_NONASCII,	/* a byte >= 0x80 */
	BG_PW_RULE_SYMBOL,	/* printable ASCII outside the AWS set */
	BG_PW_RULE_CLASSES,	/* fewer than three of the four classes */
	BG_PW_RULE_PERSONAL,	/* account name or e-mail, dressed up */
	BG_PW_RULE_COMMON,	/* a common password or dictionary word */
};

/*
 * Checks pw (len bytes, not NUL-terminated; it may hold any byte) against
 * the AWS root password rule and our additions, in this order; the first
 * rule broken is reported:
 *
 *  1. 8 <= len <= 128.
 *  2. Not equal to account_name, nor to email, compared ASCII
 *     case-insensitively. AWS says "not identical"; we refuse every case
 *     variant too, since a case change guesses no harder. This comes
 *     before rule 3 so that an e-mail address gets this message, not "a
 *     symbol outside the set" for its '.'.
 *  3. Every byte is A-Z, a-z, 0-9 or one of BG_PW_SYMBOLS. The rule
 *     reported says which kind of byte is wrong (space, control, non-ASCII,
 *     other symbol such as ' " . ~), never which byte or where.
 *  4. At least three of: upper case, lower case, digits, BG_PW_SYMBOLS.
 *
 * Then, on the skeleton of the password: ASCII lower-cased with the
 * common substitutions undone, @->a $->s 5->s 0->o 3->e 7->t, and 1, !
 * and i all -> l (1 and ! stand for both i and l, so i and l are merged).
 * Let a "core" be any substring C of the password with pw = P C S, where
 * P and S (either may be empty) hold only digits and symbols:
 *
 *  5. PERSONAL: no core has the skeleton of account_name, of email, or of
 *     the local part of email (before its last '@'); e.g. with account
 *     "prod-root": "Pr0d-Root", "prod-root2024!", "#1Prod-root" fail.
 *  6. COMMON: no core has the skeleton of an entry of the embedded list
 *     (bg_pw_is_common()); e.g. "P@ssw0rd", "Password1!", "Front242",
 *     "Pr0blems!" fail.
 *
 * account_name and email are NUL-terminated and may be NULL or "" when
 * unknown (their rules are then skipped). Returns BG_OK, or BG_EINVAL with
 * *rule (when rule is not NULL) and bg_why() naming the rule broken
 * (BG_EINVAL with *rule BG_PW_RULE_OK for pw NULL and len > 0). The
 * message never contains the password or a part of it. Not constant time:
 * it runs once, locally, on a password the operator typed.
 */
int bg_pw_check(const char *pw, size_t len, const char *account_name,
    const char *email, enum bg_pw_rule *rule);

/* A static sentence naming the rule, starting "password ". */
const char *bg_pw_rule_str(enum bg_pw_rule rule);

/*
 * 1 when a core of pw (rule 6 above; pw is not checked otherwise) is on
 * the embedded list of common passwords and words, else 0. The list is
 * built into the program from john's password.lst, zxcvbn's passwords,
 * cracklib-small and wamerican's american-english: every entry of 8..128
 * bytes, lower-cased, made only of bytes a password may hold, stored as
 * its skeleton (broker/secrets/wordlists.c). Shorter entries are left out, so a
 * short word with digits around it ("Zebra8642!") is not caught.
 */
int bg_pw_is_common(const char *pw, size_t len);

/* Number of entries of the embedded list (for tests and "--version"). */
size_t bg_pw_common_count(void);

/*
 * Writes a random password of len bytes (BG_PW_MIN..BG_PW_MAX) and a NUL
 * into out (outsz >= len + 1; caller's memory, ideally locked). Each byte
 * is uniform over the 83 allowed characters (RAND_bytes with rejection
 * sampling, no modulo bias); a draw that lacks one of the four classes or
 * fails bg_pw_check(out, len, account_name, email) is thrown away and
 * drawn again, so the result holds every class and always passes the
 * check (all such passwords equally likely). account_name and email as
 * for bg_pw_check(). Returns BG_OK; BG_ERANGE for a bad len, BG_EINVAL
 * for a NULL or short out, BG_ECRYPTO when the RNG fails. On failure out
 * holds no password.
 */
int bg_pw_generate(size_t len, const char *account_name, const char *email,
    char *out, size_t outsz);

/* ================================================================= TOTP */

/*
 * TOTP, RFC 6238 over HOTP (RFC 4226): T0 = 0, HMAC-SHA1, -SHA256 or
 * -SHA512 through EVP_MAC, 6 or 8 digits, a period of 15..300 seconds.
 */
enum bg_totp_alg {
	BG_TOTP_SHA1 = 1,
	BG_TOTP_SHA256,
	BG_TOTP_SHA512,
};

#define BG_TOTP_KEY_MIN		10	/* bytes: RFC 4226 4 R6, 80 bits */
#define BG_TOTP_KEY_MAX		64
#define BG_TOTP_PERIOD_MIN	15
#define BG_TOTP_PERIOD_MAX	300
#define BG_TOTP_PERIOD_DEFAULT	30
#define BG_TOTP_DIGITS_DEFAULT	6
#define BG_TOTP_TEXT_MAX	128	/* label, issuer: bytes with the NUL */
#define BG_TOTP_URI_MAX		2048
/* Longest base32 text of a key (no padding), not counting the NUL. */
#define BG_TOTP_B32_MAX		((BG_TOTP_KEY_MAX * 8 + 4) / 5)

/*
 * A TOTP generator. key is the secret: keep the struct in locked memory
 * and end with bg_totp_wipe(). label and issuer are NUL-terminated UTF-8
 * without control characters ("" when absent).
 */
struct bg_totp {
	uint8_t		key[BG_TOTP_KEY_MAX];
	size_t		key_len;	/* BG_TOTP_KEY_MIN..BG_TOTP_KEY_MAX */
	int		alg;		/* enum bg_totp_alg */
	unsigned	digits;		/* 6 or 8 */
	unsigned	period;		/* seconds */
	char		label[BG_TOTP_TEXT_MAX];
	char		issuer[BG_TOTP_TEXT_MAX];
};

/*
 * Parses a Google Authenticator key URI into *t:
 *
 *   otpauth://totp/LABEL?secret=BASE32[&issuer=..][&algorithm=SHA1|SHA256|
 *       SHA512][&digits=6|8][&period=15..300][&image=..]
 *
 * Strict: "otpauth://totp/" exactly (lower case; "hotp" is refused: the
 * broker keeps time-based codes only); no whitespace, no fragment.
 * LABEL is required, made of RFC 3986 pchar bytes with %XX escapes,
 * decoded to at most 127 bytes of UTF-8 without control characters; it is
 * "account" or "issuer:account" (one ':' at most, neither side empty, the
 * spaces after the ':' allowed). Parameters are key=value pairs separated
 * by '&': no empty pair, no duplicate key, values non-empty. secret is
 * required: RFC 4648 base32 of 10..64 bytes, either case, no padding, no
 * spaces, exact length, zero trailing bits. algorithm, digits and period
 * take exactly the spellings above (defaults SHA1, 6, 30). issuer is
 * %XX-decoded with '+' as a space (form encoding), same limits as the
 * label, no ':'; when the label has an issuer prefix the two must be
 * equal, and without the parameter the prefix becomes t->issuer. image
 * (FreeOTP's icon URL) is ignored; any other parameter is refused, since
 * an unknown one (say "counter") could change what the codes mean.
 *
 * Returns BG_OK; BG_EFORMAT for malformed text, BG_ERANGE for a value out
 * of range (short secret, digits, period), BG_ETOOBIG for a URI longer
 * than BG_TOTP_URI_MAX, BG_EINVAL for NULL; bg_why() says which part is
 * wrong and never holds the secret. On failure *t is wiped.
 */
int bg_totp_parse_uri(const char *uri, struct bg_totp *t);

/*
 * A user-typed base32 secret (as shown by "show secret key"): spaces
 * anywhere are ignored, otherwise as strict as the URI's secret. Sets
 * SHA1, 6 digits, period 30, empty label and issuer. Same errors; *t is
 * wiped on failure.
 */
int bg_totp_from_base32(const char *b32, struct bg_totp *t);

/*
 * The TOTP code at unix_time: HOTP with counter unix_time / period, as
 * t->digits decimal digits and a NUL in code (codesz > digits).
 * *seconds_left (when not NULL) receives the seconds the code stays valid,
 * 1..period: period - unix_time % period. BG_EINVAL for a *t whose fields
 * are out of range, BG_ECRYPTO when OpenSSL fails (code is then "").
 */
int bg_totp_code(const struct bg_totp *t, uint64_t unix_time, char *code,
    size_t codesz, unsigned *seconds_left);

/* HOTP (RFC 4226 5.3) of counter with t's key, algorithm and digits. */
int bg_totp_hotp(const struct bg_totp *t, uint64_t counter, char *code,
    size_t codesz);

/*
 * RFC 4226 5.3 dynamic truncation of an HMAC value (20, 32 or 64 bytes):
 * the 31-bit number at offset mac[maclen - 1] & 0xf. Exposed for the
 * Appendix D vectors.
 */
uint32_t bg_totp_truncate(const uint8_t *mac, size_t maclen);

/* Wipes the whole struct; accepts NULL. */
void bg_totp_wipe(struct bg_totp *t);

/*
 * The sealed form of a TOTP generator (a vault item): algorithm, digits,
 * period (2 bytes, big-endian), then the key; label and issuer are not
 * kept. out holds BG_TOTP_PACKED_MAX bytes. Unpacking is strict
 * (BG_EFORMAT) and wipes *t on failure.
 */
#define BG_TOTP_PACKED_MAX (4 + BG_TOTP_KEY_MAX)
int bg_totp_pack(const struct bg_totp *t, uint8_t *out, size_t *len);
int bg_totp_unpack(const uint8_t *in, size_t len, struct bg_totp *t);

/*
 * RFC 4648 section 6 base32 without padding, upper case, NUL-terminated;
 * out must hold (n * 8 + 4) / 5 + 1 bytes (BG_ETOOBIG otherwise).
 */
int bg_totp_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz);

/*
 * Strict base32 decoding of inlen bytes: the RFC 4648 alphabet in either
 * case, no padding, a length that some byte count encodes to (inlen % 8 in
 * {0, 2, 4, 5, 7}) and zero trailing bits, at most outsz bytes out;
 * *outlen receives the decoded length. BG_EFORMAT otherwise, BG_ETOOBIG
 * when more than outsz bytes would come out. Constant time in the
 * characters' values; on failure out is wiped.
 */
int bg_totp_b32_decode(const char *in, size_t inlen, uint8_t *out,
    size_t outsz, size_t *outlen);

#endif /* BG_SECRET_H */
