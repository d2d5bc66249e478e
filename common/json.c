/*
 * common/json.c: strict JSON parsing and typed getters over cJSON.
 *
 * cJSON is lenient in ways that matter when two parsers must agree on
 * what a document says: it ignores trailing bytes, keeps duplicate keys
 * (GetObjectItem returns the first, other parsers the last) and silently
 * truncates strings at an escaped NUL. bg_json_parse() rejects all three
 * and bounds the nesting depth; the getters check every type and range.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/common.h"

/*
 * 1 when text holds the escape \u0000: cJSON would cut the string there,
 * so "ab\u0000cd" would read as "ab". A 'u' preceded by an odd run of
 * backslashes starts an escape; an even run is escaped backslashes.
 */
static int
has_escaped_nul(const char *text, size_t len)
{
	size_t i, j;

	for (i = 0; i + 6 <= len; i++) {
		if (text[i] != '\\' || memcmp(text + i + 1, "u0000", 5) != 0)
			continue;
		for (j = i; j > 0 && text[j - 1] == '\\'; j--)
			;
		if ((i - j) % 2 == 0)
			return 1;
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * 1 when obj (an object) has two members with byte-identical names (or
 * cannot be checked). Sorted, not pairwise: a frame of 100,000 distinct
 * keys cost 20 s of CPU pairwise (an insider review of breakglassd).
 */
static int
has_duplicate_key(const cJSON *obj)
{
	const cJSON *a;
	const char **keys;
	size_t n = 0, i;
	int dup = 0;

	for (a = obj->child; a != NULL; a = a->next, n++)
		if (a->string == NULL)
			return 1;
	if (n < 2)
		return 0;
	if ((keys = malloc(n * sizeof(*keys))) == NULL)
		return 1;
	for (a = obj->child, i = 0; a != NULL; a = a->next)
		keys[i++] = a->string;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n && !dup; i++)
		dup = strcmp(keys[i - 1], keys[i]) == 0;
	free(keys);
	return dup;
}

/*
 * Checks item and everything below it. depth counts the containers that
 * enclose item's children: the root array or object is at depth 1.
 */
static int
check_tree(const cJSON *item, int depth)
{
	const cJSON *c;

	if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
		return 0;
	if (depth > BG_JSON_MAX_DEPTH)
		return -1;
	if (cJSON_IsObject(item) && has_duplicate_key(item))
		return -1;
	for (c = item->child; c != NULL; c = c->next)
		if (check_tree(c, depth + 1) != 0)
			return -1;
	return 0;
}

cJSON *
bg_json_parse(const char *text, size_t len)
{
	const char *end = NULL;
	char *copy;
	cJSON *root;

	if (text == NULL || len == 0 || len == SIZE_MAX)
		return NULL;
	if (memchr(text, '\0', len) != NULL || has_escaped_nul(text, len))
		return NULL;
	/* A terminated copy: cJSON must never read past the caller's len. */
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, text, len);
	copy[len] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	/* Without require_null_terminated, end is just past the value. */
	if (root != NULL && (end != copy + len || check_tree(root, 1) != 0)) {
		cJSON_Delete(root);
		root = NULL;
	}
	bg_wipe(copy, len);	/* documents may carry secrets */
	free(copy);
	return root;
}

static int
key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(key, *allowed) == 0)
			return 1;
	return 0;
}

int
bg_json_only_keys(const cJSON *obj, const char *const *allowed)
{
	const cJSON *c;

	if (obj == NULL || allowed == NULL)
		return BG_EINVAL;
	if (!cJSON_IsObject(obj))
		return BG_EFORMAT;
	for (c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL || !key_allowed(c->string, allowed))
			return BG_EFORMAT;
		/* each at most once, even in a tree from a laxer parser */
		if (cJSON_GetObjectItemCaseSensitive(obj, c->string) != c)
			return BG_EFORMAT;
	}
	return BG_OK;
}

/* Looks key up case-sensitively; obj must be an object. */
static int
get_item(const cJSON *obj, const char *key, const cJSON **item)
{
	if (obj == NULL || key == NULL)
		return BG_EINVAL;
	if (!cJSON_IsObject(obj))
		return BG_EFORMAT;
	*item = cJSON_GetObjectItemCaseSensitive(obj, key);
	return *item == NULL ? BG_ENOENT : BG_OK;
}

/* The item under key when is() accepts its type. */
static int
get_typed(const cJSON *obj, const char *key, cJSON_bool (*is)(const cJSON *),
    const cJSON **out)
{
	const cJSON *it = NULL;
	int r;

	if (out == NULL)
		return BG_EINVAL;
	if ((r = get_item(obj, key, &it)) != BG_OK)
		return r;
	if (!is(it))
		return BG_EFORMAT;
	*out = it;
	return BG_OK;
}

int
bg_json_get_str(const cJSON *obj, const char *key, size_t maxlen,
    const char **out)
{
	const cJSON *it = NULL;
	int r;

	if (out == NULL)
		return BG_EINVAL;
	if ((r = get_typed(obj, key, cJSON_IsString, &it)) != BG_OK)
		return r;
	if (it->valuestring == NULL)
		return BG_EFORMAT;
	if (strlen(it->valuestring) > maxlen)
		return BG_ERANGE;
	*out = it->valuestring;
	return BG_OK;
}

int
bg_json_get_u64(const cJSON *obj, const char *key, uint64_t min,
    uint64_t max, uint64_t *out)
{
	const cJSON *it = NULL;
	double d;
	uint64_t v;
	int r;

	if (out == NULL || min > max)
		return BG_EINVAL;
	if ((r = get_typed(obj, key, cJSON_IsNumber, &it)) != BG_OK)
		return r;
	d = it->valuedouble;
	/* !(d >= 0) also catches NaN; the bounds keep the cast defined. */
	if (!isfinite(d) || !(d >= 0.0) || d > (double)BG_JSON_INT_MAX)
		return BG_ERANGE;
	v = (uint64_t)d;
	/* Integral: exact in [0, 2^53], and avoids libm's floor(). */
	if ((double)v != d || v < min || v > max)
		return BG_ERANGE;
	*out = v;
	return BG_OK;
}


int
bg_json_get_bool(const cJSON *obj, const char *key, int *out)
{
	const cJSON *it = NULL;
	int r;

	if (out == NULL)
		return BG_EINVAL;
	if ((r = get_typed(obj, key, cJSON_IsBool, &it)) == BG_OK)
		*out = cJSON_IsTrue(it) ? 1 : 0;
	return r;
}

int
bg_json_get_obj(const cJSON *obj, const char *key, const cJSON **out)
{
	return get_typed(obj, key, cJSON_IsObject, out);
}

int
bg_json_get_array(const cJSON *obj, const char *key, const cJSON **out)
{
	return get_typed(obj, key, cJSON_IsArray, out);
}

int
bg_json_get_b64(const cJSON *obj, const char *key, uint8_t *out,
    size_t outlen)
{
	const char *s = NULL;
	int r;

	if (out == NULL)
		return BG_EINVAL;
	if ((r = bg_json_get_str(obj, key, SIZE_MAX, &s)) != BG_OK)
		return r;
	return bg_b64_decode_exact(s, strlen(s), out, outlen);
}

int
bg_json_add(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		return BG_ENOMEM;
	if (obj == NULL || (key == NULL ? !cJSON_IsArray(obj) ||
	    !cJSON_AddItemToArray(obj, item) :
	    !cJSON_AddItemToObject(obj, key, item))) {
		cJSON_Delete(item);
		return BG_ENOMEM;
	}
	return BG_OK;
}
