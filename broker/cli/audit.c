/* breakglass audit ...: the audit log's commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/alerts/alerts.h"
#include "broker/state/state.h"
#include "broker/export/export.h"
#include "broker/witness/witness.h"

#define NOTE_MAX 1024
#define CHECKPOINT_FILE_MAX 8192

/* Also for audit show (audit_show.c): declared in cli.h. */
int
bg_cli_check_state(const struct bg_cli *cli)
{
	int r;

	if ((r = bg_state_check_perms(cli->state)) != BG_OK)
		return bg_cli_fail("refusing the state directory", r);
	return BG_EXIT_OK;
}

static int
open_log(struct bg_cli *cli, enum bg_audit_mode mode, bg_audit_t **log)
{
	int r;

	if ((r = bg_cli_check_state(cli)) != BG_EXIT_OK)
		return r;
	if ((r = bg_audit_open(cli->audit_dir, mode, log)) != BG_OK)
		return bg_cli_fail("cannot open the audit log", r);
	return BG_EXIT_OK;
}

static int
cmd_init(struct bg_cli *cli, int argc, char **argv)
{
	const char *origin = NULL;
	char vkey[256];
	bg_audit_t *log = NULL;
	int r;

	if (argc == 2 && strcmp(argv[0], "--origin") == 0)
		origin = argv[1];
	else if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_mkdir_private(cli->state)) != BG_OK)
		return bg_cli_fail("cannot create the state directory", r);
	if ((r = bg_audit_init(cli->audit_dir, origin)) != BG_OK)
		return bg_cli_fail(r == BG_EEXIST ? "an audit log already exists" :
		    "cannot create the audit log", r);
	if ((r = open_log(cli, BG_AUDIT_READ, &log)) != BG_EXIT_OK)
		return r;
	bg_audit_verifier_key(log, vkey, sizeof(vkey));
	printf("audit log created in %s\nverifier key: %s\n", cli->audit_dir,
	    vkey);
	bg_audit_close(&log);
	return BG_EXIT_OK;
}

