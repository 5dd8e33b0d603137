/*
 * client.c: the hub client of the command-line tools: where the hub URL
 * and the token come from, and HTTP requests to /api/v1 with libcurl.
 *
 * Precedence: --hub/--token, then QUARRY_HUB/QUARRY_TOKEN, then the
 * [client] section of the config file (--client-config, then
 * QUARRY_CLIENT_CONFIG, then ~/.config/quarry/client.ini, which may be
 * missing). Every answer is read into memory up to Q_CLIENT_MAX_RESPONSE;
 * only http and https are allowed and redirects are not followed, so a
 * token is never sent anywhere but the configured hub.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "cli/client.h"

#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>

/* ---- configuration ---- */

int q_client_config_parse(const char *text, size_t len, const char *source, char **hub,
			  char **token, struct q_error *err)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	int ret = -1;

	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &gerr)) {
		q_error_set(err, Q_EINVAL, "client config '%s': %s", source, gerr->message);
		goto out;
	}
	if (g_key_file_has_key(kf, "client", "hub", NULL)) {
		char *v = g_key_file_get_string(kf, "client", "hub", &gerr);

		if (!v) {
			q_error_set(err, Q_EINVAL, "client config '%s': hub: %s", source,
				    gerr->message);
			goto out;
		}
		g_free(*hub);
		*hub = g_strstrip(v);
	}
	if (g_key_file_has_key(kf, "client", "token", NULL)) {
		char *v = g_key_file_get_string(kf, "client", "token", &gerr);

		if (!v) {
			q_error_set(err, Q_EINVAL, "client config '%s': token: %s", source,
				    gerr->message);
			goto out;
		}
		g_free(*token);
		*token = g_strstrip(v);
	}
	ret = 0;
out:
	if (gerr)
		g_error_free(gerr);
	g_key_file_free(kf);
	return ret;
}

char *q_client_config_default_path(void)
{
	const char *home = getenv("HOME");

	if (!home || !*home)
		home = g_get_home_dir();
	return g_build_filename(home, ".config", "quarry", "client.ini", NULL);
}

