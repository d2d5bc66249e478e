/* Internals shared by the ceremony's files (ceremony*.c). */
#ifndef BG_CER_INT_H
#define BG_CER_INT_H

#include "broker/ceremony/ceremony.h"

#define RQ_PATH_MAX (sizeof("requests/.json") + BG_REQUEST_ID_LEN)

/*
 * Records "request.refused" (command cmd, the error and bg_why()) and
 * returns err, or the audit failure when the entry cannot be made.
 */
int cer_refuse(struct bg_cer *c, const char *cmd, const char *id,
    const char *account, const char *actor, int err);
/*
 * Loads requests/<id>.json after checking it is the version the audit
 * log last recorded (BG_ETAMPER otherwise).
 */
int cer_load(struct bg_cer *c, const char *id, struct bg_rqfile **f);
/* Writes it; the event is recorded first with the file's hash. */
int cer_save(struct bg_cer *c, const struct bg_rqfile *f, const char *event,
    const char *actor, cJSON *detail);

/* The groups the request's items need, in policy order. */
int cer_groups(struct bg_cer *c, const struct bg_rqfile *f,
    const char **groups, size_t *n);

/* AAD of a share sealed to the request key, and of the request key. */
size_t cer_aad_approval(const struct bg_cer *c, const struct bg_rqfile *f,
    const char *group, const char *custodian, uint8_t x, char *out,
    size_t outsz);
size_t cer_aad_request_key(const struct bg_cer *c, const struct bg_rqfile *f,
    char *out, size_t outsz);

/* BG_EPERM unless the request is open and not expired. */
int cer_open_check(struct bg_cer *c, const struct bg_rqfile *f);
/* Free text shown to people (reasons): no control character. */
int cer_text_ok(const char *s, size_t max);

/* The open request's approvals as the policy counts them. */
int cer_quorum(struct bg_cer *c, const struct bg_rqfile *f, char *why,
    size_t whysz);

#endif