static int
cmd_note(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_audit_event ev = { "operator.note", NULL, "", "", NULL };
	struct bg_state st;
	cJSON *detail;
	int r;

	if (argc == 3 && strcmp(argv[1], "--as") == 0)
		ev.actor = argv[2];
	else if (argc != 1)
		return BG_EXIT_USAGE;
	/* without --as the state names the actor: the login here, the
	 * caller's (SO_PEERCRED) in breakglassd */
	if (strlen(argv[0]) == 0 || strlen(argv[0]) > NOTE_MAX) {
		bg_cli_error("a note has 1 to %d bytes", NOTE_MAX);
		return BG_EXIT_USAGE;
	}
	if ((detail = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(detail, "text", argv[0]) == NULL) {
		cJSON_Delete(detail);
		return bg_cli_fail("cannot build the entry", BG_ENOMEM);
	}
	ev.detail = detail;
	/* through the state, as every entry: the caller's identity (the
	 * daemon's peer) and the alert spool come with it */
	if ((r = bg_state_open(&st, cli->state)) != BG_OK) {
		cJSON_Delete(detail);
		return bg_cli_fail("cannot open the state directory", r);
	}
	if ((r = bg_state_note(&st, &ev)) == BG_OK)
		printf("recorded as entry %llu\n", (unsigned long long)
		    (bg_audit_size(st.log) - 1));
	cJSON_Delete(detail);
	return bg_cli_state_finish(cli, &st, "cannot record the note", r);
}

/* A command without arguments that only reads the log. */
static int
open_read_only(struct bg_cli *cli, int argc, bg_audit_t **log)
{
	if (argc != 0)
		return BG_EXIT_USAGE;
	return open_log(cli, BG_AUDIT_READ, log);
}

/*
 * The checkpoint, with the witnesses' cosignatures when those kept are
 * of this very checkpoint (STATE/witness/checkpoint starts with it).
 */
static void
print_checkpoint(const struct bg_cli *cli, const char *note, size_t len)
{
	char *co = NULL;
	size_t colen;

	if (bg_witness_checkpoint(cli->state, &co, &colen) == BG_OK &&
	    colen > len && memcmp(co, note, len) == 0)
		fwrite(co, 1, colen, stdout);
	else
		fwrite(note, 1, len, stdout);
	free(co);
}

static int
cmd_checkpoint(struct bg_cli *cli, int argc, char **argv)
{
	bg_audit_t *log = NULL;
	char *note = NULL;
	size_t len;
	int r;

	(void)argv;
	if ((r = open_read_only(cli, argc, &log)) != BG_EXIT_OK)
		return r;
	if ((r = bg_audit_checkpoint(log, &note, &len)) == BG_OK)
		print_checkpoint(cli, note, len);
	free(note);
	bg_audit_close(&log);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("checkpoint", r);
}

/*
 * audit cosign: the witnesses asked to cosign the current checkpoint
 * (docs/audit.md "Witnesses"); the cosigned checkpoint printed. Exit 0
 * with the quorum, 1 short of it, 3 when a witness saw another history.
 */
static int
cosign(struct bg_cli *cli, struct bg_witness_config *cfg)
{
	struct bg_witness_round round = { 0 };
	int r;

	/* this round's cosigned checkpoint (none when nobody cosigned) */
	if ((r = bg_witness_config_load(cli->state, cfg)) == BG_OK &&
	    (r = bg_witness_cosign(cli->state, &round)) == BG_OK &&
	    round.note != NULL)
		fwrite(round.note, 1, round.note_len, stdout);
	bg_witness_round_clear(&round);
	if (r == BG_ETAMPER) {
		printf("TAMPERED: %s\n", bg_why());
		(void)bg_cli_finish(cli, "audit cosign", BG_OK);
		return BG_EXIT_TAMPER;
	}
	if (r != BG_OK)
		return bg_cli_finish(cli, "audit cosign", r);
	fprintf(stderr, "breakglass: %zu of %zu witness(es) cosigned the "
	    "checkpoint of %llu entries (quorum %zu)%s%s\n", round.cosigned,
	    cfg->n, (unsigned long long)round.size, cfg->quorum,
	    round.why[0] ? ": " : "", round.why);
	return round.cosigned >= cfg->quorum ? BG_EXIT_OK : BG_EXIT_FAIL;
}

static int
cmd_cosign(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_witness_config *cfg;
	int r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_check_state(cli)) != BG_EXIT_OK)
		return r;
	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		return bg_cli_fail("audit cosign", BG_ENOMEM);
	r = cosign(cli, cfg);
	free(cfg);
	return r;
}

/*
 * verify --checkpoint: the cosignatures in the checkpoint given, against
 * the witnesses breakglass.json names. One by a named witness that does
 * not verify is tampering; fewer than the quorum is said.
 */
static int
verify_cosigs(const struct bg_cli *cli, const char *cp, size_t len,
    char *reason, size_t reasonsz)
{
	struct bg_witness_config *cfg = malloc(sizeof(*cfg));
	size_t i, ok = 0;
	uint64_t t;
	int r = BG_EXIT_OK, c;

	if (cfg == NULL || cp == NULL) {
		free(cfg);
		return cp == NULL ? BG_EXIT_OK : bg_cli_fail("audit verify",
		    BG_ENOMEM);
	}
	if ((c = bg_witness_config_load(cli->state, cfg)) != BG_OK) {
		free(cfg);	/* a hand-edited configuration names no key */
		return bg_cli_fail("cannot check the checkpoint's "
		    "cosignatures", c);
	}
	if (!cfg->present) {
		free(cfg);
		return BG_EXIT_OK;
	}
	for (i = 0; i < cfg->n && r == BG_EXIT_OK; i++) {
		if ((c = bg_audit_cosig_check(cp, len, &cfg->w[i].key, &t)) ==
		    BG_OK)
			ok++;
		else if (c != BG_ENOENT) {
			snprintf(reason, reasonsz, "the checkpoint given "
			    "carries a cosignature by witness %s that does "
			    "not verify", cfg->w[i].key.name);
			printf("TAMPERED: %s\n", reason);
			r = BG_EXIT_TAMPER;
		}
	}
	if (r == BG_EXIT_OK && ok >= cfg->quorum)
		printf("ok: the checkpoint given is cosigned by %zu of %zu "
		    "witness(es)\n", ok, cfg->n);
	else if (r == BG_EXIT_OK) {
		printf("FAILED: the checkpoint given is cosigned by %zu of %zu "
		    "witness(es), fewer than the quorum %zu\n", ok, cfg->n,
		    cfg->quorum);
		r = BG_EXIT_FAIL;
	}
	free(cfg);
	return r;
}

