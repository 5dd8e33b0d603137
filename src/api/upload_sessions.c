/*
 * upload_sessions.c: files larger than one request body.
 *
 * The HTTP server reads a request's whole body before any handler runs,
 * and never more than the larger of hub.max_json_body and
 * hub.upload_part_size (server.c): a larger body, with a Content-Length or
 * chunked, is answered 413 by the server itself, so no request can hold
 * more than that in memory, token or not. A file larger than one part is
 * sent as an upload session (docs/HTTP_API.md, "Upload sessions"):
 *
 *   POST /upload-sessions {"size","sha256"}   (authenticated: 401 without a
 *        token, 413 at once when size is over hub.max_upload_size)
 *   PUT  /upload-sessions/ID?offset=N          one part, written at its
 *        offset to DATA/staging/ID.part as it arrives (a retried part
 *        writes the same bytes again)
 *   the original endpoint with ?session=ID and no body: the file is checked
 *        (size and SHA-256 as declared) and handed to what the endpoint
 *        does with a body (q_api_body_to_file)
 *
 * A session lives in two files of DATA/staging: ID.json (owner, size,
 * sha256, expiry; written once) and ID.part (the bytes). No database row:
 * nothing is recorded until the endpoint takes the file. A session belongs
 * to its token's user (or worker) and expires after hub.upload_ttl; expired
 * sessions are removed when a session is created and at hub start.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "api/api.h"
#include "hub/hub.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#define SID_LEN 33 /* 's' + 32 hex digits */

struct session {
	char id[SID_LEN + 1];
	char meta[1300]; /* DATA/staging/ID.json */
	char data[1300]; /* DATA/staging/ID.part */
	int64_t size;
	int64_t expires;
	char sha256[Q_SHA256_HEX];
};

/* Who a request speaks for: a user, or a worker (its own uploads). */
static void owner_of(const struct q_request *r, char *out, size_t size)
{
	if (!strcmp(r->who.scope, "worker"))
		snprintf(out, size, "worker:%s", r->who.worker);
	else
		snprintf(out, size, "user:%" PRId64, r->who.user_id);
}

static void session_paths(const struct q_hub *hub, const char *id, struct session *s)
{
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->meta, sizeof(s->meta), "%s/%s.json", hub->staging_dir, id);
	snprintf(s->data, sizeof(s->data), "%s/%s.part", hub->staging_dir, id);
}

static int valid_sid(const char *id)
{
	return strlen(id) == SID_LEN && id[0] == 's' && q_is_hex(id + 1, SID_LEN - 1);
}

static void session_remove(const struct session *s)
{
	unlink(s->data);
	unlink(s->meta);
}

