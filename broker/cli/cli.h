/*
 * broker/cli/: what the command files share. Only main() exits;
 * subcommands return an exit code.
 */
#ifndef BG_CLI_H
#define BG_CLI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "tokens/token.h"

/* Exit codes (README "CLI reference", breakglass(1)). */
enum bg_exit {
	BG_EXIT_OK = 0,
	BG_EXIT_FAIL = 1,	/* the operation failed; nothing was changed */
	BG_EXIT_USAGE = 2,	/* bad command line */
	BG_EXIT_TAMPER = 3,	/* tampering detected */
};

struct bg_cli {
	const char *state;	/* state directory */
	char audit_dir[1024];	/* state/audit */
	/* production: the client of breakglassd (socket from the
	 * root-owned configuration), no state of its own */
	int remote;
	const char *conf_path;
};

/*
 * Runs one command (argv[0] its name) as this process: the table of
 * every command. An exit code.
 */
int bg_cli_run(struct bg_cli *cli, int argc, char **argv);
/*
 * Production (client.c): the command through breakglassd. A command that
 * needs no state (token list, password ...) runs here; request, approve,
 * deny and release touch here and the daemon checks and writes (a
 * release opens here, after the daemon recorded it); every other command
 * is run by the daemon, which refuses what it does not serve.
 */
int bg_cli_remote(struct bg_cli *cli, int argc, char **argv);
int bg_cli_remote_approve(struct bg_cli *cli, const char *id, const char *as,
    const char *pin_fd);
struct bg_cer_ask;
int bg_cli_remote_request(struct bg_cli *cli, struct bg_cer_ask *q,
    const char *pin_fd);
int bg_cli_remote_deny(struct bg_cli *cli, const char *id, const char *as,
    const char *reason, const char *pin_fd);
int bg_cli_remote_release(struct bg_cli *cli, const char *id, const char *as,
    int reveal, const char *pin_fd);
/*
 * A command touched here: op with args (taken) to the daemon, its kit
 * checked as a ceremony (c), take() makes the answer (*sub) from it, the
 * daemon's result printed and its exit code returned.
 */
struct bg_cer;
typedef int (*bg_cli_take_fn)(struct bg_cer *c, const cJSON *kit, void *ctx,
    cJSON **sub);
int bg_cli_remote_steps(struct bg_cli *cli, const char *op, cJSON *args,
    const char *pin_fd, bg_cli_take_fn take, void *ctx);
/* change approve (reason NULL) or change deny, touched here. */
int bg_cli_remote_change(struct bg_cli *cli, const char *id, const char *as,
    const char *reason, const char *pin_fd);
/* What a release opened, printed (TOTP items as codes unless reveal). */
struct bg_released;
void bg_cli_show_items(const struct bg_released *items, size_t n,
    int reveal_seed);
/* Token options: prompts on stderr, the PIN from --pin-fd (may be NULL). */
struct bg_token_opts;
int bg_cli_token_opts(const char *pin_fd, struct bg_token_opts *o);

/* Prints "breakglass: msg" (and the library's detail, if any) to stderr. */
void bg_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Maps a BG_E* code from an operation to an exit code and prints it. */
int bg_cli_fail(const char *what, int err);
/*
 * The name entries record for the person running the command when it
 * names none (--as): the effective user's login name, or "uid:N" when it
 * has none that is clean text.
 */
const char *bg_cli_login_name(void);
/*
 * The state directory's permission rule (bg_state_check_perms), for
 * commands that open the audit log directly: an exit code, the refusal
 * printed.
 */
int bg_cli_check_state(const struct bg_cli *cli);
/*
 * Every argument must be clean text (common/text.c): -1, with a message
 * naming the argument (not its bytes), when one is not.
 */
int bg_cli_args_text(int argc, char **argv);
/* Parses a decimal u64 strictly. 0 on success. */
int bg_cli_u64(const char *s, unsigned long long *out);

/* A subcommand table, ended by a NULL name. */
struct bg_cli_cmd {
	const char *name;
	int (*fn)(struct bg_cli *cli, int argc, char **argv);
	const char *usage;
};
/* Runs argv[0] from cmds; prints usage on BG_EXIT_USAGE. */
int bg_cli_dispatch(struct bg_cli *cli, const char *group,
    const struct bg_cli_cmd *cmds, int argc, char **argv);

