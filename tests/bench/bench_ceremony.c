/*
 * bench_ceremony: CPU time of one whole break-glass ceremony (docs/design.md
 * sections 2 and 5), split into the broker's own work ("ours") and the
 * work of the emulated devices, in one process, on software tokens.
 *
 * How to run (a RelWithDebInfo build without sanitizers, e.g. build-rel):
 *
 *   cmake --build build-rel -j2 --target bench_ceremony
 *   build-rel/tests/bench/bench_ceremony            12+4 rounds, ~10 s
 *   build-rel/tests/bench/bench_ceremony --quick    2 rounds (CTest)
 *
 * Options: --rounds N (rounds with the split; default 12, quick 2),
 * --log-entries N (about N entries copied from a warm-up ceremony are
 * appended to the audit log before the rounds, to see how the ceremony
 * scales with the log; default 0, a fresh vault; see prefill()),
 * --dir DIR (parent of the scratch directory; default /tmp), --keep
 * (leave the scratch directory in place).
 *
 * Setup (not timed): a scratch directory with the software tokens
 * (BG_VIRTUAL_DIR) and a state directory (audit log by bg_audit_init,
 * breakglass.json, vault.json) holding one account, group "password"
 * (alice FIDO2, bob FIDO2, carol YubiKey; threshold 2), group "mfa" (dave
 * FIDO2, erin YubiKey, frank YubiKey; threshold 2) and requester rita
 * (YubiKey); vault format v2: root-password sealed by alice and root-mfa
 * (TOTP) by erin into the policy's one-time slots, each version signed by
 * its sealer's token (unlocked once, as 'breakglass seal' does). Every token
 * stays plugged in: a FIDO2 touch first probes the devices listed before
 * the right one, a YubiKey lookup opens the keys before its serial.
 *
 * One round (timed) is one ceremony the way the CLI runs it: each of
 * request (rita), approve (alice F, carol Y, dave F, erin Y) and release
 * (rita) is bg_cer_begin + the operation + bg_cer_end, as one command
 * each. (The CLI also calls bg_alert_deliver after each command; that is
 * not part of this benchmark.) Per round and per step it measures:
 *  - total: process CPU time (CLOCK_PROCESS_CPUTIME_ID);
 *  - devices: CPU time inside the emulators' entry points, summed from
 *    CLOCK_THREAD_CPUTIME_ID at entry and exit of the outermost call:
 *    the vfido io functions (open/close/read/write, by wrapping
 *    bg_vfido_io()) and its device listing (bg_vfido_manifest_ex), and
 *    the vyk emulator calls the fake libusb makes (vyk_dev_*,
 *    vyk_store_load/list). The linker's --wrap does this (see
 *    CMakeLists.txt), so tests/virtual is unchanged;
 *  - ours = total - devices: the broker, libfido2, libykpers, OpenSSL,
 *    cJSON, the audit log's checkpoint-signing thread; everything a real
 *    ceremony runs on the host;
 *  - wall (CLOCK_MONOTONIC): includes the audit log's fdatasync per entry
 *    and the state files' fsyncs, which are I/O wait, not CPU, and
 *    libykpers' sleeps while polling a key's status.
 * The medians are printed, then a profile of ours (mean per round, by
 * wrapping bg_audit_*, bg_state_*, bg_vault_load/save, bg_token_*,
 * bg_box_*; inclusive times, device CPU inside shown apart).
 *
 * Each round adds ~7 entries to the audit log, and every command scans
 * the whole log (state checks), so later rounds cost a little more than
 * earlier ones; --log-entries shows the slope. A custodian may burn at
 * most BG_BURNS_PER_DAY_MAX (8) slots a day and each round burns one per
 * approver, so every 8 rounds (7 with --log-entries) the run continues in
 * a fresh state directory, set up (and prefilled) as the first was.
 *
 * Baseline, measured in the same run because the machine is shared and
 * noisy: the CPU time of one bg_box_open of a share box (X25519 + HKDF-
 * SHA256 + AES-256-GCM, 32 bytes: the unit of the ceremony's own crypto;
 * a v2 ceremony does about 9 opens and 5 seals: the profile counts them)
 * and, for wall time, one durable bg_audit_append to a scratch log on the
 * same disk. "ours / box" says how many box-opens' worth of CPU the
 * ceremony costs, which moves with the code rather than with the machine.
 *
 * Vault format v2, apart from the ceremony (software-keyed descriptors,
 * so only the broker's CPU; medians, against the same box-open baseline):
 * sealing and signing an item of one group and of two groups in the
 * policy's 32 slots, bg_vault_item_verify, an approval's take_share +
 * re-seal of one share to the request key, a release's bg_v2_open; and
 * 'vault show' of a vault of 100 accounts x 3 items (fewer if
 * BG_VAULT_ACCOUNTS_MAX is lower: said so), 2 groups of 3, 32 slots:
 * bg_vault_to_json and bg_vault_from_json alone (printing and parsing
 * the text shown apart), then the command as it runs on a state
 * directory holding that vault (vault.json and its 300 commitments
 * files saved through bg_vault_save): in-process, bg_cer_begin (the log's
 * checks, the vault and its commitments loaded) + the vault.read entry +
 * the ledger + what 'vault show' prints + bg_cer_end; and the shipped
 * binary itself, 'breakglass --state DIR vault show', its process CPU
 * (user + system, from wait4) including the process start.
 *
 * Instrumentation: every probe costs two clock reads. Its cost per probe
 * is measured and printed with the number of probes per round; in the
 * full run every fourth round runs with the clocks off, and the median
 * total CPU of those rounds is printed for comparison.
 *
 * Targets (issue), printed as PASS or NOTE next to the figure; nothing
 * here asserts on time: ours under 50 ms of CPU per ceremony; the seal
 * of one item in 32 slots for 2 groups of 3, one token each, under
 * 20 ms of CPU (the recovery-codes line). The exit status is non-zero
 * only when the ceremony itself fails (every release must return the
 * sealed bytes) or 'breakglass vault show' does.
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <ftw.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/ceremony/ceremony.h"
#include "broker/chain/chain.h"
#include "broker/ledger/ledger.h"
#include "broker/secrets/secrets.h"
#include "broker/state/state.h"
#include "broker/vault/vault.h"
#include "tokens/token.h"
#include "vfido.h"
#include "vyk.h"
#include "vyk_lcl.h"

#define ACCOUNT		"111122223333"
#define REASON		"root sign-in drill (bench)"
#define TICKET		"BENCH-1"
#define PASSWORD	"bench root password: 7+8XGg%fucfYO4u_k)_D1G9B@wTgiO(@"
#define TOTP_URI	"otpauth://totp/AWS:root?secret=" \
			"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=AWS"
#define TARGET_MS	50.0
#define SEAL_TARGET_MS	20.0	/* 1 item, 32 slots, 2 groups of 3 */
#define SHOW_ACCOUNTS	100	/* vault show: accounts x 3 items */
#define ROUNDS_FULL	12
#define ROUNDS_QUICK	2
#define OFF_EVERY	4	/* full run: every 4th round without clocks */
#define MAX_ROUNDS	1000
#define NAPPROVERS	4

