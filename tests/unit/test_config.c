/* Unit tests for configuration resolution with realistic kubeconfigs
 * written into a temporary directory: kind, minikube, EKS and GKE
 * shapes, token users, merging, flags, and each error message.
 * SPDX-License-Identifier: Apache-2.0 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

static const char *const env_names[] = {
	"KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST",
	"KUBERNETES_SERVICE_PORT", "POD_NAMESPACE",
};
#define N_ENV (sizeof env_names / sizeof env_names[0])

static char *saved_env[N_ENV];
static char dir[256];
static char err[1024];
static struct kube_config kc;

#define CA_PEM "-----BEGIN CERTIFICATE-----\nKINDCA\n" \
	"-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCktJTkRDQQotLS0tLUVORC" \
	"BDRVJUSUZJQ0FURS0tLS0tCg=="
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nKINDCLIENT\n" \
	"-----END CERTIFICATE-----\n"
#define CERT_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCktJTkRDTElFTlQKLS0t" \
	"LS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define KEY_PEM "-----BEGIN RSA PRIVATE KEY-----\nKINDKEY\n" \
	"-----END RSA PRIVATE KEY-----\n"
#define KEY_B64 "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpLSU5ES0VZCi0tLS" \
	"0tRU5EIFJTQSBQUklWQVRFIEtFWS0tLS0tCg=="

/* Each test starts with a fresh directory and none of the variables
 * config.c reads; finish() puts the caller's environment back. */
static void
start(void)
{
	const char *v;
	size_t i;

	for (i = 0; i < N_ENV; i++) {
		v = getenv(env_names[i]);
		saved_env[i] = v ? strdup(v) : NULL;
		unsetenv(env_names[i]);
	}
	v = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/kevents-config-XXXXXX",
	    v != NULL && v[0] != '\0' ? v : "/tmp");
	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
	}
	memset(&kc, 0, sizeof kc);
	err[0] = '\0';
}

static int
remove_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	return remove(path);
}

static void
finish(void)
{
	size_t i;

	config_free(&kc);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < N_ENV; i++) {
		if (saved_env[i] != NULL) {
			setenv(env_names[i], saved_env[i], 1);
			free(saved_env[i]);
			saved_env[i] = NULL;
		} else {
			unsetenv(env_names[i]);
		}
	}
}

/* The path of name inside the test directory (a rotating buffer, so
 * that many may be used at once). */
