/*
 * test_updateinfo.c: the updateinfo.xml maker (src/publish/updateinfo.c),
 * read back with createrepo_c's own parser; the publish of a repo with an
 * updateinfo (listed in repomd.xml with its checksums, in the set digest:
 * unchanged when it is, rewritten when it changes, gone when dropped); and
 * the checks of advisory fields and references (src/api/advisory.c).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "api/advisory.h"
#include "publish/publish.h"
#include "publish/updateinfo.h"

#include <setjmp.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <createrepo_c/createrepo_c.h>

static char tmp[256];

static const char *ADV_JSON =
    "[{\"advisory\": \"CLOUD-9-2026-0007\", \"type\": \"security\", \"severity\": \"Important\","
    "  \"title\": \"\", \"default_title\": \"ad-a-1.0-2.el9.cloud\","
    "  \"notes\": \"Fixes <overflow> & more.\", \"status\": \"testing\","
    "  \"issued\": 1796300000, \"updated\": 1796386400,"
    "  \"references\": [{\"type\": \"cve\", \"id\": \"CVE-2026-1234\","
    "     \"url\": \"https://www.cve.org/CVERecord?id=CVE-2026-1234\", \"title\": "
    "\"CVE-2026-1234\"},"
    "    {\"type\": \"url\", \"id\": \"\", \"url\": \"https://example.com/a?b=1&c=2\", \"title\": "
    "\"\"}],"
    "  \"packages\": [{\"name\": \"ad-a\", \"epoch\": \"0\", \"version\": \"1.0\", \"release\": "
    "\"2.el9.cloud\", \"arch\": \"noarch\", \"filename\": \"ad-a-1.0-2.el9.cloud.noarch.rpm\","
    "     \"sha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "     \"src\": \"ad-a-1.0-2.el9.cloud.src.rpm\"}]},"
    " {\"advisory\": \"CLOUD-9-2026-0008\", \"type\": \"bugfix\", \"severity\": \"\","
    "  \"title\": \"nothing here\", \"packages\": []}]";

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/quarry-test-updateinfo-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	struct q_error err = {0};

	(void)state;
	q_fs_remove_tree(tmp, &err);
	return 0;
}

/* Parse xml with createrepo_c (as its tools read updateinfo). */
static cr_UpdateInfo *parse(const char *xml)
{
	char path[512];
	struct q_error err = {0};
	cr_UpdateInfo *ui = cr_updateinfo_new();
	GError *ge = NULL;

	snprintf(path, sizeof(path), "%s/updateinfo.xml", tmp);
	assert_int_equal(q_fs_write_atomic(path, xml, strlen(xml), 0644, &err), 0);
	assert_int_equal(cr_xml_parse_updateinfo(path, ui, NULL, NULL, &ge), CRE_OK);
	return ui;
}