/* Read the config file; a missing default file is not an error. */
static int load_config(const char *explicit_path, char **hub, char **token, struct q_error *err)
{
	char *path = NULL;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int ret = -1;

	path = explicit_path ? g_strdup(explicit_path) : q_client_config_default_path();
	if (!explicit_path && stat(path, &st) < 0 && errno == ENOENT) {
		ret = 0;
		goto out;
	}
	if (q_fs_read_file(path, Q_CLIENT_MAX_CONFIG, &text, &len, err) < 0) {
		if (err) {
			err->code = Q_EINVAL;
			q_error_prefix(err, "client config");
		}
		goto out;
	}
	if (q_client_config_parse(text, len, path, hub, token, err) < 0)
		goto out;
	if (*token && stat(path, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
			"quarry: warning: '%s' holds a token and is readable by others; "
			"chmod 600 it\n",
			path);
	ret = 0;
out:
	free(text);
	g_free(path);
	return ret;
}

static const char *nonempty_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int q_client_init(struct q_client *c, const struct q_cli_args *a, struct q_error *err)
{
	const char *hub = a->hub ? a->hub : nonempty_env("QUARRY_HUB");
	const char *token = a->token ? a->token : nonempty_env("QUARRY_TOKEN");
	const char *config = a->config ? a->config : nonempty_env("QUARRY_CLIENT_CONFIG");
	char *cfg_hub = NULL;
	char *cfg_token = NULL;
	size_t len;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	c->json = a->json;
	if ((config || !hub || !token) && load_config(config, &cfg_hub, &cfg_token, err) < 0)
		goto out;
	if (!hub)
		hub = cfg_hub;
	if (!token)
		token = cfg_token;
	if (!hub || !*hub) {
		q_error_set(err, Q_EINVAL,
			    "no hub given; use --hub URL, QUARRY_HUB, or 'hub = URL' "
			    "under [client] in ~/.config/quarry/client.ini");
		goto out;
	}
	if (g_ascii_strncasecmp(hub, "http://", 7) && g_ascii_strncasecmp(hub, "https://", 8)) {
		q_error_set(err, Q_EINVAL, "hub '%.200s' is not an http:// or https:// URL", hub);
		goto out;
	}
	c->hub = g_strdup(hub);
	len = strlen(c->hub);
	while (len > 0 && c->hub[len - 1] == '/')
		c->hub[--len] = '\0';
	if (token && *token)
		c->token = g_strdup(token);
	c->curl = curl_easy_init();
	if (!c->curl) {
		q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl");
		goto out;
	}
	ret = 0;
out:
	g_free(cfg_hub);
	g_free(cfg_token);
	if (ret < 0)
		q_client_release(c);
	return ret;
}

void q_client_release(struct q_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	g_free(c->token);
	g_free(c->hub);
	memset(c, 0, sizeof(*c));
}

/* ---- paths ---- */

char *q_client_escape(struct q_client *c, const char *s)
{
	char *e = curl_easy_escape(c ? c->curl : NULL, s, 0);
	char *ret;

	if (!e)
		return NULL;
	ret = g_strdup(e);
	curl_free(e);
	return ret;
}

char *q_client_path(struct q_client *c, const char *first, ...)
{
	GString *s = g_string_new(NULL);
	const char *seg = first;
	va_list ap;

	va_start(ap, first);
	while (seg) {
		char *e = q_client_escape(c, seg);

		if (!e) {
			va_end(ap);
			g_string_free(s, TRUE);
			return NULL;
		}
		if (s->len)
			g_string_append_c(s, '/');
		g_string_append(s, e);
		g_free(e);
		seg = va_arg(ap, const char *);
	}
	va_end(ap);
	return g_string_free(s, FALSE);
}

/* ---- requests ---- */

struct sink {
	char *buf; /* g_malloc'ed, NUL-terminated */
	size_t len;
	size_t cap;
	int overflow; /* the answer passed Q_CLIENT_MAX_RESPONSE */
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (n > Q_CLIENT_MAX_RESPONSE - s->len) {
		s->overflow = 1;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->len + n + 1)
			cap *= 2;
		s->buf = g_realloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* The q_code the API names ("not_found"), or one derived from the status. */
static enum q_code code_of(const char *name, long status)
{
	if (name)
		for (int i = 1; i < Q_CODE_COUNT; i++)
			if (!strcmp(q_code_name((enum q_code)i), name))
				return (enum q_code)i;
	switch (status) {
	case 400:
		return Q_EINVAL;
	case 401:
		return Q_EAUTH;
	case 403:
		return Q_EPERM;
	case 404:
		return Q_ENOTFOUND;
	case 409:
		return Q_ECONFLICT;
	case 413:
		return Q_ETOOBIG;
	case 410:
		return Q_EGONE;
	default:
		return Q_EINTERNAL;
	}
}

/* The "warnings" list of the last error answer that had one (the CLI
 * is one thread: q_client_take_warnings hands it over). */
static json_t *last_warnings;

json_t *q_client_take_warnings(void)
{
	json_t *w = last_warnings;

	last_warnings = NULL;
	return w;
}

/* Turn an error answer into err: the API's message when it sent one; its
 * "errors" list into *errors when asked for (and its "warnings" list, if
 * any, for q_client_take_warnings). */
static int error_list_from_answer(long status, const struct sink *s, json_t **errors,
				  struct q_error *err)
{
	json_t *j = s->buf ? json_loadb(s->buf, s->len, 0, NULL) : NULL;
	json_t *e = j ? json_object_get(j, "error") : NULL;
	const char *msg = e ? json_string_value(json_object_get(e, "message")) : NULL;
	const char *code = e ? json_string_value(json_object_get(e, "code")) : NULL;
	json_t *list = e ? json_object_get(e, "errors") : NULL;
	json_t *warn = e ? json_object_get(e, "warnings") : NULL;

	if (errors && json_is_array(list))
		*errors = json_incref(list);
	if (errors && json_is_array(warn)) {
		json_decref(last_warnings);
		last_warnings = json_incref(warn);
	}

	if (msg)
		q_error_set(err, code_of(code, status), "%s", msg);
	else
		q_error_set(err, code_of(NULL, status), "the hub answered HTTP %ld%s%.200s", status,
			    s->len ? ": " : "", s->len ? s->buf : "");
	json_decref(j);
	return -1;
}

static int error_from_answer(long status, const struct sink *s, struct q_error *err)
{
	return error_list_from_answer(status, s, NULL, err);
}

/* The options every request to the hub shares: where, who, which
 * protocols, no redirects, timeouts. */
static void set_transfer(struct q_client *c, const char *url, struct curl_slist *headers,
			 char *errbuf)
{
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, Q_CLIENT_CONNECT_TIMEOUT);
	/* A publish may take long, but a hub silent for 10 minutes is gone. */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 600L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "quarry/0.1");
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
}