static const char *
path_of(const char *name)
{
	static char paths[64][512];
	static int next;
	char *p = paths[next++ % 64];

	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

static const char *
put_file(const char *name, const char *content)
{
	const char *path = path_of(name);
	char sub[512], *slash;
	FILE *f;

	snprintf(sub, sizeof sub, "%s", path);
	for (slash = strchr(sub + strlen(dir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(sub, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!CHECK(f != NULL)) {
		return path;
	}
	fputs(content, f);
	fclose(f);
	return path;
}

static int
resolve(const struct config_flags *flags)
{
	config_free(&kc);
	err[0] = '\0';
	return config_resolve(flags, &kc, err, sizeof err);
}

static int
resolve_file(const char *path)
{
	struct config_flags f = { 0 };

	f.kubeconfig = path;
	return resolve(&f);
}

static void
check_blob(const struct config_blob *b, const char *want)
{
	if (CHECK(b->data != NULL)) {
		CHECK_MEM(b->data, b->len, want, strlen(want));
		CHECK_INT(b->data[b->len], 0);
	}
}

static const char kind_config[] =
"apiVersion: v1\n"
"clusters:\n"
"- cluster:\n"
"    certificate-authority-data: " CA_B64 "\n"
"    server: https://127.0.0.1:39247\n"
"  name: kind-kind\n"
"contexts:\n"
"- context:\n"
"    cluster: kind-kind\n"
"    user: kind-kind\n"
"  name: kind-kind\n"
"current-context: kind-kind\n"
"kind: Config\n"
"preferences: {}\n"
"users:\n"
"- name: kind-kind\n"
"  user:\n"
"    client-certificate-data: " CERT_B64 "\n"
"    client-key-data: " KEY_B64 "\n";

TEST(config_kind_embedded_data)
{
	const char *path;
	char want[600];

	start();
	path = put_file("kind.yaml", kind_config);
	if (CHECK_INT(resolve_file(path), 0)) {
		CHECK_STR(kc.server, "https://127.0.0.1:39247");
		CHECK_STR(kc.context, "kind-kind");
		CHECK_STR(kc.namespace_, "default");
		CHECK_STR(kc.origin, path);
		CHECK_STR(kc.proxy_url, "");
		CHECK_INT(kc.insecure, 0);
		check_blob(&kc.ca, CA_PEM);
		check_blob(&kc.client_cert, CERT_PEM);
		check_blob(&kc.client_key, KEY_PEM);
		snprintf(want, sizeof want, "cluster \"kind-kind\" "
		    "certificate-authority-data in %s", path);
		CHECK_STR(kc.ca.source, want);
		CHECK_STR(kc.ca.path, "");
		CHECK(kc.token == NULL);
		CHECK_STR(kc.token_file, "");
		CHECK(kc.creds_loaded > 0);
	} else {
		printf("  %s\n", err);
	}

	/* Embedded data is never re-read. */
	CHECK_INT(config_reload_credentials(&kc, err, sizeof err), 0);
	finish();
}

TEST(config_minikube_relative_paths)
{
	const char *path;

	start();
	put_file("home/.minikube/ca.crt", CA_PEM);
	put_file("home/.minikube/profiles/minikube/client.crt", CERT_PEM);
	put_file("home/.minikube/profiles/minikube/client.key", KEY_PEM);
	path = put_file("home/.kube/config",
	    "apiVersion: v1\n"
	    "clusters:\n"
	    "- cluster:\n"
	    "    certificate-authority: ../.minikube/ca.crt\n"
	    "    extensions:\n"
	    "    - extension:\n"
	    "        last-update: Mon, 01 Jan 2024 10:00:00 UTC\n"
	    "        provider: minikube.sigs.k8s.io\n"
	    "        version: v1.32.0\n"
	    "      name: cluster_info\n"
	    "    server: https://192.168.49.2:8443\n"
	    "  name: minikube\n"
	    "contexts:\n"
	    "- context:\n"
	    "    cluster: minikube\n"
	    "    namespace: kube-system\n"
	    "    user: minikube\n"
	    "  name: minikube\n"
	    "current-context: minikube\n"
	    "kind: Config\n"
	    "preferences: {}\n"
	    "users:\n"
	    "- name: minikube\n"
	    "  user:\n"
	    "    client-certificate: "
	    "../.minikube/profiles/minikube/client.crt\n"
	    "    client-key: ../.minikube/profiles/minikube/client.key\n");

	/* Found through HOME, as ~/.kube/config. */
	setenv("HOME", path_of("home"), 1);
	if (CHECK_INT(resolve(&(struct config_flags){ 0 }), 0)) {
		CHECK_STR(kc.server, "https://192.168.49.2:8443");
		CHECK_STR(kc.namespace_, "kube-system");
		CHECK_STR(kc.origin, path);
		check_blob(&kc.ca, CA_PEM);
		check_blob(&kc.client_cert, CERT_PEM);
		check_blob(&kc.client_key, KEY_PEM);
		CHECK_STR(kc.client_key.path, path_of("home/.kube/"
		    "../.minikube/profiles/minikube/client.key"));
		CHECK_STR(kc.client_key.source, kc.client_key.path);
	} else {
		printf("  %s\n", err);
	}

	/* Rotated client files are picked up; unchanged ones are not. */
	CHECK_INT(config_reload_credentials(&kc, err, sizeof err), 0);
	put_file("home/.minikube/profiles/minikube/client.crt", "NEW CERT");
	put_file("home/.minikube/profiles/minikube/client.key", "NEW KEY");
	CHECK_INT(config_reload_credentials(&kc, err, sizeof err), 1);
	check_blob(&kc.client_cert, "NEW CERT");
	check_blob(&kc.client_key, "NEW KEY");

	/* A vanished key keeps both old files: never a mismatched pair. */
	put_file("home/.minikube/profiles/minikube/client.crt", "NEWER");
	unlink(path_of("home/.minikube/profiles/minikube/client.key"));
	CHECK_INT(config_reload_credentials(&kc, err, sizeof err), -1);
	CHECK(strstr(err, "client.key: No such file or directory") != NULL);
	check_blob(&kc.client_cert, "NEW CERT");
	check_blob(&kc.client_key, "NEW KEY");

	/* A missing file named by the kubeconfig is an error naming it. */
	config_free(&kc);
	put_file("home/.minikube/profiles/minikube/client.key", KEY_PEM);
	unlink(path_of("home/.minikube/ca.crt"));
	CHECK_INT(resolve(&(struct config_flags){ 0 }), -1);
	CHECK(strstr(err, "cluster \"minikube\" certificate-authority") !=
	    NULL);
	CHECK(strstr(err, "ca.crt: No such file or directory") != NULL);
	finish();
}

static const char eks_config[] =
"apiVersion: v1\n"
"clusters:\n"
"- cluster:\n"
"    certificate-authority-data: " CA_B64 "\n"
"    server: https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com\n"
"  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"contexts:\n"
"- context:\n"
"    cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"    user: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"current-context: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"kind: Config\n"
"preferences: {}\n"
"users:\n"
"- name: arn:aws:eks:eu-west-1:123456789012:cluster/prod\n"
"  user:\n"
"    exec:\n"
"      apiVersion: client.authentication.k8s.io/v1beta1\n"
"      args:\n"
"      - --region\n"
"      - eu-west-1\n"
"      - eks\n"
"      - get-token\n"
"      - --cluster-name\n"
"      - prod\n"
"      command: /usr/local/bin/aws\n"
"      env:\n"
"      - name: AWS_PROFILE\n"
"        value: prod\n"
"      interactiveMode: IfAvailable\n"
"      provideClusterInfo: false\n";

TEST(config_eks_exec_is_a_clear_error)
{
	const char *path;
	char want[600];
	struct config_flags f = { 0 };

	start();
	path = put_file("eks", eks_config);
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "user \"arn:aws:eks:eu-west-1:"
	    "123456789012:cluster/prod\" (%s:16) needs an exec credential "
	    "plugin (aws), which kevents does not run; use a token or "
	    "client certificate user", path);
	CHECK_STR(err, want);
	CHECK(kc.token == NULL && kc.server[0] == '\0');

	/* A token on the command line makes the plugin unnecessary. */
	f.kubeconfig = path;
	f.token = "flag-token";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.token, "flag-token");
		CHECK_STR(kc.server,
		    "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com");
	}
	finish();
}

TEST(config_gke_auth_provider_is_a_clear_error)
{
	const char *path;
	char want[600];

	start();
	path = put_file("gke",
	    "apiVersion: v1\n"
	    "clusters:\n"
	    "- cluster:\n"
	    "    certificate-authority-data: " CA_B64 "\n"
	    "    server: https://34.76.1.2\n"
	    "  name: gke_proj_europe-west1_c1\n"
	    "contexts:\n"
	    "- context:\n"
	    "    cluster: gke_proj_europe-west1_c1\n"
	    "    user: gke_proj_europe-west1_c1\n"
	    "  name: gke_proj_europe-west1_c1\n"
	    "current-context: gke_proj_europe-west1_c1\n"
	    "kind: Config\n"
	    "preferences: {}\n"
	    "users:\n"
	    "- name: gke_proj_europe-west1_c1\n"
	    "  user:\n"
	    "    auth-provider:\n"
	    "      config:\n"
	    "        access-token: ya29.secret-access-token\n"
	    "        cmd-args: config config-helper --format=json\n"
	    "        cmd-path: /usr/lib/google-cloud-sdk/bin/gcloud\n"
	    "        expiry: \"2024-01-01T10:00:00Z\"\n"
	    "        expiry-key: '{.credential.token_expiry}'\n"
	    "        token-key: '{.credential.access_token}'\n"
	    "      name: gcp\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "user \"gke_proj_europe-west1_c1\" "
	    "(%s:16) needs the auth-provider \"gcp\", which kevents does not "
	    "support; use a token or client certificate user", path);
	CHECK_STR(err, want);
	CHECK(strstr(err, "ya29") == NULL);
	finish();
}

static const char token_config[] =
"apiVersion: v1\n"
"kind: Config\n"
"clusters:\n"
"  - name: prod\n"
"    cluster:\n"
"      server: https://10.0.0.1:6443\n"
"      insecure-skip-tls-verify: true\n"
"      certificate-authority-data: " CA_B64 "\n"
"      tls-server-name: api.internal\n"
"      proxy-url: http://proxy:3128\n"
"users:\n"
"  - name: inline\n"
"    user:\n"
"      token: s3cr3t-inline\n"
"  - name: from-file\n"
"    user:\n"
"      tokenFile: tokens/sa-token\n"
"  - name: both\n"
"    user:\n"
"      token: s3cr3t-both\n"
"      tokenFile: tokens/sa-token\n"
"  - name: basic\n"
"    user:\n"
"      username: admin\n"
"      password: hunter2\n"
"  - name: badkey\n"
"    user:\n"
"      client-certificate-data: " CERT_B64 "\n"
"      client-key-data: LS0t*LS1\n"
"  - name: crlf-token\n"
"    user:\n"
"      token: \"s3cr3t\\r\\nX-Injected: 1\"\n"
"contexts:\n"
"  - name: inline\n"
"    context: {cluster: prod, user: inline, namespace: apps}\n"
"  - name: from-file\n"
"    context: {cluster: prod, user: from-file}\n"
"  - name: both\n"
"    context: {cluster: prod, user: both}\n"
"  - name: basic\n"
"    context: {cluster: prod, user: basic}\n"
"  - name: badkey\n"
"    context: {cluster: prod, user: badkey}\n"
"  - name: crlf-token\n"
"    context: {cluster: prod, user: crlf-token}\n"
"  - name: anonymous\n"
"    context: {cluster: prod}\n"
"current-context: inline\n";

TEST(config_token_users)
{
	const char *path;
	char want[600];
	struct config_flags f = { 0 };

	start();
	path = put_file("tok/config", token_config);
	put_file("tok/tokens/sa-token", "  s3cr3t-file\n\n");
	f.kubeconfig = path;
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.token, "s3cr3t-inline");
		CHECK_STR(kc.token_file, "");
		CHECK_STR(kc.namespace_, "apps");
		CHECK_INT(kc.insecure, 1);
		CHECK(kc.ca.data == NULL);
		CHECK_STR(kc.tls_server_name, "api.internal");
		CHECK_STR(kc.proxy_url, "http://proxy:3128");
	}

	/* tokenFile: read, trimmed, and kept for re-reading. */
	f.context = "from-file";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.token, "s3cr3t-file");
		CHECK_STR(kc.token_file, path_of("tok/tokens/sa-token"));
		CHECK_INT(config_reload_credentials(&kc, err, sizeof err), 0);
		put_file("tok/tokens/sa-token", "rotated\n");
		CHECK_INT(config_reload_credentials(&kc, err, sizeof err), 1);
		CHECK_STR(kc.token, "rotated");
		put_file("tok/tokens/sa-token", "");
		CHECK_INT(config_reload_credentials(&kc, err, sizeof err), -1);
		snprintf(want, sizeof want, "the token file %s is empty",
		    path_of("tok/tokens/sa-token"));
		CHECK_STR(err, want);
		CHECK_STR(kc.token, "rotated");
		unlink(path_of("tok/tokens/sa-token"));
		CHECK_INT(config_reload_credentials(&kc, err, sizeof err), -1);
		CHECK_STR(kc.token, "rotated");
		put_file("tok/tokens/sa-token", "s3cr3t-file");
	}

	/* An inline token wins over tokenFile. */
	f.context = "both";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.token, "s3cr3t-both");
		CHECK_STR(kc.token_file, "");
	}

	f.context = "anonymous";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK(kc.token == NULL && kc.client_cert.data == NULL);
	}

	/* Basic auth, bad base64 and a token that would add a header:
	 * errors that name the entry but never the secret. */
	f.context = "basic";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "user \"basic\" (%s:22) uses basic auth "
	    "(username and password), which kevents does not support; use a "
	    "token or client certificate user", path);
	CHECK_STR(err, want);
	f.context = "badkey";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "user \"badkey\": client-key-data is not "
	    "valid base64 (at byte 4) in %s", path);
	CHECK_STR(err, want);
	f.context = "crlf-token";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "user \"crlf-token\": token holds a "
	    "control character in %s", path);
	CHECK_STR(err, want);
	CHECK(strstr(err, "s3cr3t") == NULL);
	finish();
}

