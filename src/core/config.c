/*
 * config.c: see config.h. The table below is the only place a key exists.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/log.h"
#include "core/names.h"
#include "web/groupmap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <netdb.h>
#include <unistd.h>

enum key_type {
	T_STRING,
	T_INT,
	T_SIZE,
	T_DURATION,
	T_LEVEL,
	T_LISTEN,
	T_URL,
	T_ALGO,
	T_BOOL,
	T_OPTSTR,
	T_ARCHES,
	T_PATH,
	T_PATHLIST,
	T_CIDRS,
	T_REPO,
	T_BACKEND,
	T_OPTLISTEN,
	T_MODULE,
	T_TEXT,    /* any text, may be empty */
	T_GROUPMAP /* oidc.group_map (web/groupmap.h) */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	const char *def;  /* default, as it would be written in the file */
	size_t offset;    /* into struct q_config */
	size_t size;      /* for strings: buffer size */
	int64_t min, max; /* for numbers */
	const char *help;
};

#define STR(field) offsetof(struct q_config, field), sizeof(((struct q_config *)0)->field)
#define NUM(field) offsetof(struct q_config, field), 0

static const struct key keys[] = {
    {"hub", "listen", T_LISTEN, "127.0.0.1:8080", STR(listen), 0, 0,
     "addresses and ports the hub listens on: HOST:PORT or [V6]:PORT, several separated by "
     "spaces or commas (e.g. `127.0.0.1:8080 [::1]:8080`); public_url derives from the first"},
    {"hub", "data_dir", T_STRING, "/var/lib/quarry", STR(data_dir), 0, 0,
     "data directory: database, keys, package store, /pub tree"},
    {"hub", "public_url", T_URL, "", STR(public_url), 0, 0,
     "the URL clients and mirrors use to reach the hub (http:// or https://); metalinks and "
     "release packages point there; unset: http://HOST:PORT of listen (a wildcard address such "
     "as 0.0.0.0 or [::]: this host's name)"},
    {"hub", "threads", T_INT, "4", NUM(threads), 1, 64,
     "event-loop threads; a slow request blocks only its own thread"},
    {"hub", "max_upload_size", T_SIZE, "1G", NUM(max_upload), 1024, (int64_t)1 << 40,
     "largest file an upload session accepts (one RPM, SRPM, artifact or lookaside file)"},
    {"hub", "max_json_body", T_SIZE, "1M", NUM(max_json), 1024, 64 << 20,
     "largest accepted JSON request body"},
    {"hub", "upload_ttl", T_DURATION, "1h", NUM(upload_ttl), 60, 30 * 86400,
     "how long a staged upload or an unfinished upload session waits before it is removed"},
    {"hub", "upload_part_size", T_SIZE, "1M", NUM(upload_part), 1 << 20, 64 << 20,
     "largest request body that is not JSON: a file up to this size is uploaded in one "
     "request, a larger one in parts of this size (an upload session); no request body "
     "is ever read beyond the larger of this and max_json_body"},
    {"publish", "grace_period", T_DURATION, "1h", NUM(grace), 0, 30 * 86400,
     "how long old metadata and removed packages stay beside a new publish"},
    {"publish", "history_keep", T_INT, "50", NUM(history_keep), 1, 100000,
     "publish history rows kept per repo and arch"},
    {"signing", "key_algo", T_ALGO, "rsa3072", STR(key_algo), 0, 0,
     "algorithm of new SIG keys: rsa2048, rsa3072, rsa4096"},
    {"signing", "socket", T_PATH, "", STR(signing_socket), 0, 0,
     "unix socket of a separate `quarry signer` (its own user and keys); empty: the hub forks "
     "a signer over DATA/keys"},
    {"signing", "rotation_overlap", T_DURATION, "30d", NUM(rotation_overlap), 0, 365 * 86400,
     "after a key rotation, repomd.xml is signed by the old key too for this long, so "
     "clients that only know the old key keep verifying; 0: new key only"},
    {"signing", "timeout", T_DURATION, "2m", NUM(signing_timeout), 1, 3600,
     "how long the signer may stay silent in one operation before it fails"},
    {"log", "level", T_LEVEL, "info", STR(log_level), 0, 0, "error, warn, info or debug"},
    {"build", "lease", T_DURATION, "30s", NUM(lease), 5, 3600,
     "a claimed task without a heartbeat for this long goes back to the queue"},
    {"build", "max_attempts", T_INT, "3", NUM(max_attempts), 1, 100,
     "times a task may be claimed before it fails"},
    {"build", "timeout", T_DURATION, "2h", NUM(build_timeout), 10, 7 * 86400,
     "wall-clock limit of one build step; the sandbox is killed after it"},
    {"build", "unclaimed_timeout", T_DURATION, "1h", NUM(unclaimed), 1, 30 * 86400,
     "a task no worker claimed for this long fails, and its build with it (no worker serves "
     "its arch)"},
    {"build", "scratch_ttl", T_DURATION, "14d", NUM(scratch_ttl), 1, 365 * 86400,
     "how long the outputs (RPMs, logs) of a finished scratch build are kept"},
    {"build", "max_memory", T_SIZE, "8G", NUM(build_max_memory), 64 << 20, (int64_t)1 << 40,
     "address-space limit of one build step"},
    {"build", "max_files", T_INT, "20000", NUM(max_files), 1, 10000000,
     "most files an imported git tree may hold"},
    {"build", "max_tree_size", T_SIZE, "1G", NUM(max_tree), 1024, (int64_t)1 << 40,
     "largest imported git tree, in bytes"},
    {"build", "embedded_worker", T_BOOL, "true", NUM(embedded_worker), 0, 1,
     "run one worker beside the hub (true/false)"},
    {"build", "worker_slots", T_INT, "2", NUM(worker_slots), 1, 64,
     "tasks the embedded worker runs at once"},
    {"build", "worker_arches", T_ARCHES, "x86_64,noarch", STR(worker_arches), 0, 0,
     "arches the embedded worker builds"},
    {"build", "worker_backend", T_BACKEND, "host", STR(worker_backend), 0, 0,
     "the embedded worker's buildroot backend: host (the host's files; it never gets tasks of "
     "a project with a build tag) or installroot (roots made by dnf from the build tags, "
     "cached in its work directory DATA/tmp/worker)"},
    {"lookaside", "url_template", T_OPTSTR, "", STR(lookaside_url), 0, 0,
     "external lookaside URL with {name}, {filename}, {hashtype}, {hash}; empty: none"},
    {"lookaside", "max_size", T_SIZE, "4G", NUM(lookaside_max), 1024, (int64_t)1 << 40,
     "largest lookaside file"},
    {"mirror", "alternates_window", T_DURATION, "4d", NUM(ml_window), 0, 90 * 86400,
     "publishes this recent are a metalink's alternates (mirrors that lag are still usable)"},
    {"mirror", "trusted_proxies", T_CIDRS, "", STR(trusted_proxies), 0, 0,
     "peers (comma-separated CIDRs) whose X-Forwarded-For names the client; empty: none"},
    {"mirror", "max_mirrors", T_INT, "10", NUM(ml_max), 1, 100,
     "most mirrors in one metalink or mirrorlist (the master comes after them)"},
    {"mirror", "crawl_interval", T_DURATION, "1h", NUM(crawl_interval), 0, 7 * 86400,
     "time between scheduled crawls of every mirror; 0: only on request"},
    {"mirror", "crawl_parallel", T_INT, "64", NUM(crawl_parallel), 1, 1024,
     "fetches a crawl runs at once"},
    {"mirror", "crawl_per_host", T_INT, "4", NUM(crawl_per_host), 1, 64,
     "fetches a crawl runs at once against one mirror"},
    {"mirror", "crawl_timeout", T_DURATION, "30s", NUM(crawl_timeout), 1, 600,
     "time limit of one fetch (connecting: a third of it, at most 10s)"},
    {"mirror", "max_failures", T_INT, "4", NUM(max_failures), 1, 1000,
     "failed crawls in a row that disable a mirror (a success re-enables it)"},
    {"mirror", "publish_crawl_delay", T_DURATION, "10s", NUM(publish_crawl_delay), 0, 86400,
     "after a publish, crawl that repo's mirrors this much later, then again with a doubling "
     "delay until all serve it or the next scheduled crawl; 0: no post-publish crawl"},
    {"geoip", "country_mmdb", T_PATH, "", STR(geo_country), 0, 0,
     "country database (.mmdb: country_code or country.iso_code); empty: none"},
    {"geoip", "asn_mmdb", T_PATH, "", STR(geo_asn), 0, 0,
     "ASN database (.mmdb: autonomous_system_number); empty: none"},
    {"geoip", "tor_v4", T_PATH, "/usr/share/tor/geoip", STR(geo_tor4), 0, 0,
     "tor-geoipdb IPv4 table, for countries the .mmdb does not know; empty: none"},
    {"geoip", "tor_v6", T_PATH, "/usr/share/tor/geoip6", STR(geo_tor6), 0, 0,
     "tor-geoipdb IPv6 table; empty: none"},
    {"check", "base_repos", T_PATHLIST, "", STR(check_base_repos), 0, 0,
     "repos (comma-separated: directories holding repodata/, http://, https:// or file:/// "
     "URLs; $releasever and $basearch are replaced) the closure, installable and conflicts "
     "checks add to the project's: the distribution the SIG builds for; empty: the external "
     "repos of the project's build tag"},
    /* The rsync daemon for mirrors (hub/rsyncd.c). */
    {"rsync", "listen", T_OPTLISTEN, "", STR(rsync_listen), 0, 0,
     "address and port of the rsync daemon serving /pub to mirrors (HOST:PORT; [V6]:PORT; "
     "873 is rsync's port); empty: no daemon. The hub starts and stops it; `quarry rsyncd` "
     "runs it alone"},
    {"rsync", "module", T_MODULE, "quarry", STR(rsync_module), 0, 0,
     "the module name mirrors sync from (rsync://HOST/MODULE/ is /pub/)"},
    {"rsync", "max_connections", T_INT, "20", NUM(rsync_max_conn), 0, 10000,
     "mirrors syncing at once (more are refused with rsync's 'max connections' message); 0: "
     "no limit"},
    {"rsync", "timeout", T_DURATION, "10m", NUM(rsync_timeout), 0, 86400,
     "a client silent for this long is dropped; 0: never"},
    {"rsync", "hosts_allow", T_CIDRS, "", STR(rsync_hosts_allow), 0, 0,
     "clients (comma-separated CIDRs) allowed to connect; empty: everyone"},
    {"rsync", "program", T_STRING, "rsync", STR(rsync_program), 0, 0,
     "the rsync executable: a name looked up in PATH, or an absolute path"},
    {"release_pkg", "repo", T_REPO, "common", STR(release_pkg_repo), 0, 0,
     "the repo of each project that gets the SIG's sig-SIG-release package (rebuilt when "
     "repos or keys change); nothing is built in a project without it; empty: no release "
     "packages"},
    /* Signing in to the web UI: sessions, local passwords, OpenID Connect. */
    {"web", "session_lifetime", T_DURATION, "7d", NUM(session_lifetime), 300, 365 * 86400,
     "how long a browser session lasts after signing in (the cookie and its database row)"},
    {"web", "local_login", T_BOOL, "true", NUM(local_login), 0, 1,
     "offer the username and password form on /login (users with a password set by "
     "`quarry user passwd`); false: OpenID Connect only"},
    {"oidc", "issuer", T_OPTSTR, "", STR(oidc_issuer), 0, 0,
     "the OpenID Connect provider's issuer URL (its ISSUER/.well-known/openid-configuration "
     "is read at each sign-in); empty: no \"Sign in with\" button"},
    {"oidc", "client_id", T_TEXT, "", STR(oidc_client_id), 0, 0,
     "the client id the provider gave the hub"},
    {"oidc", "client_secret", T_TEXT, "", STR(oidc_client_secret), 0, 0,
     "the client secret (sent with HTTP Basic authentication to the token endpoint); keep "
     "this file readable by the hub's user only"},
    {"oidc", "provider_name", T_TEXT, "OpenID Connect", STR(oidc_name), 0, 0,
     "the provider's name on the sign-in page (\"Sign in with NAME\")"},
    {"oidc", "redirect_path", T_TEXT, "/auth/callback", STR(oidc_redirect_path), 0, 0,
     "the path on hub.public_url the provider sends the browser back to (register "
     "PUBLIC_URL + this path with the provider)"},
    {"oidc", "scopes", T_TEXT, "openid profile", STR(oidc_scopes), 0, 0,
     "scopes asked for, space-separated (openid is required; add the scope that makes the "
     "provider include the groups claim, if it needs one)"},
    {"oidc", "username_claim", T_TEXT, "preferred_username", STR(oidc_user_claim), 0, 0,
     "the id_token claim that names the Quarry user created at the first sign-in"},
    {"oidc", "groups_claim", T_TEXT, "groups", STR(oidc_groups_claim), 0, 0,
     "the id_token claim (a list of strings) read for SIG membership"},
    {"oidc", "group_map", T_GROUPMAP, "", STR(oidc_group_map), 0, 0,
     "groups to SIG roles, space-separated entries: PATTERN:ROLE where PATTERN holds {sig} "
     "once (sig-{sig}:member sig-{sig}-lead:lead), or GROUP=SIG:ROLE for one SIG; ROLE is "
     "member or lead; empty: sign-in changes no membership"},
};

