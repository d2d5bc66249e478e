/*
 * fuzz_custody_config: the "custody" member of breakglass.json
 * (broker/custody/config.c). It may not crash or leak; what it accepts
 * must hold its invariants: days in range, valid distinct account ids,
 * 1..16 distinct valid holder names per channel, at most 8 MFA devices
 * with distinct names, valid personal addresses under distinct names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/custody/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_custody_config: %s:%d: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

static void
check_names(const struct bg_custody_names *n)
{
	size_t i, j;

	CHECK(n->n >= 1 && n->n <= BG_CUSTODY_HOLDERS_MAX);
	for (i = 0; i < n->n; i++) {
		CHECK(bg_name_valid(n->name[i]));
		for (j = 0; j < i; j++)
			CHECK(!bg_name_same(n->name[i], n->name[j]));
	}
}

static void
check(const struct bg_custody_config *c)
{
	size_t i, j, m;

	CHECK(c->max_age_days >= 1 && c->max_age_days <= BG_CUSTODY_AGE_MAX);
	CHECK(c->rotation_days >= 1 &&
	    c->rotation_days <= BG_CUSTODY_ROTATION_MAX);
	CHECK(c->naccounts <= BG_VAULT_ACCOUNTS_MAX);
	for (i = 0; i < c->naccounts; i++) {
		const struct bg_custody_account *a = &c->accounts[i];

		CHECK(bg_account_valid(a->account));
		CHECK(bg_custody_config_account(c, a->account) == a);
		check_names(&a->email_inbox);
		check_names(&a->phone);
		CHECK(a->nmfa <= BG_CUSTODY_MFA_MAX);
		for (m = 0; m < a->nmfa; m++) {
			CHECK(bg_name_valid(a->mfa[m].name));
			check_names(&a->mfa[m].holders);
			for (j = 0; j < m; j++)
				CHECK(!bg_name_same(a->mfa[m].name,
				    a->mfa[j].name));
		}
	}
	for (i = 0; i < c->nemails; i++) {
		CHECK(bg_name_valid(c->emails[i].person));
		CHECK(bg_vault_email_valid(c->emails[i].email));
		for (j = 0; j < i; j++)
			CHECK(!bg_name_same(c->emails[i].person,
			    c->emails[j].person));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bg_custody_config c;

	if (bg_custody_config_parse((const char *)data, size, &c) == BG_OK)
		check(&c);
	bg_custody_config_free(&c);
	return 0;
}