TEST(config_kubeconfig_list_merge)
{
	char list[2048];
	const char *a, *b;
	struct config_flags f = { 0 };

	start();
	a = put_file("a.yaml",
	    "clusters:\n"
	    "- name: shared\n"
	    "  cluster:\n"
	    "    server: https://a.example:6443\n"
	    "    certificate-authority-data: " CA_B64 "\n"
	    "users:\n"
	    "- name: u\n"
	    "  user: {token: token-a}\n"
	    "contexts:\n"
	    "- name: ctx-a\n"
	    "  context: {cluster: shared, user: u}\n");
	b = put_file("b.yaml",
	    "current-context: ctx-b\n"
	    "clusters:\n"
	    "- name: shared\n"
	    "  cluster:\n"
	    "    server: https://b.example:6443\n"
	    "    insecure-skip-tls-verify: true\n"
	    "- name: only-b\n"
	    "  cluster: {server: https://only-b.example}\n"
	    "users:\n"
	    "- name: u\n"
	    "  user: {token: token-b}\n"
	    "contexts:\n"
	    "- name: ctx-b\n"
	    "  context: {cluster: shared, user: u, namespace: nb}\n"
	    "- name: ctx-a\n"
	    "  context: {cluster: only-b, user: u}\n");
	put_file("c.yaml", "current-context: ctx-a\n");

	/* Missing files and empty elements are skipped; current-context
	 * comes from the first file that sets it (b), and each name from
	 * the first file that defines it, taken whole: a's "shared" has a
	 * CA and no insecure flag. */
	snprintf(list, sizeof list, "%s::%s:%s:%s", path_of("missing"), a, b,
	    path_of("c.yaml"));
	setenv("KUBECONFIG", list, 1);
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.context, "ctx-b");
		CHECK_STR(kc.origin, b);
		CHECK_STR(kc.server, "https://a.example:6443");
		CHECK_INT(kc.insecure, 0);
		check_blob(&kc.ca, CA_PEM);
		CHECK_STR(kc.token, "token-a");
		CHECK_STR(kc.namespace_, "nb");
	} else {
		printf("  %s\n", err);
	}

	/* ctx-a is a's, not b's. */
	f.context = "ctx-a";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.server, "https://a.example:6443");
		CHECK_STR(kc.origin, a);
	}

	/* An unknown context names every file that was read. */
	f.context = "dev";
	CHECK_INT(resolve(&f), -1);
	snprintf(list, sizeof list, "context \"dev\" not found in %s, %s, %s",
	    a, b, path_of("c.yaml"));
	CHECK_STR(err, list);

	/* HOME is not consulted when KUBECONFIG is set. */
	setenv("HOME", dir, 1);
	put_file(".kube/config", "current-context: x\n");
	snprintf(list, sizeof list, "%s", path_of("missing"));
	setenv("KUBECONFIG", list, 1);
	f.context = NULL;
	CHECK_INT(resolve(&f), -1);
	snprintf(list, sizeof list, "no configuration: KUBECONFIG=%s names "
	    "no existing file, and KUBERNETES_SERVICE_HOST and "
	    "KUBERNETES_SERVICE_PORT are not both set (not in a cluster); "
	    "give --kubeconfig or --server", path_of("missing"));
	CHECK_STR(err, list);

	/* An unreadable file in the list is an error, not skipped. */
	mkdir(path_of("adir"), 0700);
	setenv("KUBECONFIG", path_of("adir"), 1);
	CHECK_INT(resolve(&f), -1);
	snprintf(list, sizeof list, "%s: Is a directory", path_of("adir"));
	CHECK_STR(err, list);
	finish();
}

