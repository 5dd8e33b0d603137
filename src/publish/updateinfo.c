/*
 * updateinfo.c: q_updateinfo_xml (see updateinfo.h), JSON advisories to
 * updateinfo.xml through createrepo_c's cr_UpdateInfo and
 * cr_xml_dump_updateinfo, so that the document is what createrepo_c's own
 * tools (and Bodhi, which uses the same library) write.
 */
#include "core/common.h"
#include "core/error.h"
#include "publish/updateinfo.h"

#include <pthread.h>
#include <time.h>

#include <createrepo_c/createrepo_c.h>

static pthread_once_t ui_once = PTHREAD_ONCE_INIT;

static void ui_init(void)
{
	cr_xml_dump_init(); /* libxml2's parser state, once per process */
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "YYYY-MM-DD HH:MM:SS" in UTC. */
static void ui_date(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)(t > 0 ? t : 0);

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static int add_package(cr_UpdateCollection *coll, json_t *p, const char *advisory,
		       struct q_error *err)
{
	static const char *const need[] = {"name", "version",  "release",
					   "arch", "filename", "sha256"};
	cr_UpdateCollectionPackage *pkg;

	for (size_t i = 0; i < Q_ARRAY_LEN(need); i++)
		if (!*jstr(p, need[i]))
			return q_error_set(err, Q_EINVAL, "advisory '%s': a package has no '%s'",
					   advisory, need[i]);
	pkg = cr_updatecollectionpackage_new();
	pkg->name = g_string_chunk_insert(pkg->chunk, jstr(p, "name"));
	pkg->epoch = g_string_chunk_insert(pkg->chunk, *jstr(p, "epoch") ? jstr(p, "epoch") : "0");
	pkg->version = g_string_chunk_insert(pkg->chunk, jstr(p, "version"));
	pkg->release = g_string_chunk_insert(pkg->chunk, jstr(p, "release"));
	pkg->arch = g_string_chunk_insert(pkg->chunk, jstr(p, "arch"));
	pkg->src = cr_safe_string_chunk_insert_null(pkg->chunk, jstr(p, "src"));
	pkg->filename = g_string_chunk_insert(pkg->chunk, jstr(p, "filename"));
	pkg->sum = g_string_chunk_insert(pkg->chunk, jstr(p, "sha256"));
	pkg->sum_type = CR_CHECKSUM_SHA256;
	cr_updatecollection_append_package(coll, pkg); /* coll owns it */
	return 0;
}

static void add_reference(cr_UpdateRecord *rec, json_t *r)
{
	cr_UpdateReference *ref = cr_updatereference_new();
	const char *type = jstr(r, "type");

	ref->type = g_string_chunk_insert(ref->chunk, !strcmp(type, "url") ? "other" : type);
	ref->href = cr_safe_string_chunk_insert_null(ref->chunk, jstr(r, "url"));
	ref->id = cr_safe_string_chunk_insert_null(ref->chunk, jstr(r, "id"));
	ref->title = cr_safe_string_chunk_insert_null(ref->chunk, jstr(r, "title"));
	cr_updaterecord_append_reference(rec, ref); /* rec owns it */
}

/* One <update>; *rec NULL when it has no package here. */
static int make_record(json_t *a, const char *coll_short, const char *coll_name,
		       cr_UpdateRecord **out, struct q_error *err)
{
	const char *id = jstr(a, "advisory"), *type = jstr(a, "type");
	const char *title = *jstr(a, "title") ? jstr(a, "title") : jstr(a, "default_title");
	json_t *pkgs = json_object_get(a, "packages"), *x;
	cr_UpdateCollection *coll;
	cr_UpdateRecord *rec;
	char issued[32], updated[32];
	size_t i;

	*out = NULL;
	if (!*id || !*type)
		return q_error_set(err, Q_EINVAL, "an advisory has no id or no type");
	if (!json_is_array(pkgs) || json_array_size(pkgs) == 0)
		return 0;
	rec = cr_updaterecord_new();
	rec->id = g_string_chunk_insert(rec->chunk, id);
	rec->type = g_string_chunk_insert(rec->chunk, type);
	rec->status =
	    g_string_chunk_insert(rec->chunk, *jstr(a, "status") ? jstr(a, "status") : "stable");
	rec->version = g_string_chunk_insert(rec->chunk, "1");
	rec->title = g_string_chunk_insert(rec->chunk, *title ? title : id);
	ui_date(json_integer_value(json_object_get(a, "issued")), issued);
	ui_date(json_integer_value(json_object_get(a, "updated")), updated);
	rec->issued_date = g_string_chunk_insert(rec->chunk, issued);
	rec->updated_date = g_string_chunk_insert(rec->chunk, updated);
	rec->severity = cr_safe_string_chunk_insert_null(rec->chunk, jstr(a, "severity"));
	rec->summary = g_string_chunk_insert(rec->chunk, *title ? title : id);
	rec->description = cr_safe_string_chunk_insert_null(rec->chunk, jstr(a, "notes"));
	json_array_foreach (json_object_get(a, "references"), i, x)
		add_reference(rec, x);
	coll = cr_updatecollection_new();
	coll->shortname = cr_safe_string_chunk_insert_null(coll->chunk, coll_short);
	coll->name = cr_safe_string_chunk_insert_null(coll->chunk, coll_name);
	cr_updaterecord_append_collection(rec, coll); /* rec owns it */
	json_array_foreach (pkgs, i, x) {
		if (add_package(coll, x, id, err) < 0) {
			cr_updaterecord_free(rec);
			return -1;
		}
	}
	*out = rec;
	return 0;
}

int q_updateinfo_xml(json_t *advisories, const char *coll_short, const char *coll_name, char **xml,
		     struct q_error *err)
{
	cr_UpdateInfo *ui;
	GError *ge = NULL;
	json_t *a;
	size_t i, n = 0;
	int rc = -1;

	*xml = NULL;
	if (!json_is_array(advisories))
		return q_error_set(err, Q_EINVAL, "advisories must be a list");
	pthread_once(&ui_once, ui_init);
	ui = cr_updateinfo_new();
	json_array_foreach (advisories, i, a) {
		cr_UpdateRecord *rec = NULL;

		if (make_record(a, coll_short, coll_name, &rec, err) < 0)
			goto out;
		if (rec) {
			cr_updateinfo_apped_record(ui, rec); /* ui owns it (sic: "apped") */
			n++;
		}
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	*xml = cr_xml_dump_updateinfo(ui, &ge);
	if (!*xml) {
		q_error_set(err, Q_EINTERNAL, "cannot write updateinfo.xml: %s",
			    ge ? ge->message : "unknown error");
		goto out;
	}
	rc = 0;
out:
	if (ge)
		g_error_free(ge);
	cr_updateinfo_free(ui);
	return rc;
}
