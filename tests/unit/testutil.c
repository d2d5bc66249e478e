/* Helpers shared by the test programs; see testutil.h. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

char *
tu_read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long sz;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	assert_non_null(buf = malloc((size_t)sz + 1));
	assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	buf[sz] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)sz;
	return buf;
}

cJSON *
tu_read_json(const char *path)
{
	size_t len;
	char *buf = tu_read_file(path, &len);
	cJSON *j = cJSON_ParseWithLength(buf, len);

	free(buf);
	if (j == NULL)
		fail_msg("bad JSON in %s", path);
	return j;
}

int
tu_rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char sub[1024];
	DIR *d;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	(void)chmod(path, 0700);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) < sizeof(sub))
			(void)tu_rm_rf(sub);
	}
	closedir(d);
	return rmdir(path);
}