TEST(config_json_crlf_and_quoted_keys)
{
	const char *path;

	start();
	path = put_file("json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\n"
	    " \"clusters\":[{\"name\":\"j\",\"cluster\":{"
	    "\"server\":\"https://[fd00::1]:6443\","
	    "\"certificate-authority-data\":\"" CA_B64 "\"}}],\n"
	    " \"users\":[{\"name\":\"j\",\"user\":{\"token\":"
	    "\"tok\\u0065n\"}}],"
	    "\n \"contexts\":[{\"name\":\"j\",\"context\":{\"cluster\":\"j\","
	    "\"user\":\"j\",\"namespace\":\"json-ns\"}}],\n"
	    " \"current-context\":\"j\",\"preferences\":{}}\n");
	if (CHECK_INT(resolve_file(path), 0)) {
		CHECK_STR(kc.server, "https://[fd00::1]:6443");
		CHECK_STR(kc.token, "token");
		CHECK_STR(kc.namespace_, "json-ns");
		check_blob(&kc.ca, CA_PEM);
	} else {
		printf("  %s\n", err);
	}

	path = put_file("crlf",
	    "apiVersion: v1\r\n"
	    "\"clusters\":\r\n"
	    "- 'name': \"c\"\r\n"
	    "  \"cluster\":\r\n"
	    "    'server': 'https://c.example'   # the API\r\n"
	    "    \"insecure-skip-tls-verify\": yes\r\n"
	    "contexts:\r\n"
	    "- name: c\r\n"
	    "  context:\r\n"
	    "    cluster: c\r\n"
	    "\"current-context\": 'c'\r\n");
	if (CHECK_INT(resolve_file(path), 0)) {
		CHECK_STR(kc.server, "https://c.example");
		CHECK_INT(kc.insecure, 1);
		CHECK_STR(kc.context, "c");
	} else {
		printf("  %s\n", err);
	}
	finish();
}