/* ================================================================ clocks */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
tcpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static double
pcpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static double
wall(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* User and system CPU of the process (tick-sampled split; sum them up). */
static void
rusage_s(double *usr, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*usr = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ================================================================ probes */

enum probe_id {
	P_DEV,			/* the emulators (leaf; outermost call only) */
	P_VAULT_LOAD,
	P_VAULT_SAVE,
	P_STATE_WRITE,
	P_STATE_CHECK,
	P_STATE_CHECKS,
	P_AUDIT_OPEN,
	P_AUDIT_CLOSE,
	P_AUDIT_APPEND,
	P_AUDIT_SCAN,
	P_AUDIT_KEY,
	P_AUDIT_RECOVER,
	P_CKPT_SIGN,		/* on the audit log's signer thread */
	P_TOKEN_SIGN,
	P_TOKEN_UNLOCK,
	P_TOKEN_VERIFY,
	P_BOX_SEAL,
	P_BOX_OPEN,
	NPROBES
};

static const char *const probe_names[NPROBES] = {
	"devices (vfido io + listing, vyk emu)",
	"bg_vault_load (parse + check)",
	"bg_vault_save",
	"bg_state_write",
	"bg_state_check_file (request file)",
	"bg_state_check_files (cer_begin)",
	"bg_audit_open (writer)",
	"bg_audit_close",
	"bg_audit_append",
	"bg_audit_foreach (log scans)",
	"  open: bg_keys_load_priv (PEM)",
	"  open: bg_recover",
	"bg_checkpoint_sign (signer thread)",
	"bg_token_sign (FIDO2)",
	"bg_token_unlock",
	"bg_token_verify",
	"bg_box_seal",
	"bg_box_open",
};

struct probe {
	double n;		/* calls */
	double cpu;		/* inclusive thread CPU, s */
	double wall;		/* inclusive wall, s (not for P_DEV) */
	double dev;		/* device CPU inside, s */
	double entries;		/* P_AUDIT_SCAN: entries walked */
};

struct mark {
	int live;
	double cpu, wall, dev;
};

static int clocks_on = 1;
static struct probe probes[NPROBES];
static int dev_depth;
static struct mark dev_mark;

static void
enter(struct mark *m, int with_wall)
{
	m->live = clocks_on;
	if (!m->live)
		return;
	m->dev = probes[P_DEV].cpu;
	m->wall = with_wall ? wall() : 0;
	m->cpu = tcpu();
}

static void
leave(enum probe_id p, const struct mark *m)
{
	double cpu, w;

	probes[p].n += 1;
	if (!m->live)
		return;
	cpu = tcpu() - m->cpu;
	w = p == P_DEV ? 0 : wall() - m->wall;
	probes[p].dev += probes[P_DEV].cpu - m->dev;
	probes[p].cpu += cpu;
	probes[p].wall += w;
}

static void
dev_enter(void)
{
	if (dev_depth++ == 0)
		enter(&dev_mark, 0);
}

static void
dev_leave(void)
{
	if (--dev_depth == 0)
		leave(P_DEV, &dev_mark);
}

/* ---------------------------------------- device entry points (--wrap) */

/*
 * Declarations for the linker's --wrap: __wrap_f replaces every call to f
 * from another object file, __real_f is the original.
 */
const fido_dev_io_t *__real_bg_vfido_io(void);
const fido_dev_io_t *__wrap_bg_vfido_io(void);
int __real_bg_vfido_manifest_ex(const char *base, fido_dev_info_t *devlist,
    size_t ilen, size_t *olen, int skip_removed);
int __wrap_bg_vfido_manifest_ex(const char *base, fido_dev_info_t *devlist,
    size_t ilen, size_t *olen, int skip_removed);
int __real_vyk_store_load(const char *base, unsigned serial,
    struct vyk_state *st);
int __wrap_vyk_store_load(const char *base, unsigned serial,
    struct vyk_state *st);
int __real_vyk_store_list(const char *base, unsigned *serials, size_t max,
    size_t *n);
int __wrap_vyk_store_list(const char *base, unsigned *serials, size_t max,
    size_t *n);
int __real_vyk_dev_open(const char *base, unsigned serial,
    struct vyk_dev **out);
int __wrap_vyk_dev_open(const char *base, unsigned serial,
    struct vyk_dev **out);
void __real_vyk_dev_close(struct vyk_dev **devp);
void __wrap_vyk_dev_close(struct vyk_dev **devp);
int __real_vyk_dev_present(struct vyk_dev *dev);
int __wrap_vyk_dev_present(struct vyk_dev *dev);
int __real_vyk_dev_set_report(struct vyk_dev *dev,
    const uint8_t rpt[VYK_RPT_SIZE]);
int __wrap_vyk_dev_set_report(struct vyk_dev *dev,
    const uint8_t rpt[VYK_RPT_SIZE]);
int __real_vyk_dev_get_report(struct vyk_dev *dev, uint8_t rpt[VYK_RPT_SIZE]);
int __wrap_vyk_dev_get_report(struct vyk_dev *dev, uint8_t rpt[VYK_RPT_SIZE]);

static const fido_dev_io_t *vf_real;

static void *
vf_open(const char *path)
{
	void *h;

	dev_enter();
	h = vf_real->open(path);
	dev_leave();
	return h;
}

static void
vf_close(void *h)
{
	dev_enter();
	vf_real->close(h);
	dev_leave();
}

static int
vf_read(void *h, unsigned char *buf, size_t len, int ms)
{
	int r;

	dev_enter();
	r = vf_real->read(h, buf, len, ms);
	dev_leave();
	return r;
}

static int
vf_write(void *h, const unsigned char *buf, size_t len)
{
	int r;

	dev_enter();
	r = vf_real->write(h, buf, len);
	dev_leave();
	return r;
}

const fido_dev_io_t *
__wrap_bg_vfido_io(void)
{
	static fido_dev_io_t io;

	if (vf_real == NULL) {
		vf_real = __real_bg_vfido_io();
		io.open = vf_open;
		io.close = vf_close;
		io.read = vf_read;
		io.write = vf_write;
	}
	return &io;
}

int
__wrap_bg_vfido_manifest_ex(const char *base, fido_dev_info_t *devlist,
    size_t ilen, size_t *olen, int skip_removed)
{
	int r;

	dev_enter();
	r = __real_bg_vfido_manifest_ex(base, devlist, ilen, olen,
	    skip_removed);
	dev_leave();
	return r;
}

#define DEV_WRAP(ret, name, params, args)				\
	ret __wrap_##name params						\
	{								\
		ret r;							\
									\
		dev_enter();						\
		r = __real_##name args;					\
		dev_leave();						\
		return r;						\
	}

DEV_WRAP(int, vyk_store_load, (const char *base, unsigned serial,
    struct vyk_state *st), (base, serial, st))
DEV_WRAP(int, vyk_store_list, (const char *base, unsigned *serials,
    size_t max, size_t *n), (base, serials, max, n))
DEV_WRAP(int, vyk_dev_open, (const char *base, unsigned serial,
    struct vyk_dev **out), (base, serial, out))
DEV_WRAP(int, vyk_dev_present, (struct vyk_dev *dev), (dev))
DEV_WRAP(int, vyk_dev_set_report, (struct vyk_dev *dev,
    const uint8_t rpt[VYK_RPT_SIZE]), (dev, rpt))
DEV_WRAP(int, vyk_dev_get_report, (struct vyk_dev *dev,
    uint8_t rpt[VYK_RPT_SIZE]), (dev, rpt))

void
__wrap_vyk_dev_close(struct vyk_dev **devp)
{
	dev_enter();
	__real_vyk_dev_close(devp);
	dev_leave();
}

/* ------------------------------------------- the broker's steps (--wrap) */

int __real_bg_vault_load(const struct bg_state *st, struct bg_vault **v);
int __wrap_bg_vault_load(const struct bg_state *st, struct bg_vault **v);
int __real_bg_vault_save(struct bg_state *st, const struct bg_vault *v,
    const struct bg_audit_event *ev);
int __wrap_bg_vault_save(struct bg_state *st, const struct bg_vault *v,
    const struct bg_audit_event *ev);
int __real_bg_state_write(struct bg_state *st, const char *name,
    const cJSON *doc, const struct bg_audit_event *ev);
int __wrap_bg_state_write(struct bg_state *st, const char *name,
    const cJSON *doc, const struct bg_audit_event *ev);
int __real_bg_state_check_file(struct bg_state *st, const char *name);
int __wrap_bg_state_check_file(struct bg_state *st, const char *name);
int __real_bg_state_check_files(struct bg_state *st,
    const char *const *names, size_t n);
int __wrap_bg_state_check_files(struct bg_state *st,
    const char *const *names, size_t n);
int __real_bg_audit_open(const char *dir, enum bg_audit_mode mode,
    bg_audit_t **out);
int __wrap_bg_audit_open(const char *dir, enum bg_audit_mode mode,
    bg_audit_t **out);
void __real_bg_audit_close(bg_audit_t **log);
void __wrap_bg_audit_close(bg_audit_t **log);
int __real_bg_audit_append(bg_audit_t *log, const struct bg_audit_event *ev,
    uint64_t *seq);
int __wrap_bg_audit_append(bg_audit_t *log, const struct bg_audit_event *ev,
    uint64_t *seq);
int __real_bg_audit_foreach(bg_audit_t *log, uint64_t first, uint64_t last,
    bg_audit_entry_fn fn, void *ctx);
int __wrap_bg_audit_foreach(bg_audit_t *log, uint64_t first, uint64_t last,
    bg_audit_entry_fn fn, void *ctx);
int __real_bg_keys_load_priv(const char *dir, EVP_PKEY **priv);
int __wrap_bg_keys_load_priv(const char *dir, EVP_PKEY **priv);
int __real_bg_recover(struct bg_audit *log);
int __wrap_bg_recover(struct bg_audit *log);
int __real_bg_checkpoint_sign(EVP_PKEY *key, const char *origin,
    uint64_t size, const uint8_t root[32], char **note, size_t *len);
int __wrap_bg_checkpoint_sign(EVP_PKEY *key, const char *origin,
    uint64_t size, const uint8_t root[32], char **note, size_t *len);
int __real_bg_token_sign(const bg_token_desc_t *desc,
    const struct bg_token_opts *o, const uint8_t hash[32],
    struct bg_token_assertion *out, bg_token_key_t **key);
int __wrap_bg_token_sign(const bg_token_desc_t *desc,
    const struct bg_token_opts *o, const uint8_t hash[32],
    struct bg_token_assertion *out, bg_token_key_t **key);
int __real_bg_token_unlock(const bg_token_desc_t *desc,
    const struct bg_token_opts *o, bg_token_key_t **key);
int __wrap_bg_token_unlock(const bg_token_desc_t *desc,
    const struct bg_token_opts *o, bg_token_key_t **key);
int __real_bg_token_verify(const bg_token_desc_t *desc,
    const uint8_t hash[32], const struct bg_token_assertion *a);
int __wrap_bg_token_verify(const bg_token_desc_t *desc,
    const uint8_t hash[32], const struct bg_token_assertion *a);
int __real_bg_box_seal(const uint8_t pub[32], const char *label,
    const void *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t outsz, size_t *outlen);
int __wrap_bg_box_seal(const uint8_t pub[32], const char *label,
    const void *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t outsz, size_t *outlen);
int __real_bg_box_open(const uint8_t priv[32], const char *label,
    const void *aad, size_t aadlen, const uint8_t *box, size_t boxlen,
    uint8_t *pt, size_t ptsz, size_t *ptlen);
int __wrap_bg_box_open(const uint8_t priv[32], const char *label,
    const void *aad, size_t aadlen, const uint8_t *box, size_t boxlen,
    uint8_t *pt, size_t ptsz, size_t *ptlen);

#define STEP_WRAP(ret, name, probe, params, args)			\
	ret __wrap_##name params						\
	{								\
		struct mark m;						\
		ret r;							\
									\
		enter(&m, 1);						\
		r = __real_##name args;					\
		leave(probe, &m);					\
		return r;						\
	}

STEP_WRAP(int, bg_vault_load, P_VAULT_LOAD, (const struct bg_state *st,
    struct bg_vault **v), (st, v))
STEP_WRAP(int, bg_vault_save, P_VAULT_SAVE, (struct bg_state *st,
    const struct bg_vault *v, const struct bg_audit_event *ev), (st, v, ev))
STEP_WRAP(int, bg_state_write, P_STATE_WRITE, (struct bg_state *st,
    const char *name, const cJSON *doc, const struct bg_audit_event *ev),
    (st, name, doc, ev))
STEP_WRAP(int, bg_state_check_file, P_STATE_CHECK, (struct bg_state *st,
    const char *name), (st, name))
STEP_WRAP(int, bg_state_check_files, P_STATE_CHECKS, (struct bg_state *st,
    const char *const *names, size_t n), (st, names, n))
STEP_WRAP(int, bg_audit_open, P_AUDIT_OPEN, (const char *dir,
    enum bg_audit_mode mode, bg_audit_t **out), (dir, mode, out))
STEP_WRAP(int, bg_audit_append, P_AUDIT_APPEND, (bg_audit_t *log,
    const struct bg_audit_event *ev, uint64_t *seq), (log, ev, seq))
STEP_WRAP(int, bg_keys_load_priv, P_AUDIT_KEY, (const char *dir,
    EVP_PKEY **priv), (dir, priv))
STEP_WRAP(int, bg_recover, P_AUDIT_RECOVER, (struct bg_audit *log), (log))
STEP_WRAP(int, bg_token_sign, P_TOKEN_SIGN, (const bg_token_desc_t *desc,
    const struct bg_token_opts *o, const uint8_t hash[32],
    struct bg_token_assertion *out, bg_token_key_t **key),
    (desc, o, hash, out, key))
STEP_WRAP(int, bg_token_unlock, P_TOKEN_UNLOCK,
    (const bg_token_desc_t *desc, const struct bg_token_opts *o,
    bg_token_key_t **key), (desc, o, key))
STEP_WRAP(int, bg_token_verify, P_TOKEN_VERIFY,
    (const bg_token_desc_t *desc, const uint8_t hash[32],
    const struct bg_token_assertion *a), (desc, hash, a))
STEP_WRAP(int, bg_box_seal, P_BOX_SEAL, (const uint8_t pub[32],
    const char *label, const void *aad, size_t aadlen, const uint8_t *pt,
    size_t ptlen, uint8_t *out, size_t outsz, size_t *outlen),
    (pub, label, aad, aadlen, pt, ptlen, out, outsz, outlen))
STEP_WRAP(int, bg_box_open, P_BOX_OPEN, (const uint8_t priv[32],
    const char *label, const void *aad, size_t aadlen, const uint8_t *box,
    size_t boxlen, uint8_t *pt, size_t ptsz, size_t *ptlen),
    (priv, label, aad, aadlen, box, boxlen, pt, ptsz, ptlen))

void
__wrap_bg_audit_close(bg_audit_t **log)
{
	struct mark m;

	enter(&m, 1);
	__real_bg_audit_close(log);
	leave(P_AUDIT_CLOSE, &m);
}

int
__wrap_bg_audit_foreach(bg_audit_t *log, uint64_t first, uint64_t last,
    bg_audit_entry_fn fn, void *ctx)
{
	struct mark m;
	int r;

	enter(&m, 1);
	r = __real_bg_audit_foreach(log, first, last, fn, ctx);
	leave(P_AUDIT_SCAN, &m);
	if (last > first)
		probes[P_AUDIT_SCAN].entries += (double)(last - first);
	return r;
}

/*
 * The audit log signs each checkpoint on a second thread (audit/append.c)
 * while the entries sync: only that thread's CPU is counted here, and
 * none of the main thread's probes include it. The main thread waits for
 * the signature before the append returns and joins the thread in
 * bg_audit_close, so these sums are read only after a happens-before.
 */
int
__wrap_bg_checkpoint_sign(EVP_PKEY *key, const char *origin, uint64_t size,
    const uint8_t root[32], char **note, size_t *len)
{
	int on = clocks_on, r;
	double t0 = on ? tcpu() : 0;

	r = __real_bg_checkpoint_sign(key, origin, size, root, note, len);
	probes[P_CKPT_SIGN].n += 1;
	if (on)
		probes[P_CKPT_SIGN].cpu += tcpu() - t0;
	return r;
}

/* ============================================================= the bench */

struct person {
	const char *name;
	const char *group;	/* NULL: requester */
	unsigned serial;	/* YubiKey serial; 0: FIDO2 */
};

static const struct person people[] = {
	{ "alice", "password", 0 },
	{ "bob", "password", 0 },
	{ "carol", "password", 1001 },
	{ "dave", "mfa", 0 },
	{ "erin", "mfa", 1002 },
	{ "frank", "mfa", 1003 },
	{ "rita", NULL, 1004 },
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))
static const char *const approvers[NAPPROVERS] = { "alice", "carol", "dave",
    "erin" };
#define REQUESTER "rita"

enum step_id { S_REQUEST, S_APPROVE1, S_RELEASE = S_APPROVE1 + NAPPROVERS,
    NSTEPS };

struct sample {
	double cpu, dev, wall;
};

struct round {
	int clocks;		/* the split was measured */
	struct sample total;
	struct sample step[NSTEPS];
	double dev_calls;
	double probes;		/* probe calls (instrumentation count) */
	double usr, sys;	/* getrusage: user and kernel CPU */
};

struct bench {
	int quick, keep, failed;
	unsigned rounds;
	unsigned long prefill;	/* --log-entries: entries added before */
	char parent[BG_PATH_MAX];
	char work[BG_PATH_MAX];
	char virt[BG_PATH_MAX];
	char state[BG_PATH_MAX];
	char audit[BG_PATH_MAX];
	FILE *out;		/* what the people present would read */
	struct bg_token_opts opts;
	uint8_t totp[BG_VAULT_ITEM_MAX];
	size_t totp_len;
	struct round *r;
	size_t nr;
	double box_cpu;		/* baseline: one bg_box_open, s */
	double append_cpu, append_wall;	/* one durable audit append, s */
	double probe_cost;	/* one enter+leave pair, s */
	struct v2_times {	/* vault format v2's steps, CPU s (medians) */
		double seal1, seal2;	/* seal + sign: 1 group, 2 groups */
		double verify;		/* bg_vault_item_verify */
		double take;		/* take_share + re-seal to the request */
		double open1, open2;	/* bg_v2_open: 1 group, 2 groups */
		uint32_t nslots;
		double to_json, print, parse, from_json;	/* vault show */
		double show_cmd;	/* in-process: begin..end */
		double show_bin;	/* the binary: user + system CPU */
		double show_bin_wall;
		double start_bin;	/* breakglass --version: usr + sys */
		size_t show_accounts, show_items, show_bytes;
		size_t show_file;	/* vault.json as saved, bytes */
	} v2;
	uint64_t log_before, log_after;
	unsigned nstates;	/* state directories made (see new_state()) */
	unsigned in_state;	/* rounds run in the current one */
	struct probe prof[NPROBES];	/* summed over the rounds with clocks */
};

static void
fatal(const char *what, int r)
{
	fflush(stdout);
	fprintf(stderr, "bench_ceremony: FAILED: %s: %s%s%s\n", what,
	    bg_strerror(r), bg_why()[0] != '\0' ? ": " : "", bg_why());
	exit(1);
}

static void
need(int r, const char *what)
{
	if (r != BG_OK)
		fatal(what, r);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

static void
rm_tree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench_ceremony: could not remove %s\n", path);
}

static __attribute__((noinline)) uint64_t
log_size(const struct bench *b)
{
	bg_audit_t *log = NULL;
	uint64_t n = 0;

	if (__real_bg_audit_open(b->audit, BG_AUDIT_READ, &log) == BG_OK)
		n = bg_audit_size(log);
	__real_bg_audit_close(&log);
	return n;
}

/* ----------------------------------------------------------------- setup */

static __attribute__((noinline)) void
enroll(struct bg_vault *v, const struct bench *b, const struct person *p)
{
	struct bg_token_opts o = bg_token_opts_default();
	bg_token_desc_t *d = NULL;
	char path[BG_PATH_MAX];

	if (p->serial == 0) {
		if (bg_vfido_path(b->virt, p->name, path, sizeof(path)) != 0)
			fatal("vfido path", BG_ETOOBIG);
		o.device = path;
		o.label = p->name;
		need(bg_token_enroll(BG_TOKEN_FIDO2, &o, &d), "FIDO2 enroll");
	} else {
		o.serial = p->serial;
		/* a later state directory enrolls the same keys again */
		need(bg_token_yk_program(&o, b->nstates > 1),
		    "YubiKey program");
		need(bg_token_enroll(BG_TOKEN_YUBIKEY, &o, &d),
		    "YubiKey enroll");
	}
	need(bg_vault_add_token(v, p->name, d), "add token");
}

/*
 * Seals an item (vault format v2: a new version in the policy's one-time
 * slots) and has the sealer's token sign it, as 'breakglass seal --as'
 * does: the token is touched (unlocked) and signs bg_vault_seal_message().
 */
static __attribute__((noinline)) void
seal_signed(struct bg_vault *v, struct bg_vault_account *acct,
    const char *name, enum bg_item_kind kind, const uint8_t *data, size_t len,
    const struct person *sealer)
{
	struct bg_token_opts o = bg_token_opts_default();
	struct bg_vault_person *p = bg_vault_person(v, sealer->name);
	struct bg_vault_item *it = NULL;
	bg_token_key_t *key = NULL;
	uint8_t msg[32];

	if (p == NULL || p->ntokens == 0)
		fatal("sealer", BG_ENOENT);
	o.serial = sealer->serial;	/* FIDO2 (0): every device probed */
	need(bg_vault_seal(v, acct, name, kind, data, len,
	    (uint64_t)time(NULL), &it), "bg_vault_seal");
	need(bg_vault_seal_message(v, it, p->name, msg), "seal message");
	need(bg_token_unlock(p->tokens[0], &o, &key), "sealer's touch");
	need(bg_token_key_sign(key, msg, sizeof(msg), it->sig), "seal sign");
	bg_token_key_free(&key);
	snprintf(it->sealer, sizeof(it->sealer), "%s", p->name);
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s",
	    bg_token_desc_id(p->tokens[0]));
	need(bg_vault_item_verify(v, acct, it), "seal verify");
}