/*
 * Perform one request on c->curl (already given its method and body) and
 * collect the answer. Returns the HTTP status, or -1 with err.
 */
static long perform(struct q_client *c, const char *path, const char *query,
		    struct curl_slist *headers, struct sink *s, struct q_error *err)
{
	char *url = NULL;
	char *auth = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long status = -1;

	url =
	    g_strdup_printf("%s/api/v1/%s%s%s", c->hub, path, query ? "?" : "", query ? query : "");
	if (c->token) {
		auth = g_strdup_printf("Authorization: Bearer %s", c->token);
		headers = curl_slist_append(headers, auth);
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	set_transfer(c, url, headers, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)Q_CLIENT_MAX_RESPONSE);

	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		if (s->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
			q_error_set(err, Q_ETOOBIG,
				    "the hub's answer to '%s' is larger than %zu bytes", path,
				    Q_CLIENT_MAX_RESPONSE);
			status = -1;
		} else if (status >= 400 && s->len) {
			/* The hub refused early and closed while we were still sending. */
		} else {
			q_error_set(err, Q_EIO, "cannot reach the hub at '%s': %s", c->hub,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc));
			status = -1;
		}
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);
	if (auth)
		memset(auth, 0, strlen(auth));
	g_free(auth);
	g_free(url);
	return status;
}

static int parse_answer(long status, struct sink *s, json_t **out, json_t **errors,
			struct q_error *err)
{
	json_error_t jerr;
	json_t *j;

	if (status < 200 || status >= 300)
		return error_list_from_answer(status, s, errors, err);
	if (!out)
		return 0;
	j = json_loadb(s->buf ? s->buf : "", s->len, JSON_DECODE_ANY, &jerr);
	if (!j)
		return q_error_set(err, Q_EINTERNAL, "the hub sent invalid JSON: %s", jerr.text);
	*out = j;
	return 0;
}

int q_client_call(struct q_client *c, const char *method, const char *path, json_t *body,
		  json_t **out, struct q_error *err)
{
	return q_client_call_errors(c, method, path, body, out, NULL, err);
}

int q_client_call_errors(struct q_client *c, const char *method, const char *path, json_t *body,
			 json_t **out, json_t **errors, struct q_error *err)
{
	struct curl_slist *headers = NULL;
	struct sink s = {0};
	char *text = NULL;
	const char *query = NULL;
	char *p = g_strdup(path);
	char *qm = strchr(p, '?');
	long status;
	int ret = -1;

	if (out)
		*out = NULL;
	if (errors)
		*errors = NULL;
	if (qm) {
		*qm = '\0';
		query = qm + 1;
	}
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			q_error_set(err, Q_EINTERNAL, "cannot encode the request");
			goto out;
		}
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	} else if (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	status = perform(c, p, query, headers, &s, err);
	if (status < 0)
		goto out;
	ret = parse_answer(status, &s, out, errors, err);
out:
	free(text);
	g_free(s.buf);
	g_free(p);
	return ret;
}

int q_client_get_raw(struct q_client *c, const char *path, char **out, size_t *len,
		     struct q_error *err)
{
	struct sink s = {0};
	long status;