TEST(config_file_errors_name_file_and_line)
{
	const char *path;
	char want[600];

	start();
	path = put_file("tabs",
	    "clusters:\n"
	    "- name: c\n"
	    "\tcluster: {}\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "tabs are not allowed for indentation "
	    "at %s:3", path);
	CHECK_STR(err, want);

	path = put_file("anchor", "clusters:\n- &c {name: c}\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "unsupported YAML: anchors (&) at %s:2",
	    path);
	CHECK_STR(err, want);

	path = put_file("shape", "apiVersion: v1\nclusters: {}\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "clusters must be a sequence, not a "
	    "mapping, at %s:2", path);
	CHECK_STR(err, want);

	path = put_file("noname", "users:\n- user: {token: x}\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "an entry of users has no name at %s:2",
	    path);
	CHECK_STR(err, want);

	path = put_file("list", "- a\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "a kubeconfig must be a mapping, not a "
	    "sequence, at %s:1", path);
	CHECK_STR(err, want);

	path = put_file("field",
	    "clusters:\n"
	    "- name: c\n"
	    "  cluster:\n"
	    "    server: [a]\n"
	    "contexts:\n- name: c\n  context: {cluster: c}\n"
	    "current-context: c\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "cluster \"c\": server must be a string, "
	    "not a sequence, at %s:4", path);
	CHECK_STR(err, want);

	path = put_file("bool",
	    "clusters:\n"
	    "- name: c\n"
	    "  cluster:\n"
	    "    server: https://x\n"
	    "    insecure-skip-tls-verify: \"true\"\n"
	    "contexts:\n- name: c\n  context: {cluster: c}\n"
	    "current-context: c\n");
	CHECK_INT(resolve_file(path), -1);
	snprintf(want, sizeof want, "cluster \"c\": insecure-skip-tls-verify "
	    "must be true or false at %s:5", path);
	CHECK_STR(err, want);

	CHECK_INT(resolve_file(path_of("nonexistent")), -1);
	snprintf(want, sizeof want, "--kubeconfig %s: No such file or "
	    "directory", path_of("nonexistent"));
	CHECK_STR(err, want);
	finish();
}