/* Read session id's description; owner NULL: any owner (expiry sweep). */
static int session_load(const struct q_hub *hub, const char *id, const char *owner,
			struct session *s, struct q_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_t *j = NULL;
	const char *o, *sha;
	int rc = -1;

	if (!valid_sid(id))
		return q_error_set(
		    err, Q_EINVAL,
		    "upload session id '%.40s' is malformed: expected 's' and 32 hex "
		    "digits",
		    id);
	session_paths(hub, id, s);
	if (q_fs_read_file(s->meta, 4096, &text, &len, err) < 0) {
		q_error_clear(err);
		return q_error_set(err, Q_ENOTFOUND,
				   "no upload session '%s' (finished, expired or never created)",
				   id);
	}
	j = json_loadb(text, len, 0, NULL);
	o = json_string_value(json_object_get(j, "owner"));
	sha = json_string_value(json_object_get(j, "sha256"));
	if (!o || !sha || strlen(sha) != 64) {
		q_error_set(err, Q_EINTERNAL, "upload session '%s' is unreadable", id);
		goto out;
	}
	if (owner && strcmp(o, owner)) {
		q_error_set(err, Q_EPERM, "upload session '%s' belongs to another user", id);
		goto out;
	}
	s->size = json_integer_value(json_object_get(j, "size"));
	s->expires = json_integer_value(json_object_get(j, "expires"));
	memcpy(s->sha256, sha, 65);
	if (owner && s->expires < (int64_t)time(NULL)) {
		session_remove(s);
		q_error_set(err, Q_ENOTFOUND,
			    "upload session '%s' expired (hub.upload_ttl); upload the file again",
			    id);
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	free(text);
	return rc;
}

static int session_of_request(struct q_request *r, const char *id, struct session *s,
			      struct q_error *err)
{
	char owner[128];

	owner_of(r, owner, sizeof(owner));
	return session_load(r->hub, id, owner, s, err);
}

void q_api_upsession_expire(struct q_hub *hub)
{
	DIR *d = opendir(hub->staging_dir);
	struct dirent *e;
	int64_t now = (int64_t)time(NULL);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char id[SID_LEN + 1];
		struct session s;
		struct q_error err = {0};

		if (e->d_name[0] != 's' || n <= SID_LEN || e->d_name[SID_LEN] != '.')
			continue;
		memcpy(id, e->d_name, SID_LEN);
		id[SID_LEN] = '\0';
		if (!valid_sid(id))
			continue;
		if (!strcmp(e->d_name + SID_LEN, ".json")) {
			if (session_load(hub, id, NULL, &s, &err) == 0 && s.expires < now)
				session_remove(&s);
		} else if (!strcmp(e->d_name + SID_LEN, ".part")) {
			/* A part file without its description (a crash at creation). */
			struct stat st;

			session_paths(hub, id, &s);
			if (!q_fs_exists(s.meta) && stat(s.data, &st) == 0 &&
			    st.st_mtime + hub->cfg.upload_ttl < now)
				unlink(s.data);
		}
	}
	closedir(d);
}

void q_api_upsession_create(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	json_t *body = NULL, *size;
	const char *sha;
	char hex[33], owner[128], lsha[Q_SHA256_HEX];
	struct session s;
	int64_t expires = (int64_t)time(NULL) + r->hub->cfg.upload_ttl;
	char *text = NULL;
	int fd;

	(void)caps;
	if (!(body = q_http_json_body(r, &err)))
		goto fail;
	size = json_object_get(body, "size");
	if (!json_is_integer(size) || json_integer_value(size) <= 0) {
		q_error_set(&err, Q_EINVAL, "field 'size' must be the file's size in bytes (> 0)");
		goto fail;
	}
	if (json_integer_value(size) > r->hub->cfg.max_upload) {
		q_error_set(&err, Q_ETOOBIG,
			    "a file of %" JSON_INTEGER_FORMAT
			    " bytes is larger than this hub accepts (hub.max_upload_size, %" PRId64
			    " bytes)",
			    json_integer_value(size), r->hub->cfg.max_upload);
		goto fail;
	}
	if (q_api_str(body, "sha256", 1, 64, &sha, &err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(lsha) - 1 && sha[i]; i++)
		lsha[i] = (char)((sha[i] >= 'A' && sha[i] <= 'F') ? sha[i] - 'A' + 'a' : sha[i]);
	lsha[64] = '\0';
	if (strlen(sha) != 64 || !q_is_hex(lsha, 64)) {
		q_error_set(&err, Q_EINVAL, "field 'sha256' must be 64 hex digits");
		goto fail;
	}
	q_api_upsession_expire(r->hub);
	if (q_random_hex(hex, 16) < 0) {
		q_error_set(&err, Q_EINTERNAL, "cannot get random bytes");
		goto fail;
	}
	{
		char id[SID_LEN + 1];

		snprintf(id, sizeof(id), "s%s", hex);
		session_paths(r->hub, id, &s);
	}
	fd = open(s.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		q_error_set(&err, Q_EIO, "cannot create the staging file of an upload session: %s",
			    strerror(errno));
		goto fail;
	}
	close(fd);
	owner_of(r, owner, sizeof(owner));
	{
		json_t *m =
		    json_pack("{s:s,s:I,s:s,s:I}", "owner", owner, "size", json_integer_value(size),
			      "sha256", lsha, "expires", (json_int_t)expires);

		text = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(m);
	}
	if (!text || q_fs_write_atomic(s.meta, text, strlen(text), 0600, &err) < 0) {
		if (!text)
			q_error_set(&err, Q_EINTERNAL, "out of memory");
		unlink(s.data);
		goto fail;
	}
	free(text);
	json_decref(body);
	q_http_send_json(r, 201,
			 json_pack("{s:s,s:I,s:s,s:I,s:I}", "id", s.id, "size",
				   (json_int_t)json_integer_value(size), "sha256", lsha,
				   "part_size", (json_int_t)r->hub->cfg.upload_part, "expires",
				   (json_int_t)expires));
	return;
fail:
	json_decref(body);
	q_http_send_error(r, &err);
}

static int parse_offset(struct q_request *r, int64_t *out, struct q_error *err)
{
	char v[24], *end;
	int found = q_query_get(r->query, r->query_len, "offset", v, sizeof(v), err);

	if (found < 0)
		return -1;
	if (!found)
		return q_error_set(err, Q_EINVAL, "query parameter 'offset' is required");
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || end == v || *out < 0)
		return q_error_set(err, Q_EINVAL, "offset '%s' is not a byte offset", v);
	return 0;
}

