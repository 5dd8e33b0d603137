/*
 * test_metalink.c: the metalink and mirrorlist renderers
 * (src/mirror/metalink.c). Exact expected documents for a small case (one
 * alternate, two URLs), none of the alternates block when there are no
 * older versions, empty hashes left out, XML escaping of every string,
 * preference clamping, the RFC 1123 pubdate; the mirrorlist header,
 * comment lines, trailing '/' and refused URLs.
 *
 * Then the real client: an RPM built with rpmbuild, a repo made with
 * createrepo_c, both served by `python3 -m http.server` on a free port of
 * 127.0.0.1, and dnf (repoquery) pointed at metalinks we render: dnf must
 * accept the repo when the main hashes match its repomd.xml, accept it
 * through an alternate (after a first mirror that answers 404), and refuse
 * it when no hash matches. Skipped when dnf, rpmbuild, createrepo_c or
 * python3 is missing.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "mirror/metalink.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct q_repomd_version version(int64_t ts, uint64_t size, char c)
{
	struct q_repomd_version v = {.timestamp = ts, .size = size};

	memset(v.digests.md5, c, 32);
	memset(v.digests.sha1, c, 40);
	memset(v.digests.sha256, c, 64);
	memset(v.digests.sha512, c, 128);
	return v;
}

static void test_exact(void **state)
{
	struct q_repomd_version main = version(1700000200, 3001, 'a');
	struct q_repomd_version alt = version(1700000100, 2999, 'b');
	struct q_mlurl urls[] = {
	    {"https", "DE", 100, "https://m1.example.de/pub/sig/x/9/x86_64/repodata/repomd.xml"},
	    {"rsync", "", 0, "rsync://m2.example.org/pub/sig/x/9/x86_64/repodata/repomd.xml"},
	};
	char *doc;
	size_t len = 0;
	char expect[8192];

	(void)state;
	main.digests.md5[0] = 'c';
	snprintf(expect, sizeof(expect),
		 "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		 "<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\" type=\"dynamic\" "
		 "pubdate=\"Tue, 14 Nov 2023 22:13:20 GMT\" generator=\"quarry\" "
		 "xmlns:mm0=\"http://fedorahosted.org/mirrormanager\">\n"
		 " <files>\n"
		 "  <file name=\"repomd.xml\">\n"
		 "   <mm0:timestamp>1700000200</mm0:timestamp>\n"
		 "   <size>3001</size>\n"
		 "   <verification>\n"
		 "    <hash type=\"md5\">c%.31s</hash>\n"
		 "    <hash type=\"sha1\">%.40s</hash>\n"
		 "    <hash type=\"sha256\">%.64s</hash>\n"
		 "    <hash type=\"sha512\">%.128s</hash>\n"
		 "   </verification>\n"
		 "   <mm0:alternates>\n"
		 "    <mm0:alternate>\n"
		 "     <mm0:timestamp>1700000100</mm0:timestamp>\n"
		 "     <size>2999</size>\n"
		 "     <verification>\n"
		 "      <hash type=\"md5\">%.32s</hash>\n"
		 "      <hash type=\"sha1\">%.40s</hash>\n"
		 "      <hash type=\"sha256\">%.64s</hash>\n"
		 "      <hash type=\"sha512\">%.128s</hash>\n"
		 "     </verification>\n"
		 "    </mm0:alternate>\n"
		 "   </mm0:alternates>\n"
		 "   <resources maxconnections=\"1\">\n"
		 "    <url protocol=\"https\" type=\"https\" location=\"DE\" preference=\"100\">"
		 "https://m1.example.de/pub/sig/x/9/x86_64/repodata/repomd.xml</url>\n"
		 "    <url protocol=\"rsync\" type=\"rsync\" preference=\"1\">"
		 "rsync://m2.example.org/pub/sig/x/9/x86_64/repodata/repomd.xml</url>\n"
		 "   </resources>\n"
		 "  </file>\n"
		 " </files>\n"
		 "</metalink>\n",
		 main.digests.sha256, main.digests.sha1, main.digests.sha256, main.digests.sha512,
		 alt.digests.md5, alt.digests.sha1, alt.digests.sha256, alt.digests.sha512);
	doc = q_metalink_render(&main, &alt, 1, urls, 2, 1700000000, &len);
	assert_non_null(doc);
	assert_string_equal(doc, expect);
	assert_int_equal(len, strlen(expect));
	free(doc);
}

static void test_no_alternates(void **state)
{
	struct q_repomd_version main = version(5, 10, 'f');
	struct q_mlurl u = {"http", "cz", 250, "http://m/repodata/repomd.xml"};
	char *doc;
	size_t len;

	(void)state;
	main.digests.md5[0] = '\0'; /* an empty hash is left out */
	main.digests.sha1[0] = '\0';
	doc = q_metalink_render(&main, NULL, 0, &u, 1, 784111777, &len);
	assert_non_null(doc);
	assert_null(strstr(doc, "alternate"));
	assert_null(strstr(doc, "md5"));
	assert_null(strstr(doc, "sha1"));
	assert_non_null(strstr(doc, "<hash type=\"sha256\">"));
	assert_non_null(strstr(doc, "pubdate=\"Sun, 06 Nov 1994 08:49:37 GMT\""));
	assert_non_null(strstr(doc, "location=\"cz\" preference=\"100\">"));
	free(doc);

	/* no URLs at all: still a well-formed document */
	doc = q_metalink_render(&main, NULL, 0, NULL, 0, 0, &len);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "   <resources maxconnections=\"1\">\n   </resources>\n"));
	assert_non_null(strstr(doc, "pubdate=\"Thu, 01 Jan 1970 00:00:00 GMT\""));
	free(doc);
}

