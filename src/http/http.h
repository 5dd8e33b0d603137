/*
 * http.h: what an API handler sees of a request, and how it answers.
 *
 * A struct q_request wraps h2o's request with the decoded path, the raw
 * query, the thread's database connection and the authenticated user.
 * Answers are JSON ({"error":{"code","message"}} for failures, with the
 * status from core/error.c's table) or plain text.
 */
#ifndef Q_HTTP_H
#define Q_HTTP_H

#include <h2o.h>
#include <jansson.h>

#include "http/router.h"
#include "store/store.h"

struct q_error;
struct q_hub;

struct q_request {
	h2o_req_t *req;
	struct q_hub *hub;
	struct q_store *st; /* this thread's connection */
	struct q_path path; /* decoded segments */
	const char *query;  /* raw query after '?', or "" */
	size_t query_len;
	int route;  /* the API route (q_api_route_name's i + 1), 0 when none */
	int authed; /* 1 when who is set */
	struct q_principal who;
	struct q_waitq *wq;      /* this loop's held requests (http/wait.h) */
	struct q_waiter *waiter; /* set once the request was held */
};

int q_http_method_is(struct q_request *r, const char *method);
void q_http_send_json(struct q_request *r, int status, json_t *body); /* steals body */
void q_http_send_error(struct q_request *r, const struct q_error *err);
/* The same error body with an explicit status (405, 503, …). */
void q_http_send_error_status(struct q_request *r, int status, const struct q_error *err);
void q_http_send_text(struct q_request *r, int status, const char *ctype, const char *body,
		      size_t len);
/* Send a file from disk (h2o's file sender: HEAD, Range, conditional). */
void q_http_send_file(struct q_request *r, const char *path, const char *ctype);
/* Parse the body as a JSON object (bounded by hub.max_json_body and depth). */
json_t *q_http_json_body(struct q_request *r, struct q_error *err);
/* Value of a request header, or NULL (copied into the request's pool). */
const char *q_http_header(struct q_request *r, const char *name);
/* Authenticate from "Authorization: Bearer"; Q_EAUTH when missing/wrong. */
int q_http_auth(struct q_request *r, struct q_error *err);

/* The API's entry point (api/api.c); returns 0 when it answered. */
int q_api_dispatch(struct q_request *r);

#endif