int q_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_suffixed(const char *s, const char *suffixes, const int64_t *mult, int64_t *out)
{
	char *end;
	long long v;
	int64_t m = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -1;
	if (*end) {
		const char *p = strchr(suffixes, *end);
		if (!p || end[1])
			return -1;
		m = mult[p - suffixes];
	}
	if (v > INT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int q_parse_size(const char *s, int64_t *out)
{
	static const int64_t mult[] = {
	    1, 1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30, (int64_t)1 << 40, (int64_t)1 << 40};

	return parse_suffixed(s, "bkKmMgGtT", mult, out);
}

int q_parse_duration(const char *s, int64_t *out)
{
	static const int64_t mult[] = {1, 60, 3600, 86400, 604800};

	return parse_suffixed(s, "smhdw", mult, out);
}

/* "A/N, B/N": each an IPv4 or IPv6 address, optionally with a prefix in range. */
static int check_cidrs(const char *value)
{
	char item[128];
	const char *p = value;

	while (*p) {
		size_t l = strcspn(p, ",");
		unsigned char buf[16];
		char *slash;
		int64_t prefix;
		int v6;

		while (l && isspace((unsigned char)*p)) {
			p++;
			l--;
		}
		if (l == 0 || l >= sizeof(item))
			return -1;
		memcpy(item, p, l);
		item[l] = '\0';
		while (l && isspace((unsigned char)item[l - 1]))
			item[--l] = '\0';
		slash = strchr(item, '/');
		if (slash)
			*slash = '\0';
		v6 = strchr(item, ':') != NULL;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, item, buf) != 1)
			return -1;
		if (slash && q_parse_int(slash + 1, 0, v6 ? 128 : 32, &prefix) < 0)
			return -1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

#define LISTEN_SEP " \t,"

int q_config_listen_addr(const char *listen, size_t n, char *buf, size_t size)
{
	const char *p = listen + strspn(listen, LISTEN_SEP);

	for (;;) {
		size_t l = strcspn(p, LISTEN_SEP);

		if (l == 0)
			return -1;
		if (n-- == 0) {
			if (l >= size)
				return -1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return 0;
		}
		p += l;
		p += strspn(p, LISTEN_SEP);
	}
}

static int check_one_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	int64_t port;

	if (!colon || colon == v)
		return -1;
	if (v[0] == '[' && colon[-1] != ']')
		return -1;
	return q_parse_int(colon + 1, 1, 65535, &port);
}

/* An rsync module name: it goes into rsyncd.conf as a section header. */
static int check_module(const char *v)
{
	size_t l = strlen(v);

	if (l == 0 || l > 63 || v[0] == '.' || v[0] == '-')
		return -1;
	for (size_t i = 0; i < l; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return -1;
	return 0;
}

/* One to Q_LISTEN_MAX addresses, each HOST:PORT, none twice. */
static int check_listen(const char *v)
{
	char a[256], b[256];
	size_t n;

	for (n = 0; q_config_listen_addr(v, n, a, sizeof(a)) == 0; n++) {
		if (n >= Q_LISTEN_MAX || check_one_listen(a) < 0)
			return -1;
		for (size_t k = 0; k < n; k++)
			if (q_config_listen_addr(v, k, b, sizeof(b)) == 0 && !strcmp(a, b))
				return -1;
	}
	return n > 0 ? 0 : -1;
}

/* Set one key; returns NULL or a static message. */
static const char *apply(const struct key *k, const char *value, struct q_config *cfg)
{
	char *base = (char *)cfg;
	int64_t n;

	switch (k->type) {
	case T_STRING:
	case T_LISTEN:
	case T_URL:
	case T_ALGO:
	case T_LEVEL:
	case T_OPTSTR:
	case T_ARCHES:
	case T_PATH:
	case T_PATHLIST:
	case T_CIDRS:
	case T_REPO:
	case T_BACKEND:
	case T_OPTLISTEN:
	case T_MODULE:
	case T_TEXT:
	case T_GROUPMAP:
		if (strlen(value) >= k->size)
			return "value is too long";
		if (k->type == T_STRING && !*value)
			return "value is empty";
		if (k->type == T_LISTEN && check_listen(value) < 0)
			return "expected HOST:PORT (a port from 1 to 65535), or up to 16 "
			       "different "
			       "ones separated by spaces or commas";
		if (k->type == T_OPTLISTEN && *value && check_one_listen(value) < 0)
			return "expected empty or HOST:PORT with a port from 1 to 65535";
		if (k->type == T_MODULE && check_module(value) < 0)
			return "expected a module name: letters, digits, '.', '_', '-', "
			       "not "
			       "starting with '.' (at most 63)";
		if (k->type == T_URL && strncmp(value, "http://", 7) &&
		    strncmp(value, "https://", 8))
			return "expected a URL starting with http:// or https://";
		if (k->type == T_LEVEL && q_log_parse_level(value) < 0)
			return "expected one of error, warn, info, debug";
		if (k->type == T_ALGO && strcmp(value, "rsa2048") && strcmp(value, "rsa3072") &&
		    strcmp(value, "rsa4096"))
			return "expected one of rsa2048, rsa3072, rsa4096";
		if (k->type == T_OPTSTR && *value && strncmp(value, "http://", 7) &&
		    strncmp(value, "https://", 8))
			return "expected empty or a URL starting with http:// or https://";
		if (k->type == T_PATH && *value && *value != '/')
			return "expected empty or an absolute path";
		if (k->type == T_PATHLIST) {
			for (const char *p = value; *p;) {
				size_t l = strcspn(p, ",");
				const char *q = p;

				while (q < p + l && isspace((unsigned char)*q))
					q++;
				if (q == p + l ||
				    (*q != '/' && strncmp(q, "http://", 7) &&
				     strncmp(q, "https://", 8) && strncmp(q, "file:///", 8)))
					return "expected a comma-separated list of "
					       "absolute paths "
					       "or "
					       "http://, https://, file:/// URLs";
				p += l;
				if (*p == ',')
					p++;
			}
		}
		if (k->type == T_GROUPMAP && q_web_groupmap_check(value) < 0)
			return "expected space-separated PATTERN:ROLE (PATTERN with {sig} once) or "
			       "GROUP=SIG:ROLE entries, ROLE member or lead";
		if (k->type == T_BACKEND && strcmp(value, "host") && strcmp(value, "installroot"))
			return "expected host or installroot";
		if (k->type == T_CIDRS && check_cidrs(value) < 0)
			return "expected a comma-separated list of CIDRs (10.0.0.0/8, "
			       "::1/128)";
		if (k->type == T_REPO && *value &&
		    q_name_check(Q_NAME_REPO, "repo", value, NULL) < 0)
			return "expected empty or a repo name ([a-z][a-z0-9_-]{0,31})";
		if (k->type == T_ARCHES) {
			const char *p = value;
			static const char *known[] = {"x86_64", "aarch64", "ppc64le", "s390x",
						      "i686",   "riscv64", "noarch"};
			if (!*p)
				return "expected a comma-separated list of arches";
			while (*p) {
				size_t l = strcspn(p, ",");
				int ok = 0;
				for (size_t i = 0; i < Q_ARRAY_LEN(known); i++)
					ok |= strlen(known[i]) == l && !strncmp(p, known[i], l);
				if (!ok)
					return "unknown arch (x86_64, aarch64, ppc64le, "
					       "s390x, "
					       "i686, riscv64, noarch)";
				p += l;
				if (*p == ',')
					p++;
			}
		}
		snprintf(base + k->offset, k->size, "%s", value);
		return NULL;
	case T_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
			n = 1;
		else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
			n = 0;
		else
			return "expected true or false";
		break;
	case T_INT:
		if (q_parse_int(value, k->min, k->max, &n) < 0)
			return "expected an integer in range";
		break;
	case T_SIZE:
		if (q_parse_size(value, &n) < 0)
			return "expected a size such as 512k, 10M or 1G";
		if (n < k->min || n > k->max)
			return "size out of range";
		break;
	case T_DURATION:
		if (q_parse_duration(value, &n) < 0)
			return "expected a duration such as 30s, 15m, 2h or 4d";
		if (n < k->min || n > k->max)
			return "duration out of range";
		break;
	}
	memcpy(base + k->offset, &n, sizeof(n));
	return NULL;
}

void q_config_defaults(struct q_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++)
		(void)apply(&keys[i], keys[i].def, cfg);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int q_config_parse(const char *name, const char *text, size_t len, struct q_config *cfg, FILE *errs)
{
	char section[64] = "";
	char line[4096];
	size_t pos = 0;
	int lineno = 0, nerr = 0;

	while (pos < len) {
		size_t ll = 0;
		char *s, *eq, *key, *value;
		const struct key *k = NULL;
		const char *msg;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (ll + 1 < sizeof(line))
				line[ll++] = text[pos];
			else if (ll + 1 == sizeof(line))
				ll++;
			pos++;
		}
		pos++;
		if (ll >= sizeof(line)) {
			fprintf(errs, "%s:%d: line is longer than %zu bytes\n", name, lineno,
				sizeof(line) - 1);
			nerr++;
			continue;
		}
		line[ll] = '\0';
		if (memchr(line, '\0', ll)) {
			fprintf(errs, "%s:%d: line contains a NUL byte\n", name, lineno);
			nerr++;
			continue;
		}
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1] || close - s - 1 <= 0 ||
			    (size_t)(close - s - 1) >= sizeof(section)) {
				fprintf(errs, "%s:%d: malformed section header '%s'\n", name,
					lineno, s);
				nerr++;
				section[0] = '\0';
				continue;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			int known = 0;
			for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++)
				if (!strcmp(keys[i].section, section))
					known = 1;
			if (!known) {
				fprintf(errs, "%s:%d: unknown section '[%s]'\n", name, lineno,
					section);
				nerr++;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			fprintf(errs, "%s:%d: expected 'key = value', got '%s'\n", name, lineno, s);
			nerr++;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		if (!*section) {
			fprintf(errs, "%s:%d: key '%s' is outside any [section]\n", name, lineno,
				key);
			nerr++;
			continue;
		}
		for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++)
			if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, key))
				k = &keys[i];
		if (!k) {
			fprintf(errs, "%s:%d: unknown key '%s' in [%s]\n", name, lineno, key,
				section);
			nerr++;
			continue;
		}
		msg = apply(k, value, cfg);
		if (msg) {
			fprintf(errs, "%s:%d: %s.%s = '%s': %s\n", name, lineno, section, key,
				value, msg);
			nerr++;
		}
	}
	return nerr;
}