	*out = NULL;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	status = perform(c, path, NULL, NULL, &s, err);
	if (status < 0)
		goto fail;
	if (status < 200 || status >= 300) {
		error_from_answer(status, &s, err);
		goto fail;
	}
	*out = s.buf ? s.buf : g_strdup("");
	if (len)
		*len = s.len;
	return 0;
fail:
	g_free(s.buf);
	return -1;
}

static int send_file(struct q_client *c, const char *path, const char *content_type, int fd,
		     int64_t base, int64_t size, const char *sha256, long *status, json_t **out,
		     struct q_error *err);

int q_client_upload_file(struct q_client *c, const char *file, json_t **out, struct q_error *err)
{
	char sha[Q_SHA256_HEX];
	struct stat st;
	char *base = NULL;
	char *ebase = NULL;
	char *path = NULL;
	long status = 0;
	int fd, ret = -1;

	*out = NULL;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EINVAL, "cannot open '%s': %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", file);
		goto out;
	}
	/* Hash the file we opened, not whatever the name points to later. */
	{
		char fdpath[64];

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (q_hash_sha256_file(q_fs_exists(fdpath) ? fdpath : file, sha, err) < 0)
			goto out;
	}
	base = g_path_get_basename(file);
	ebase = q_client_escape(c, base);
	if (!ebase) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	path = g_strdup_printf("uploads?filename=%s", ebase);
	/* One request for a small file, an upload session for a larger one. */
	ret = send_file(c, path, "application/x-rpm", fd, 0, (int64_t)st.st_size, sha, &status, out,
			err);
	/* An error answer of the upload names the file already ("upload 'x.rpm' is
	 * empty"); the transport's and the session's do not. */
	if (ret < 0 && (!status || !strstr(err->msg, base)))
		q_error_prefix(err, "cannot upload '%s'", file);
out:
	close(fd);
	g_free(path);
	g_free(ebase);
	g_free(base);
	return ret;
}

/* ---- staging many files at once ---- */

/* One transfer of q_client_upload_files: a whole small file in memory. */
struct xfer {
	CURL *curl;                   /* reused: its connection stays open */
	int index;                    /* the file's index, -1 when idle */
	char *data;                   /* the file (free) */
	size_t len;                   /* its size */
	struct curl_slist *headers;   /* this request's headers */
	struct sink sink;             /* the answer */
	char *url;                    /* this request's URL (g_free) */
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's message */
};

static void xfer_clear(struct xfer *x)
{
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	free(x->data);
	x->data = NULL;
	g_free(x->sink.buf);
	memset(&x->sink, 0, sizeof(x->sink));
	g_free(x->url);
	x->url = NULL;
	x->index = -1;
}

/* Read files[i] (at most Q_CLIENT_UPLOAD_INLINE_MAX bytes) into x and set
 * up its request: read once, hashed from memory, sent from memory. */
static int xfer_start(struct q_client *c, struct xfer *x, const char *file, int i,
		      struct q_error *err)
{
	char sha[Q_SHA256_HEX];
	char *base = NULL, *ebase = NULL, *hdr = NULL;
	size_t len = 0;
	int ret = -1;

	if (q_fs_read_file(file, Q_CLIENT_UPLOAD_INLINE_MAX, &x->data, &len, err) < 0)
		goto out;
	x->len = len;
	q_hash_sha256_buf(x->data, x->len, sha);
	base = g_path_get_basename(file);
	ebase = q_client_escape(c, base);
	if (!ebase) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	x->url = g_strdup_printf("%s/api/v1/uploads?filename=%s", c->hub, ebase);
	x->headers = curl_slist_append(x->headers, "Content-Type: application/x-rpm");
	hdr = g_strdup_printf("X-Content-SHA256: %s", sha);
	x->headers = curl_slist_append(x->headers, hdr);
	g_free(hdr);
	if (c->token) {
		hdr = g_strdup_printf("Authorization: Bearer %s", c->token);
		x->headers = curl_slist_append(x->headers, hdr);
		memset(hdr, 0, strlen(hdr));
		g_free(hdr);
	}
	x->headers = curl_slist_append(x->headers, "Accept: application/json");
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_reset(x->curl);
	curl_easy_setopt(x->curl, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT, Q_CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_TIME, 600L);
	curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_USERAGENT, "quarry/0.1");
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, x->data);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &x->sink);
	curl_easy_setopt(x->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)Q_CLIENT_MAX_RESPONSE);
	x->errbuf[0] = '\0';
	x->index = i;
	ret = 0;