/*
 * The genesis, as 'vault arm', 'change approve' by everyone and 'change
 * apply' write it (broker/ceremony/change.c write_link): a link to the
 * governance state of v, signed by every token of every person (sign:
 * the token's signature over m), checked, recorded as chain.link with
 * its head, as chain/000000.json. Without it the ceremony refuses a
 * vault that holds sealed items.
 */
typedef void (*genesis_sign_fn)(const void *ctx,
    const struct bg_vault_person *p, size_t t, const uint8_t m[32],
    uint8_t sig[BG_TOKEN_SIG_LEN]);

static __attribute__((noinline)) void
genesis(struct bg_state *st, const struct bg_vault *v, genesis_sign_fn sign,
    const void *ctx)
{
	struct bg_audit_event ev = { "chain.link", "", "", "", NULL };
	struct bg_chain_link *l = NULL;
	const struct bg_vault_person *p;
	uint8_t sig[BG_TOKEN_SIG_LEN];
	char name[BG_CHAIN_PATH_MAX], head[65], why[1024];
	const uint8_t zero[32] = { 0 };
	cJSON *j = NULL, *d, *link;
	size_t i, t;

	need(bg_chain_link_new(NULL, v, &l), "genesis link");
	for (i = 0; i < v->npeople; i++) {
		p = &v->people[i];
		for (t = 0; t < p->ntokens; t++) {
			sign(ctx, p, t, l->m, sig);
			need(bg_chain_link_sign(l, p->name,
			    bg_token_desc_id(p->tokens[t]), sig), "genesis sig");
		}
	}
	if (bg_chain_link_check(NULL, NULL, zero, 0, l, why,
	    sizeof(why)) != BG_OK) {
		fprintf(stderr, "genesis: %s\n", why);
		fatal("genesis check", BG_ETAMPER);
	}
	bg_chain_path(0, name);
	bg_chain_hex(l->m, head);
	need(bg_chain_link_to_json(l, &j), "genesis json");
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddNumberToObject(d, "n", 0) ||
	    !cJSON_AddStringToObject(d, "head", head) ||
	    !cJSON_AddStringToObject(d, "what", "genesis") ||
	    (link = cJSON_Duplicate(j, 1)) == NULL ||
	    !cJSON_AddItemToObject(d, "link", link))
		fatal("genesis detail", BG_ENOMEM);
	ev.detail = d;
	need(bg_state_write(st, name, j, &ev), "chain/000000.json");
	cJSON_Delete(d);
	cJSON_Delete(j);
	bg_chain_link_free(&l);
}