int q_config_load(const char *path, struct q_config *cfg, FILE *errs)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len;
	int n;

	if (!f) {
		fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	/* One byte more than the limit, so that a file of exactly 1 MiB is
	 * accepted and a larger one is seen to be larger. */
	buf = malloc((1 << 20) + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, (1 << 20) + 1, f);
	if (ferror(f)) {
		fprintf(errs, "%s: cannot read: %s\n", path, strerror(errno));
		free(buf);
		fclose(f);
		return -1;
	}
	if (len > 1 << 20) {
		fprintf(errs, "%s: file is larger than 1 MiB\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	n = q_config_parse(path, buf, len, cfg, errs);
	free(buf);
	return n;
}

void q_config_print_reference(FILE *out)
{
	const char *last = "";

	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++) {
		if (strcmp(last, keys[i].section)) {
			fprintf(out, "\n## [%s]\n\n| key | default | meaning |\n|---|---|---|\n",
				keys[i].section);
			last = keys[i].section;
		}
		fprintf(out, "| `%s` | `%s` | %s |\n", keys[i].name, keys[i].def, keys[i].help);
	}
}

/* Split listen's "HOST:PORT" ("[V6]:PORT"): host as written (brackets kept). */
static void split_listen(const char *listen, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon = strrchr(listen, ':');
	size_t hl = colon ? (size_t)(colon - listen) : strlen(listen);

	snprintf(host, hsize, "%.*s", (int)hl, listen);
	snprintf(port, psize, "%s", colon ? colon + 1 : "");
}

/* 0.0.0.0, [::] and their spellings: the hub answers on every address. */
static int is_wildcard(const char *host)
{
	char bare[256];
	unsigned char buf[16];
	size_t l = strlen(host);

	if (!strcmp(host, "*"))
		return 1;
	if (host[0] == '[' && l >= 2 && host[l - 1] == ']')
		snprintf(bare, sizeof(bare), "%.*s", (int)(l - 2), host + 1);
	else
		snprintf(bare, sizeof(bare), "%s", host);
	if (inet_pton(AF_INET, bare, buf) == 1)
		return !memcmp(buf, "\0\0\0\0", 4);
	if (inet_pton(AF_INET6, bare, buf) == 1)
		return !memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	return 0;
}

static int is_loopback_name(const char *host)
{
	return !strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) ||
	       !strcmp(host, "[::1]");
}