out:
	g_free(ebase);
	g_free(base);
	if (ret < 0)
		xfer_clear(x);
	return ret;
}

/* The staged id of a finished transfer, or -1 with err. */
static int xfer_finish(struct xfer *x, CURLcode rc, const char *file, char **id,
		       struct q_error *err)
{
	json_t *j = NULL;
	long status = 0;
	const char *s;
	int ret = -1;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK && !(status >= 400 && x->sink.len)) {
		q_error_set(err, Q_EIO, "cannot upload '%s': cannot reach the hub: %s", file,
			    x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	if (parse_answer(status, &x->sink, &j, NULL, err) < 0)
		return -1;
	s = json_string_value(json_object_get(j, "id"));
	if (!s)
		q_error_set(err, Q_EINTERNAL, "the hub staged '%s' without an id", file);
	else {
		*id = g_strdup(s);
		ret = 0;
	}
	json_decref(j);
	return ret;
}

int q_client_upload_files(struct q_client *c, char **files, int n, int parallel, char **ids,
			  int progress, struct q_error *err)
{
	struct xfer *xs = NULL;
	CURLM *m = NULL;
	int next = 0, running = 0, ret = -1, failed = 0;

	if (parallel < 1)
		parallel = 1;
	if (parallel > n)
		parallel = n > 0 ? n : 1;
	/* Files too large to hold in memory go first, one by one, streamed. */
	for (int i = 0; i < n; i++) {
		struct stat st;
		json_t *staged = NULL;
		const char *s;

		if (stat(files[i], &st) < 0 || (uint64_t)st.st_size <= Q_CLIENT_UPLOAD_INLINE_MAX)
			continue;
		if (q_client_upload_file(c, files[i], &staged, err) < 0)
			return -1;
		s = json_string_value(json_object_get(staged, "id"));
		if (!s) {
			json_decref(staged);
			return q_error_set(err, Q_EINTERNAL, "the hub staged '%s' without an id",
					   files[i]);
		}
		ids[i] = g_strdup(s);
		json_decref(staged);
		if (progress)
			fprintf(stderr, "staged %s (%s)\n", files[i], ids[i]);
	}
	m = curl_multi_init();
	xs = g_new0(struct xfer, parallel);
	if (!m) {
		q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl");
		goto out;
	}
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)parallel);
	for (int k = 0; k < parallel; k++) {
		xs[k].index = -1;
		xs[k].curl = curl_easy_init();
		if (!xs[k].curl) {
			q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl");
			goto out;
		}
	}
	for (;;) {
		CURLMsg *msg;
		int left;

		/* Give every idle slot the next file not staged yet. */
		for (int k = 0; k < parallel && !failed; k++) {
			if (xs[k].index >= 0)
				continue;
			while (next < n && ids[next])
				next++;
			if (next >= n)
				break;
			if (xfer_start(c, &xs[k], files[next], next, err) < 0) {
				failed = 1;
				break;
			}
			next++;
			curl_multi_add_handle(m, xs[k].curl);
			running++;
		}
		if (running == 0)
			break;
		if (curl_multi_perform(m, &left) != CURLM_OK) {
			if (!failed)
				q_error_set(err, Q_EIO, "cannot talk to the hub (libcurl multi)");
			failed = 1;
			break;
		}
		while ((msg = curl_multi_info_read(m, &left))) {
			struct xfer *x = NULL;
			struct q_error xerr = {0};

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(m, x->curl);
			running--;
			if (!failed) {
				if (xfer_finish(x, msg->data.result, files[x->index],
						&ids[x->index], &xerr) < 0) {
					*err = xerr;
					failed = 1;
				} else if (progress)
					fprintf(stderr, "staged %s (%s)\n", files[x->index],
						ids[x->index]);
			}
			xfer_clear(x);
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
			if (!failed)
				q_error_set(err, Q_EIO, "cannot talk to the hub (libcurl multi)");
			failed = 1;
			break;
		}
	}
	ret = failed ? -1 : 0;