/* A genesis signature by the person's device: a touch (not timed). */
static void
device_sign(const void *ctx, const struct bg_vault_person *p, size_t t,
    const uint8_t m[32], uint8_t sig[BG_TOKEN_SIG_LEN])
{
	struct bg_token_opts o = bg_token_opts_default();
	bg_token_key_t *key = NULL;
	size_t i;

	(void)ctx;
	for (i = 0; i < NPEOPLE; i++)
		if (strcmp(people[i].name, p->name) == 0)
			o.serial = people[i].serial;	/* FIDO2 (0): probed */
	need(bg_token_unlock(p->tokens[t], &o, &key), "genesis touch");
	need(bg_token_key_sign(key, m, 32, sig), "genesis sign");
	bg_token_key_free(&key);
}

/*
 * A state directory (not timed): audit log, breakglass.json, the genesis
 * signed by every token, and the vault with every token enrolled and both
 * items sealed. The first is
 * "state"; the ceremony caps the slots one custodian burns in a day
 * (BG_BURNS_PER_DAY_MAX), and every round burns one for each approver,
 * so a run of more rounds than that continues in a fresh one
 * ("state-2", ...), enrolled and sealed again on the same tokens.
 */
static __attribute__((noinline)) void
new_state(struct bench *b)
{
	struct bg_audit_event ev = { "config.init", "", "", "", NULL };
	struct bg_vault_account *acct;
	struct bg_vault *v = NULL;
	struct bg_totp *t;
	struct bg_state st;
	char name[32];
	cJSON *cfg;
	size_t i;

	if (b->nstates++ == 0)
		snprintf(name, sizeof(name), "state");
	else
		snprintf(name, sizeof(name), "state-%u", b->nstates);
	need(bg_path_join(b->state, sizeof(b->state), b->work, name),
	    "path");
	need(bg_path_join(b->audit, sizeof(b->audit), b->state, "audit"),
	    "path");
	b->in_state = 0;

	need(bg_mkdir_private(b->state), "state directory");
	need(bg_audit_init(b->audit, NULL), "bg_audit_init");
	need(bg_state_open(&st, b->state), "bg_state_open");
	if ((cfg = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(cfg, "format", "breakglass-config-v1"))
		fatal("config", BG_ENOMEM);
	need(bg_state_write(&st, "breakglass.json", cfg, &ev),
	    "breakglass.json");
	cJSON_Delete(cfg);

	need(bg_vault_new(&v), "bg_vault_new");
	need(bg_vault_add_account(v, ACCOUNT, "prod", "aws-root@example.com"),
	    "add account");
	for (i = 0; i < NPEOPLE; i++) {
		need(bg_vault_add_person(v, people[i].name,
		    people[i].group == NULL, NULL), "add person");
		if (people[i].group != NULL)
			need(bg_policy_add_member(v->policy, people[i].group,
			    people[i].name), "add member");
	}
	need(bg_policy_set_threshold(v->policy, "password", 2), "threshold");
	need(bg_policy_set_threshold(v->policy, "mfa", 2), "threshold");
	for (i = 0; i < NPEOPLE; i++)
		enroll(v, b, &people[i]);
	need(bg_vault_ready(v, NULL, 0), "bg_vault_ready");
	genesis(&st, v, device_sign, NULL);

	/* alice (FIDO2) seals root-password, erin (YubiKey) root-mfa */
	acct = bg_vault_account(v, ACCOUNT);
	seal_signed(v, acct, "root-password", BG_ITEM_PASSWORD,
	    (const uint8_t *)PASSWORD, strlen(PASSWORD), &people[0]);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("totp", BG_ENOMEM);
	need(bg_totp_parse_uri(TOTP_URI, t), "totp uri");
	b->totp_len = sizeof(b->totp);
	need(bg_totp_pack(t, b->totp, &b->totp_len), "totp pack");
	bg_totp_wipe(t);
	free(t);
	seal_signed(v, bg_vault_account(v, ACCOUNT), "root-mfa", BG_ITEM_TOTP,
	    b->totp, b->totp_len, &people[4]);

	ev = (struct bg_audit_event){ "vault.init", "", ACCOUNT, "", NULL };
	need(bg_vault_save(&st, v, &ev), "bg_vault_save");
	bg_vault_free(&v);
	bg_state_close(&st);
}

static __attribute__((noinline)) void
setup(struct bench *b)
{
	size_t i;

	need(bg_path_join(b->work, sizeof(b->work), b->parent,
	    "bg-bench-ceremony.XXXXXX"), "--dir");
	if (mkdtemp(b->work) == NULL) {
		perror(b->work);
		exit(1);
	}
	need(bg_path_join(b->virt, sizeof(b->virt), b->work, "virtual"),
	    "path");
	if (mkdir(b->virt, 0700) != 0 || setenv("BG_VIRTUAL_DIR", b->virt,
	    1) != 0) {
		perror(b->virt);
		exit(1);
	}
	for (i = 0; i < NPEOPLE; i++) {
		if (people[i].serial != 0)
			need(bg_vyk_create(b->virt, people[i].serial),
			    "vyk create");
		else if (bg_vfido_create(b->virt, people[i].name, NULL) != 0) {
			fprintf(stderr, "bench_ceremony: vfido create: %s\n",
			    bg_vfido_error());
			exit(1);
		}
	}
	if ((b->out = fopen("/dev/null", "w")) == NULL) {
		perror("/dev/null");
		exit(1);
	}
	b->opts = bg_token_opts_default();
	new_state(b);
}

/* ------------------------------------------------------------ baselines */

static void
baseline_box(struct bench *b)
{
	static const char aad[] = "breakglass/v2/bench\nvault 0\naccount "
	    ACCOUNT "\ngroup password\nperson alice\nx 1\n";
	uint8_t priv[32], pub[32], pt[32], out[32];
	uint8_t box[BG_SLOT_KEY_LEN + BG_BOX_OVERHEAD];
	size_t len, ptlen, i, k, batches = b->quick ? 10 : 40, per = 50;
	double *v, t0;

	if ((v = calloc(batches, sizeof(*v))) == NULL)
		fatal("baseline", BG_ENOMEM);
	if (RAND_bytes(priv, 32) != 1 || RAND_bytes(pt, 32) != 1)
		fatal("RAND_bytes", BG_ECRYPTO);
	need(bg_x25519_public(priv, pub), "x25519");
	need(__real_bg_box_seal(pub, "share", aad, sizeof(aad) - 1, pt, 32, box,
	    sizeof(box), &len), "box seal");
	for (i = 0; i < batches; i++) {
		t0 = pcpu();
		for (k = 0; k < per; k++)
			need(__real_bg_box_open(priv, "share", aad,
			    sizeof(aad) - 1, box, len, out, sizeof(out), &ptlen),
			    "box open");
		v[i] = (pcpu() - t0) / (double)per;
		if (memcmp(out, pt, 32) != 0)
			fatal("box open gave other bytes", BG_ECRYPTO);
	}
	b->box_cpu = median(v, batches);
	free(v);
}

static __attribute__((noinline)) void
baseline_append(struct bench *b)
{
	char dir[BG_PATH_MAX];
	size_t i, n = b->quick ? 20 : 100;
	struct bg_audit_event ev = { "bench.append", "rita", ACCOUNT,
	    "0123456789abcdef0123456789abcdef", NULL };
	bg_audit_t *log = NULL;
	double *c, *w, t0, w0;
	cJSON *d;

	need(bg_path_join(dir, sizeof(dir), b->work, "baseline-audit"),
	    "path");
	if ((c = calloc(n, sizeof(*c))) == NULL ||
	    (w = calloc(n, sizeof(*w))) == NULL)
		fatal("baseline", BG_ENOMEM);
	need(bg_audit_init(dir, NULL), "baseline audit init");
	need(__real_bg_audit_open(dir, BG_AUDIT_WRITE, &log), "baseline open");
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(d, "file", "requests/x.json") ||
	    !cJSON_AddStringToObject(d, "sha256", "0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef"))
		fatal("baseline", BG_ENOMEM);
	ev.detail = d;
	for (i = 0; i < n; i++) {
		w0 = wall();
		t0 = pcpu();
		need(__real_bg_audit_append(log, &ev, NULL), "baseline append");
		c[i] = pcpu() - t0;
		w[i] = wall() - w0;
	}
	__real_bg_audit_close(&log);
	cJSON_Delete(d);
	b->append_cpu = median(c, n);
	b->append_wall = median(w, n);
	free(c);
	free(w);
}

/* What one probe (two clock reads and the bookkeeping) costs. */
static void
baseline_probe(struct bench *b)
{
	struct probe keep = probes[P_DEV];
	size_t i, n = 20000;
	double t0;

	t0 = pcpu();
	for (i = 0; i < n; i++) {
		dev_enter();
		dev_leave();
	}
	b->probe_cost = (pcpu() - t0) / (double)n;
	probes[P_DEV] = keep;
}

/* ------------------------------------------------- vault format v2 steps */

/*
 * The vault's own v2 steps, timed apart from the ceremony (its rounds
 * include them, with the devices): a vault of software-keyed descriptors
 * (the keys known, as in tests/unit/faketoken.c), so only the broker's
 * CPU is measured. The policy is the bench's: password (alice, bob,
 * carol), mfa (dave, erin, frank), threshold 2 each, the policy's slots
 * (32); "recovery-codes" needs both groups. Clocks are off meanwhile, so
 * the probes the vault's box calls pass through cost a branch.
 */
#define SOFT_PEOPLE 6

struct soft {
	struct bg_vault *v;
	uint8_t priv[SOFT_PEOPLE][32];
};