TEST(config_missing_references)
{
	const char *path;
	char want[600];
	struct config_flags f = { 0 };

	start();
	path = put_file("refs",
	    "clusters:\n"
	    "- name: noserver\n"
	    "  cluster: {}\n"
	    "contexts:\n"
	    "- name: no-cluster-ref\n"
	    "  context: {user: u}\n"
	    "- name: bad-cluster\n"
	    "  context: {cluster: gone}\n"
	    "- name: bad-user\n"
	    "  context: {cluster: noserver, user: gone}\n"
	    "- name: noserver\n"
	    "  context: {cluster: noserver}\n");
	f.kubeconfig = path;
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "no current-context in %s, and no "
	    "--context given", path);
	CHECK_STR(err, want);

	f.context = "no-cluster-ref";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "context \"no-cluster-ref\" (%s:5) names "
	    "no cluster", path);
	CHECK_STR(err, want);

	f.context = "bad-cluster";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "context \"bad-cluster\" (%s:7) names "
	    "cluster \"gone\", which is not defined in %s", path, path);
	CHECK_STR(err, want);

	f.context = "bad-user";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "context \"bad-user\" (%s:9) names "
	    "user \"gone\", which is not defined in %s", path, path);
	CHECK_STR(err, want);

	f.context = "noserver";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "cluster \"noserver\" (%s:2) has no "
	    "server", path);
	CHECK_STR(err, want);

	/* --server fills the gap. */
	f.server = "https://flag.example";
	CHECK_INT(resolve(&f), 0);
	CHECK_STR(kc.server, "https://flag.example");
	finish();
}