static void test_escaping(void **state)
{
	struct q_repomd_version main = version(1, 1, '0');
	struct q_mlurl u = {"ht<tp", "\"'", 50, "http://m/a?b=1&c=<2>\"'\x01/repodata/repomd.xml"};
	char *doc;
	size_t len;

	(void)state;
	memcpy(main.digests.sha256, "<&>", 4);
	doc = q_metalink_render(&main, NULL, 0, &u, 1, 0, &len);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "<hash type=\"sha256\">&lt;&amp;&gt;</hash>"));
	assert_non_null(strstr(doc,
			       "<url protocol=\"ht&lt;tp\" type=\"ht&lt;tp\" "
			       "location=\"&quot;&apos;\" preference=\"50\">"
			       "http://m/a?b=1&amp;c=&lt;2&gt;&quot;&apos;?/repodata/repomd.xml"
			       "</url>"));
	assert_int_equal(strlen(doc), len);
	free(doc);
}

static void test_mirrorlist(void **state)
{
	const char *urls[] = {"https://m1.example.de/pub/sig/x/9/x86_64/",
			      "http://m2.example.org/pub/sig/x/9/x86_64",
			      "http://bad.example/with space/",
			      "http://bad.example/new\nline/",
			      "",
			      "rsync://m3.example.org/pub/sig/x/9/x86_64/"};
	char *doc;
	size_t len;

	(void)state;
	doc = q_mirrorlist_render("sig-x-9", "x86_64", urls, Q_ARRAY_LEN(urls),
				  "country = DE country = global\n\nsecond\rline", &len);
	assert_non_null(doc);
	assert_string_equal(doc, "# repo = sig-x-9 arch = x86_64\n"
				 "# country = DE country = global\n"
				 "#\n"
				 "# second?line\n"
				 "https://m1.example.de/pub/sig/x/9/x86_64/\n"
				 "http://m2.example.org/pub/sig/x/9/x86_64/\n"
				 "rsync://m3.example.org/pub/sig/x/9/x86_64/\n");
	assert_int_equal(len, strlen(doc));
	free(doc);

	doc = q_mirrorlist_render("r\n", "a", NULL, 0, NULL, &len);
	assert_non_null(doc);
	assert_string_equal(doc, "# repo = r? arch = a\n");
	free(doc);
}

/* ---- dnf against rendered metalinks ---- */