static void test_xml(void **state)
{
	json_t *in = json_loads(ADV_JSON, 0, NULL);
	struct q_error err = {0};
	char *xml = NULL;
	cr_UpdateInfo *ui;
	cr_UpdateRecord *rec;
	cr_UpdateReference *ref;
	cr_UpdateCollection *coll;
	cr_UpdateCollectionPackage *pkg;

	(void)state;
	assert_non_null(in);
	assert_int_equal(q_updateinfo_xml(in, "sig-cloud-common-9", "cloud common", &xml, &err), 0);
	assert_non_null(xml);
	ui = parse(xml);
	/* The advisory without a package here is left out. */
	assert_int_equal(g_slist_length(ui->updates), 1);
	rec = ui->updates->data;
	assert_string_equal(rec->id, "CLOUD-9-2026-0007");
	assert_string_equal(rec->type, "security");
	assert_string_equal(rec->severity, "Important");
	assert_string_equal(rec->status, "testing");
	assert_string_equal(rec->title, "ad-a-1.0-2.el9.cloud"); /* the default title */
	assert_string_equal(rec->description, "Fixes <overflow> & more.");
	assert_string_equal(rec->issued_date, "2026-12-03 12:13:20");
	assert_string_equal(rec->updated_date, "2026-12-04 12:13:20");
	assert_int_equal(g_slist_length(rec->references), 2);
	ref = rec->references->data;
	assert_string_equal(ref->type, "cve");
	assert_string_equal(ref->id, "CVE-2026-1234");
	ref = rec->references->next->data;
	assert_string_equal(ref->type, "other"); /* a plain URL */
	assert_null(ref->id);
	/* Escaped once (createrepo_c's parser shows "&#38;" for "&amp;" in an
	 * attribute; libsolv, which dnf uses, reads it as "&"). */
	assert_non_null(strstr(xml, "href=\"https://example.com/a?b=1&amp;c=2\""));
	assert_non_null(
	    strstr(xml, "<description>Fixes &lt;overflow&gt; &amp; more.</description>"));
	assert_int_equal(g_slist_length(rec->collections), 1);
	coll = rec->collections->data;
	assert_string_equal(coll->shortname, "sig-cloud-common-9");
	assert_int_equal(g_slist_length(coll->packages), 1);
	pkg = coll->packages->data;
	assert_string_equal(pkg->name, "ad-a");
	assert_string_equal(pkg->epoch, "0");
	assert_string_equal(pkg->version, "1.0");
	assert_string_equal(pkg->release, "2.el9.cloud");
	assert_string_equal(pkg->arch, "noarch");
	assert_string_equal(pkg->src, "ad-a-1.0-2.el9.cloud.src.rpm");
	assert_string_equal(pkg->filename, "ad-a-1.0-2.el9.cloud.noarch.rpm");
	assert_int_equal(pkg->sum_type, CR_CHECKSUM_SHA256);
	assert_string_equal(pkg->sum,
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	cr_updateinfo_free(ui);
	g_free(xml);
	json_decref(in);
}

static void test_xml_none_and_bad(void **state)
{
	struct q_error err = {0};
	char *xml = (char *)"x";
	json_t *in;

	(void)state;
	in = json_array();
	assert_int_equal(q_updateinfo_xml(in, "s", "n", &xml, &err), 0);
	assert_null(xml); /* no advisory: no document */
	json_decref(in);

	in = json_loads("[{\"advisory\": \"X-9-2026-0001\", \"type\": \"bugfix\", \"packages\": "
			"[{\"name\": \"a\", \"version\": \"1\", \"release\": \"1\", \"arch\": "
			"\"noarch\", \"filename\": \"a-1-1.noarch.rpm\"}]}]",
			0, NULL);
	assert_int_equal(q_updateinfo_xml(in, "s", "n", &xml, &err), -1);
	assert_non_null(strstr(err.msg, "'X-9-2026-0001': a package has no 'sha256'"));
	assert_null(xml);
	json_decref(in);

	assert_int_equal(q_updateinfo_xml(NULL, "s", "n", &xml, &err), -1);
}

/* The file repomd.xml lists as type, and its record; NULL when none. */
static cr_RepomdRecord *md_record(cr_Repomd *md, const char *type)
{
	for (GSList *l = md->records; l; l = l->next) {
		cr_RepomdRecord *r = l->data;

		if (!strcmp(r->type, type))
			return r;
	}
	return NULL;
}

static void test_publish_with_updateinfo(void **state)
{
	json_t *in = json_loads(ADV_JSON, 0, NULL);
	struct q_publish_req req = {.grace_seconds = 0};
	struct q_publish_result res;
	struct q_error err = {0};
	char dir[512], path[700], digest[65], plain[65], last[65], sum[Q_SHA256_HEX];
	char *xml = NULL, *xml2, *got = NULL;
	size_t len = 0;
	cr_Repomd *md;
	cr_RepomdRecord *rec;
	GError *ge = NULL;

	(void)state;
	assert_int_equal(q_updateinfo_xml(in, "s", "n", &xml, &err), 0);
	snprintf(dir, sizeof(dir), "%s/repo", tmp);
	req.arch_dir = dir;
	req.updateinfo_xml = xml;
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	/* The digest counts the updateinfo; without one it is the set digest. */
	q_publish_req_digest(&req, digest);
	assert_string_equal(res.set_digest, digest);
	q_publish_set_digest(NULL, 0, NULL, plain);
	assert_string_not_equal(digest, plain);

	snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	md = cr_repomd_new();
	assert_int_equal(cr_xml_parse_repomd(path, md, NULL, NULL, &ge), CRE_OK);
	rec = md_record(md, "updateinfo");
	assert_non_null(rec);
	assert_non_null(strstr(rec->location_href, "-updateinfo.xml.gz"));
	snprintf(path, sizeof(path), "%s/%s", dir, rec->location_href);
	assert_int_equal(q_hash_sha256_file(path, sum, &err), 0);
	assert_string_equal(rec->checksum, sum);
	assert_string_equal(rec->checksum_type, "sha256");
	q_hash_sha256_buf(xml, strlen(xml), sum);
	assert_string_equal(rec->checksum_open, sum);
	assert_int_equal(rec->size_open, (gint64)strlen(xml));
	/* It decompresses to the document. */
	{
		CR_FILE *f = cr_open(path, CR_CW_MODE_READ, CR_CW_AUTO_DETECT_COMPRESSION, &ge);
		char buf[1 << 16];
		int n;

		assert_non_null(f);
		n = cr_read(f, buf, sizeof(buf) - 1, &ge);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, xml);
		cr_close(f, NULL);
	}
	cr_repomd_free(md);

	/* The same again: unchanged. */
	memcpy(last, res.set_digest, sizeof(last));
	req.last_digest = last;
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	assert_int_equal(res.changed, 0);

	/* Another updateinfo (an edit of the notes): written again. */
	json_object_set_new(json_array_get(in, 0), "notes", json_string("Edited."));
	assert_int_equal(q_updateinfo_xml(in, "s", "n", &xml2, &err), 0);
	req.updateinfo_xml = xml2;
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	md = cr_repomd_new();
	assert_int_equal(cr_xml_parse_repomd(path, md, NULL, NULL, &ge), CRE_OK);
	rec = md_record(md, "updateinfo");
	assert_non_null(rec);
	snprintf(path, sizeof(path), "%s/%s", dir, rec->location_href);
	assert_int_equal(q_fs_read_file(path, 1 << 20, &got, &len, &err), 0);
	free(got);
	cr_repomd_free(md);

	/* None any more: the record is gone, the digest is the set digest. */
	memcpy(last, res.set_digest, sizeof(last));
	req.updateinfo_xml = NULL;
	assert_int_equal(q_publish_repo(&req, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	assert_string_equal(res.set_digest, plain);
	snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	md = cr_repomd_new();
	assert_int_equal(cr_xml_parse_repomd(path, md, NULL, NULL, &ge), CRE_OK);
	assert_null(md_record(md, "updateinfo"));
	cr_repomd_free(md);
	g_free(xml);
	g_free(xml2);
	json_decref(in);
}

/* q_advisory_fields on a JSON body; returns the error message or the result. */
static char *fields(const char *body, const char *current, int strict)
{
	json_t *b = json_loads(body, 0, NULL), *c = current ? json_loads(current, 0, NULL) : NULL;
	json_t *out = NULL;
	struct q_error err = {0};
	char *ret;

	assert_non_null(b);
	if (q_advisory_fields(b, c, strict, &out, &err) < 0)
		ret = g_strdup_printf("ERR %s", err.msg);
	else
		ret = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b);
	json_decref(c);
	json_decref(out);
	return ret;
}

#define EXPECT(body, current, strict, want)                                                        \
	do {                                                                                       \
		char *got_ = fields(body, current, strict);                                        \
		if (!strstr(got_, want))                                                           \
			fail_msg("%s → %s, wanted %s", body, got_, want);                          \
		free(got_);                                                                        \
	} while (0)

static void test_fields(void **state)
{
	const char *sec = "{\"type\": \"security\", \"severity\": \"Moderate\"}";
	const char *bug = "{\"type\": \"bugfix\", \"severity\": null}";

	(void)state;
	EXPECT("{\"type\": \"security\", \"severity\": \"critical\"}", NULL, 0,
	       "{\"severity\":\"Critical\",\"type\":\"security\"}");
	EXPECT("{\"type\": \"security\"}", NULL, 0,
	       "ERR field 'severity' is required for a security update");
	EXPECT("{\"severity\": \"Low\"}", NULL, 0, "ERR field 'severity' is for security updates");
	EXPECT(
	    "{\"type\": \"hotfix\"}", NULL, 0,
	    "ERR field 'type' must be bugfix, security, enhancement or newpackage, not 'hotfix'");
	EXPECT("{\"type\": \"security\", \"severity\": \"urgent\"}", NULL, 0,
	       "ERR field 'severity' must be Low, Moderate, Important or Critical");
	/* An edit: the stored type and severity count. */
	EXPECT("{\"severity\": \"Low\"}", sec, 1, "{\"severity\":\"Low\"}");
	EXPECT("{\"title\": \"t\"}", sec, 1, "{\"title\":\"t\"}");
	EXPECT("{\"type\": \"bugfix\"}", sec, 1, "{\"severity\":\"\",\"type\":\"bugfix\"}");
	EXPECT("{\"type\": \"security\"}", bug, 1, "ERR field 'severity' is required");
	EXPECT("{\"severity\": null}", sec, 1, "ERR field 'severity' is required");
	EXPECT("{}", sec, 1, "ERR nothing to change");
	EXPECT("{\"repo\": \"x\"}", sec, 1, "ERR unknown field 'repo'");
	EXPECT("{\"repo\": \"x\"}", NULL, 0, "{}"); /* create: other fields are the create's */
	EXPECT("{\"title\": \"two\\nlines\"}", NULL, 0,
	       "ERR field 'title' contains a control character (byte 3); it is one line");
	EXPECT("{\"notes\": \"two\\nlines\\tok\"}", NULL, 0, "{\"notes\":\"two\\nlines\\tok\"}");
	EXPECT("{\"notes\": \"bell\\u0007\"}", NULL, 0,
	       "ERR field 'notes' contains a control character (byte 4)");
	EXPECT("{\"notes\": \"c1\\u0085\"}", NULL, 0, "ERR field 'notes' contains a control");
	EXPECT("{\"notes\": \"x\\uffff\"}", NULL, 0, "ERR field 'notes' contains a control");
	EXPECT("{\"title\": \"\\ufffe\"}", NULL, 0, "ERR field 'title' contains a control");
	EXPECT("{\"title\": \"caf\\u00e9 \\u2013 ok\"}", NULL, 0, "{\"title\":\"caf");
	EXPECT("{\"title\": 7}", NULL, 0, "ERR field 'title' must be a string");
	{
		char *big = g_strnfill(Q_ADV_TITLE_MAX + 1, 'x');
		char *body = g_strdup_printf("{\"title\": \"%s\"}", big);

		EXPECT(body, NULL, 0, "ERR field 'title' is longer than 200 bytes");
		g_free(body);
		g_free(big);
	}
	/* References: strings and objects, normalised, duplicates dropped. */
	EXPECT("{\"references\": [\"CVE-2026-0001\", \"CVE-2026-0001\"]}", NULL, 0,
	       "{\"references\":[{\"id\":\"CVE-2026-0001\",\"title\":\"CVE-2026-0001\",\"type\":"
	       "\"cve\",\"url\":\"https://www.cve.org/CVERecord?id=CVE-2026-0001\"}]}");
	EXPECT("{\"references\": [\"https://bugzilla.redhat.com/show_bug.cgi?id=123456\"]}", NULL,
	       0, "\"id\":\"123456\",\"title\":\"\",\"type\":\"bugzilla\"");
	EXPECT("{\"references\": [\"HTTPS://example.com/x\"]}", NULL, 0,
	       "\"id\":\"\",\"title\":\"\",\"type\":\"url\",\"url\":\"HTTPS://example.com/x\"");
	EXPECT("{\"references\": [\"CVE-26-1\"]}", NULL, 0,
	       "ERR references[0] 'CVE-26-1' is not a CVE id of the form CVE-YYYY-NNNN");
	EXPECT("{\"references\": [\"CVE-2026-123\"]}", NULL, 0, "is not a CVE id");
	EXPECT("{\"references\": [\"ftp://example.com/x\"]}", NULL, 0,
	       "ERR references[0] 'ftp://example.com/x' is neither a CVE id (CVE-YYYY-NNNN) nor an "
	       "http(s) URL: it is not an http(s) URL");
	EXPECT("{\"references\": [\"javascript:alert(1)\"]}", NULL, 0, "is not an http(s) URL");
	EXPECT("{\"references\": [\"https:///path\"]}", NULL, 0, "it has no host");
	EXPECT("{\"references\": [\"https://example.com/a b\"]}", NULL, 0,
	       "has a character a URL may not hold");
	EXPECT("{\"references\": [\"https://example.com/\\u00e9\"]}", NULL, 0,
	       "has a character a URL may not hold");
	EXPECT("{\"references\": \"CVE-2026-0001\"}", NULL, 0,
	       "ERR field 'references' must be a list");
	EXPECT("{\"references\": [3]}", NULL, 0, "ERR references[0] must be a CVE id, a URL or");
	EXPECT("{\"references\": [{\"type\": \"cve\", \"id\": \"CVE-2026-55555\", \"title\": "
	       "\"t\"}]}",
	       NULL, 0, "\"title\":\"t\",\"type\":\"cve\"");
	EXPECT("{\"references\": [{\"type\": \"cve\", \"id\": \"cve-2026-55555\"}]}", NULL, 0,
	       "ERR field 'references[0].id' 'cve-2026-55555' is not a CVE id");
	EXPECT("{\"references\": [{\"type\": \"jira\", \"url\": \"https://x.org/\"}]}", NULL, 0,
	       "ERR field 'references[0].type' must be bugzilla, cve or url, not 'jira'");
	EXPECT("{\"references\": [{\"url\": \"https://x.org/\"}]}", NULL, 0,
	       "ERR field 'references[0].type' is required");
	EXPECT("{\"references\": [{\"type\": \"url\"}]}", NULL, 0,
	       "ERR field 'references[0].url' is required for a url reference");
	EXPECT("{\"references\": [{\"type\": \"bugzilla\", \"id\": \"12a\", \"url\": "
	       "\"https://b.org/show_bug.cgi?id=1\"}]}",
	       NULL, 0, "ERR field 'references[0].id' '12a' is not a bug number");
	EXPECT("{\"references\": [{\"type\": \"url\", \"url\": \"https://x.org/\", \"extra\": 1}]}",
	       NULL, 0, "ERR references[0] has an unknown field 'extra'");
	EXPECT("{\"references\": [{\"type\": \"url\", \"url\": \"https://x.org/\", \"title\": "
	       "\"a\\u001bb\"}]}",
	       NULL, 0, "ERR field 'references[0].title' contains a control character");
	{
		GString *b = g_string_new("{\"references\": [");

		for (int i = 0; i <= Q_ADV_REFS_MAX; i++)
			g_string_append_printf(b, "%s\"CVE-2026-%05d\"", i ? "," : "", i);
		g_string_append(b, "]}");
		EXPECT(b->str, NULL, 0, "ERR field 'references' has more than 50 entries");
		g_string_free(b, TRUE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xml),
	    cmocka_unit_test(test_xml_none_and_bad),
	    cmocka_unit_test(test_publish_with_updateinfo),
	    cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
