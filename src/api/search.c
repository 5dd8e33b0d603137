/*
 * search.c: GET /packages?name=NAME[&limit=N]: the package search. NAME is
 * a package name or a shell-style pattern ("python3-*", "?ash"); the answer
 * says which SIG, project, repo and arch hold which versions. Public, like
 * the repos it reads. Bounded: at most limit versions (default
 * Q_SEARCH_LIMIT, at most Q_SEARCH_LIMIT_MAX), "truncated" says when more
 * matched.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "api/api.h"

#define Q_SEARCH_LIMIT 200
#define Q_SEARCH_LIMIT_MAX 2000

void q_api_packages_search(struct q_request *r, const char **caps)
{
	static const char *const keys[] = {"name", "limit", NULL};
	struct q_error err = {0};
	char name[256] = "", lim[16] = "", *end = NULL;
	long long limit = Q_SEARCH_LIMIT;
	json_t *list = NULL;
	int truncated = 0, found;

	(void)caps;
	if (q_api_query_known(r, keys, &err) < 0 ||
	    (found = q_query_get(r->query, r->query_len, "name", name, sizeof(name), &err)) < 0 ||
	    q_query_get(r->query, r->query_len, "limit", lim, sizeof(lim), &err) < 0)
		goto fail;
	if (!found || !name[0]) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'name' is required: a package name or a pattern "
			    "such as 'python3-*'");
		goto fail;
	}
	if (!q_package_name_valid(name, 1)) {
		q_error_set(&err, Q_EINVAL,
			    "query parameter 'name' '%.64s' is not a package name or pattern "
			    "([A-Za-z0-9._+-], with '*' and '?' as wildcards)",
			    name);
		goto fail;
	}
	if (lim[0]) {
		errno = 0;
		limit = strtoll(lim, &end, 10);
		if (errno || !end || *end || limit < 1 || limit > Q_SEARCH_LIMIT_MAX) {
			q_error_set(&err, Q_EINVAL,
				    "query parameter 'limit' '%.15s' is not a number from 1 to %d",
				    lim, Q_SEARCH_LIMIT_MAX);
			goto fail;
		}
	}
	if (q_store_package_search(r->st, name, strpbrk(name, "*?") != NULL, (int64_t)limit, &list,
				   &truncated, &err) < 0)
		goto fail;
	q_http_send_json(r, 200,
			 json_pack("{s:s, s:o, s:b, s:I}", "name", name, "packages", list,
				   "truncated", truncated, "limit", (json_int_t)limit));
	return;
fail:
	q_http_send_error(r, &err);
}
