/*
 * users.c: /whoami, /users, /tokens, /audit.
 *
 * A token is shown once, when created; the database keeps its SHA-256.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/isotime.h"
#include "core/names.h"
#include "api/api.h"
#include "hub/hub.h"
#include "web/auth.h"

#include <glib.h>

/* Create a token for user_id; *token_out is g_malloc'd ("qk_" + 64 hex). */
static int make_token(struct q_store *st, int64_t user_id, const char *desc, const char *scope,
		      int64_t expires, int64_t *id, char **token_out, struct q_error *err)
{
	char hex[65], hash[Q_SHA256_HEX];
	char *tok;

	if (q_random_hex(hex, 32) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot get random bytes for a token");
	tok = g_strdup_printf("qk_%s", hex);
	q_hash_sha256_buf(tok, strlen(tok), hash);
	if (q_store_token_create_scoped(st, user_id, hash, desc, scope, expires, id, err) < 0) {
		g_free(tok);
		return -1;
	}
	*token_out = tok;
	return 0;
}

int q_api_create_token_for(struct q_store *st, int64_t user_id, const char *desc, char **token,
			   struct q_error *err)
{
	int64_t id;

	return make_token(st, user_id, desc, "user", 0, &id, token, err);
}

void q_api_whoami(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *o = json_object(), *sigs = NULL;

	if (q_store_user_sigs(r->st, r->who.user_id, &sigs, &err) < 0) {
		json_decref(o);
		q_http_send_error(r, &err);
		return;
	}
	json_object_set_new(o, "user", json_string(r->who.name));
	json_object_set_new(o, "role", json_string(r->who.role));
	json_object_set_new(o, "sigs", sigs);
	json_object_set_new(o, "token_scope", json_string(r->who.scope));
	json_object_set_new(o, "token_expires", q_json_time(r->who.expires));
	q_http_send_json(r, 200, o);
}

void q_api_users(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *users = NULL;

	if (q_api_need_admin(r, "list users", &err) < 0 ||
	    q_store_user_list(r->st, &users, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "users", users));
}

void q_api_user_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *user = NULL;
	const char *name, *role;

	if (q_api_need_admin(r, "create users", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "name", 1, 64, &name, &err) < 0 ||
	    q_api_str(body, "role", 0, 16, &role, &err) < 0)
		goto fail;
	if (!role)
		role = "user";
	if (q_name_check(Q_NAME_USER, "user name", name, &err) < 0)
		goto fail;
	if (strcmp(role, "admin") && strcmp(role, "releng") && strcmp(role, "user")) {
		q_error_set(&err, Q_EINVAL, "role '%.32s' is unknown; use admin, releng or user",
			    role);
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_user_create(r->st, name, role, NULL, &err) < 0 ||
	    q_api_audit(r, "user.create", name, json_pack("{s:s}", "role", role), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_user_get(r->st, name, &user, NULL, &err) < 0)
		goto fail;
	json_decref(body);
	q_http_send_json(r, 201, user);
	return;
fail:
	json_decref(body);
	q_http_send_error(r, &err);
}

void q_api_tokens(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *list = NULL;
	int64_t uid = !strcmp(r->who.role, "admin") ? -1 : r->who.user_id;

	if (q_store_token_list(r->st, uid, &list, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	/* Times as ISO 8601 (null: never); "worker" only on a worker's token. */
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *t = json_array_get(list, i);
		json_t *c = json_object_get(t, "created");

		if (json_is_integer(c))
			json_object_set_new(t, "created", q_json_time(json_integer_value(c)));
		json_object_set_new(t, "expires",
				    q_json_time(json_integer_value(json_object_get(t, "expires"))));
		if (!json_string_length(json_object_get(t, "worker")))
			json_object_del(t, "worker");
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "tokens", list));
}

void q_api_token_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL;
	const char *user = NULL, *desc = NULL, *worker = NULL, *scope = NULL, *expires_s = NULL;
	int64_t uid = r->who.user_id, id = 0, expires = 0;
	char *tok = NULL;

	if (r->req->entity.len) {
		body = q_http_json_body(r, &err);
		if (!body || q_api_str(body, "user", 0, 64, &user, &err) < 0 ||
		    q_api_str(body, "description", 0, 200, &desc, &err) < 0 ||
		    q_api_str(body, "worker", 0, 64, &worker, &err) < 0 ||
		    q_api_str(body, "scope", 0, 16, &scope, &err) < 0 ||
		    q_api_str(body, "expires", 0, 40, &expires_s, &err) < 0)
			goto fail;
	}
	if (scope && strcmp(scope, "user") && strcmp(scope, "read") && strcmp(scope, "build") &&
	    strcmp(scope, "release")) {
		q_error_set(&err, Q_EINVAL,
			    "scope '%s' is unknown; use read, build, release or user (the default: "
			    "all the owner may do)",
			    scope);
		goto fail;
	}
	if (expires_s) {
		if (q_time_parse(expires_s, &expires) < 0) {
			q_error_set(&err, Q_EINVAL,
				    "expires '%s' is not a time: use YYYY-MM-DDTHH:MM:SSZ or "
				    "YYYY-MM-DD (UTC)",
				    expires_s);
			goto fail;
		}
		if (expires <= (int64_t)time(NULL)) {
			char when[Q_ISO_TIME_LEN];

			q_error_set(&err, Q_EINVAL, "expires %s is not in the future",
				    q_time_iso(expires, when));
			goto fail;
		}
	}
	/* A token that expires may not make one that outlives it. */
	if (!worker && r->who.expires > 0 && (!expires || expires > r->who.expires)) {
		char when[Q_ISO_TIME_LEN];

		q_error_set(&err, Q_EPERM,
			    "this token expires at %s: the tokens it creates must expire by then "
			    "(give --expires)",
			    q_time_iso(r->who.expires, when));
		goto fail;
	}
	if (worker && (scope || expires_s)) {
		q_error_set(&err, Q_EINVAL, "a worker token has no scope or expiry to choose");
		goto fail;
	}
	if (worker) {
		char hex[65], hash[Q_SHA256_HEX];

		if (q_api_need_admin(r, "create worker tokens", &err) < 0 ||
		    q_name_check(Q_NAME_USER, "worker name", worker, &err) < 0)
			goto fail;
		if (q_random_hex(hex, 32) < 0) {
			q_error_set(&err, Q_EINTERNAL, "cannot get random bytes for a token");
			goto fail;
		}
		tok = g_strdup_printf("qk_%s", hex);
		q_hash_sha256_buf(tok, strlen(tok), hash);
		if (q_store_begin(r->st, &err) < 0)
			goto fail;
		if (q_store_token_create_worker(r->st, r->who.user_id, hash, worker, &id, &err) <
			0 ||
		    q_api_audit(r, "token.create.worker", worker,
				json_pack("{s:I}", "id", (json_int_t)id), &err) < 0 ||
		    q_store_commit(r->st, &err) < 0) {
			q_store_rollback(r->st);
			goto fail;
		}
		q_http_send_json(r, 201,
				 json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "worker",
					   worker, "scope", "worker", "token", tok));
		g_free(tok);
		json_decref(body);
		return;
	}
	if (user && strcmp(user, r->who.name)) {
		if (q_api_need_admin(r, "create tokens for other users", &err) < 0 ||
		    q_store_user_get(r->st, user, NULL, &uid, &err) < 0)
			goto fail;
	} else {
		user = r->who.name;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (make_token(r->st, uid, desc ? desc : "", scope ? scope : "user", expires, &id, &tok,
		       &err) < 0 ||
	    q_api_audit(r, "token.create", user,
			json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "scope",
				  scope ? scope : "user", "expires", q_json_time(expires)),
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_http_send_json(r, 201,
			 json_pack("{s:I,s:s,s:s,s:s,s:o,s:s}", "id", (json_int_t)id, "user", user,
				   "description", desc ? desc : "", "scope", scope ? scope : "user",
				   "expires", q_json_time(expires), "token", tok));
	g_free(tok);
	json_decref(body);
	return;
fail:
	g_free(tok);
	json_decref(body);
	q_http_send_error(r, &err);
}

void q_api_token_delete(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	int64_t id, owner;
	char *end;

	errno = 0;
	id = strtoll(caps[0], &end, 10);
	if (errno || *end || id <= 0) {
		q_error_set(&err, Q_EINVAL, "token id '%.32s' is not a positive integer", caps[0]);
		goto fail;
	}
	if (q_store_token_owner(r->st, id, &owner, &err) < 0)
		goto fail;
	if (owner != r->who.user_id && q_api_need_admin(r, "revoke other users' tokens", &err) < 0)
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_token_delete(r->st, id, &err) < 0 ||
	    q_api_audit(r, "token.revoke", caps[0], NULL, &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	q_http_send_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
	return;
fail:
	q_http_send_error(r, &err);
}

void q_api_audit_list(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *list = NULL;
	char buf[32];
	int64_t limit = 100;
	int found;

	if (q_api_need_admin(r, "read the audit log", &err) < 0)
		goto fail;
	found = q_query_get(r->query, r->query_len, "limit", buf, sizeof(buf), &err);
	if (found < 0)
		goto fail;
	if (found) {
		char *end;
		errno = 0;
		limit = strtoll(buf, &end, 10);
		if (errno || *end || limit < 1 || limit > 10000) {
			q_error_set(&err, Q_EINVAL, "limit '%s' must be an integer from 1 to 10000",
				    buf);
			goto fail;
		}
	}
	if (q_store_audit_list(r->st, limit, &list, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, json_pack("{s:o}", "entries", list));
	return;
fail:
	q_http_send_error(r, &err);
}

void q_api_user_password(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = q_http_json_body(r, &err), *pw;
	char *enc = NULL;

	if (!body)
		goto fail;
	if (strcmp(r->who.name, caps[0]) &&
	    q_api_need_admin(r, "set another user's password", &err) < 0)
		goto fail;
	pw = json_object_get(body, "password");
	if (!json_is_null(pw) &&
	    (!json_is_string(pw) || json_string_length(pw) < 8 || json_string_length(pw) > 1000 ||
	     strlen(json_string_value(pw)) != json_string_length(pw))) {
		q_error_set(
		    &err, Q_EINVAL,
		    "field 'password' must be a string of 8 to 1000 bytes, or null to remove "
		    "the password");
		goto fail;
	}
	if (json_is_string(pw) && !(enc = q_web_password_hash(json_string_value(pw), &err)))
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_user_password_set(r->st, caps[0], enc, &err) < 0 ||
	    q_api_audit(r, enc ? "user.password.set" : "user.password.remove", caps[0], NULL,
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	json_decref(body);
	q_http_send_json(r, 200, json_pack("{s:s,s:b}", "user", caps[0], "password", enc != NULL));
	free(enc);
	return;
fail:
	free(enc);
	json_decref(body);
	q_http_send_error(r, &err);
}