void q_api_upsession_part(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	struct session s;
	h2o_iovec_t b = r->req->entity;
	int64_t off = 0;
	const char *p = b.base;
	size_t left = b.len;
	int fd;

	if (session_of_request(r, caps[0], &s, &err) < 0 || parse_offset(r, &off, &err) < 0)
		goto fail;
	if (!b.base || b.len == 0) {
		q_error_set(&err, Q_EINVAL, "a part of upload session '%s' has no body", s.id);
		goto fail;
	}
	if ((int64_t)b.len > r->hub->cfg.upload_part) {
		q_error_set(&err, Q_ETOOBIG,
			    "a part is %zu bytes; the limit is %" PRId64 " (hub.upload_part_size)",
			    b.len, r->hub->cfg.upload_part);
		goto fail;
	}
	if (off > s.size || (int64_t)b.len > s.size - off) {
		q_error_set(&err, Q_EINVAL,
			    "a part of %zu bytes at offset %" PRId64
			    " ends past the declared size of upload session '%s' (%" PRId64
			    " bytes)",
			    b.len, off, s.id, s.size);
		goto fail;
	}
	fd = open(s.data, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		q_error_set(&err, Q_ENOTFOUND, "no upload session '%s' (finished or expired)",
			    s.id);
		goto fail;
	}
	while (left) {
		ssize_t n = pwrite(fd, p, left, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			q_error_set(&err, Q_EIO, "cannot write a part of upload session '%s': %s",
				    s.id, strerror(errno));
			close(fd);
			goto fail;
		}
		p += n;
		off += n;
		left -= (size_t)n;
	}
	close(fd);
	q_http_send_json(r, 200,
			 json_pack("{s:s,s:I,s:I}", "id", s.id, "offset",
				   (json_int_t)(off - (int64_t)b.len), "length",
				   (json_int_t)b.len));
	return;
fail:
	q_http_send_error(r, &err);
}

void q_api_upsession_delete(struct q_request *r, const char **caps)
{
	struct q_error err = {0};
	struct session s;

	if (session_of_request(r, caps[0], &s, &err) < 0) {
		q_http_send_error(r, &err);
		return;
	}
	session_remove(&s);
	q_http_send_text(r, 204, "application/json", "", 0);
}

/* X-Content-SHA256 in lower case, or "" when absent. */
static void declared_sha(struct q_request *r, char *out, size_t size)
{
	const char *h = q_http_header(r, "x-content-sha256");

	snprintf(out, size, "%s", h ? h : "");
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
}

