/*
 * fuzz_wire: what a client sends breakglassd (broker/wire/frame.c) and
 * the configuration file (conf.c). The frame parser may not crash or
 * leak; what it accepts is an object with the version and a valid op,
 * and printing it and parsing it again gives the same op. The first
 * byte chooses the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_wire: %s:%d: %s\n",		\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

static void
frame(const uint8_t *data, size_t size)
{
	cJSON *j = NULL, *k = NULL;
	char *text;

	if (bg_wire_parse(data, size, &j) != BG_OK) {
		CHECK(j == NULL);
		return;
	}
	CHECK(cJSON_IsObject(j) && bg_wire_op(j)[0] != '\0');
	CHECK((text = cJSON_PrintUnformatted(j)) != NULL);
	CHECK(bg_wire_parse((const uint8_t *)text, strlen(text), &k) ==
	    BG_OK);
	CHECK(strcmp(bg_wire_op(j), bg_wire_op(k)) == 0);
	free(text);
	cJSON_Delete(k);
	cJSON_Delete(j);
}

static void
conf(const uint8_t *data, size_t size)
{
	static struct bg_conf c;

	if (bg_conf_parse((const char *)data, size, &c) != BG_OK)
		return;
	CHECK(c.socket[0] == '/' && c.state[0] == '/');
	CHECK(c.nadmins <= BG_CONF_ADMINS_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		conf(data + 1, size - 1);
	else
		frame(data + 1, size - 1);
	return 0;
}