/* This host's name, fully qualified when the resolver knows it. */
static void host_name(char *out, size_t size)
{
	char name[256] = "";
	struct addrinfo hints = {0}, *res = NULL;

	if (gethostname(name, sizeof(name) - 1) < 0 || !name[0])
		snprintf(name, sizeof(name), "localhost");
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
	    strchr(res->ai_canonname, '.'))
		snprintf(out, size, "%s", res->ai_canonname);
	else
		snprintf(out, size, "%s", name);
	if (res)
		freeaddrinfo(res);
}

/* public_url's host (brackets kept) and port (explicit, else the scheme's). */
static void split_url(const char *url, char *host, size_t hsize, char *port, size_t psize)
{
	int https = !strncmp(url, "https://", 8);
	const char *h = url + (https ? 8 : 7), *end;
	size_t hl;

	if (*h == '[') {
		end = strchr(h, ']');
		end = end ? end + 1 : h + strlen(h);
	} else {
		end = h + strcspn(h, ":/?#");
	}
	hl = (size_t)(end - h);
	snprintf(host, hsize, "%.*s", (int)hl, h);
	if (*end == ':') {
		size_t pl = strcspn(end + 1, "/?#");

		snprintf(port, psize, "%.*s", (int)pl, end + 1);
	} else {
		snprintf(port, psize, "%s", https ? "443" : "80");
	}
}

