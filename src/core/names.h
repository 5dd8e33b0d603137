/*
 * names.h: validation of every name a peer can send that ends up in a path,
 * a dist tag or a database key. A valid name never contains '/', '..',
 * NUL, spaces or upper case, and is bounded in length.
 */
#ifndef Q_NAMES_H
#define Q_NAMES_H

struct q_error;

enum q_name_kind {
	Q_NAME_SIG,     /* [a-z][a-z0-9-]{0,31} */
	Q_NAME_SHORT,   /* [a-z][a-z0-9]{0,15}: the dist tag suffix */
	Q_NAME_PROJECT, /* [a-z0-9][a-z0-9._-]{0,31}, not "." or ".." */
	Q_NAME_REPO,    /* [a-z][a-z0-9_-]{0,31} */
	Q_NAME_USER,    /* [a-z][a-z0-9._-]{0,63} */
	Q_NAME_VARIANT, /* [a-z0-9][a-z0-9._]{0,15} */
};

/* 0 when valid; otherwise -1 with a message naming WHAT and the rule. */
int q_name_check(enum q_name_kind kind, const char *what, const char *s, struct q_error *err);

/* Arches Quarry knows. */
int q_arch_valid(const char *arch);
/* An RPM package name: 1 to 255 of [A-Za-z0-9._+-], starting with a letter,
 * a digit or '_'. With glob, '*' and '?' (shell-style wildcards) may appear
 * anywhere too. 1 when valid. */
int q_package_name_valid(const char *s, int glob);
/* A SIG status: proposed, active, community-interest, retired. */
int q_sig_status_valid(const char *s);

#endif