/*
 * Options of one command: "--name VALUE" (val set) or "--name" (flag
 * set); repeat == 1 lets a valued option appear up to max times, its
 * values collected in vals. Other words are positional (at most maxpos).
 * Returns 0, or -1 for an unknown or repeated option or a missing value.
 */
struct bg_cli_opt {
	const char *name;
	const char **val;	/* valued option */
	int *flag;		/* or a flag */
	const char **vals;	/* or repeated: up to max values */
	size_t max, *n;
};
int bg_cli_opts(int argc, char **argv, const struct bg_cli_opt *opts,
    const char **pos, size_t maxpos, size_t *npos);

int bg_cli_audit(struct bg_cli *cli, int argc, char **argv);
int bg_cli_token(struct bg_cli *cli, int argc, char **argv);
int bg_cli_vault(struct bg_cli *cli, int argc, char **argv);
int bg_cli_password(struct bg_cli *cli, int argc, char **argv);
int bg_cli_audit_show(struct bg_cli *cli, int argc, char **argv);
int bg_cli_alerts(struct bg_cli *cli, int argc, char **argv);
int bg_cli_aws(struct bg_cli *cli, int argc, char **argv);
/* admin.c: the vault's set-up */
int bg_cli_init(struct bg_cli *cli, int argc, char **argv);
int bg_cli_account(struct bg_cli *cli, int argc, char **argv);
int bg_cli_custodian(struct bg_cli *cli, int argc, char **argv);
int bg_cli_requester(struct bg_cli *cli, int argc, char **argv);
int bg_cli_policy(struct bg_cli *cli, int argc, char **argv);
int bg_cli_vault_arm(struct bg_cli *cli, int argc, char **argv);
int bg_cli_vault_fingerprint(struct bg_cli *cli, int argc, char **argv);
int bg_cli_change(struct bg_cli *cli, int argc, char **argv);
int bg_cli_vault_show(struct bg_cli *cli, int argc, char **argv);
/* token enroll NAME ...: enrolls a token for a person in the vault. */
struct bg_token_opts;
int bg_cli_token_remove(struct bg_cli *cli, int argc, char **argv);
int bg_cli_enroll_person(struct bg_cli *cli, const char *person, int kind,
    const struct bg_token_opts *o);
/* The same with a descriptor made in a client (taken; breakglassd). */
int bg_cli_enroll_desc(struct bg_cli *cli, const char *person,
    bg_token_desc_t *desc);
/* token enroll NAME in production: the descriptor made here, sent. */
int bg_cli_remote_enroll(struct bg_cli *cli, const char *person,
    bg_token_desc_t *desc);
/* session.c, ceremony.c */
/*
 * Opens the vault for a command (bg_cer_begin) with the token options:
 * prompts on stderr, the PIN from --pin-fd when pin_fd is not NULL.
 * Returns an exit code; BG_EXIT_OK when c is open.
 */
struct bg_cer;
/* Token prompts (touch, PIN) go to standard error. */
void bg_cli_prompt(void *ctx, const char *msg);
int bg_cli_cer_begin(struct bg_cli *cli, struct bg_cer *c,
    const char *pin_fd);
/* Closes c, delivers alerts, and maps r to an exit code (with why). */
int bg_cli_cer_finish(struct bg_cli *cli, struct bg_cer *c, const char *what,
    int r);
/* The same for a command that opened only the state. */
struct bg_state;
int bg_cli_state_finish(struct bg_cli *cli, struct bg_state *st,
    const char *what, int r);
/* The same for a command that holds neither open. */
int bg_cli_finish(struct bg_cli *cli, const char *what, int r);
int bg_cli_seal(struct bg_cli *cli, int argc, char **argv);
int bg_cli_request(struct bg_cli *cli, int argc, char **argv);
int bg_cli_approve(struct bg_cli *cli, int argc, char **argv);
int bg_cli_deny(struct bg_cli *cli, int argc, char **argv);
int bg_cli_release(struct bg_cli *cli, int argc, char **argv);
int bg_cli_status(struct bg_cli *cli, int argc, char **argv);
int bg_cli_rekey(struct bg_cli *cli, int argc, char **argv);
/* custody.c, config.c (docs/custody.md) */
int bg_cli_custody(struct bg_cli *cli, int argc, char **argv);
int bg_cli_config(struct bg_cli *cli, int argc, char **argv);

#endif