int q_config_finish(struct q_config *cfg, char *note, size_t size)
{
	char lhost[256], lport[16], uhost[512], uport[16], first[256];

	note[0] = '\0';
	if (q_config_listen_addr(cfg->listen, 0, first, sizeof(first)) < 0)
		first[0] = '\0';
	split_listen(first, lhost, sizeof(lhost), lport, sizeof(lport));
	if (!cfg->public_url[0]) {
		if (is_wildcard(lhost)) {
			char name[256];

			host_name(name, sizeof(name));
			snprintf(cfg->public_url, sizeof(cfg->public_url), "http://%s:%s", name,
				 lport);
			snprintf(note, size,
				 "hub.public_url is not set and hub.listen '%s' is every "
				 "address: "
				 "using '%s' (this host's name) for metalinks and release "
				 "packages; set hub.public_url to the name clients use",
				 first, cfg->public_url);
			return 1;
		}
		snprintf(cfg->public_url, sizeof(cfg->public_url), "http://%s:%s", lhost, lport);
		return 0;
	}
	/* The hub speaks plain HTTP: an https:// URL is a proxy's, compared with nothing.
	 */
	if (strncmp(cfg->public_url, "http://", 7))
		return 0;
	split_url(cfg->public_url, uhost, sizeof(uhost), uport, sizeof(uport));
	/* With several addresses, agreeing with one of them is enough. */
	for (size_t i = 0; q_config_listen_addr(cfg->listen, i, first, sizeof(first)) == 0; i++) {
		char h[256], p[16];

		split_listen(first, h, sizeof(h), p, sizeof(p));
		if (!strcmp(uport, p) && (is_wildcard(h) || !strcasecmp(uhost, h) ||
					  (is_loopback_name(uhost) && is_loopback_name(h))))
			return 0;
	}
	if (strcmp(uport, lport)) {
		snprintf(note, size,
			 "hub.public_url '%s' (port %s) disagrees with hub.listen '%s' (port "
			 "%s): "
			 "metalinks and release packages point at public_url; right only behind "
			 "a proxy that forwards there to the hub",
			 cfg->public_url, uport, cfg->listen, lport);
		return 1;
	}
	snprintf(note, size,
		 "hub.public_url '%s' (host %s) disagrees with hub.listen '%s' (host %s): "
		 "metalinks and release packages point at public_url; right only behind "
		 "a proxy that forwards there to the hub",
		 cfg->public_url, uhost, cfg->listen, lhost);
	return 1;
}