/* audit export --format ocsf|jsonl|cef [--since T] (docs/export.md). */
static int
cmd_export(struct bg_cli *cli, int argc, char **argv)
{
	const char *format = NULL, *since = NULL, *pos[1];
	struct bg_cli_opt opts[] = {
		{ "--format", &format, NULL, NULL, 0, NULL },
		{ "--since", &since, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	enum bg_export_format f;
	bg_audit_t *log = NULL;
	size_t npos;
	int r;

	if (bg_cli_opts(argc, argv, opts, pos, 0, &npos) != 0 ||
	    format == NULL)
		return BG_EXIT_USAGE;
	if (strcmp(format, "jsonl") == 0)
		f = BG_EXPORT_JSONL;
	else if (strcmp(format, "cef") == 0)
		f = BG_EXPORT_CEF;
	else if (strcmp(format, "ocsf") == 0)
		f = BG_EXPORT_OCSF;
	else {
		bg_cli_error("audit export: --format is ocsf, jsonl or cef");
		return BG_EXIT_USAGE;
	}
	if ((r = open_log(cli, BG_AUDIT_READ, &log)) != BG_EXIT_OK)
		return r;
	r = bg_export(log, f, since, NULL, stdout, NULL);
	bg_audit_close(&log);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("audit export", r);
}

static int
cmd_vkey(struct bg_cli *cli, int argc, char **argv)
{
	bg_audit_t *log = NULL;
	char vkey[256];
	int r;

	(void)argv;
	if ((r = open_read_only(cli, argc, &log)) != BG_EXIT_OK)
		return r;
	if ((r = bg_audit_verifier_key(log, vkey, sizeof(vkey))) == BG_OK)
		printf("%s\n", vkey);
	bg_audit_close(&log);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("verifier key", r);
}

static void
print_b64(const char *label, const uint8_t h[32])
{
	char b64[64];

	bg_b64_encode(h, 32, b64, sizeof(b64));
	printf("%s%s\n", label, b64);
}

static void
print_proof(const struct bg_audit_proof *p, int consistency)
{
	size_t i;

	if (consistency) {
		printf("old size %llu\nnew size %llu\n",
		    (unsigned long long)p->index, (unsigned long long)p->size);
		print_b64("old root ", p->old_root);
	} else {
		printf("leaf index %llu\ntree size %llu\n",
		    (unsigned long long)p->index, (unsigned long long)p->size);
		print_b64("leaf hash ", p->leaf);
	}
	print_b64("root ", p->root);
	for (i = 0; i < p->len; i++)
		print_b64("proof ", p->hash[i]);
}

/* Inclusion proof of entry a in size b, or consistency between a and b. */
static int
run_proof(struct bg_cli *cli, int consistency, uint64_t a, uint64_t b)
{
	struct bg_audit_proof p;
	bg_audit_t *log = NULL;
	int r;

	if ((r = open_log(cli, BG_AUDIT_READ, &log)) != BG_EXIT_OK)
		return r;
	r = consistency ? bg_audit_prove_consistency(log, a, b, &p) :
	    bg_audit_prove(log, a, b, &p);
	if (r == BG_OK)
		print_proof(&p, consistency);
	bg_audit_close(&log);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail(consistency ?
	    "consistency proof" : "inclusion proof", r);
}

/*
 * bg_audit_prove() takes size 0 for "the current size"; on the command
 * line that is what leaving --size out means, and "--size 0" asks for a
 * tree with no entries, which holds none to prove.
 */
static int
cmd_prove(struct bg_cli *cli, int argc, char **argv)
{
	unsigned long long seq, size = 0;

	if (!((argc == 1 || (argc == 3 && strcmp(argv[1], "--size") == 0 &&
	    bg_cli_u64(argv[2], &size) == 0)) && bg_cli_u64(argv[0], &seq) == 0))
		return BG_EXIT_USAGE;
	if (argc == 3 && size == 0) {
		bg_clear_why();
		bg_cli_error("--size 0: an empty tree has no entries to prove; "
		    "give a size above SEQ, or leave --size out for the "
		    "current size");
		return BG_EXIT_USAGE;
	}
	return run_proof(cli, 0, seq, size);
}

static int
cmd_consistency(struct bg_cli *cli, int argc, char **argv)
{
	unsigned long long old_size, new_size;

	if (argc != 2 || bg_cli_u64(argv[0], &old_size) != 0 ||
	    bg_cli_u64(argv[1], &new_size) != 0)
		return BG_EXIT_USAGE;
	if (new_size == 0) {	/* 0 would mean "current" to the library */
		bg_clear_why();
		bg_cli_error("NEW 0: an empty tree has nothing to be "
		    "consistent with; need 0 < OLD <= NEW");
		return BG_EXIT_USAGE;
	}
	return run_proof(cli, 1, old_size, new_size);
}

static void
progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rverifying: %llu / %llu entries",
	    (unsigned long long)done, (unsigned long long)total);
	if (done >= total)
		fputc('\n', stderr);
}

