/*
 * Helpers shared by the test programs (cmocka): reading vector files and
 * removing scratch directories. A failure fails the running test.
 */
#ifndef BG_TESTUTIL_H
#define BG_TESTUTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The whole file, NUL-terminated; caller frees. */
char *tu_read_file(const char *path, size_t *len);
/* The file parsed as JSON (cJSON's own parser); caller cJSON_Delete()s. */
cJSON *tu_read_json(const char *path);
/* rm -rf path; 0 on success. */
int tu_rm_rf(const char *path);

#endif
