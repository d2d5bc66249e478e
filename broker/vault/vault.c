/* The vault's model: lookups, editing, loading and saving (vault.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "broker/state/state.h"
#include "broker/vault/vault.h"

int
bg_vault_new(struct bg_vault **out)
{
	struct bg_vault *v;
	int r;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return BG_ENOMEM;
	if (RAND_bytes(v->id, sizeof(v->id)) != 1) {
		free(v);
		return BG_ECRYPTO;
	}
	bg_hex_encode(v->id, sizeof(v->id), v->id_hex, sizeof(v->id_hex));
	v->created = (uint64_t)time(NULL);
	v->production = bg_state_production();
	if ((r = bg_policy_default(&v->policy)) != BG_OK) {
		free(v);
		return r;
	}
	*out = v;
	return BG_OK;
}

static void
account_free(struct bg_vault_account *a)
{
	size_t i;

	for (i = 0; i < a->nitems; i++)
		bg_v2_version_free(&a->items[i].ver);
	free(a->items);
}

void
bg_vault_free(struct bg_vault **vp)
{
	struct bg_vault *v;
	size_t i, t;

	if (vp == NULL || (v = *vp) == NULL)
		return;
	for (i = 0; i < v->npeople; i++)
		for (t = 0; t < v->people[i].ntokens; t++)
			bg_token_desc_free(&v->people[i].tokens[t]);
	for (i = 0; i < v->naccounts; i++)
		account_free(&v->accounts[i]);
	free(v->people);
	free(v->accounts);
	bg_policy_free(&v->policy);
	free(v);
	*vp = NULL;
}

/* ============================================================= lookups */

struct bg_vault_account *
bg_vault_account(const struct bg_vault *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->naccounts; i++)
		if (strcmp(v->accounts[i].id, id) == 0)
			return &v->accounts[i];
	return NULL;
}

struct bg_vault_person *
bg_vault_person(const struct bg_vault *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->npeople; i++)
		if (strcmp(v->people[i].name, name) == 0)
			return &v->people[i];
	return NULL;
}

struct bg_vault_person *
bg_vault_person_like(const struct bg_vault *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->npeople; i++)
		if (bg_name_same(v->people[i].name, name))
			return &v->people[i];
	return NULL;
}

struct bg_vault_item *
bg_vault_item(const struct bg_vault_account *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nitems; i++)
		if (strcmp(a->items[i].name, name) == 0)
			return &a->items[i];
	return NULL;
}

int
bg_vault_person_token(const struct bg_vault_person *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->ntokens; i++)
		if (strcmp(bg_token_desc_id(p->tokens[i]), id) == 0)
			return (int)i;
	return -1;
}

/* ============================================================= editing */

int
bg_vault_account_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > BG_ACCOUNT_NAME_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* A plain address: local@domain, printable ASCII without space. */
int
bg_vault_email_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s), i;

	if (n < 3 || n > BG_EMAIL_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '.') == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* Grows *arr (of *n elements of size el) by one zeroed element. */
static void *
grow(void *arrp, size_t *n, size_t el, size_t max)
{
	void **arr = arrp;
	char *p;

	if (*n >= max)
		return NULL;
	if ((p = realloc(*arr, (*n + 1) * el)) == NULL)
		return NULL;
	*arr = p;
	memset(p + *n * el, 0, el);
	return p + (*n)++ * el;
}

int
bg_vault_add_account(struct bg_vault *v, const char *id, const char *name,
    const char *email)
{
	struct bg_vault_account *a;
	size_t i;

	if (!bg_account_valid(id) || !bg_vault_account_name_valid(name) ||
	    !bg_vault_email_valid(email)) {
		bg_set_why("%s", !bg_account_valid(id) ? "invalid account id" :
		    !bg_vault_account_name_valid(name) ? "invalid account name "
		    "(1-64 printable ASCII characters)" : "invalid root e-mail "
		    "address");
		return BG_EINVAL;
	}
	for (i = 0; i < v->naccounts; i++)
		if (strcmp(v->accounts[i].id, id) == 0 ||
		    strcasecmp(v->accounts[i].name, name) == 0) {
			bg_set_why("account %s (%s) is already in the vault",
			    v->accounts[i].id, v->accounts[i].name);
			return BG_EEXIST;
		}
	if ((a = grow(&v->accounts, &v->naccounts, sizeof(*a),
	    BG_VAULT_ACCOUNTS_MAX)) == NULL)
		return v->naccounts >= BG_VAULT_ACCOUNTS_MAX ? BG_ETOOBIG :
		    BG_ENOMEM;
	memcpy(a->id, id, strlen(id) + 1);
	memcpy(a->name, name, strlen(name) + 1);
	memcpy(a->email, email, strlen(email) + 1);
	return BG_OK;
}

int
bg_vault_add_person(struct bg_vault *v, const char *name, int requester,
    struct bg_vault_person **out)
{
	struct bg_vault_person *p;