out:
	for (int k = 0; xs && k < parallel; k++) {
		if (xs[k].curl) {
			if (xs[k].index >= 0)
				curl_multi_remove_handle(m, xs[k].curl);
			curl_easy_cleanup(xs[k].curl);
		}
		xfer_clear(&xs[k]);
	}
	g_free(xs);
	if (m)
		curl_multi_cleanup(m);
	return ret;
}

/* ---- raw requests (the worker protocol) ---- */

/* An answer of a raw request: JSON when there is one, NULL when empty (204). */
static int raw_answer(long status, struct sink *s, json_t **out, json_t **errors,
		      struct q_error *err)
{
	if (status < 200 || status >= 300)
		return error_list_from_answer(status, s, errors, err);
	if (out && s->len)
		return parse_answer(status, s, out, NULL, err);
	return 0;
}

/* Split "PATH?QUERY" (g_free *p; *query points into it or is NULL). */
static char *split_query(const char *path, const char **query)
{
	char *p = g_strdup(path);
	char *qm = strchr(p, '?');

	*query = NULL;
	if (qm) {
		*qm = '\0';
		*query = qm + 1;
	}
	return p;
}

int q_client_post_raw(struct q_client *c, const char *path, const char *content_type,
		      const void *data, size_t len, long *status, json_t **out, struct q_error *err)
{
	return q_client_post_raw_errors(c, path, content_type, data, len, status, out, NULL, err);
}

/* METHOD PATH with a body from memory (len bytes) and an optional extra
 * header line; the answer as q_client_post_raw_errors gives it. */
static int send_raw(struct q_client *c, const char *method, const char *path,
		    const char *content_type, const char *extra_header, const void *data,
		    size_t len, long *status, json_t **out, json_t **errors, struct q_error *err)
{
	struct curl_slist *headers = NULL;
	struct sink s = {0};
	const char *query;
	char *p = split_query(path, &query);
	char *ctype = g_strdup_printf("Content-Type: %s", content_type);
	int ret = -1;

	if (out)
		*out = NULL;
	if (errors)
		*errors = NULL;
	*status = 0;
	headers = curl_slist_append(headers, ctype);
	if (extra_header)
		headers = curl_slist_append(headers, extra_header);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	if (strcmp(method, "POST"))
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, len ? data : "");
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	*status = perform(c, p, query, headers, &s, err);
	if (*status < 0) {
		*status = 0;
		goto out;
	}
	ret = raw_answer(*status, &s, out, errors, err);
out:
	g_free(s.buf);
	g_free(ctype);
	g_free(p);
	return ret;
}

int q_client_post_raw_errors(struct q_client *c, const char *path, const char *content_type,
			     const void *data, size_t len, long *status, json_t **out,
			     json_t **errors, struct q_error *err)
{
	return send_raw(c, "POST", path, content_type, NULL, data, len, status, out, errors, err);
}

/* ---- upload sessions: files larger than one request ---- */

/* pread exactly len bytes at off (a file that shrank is an error). */
static int read_at(int fd, char *buf, size_t len, int64_t off, struct q_error *err)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return q_error_set(err, Q_EIO,
					   "cannot read the file at offset %" PRId64 ": %s", off,
					   n < 0 ? strerror(errno) : "it is shorter than before");
		buf += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send size bytes of fd, from offset base, as an upload session: create it
 * (under worker/ for a worker), then PUT each part at its offset on this
 * handle's connection, retrying a part that failed in transit or with a
 * 5xx. *sid gets the session's id (g_free) for the final request.
 */