static struct {
	char base[64];                  /* /var/tmp/quarry-mltest-XXXXXX */
	int port;                       /* the http.server's */
	GPid server;                    /* 0 when not running */
	struct q_repomd_version repomd; /* the real repo's */
	bool ready;                     /* everything above is set up */
} g;

static int run(char **argv, char **out_stdout)
{
	char *out = NULL, *errout = NULL;
	int status = 0;
	int ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
			      &status, NULL) &&
		 g_spawn_check_wait_status(status, NULL);

	if (!ok)
		print_message("%s failed:\n%s\n%s\n", argv[0], out ? out : "",
			      errout ? errout : "");
	if (out_stdout)
		*out_stdout = out;
	else
		g_free(out);
	g_free(errout);
	return ok ? 0 : -1;
}

static int have(const char *prog)
{
	char *p = g_find_program_in_path(prog);

	g_free(p);
	return p != NULL;
}

static const char spec_text[] = "Name: qhello\n"
				"Version: 1\n"
				"Release: 1\n"
				"Summary: a package for the metalink test\n"
				"License: MIT\n"
				"BuildArch: noarch\n"
				"AutoReqProv: no\n"
				"%description\n"
				"Nothing inside.\n"
				"%files\n";

static int free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int wait_listening(int port)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

static int group_setup(void **state)
{
	char top[128], spec[128], rpm[192], repo[128], dst[192], repomd[160], conf[128],
	    topdef[160], portstr[16];
	char *build[] = {"rpmbuild", "-bb", "--quiet", "--define", topdef, spec, NULL};
	char *create[] = {"createrepo_c", "-q", repo, NULL};
	char *serve[] = {"python3", "-m",          "http.server", "--bind", "127.0.0.1",
			 portstr,   "--directory", g.base,        NULL};
	struct q_error err = {0};
	size_t size = 0;

	snprintf(g.base, sizeof(g.base), "/var/tmp/quarry-mltest-XXXXXX");
	if (!mkdtemp(g.base))
		return -1;
	if (!have("dnf") || !have("rpmbuild") || !have("createrepo_c") || !have("python3")) {
		print_message("dnf, rpmbuild, createrepo_c or python3 missing; skipping\n");
		return 0;
	}
	snprintf(top, sizeof(top), "%s/top", g.base);
	snprintf(topdef, sizeof(topdef), "_topdir %s", top);
	snprintf(spec, sizeof(spec), "%s/qhello.spec", g.base);
	snprintf(rpm, sizeof(rpm), "%s/RPMS/noarch/qhello-1-1.noarch.rpm", top);
	snprintf(repo, sizeof(repo), "%s/repo", g.base);
	snprintf(dst, sizeof(dst), "%s/qhello-1-1.noarch.rpm", repo);
	snprintf(repomd, sizeof(repomd), "%s/repodata/repomd.xml", repo);
	snprintf(conf, sizeof(conf), "%s/empty.conf", g.base);
	if (q_fs_write_atomic(spec, spec_text, strlen(spec_text), 0644, &err) < 0 ||
	    q_fs_write_atomic(conf, "", 0, 0644, &err) < 0 || run(build, NULL) < 0 ||
	    q_fs_mkdirs(repo, 0755, &err) < 0 || q_fs_copy_file(rpm, dst, 0644, &err) < 0 ||
	    run(create, NULL) < 0 ||
	    q_hash_digests_file(repomd, &g.repomd.digests, &size, &err) < 0) {
		print_message("setup failed: %s\n", err.msg);
		return -1;
	}
	g.repomd.size = size;
	g.repomd.timestamp = (int64_t)time(NULL);
	g.port = free_port();
	snprintf(portstr, sizeof(portstr), "%d", g.port);
	if (g.port < 0 ||
	    !g_spawn_async(NULL, serve, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
			       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			   NULL, NULL, &g.server, NULL) ||
	    wait_listening(g.port) < 0) {
		print_message("cannot start python3 -m http.server on port %d\n", g.port);
		return -1;
	}
	g.ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	if (g.server > 0) {
		kill(g.server, SIGTERM);
		waitpid(g.server, NULL, 0);
		g_spawn_close_pid(g.server);
	}
	q_fs_remove_tree(g.base, NULL);
	return 0;
}

