/*
 * broker/export/ CEF escaping against the vectors of
 * tests/ocsf/samples/cef_vectors.json (built from the ArcSight CEF
 * Implementation Standard's rules, tests/ocsf/CEF.md): '|' in a header,
 * '=' in an extension, '\' in both, line breaks refused in a header and
 * written as \n and \r in an extension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "broker/export/export.h"
#include "tests/unit/testutil.h"

static void
test_vectors(void **state)
{
	cJSON *v = tu_read_json(BG_CEF_VECTORS), *e;
	char out[256];
	int n = 0;

	(void)state;
	assert_non_null(v);
	cJSON_ArrayForEach(e, v) {
		const char *in = cJSON_GetObjectItem(e, "input")->valuestring;
		const cJSON *h = cJSON_GetObjectItem(e, "header");
		const cJSON *x = cJSON_GetObjectItem(e, "extension");

		if (cJSON_IsNull(h))
			assert_int_equal(bg_cef_escape(in, 1, out, sizeof(out)),
			    BG_EFORMAT);
		else {
			assert_int_equal(bg_cef_escape(in, 1, out, sizeof(out)),
			    BG_OK);
			assert_string_equal(out, h->valuestring);
		}
		assert_int_equal(bg_cef_escape(in, 0, out, sizeof(out)), BG_OK);
		assert_string_equal(out, x->valuestring);
		n++;
	}
	assert_int_equal(n, 10);
	cJSON_Delete(v);
}

static void
test_bounds(void **state)
{
	char out[5];

	(void)state;
	assert_int_equal(bg_cef_escape("abcd", 0, out, sizeof(out)), BG_OK);
	assert_int_equal(bg_cef_escape("abcde", 0, out, sizeof(out)),
	    BG_ETOOBIG);
	assert_int_equal(bg_cef_escape("ab=c", 0, out, sizeof(out)),
	    BG_ETOOBIG);	/* "ab\=c" and its NUL: 6 */
	assert_int_equal(bg_cef_escape("", 0, out, 1), BG_OK);
	assert_int_equal(bg_cef_escape("", 0, out, 0), BG_ETOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