static bg_token_desc_t *
soft_token(const uint8_t priv[32], unsigned serial)
{
	uint8_t pub[32], spub[32], id[BG_TOKEN_ID_LEN], ch[64];
	char pubb64[64], spubb64[64], idhex[2 * BG_TOKEN_ID_LEN + 1];
	char chb64[100], text[640];
	bg_token_desc_t *d = NULL;
	cJSON *j;

	if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(ch, sizeof(ch)) != 1)
		fatal("RAND_bytes", BG_ECRYPTO);
	need(bg_x25519_public(priv, pub), "x25519");
	need(bg_token_sign_public(id, priv, spub), "ed25519");
	need(bg_b64_encode(pub, 32, pubb64, sizeof(pubb64)), "b64");
	need(bg_b64_encode(spub, 32, spubb64, sizeof(spubb64)), "b64");
	need(bg_hex_encode(id, sizeof(id), idhex, sizeof(idhex)), "hex");
	need(bg_b64_encode(ch, 64, chb64, sizeof(chb64)), "b64");
	snprintf(text, sizeof(text), "{\"kind\":\"yubikey\",\"id\":\"%s\","
	    "\"x25519\":\"%s\",\"ed25519\":\"%s\",\"serial\":%u,\"slot\":2,"
	    "\"challenge\":\"%s\",\"model\":\"bench\"}", idhex, pubb64,
	    spubb64, serial, chb64);
	if ((j = bg_json_parse(text, strlen(text))) == NULL)
		fatal("soft token", BG_EFORMAT);
	need(bg_token_desc_from_json(j, &d), "soft token");
	cJSON_Delete(j);
	/* its proof of possession, as enrollment writes it: a genesis
	 * (and every opener walking the chain) checks it */
	need(bg_token_desc_prove_raw(d, priv), "soft token proof");
	return d;
}

static void
soft_vault(struct soft *s)
{
	static const char *const both[2] = { "password", "mfa" };
	size_t i;

	need(bg_vault_new(&s->v), "bg_vault_new");
	for (i = 0; i < SOFT_PEOPLE; i++) {
		if (RAND_bytes(s->priv[i], 32) != 1)
			fatal("RAND_bytes", BG_ECRYPTO);
		need(bg_vault_add_person(s->v, people[i].name, 0, NULL),
		    "add person");
		need(bg_vault_add_token(s->v, people[i].name,
		    soft_token(s->priv[i], 2000 + (unsigned)i)), "add token");
		need(bg_policy_add_member(s->v->policy, people[i].group,
		    people[i].name), "add member");
	}
	need(bg_policy_set_threshold(s->v->policy, "password", 2),
	    "threshold");
	need(bg_policy_set_threshold(s->v->policy, "mfa", 2), "threshold");
	need(bg_policy_set_item(s->v->policy, "recovery-codes", both, 2),
	    "policy item");
}

/* bg_vault_seal and the sealer's signature, as 'breakglass seal' runs. */
static struct bg_vault_item *
soft_seal(struct soft *s, struct bg_vault_account *a, const char *name,
    enum bg_item_kind kind, const char *value, size_t who)
{
	const struct bg_vault_person *p = bg_vault_person(s->v,
	    people[who].name);
	struct bg_vault_item *it = NULL;
	uint8_t msg[32], id[BG_TOKEN_ID_LEN];
	const char *hex = bg_token_desc_id(p->tokens[0]);

	need(bg_vault_seal(s->v, a, name, kind, (const uint8_t *)value,
	    strlen(value), (uint64_t)time(NULL), &it), "bg_vault_seal");
	need(bg_vault_seal_message(s->v, it, p->name, msg), "seal message");
	need(bg_hex_decode_exact(hex, strlen(hex), id, sizeof(id)), "token id");
	need(bg_token_sign_raw(id, s->priv[who], msg, sizeof(msg), it->sig),
	    "seal sign");
	snprintf(it->sealer, sizeof(it->sealer), "%s", p->name);
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s", hex);
	return it;
}

/* The soft vault's key of person name. */
static const uint8_t *
soft_priv(const struct soft *s, const char *name)
{
	size_t i;

	for (i = 0; i < SOFT_PEOPLE; i++)
		if (strcmp(people[i].name, name) == 0)
			return s->priv[i];
	fatal("soft person", BG_ENOENT);
	return NULL;
}

/* A genesis signature by the soft vault's key of the person. */
static void
soft_sign(const void *ctx, const struct bg_vault_person *p, size_t t,
    const uint8_t m[32], uint8_t sig[BG_TOKEN_SIG_LEN])
{
	const char *hex = bg_token_desc_id(p->tokens[t]);
	uint8_t id[BG_TOKEN_ID_LEN];

	need(bg_hex_decode_exact(hex, strlen(hex), id, sizeof(id)), "token id");
	need(bg_token_sign_raw(id, soft_priv(ctx, p->name), m, 32, sig),
	    "genesis sign");
}

/* Member m (0-based) of group g takes their share of slot. */
static void
soft_take(const struct soft *s, const struct bg_vault_account *a,
    const struct bg_vault_item *it, size_t g, size_t m, uint32_t slot,
    uint8_t share[BG_SLOT_KEY_LEN])
{
	struct bg_v2_expect w = { a->id, it->name, it->version, it->ver->root };
	const struct bg_v2_member *mb = &it->ver->g[g].m[m];

	need(bg_v2_take_share(s->v, it->ver, &w, g, mb->x, 0,
	    soft_priv(s, mb->person), slot, share), "bg_v2_take_share");
}

/*
 * The release's bg_v2_open from the first two members' shares of each
 * group (taken before, not timed): its CPU time.
 */
static double
soft_open(const struct soft *s, const struct bg_vault_account *a,
    const struct bg_vault_item *it, uint32_t slot, const char *expect)
{
	struct bg_v2_expect w = { a->id, it->name, it->version, it->ver->root };
	uint8_t y[BG_SLOT_GROUPS_MAX][2][BG_SLOT_KEY_LEN], *out = NULL;
	uint8_t xs[BG_SLOT_GROUPS_MAX][2];
	const uint8_t *ys[BG_SLOT_GROUPS_MAX][2];
	struct bg_v2_shares sh[BG_SLOT_GROUPS_MAX];
	size_t g, k, len;
	double t0, dt;

	for (g = 0; g < it->ver->ng; g++) {
		for (k = 0; k < 2; k++) {
			soft_take(s, a, it, g, k, slot, y[g][k]);
			xs[g][k] = it->ver->g[g].m[k].x;
			ys[g][k] = y[g][k];
		}
		sh[g] = (struct bg_v2_shares){ xs[g], ys[g], 2 };
	}
	t0 = pcpu();
	need(bg_v2_open(s->v, it->ver, &w, slot, sh, &out, &len),
	    "bg_v2_open");
	dt = pcpu() - t0;
	if (len != strlen(expect) || memcmp(out, expect, len) != 0)
		fatal("bg_v2_open gave other bytes", BG_ECRYPTO);
	bg_secure_free(&out, len + 1);
	bg_wipe(y, sizeof(y));
	return dt;
}

static __attribute__((noinline)) void
bench_v2(struct bench *b)
{
	static const char label[] = "breakglass/v2/bench\nrequest 0\n";
	size_t reps = b->quick ? 5 : 25, i;
	double *t[6], t0;
	struct bg_vault_account *a;
	struct bg_vault_item *it;
	uint8_t share[BG_SLOT_KEY_LEN], rqpriv[32], rqpub[32];
	uint8_t box[BG_SLOT_KEY_LEN + BG_BOX_OVERHEAD];
	struct soft s;
	size_t len, k;

	clocks_on = 0;
	soft_vault(&s);
	need(bg_vault_add_account(s.v, ACCOUNT, "prod", "root@example.com"),
	    "add account");
	a = bg_vault_account(s.v, ACCOUNT);
	if (RAND_bytes(rqpriv, 32) != 1)
		fatal("RAND_bytes", BG_ECRYPTO);
	need(bg_x25519_public(rqpriv, rqpub), "x25519");
	for (k = 0; k < 6; k++)
		if ((t[k] = calloc(reps, sizeof(double))) == NULL)
			fatal("bench_v2", BG_ENOMEM);
	for (i = 0; i < reps; i++) {
		t0 = pcpu();
		it = soft_seal(&s, a, "root-password", BG_ITEM_PASSWORD,
		    PASSWORD, 0);
		t[0][i] = pcpu() - t0;
		t0 = pcpu();
		it = soft_seal(&s, a, "recovery-codes", BG_ITEM_NOTE, REASON,
		    2);
		t[1][i] = pcpu() - t0;
		it = bg_vault_item(a, "root-password");
		t0 = pcpu();
		need(bg_vault_item_verify(s.v, a, it), "item verify");
		t[2][i] = pcpu() - t0;
		/* an approval: alice's share of a slot, re-sealed */
		t0 = pcpu();
		soft_take(&s, a, it, 0, 0, (uint32_t)(i % it->ver->nslots),
		    share);
		need(__real_bg_box_seal(rqpub, "approval-share", label,
		    sizeof(label) - 1, share, sizeof(share), box, sizeof(box),
		    &len), "re-seal");
		t[3][i] = pcpu() - t0;
		bg_wipe(share, sizeof(share));
		/* the release */
		t[4][i] = soft_open(&s, a, it, (uint32_t)(i %
		    it->ver->nslots), PASSWORD);
		it = bg_vault_item(a, "recovery-codes");
		t[5][i] = soft_open(&s, a, it, (uint32_t)(i %
		    it->ver->nslots), REASON);
	}
	b->v2.nslots = bg_vault_item(a, "root-password")->ver->nslots;
	b->v2.seal1 = median(t[0], reps);
	b->v2.seal2 = median(t[1], reps);
	b->v2.verify = median(t[2], reps);
	b->v2.take = median(t[3], reps);
	b->v2.open1 = median(t[4], reps);
	b->v2.open2 = median(t[5], reps);
	for (k = 0; k < 6; k++)
		free(t[k]);
	bg_vault_free(&s.v);
	clocks_on = 1;
}

/*
 * The state directory 'vault show' runs on: an audit log, breakglass.json,
 * the genesis and the vault saved through bg_vault_save (vault.json
 * recorded in the log, one commitments file per version in versions/).
 */
static char show_dir[BG_PATH_MAX];

