/*
 * names.c: see names.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"

struct rule {
	const char *first; /* characters allowed first */
	const char *rest;  /* characters allowed after */
	size_t max;        /* maximum length */
	const char *text;  /* the rule in words, for messages */
};

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

static const struct rule rules[] = {
    [Q_NAME_SIG] = {LOWER, LOWER DIGIT "-", 32,
		    "1-32 characters: a lowercase letter, then lowercase letters, digits or '-'"},
    [Q_NAME_SHORT] = {LOWER, LOWER DIGIT, 16,
		      "1-16 characters: a lowercase letter, then lowercase letters or digits"},
    [Q_NAME_PROJECT] = {LOWER DIGIT, LOWER DIGIT "._-", 32,
			"1-32 characters: lowercase letters, digits, '.', '_' or '-', starting "
			"with a letter or digit"},
    [Q_NAME_REPO] =
	{LOWER, LOWER DIGIT "_-", 32,
	 "1-32 characters: a lowercase letter, then lowercase letters, digits, '_' or '-'"},
    [Q_NAME_USER] =
	{LOWER, LOWER DIGIT "._-", 64,
	 "1-64 characters: a lowercase letter, then lowercase letters, digits, '.', '_' or '-'"},
    [Q_NAME_VARIANT] = {LOWER DIGIT, LOWER DIGIT "._", 16,
			"1-16 characters: lowercase letters, digits, '.' or '_'"},
};

int q_name_check(enum q_name_kind kind, const char *what, const char *s, struct q_error *err)
{
	const struct rule *r = &rules[kind];
	size_t len;

	if (!s || !*s)
		return q_error_set(err, Q_EINVAL, "%s is empty; it must be %s", what, r->text);
	len = strnlen(s, r->max + 1);
	if (len > r->max)
		return q_error_set(err, Q_EINVAL, "%s is longer than %zu characters", what, r->max);
	if (!strchr(r->first, s[0]))
		return q_error_set(err, Q_EINVAL, "%s '%.64s' is invalid; it must be %s", what, s,
				   r->text);
	for (size_t i = 1; i < len; i++)
		if (!strchr(r->rest, s[i]))
			return q_error_set(err, Q_EINVAL, "%s '%.64s' is invalid; it must be %s",
					   what, s, r->text);
	if (strstr(s, ".."))
		return q_error_set(err, Q_EINVAL, "%s '%.64s' must not contain '..'", what, s);
	return 0;
}

int q_arch_valid(const char *arch)
{
	static const char *arches[] = {"x86_64", "aarch64", "ppc64le", "s390x", "i686", "riscv64"};

	for (size_t i = 0; i < Q_ARRAY_LEN(arches); i++)
		if (strcmp(arch, arches[i]) == 0)
			return 1;
	return 0;
}

int q_package_name_valid(const char *s, int glob)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int wild = glob && (c == '*' || c == '?');

		if (wild || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (i > 0 && (c == '.' || c == '+' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

int q_sig_status_valid(const char *s)
{
	static const char *st[] = {"proposed", "active", "community-interest", "retired"};

	for (size_t i = 0; i < Q_ARRAY_LEN(st); i++)
		if (strcmp(s, st[i]) == 0)
			return 1;
	return 0;
}
