/*
 * quorum/ internal: canonical line texts, the form of the v2 request and
 * approval statement (quorum/request2.c, quorum/statement2.c). Not part
 * of the module's contract (quorum.h); nothing outside quorum/ includes
 * this.
 *
 * A text is "key value\n" lines in one fixed order. Reading goes through
 * a bounded cursor that counts lines, so every refusal can name its line
 * in bg_why(); writing (the text itself and what a person is shown) goes
 * through an output that fails rather than truncates.
 */
#ifndef BG_QUORUM_CANON_H
#define BG_QUORUM_CANON_H

#include <stddef.h>
#include <stdint.h>

/* A run of bytes inside the text; not NUL-terminated. */
struct bg_span {
	const char *p;
	size_t n;
};

struct bg_canon {
	const char *p;		/* the next unread byte */
	size_t left;		/* bytes from p to the end */
	unsigned line;		/* the line being read, 1-based */
	const char *what;	/* the object, e.g. "request", for bg_why() */
};

void bg_canon_init(struct bg_canon *c, const char *what, const char *text,
    size_t len);
/*
 * Sets bg_why() to "<what>: line <n> (<key>): <message>" and returns -1,
 * so a reader can "return bg_canon_fail(...)". line 0 means c->line.
 */
int bg_canon_fail(const struct bg_canon *c, unsigned line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * Takes the next line, which must be "key value\n" with a non-empty
 * value; *v gets the value. -1 (why set) otherwise; c then stays put.
 */
int bg_canon_take(struct bg_canon *c, const char *key, struct bg_span *v);
/* 0 at the end of the text; -1 (why set) when bytes are left over. */
int bg_canon_end(const struct bg_canon *c, const char *last);

/* Whole lines; -1 with why naming the line and the rule broken. */
int bg_canon_literal(struct bg_canon *c, const char *key, const char *lit);
int bg_canon_hex(struct bg_canon *c, const char *key, uint8_t *out,
    size_t len);
int bg_canon_str(struct bg_canon *c, const char *key, char *dst,
    size_t dstsz, int (*valid)(const char *), const char *rule);
int bg_canon_u64(struct bg_canon *c, const char *key, uint64_t *v);
int bg_canon_time(struct bg_canon *c, const char *key, uint64_t *t);
/* A count of the lines that follow, 1..max. */
int bg_canon_count(struct bg_canon *c, const char *key, size_t max,
    size_t *n);

/*
 * Values. Each returns 0, or -1 leaving its outputs unspecified.
 * bg_span_split: v is exactly nf non-empty fields, each separated by one
 * space. bg_span_hex: exactly 2 * len lower-case hex digits.
 * bg_span_u64: canonical decimal (no sign, no leading zero, no overflow).
 * bg_span_str: fits dstsz with its NUL, no NUL inside, and valid().
 */
int bg_span_split(struct bg_span v, struct bg_span *f, size_t nf);
int bg_span_hex(struct bg_span v, uint8_t *out, size_t len);
int bg_span_u64(struct bg_span v, uint64_t *out);
int bg_span_str(struct bg_span v, char *dst, size_t dstsz,
    int (*valid)(const char *));
int bg_span_is(struct bg_span v, const char *lit);

/* 1 when s is exactly n lower-case hex digits. */
int bg_lowhex_valid(const char *s, size_t n);
/* 1 when the n bytes at p are all zero. */
int bg_all_zero(const uint8_t *p, size_t n);
/* SHA-256(tag || 0x00 || data): the hash of a v2 signed text. */
int bg_tagged_sha256(const char *tag, const void *data, size_t len,
    uint8_t out[32]);

/*
 * The first rule an object's fields break, for its builder ("invalid
 * <key>: <rule>") and its parser ("line <line> (<key>): <rule>").
 * bg_fault() fills it and returns -1.
 */
struct bg_fault {
	unsigned line;
	const char *key;
	const char *rule;
};
int bg_fault(struct bg_fault *f, unsigned line, const char *key,
    const char *rule);

/* Output into a caller's buffer that fails rather than truncates. */
struct bg_out {
	char *buf;
	size_t size;
	size_t len;
	int full;	/* something did not fit; later puts do nothing */
};

/* size >= 1: the buffer is kept NUL-terminated. */
void bg_out_init(struct bg_out *o, char *buf, size_t size);
void bg_out_put(struct bg_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bg_out_hex(struct bg_out *o, const uint8_t *p, size_t n);
void bg_out_time(struct bg_out *o, uint64_t t);
/* "key <hex>\n", and "  <label padded to 18> <hex>\n" for people. */
void bg_out_hex_line(struct bg_out *o, const char *key, const uint8_t *p,
    size_t n);
void bg_out_hex_labelled(struct bg_out *o, const char *label,
    const uint8_t *p, size_t n);
/* Printable ASCII as is (backslash doubled), any other byte as \xNN. */
void bg_out_escaped(struct bg_out *o, const char *s, size_t n);

/*
 * A kind of canonical signed text (a v2 request, an approval statement):
 * how to read its fields, check them and write them. The functions below
 * do the rest the same way for every kind.
 */
struct bg_canon_kind {
	const char *what;	/* for bg_why(): "request" */
	const char *tag;	/* of its hash: "breakglass/v2/request" */
	size_t max;		/* bytes of the text */
	size_t size;		/* of the object */
	int (*take)(struct bg_canon *c, void *obj);
	int (*check)(const void *obj, struct bg_fault *f);
	void (*render)(struct bg_out *o, const void *obj);
};
/* The text of a valid obj into out (BG_EINVAL, why naming the field). */
int bg_canon_build(const struct bg_canon_kind *k, const void *obj, char *out,
    size_t outsz, size_t *len);
/* Strict parse: the fields, their checks, and canonical form; obj is
 * zeroed unless BG_OK. */
int bg_canon_parse(const struct bg_canon_kind *k, const char *text,
    size_t len, void *obj);
/* The same into fresh memory (caller frees), or NULL with *r set. */
void *bg_canon_parse_alloc(const struct bg_canon_kind *k, const char *text,
    size_t len, int *r);
/* The tagged hash of a text that parses. */
int bg_canon_hash(const struct bg_canon_kind *k, const char *text,
    size_t len, uint8_t out[32]);

#endif /* BG_QUORUM_CANON_H */