static void
show_state(struct bench *b, const struct soft *soft)
{
	struct bg_audit_event ev = { "config.init", "", "", "", NULL };
	const struct bg_vault *v = soft->v;
	static char audit[BG_PATH_MAX], path[BG_PATH_MAX];
	static struct bg_state st;
	struct stat sb;
	cJSON *cfg;

	need(bg_path_join(show_dir, sizeof(show_dir), b->work, "show-state"),
	    "path");
	need(bg_path_join(audit, sizeof(audit), show_dir, "audit"), "path");
	need(bg_mkdir_private(show_dir), "show state");
	need(bg_audit_init(audit, NULL), "show audit init");
	need(bg_state_open(&st, show_dir), "show state open");
	if ((cfg = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(cfg, "format", "breakglass-config-v1"))
		fatal("config", BG_ENOMEM);
	need(bg_state_write(&st, "breakglass.json", cfg, &ev),
	    "breakglass.json");
	cJSON_Delete(cfg);
	genesis(&st, v, soft_sign, soft);	/* untimed */
	ev = (struct bg_audit_event){ "vault.init", "", "", "", NULL };
	need(bg_vault_save(&st, v, &ev), "show vault save");
	bg_state_close(&st);
	need(bg_path_join(path, sizeof(path), show_dir, BG_VAULT_FILE),
	    "path");
	b->v2.show_file = stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* What 'vault show' prints of one item (broker/cli/admin.c show_item). */
static void
show_print_item(FILE *out, const bg_ledger_t *l,
    const struct bg_vault_account *a, const struct bg_vault_item *it)
{
	char ts[BG_RFC3339_LEN + 1];
	uint32_t used = bg_ledger_nburned(l, a->id, it->name, it->version);
	uint32_t left = it->ver->nslots - (used > it->ver->nslots ?
	    it->ver->nslots : used);
	size_t g;

	bg_rfc3339_format(it->sealed, ts);
	fprintf(out, "  item %-16s %-8s v%llu sealed %s by %s, slots left %u "
	    "of %u%s%s\n", it->name, bg_item_kind_str(it->kind),
	    (unsigned long long)it->version, ts, it->sealer, left,
	    it->ver->nslots,
	    bg_ledger_exposed(l, a->id, it->name, it->version) ?
	    "  RELEASED: ROTATE" : "",
	    left < it->ver->nslots / 4 ? "  FEW SLOTS: ROTATE" : "");
	for (g = 0; g < it->ver->ng; g++)
		fprintf(out, "    group %-12s %u of %zu\n", it->ver->g[g].name,
		    it->ver->g[g].t, it->ver->g[g].n);
}

/*
 * 'vault show' in-process, as the command runs it (run_change + do_show
 * in broker/cli/admin.c): bg_cer_begin, the vault.read entry, the
 * ledger, the listing (to /dev/null), bg_cer_end. CPU seconds.
 */
static double
show_cmd(struct bench *b)
{
	bg_ledger_t *l = NULL;
	struct bg_cer c;
	double t0 = pcpu();
	size_t i, k;

	need(bg_cer_begin(&c, show_dir, b->out, &b->opts), "show begin");
	need(bg_cer_note(&c, "vault.read", "", "", "", NULL), "vault.read");
	need(bg_ledger_read(c.st.log, &l), "show ledger");
	fprintf(b->out, "vault %s (format v2)\n", c.v->id_hex);
	for (i = 0; i < c.v->naccounts; i++) {
		const struct bg_vault_account *a = &c.v->accounts[i];

		fprintf(b->out, "account %s (%s), root e-mail %s\n", a->id,
		    a->name, a->email);
		for (k = 0; k < a->nitems; k++)
			show_print_item(b->out, l, a, &a->items[k]);
	}
	for (i = 0; i < c.v->npeople; i++)
		fprintf(b->out, "person %s%s, %zu token(s)\n",
		    c.v->people[i].name, c.v->people[i].requester ?
		    " (requester)" : "", c.v->people[i].ntokens);
	fflush(b->out);
	bg_ledger_free(&l);
	bg_cer_end(&c);
	return pcpu() - t0;
}

/*
 * The shipped binary: 'breakglass --state DIR vault show' (or, with
 * version set, 'breakglass --version': the process start alone) with its
 * output to /dev/null; its CPU (user + system) from wait4, and its wall
 * time in *w. 0 when the bench was built without the binary's path.
 */
static double
run_bin(int version, double *w)
{
#ifdef BG_BINARY
	struct rusage ru;
	double w0 = wall();
	pid_t pid;
	int st, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		fatal("fork", BG_EIO);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) < 0 ||
		    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (version)
			execl(BG_BINARY, BG_BINARY, "--version", (char *)NULL);
		else
			execl(BG_BINARY, BG_BINARY, "--state", show_dir,
			    "vault", "show", (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_ceremony: FAILED: %s %s: status %d\n",
		    BG_BINARY, version ? "--version" : "vault show", st);
		exit(1);
	}
	*w = wall() - w0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec /
	    1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec /
	    1e6;
#else
	(void)version;
	*w = 0;
	return 0;
#endif
}

/*
 * 'breakglass vault show' reads the whole vault: a vault of the most
 * accounts it holds (BG_VAULT_ACCOUNTS_MAX), each with root-password,
 * root-mfa and recovery-codes (both groups) sealed in the policy's
 * slots; bg_vault_to_json (and printing it) one way, parsing and
 * bg_vault_from_json the other.
 */
static __attribute__((noinline)) void
bench_show(struct bench *b)
{
	size_t reps = b->quick ? 3 : 10, i, n = SHOW_ACCOUNTS;
	double *t[7], t0, w;
	struct bg_vault_account *a;
	struct bg_vault *back = NULL;
	char id[BG_ACCOUNT_MAX + 1], name[32], email[64], *text = NULL;
	cJSON *j = NULL, *again = NULL;
	struct soft s;
	size_t k;

	clocks_on = 0;
	if (n > BG_VAULT_ACCOUNTS_MAX)
		n = BG_VAULT_ACCOUNTS_MAX;
	soft_vault(&s);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%012zu", (size_t)100000000000u + i);
		snprintf(name, sizeof(name), "bench-%03zu", i);
		snprintf(email, sizeof(email), "root+%03zu@example.com", i);
		need(bg_vault_add_account(s.v, id, name, email), "add account");
		a = bg_vault_account(s.v, id);
		(void)soft_seal(&s, a, "root-password", BG_ITEM_PASSWORD,
		    PASSWORD, 0);
		(void)soft_seal(&s, a, "root-mfa", BG_ITEM_TOTP, TOTP_URI, 3);
		(void)soft_seal(&s, a, "recovery-codes", BG_ITEM_NOTE, REASON,
		    1);
	}
	for (k = 0; k < 7; k++)
		if ((t[k] = calloc(reps, sizeof(double))) == NULL)
			fatal("bench_show", BG_ENOMEM);
	show_state(b, &s);
	for (i = 0; i < reps; i++) {
		t0 = pcpu();
		need(bg_vault_to_json(s.v, &j), "bg_vault_to_json");
		t[0][i] = pcpu() - t0;
		t0 = pcpu();
		if ((text = cJSON_PrintUnformatted(j)) == NULL)
			fatal("print", BG_ENOMEM);
		t[1][i] = pcpu() - t0;
		b->v2.show_bytes = strlen(text);
		t0 = pcpu();
		if ((again = bg_json_parse(text, strlen(text))) == NULL)
			fatal("bg_json_parse", BG_EFORMAT);
		t[2][i] = pcpu() - t0;
		t0 = pcpu();
		need(bg_vault_from_json(again, &back), "bg_vault_from_json");
		t[3][i] = pcpu() - t0;
		if (back->naccounts != n)
			fatal("bg_vault_from_json lost accounts", BG_EINTERNAL);
		bg_vault_free(&back);
		cJSON_Delete(again);
		cJSON_Delete(j);
		free(text);
		t[4][i] = show_cmd(b);
		t[5][i] = run_bin(0, &b->v2.show_bin_wall);
		t[6][i] = run_bin(1, &w);
	}
	b->v2.show_accounts = n;
	b->v2.show_items = 3 * n;
	b->v2.to_json = median(t[0], reps);
	b->v2.print = median(t[1], reps);
	b->v2.parse = median(t[2], reps);
	b->v2.from_json = median(t[3], reps);
	b->v2.show_cmd = median(t[4], reps);
	b->v2.show_bin = median(t[5], reps);
	b->v2.start_bin = median(t[6], reps);
	for (k = 0; k < 7; k++)
		free(t[k]);
	bg_vault_free(&s.v);
	clocks_on = 1;
}

