/*
 * fuzz_note: C2SP signed notes (bg_note_open, bg_checkpoint_open), verifier
 * key strings (bg_note_vkey_parse) and checkpoint bodies
 * (bg_checkpoint_parse) on arbitrary bytes. Nothing may crash; whatever is
 * accepted must round-trip through the formatters byte for byte, and a
 * note may only open under the fixed key when its text is one that key
 * really signed (anything else would be a forgery).
 *
 * The fixed key is the log key of the seed corpus: tests/fuzz/corpus was
 * made with "breakglass --state DIR audit init --origin
 * example.com/breakglass/audit" and one "audit note"; its checkpoints of
 * sizes 1 and 2 are seeds, and their texts are the only ones it signed
 * that the fuzzer can know.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/internal.h"
#include "audit/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_note: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static const char test_vkey[] = "example.com/breakglass/audit+575358d3+"
    "AUECMuOtn0fPzsnDL+LsMDCdw9oh4De9pZXQfz6Xbfur";

static const char *const signed_texts[] = {
	"example.com/breakglass/audit\n1\n"
	    "J8NsYdoQBlAPAyBVS35WmhkwEzbjRBZYZ0CU8ud9eGA=\n",
	"example.com/breakglass/audit\n2\n"
	    "FPlQow1e17CXSF7+kXzCvjF1xYmLuxP7fSgIYWnGrms=\n",
};

static const struct bg_note_key *
test_key(void)
{
	static struct bg_note_key key;
	static int ready;

	if (!ready) {
		CHECK(bg_note_vkey_parse(test_vkey, strlen(test_vkey), &key) ==
		    BG_OK);
		ready = 1;
	}
	return &key;
}

static int
known_text(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(signed_texts) / sizeof(signed_texts[0]); i++)
		if (strlen(signed_texts[i]) == len &&
		    memcmp(signed_texts[i], text, len) == 0)
			return 1;
	return 0;
}

/* format(parse(x)) is x up to the optional extension lines. */
static void
check_checkpoint(const char *text, size_t len, const struct bg_checkpoint *cp)
{
	char out[BG_NOTE_NAME_MAX + 128];
	size_t outlen = 0, i;

	CHECK(cp->origin[0] != '\0' && cp->size <= (uint64_t)INT64_MAX);
	CHECK(bg_checkpoint_format(cp, out, sizeof(out), &outlen) == BG_OK);
	CHECK(outlen <= len && memcmp(out, text, outlen) == 0);
	if (outlen == len)
		return;
	/* the rest: non-empty extension lines, each ending in '\n' */
	CHECK(text[outlen] != '\n' && text[len - 1] == '\n');
	for (i = outlen + 1; i < len; i++)
		CHECK(!(text[i] == '\n' && text[i - 1] == '\n'));
}

static void
fuzz_open(const char *buf, size_t size)
{
	struct bg_checkpoint cp, cp2;
	size_t tl = 0;

	if (bg_note_open(buf, size, test_key(), &tl) == BG_OK) {
		CHECK(tl > 0 && tl < size && buf[tl - 1] == '\n' &&
		    buf[tl] == '\n');
		CHECK(known_text(buf, tl));	/* else: a forgery */
		if (bg_checkpoint_parse(buf, tl, &cp) == BG_OK)
			check_checkpoint(buf, tl, &cp);
	} else
		CHECK(tl == 0);
	if (bg_checkpoint_open(buf, size, test_key(), &cp) == BG_OK) {
		CHECK(bg_note_open(buf, size, test_key(), &tl) == BG_OK);
		CHECK(bg_checkpoint_parse(buf, tl, &cp2) == BG_OK);
		CHECK(memcmp(&cp, &cp2, sizeof(cp)) == 0);
		CHECK(strcmp(cp.origin, test_key()->name) == 0);
	}
}

static void
fuzz_vkey(const char *buf, size_t size)
{
	struct bg_note_key k;
	char out[BG_NOTE_NAME_MAX + 64];

	if (bg_note_vkey_parse(buf, size, &k) != BG_OK)
		return;
	CHECK(bg_note_name_ok(k.name));
	CHECK(bg_note_key_id(k.name, k.pub) == k.id);
	CHECK(bg_note_vkey_format(&k, out, sizeof(out)) == BG_OK);
	CHECK(strlen(out) == size && memcmp(out, buf, size) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bg_checkpoint cp;
	char *buf;

	/* exactly size bytes, no terminator: reads past len are caught */
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_open(buf, size);
	fuzz_vkey(buf, size);
	if (bg_checkpoint_parse(buf, size, &cp) == BG_OK)
		check_checkpoint(buf, size, &cp);
	(void)bg_note_utf8_ok(buf, size);
	free(buf);
	return 0;
}
