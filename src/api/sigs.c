/*
 * sigs.c: /sigs — the SIG registry, its members and its public key.
 *
 * Creating a SIG generates its signing key (sign.h) before the row is
 * written; the key's fingerprint is stored, the private key stays in the
 * signer. A rotation (POST /sigs/S/keys/rotate) gives the SIG a new key
 * the same way; every key it had stays listed (GET /sigs/S/keys) and
 * published. The short name is the dist tag suffix and never changes.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "hub/hub.h"
#include "sign/sign.h"

static const char *text_fields[] = {"title", "purpose", "wiki", "chat", "mailing_list"};

static int check_sig_name(const char *name, struct q_error *err)
{
	return q_name_check(Q_NAME_SIG, "sig name", name, err);
}

/* Validate the free-text fields of a create or update body. */
static int check_text_fields(json_t *body, json_t *out, struct q_error *err)
{
	for (size_t i = 0; i < Q_ARRAY_LEN(text_fields); i++) {
		const char *v;
		size_t max = !strcmp(text_fields[i], "purpose") ? 4000 : 300;

		if (q_api_str(body, text_fields[i], 0, max, &v, err) < 0)
			return -1;
		if (v)
			json_object_set_new(out, text_fields[i], json_string(v));
	}
	return 0;
}

void q_api_sigs(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *list = NULL;

	if (q_store_sig_list(r->st, &list, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, json_pack("{s:o}", "sigs", list));
}

void q_api_sig_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *f = json_object(), *sig = NULL;
	const char *name, *shortn, *title, *status;
	char *fpr = NULL, uid[200], email[200];

	if (q_api_need_admin(r, "create SIGs", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body || q_api_str(body, "name", 1, 64, &name, &err) < 0 ||
	    q_api_str(body, "short_name", 1, 32, &shortn, &err) < 0 ||
	    q_api_str(body, "title", 1, 300, &title, &err) < 0 ||
	    q_api_str(body, "status", 0, 32, &status, &err) < 0 || check_sig_name(name, &err) < 0 ||
	    q_name_check(Q_NAME_SHORT, "short name", shortn, &err) < 0 ||
	    check_text_fields(body, f, &err) < 0)
		goto fail;
	if (!status)
		status = "proposed";
	if (!q_sig_status_valid(status)) {
		q_error_set(&err, Q_EINVAL,
			    "status '%.32s' is unknown; use proposed, active, community-interest "
			    "or retired",
			    status);
		goto fail;
	}
	if (q_store_sig_get(r->st, name, 0, &sig, &err) == 0) {
		json_decref(sig);
		sig = NULL;
		q_error_set(&err, Q_ECONFLICT, "sig '%s' already exists", name);
		goto fail;
	}
	json_object_set_new(f, "name", json_string(name));
	json_object_set_new(f, "short_name", json_string(shortn));
	json_object_set_new(f, "status", json_string(status));
	snprintf(uid, sizeof(uid), Q_SIGNER_UID_NAME, name);
	snprintf(email, sizeof(email), Q_SIGNER_UID_EMAIL, name);
	if (q_signer_keygen(r->hub->signer, uid, email, r->hub->cfg.key_algo, &fpr, &err) < 0) {
		q_error_prefix(&err, "cannot create a signing key for sig '%s'", name);
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_create(r->st, f, fpr, &err) < 0 ||
	    q_api_audit(r, "sig.create", name,
			json_pack("{s:s,s:s}", "short_name", shortn, "key", fpr), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_hub_export_key(r->hub, name, fpr, &err) < 0)
		q_warn("sig '%s': %s", name, err.msg);
	q_error_clear(&err);
	if (q_store_sig_get(r->st, name, 1, &sig, &err) < 0)
		goto fail;
	free(fpr);
	json_decref(body);
	json_decref(f);
	q_http_send_json(r, 201, sig);
	return;
fail:
	free(fpr);
	json_decref(body);
	json_decref(f);
	q_http_send_error(r, &err);
}

void q_api_sig_get(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL;

	if (check_sig_name(caps[0], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 1, &sig, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, sig);
}

void q_api_sig_update(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *f = json_object(), *sig = NULL;
	const char *status = NULL, *k;
	json_t *v;

	if (check_sig_name(caps[0], &err) < 0 || q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0)
		goto fail;
	json_decref(sig);
	sig = NULL;
	if (q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "update this SIG", &err) < 0)
		goto fail;
	body = q_http_json_body(r, &err);
	if (!body)
		goto fail;
	json_object_foreach (body, k, v) {
		int known = !strcmp(k, "status");
		for (size_t i = 0; i < Q_ARRAY_LEN(text_fields); i++)
			known |= !strcmp(k, text_fields[i]);
		if (!strcmp(k, "short_name") || !strcmp(k, "name")) {
			q_error_set(
			    &err, Q_EINVAL,
			    "field '%s' cannot change: the short name is the SIG's dist tag, "
			    "fixed when the SIG was created",
			    k);
			goto fail;
		}
		if (!known) {
			q_error_set(&err, Q_EINVAL, "field '%.64s' is unknown or cannot be updated",
				    k);
			goto fail;
		}
	}
	if (check_text_fields(body, f, &err) < 0 ||
	    q_api_str(body, "status", 0, 32, &status, &err) < 0)
		goto fail;
	if (status) {
		if (!q_sig_status_valid(status)) {
			q_error_set(&err, Q_EINVAL,
				    "status '%.32s' is unknown; use proposed, active, "
				    "community-interest or retired",
				    status);
			goto fail;
		}
		if (!strcmp(status, "retired") && q_api_need_admin(r, "retire SIGs", &err) < 0)
			goto fail;
		json_object_set_new(f, "status", json_string(status));
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_update(r->st, caps[0], f, &err) < 0 ||
	    q_api_audit(r, "sig.update", caps[0], json_incref(f), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_sig_get(r->st, caps[0], 1, &sig, &err) < 0)
		goto fail;
	json_decref(body);
	json_decref(f);
	q_http_send_json(r, 200, sig);
	return;
fail:
	json_decref(body);
	json_decref(f);
	q_http_send_error(r, &err);
}

void q_api_sig_retire(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL, *f = json_pack("{s:s}", "status", "retired");

	if (check_sig_name(caps[0], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0 ||
	    q_api_need_admin(r, "retire SIGs", &err) < 0)
		goto fail;
	json_decref(sig);
	sig = NULL;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_update(r->st, caps[0], f, &err) < 0 ||
	    q_api_audit(r, "sig.retire", caps[0], NULL, &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	json_decref(f);
	if (q_store_sig_get(r->st, caps[0], 1, &sig, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200, sig);
	return;
fail:
	json_decref(sig); /* a non-admin's refusal comes after the lookup */
	json_decref(f);
	q_http_send_error(r, &err);
}

void q_api_sig_key(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL;
	char *armored = NULL;
	size_t len = 0;

	const char *fpr;
	char path[1400];

	if (check_sig_name(caps[0], &err) < 0 || q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0)
		goto fail;
	fpr = json_string_value(json_object_get(sig, "key_fingerprint"));
	/* The published file first: anonymous reads must not keep the signer busy. */
	snprintf(path, sizeof(path), "%s/sig/keys/RPM-GPG-KEY-quarry-%s-%s", r->hub->pub_dir,
		 caps[0], fpr && strlen(fpr) >= 16 ? fpr + strlen(fpr) - 16 : "");
	if (!fpr || q_fs_read_file(path, 1 << 20, &armored, &len, NULL) < 0) {
		if (q_signer_export_public(r->hub->signer, fpr ? fpr : "", &armored, &len, &err) <
		    0)
			goto fail;
	}
	json_decref(sig);
	q_http_send_text(r, 200, "application/pgp-keys", armored, len);
	free(armored);
	return;
fail:
	json_decref(sig);
	q_http_send_error(r, &err);
}

void q_api_sig_keys(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL, *keys = NULL;

	if (check_sig_name(caps[0], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0 ||
	    q_store_sig_keys(r->st, caps[0], &keys, &err) < 0) {
		json_decref(sig);
		q_http_send_error(r, &err);
		return;
	}
	q_http_send_json(r, 200,
			 json_pack("{s:s,s:O,s:o}", "sig", caps[0], "key_fingerprint",
				   json_object_get(sig, "key_fingerprint"), "keys", keys));
	json_decref(sig);
}

/*
 * A new key for the SIG: the signer makes it; both public keys are
 * published (the per-fingerprint files) before anything changes, then one
 * transaction records it (history, sigs.key_fpr, audit), then the SIG's
 * key file becomes the new key. The next publish of each repo signs with
 * it (the key is part of the set digest, so every repo republishes).
 */
void q_api_sig_key_rotate(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL, *keys = NULL;
	char *fpr = NULL, old[80];

	if (check_sig_name(caps[0], &err) < 0 || q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0)
		goto fail;
	{
		const char *cur = json_string_value(json_object_get(sig, "key_fingerprint"));

		snprintf(old, sizeof(old), "%s", cur ? cur : "");
	}
	if (q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "rotate this SIG's key", &err) < 0)
		goto fail;
	if (q_signer_rotate(r->hub->signer, caps[0], r->hub->cfg.key_algo, &fpr, &err) < 0) {
		q_error_prefix(&err, "cannot rotate the key of sig '%s'", caps[0]);
		goto fail;
	}
	if ((old[0] && q_hub_export_key_fpr(r->hub, caps[0], old, &err) < 0) ||
	    q_hub_export_key_fpr(r->hub, caps[0], fpr, &err) < 0) {
		q_error_prefix(&err, "cannot publish the keys of sig '%s'", caps[0]);
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_key_rotate(r->st, caps[0], fpr, &err) < 0 ||
	    q_api_audit(r, "sig.key.rotate", caps[0],
			json_pack("{s:s,s:s}", "old", old, "new", fpr), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_hub_export_key(r->hub, caps[0], fpr, &err) < 0)
		q_warn("sig '%s': the new key is recorded but not published: %s", caps[0], err.msg);
	q_error_clear(&err);
	q_info("sig '%s': key %s replaces %s", caps[0], fpr, old);
	/* The release packages carry the SIG's keys: rebuild them (logged, never fatal). */
	q_hub_release_pkg_refresh(r->hub, r->st, caps[0], 0, r->who.name);
	if (q_store_sig_keys(r->st, caps[0], &keys, &err) < 0)
		goto fail;
	q_http_send_json(r, 200,
			 json_pack("{s:s,s:s,s:s,s:o}", "sig", caps[0], "key_fingerprint", fpr,
				   "previous", old, "keys", keys));
	json_decref(sig);
	free(fpr);
	return;
fail:
	json_decref(sig);
	free(fpr);
	q_http_send_error(r, &err);
}

void q_api_member_put(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *sig = NULL;
	const char *role = NULL;

	if (check_sig_name(caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_USER, "user name", caps[1], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0)
		goto fail;
	json_decref(sig);
	sig = NULL;
	if (strcmp(r->who.role, "admin") &&
	    q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "manage this SIG's members", &err) < 0)
		goto fail;
	if (r->req->entity.len) {
		body = q_http_json_body(r, &err);
		if (!body || q_api_str(body, "role", 0, 16, &role, &err) < 0)
			goto fail;
	}
	if (!role)
		role = "member";
	if (strcmp(role, "lead") && strcmp(role, "member")) {
		q_error_set(&err, Q_EINVAL, "member role '%.16s' is unknown; use lead or member",
			    role);
		goto fail;
	}
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_member_set(r->st, caps[0], caps[1], role, &err) < 0 ||
	    q_api_audit(r, "sig.member.set", caps[0],
			json_pack("{s:s,s:s}", "user", caps[1], "role", role), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_sig_get(r->st, caps[0], 1, &sig, &err) < 0)
		goto fail;
	json_decref(body);
	q_http_send_json(r, 200, sig);
	return;
fail:
	json_decref(body);
	q_http_send_error(r, &err);
}

void q_api_member_delete(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *sig = NULL;

	if (check_sig_name(caps[0], &err) < 0 ||
	    q_name_check(Q_NAME_USER, "user name", caps[1], &err) < 0 ||
	    q_store_sig_get(r->st, caps[0], 0, &sig, &err) < 0)
		goto fail;
	json_decref(sig);
	sig = NULL;
	if (strcmp(r->who.role, "admin") &&
	    q_api_need_sig(r, caps[0], Q_LEVEL_LEAD, "manage this SIG's members", &err) < 0)
		goto fail;
	if (q_store_begin(r->st, &err) < 0)
		goto fail;
	if (q_store_sig_member_delete(r->st, caps[0], caps[1], &err) < 0 ||
	    q_api_audit(r, "sig.member.remove", caps[0], json_pack("{s:s}", "user", caps[1]),
			&err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		goto fail;
	}
	if (q_store_sig_get(r->st, caps[0], 1, &sig, &err) < 0)
		goto fail;
	q_http_send_json(r, 200, sig);
	return;
fail:
	q_http_send_error(r, &err);
}