	if (!bg_name_valid(name)) {
		bg_set_why("invalid name '%s'", name);
		return BG_EINVAL;
	}
	if ((p = bg_vault_person_like(v, name)) != NULL &&
	    strcmp(p->name, name) != 0) {
		bg_set_why("'%s' is already known as '%s'", name, p->name);
		return BG_EEXIST;
	}
	if (p == NULL) {
		if ((p = grow(&v->people, &v->npeople, sizeof(*p),
		    BG_VAULT_PEOPLE_MAX)) == NULL)
			return BG_ETOOBIG;
		memcpy(p->name, name, strlen(name) + 1);
	}
	if (requester)
		p->requester = 1;
	if (out != NULL)
		*out = p;
	return BG_OK;
}

int
bg_vault_add_token(struct bg_vault *v, const char *person,
    bg_token_desc_t *desc)
{
	struct bg_vault_person *p = bg_vault_person(v, person);
	size_t i, t;

	if (p == NULL) {
		bg_set_why("no person named '%s' (add them first)", person);
		return BG_ENOENT;
	}
	for (i = 0; i < v->npeople; i++)
		for (t = 0; t < v->people[i].ntokens; t++)
			if (bg_token_desc_same(v->people[i].tokens[t], desc)) {
				bg_set_why("this token is already enrolled for "
				    "%s: a token is one person's alone",
				    v->people[i].name);
				return BG_EEXIST;
			}
	if (p->ntokens >= BG_VAULT_TOKENS_MAX) {
		bg_set_why("%s already has %d tokens", person,
		    BG_VAULT_TOKENS_MAX);
		return BG_ETOOBIG;
	}
	p->tokens[p->ntokens++] = desc;
	return BG_OK;
}

int
bg_vault_remove_token(struct bg_vault *v, const char *person, const char *id)
{
	struct bg_vault_person *p = bg_vault_person(v, person);
	int t;

	if (p == NULL || (t = bg_vault_person_token(p, id)) < 0) {
		bg_set_why("%s holds no token %s", person, id);
		return BG_ENOENT;
	}
	bg_token_desc_free(&p->tokens[t]);
	memmove(&p->tokens[t], &p->tokens[t + 1], (p->ntokens - (size_t)t -
	    1) * sizeof(p->tokens[0]));
	p->tokens[--p->ntokens] = NULL;
	return BG_OK;
}

/* ============================================================= checking */

static int
inconsistent(const char *what, const char *a, const char *b)
{
	bg_set_why("vault.json: %s %s: %s", a, b, what);
	return BG_EFORMAT;
}

static int
check_member(const struct bg_vault *v, const struct bg_vault_item *it,
    const struct bg_v2_group *g, size_t i)
{
	const struct bg_v2_member *m = &g->m[i];
	const struct bg_vault_person *p = bg_vault_person(v, m->person);
	size_t t, j;

	if (p == NULL)
		return inconsistent("a box held by nobody known", it->name,
		    m->person);
	if (m->x != i + 1 || m->ntokens == 0)
		return inconsistent("members out of order or without a box",
		    it->name, m->person);
	for (t = 0; t < m->ntokens; t++)
		if (bg_vault_person_token(p, m->token[t]) < 0)
			return inconsistent("a box for an unknown token",
			    it->name, m->person);
	for (j = 0; j < i; j++)
		if (bg_name_same(g->m[j].person, m->person))
			return inconsistent("a member repeated", it->name,
			    m->person);
	return BG_OK;
}

static int
check_item(const struct bg_vault *v, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	const struct bg_v2_version *ver = it->ver;
	size_t g, j, m;
	int r;

	if (bg_vault_item(a, it->name) != it || ver == NULL || ver->ng == 0)
		return inconsistent("item repeated or without groups", a->id,
		    it->name);
	for (g = 0; g < ver->ng; g++) {
		if (ver->g[g].t < 2 || ver->g[g].n < ver->g[g].t)
			return inconsistent("a threshold below 2 or above the "
			    "members", it->name, ver->g[g].name);
		for (j = 0; j < g; j++)
			if (strcmp(ver->g[j].name, ver->g[g].name) == 0)
				return inconsistent("a group repeated",
				    it->name, ver->g[g].name);
		for (m = 0; m < ver->g[g].n; m++)
			if ((r = check_member(v, it, &ver->g[g], m)) != BG_OK)
				return r;
	}
	return BG_OK;
}

static int
check_account(const struct bg_vault *v, const struct bg_vault_account *a)
{
	size_t i;
	int r;

	if (bg_vault_account(v, a->id) != a)
		return inconsistent("listed twice", "account", a->id);
	for (i = 0; i < a->nitems; i++)
		if ((r = check_item(v, a, &a->items[i])) != BG_OK)
			return r;
	return BG_OK;
}

int
bg_vault_check(const struct bg_vault *v)
{
	size_t i;
	int r;

	for (i = 0; i < v->npeople; i++)
		if (bg_vault_person_like(v, v->people[i].name) != &v->people[i])
			return inconsistent("listed twice", "person",
			    v->people[i].name);
	for (i = 0; i < v->naccounts; i++)
		if ((r = check_account(v, &v->accounts[i])) != BG_OK)
			return r;
	return BG_OK;
}
