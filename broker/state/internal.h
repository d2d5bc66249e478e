/* broker/state/: what state.c and fold.c share, not part of state.h. */
#ifndef BG_STATE_INTERNAL_H
#define BG_STATE_INTERNAL_H

#include "broker/state/state.h"

/*
 * The record of the last hash the log named for each state file, as a
 * fold: started empty (arr NULL) or from a snapshot's
 * [[file, sha256], ...] (BG_EFORMAT for anything else), fed one entry
 * line at a time, printed in the order the files were first named (the
 * same entries always give the same text).
 */
int bg_state_recorded_from_json(const cJSON *arr,
    struct bg_state_recorded **out);
int bg_state_recorded_line(struct bg_state_recorded *rec, uint64_t seq,
    const char *line, size_t len);
int bg_state_recorded_to_json(const struct bg_state_recorded *rec,
    cJSON **out);
void bg_state_recorded_free(struct bg_state_recorded *rec);

/* st's cache started from a snapshot of entries 0..size-1. */
int bg_state_recorded_seed(struct bg_state *st, const cJSON *arr,
    uint64_t size);

#endif /* BG_STATE_INTERNAL_H */