TEST(config_nothing_configured)
{
	char want[600];
	struct config_flags f = { 0 };

	start();
	CHECK_INT(resolve(&f), -1);
	CHECK_STR(err, "no configuration: KUBECONFIG and HOME are unset, and "
	    "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not "
	    "both set (not in a cluster); give --kubeconfig or --server");

	setenv("HOME", dir, 1);
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "no configuration: KUBECONFIG is unset, "
	    "%s/.kube/config does not exist, and KUBERNETES_SERVICE_HOST and "
	    "KUBERNETES_SERVICE_PORT are not both set (not in a cluster); "
	    "give --kubeconfig or --server", dir);
	CHECK_STR(err, want);

	/* An empty kubeconfig counts as none. */
	put_file(".kube/config", "# nothing yet\n");
	CHECK_INT(resolve(&f), -1);
	CHECK(strstr(err, "/.kube/config defines nothing, and") != NULL);

	f.context = "dev";
	CHECK_INT(resolve(&f), -1);
	snprintf(want, sizeof want, "context \"dev\" not found in "
	    "%s/.kube/config", dir);
	CHECK_STR(err, want);
	finish();
}

TEST(config_flags_alone_and_overrides)
{
	const char *path;
	struct config_flags f = { 0 };

	start();

	/* --server with no kubeconfig and no cluster around: the flags
	 * are the whole configuration. */
	put_file("flag-ca.crt", "FLAG CA");
	put_file("both.pem", CERT_PEM KEY_PEM);
	f.server = "https://flags.example:6443";
	f.token = "flag-token";
	f.certificate_authority = path_of("flag-ca.crt");
	f.namespace_ = "flag-ns";
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.server, "https://flags.example:6443");
		CHECK_STR(kc.origin, "flags");
		CHECK_STR(kc.namespace_, "flag-ns");
		CHECK_STR(kc.token, "flag-token");
		check_blob(&kc.ca, "FLAG CA");
		CHECK_STR(kc.ca.source, path_of("flag-ca.crt"));
	} else {
		printf("  %s\n", err);
	}

	/* Flags over a kubeconfig, field by field; one file may hold both
	 * the certificate and the key. */
	path = put_file("kind", kind_config);
	memset(&f, 0, sizeof f);
	f.kubeconfig = path;
	f.server = "https://override:1";
	f.namespace_ = "over-ns";
	f.tls_server_name = "kubernetes";
	f.client_certificate = path_of("both.pem");
	f.client_key = path_of("both.pem");
	f.certificate_authority = path_of("flag-ca.crt");
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_STR(kc.server, "https://override:1");
		CHECK_STR(kc.namespace_, "over-ns");
		CHECK_STR(kc.tls_server_name, "kubernetes");
		check_blob(&kc.ca, "FLAG CA");
		check_blob(&kc.client_cert, CERT_PEM KEY_PEM);
		check_blob(&kc.client_key, CERT_PEM KEY_PEM);
		CHECK_STR(kc.client_cert.path, path_of("both.pem"));
	}

	/* --insecure-skip-tls-verify drops the CA. */
	memset(&f, 0, sizeof f);
	f.kubeconfig = path;
	f.insecure_skip_tls_verify = 1;
	if (CHECK_INT(resolve(&f), 0)) {
		CHECK_INT(kc.insecure, 1);
		CHECK(kc.ca.data == NULL);
		check_blob(&kc.client_key, KEY_PEM);
	}

	/* A flag's file that cannot be read says which flag. */
	f.client_key = path_of("nope.key");
	CHECK_INT(resolve(&f), -1);
	CHECK(strncmp(err, "--client-key: cannot read ", 26) == 0);
	CHECK_INT(kc.server[0], 0);
	finish();
}