/*
 * Serve a metalink (main, alts, urls built from paths on our server) and
 * run dnf repoquery through it in a fresh installroot and cache. Returns
 * dnf's success, and whether it listed qhello.
 */
static int dnf_through(const char *name, const struct q_repomd_version *main,
		       const struct q_repomd_version *alts, size_t n_alts, const char *const *paths,
		       size_t n_paths)
{
	struct q_mlurl urls[4];
	char url_buf[4][160], path[192], root[160], cache[160], reposdir[160], conf[160],
	    cachedef[200], reposdef[200], repo_text[512];
	char *doc, *out = NULL;
	size_t len;
	int ok;
	char *dnf[] = {
	    "dnf", "-y",       "--installroot", root,       "--releasever", "9",         "--config",
	    conf,  "--setopt", reposdef,        "--setopt", cachedef,       "repoquery", "qhello",
	    NULL};

	assert_true(n_paths <= 4);
	for (size_t i = 0; i < n_paths; i++) {
		snprintf(url_buf[i], sizeof(url_buf[i]),
			 "http://127.0.0.1:%d/%s/repodata/repomd.xml", g.port, paths[i]);
		urls[i] = (struct q_mlurl){"http", "DE", 100 - (int)i, url_buf[i]};
	}
	doc = q_metalink_render(main, alts, n_alts, urls, n_paths, time(NULL), &len);
	assert_non_null(doc);
	snprintf(path, sizeof(path), "%s/%s.xml", g.base, name);
	assert_int_equal(q_fs_write_atomic(path, doc, len, 0644, NULL), 0);
	free(doc);

	snprintf(reposdir, sizeof(reposdir), "%s/repos-%s", g.base, name);
	snprintf(root, sizeof(root), "%s/root-%s", g.base, name);
	snprintf(cache, sizeof(cache), "%s/cache-%s", g.base, name);
	snprintf(conf, sizeof(conf), "%s/empty.conf", g.base);
	snprintf(reposdef, sizeof(reposdef), "reposdir=%s", reposdir);
	snprintf(cachedef, sizeof(cachedef), "cachedir=%s", cache);
	snprintf(repo_text, sizeof(repo_text),
		 "[q]\nname=q\nmetalink=http://127.0.0.1:%d/%s.xml\ngpgcheck=0\n", g.port, name);
	snprintf(path, sizeof(path), "%s/q.repo", reposdir);
	assert_int_equal(q_fs_mkdirs(reposdir, 0755, NULL), 0);
	assert_int_equal(q_fs_write_atomic(path, repo_text, strlen(repo_text), 0644, NULL), 0);
	ok = run(dnf, &out) == 0 && out && strstr(out, "qhello-0:1-1.noarch");
	g_free(out);
	return ok;
}

static void test_dnf_accepts_main(void **state)
{
	const char *paths[] = {"repo"};

	(void)state;
	if (!g.ready)
		skip();
	assert_true(dnf_through("main", &g.repomd, NULL, 0, paths, 1));
}

static void test_dnf_accepts_alternate(void **state)
{
	struct q_repomd_version newer = version(g.repomd.timestamp + 60, 1234, 'e');
	const char *paths[] = {"no-such-mirror", "repo"};

	(void)state;
	if (!g.ready)
		skip();
	/* The newest publish is not on this mirror yet; the previous one is. */
	assert_true(dnf_through("alt", &newer, &g.repomd, 1, paths, 2));
}

static void test_dnf_refuses_mismatch(void **state)
{
	struct q_repomd_version newer = version(g.repomd.timestamp + 60, 1234, 'e');
	const char *paths[] = {"repo"};

	(void)state;
	if (!g.ready)
		skip();
	assert_false(dnf_through("stale", &newer, NULL, 0, paths, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_no_alternates),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_mirrorlist),
	    cmocka_unit_test(test_dnf_accepts_main),
	    cmocka_unit_test(test_dnf_accepts_alternate),
	    cmocka_unit_test(test_dnf_refuses_mismatch),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
