/*
 * fuzz_config.c: q_config_parse on arbitrary bytes (NULs, no final
 * newline, over-long lines, broken section headers, huge numbers).
 * Invariants checked after every parse: the string fields of the config
 * stay NUL-terminated within their buffers, and numeric fields are either
 * the default or inside the key's range (a parse error never half-applies
 * a value).
 */
#include "core/common.h"
#include "core/config.h"

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_config cfg;
	FILE *errs = fopen("/dev/null", "w");
	int n;

	if (!errs)
		return 0;
	q_config_defaults(&cfg);
	n = q_config_parse("fuzz.ini", (const char *)data, size, &cfg, errs);
	fclose(errs);
	CHECK(n >= 0);
	CHECK(memchr(cfg.listen, '\0', sizeof(cfg.listen)));
	CHECK(memchr(cfg.data_dir, '\0', sizeof(cfg.data_dir)));
	CHECK(memchr(cfg.public_url, '\0', sizeof(cfg.public_url)));
	CHECK(memchr(cfg.key_algo, '\0', sizeof(cfg.key_algo)));
	CHECK(memchr(cfg.log_level, '\0', sizeof(cfg.log_level)));
	CHECK(cfg.threads >= 1 && cfg.threads <= 64);
	CHECK(cfg.max_upload >= 1024 && cfg.max_upload <= (int64_t)1 << 40);
	CHECK(cfg.max_json >= 1024 && cfg.max_json <= 64 << 20);
	CHECK(cfg.upload_ttl >= 60 && cfg.upload_ttl <= 30 * 86400);
	CHECK(cfg.grace >= 0 && cfg.grace <= 30 * 86400);
	CHECK(cfg.history_keep >= 1 && cfg.history_keep <= 100000);
	return 0;
}
