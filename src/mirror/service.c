/*
 * service.c: GET /metalink and GET /mirrorlist (domain.md, "Mirrorlist and
 * metalink"), answered from the current snapshot without a lock.
 *
 * Today the list holds the master (the hub's own /pub, from hub.public_url)
 * only: the mirror registry and crawler (issue 4) add mirrors ahead of it.
 * The main entry is the newest publish of the repo/arch, the alternates the
 * older publishes inside mirror.alternates_window.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/http.h"
#include "hub/hub.h"
#include "mirror/metalink.h"
#include "mirror/query.h"
#include "mirror/service.h"
#include "mirror/snapshot.h"

#include <glib.h>
#include <time.h>

static void not_found(struct q_request *r, const struct q_snapshot *s, const struct q_mlquery *q)
{
	GString *g = g_string_new(NULL);

	g_string_append_printf(g, "# repo '%s' arch '%s' is not published here; valid pairs:\n",
			       q->repo, q->arch);
	if (s && s->pairs)
		g_string_append(g, s->pairs);
	q_http_send_text(r, 404, "text/plain; charset=utf-8", g->str, g->len);
	g_string_free(g, TRUE);
}

int q_mirror_handle(struct q_request *r)
{
	struct q_error err = {0};
	struct q_mlquery q;
	const struct q_snapshot *s;
	const struct q_snap_repo *repo;
	int metalink;
	char url[2048];
	const char *proto;
	char *body = NULL;
	size_t len = 0;

	if (r->path.n != 1 ||
	    (strcmp(r->path.seg[0], "metalink") && strcmp(r->path.seg[0], "mirrorlist")))
		return -1;
	metalink = !strcmp(r->path.seg[0], "metalink");
	if (q_mlquery_parse(r->query, r->query_len, &q, &err) < 0) {
		char msg[1100];
		int n = snprintf(msg, sizeof(msg), "# %s\n", err.msg);
		q_http_send_text(r, 400, "text/plain; charset=utf-8", msg, (size_t)n);
		return 0;
	}
	s = atomic_load(&r->hub->snap.cur);
	repo = q_snapshot_find(s, q.repo, q.arch);
	if (!repo || repo->n_versions == 0) {
		not_found(r, s, &q);
		return 0;
	}
	/* The master: last resort, and for now the only entry. */
	proto = !strncmp(s->master, "https://", 8) ? "https" : "http";
	snprintf(url, sizeof(url), "%s%s", s->master, repo->path);
	if (!(q.protocols & (!strcmp(proto, "https") ? Q_MLPROTO_HTTPS : Q_MLPROTO_HTTP)))
		url[0] = '\0';
	if (q.redirect) {
		if (!url[0]) {
			not_found(r, s, &q);
			return 0;
		}
		{
			char target[2100];

			snprintf(target, sizeof(target), "%s%s", url,
				 metalink ? "repodata/repomd.xml" : "");
			r->req->res.status = 302;
			r->req->res.reason = "Found";
			h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_LOCATION,
				       NULL, h2o_strdup(&r->req->pool, target, SIZE_MAX).base,
				       strlen(target));
			q_http_send_text(r, 302, "text/plain", "", 0);
		}
		return 0;
	}
	if (metalink) {
		struct q_mlurl u = {proto, "", 1, NULL};
		char full[2100];

		snprintf(full, sizeof(full), "%srepodata/repomd.xml", url);
		u.url = full;
		body =
		    q_metalink_render(&repo->versions[0], repo->versions + 1, repo->n_versions - 1,
				      &u, url[0] ? 1 : 0, time(NULL), &len);
		if (body)
			q_http_send_text(r, 200, "application/metalink+xml", body, len);
	} else {
		const char *urls[1] = {url};
		char comment[300];

		snprintf(comment, sizeof(comment), "repo = %s arch = %s country = global", q.repo,
			 q.arch);
		body = q_mirrorlist_render(q.repo, q.arch, urls, url[0] ? 1 : 0, comment, &len);
		if (body)
			q_http_send_text(r, 200, "text/plain; charset=utf-8", body, len);
	}
	if (!body) {
		q_error_set(&err, Q_EINTERNAL, "cannot render the %s",
			    metalink ? "metalink" : "mirrorlist");
		q_http_send_error(r, &err);
	}
	free(body);
	return 0;
}
