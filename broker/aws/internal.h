/* broker/aws/: what its files share, not part of aws.h. */
#ifndef BG_AWS_INTERNAL_H
#define BG_AWS_INTERNAL_H

#include <stdint.h>

#include "broker/aws/aws.h"

int bg_aws_creds_copy(const struct bg_aws_creds *from,
    struct bg_aws_creds *to);
/* form-urlencoded value of s appended to out at *pos. */
int bg_aws_form_add(char *out, size_t outsz, size_t *pos, const char *key,
    const char *val);

/* The text between in and in_end, decoded (no element inside). */
int bg_aws_xml_range(const char *in, const char *in_end, char *out,
    size_t outsz);

/* api.c: the actions (docs/aws.md names each). */
int bg_aws_summary(struct bg_aws *a, struct bg_aws_root *root);
int bg_aws_root_mfa(struct bg_aws *a, const char *account, int root_session,
    int *n);
int bg_aws_org_features(struct bg_aws *a, int *central_root,
    int *sessions);
int bg_aws_assume_root(struct bg_aws *a, const char *account,
    struct bg_aws_creds *cr);
int bg_aws_assume_role(struct bg_aws *a, const char *role_arn,
    struct bg_aws_creds *cr);
int bg_aws_org_accounts(struct bg_aws *a, struct bg_aws_org_account **m,
    size_t *n, int *in_use);

#endif /* BG_AWS_INTERNAL_H */