static void
report_v2(const struct bench *b)
{
	const struct v2_times *v = &b->v2;
	double box = b->box_cpu > 0 ? b->box_cpu : 1;

	printf("\nvault format v2, the vault's own steps (software keys, CPU "
	    "medians; x box = multiples of the bg_box_open baseline):\n");
	printf("  %-52s %9.1f us  %6.1f x box\n", "seal + sign, 1 group of 3"
	    " (root-password)", v->seal1 * 1e6, v->seal1 / box);
	printf("  %-52s %9.1f us  %6.1f x box\n", "seal + sign, 2 groups of 3"
	    " (recovery-codes)", v->seal2 * 1e6, v->seal2 / box);
	printf("  target (issue): seal of one item, %u slots, 2 groups of 3, "
	    "one token each, < %.0f ms CPU: %s (%.2f ms)\n", v->nslots,
	    SEAL_TARGET_MS, v->seal2 < SEAL_TARGET_MS / 1e3 ? "PASS" : "NOTE",
	    v->seal2 * 1e3);
	printf("  %-52s %9.1f us  %6.1f x box\n", "bg_vault_item_verify "
	    "(signature, commitments)", v->verify * 1e6, v->verify / box);
	printf("  %-52s %9.1f us  %6.1f x box\n", "approval: take_share + "
	    "re-seal to the request", v->take * 1e6, v->take / box);
	printf("  %-52s %9.1f us  %6.1f x box\n", "release: bg_v2_open, 1 "
	    "group (2 shares)", v->open1 * 1e6, v->open1 / box);
	printf("  %-52s %9.1f us  %6.1f x box\n", "release: bg_v2_open, 2 "
	    "groups (4 shares)", v->open2 * 1e6, v->open2 / box);
	printf("  (%u slots per version; bg_v2_open checks every share, "
	    "part and K against the commitments)\n", v->nslots);
	printf("vault show: %zu accounts x 3 items (%zu versions, 2 groups of "
	    "3), vault.json %.1f KiB:\n", v->show_accounts, v->show_items,
	    (double)v->show_bytes / 1024);
	printf("  %-52s %9.2f ms  %6.0f x box\n", "bg_vault_to_json",
	    v->to_json * 1e3, v->to_json / box);
	printf("  %-52s %9.2f ms  %6.0f x box\n", "  + cJSON_PrintUnformatted",
	    v->print * 1e3, v->print / box);
	printf("  %-52s %9.2f ms  %6.0f x box\n", "bg_json_parse",
	    v->parse * 1e3, v->parse / box);
	printf("  %-52s %9.2f ms  %6.0f x box\n", "bg_vault_from_json (parse "
	    "+ check)", v->from_json * 1e3, v->from_json / box);
	printf("  %-52s %9.2f ms  %6.0f x box (%.1f us per account)\n",
	    "to_json + from_json", (v->to_json + v->from_json) * 1e3,
	    (v->to_json + v->from_json) / box, (v->to_json + v->from_json) *
	    1e6 / (double)(v->show_accounts ? v->show_accounts : 1));
	printf("  %-52s %9.2f ms  %6.0f x box\n", "vault show in-process "
	    "(cer_begin..cer_end)", v->show_cmd * 1e3, v->show_cmd / box);
	if (v->show_bin > 0)
		printf("  %-52s %9.2f ms  %6.0f x box (wall %.2f ms)\n",
		    "breakglass vault show (process CPU, usr+sys)",
		    v->show_bin * 1e3, v->show_bin / box,
		    v->show_bin_wall * 1e3);
	if (v->start_bin > 0)
		printf("  %-52s %9.2f ms  %6.0f x box\n", "  of which the "
		    "process start (breakglass --version)", v->start_bin * 1e3,
		    v->start_bin / box);
	printf("  vault.json as saved: %.2f MiB for %zu accounts (%.1f KiB "
	    "per account); the state reads files up to BG_STATE_FILE_MAX = "
	    "%.0f MiB\n", (double)v->show_file / (1024 * 1024),
	    v->show_accounts, (double)v->show_file / 1024 /
	    (double)(v->show_accounts ? v->show_accounts : 1),
	    (double)BG_STATE_FILE_MAX / (1024 * 1024));
	if (v->show_accounts > 0 && v->show_file > 0)
		printf("  at BG_VAULT_ACCOUNTS_MAX = %d accounts x 3 items "
		    "vault.json would be about %.2f MiB: %s\n",
		    BG_VAULT_ACCOUNTS_MAX, (double)v->show_file /
		    (double)v->show_accounts * BG_VAULT_ACCOUNTS_MAX /
		    (1024 * 1024), (double)v->show_file /
		    (double)v->show_accounts * BG_VAULT_ACCOUNTS_MAX <=
		    (double)BG_STATE_FILE_MAX ? "readable" :
		    "NOTE: over BG_STATE_FILE_MAX, such a vault could not be "
		    "loaded");
	if (v->show_accounts < SHOW_ACCOUNTS)
		printf("  NOTE: BG_VAULT_ACCOUNTS_MAX = %d < %d: measured with "
		    "%zu accounts\n", BG_VAULT_ACCOUNTS_MAX, SHOW_ACCOUNTS,
		    v->show_accounts);
}

/* ---------------------------------------------------------------- rounds */

static double
probe_calls(void)
{
	double n = 0;
	size_t p;

	for (p = 0; p < NPROBES; p++)
		n += probes[p].n;
	return n;
}

static void
check_released(struct bench *b, const struct bg_released *it, size_t n)
{
	size_t i, ok = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(it[i].name, "root-password") == 0 &&
		    it[i].len == strlen(PASSWORD) &&
		    memcmp(it[i].data, PASSWORD, it[i].len) == 0)
			ok++;
		else if (strcmp(it[i].name, "root-mfa") == 0 &&
		    it[i].len == b->totp_len &&
		    memcmp(it[i].data, b->totp, it[i].len) == 0)
			ok++;
	}
	if (ok != 2 || n != 2) {
		fprintf(stderr, "bench_ceremony: FAILED: the release gave %zu "
		    "item(s), %zu right\n", n, ok);
		b->failed = 1;
	}
}

/* One command: bg_cer_begin, the operation, bg_cer_end. */
static __attribute__((noinline)) int
step(struct bench *b, enum step_id s, char id[BG_REQUEST_ID_LEN + 1],
    struct sample *out)
{
	struct bg_released *items = NULL;
	size_t nitems = 0;
	double c0, d0, w0;
	struct bg_cer c;
	const char *what;
	int r;

	w0 = wall();
	d0 = probes[P_DEV].cpu;
	c0 = pcpu();
	if ((r = bg_cer_begin(&c, b->state, b->out, &b->opts)) != BG_OK) {
		what = "bg_cer_begin";
		goto fail;
	}
	if (s == S_REQUEST) {
		what = "bg_cer_request";
		static struct bg_cer_ask q;

		snprintf(q.account, sizeof(q.account), "%s", ACCOUNT);
		snprintf(q.reason, sizeof(q.reason), "%s", REASON);
		snprintf(q.ticket, sizeof(q.ticket), "%s", TICKET);
		snprintf(q.as, sizeof(q.as), "%s", REQUESTER);
		r = bg_cer_request(&c, &q, id);
	} else if (s == S_RELEASE) {
		what = "bg_cer_release";
		r = bg_cer_release(&c, id, REQUESTER, 0, &items, &nitems);
		if (r == BG_OK)
			check_released(b, items, nitems);
		bg_released_free(&items, nitems);
	} else {
		what = "bg_cer_approve";
		r = bg_cer_approve(&c, id, approvers[s - S_APPROVE1]);
	}
	bg_cer_end(&c);
	if (r != BG_OK)
		goto fail;
	out->cpu = pcpu() - c0;
	out->dev = probes[P_DEV].cpu - d0;
	out->wall = wall() - w0;
	return BG_OK;
fail:
	fprintf(stderr, "bench_ceremony: FAILED: %s: %s: %s\n", what,
	    bg_strerror(r), bg_why());
	b->failed = 1;
	return r;
}

static __attribute__((noinline)) int
one_round(struct bench *b, struct round *rd)
{
	char id[BG_REQUEST_ID_LEN + 1] = "";
	struct probe before[NPROBES];
	double c0, w0, d0, n0, u0, s0, u1, s1;
	size_t s, p;

	clocks_on = rd->clocks;
	rusage_s(&u0, &s0);
	memcpy(before, probes, sizeof(before));
	n0 = probe_calls();
	w0 = wall();
	d0 = probes[P_DEV].cpu;
	c0 = pcpu();
	for (s = 0; s < NSTEPS; s++)
		if (step(b, (enum step_id)s, id, &rd->step[s]) != BG_OK) {
			clocks_on = 1;
			return -1;
		}
	rd->total.cpu = pcpu() - c0;
	rd->total.dev = probes[P_DEV].cpu - d0;
	rd->total.wall = wall() - w0;
	rusage_s(&u1, &s1);
	rd->usr = u1 - u0;
	rd->sys = s1 - s0;
	rd->dev_calls = probes[P_DEV].n - before[P_DEV].n;
	rd->probes = probe_calls() - n0;
	clocks_on = 1;
	if (rd->clocks)
		for (p = 0; p < NPROBES; p++) {
			b->prof[p].n += probes[p].n - before[p].n;
			b->prof[p].cpu += probes[p].cpu - before[p].cpu;
			b->prof[p].wall += probes[p].wall - before[p].wall;
			b->prof[p].dev += probes[p].dev - before[p].dev;
			b->prof[p].entries += probes[p].entries -
			    before[p].entries;
		}
	return 0;
}

/* ---------------------------------------------------------------- report */

#define MS(x) ((x) * 1e3)

