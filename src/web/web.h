/*
 * web.h: the hub's web pages (server-rendered HTML; docs/WEB.md).
 *
 * q_web_dispatch answers the page URLs (/, /sigs/…, /packages, /builds…,
 * /updates…, /mirrors…, /workers, /static/quarry.css) and any other path
 * outside the API with an HTML 404; paths under /api are left alone.
 * Pages are read-only: GET and HEAD; another method answers 405.
 */
#ifndef Q_WEB_H
#define Q_WEB_H

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

struct q_request;

/* 0 when it answered, -1 when the path is not the web UI's (like
 * q_api_dispatch). */
int q_web_dispatch(struct q_request *r);

/* The page sets (src/web/page_*.c): each answers its request. */
void q_page_home(struct q_request *r);
void q_page_sig(struct q_request *r, const char *sig);
void q_page_project(struct q_request *r, const char *sig, const char *project);
void q_page_repo(struct q_request *r, const char *sig, const char *project, const char *repo);
void q_page_packages(struct q_request *r);
void q_page_builds(struct q_request *r);
void q_page_build(struct q_request *r, const char *id);
void q_page_updates(struct q_request *r);
void q_page_update(struct q_request *r, const char *id);
void q_page_mirrors(struct q_request *r);
void q_page_mirror(struct q_request *r, const char *name);
void q_page_workers(struct q_request *r);

/* Helpers shared by the pages (web.c). */
/* Query parameter key decoded into out ("" when absent); -1 when malformed. */
int q_web_query(struct q_request *r, const char *key, char *out, size_t size);
/* A store error as a page: 404 for Q_ENOTFOUND, else 500 (logged). */
struct q_error;
void q_web_fail(struct q_request *r, const struct q_error *err);
/* A state word with its class (state-WORD) for the stylesheet. */
void q_web_state(GString *b, const char *state);
/* A JSON value as text (objects and arrays as compact JSON, escaped). */
void q_web_value(GString *b, json_t *v);
/* An object's members as a definition list, in the object's order. */
void q_web_dl(GString *b, json_t *o);
/*
 * Where the actions of the signed-in user will go (approve, promote,
 * edit…): sign-in and the forms come with the session code; today an
 * empty placeholder section with what the CLI does instead.
 */
void q_web_actions(GString *b, const char *cli_hint);

#endif
