/*
 * broker/steps/: the commands whose touch happens apart from the state
 * (approve, request, deny, release, change approve and deny, seal,
 * custody attest, rekey contribute and accept), each in two steps with
 * the state open: the checks and the kit; then, once the person has
 * touched and typed with the state closed, the checks again and the
 * write of the answer ("submit"). breakglassd serves them over its
 * socket; a rehearsal runs them in one process. Either way no lock is
 * held while a person is awaited (docs/design.md §2.9).
 */
#ifndef BG_STEPS_H
#define BG_STEPS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "broker/ceremony/ceremony.h"

/*
 * One command: its checks and the kit, and its checks again and the
 * write of the answer sub; *after (may stay NULL) goes back with the
 * result (a release's request file, only once release.done is recorded).
 */
struct bg_step {
	const char *op;
	const char *what;	/* the refusal's words */
	const char *failed;	/* the event of a failure at the touch */
	const char *cmd;	/* ... and the command it names */
	int (*kit)(struct bg_cer *c, const cJSON *args, cJSON **kit);
	int (*submit)(struct bg_cer *c, const cJSON *args, const cJSON *kit,
	    const cJSON *sub, cJSON **after);
};

/* The step named op (the wire's op), or NULL. */
const struct bg_step *bg_step_of(const char *op);

/*
 * The kit of st for args, with the state in dir opened (the writer lock
 * taken) and closed again before returning; out receives what the
 * command says.
 */
int bg_step_kit(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, cJSON **kit);
/* The answer sub to that kit, checked and written likewise. */
int bg_step_submit(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, const cJSON *kit, const cJSON *sub, cJSON **after);

/*
 * A failure between the two steps, where the person touches (a token not
 * touched, unplugged, another token, a kit that does not verify): err
 * (why kept) recorded as st->failed, naming the "id", "as" and "account"
 * of args that are there.
 */
int bg_step_failed(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, int err);

/*
 * A released request whose items did not open in the requester's client
 * (a bad share names its approver): recorded as release.open_failed,
 * alerted. The claim is the client's; nothing here can check it.
 */
int bg_step_open_failed(const char *dir, FILE *out, const char *id,
    const char *as, const char *reason);

#endif /* BG_STEPS_H */