static int send_session(struct q_client *c, int worker, int fd, int64_t base, int64_t size,
			const char *sha256, char **sid, struct q_error *err)
{
	const char *root = worker ? "worker/upload-sessions" : "upload-sessions";
	json_t *req = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", sha256);
	json_t *ans = NULL;
	const char *id;
	int64_t part;
	char *buf = NULL;
	int ret = -1;

	*sid = NULL;
	if (q_client_call(c, "POST", root, req, &ans, err) < 0)
		goto out;
	id = json_string_value(json_object_get(ans, "id"));
	part = json_integer_value(json_object_get(ans, "part_size"));
	if (!id || strlen(id) > 64 || strspn(id, "s0123456789abcdef") != strlen(id)) {
		q_error_set(err, Q_EINTERNAL, "the hub's upload session has no valid id");
		goto out;
	}
	if (part < ((int64_t)64 << 10) || part > ((int64_t)64 << 20))
		part = Q_CLIENT_SINGLE_MAX;
	buf = g_malloc((size_t)part);
	for (int64_t off = 0; off < size; off += part) {
		size_t n = (size_t)(size - off < part ? size - off : part);
		char *path = g_strdup_printf("%s/%s?offset=%" PRId64, root, id, off);
		int rc = -1;

		if (read_at(fd, buf, n, base + off, err) < 0) {
			g_free(path);
			goto abort;
		}
		for (int attempt = 1; attempt <= Q_CLIENT_PART_TRIES; attempt++) {
			long status = 0;

			q_error_clear(err);
			rc = send_raw(c, "PUT", path, "application/octet-stream", NULL, buf, n,
				      &status, NULL, NULL, err);
			if (rc == 0 ||
			    (status >= 400 && status < 500 && status != 408 && status != 429))
				break;
			g_usleep((gulong)attempt * 500000);
		}
		g_free(path);
		if (rc < 0) {
			q_error_prefix(err, "the part at byte %" PRId64 " was not accepted", off);
			goto abort;
		}
	}
	*sid = g_strdup(id);
	ret = 0;
	goto out;
abort : {
	/* Best effort: the hub removes it after hub.upload_ttl anyway. */
	struct q_error ignored = {0};
	char *path = g_strdup_printf("%s/%s", root, id);

	q_client_call(c, "DELETE", path, NULL, NULL, &ignored);
	g_free(path);
}
out:
	g_free(buf);
	json_decref(req);
	json_decref(ans);
	return ret;
}

/*
 * POST PATH with size bytes of fd (from offset base): one request when the
 * file fits in one (Q_CLIENT_SINGLE_MAX), else an upload session and then
 * PATH with &session=ID and no body. The answer as q_client_post_fd's.
 */
static int send_file(struct q_client *c, const char *path, const char *content_type, int fd,
		     int64_t base, int64_t size, const char *sha256, long *status, json_t **out,
		     struct q_error *err)
{
	char *shahdr = g_strdup_printf("X-Content-SHA256: %s", sha256);
	char *sid = NULL, *final = NULL;
	int ret = -1;

	*status = 0;
	if (out)
		*out = NULL;
	if (size <= Q_CLIENT_SINGLE_MAX) {
		char *buf = g_malloc(size ? (size_t)size : 1);

		if (read_at(fd, buf, (size_t)size, base, err) == 0)
			ret = send_raw(c, "POST", path, content_type, shahdr, buf, (size_t)size,
				       status, out, NULL, err);
		g_free(buf);
		goto out;
	}
	if (send_session(c, !strncmp(path, "worker/", 7), fd, base, size, sha256, &sid, err) < 0)
		goto out;
	final = g_strdup_printf("%s%csession=%s", path, strchr(path, '?') ? '&' : '?', sid);
	ret = send_raw(c, "POST", final, content_type, shahdr, "", 0, status, out, NULL, err);
out:
	g_free(final);
	g_free(sid);
	g_free(shahdr);
	return ret;
}

int q_client_post_fd(struct q_client *c, const char *path, const char *content_type, int fd,
		     int64_t size, const char *sha256, long *status, json_t **out,
		     struct q_error *err)
{
	off_t base = lseek(fd, 0, SEEK_CUR);