static int
read_arg_file(const char *path, size_t max, char **buf, size_t *len)
{
	int r;

	if ((r = bg_file_read(path, max, buf, len)) != BG_OK)
		bg_cli_error("cannot read %s: %s", path, bg_strerror(r));
	return r;
}

static int
verify_args(int argc, char **argv, struct bg_audit_verify_opts *o,
    char **cp, char **key, const char **fp)
{
	size_t len;
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fingerprint") == 0 && *fp == NULL) {
			*fp = argv[i + 1];
			continue;
		}
		if (strcmp(argv[i], "--checkpoint") == 0 && *cp == NULL) {
			if (read_arg_file(argv[i + 1], CHECKPOINT_FILE_MAX, cp,
			    &o->old_checkpoint_len) != BG_OK)
				return BG_EXIT_FAIL;
			o->old_checkpoint = *cp;
		} else if (strcmp(argv[i], "--key") == 0 && *key == NULL) {
			if (read_arg_file(argv[i + 1], 1024, key, &len) != BG_OK)
				return BG_EXIT_FAIL;
			(*key)[strcspn(*key, "\n")] = '\0';
			o->vkey = *key;
		} else
			return BG_EXIT_USAGE;
	}
	return i == argc ? BG_EXIT_OK : BG_EXIT_USAGE;
}

static int
verify_report(int r, const struct bg_audit_verify_result *res)
{
	if (r == BG_OK) {
		printf("ok: %llu entries verified against the signed checkpoint\n",
		    (unsigned long long)res->entries);
		if (res->reason[0] != '\0')
			fprintf(stderr, "breakglass: %s\n", res->reason);
		return BG_EXIT_OK;
	}
	if (r != BG_ETAMPER && r != BG_ECONSIST && r != BG_ESIG)
		return bg_cli_fail("cannot verify the audit log", r);
	if (res->bad)
		printf("TAMPERED: entry %llu: %s\n",
		    (unsigned long long)res->bad_seq, res->reason);
	else
		printf("TAMPERED: %s\n", res->reason);
	return BG_EXIT_TAMPER;
}

/*
 * Derived files a power loss left wrong: a warning, and made again from
 * the entries (the verify just checked them). Not an alarm: nothing
 * trusts them unchecked (docs/audit.md "After a crash").
 */
static void
rebuild(const struct bg_cli *cli, const struct bg_audit_verify_result *res)
{
	int r;

	bg_cli_error("%s", res->derived);
	if ((r = bg_audit_rebuild(cli->audit_dir)) == BG_OK)
		bg_cli_error("rebuilt audit/tree and audit/index from the "
		    "entries");
	else
		bg_cli_error("could not rebuild them now (%s%s%s): run audit "
		    "verify again where it can write the log", bg_strerror(r),
		    bg_why()[0] != '\0' ? ": " : "", bg_why());
}