static int write_new_file(const char *path, const void *data, size_t len, struct q_error *err)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot create a staging file: %s", strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	/* No fsync: whoever keeps the file makes it durable (the content
	 * store's link and syncfs, the lookaside's copy); a staged upload is
	 * checked against its recorded SHA-256 when its batch is added. */
	if (close(fd) < 0) {
		int e = errno;

		unlink(path);
		return q_error_set(err, Q_EIO, "cannot write a staging file: %s", strerror(e));
	}
	return 0;
fail : {
	int e = errno;

	close(fd);
	unlink(path);
	return q_error_set(err, Q_EIO, "cannot write a staging file: %s", strerror(e));
}
}

/* The session's file, checked against what was declared, moved to dest. */
static int session_to_file(struct q_request *r, const char *what, const char *id, int64_t max,
			   const char *hdr, const char *dest, int64_t *size,
			   char sha256[Q_SHA256_HEX], struct q_error *err)
{
	struct session s;
	struct stat st;
	int fd;

	if (r->req->entity.len)
		return q_error_set(err, Q_EINVAL,
				   "a request that names an upload session (?session=) has no "
				   "body");
	if (session_of_request(r, id, &s, err) < 0)
		return -1;
	if (s.size > max)
		return q_error_set(err, Q_ETOOBIG,
				   "%s is %" PRId64 " bytes; the limit here is %" PRId64, what,
				   s.size, max);
	if (hdr[0] && strcmp(hdr, s.sha256))
		return q_error_set(err, Q_EINVAL,
				   "%s: X-Content-SHA256 says %.70s but upload session '%s' was "
				   "created for %s",
				   what, hdr, s.id, s.sha256);
	if (stat(s.data, &st) < 0)
		return q_error_set(err, Q_ENOTFOUND, "no upload session '%s' (finished or expired)",
				   s.id);
	if ((int64_t)st.st_size != s.size)
		return q_error_set(err, Q_EINVAL,
				   "upload session '%s' is incomplete: its parts reach %" PRId64
				   " of %" PRId64 " bytes; send the missing parts",
				   s.id, (int64_t)(st.st_size), s.size);
	if (q_hash_sha256_file(s.data, sha256, err) < 0)
		return -1;
	if (strcmp(sha256, s.sha256)) {
		session_remove(&s);
		return q_error_set(
		    err, Q_EINVAL,
		    "%s is damaged: upload session '%s' holds bytes with SHA-256 %s, "
		    "not the declared %s (a part is missing or was changed); upload "
		    "it again",
		    what, s.id, sha256, s.sha256);
	}
	fd = open(s.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0 || rename(s.data, dest) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return q_error_set(err, Q_EIO, "cannot take the file of upload session '%s': %s",
				   s.id, strerror(e));
	}
	close(fd);
	unlink(s.meta);
	*size = s.size;
	return 0;
}

int q_api_body_to_file(struct q_request *r, const char *what, int64_t max, const char *dest,
		       int64_t *size, char sha256[Q_SHA256_HEX], int *declared, struct q_error *err)
{
	h2o_iovec_t b = r->req->entity;
	char sid[48], hdr[80];
	int found = q_query_get(r->query, r->query_len, "session", sid, sizeof(sid), err);

	if (found < 0)
		return -1;
	declared_sha(r, hdr, sizeof(hdr));
	*declared = found || hdr[0];
	if (found)
		return session_to_file(r, what, sid, max, hdr, dest, size, sha256, err);
	if ((int64_t)b.len > max)
		return q_error_set(err, Q_ETOOBIG, "%s is %zu bytes; the limit here is %" PRId64,
				   what, b.len, max);
	q_hash_sha256_buf(b.base ? b.base : "", b.len, sha256);
	if (hdr[0] && strcmp(hdr, sha256))
		return q_error_set(err, Q_EINVAL,
				   "%s is damaged: its SHA-256 is %s but X-Content-SHA256 says "
				   "%.70s; upload it again",
				   what, sha256, hdr);
	if (write_new_file(dest, b.base ? b.base : "", b.len, err) < 0)
		return -1;
	*size = (int64_t)b.len;
	return 0;
}
