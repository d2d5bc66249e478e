/*
 * checkpoint.slots: two fixed 4 KiB slots, written alternately in place
 * (overwrite + fdatasync, no rename, no size change), so a crash in the
 * middle of a write leaves the other slot intact. Each slot:
 *   magic "BGCKPT1\n" | gen u64 LE | len u32 LE | 4 zero bytes |
 *   SHA-256(first 24 bytes || note) | note | zero padding
 * The checksum only detects torn writes; authenticity comes from the
 * note's Ed25519 signature.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "audit/internal.h"

#define SLOT_HDR 56
static const char slot_magic[8] = "BGCKPT1\n";

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static int
slot_sum(const uint8_t *slot, size_t notelen, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, slot, 24) == 1 &&
	    EVP_DigestUpdate(ctx, slot + SLOT_HDR, notelen) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
bg_slots_write(int fd, int pos, uint64_t gen, const char *note, size_t len)
{
	uint8_t *slot;
	ssize_t n;
	int r;

	if ((pos != 0 && pos != 1) || len > BG_SLOT_SIZE - SLOT_HDR)
		return BG_EINVAL;
	if ((slot = calloc(1, BG_SLOT_SIZE)) == NULL)
		return BG_ENOMEM;
	memcpy(slot, slot_magic, 8);
	put_le(slot + 8, gen, 8);
	put_le(slot + 16, len, 4);
	memcpy(slot + SLOT_HDR, note, len);
	if ((r = slot_sum(slot, len, slot + 24)) != BG_OK)
		goto out;
	n = pwrite(fd, slot, BG_SLOT_SIZE, (off_t)pos * BG_SLOT_SIZE);
	if (n != BG_SLOT_SIZE)
		r = bg_io_err(n);
out:
	free(slot);
	return r;
}

static int
slot_parse(const uint8_t *raw, struct bg_slot *s)
{
	uint8_t sum[32];
	uint64_t len;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (s->empty = 1, i = 0; i < BG_SLOT_SIZE && s->empty; i++)
		s->empty = raw[i] == 0;
	if (memcmp(raw, slot_magic, 8) != 0)
		return BG_OK;
	len = get_le(raw + 16, 4);
	if (len == 0 || len > BG_SLOT_SIZE - SLOT_HDR ||
	    get_le(raw + 20, 4) != 0 || slot_sum(raw, (size_t)len, sum) != BG_OK ||
	    bg_ct_memcmp(sum, raw + 24, 32) != 0)
		return BG_OK;	/* torn or empty: not valid, not forged */
	s->valid = 1;
	s->gen = get_le(raw + 8, 8);
	s->note_len = (size_t)len;
	memcpy(s->note, raw + SLOT_HDR, s->note_len);
	s->note[s->note_len] = '\0';
	return BG_OK;
}

int
bg_slots_read(int fd, const struct bg_note_key *key, struct bg_slot s[2])
{
	uint8_t *raw;
	ssize_t n;
	int i, r = BG_OK;

	if ((raw = calloc(2, BG_SLOT_SIZE)) == NULL)
		return BG_ENOMEM;
	if ((n = pread(fd, raw, 2 * BG_SLOT_SIZE, 0)) < 0)
		r = bg_io_err(n);
	for (i = 0; r == BG_OK && i < 2; i++) {
		slot_parse(raw + i * BG_SLOT_SIZE, &s[i]);
		if (s[i].valid && bg_checkpoint_open(s[i].note, s[i].note_len,
		    key, &s[i].cp) != BG_OK)
			r = BG_ESIG;
	}
	free(raw);
	return r;
}

#define FAIL(...) do { snprintf(why, whysz, __VA_ARGS__); \
	return BG_ETAMPER; } while (0)

int
bg_slots_select(const struct bg_slot s[2], uint64_t e, int *pos, char *why,
    size_t whysz)
{
	int nw, od;

	if (!s[0].valid && !s[1].valid)
		FAIL("no valid signed checkpoint");
	nw = (!s[1].valid || (s[0].valid && s[0].gen > s[1].gen)) ? 0 : 1;
	od = 1 - nw;
	if (s[od].valid && (s[od].gen == s[nw].gen ||
	    s[od].cp.size > s[nw].cp.size))
		FAIL("checkpoint slots disagree (sizes %" PRIu64 " and %" PRIu64
		    ")", s[od].cp.size, s[nw].cp.size);
	if (e < s[nw].cp.size)
		FAIL("%" PRIu64 " entries but the signed checkpoint covers %"
		    PRIu64 ": entries are missing", e, s[nw].cp.size);
	*pos = nw;
	return BG_OK;
}
#undef FAIL

int
bg_slots_other_torn(const struct bg_slot s[2], int pos)
{
	const struct bg_slot *o = &s[1 - pos];

	return !o->valid && !(o->empty && s[pos].gen == 1);
}

int
bg_checkpoint_sign(EVP_PKEY *key, const char *origin, uint64_t size,
    const uint8_t root[BG_HASH_LEN], char **note, size_t *len)
{
	struct bg_checkpoint cp;
	char body[BG_NOTE_NAME_MAX + 128];
	size_t blen;
	int r;

	memset(&cp, 0, sizeof(cp));
	if (strlen(origin) > BG_NOTE_NAME_MAX)
		return BG_EINVAL;
	memcpy(cp.origin, origin, strlen(origin) + 1);
	cp.size = size;
	memcpy(cp.root, root, BG_HASH_LEN);
	if ((r = bg_checkpoint_format(&cp, body, sizeof(body), &blen)) != BG_OK)
		return r;
	return bg_note_sign(body, blen, origin, key, note, len);
}

int
bg_checkpoint_open(const char *note, size_t len,
    const struct bg_note_key *key, struct bg_checkpoint *cp)
{
	size_t textlen;
	int r;

	if ((r = bg_note_open(note, len, key, &textlen)) != BG_OK)
		return r;
	if ((r = bg_checkpoint_parse(note, textlen, cp)) != BG_OK)
		return r;
	/* our origin line is our key name: a checkpoint of another log fails */
	return strcmp(cp->origin, key->name) == 0 ? BG_OK : BG_ESIG;
}

int
bg_audit_checkpoint_check(const char *note, size_t len, const char *vkey,
    uint64_t *size, uint8_t root[32])
{
	struct bg_note_key key;
	struct bg_checkpoint cp;
	int r;

	if ((r = bg_note_vkey_parse(vkey, strlen(vkey), &key)) != BG_OK)
		return r;
	if ((r = bg_checkpoint_open(note, len, &key, &cp)) != BG_OK)
		return r;
	*size = cp.size;
	memcpy(root, cp.root, 32);
	return BG_OK;
}

/*
 * A torn slot explained by a crash (a tail follows the older checkpoint)
 * is rewritten with the current checkpoint before the tail is cut, so a
 * damaged slot is never left beside an exact fit, which means removal.
 */
int
bg_log_heal_slot(struct bg_audit *log)
{
	int pos = 1 - log->slot_pos, r;

	if ((r = bg_slots_write(log->slots_fd, pos, log->gen + 1, log->note,
	    log->note_len)) != BG_OK)
		return r;
	if (fdatasync(log->slots_fd) != 0)
		return bg_io_err(-1);
	log->slot_pos = pos;
	log->gen++;
	return BG_OK;
}