/*
 * The governance pass (docs/audit.md "Governance"): the chain rebuilt
 * from the log and every token-signed entry re-verified against it; the
 * genesis compared with the fingerprint the auditor holds, when given.
 */
static int
verify_governance(const struct bg_cli *cli, uint64_t n, const char *want,
    char *reason, size_t reasonsz)
{
	struct bg_gov_check g;
	char fp[65], path[1100];
	int r;

	if ((r = bg_path_join(path, sizeof(path), cli->audit_dir,
	    "entries.jsonl")) != BG_OK)
		return bg_cli_fail("cannot read the audit log", r);
	r = bg_cer_audit_governance(path, n, &g);
	bg_chain_hex(g.fp, fp);
	if (r == BG_OK && want != NULL && (!g.armed || strcasecmp(want,
	    fp) != 0)) {
		snprintf(g.reason, sizeof(g.reason), "the genesis in this log "
		    "is not the fingerprint given (%s): another vault, or a "
		    "forged chain", g.armed ? fp : "no genesis");
		r = BG_ETAMPER;
	}
	if (r == BG_ETAMPER) {
		printf("TAMPERED: governance: %s\n", g.reason);
		snprintf(reason, reasonsz, "governance: %.200s", g.reason);
		return BG_EXIT_TAMPER;
	}
	if (r != BG_OK)
		return bg_cli_fail("cannot check the log's governance", r);
	if (g.armed)
		printf("ok: governance: %llu chain link(s) from genesis %s; "
		    "%llu token signatures re-verified\n",
		    (unsigned long long)g.links, fp,
		    (unsigned long long)g.signatures);
	else
		printf("ok: governance: no genesis yet\n");
	return BG_EXIT_OK;
}

static int
cmd_verify(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_audit_verify_opts o;
	struct bg_audit_verify_result res;
	char *cp = NULL, *key = NULL;
	const char *fp = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	if ((r = verify_args(argc, argv, &o, &cp, &key, &fp)) == BG_EXIT_OK &&
	    (r = bg_cli_check_state(cli)) == BG_EXIT_OK) {
		if (isatty(STDERR_FILENO))
			o.progress = progress;
		r = verify_report(bg_audit_verify(cli->audit_dir, &o, &res), &res);
		if (r == BG_EXIT_OK && res.derived_bad)
			rebuild(cli, &res);
		if (r == BG_EXIT_OK)
			r = verify_cosigs(cli, cp, o.old_checkpoint_len,
			    res.reason, sizeof(res.reason));
		if (r == BG_EXIT_OK)
			r = verify_governance(cli, res.entries, fp, res.reason,
			    sizeof(res.reason));
		if (r == BG_EXIT_TAMPER)
			bg_alert_report(cli->state, "audit.verify_failed",
			    res.reason);
	}
	free(cp);
	free(key);
	return r;
}

int bg_cli_audit_show(struct bg_cli *cli, int argc, char **argv);
int
bg_cli_audit(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "init", cmd_init, "audit init [--origin NAME]" },
		{ "note", cmd_note, "audit note TEXT [--as NAME]" },
		{ "show", bg_cli_audit_show, "audit show [--seq A..B] "
		    "[--since TIME] [--until TIME] [--event E] [--actor A] "
		    "[--account X] [--request R] [--json]" },
		{ "verify", cmd_verify, "audit verify [--checkpoint FILE] "
		    "[--key FILE] [--fingerprint HEX]" },
		{ "checkpoint", cmd_checkpoint, "audit checkpoint" },
		{ "cosign", cmd_cosign, "audit cosign" },
		{ "export", cmd_export, "audit export --format ocsf|jsonl|cef "
		    "[--since T]" },
		{ "prove", cmd_prove, "audit prove SEQ [--size N]" },
		{ "consistency", cmd_consistency, "audit consistency OLD NEW" },
		{ "verifier-key", cmd_vkey, "audit verifier-key" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "audit", cmds, argc, argv);
}