	*status = 0;
	if (!sha256)
		return q_error_set(err, Q_EINTERNAL, "a file is sent with its SHA-256");
	if (base < 0)
		return q_error_set(err, Q_EIO, "cannot seek in the file: %s", strerror(errno));
	return send_file(c, path, content_type, fd, (int64_t)base, size, sha256, status, out, err);
}

struct fd_sink {
	int fd;
	int64_t written;
	int64_t max;
	int overflow;    /* more than max bytes */
	int write_error; /* errno of a failed write */
	struct sink err; /* the body of an error answer */
	long status;     /* known once the headers are in */
	CURL *curl;
};

static size_t fd_sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fd_sink *f = userdata;
	size_t n = size * nmemb;
	size_t done = 0;

	if (!f->status)
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status < 200 || f->status >= 300)
		return sink_write(ptr, 1, n, &f->err);
	if ((int64_t)n > f->max - f->written) {
		f->overflow = 1;
		return 0;
	}
	while (done < n) {
		ssize_t w = write(f->fd, ptr + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->write_error = w < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)w;
	}
	f->written += (int64_t)n;
	return n;
}

int q_client_download_fd(struct q_client *c, const char *path, int fd, int64_t max,
			 struct q_error *err)
{
	struct curl_slist *headers = NULL;
	struct fd_sink f = {.fd = fd, .max = max, .curl = c->curl};
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = g_strdup_printf("%s/api/v1/%s", c->hub, path);
	char *auth = NULL;
	long status = 0;
	CURLcode rc;
	int ret = -1;

	if (c->token) {
		auth = g_strdup_printf("Authorization: Bearer %s", c->token);
		headers = curl_slist_append(headers, auth);
	}
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	set_transfer(c, url, headers, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, fd_sink_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &f);
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (f.overflow) {
		q_error_set(err, Q_ETOOBIG, "'%s' is larger than %" PRId64 " bytes", path, max);
	} else if (f.write_error) {
		q_error_set(err, Q_EIO, "cannot save '%s': %s", path, strerror(f.write_error));
	} else if (status >= 300) {
		error_from_answer(status, &f.err, err);
	} else if (rc != CURLE_OK) {
		q_error_set(err, Q_EIO, "cannot reach the hub at '%s': %s", c->hub,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else {
		ret = 0;
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);
	if (auth)
		memset(auth, 0, strlen(auth));
	g_free(auth);
	g_free(url);
	g_free(f.err.buf);
	return ret;
}

/* ---- a raw GET with one answer header (task logs) ---- */

struct header_sink {
	const char *name; /* the header wanted, without ':' */
	char *value;      /* g_malloc'ed once seen */
};

/* CURLOPT_HEADERFUNCTION: keep the value of h->name (the last one seen). */
static size_t header_write(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct header_sink *h = userdata;
	size_t n = size * nitems;
	size_t nlen = strlen(h->name);

	if (n > nlen + 1 && buf[nlen] == ':' && !g_ascii_strncasecmp(buf, h->name, nlen)) {
		char *v = g_strndup(buf + nlen + 1, n - nlen - 1);

		g_free(h->value);
		h->value = g_strstrip(v);
	}
	return n;
}

int q_client_get_header(struct q_client *c, const char *path, const char *header, char **out,
			size_t *len, char **value, struct q_error *err)
{
	struct header_sink h = {.name = header, .value = NULL};
	struct sink s = {0};
	const char *query;
	char *p = split_query(path, &query);
	long status;
	int ret = -1;

	*out = NULL;
	if (len)
		*len = 0;
	if (value)
		*value = NULL;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &h);
	status = perform(c, p, query, NULL, &s, err);
	if (status < 0)
		goto out;
	if (status < 200 || status >= 300) {
		error_from_answer(status, &s, err);
		goto out;
	}
	*out = s.buf ? s.buf : g_strdup("");
	s.buf = NULL;
	if (len)
		*len = s.len;
	if (value) {
		*value = h.value;
		h.value = NULL;
	}
	ret = 0;
out:
	g_free(h.value);
	g_free(s.buf);
	g_free(p);
	return ret;
}