static void
report(struct bench *b)
{
	static const char *const step_names[NSTEPS] = { "request (rita Y)",
	    "approve alice (F)", "approve carol (Y)", "approve dave (F)",
	    "approve erin (Y)", "release (rita Y)" };
	double *c, *d, *o, *w, *off;
	double mc, md, mo, mw, moff = 0, n, ratio, append_ratio, usr = 0,
	    sys = 0;
	size_t i, s, k = 0, noff = 0, p;

	c = calloc(b->nr, sizeof(*c));
	d = calloc(b->nr, sizeof(*d));
	o = calloc(b->nr, sizeof(*o));
	w = calloc(b->nr, sizeof(*w));
	off = calloc(b->nr, sizeof(*off));
	if (!c || !d || !o || !w || !off)
		fatal("report", BG_ENOMEM);

	printf("\nround  clocks  total-cpu  devices-cpu   ours-cpu       wall"
	    "  device-calls\n");
	for (i = 0; i < b->nr; i++) {
		const struct round *r = &b->r[i];

		if (!r->clocks) {
			printf("%5zu  off     %6.2f ms          -            -  "
			    "%6.2f ms             -\n", i + 1, MS(r->total.cpu),
			    MS(r->total.wall));
			off[noff++] = r->total.cpu;
			continue;
		}
		printf("%5zu  on      %6.2f ms    %6.2f ms    %6.2f ms  "
		    "%6.2f ms  %12.0f\n", i + 1, MS(r->total.cpu),
		    MS(r->total.dev), MS(r->total.cpu - r->total.dev),
		    MS(r->total.wall), r->dev_calls);
		usr += r->usr;
		sys += r->sys;
		c[k] = r->total.cpu;
		d[k] = r->total.dev;
		o[k] = r->total.cpu - r->total.dev;
		w[k] = r->total.wall;
		k++;
	}
	mc = median(c, k);
	md = median(d, k);
	mo = median(o, k);
	mw = median(w, k);
	printf("median (%zu rounds with clocks): total %.2f ms, devices "
	    "%.2f ms, ours %.2f ms, wall %.2f ms\n", k, MS(mc), MS(md), MS(mo),
	    MS(mw));
	if (usr + sys > 0)
		printf("kernel share of process CPU over these rounds (getrusage):"
		    " %.0f%% (syscalls: file writes, fsync submission, flock; "
		    "the wait itself is not CPU)\n", 100 * sys / (usr + sys));
	if (noff > 0) {
		moff = median(off, noff);
		printf("median total CPU of the %zu rounds without clocks: %.2f ms"
		    " (instrumentation: %+.2f ms)\n", noff, MS(moff),
		    MS(mc - moff));
	}

	printf("\nper step, median of the rounds with clocks (each step = "
	    "bg_cer_begin + op + bg_cer_end):\n");
	printf("  %-20s %10s %12s %10s %10s\n", "step", "total-cpu",
	    "devices-cpu", "ours-cpu", "wall");
	for (s = 0; s < NSTEPS; s++) {
		for (i = 0, k = 0; i < b->nr; i++) {
			if (!b->r[i].clocks)
				continue;
			c[k] = b->r[i].step[s].cpu;
			d[k] = b->r[i].step[s].dev;
			o[k] = b->r[i].step[s].cpu - b->r[i].step[s].dev;
			w[k] = b->r[i].step[s].wall;
			k++;
		}
		printf("  %-20s %7.2f ms %9.2f ms %7.2f ms %7.2f ms\n",
		    step_names[s], MS(median(c, k)), MS(median(d, k)),
		    MS(median(o, k)), MS(median(w, k)));
	}

	n = (double)k;
	printf("\nprofile, mean per round (inclusive; calls nest: vault_save >"
	    " state_write > audit_append;\n  token calls include the devices"
	    " they drive; \"host\" = cpu - devices inside):\n");
	printf("  %-38s %7s %10s %10s %10s %10s\n", "probe", "calls", "cpu",
	    "devices", "host-cpu", "wall");
	for (p = 0; p < NPROBES; p++) {
		const struct probe *q = &b->prof[p];

		printf("  %-38s %7.1f %7.2f ms %7.2f ms %7.2f ms ",
		    probe_names[p], q->n / n, MS(q->cpu / n),
		    MS((p == P_DEV ? q->cpu : q->dev) / n),
		    MS((p == P_DEV ? 0 : q->cpu - q->dev) / n));
		if (p == P_DEV || p == P_CKPT_SIGN)
			printf("%10s\n", "-");
		else
			printf("%7.2f ms\n", MS(q->wall / n));
	}
	printf("  audit entries walked by log scans: %.0f per round (log: %llu "
	    "entries before the rounds, %llu after)\n",
	    b->prof[P_AUDIT_SCAN].entries / n,
	    (unsigned long long)b->log_before,
	    (unsigned long long)b->log_after);
	if (b->nstates > 1)
		printf("  rounds ran in %u state directories, a fresh one every"
		    " %d ceremonies (a custodian burns at most %d slots a day;"
		    " the log sizes are the first's before, the last's after)"
		    "\n", b->nstates, BG_BURNS_PER_DAY_MAX -
		    (b->prefill ? 1 : 0), BG_BURNS_PER_DAY_MAX);
	printf("  instrumentation: %.0f probe calls per round x %.2f us = "
	    "%.2f ms of clock reads, counted in the totals (mostly as "
	    "devices)\n", b->r[0].probes, b->probe_cost * 1e6,
	    MS(b->r[0].probes * b->probe_cost));

	ratio = b->box_cpu > 0 ? mo / b->box_cpu : 0;
	append_ratio = b->append_wall > 0 ? mw / b->append_wall : 0;
	printf("\nbaseline (same run): bg_box_open of a share box (X25519 + "
	    "HKDF-SHA256 + AES-256-GCM) %.1f us CPU;\n  durable bg_audit_append"
	    " %.1f us CPU, %.1f us wall\n", b->box_cpu * 1e6,
	    b->append_cpu * 1e6, b->append_wall * 1e6);
	printf("ratios: ours / box_open = %.0f; wall / audit_append wall = "
	    "%.1f\n", ratio, append_ratio);
	printf("target (issue): one ceremony (request + %d approvals + release)"
	    " < %.0f ms CPU, ours: %s (median ours %.2f ms; with the emulated "
	    "devices %.2f ms%s)\n", NAPPROVERS, TARGET_MS,
	    mo < TARGET_MS / 1e3 ? "PASS" : "NOTE", MS(mo), MS(mc),
	    b->quick ? "; quick mode: few rounds" : "");

	free(c);
	free(d);
	free(o);
	free(w);
	free(off);
}

/*
 * --log-entries N: about N more entries in the audit log before the
 * timed rounds, shaped like a vault that has been in use: one untimed
 * ceremony runs, then its entries are appended again and again (same
 * events and details, each copy under a fresh request id, so every copy
 * names its own request file, as real requests do) until N are added.
 * vault.json is unchanged after the warm-up, so the copies' vault.json
 * hashes still match it. Every command scans the whole log
 * (bg_state_check_files in bg_cer_begin, bg_state_check_file for a
 * request file), so this shows how the ceremony scales with the log.
 */
struct lines {
	char **v;
	size_t n, cap;
};

static int
keep_line(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct lines *l = ctx;
	char **nv;

	(void)seq;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return BG_ENOMEM;
		l->v = nv;
	}
	if ((l->v[l->n] = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(l->v[l->n], line, len);
	l->v[l->n++][len] = '\0';
	return BG_OK;
}

static int one_round(struct bench *b, struct round *rd);

static void
prefill(struct bench *b)
{
	struct round warm;
	struct lines l = { NULL, 0, 0 };
	struct bg_audit_entry *e;
	struct bg_audit_event *ev;
	cJSON **dup;
	bg_audit_t *log = NULL;
	char id[2 * 16 + 1], file[64];
	uint8_t raw[16];
	uint64_t first;
	unsigned long added = 0;
	size_t i, n;
	const cJSON *f;

	if (b->prefill == 0)
		return;
	first = log_size(b);
	memset(&warm, 0, sizeof(warm));
	if (one_round(b, &warm) != 0)
		fatal("warm-up ceremony", BG_EINTERNAL);
	need(__real_bg_audit_open(b->audit, BG_AUDIT_WRITE, &log),
	    "prefill open");
	need(__real_bg_audit_foreach(log, first, bg_audit_size(log), keep_line,
	    &l), "prefill read");
	n = l.n;
	e = calloc(n, sizeof(*e));
	ev = calloc(n, sizeof(*ev));
	dup = calloc(n, sizeof(*dup));
	if (n == 0 || e == NULL || ev == NULL || dup == NULL)
		fatal("prefill", BG_ENOMEM);
	for (i = 0; i < n; i++)
		need(bg_audit_entry_parse(l.v[i], strlen(l.v[i]), &e[i]),
		    "prefill parse");
	while (added < b->prefill) {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			fatal("RAND_bytes", BG_ECRYPTO);
		need(bg_hex_encode(raw, sizeof(raw), id, sizeof(id)), "hex");
		snprintf(file, sizeof(file), "requests/%s.json", id);
		for (i = 0; i < n; i++) {
			cJSON_Delete(dup[i]);
			dup[i] = e[i].detail ? cJSON_Duplicate(e[i].detail, 1) :
			    NULL;
			if (e[i].detail != NULL && dup[i] == NULL)
				fatal("prefill", BG_ENOMEM);
			f = dup[i] ? cJSON_GetObjectItemCaseSensitive(dup[i],
			    "file") : NULL;
			if (cJSON_IsString(f) && strncmp(f->valuestring,
			    "requests/", 9) == 0 && !cJSON_ReplaceItemInObject(
			    dup[i], "file", cJSON_CreateString(file)))
				fatal("prefill", BG_ENOMEM);
			ev[i] = (struct bg_audit_event){ e[i].event,
			    e[i].actor, e[i].account,
			    e[i].request && e[i].request[0] != '\0' ? id : "",
			    dup[i] };
		}
		need(bg_audit_append_batch(log, ev, n, NULL), "prefill append");
		added += n;
	}
	__real_bg_audit_close(&log);
	for (i = 0; i < n; i++) {
		cJSON_Delete(dup[i]);
		bg_audit_entry_free(&e[i]);
		free(l.v[i]);
	}
	free(l.v);
	free(e);
	free(ev);
	free(dup);
}

/* ------------------------------------------------------------------ main */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_ceremony [--quick] [--rounds N] "
	    "[--log-entries N] [--dir DIR] [--keep]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bench *b;
	struct statfs sf;
	unsigned long v;
	char *end;
	size_t i;
	int a;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return 1;
	snprintf(b->parent, sizeof(b->parent), "/tmp");
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			b->quick = 1;
		} else if (strcmp(argv[a], "--keep") == 0) {
			b->keep = 1;
		} else if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc) {
			snprintf(b->parent, sizeof(b->parent), "%s", argv[++a]);
		} else if (strcmp(argv[a], "--log-entries") == 0 &&
		    a + 1 < argc) {
			b->prefill = strtoul(argv[++a], &end, 10);
			if (*end != '\0' || b->prefill > 100000000ul)
				usage();
		} else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc) {
			v = strtoul(argv[++a], &end, 10);
			if (*end != '\0' || v == 0 || v > MAX_ROUNDS)
				usage();
			b->rounds = (unsigned)v;
		} else {
			usage();
		}
	}
	if (b->rounds == 0)
		b->rounds = b->quick ? ROUNDS_QUICK : ROUNDS_FULL;

	setup(b);
	prefill(b);
	printf("bench_ceremony: one ceremony = request + %d approvals + "
	    "release, in-process, software tokens%s\n", NAPPROVERS,
	    b->quick ? " (quick)" : "");
	printf("scratch: %s%s\n", b->work, statfs(b->work, &sf) == 0 &&
	    sf.f_type == 0x01021994 ? " (tmpfs: fsync costs nothing here)" :
	    "");
	printf("tokens: FIDO2 alice bob dave; YubiKey carol erin frank rita;"
	    " all plugged in\n");

	baseline_probe(b);
	baseline_box(b);
	baseline_append(b);
	bench_v2(b);
	bench_show(b);

	/* Full run: every OFF_EVERY-th round without clocks, for comparison. */
	b->nr = b->quick ? b->rounds : b->rounds + b->rounds / (OFF_EVERY - 1);
	if ((b->r = calloc(b->nr, sizeof(*b->r))) == NULL)
		fatal("rounds", BG_ENOMEM);
	b->log_before = log_size(b);
	for (i = 0; i < b->nr; i++) {
		b->r[i].clocks = b->quick || (i + 1) % OFF_EVERY != 0;
		/* the warm-up of prefill() burned one slot per approver */
		if (b->in_state + (b->prefill ? 1u : 0u) >=
		    BG_BURNS_PER_DAY_MAX) {
			new_state(b);
			prefill(b);
		}
		if (one_round(b, &b->r[i]) != 0)
			break;
		b->in_state++;
	}
	b->log_after = log_size(b);
	if (!b->failed) {
		report(b);
		report_v2(b);
	}

	fclose(b->out);
	if (b->keep || b->failed)
		printf("scratch directory kept: %s\n", b->work);
	else
		rm_tree(b->work);
	free(b->r);
	i = (size_t)b->failed;
	free(b);
	return i ? 1 : 0;
}
