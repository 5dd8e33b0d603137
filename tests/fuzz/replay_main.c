/*
 * replay_main.c: the driver a fuzz target is linked with when it is not
 * built as a libFuzzer program (the default build). It runs
 * LLVMFuzzerTestOneInput on a few built-in inputs (empty, one NUL byte,
 * a long run of one byte, every byte value once) and then on every regular
 * file of the directory named by argv[1] (the seed corpus, plus any
 * crash-* file a fuzzer run left there), so every target compiles and
 * replays its corpus in ctest, under ASan in the sanitizer build.
 *
 * A failing input crashes the process (ASan, abort or assert), so reaching
 * the end means every input passed.
 */
#include "core/common.h"

#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1 << 20)

static int run_one(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan catches a read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy) {
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	if (size)
		memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	return 0;
}

static int run_file(const char *path, unsigned *passed)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;
	int rc;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, REPLAY_MAX_INPUT, f);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc < 0)
		fprintf(stderr, "replay: cannot read '%s'\n", path);
	else
		rc = run_one(buf, len);
	free(buf);
	if (rc == 0)
		(*passed)++;
	return rc;
}

int main(int argc, char **argv)
{
	static uint8_t big[70000];
	uint8_t all[256];
	unsigned passed = 0, failed = 0;
	DIR *d;
	struct dirent *e;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	memset(big, 'a', sizeof(big));
	run_one((const uint8_t *)"", 0);
	run_one((const uint8_t *)"\0", 1);
	run_one((const uint8_t *)"%", 1);
	run_one(all, sizeof(all));
	run_one(big, sizeof(big));
	passed += 5;

	if (argc > 1) {
		d = opendir(argv[1]);
		if (!d) {
			fprintf(stderr, "replay: cannot open directory '%s': %s\n", argv[1],
				strerror(errno));
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];
			struct stat st;

			if (e->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name) >=
			    (int)sizeof(path))
				continue;
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (run_file(path, &passed) < 0)
				failed++;
		}
		closedir(d);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
