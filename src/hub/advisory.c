/*
 * advisory.c: the updateinfo.xml of a published repo (hub.h,
 * q_hub_updateinfo): the advisories the store says the repo carries for an
 * arch, written by publish/updateinfo.c. The collection is named after
 * the repo as the metalink names it (sig-SIG-REPO-MAJOR).
 */
#include "core/common.h"
#include "core/error.h"
#include "hub/hub.h"
#include "publish/updateinfo.h"

int q_hub_updateinfo(struct q_store *st, json_t *repo, const char *arch, char **xml,
		     struct q_error *err)
{
	const char *channel = json_string_value(json_object_get(repo, "channel"));
	const char *sig = json_string_value(json_object_get(repo, "sig"));
	const char *name = json_string_value(json_object_get(repo, "name"));
	int64_t major = json_integer_value(json_object_get(repo, "major"));
	json_t *list = NULL;
	char shortname[300], longname[300];
	int rc;

	*xml = NULL;
	/* Candidate repos carry no update. */
	if (!channel || (strcmp(channel, "testing") && strcmp(channel, "release")))
		return 0;
	if (q_store_repo_advisories(st, json_integer_value(json_object_get(repo, "id")), arch,
				    &list, err) < 0)
		return -1;
	snprintf(shortname, sizeof(shortname), "sig-%s-%s-%" PRId64, sig ? sig : "",
		 name ? name : "", major);
	snprintf(longname, sizeof(longname), "%s %s (EL %" PRId64 ", %s)", sig ? sig : "",
		 name ? name : "", major, arch);
	rc = q_updateinfo_xml(list, shortname, longname, xml, err);
	json_decref(list);
	return rc;
}
