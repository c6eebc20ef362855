/* Configuration resolution: finds the kubeconfig files, merges their
 * entries the way client-go does, picks the context, applies the flags,
 * and loads the files and embedded data it names. The YAML reading is
 * yaml.c's; what the bytes mean to TLS is tls.c's.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "config.h"
#include "yaml.h"

/* KUBECONFIG lists hold a few files; the bound keeps the documents held
 * in memory while merging finite. */
#define MAX_FILES 32
/* A credential or CA file: a bundle of the whole Web PKI is ~200 KiB. */
#define MAX_CRED_FILE (4u << 20)

struct kubeconfig_file {
	char path[4096];
	char dir[4096];		/* directory for relative paths, "" for cwd */
	char *bytes;
	struct yaml_doc doc;
};

struct merge {
	struct kubeconfig_file *files;
	size_t n_files;
	int nonempty;		/* some file defines an entry or context */
};

/* One named entry: a cluster, user or context, and where it came from. */
struct entry {
	const char *kind;	/* "cluster", "user", "context" */
	const char *name;
	const struct yaml_node *body;	/* the entry's mapping, or NULL */
	const struct kubeconfig_file *file;
	int line;
};

/* snprintf for texts that are cut short on purpose: names and
 * messages, never a value whose truncation would change its meaning. */
static void __attribute__((format(printf, 3, 4)))
describe(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size > 0) {
		va_start(ap, fmt);
		vsnprintf(dst, size, fmt, ap);
		va_end(ap);
	}
}

static int __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer. Returns 0,
 * or -1 with errno set (EFBIG when it holds more than max bytes). */
static int
read_file(const char *path, size_t max, char **data, size_t *len)
{
	char *buf = NULL, *grown;
	size_t n = 0, cap = 0;
	ssize_t got;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	for (;;) {
		if (cap - n < 2) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				saved = ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			saved = errno;
			goto fail;
		}
		if (got == 0) {
			break;
		}
		n += (size_t)got;
		if (n > max) {
			saved = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	free(buf);
	errno = saved;
	return -1;
}

static const char *
why(int e)
{
	return e == EFBIG ? "the file is too large" : strerror(e);
}

/* path made relative to dir (the defining kubeconfig's directory). */
static int
resolve_path(const char *dir, const char *path, char *out, size_t outlen)
{
	int n;

	if (path[0] == '/' || dir[0] == '\0') {
		n = snprintf(out, outlen, "%s", path);
	} else if (dir[strlen(dir) - 1] == '/') {
		n = snprintf(out, outlen, "%s%s", dir, path);
	} else {
		n = snprintf(out, outlen, "%s/%s", dir, path);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The kubeconfig file names, joined for messages. */
static const char *
file_list(const struct merge *m, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < m->n_files && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    m->files[i].path);
		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

/* Checks the shape client-go would decode (a mapping whose clusters,
 * users and contexts are lists of named entries) so that later lookups
 * need not. */
static int
check_shape(struct kubeconfig_file *f, struct merge *m, char *err,
    size_t errlen)
{
	static const char *const lists[] = { "clusters", "users", "contexts" };
	const struct yaml_node *root = f->doc.root, *list, *item, *name;
	const struct yaml_node *cc;
	size_t i;

	if (root->kind == YAML_NULL) {
		return 0;
	}
	if (root->kind != YAML_MAP) {
		return set_err(err, errlen, "a kubeconfig must be a mapping, "
		    "not %s, at %s:%d", yaml_kind_name(root->kind), f->path,
		    root->line);
	}
	for (i = 0; i < 3; i++) {
		list = yaml_get(root, lists[i]);
		if (list == NULL || list->kind == YAML_NULL) {
			continue;
		}
		if (list->kind != YAML_SEQ) {
			return set_err(err, errlen, "%s must be a sequence, "
			    "not %s, at %s:%d", lists[i],
			    yaml_kind_name(list->kind), f->path, list->line);
		}
		for (item = list->child; item != NULL; item = item->next) {
			name = yaml_get(item, "name");
			if (item->kind != YAML_MAP || name == NULL ||
			    name->kind != YAML_SCALAR) {
				return set_err(err, errlen, "an entry of %s "
				    "has no name at %s:%d", lists[i], f->path,
				    item->line);
			}
			m->nonempty = 1;
		}
	}
	cc = yaml_get(root, "current-context");
	if (cc != NULL && cc->kind != YAML_NULL) {
		if (cc->kind != YAML_SCALAR) {
			return set_err(err, errlen, "current-context must be "
			    "a string at %s:%d", f->path, cc->line);
		}
		if (cc->len > 0) {
			m->nonempty = 1;
		}
	}
	return 0;
}

/* Loads and parses one kubeconfig. Returns 1 when loaded, 0 when the
 * file does not exist and may be skipped, -1 on error. */
static int
load_file(struct merge *m, const char *path, int must_exist, char *err,
    size_t errlen)
{
	struct kubeconfig_file *f;
	const char *slash;
	size_t len, dir_len, i;

	for (i = 0; i < m->n_files; i++) {
		if (strcmp(m->files[i].path, path) == 0) {
			return 0;
		}
	}
	if (m->n_files == MAX_FILES) {
		return set_err(err, errlen, "more than %d kubeconfig files",
		    MAX_FILES);
	}
	f = &m->files[m->n_files];
	memset(f, 0, sizeof *f);
	if (strlen(path) >= sizeof f->path) {
		return set_err(err, errlen, "a kubeconfig path is too long");
	}
	strcpy(f->path, path);

	/* client-go skips missing files of the KUBECONFIG list, but not
	 * unreadable ones, and never a missing --kubeconfig. */
	if (read_file(path, YAML_MAX_FILE, &f->bytes, &len) != 0) {
		if (!must_exist && (errno == ENOENT || errno == ENOTDIR)) {
			return 0;
		}
		return set_err(err, errlen, "%s%s: %s",
		    must_exist ? "--kubeconfig " : "", path, why(errno));
	}
	slash = strrchr(path, '/');
	if (slash != NULL) {
		dir_len = (size_t)(slash - path) + 1;
		memcpy(f->dir, path, dir_len);
		f->dir[dir_len] = '\0';
	}
	m->n_files++;
	if (yaml_parse(&f->doc, f->bytes, len, f->path, err, errlen) != 0) {
		return -1;
	}
	return check_shape(f, m, err, errlen) == 0 ? 1 : -1;
}

static void
merge_free(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->n_files; i++) {
		yaml_free(&m->files[i].doc);
		free(m->files[i].bytes);
	}
	free(m->files);
	memset(m, 0, sizeof *m);
}

/* The first definition of a name wins, and is taken whole. */
static int
find_entry(const struct merge *m, const char *kind, const char *name,
    struct entry *e)
{
	char list[16];
	const struct yaml_node *item, *n;
	size_t i;

	snprintf(list, sizeof list, "%ss", kind);
	for (i = 0; i < m->n_files; i++) {
		item = yaml_get(m->files[i].doc.root, list);
		for (item = item ? item->child : NULL; item != NULL;
		    item = item->next) {
			n = yaml_get(item, "name");
			if (strcmp(n->text, name) != 0) {
				continue;
			}
			e->kind = kind;
			e->name = n->text;
			e->body = yaml_get(item, kind);
			e->file = &m->files[i];
			e->line = item->line;
			return 1;
		}
	}
	return 0;
}

/* A string field of an entry: *out is NULL when absent, empty or null. */
static int
get_str(const struct entry *e, const char *field, const char **out,
    char *err, size_t errlen)
{
	const struct yaml_node *n = yaml_get(e->body, field);

	*out = NULL;
	if (e->body != NULL && e->body->kind != YAML_MAP &&
	    e->body->kind != YAML_NULL) {
		return set_err(err, errlen, "%s \"%s\": %s must be a mapping, "
		    "not %s, at %s:%d", e->kind, e->name, e->kind,
		    yaml_kind_name(e->body->kind), e->file->path,
		    e->body->line);
	}
	if (n == NULL || n->kind == YAML_NULL) {
		return 0;
	}
	if (n->kind != YAML_SCALAR) {
		return set_err(err, errlen, "%s \"%s\": %s must be a string, "
		    "not %s, at %s:%d", e->kind, e->name, field,
		    yaml_kind_name(n->kind), e->file->path, n->line);
	}
	if (n->len > 0) {
		*out = n->text;
	}
	return 0;
}

/* A boolean as YAML 1.1 (which client-go's decoder follows) spells it. */
static int
get_bool(const struct entry *e, const char *field, int *out, char *err,
    size_t errlen)
{
	static const char *const yes[] = { "true", "yes", "on", "y" };
	static const char *const no[] = { "false", "no", "off", "n" };
	const struct yaml_node *n = yaml_get(e->body, field);
	size_t i;

	*out = 0;
	if (n == NULL || n->kind == YAML_NULL) {
		return 0;
	}
	for (i = 0; n->kind == YAML_SCALAR && !n->quoted && i < 4; i++) {
		if (strcasecmp(n->text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(n->text, no[i]) == 0) {
			return 0;
		}
	}
	return set_err(err, errlen, "%s \"%s\": %s must be true or false at "
	    "%s:%d", e->kind, e->name, field, e->file->path, n->line);
}

static int
copy_str(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/* A token goes into an HTTP header: a line break there would let a
 * file's contents add headers. */
static int
token_ok(const char *token)
{
	const unsigned char *c;

	for (c = (const unsigned char *)token; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* Reads a token file, trimmed of surrounding whitespace as client-go
 * does. Returns a malloc'd token, or NULL with err set. */
static char *
read_token(const char *path, char *err, size_t errlen)
{
	char *data, *start, *end;
	size_t len;

	if (read_file(path, MAX_CRED_FILE, &data, &len) != 0) {
		set_err(err, errlen, "cannot read token file %s: %s", path,
		    why(errno));
		return NULL;
	}
	start = data;
	end = data + len;
	while (start < end && (*start == ' ' || *start == '\t' ||
	    *start == '\n' || *start == '\r')) {
		start++;
	}
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r')) {
		end--;
	}
	*end = '\0';
	memmove(data, start, (size_t)(end - start) + 1);
	if (data[0] == '\0') {
		set_err(err, errlen, "the token file %s is empty", path);
	} else if (strlen(data) != (size_t)(end - start) || !token_ok(data)) {
		set_err(err, errlen, "the token file %s holds a control "
		    "character", path);
	} else {
		return data;
	}
	free(data);
	return NULL;
}

static int
blob_from_file(struct config_blob *b, const char *path, char *err,
    size_t errlen, const char *what)
{
	char *data;
	size_t len;

	if (read_file(path, MAX_CRED_FILE, &data, &len) != 0) {
		return set_err(err, errlen, "%s: cannot read %s: %s", what,
		    path, why(errno));
	}
	free(b->data);
	b->data = (uint8_t *)data;
	b->len = len;
	snprintf(b->source, sizeof b->source, "%s", path);
	snprintf(b->path, sizeof b->path, "%s", path);
	return 0;
}

/* Decodes a *-data field of entry e into b. */
static int
blob_from_data(struct config_blob *b, const struct entry *e,
    const char *field, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text), bad = 0;
	uint8_t *data;
	ssize_t n;

	data = malloc(BASE64_DECODED_MAX(len) + 1);
	if (data == NULL) {
		return set_err(err, errlen, "out of memory");
	}
	n = base64_decode(text, len, data, &bad);
	if (n < 0) {
		free(data);
		return set_err(err, errlen, "%s \"%s\": %s is not valid "
		    "base64 (at byte %zu) in %s", e->kind, e->name, field,
		    bad, e->file->path);
	}
	data[n] = '\0';
	free(b->data);
	b->data = data;
	b->len = (size_t)n;
	describe(b->source, sizeof b->source, "%s \"%s\" %s in %s", e->kind,
	    e->name, field, e->file->path);
	b->path[0] = '\0';
	return 0;
}

/* A PEM field given as a file path (relative to the kubeconfig) or as
 * base64 data; a flag's file replaces both. */
static int
load_pem(struct config_blob *b, const struct entry *e, const char *field,
    const char *flag, char *err, size_t errlen)
{
	char data_field[64], path[4096], what[512];
	const char *file = NULL, *data = NULL;

	if (flag != NULL) {
		snprintf(what, sizeof what, "--%s", field);
		return blob_from_file(b, flag, err, errlen, what);
	}
	if (e == NULL || e->body == NULL) {
		return 0;
	}
	snprintf(data_field, sizeof data_field, "%s-data", field);
	if (get_str(e, field, &file, err, errlen) != 0 ||
	    get_str(e, data_field, &data, err, errlen) != 0) {
		return -1;
	}

	/* client-go lets the data win when a field has both forms. */
	if (data != NULL) {
		return blob_from_data(b, e, data_field, data, err, errlen);
	}
	if (file == NULL) {
		return 0;
	}
	if (resolve_path(e->file->dir, file, path, sizeof path) != 0) {
		return set_err(err, errlen, "%s \"%s\": %s path is too long "
		    "in %s", e->kind, e->name, field, e->file->path);
	}
	describe(what, sizeof what, "%s \"%s\" %s (%s:%d)", e->kind, e->name,
	    field, e->file->path, e->line);
	return blob_from_file(b, path, err, errlen, what);
}

/* The word for an exec plugin: the command's last path element. */
static void
plugin_name(const struct yaml_node *exec, char *out, size_t len)
{
	const struct yaml_node *cmd = yaml_get(exec, "command");
	const char *base;

	snprintf(out, len, "%s", "no command given");
	if (cmd != NULL && cmd->kind == YAML_SCALAR && cmd->len > 0) {
		base = strrchr(cmd->text, '/');
		snprintf(out, len, "%s", base ? base + 1 : cmd->text);
	}
}

/* The user's credentials, after the flags: a token (inline, else from
 * tokenFile) and a client certificate and key. Credentials kevents
 * cannot produce (exec plugins, auth providers, basic auth) are errors
 * unless the flags give a token or client certificate instead. */
static int
load_user(struct kube_config *kc, const struct entry *u,
    const struct config_flags *f, char *err, size_t errlen)
{
	const char *token = NULL, *token_file = NULL, *login = NULL;
	const char *password = NULL;
	const struct yaml_node *exec = NULL, *provider = NULL, *pname;
	char path[4096], plugin[128];
	int from_flags = f->token != NULL || f->client_certificate != NULL;

	if (u != NULL) {
		if (get_str(u, "token", &token, err, errlen) != 0 ||
		    get_str(u, "tokenFile", &token_file, err, errlen) != 0 ||
		    get_str(u, "username", &login, err, errlen) != 0 ||
		    get_str(u, "password", &password, err, errlen) != 0) {
			return -1;
		}
		exec = yaml_get(u->body, "exec");
		provider = yaml_get(u->body, "auth-provider");
	}

	/* Said first, before any file is read: the usual EKS and GKE
	 * kubeconfigs hold nothing else. */
	if (!from_flags && exec != NULL && exec->kind != YAML_NULL) {
		plugin_name(exec, plugin, sizeof plugin);
		return set_err(err, errlen, "user \"%s\" (%s:%d) needs an "
		    "exec credential plugin (%s), which kevents does not run; "
		    "use a token or client certificate user", u->name,
		    u->file->path, u->line, plugin);
	}
	if (!from_flags && provider != NULL && provider->kind != YAML_NULL) {
		pname = yaml_get(provider, "name");
		return set_err(err, errlen, "user \"%s\" (%s:%d) needs the "
		    "auth-provider \"%s\", which kevents does not support; "
		    "use a token or client certificate user", u->name,
		    u->file->path, u->line, pname && pname->kind ==
		    YAML_SCALAR ? pname->text : "?");
	}

	/* The token: the flag, else the inline token, else tokenFile,
	 * which is kept so that a rotated token is picked up. */
	if (f->token != NULL) {
		if (!token_ok(f->token)) {
			return set_err(err, errlen, "--token holds a control "
			    "character");
		}
		kc->token = strdup(f->token);
	} else if (token != NULL) {
		if (!token_ok(token)) {
			return set_err(err, errlen, "user \"%s\": token holds "
			    "a control character in %s", u->name,
			    u->file->path);
		}
		kc->token = strdup(token);
	} else if (token_file != NULL) {
		if (resolve_path(u->file->dir, token_file, path,
		    sizeof path) != 0 || copy_str(kc->token_file,
		    sizeof kc->token_file, path) != 0) {
			return set_err(err, errlen, "user \"%s\": tokenFile "
			    "path is too long in %s", u->name, u->file->path);
		}
		kc->token = read_token(path, err, errlen);
		if (kc->token == NULL) {
			return -1;
		}
	}
	if ((f->token != NULL || token != NULL) && kc->token == NULL) {
		return set_err(err, errlen, "out of memory");
	}

	if (load_pem(&kc->client_cert, u, "client-certificate",
	    f->client_certificate, err, errlen) != 0 ||
	    load_pem(&kc->client_key, u, "client-key", f->client_key, err,
	    errlen) != 0) {
		return -1;
	}
	if (kc->token == NULL && kc->client_cert.data == NULL &&
	    (login != NULL || password != NULL)) {
		return set_err(err, errlen, "user \"%s\" (%s:%d) uses basic "
		    "auth (username and password), which kevents does not "
		    "support; use a token or client certificate user",
		    u->name, u->file->path, u->line);
	}
	return 0;
}

/* Server, proxy, TLS name and trust from the cluster entry and flags. */
static int
load_cluster(struct kube_config *kc, const struct entry *c,
    const struct config_flags *f, char *err, size_t errlen)
{
	const char *server = NULL, *proxy = NULL, *name = NULL;
	int insecure = 0;

	if (c != NULL) {
		if (get_str(c, "server", &server, err, errlen) != 0 ||
		    get_str(c, "proxy-url", &proxy, err, errlen) != 0 ||
		    get_str(c, "tls-server-name", &name, err, errlen) != 0 ||
		    get_bool(c, "insecure-skip-tls-verify", &insecure, err,
		    errlen) != 0) {
			return -1;
		}
	}
	if (f->server != NULL) {
		server = f->server;
	}
	if (f->tls_server_name != NULL) {
		name = f->tls_server_name;
	}
	if (server == NULL) {
		return set_err(err, errlen, "cluster \"%s\" (%s:%d) has no "
		    "server", c->name, c->file->path, c->line);
	}
	if (copy_str(kc->server, sizeof kc->server, server) != 0 ||
	    copy_str(kc->proxy_url, sizeof kc->proxy_url,
	    proxy ? proxy : "") != 0 ||
	    copy_str(kc->tls_server_name, sizeof kc->tls_server_name,
	    name ? name : "") != 0) {
		return set_err(err, errlen, "the server URL, proxy-url or "
		    "tls-server-name is too long");
	}

	/* Without verification a CA means nothing; client-go refuses the
	 * pair in a kubeconfig, and the flag clears the CA. */
	kc->insecure = insecure || f->insecure_skip_tls_verify;
	if (kc->insecure) {
		return 0;
	}
	return load_pem(&kc->ca, c, "certificate-authority",
	    f->certificate_authority, err, errlen);
}

static int
set_namespace(struct kube_config *kc, const char *ns, char *err,
    size_t errlen)
{
	if (copy_str(kc->namespace_, sizeof kc->namespace_,
	    ns && ns[0] ? ns : "default") != 0) {
		return set_err(err, errlen, "the namespace name is too long");
	}
	return 0;
}

/* Resolution from merged kubeconfig files. */
static int
from_kubeconfig(const struct merge *m, const struct config_flags *f,
    struct kube_config *kc, char *err, size_t errlen)
{
	char files[1024];
	const char *name = f->context, *cluster = NULL, *user = NULL;
	const char *ns = NULL;
	const struct yaml_node *cc;
	struct entry ctx, c, u;
	size_t i;

	/* The context: --context, else current-context from the first
	 * file that sets one. */
	for (i = 0; name == NULL && i < m->n_files; i++) {
		cc = yaml_get(m->files[i].doc.root, "current-context");
		if (cc != NULL && cc->kind == YAML_SCALAR && cc->len > 0) {
			name = cc->text;
		}
	}
	if (name == NULL) {
		return set_err(err, errlen, "no current-context in %s, and no "
		    "--context given", file_list(m, files, sizeof files));
	}
	if (!find_entry(m, "context", name, &ctx)) {
		return set_err(err, errlen, "context \"%s\" not found in %s",
		    name, file_list(m, files, sizeof files));
	}
	if (get_str(&ctx, "cluster", &cluster, err, errlen) != 0 ||
	    get_str(&ctx, "user", &user, err, errlen) != 0 ||
	    get_str(&ctx, "namespace", &ns, err, errlen) != 0) {
		return -1;
	}

	/* The cluster must exist; a context without a user is anonymous,
	 * but one naming a user nobody defines is a mistake. */
	if (cluster == NULL) {
		return set_err(err, errlen, "context \"%s\" (%s:%d) names no "
		    "cluster", name, ctx.file->path, ctx.line);
	}
	if (!find_entry(m, "cluster", cluster, &c)) {
		return set_err(err, errlen, "context \"%s\" (%s:%d) names "
		    "cluster \"%s\", which is not defined in %s", name,
		    ctx.file->path, ctx.line, cluster,
		    file_list(m, files, sizeof files));
	}
	if (user != NULL && !find_entry(m, "user", user, &u)) {
		return set_err(err, errlen, "context \"%s\" (%s:%d) names "
		    "user \"%s\", which is not defined in %s", name,
		    ctx.file->path, ctx.line, user,
		    file_list(m, files, sizeof files));
	}
	if (copy_str(kc->context, sizeof kc->context, name) != 0) {
		return set_err(err, errlen, "the context name is too long");
	}
	snprintf(kc->origin, sizeof kc->origin, "%s", ctx.file->path);
	if (set_namespace(kc, f->namespace_ ? f->namespace_ : ns, err,
	    errlen) != 0) {
		return -1;
	}
	if (load_user(kc, user ? &u : NULL, f, err, errlen) != 0) {
		return -1;
	}
	return load_cluster(kc, &c, f, err, errlen);
}

static int
in_cluster_env(const char **host, const char **port)
{
	*host = getenv("KUBERNETES_SERVICE_HOST");
	*port = getenv("KUBERNETES_SERVICE_PORT");
	return *host != NULL && *host[0] != '\0' && *port != NULL &&
	    *port[0] != '\0';
}

/* The in-cluster namespace: POD_NAMESPACE, then the service account's
 * namespace file, then "default". */
static int
in_cluster_namespace(struct kube_config *kc, char *err, size_t errlen)
{
	const char *env = getenv("POD_NAMESPACE");
	char *data = NULL, *end;
	size_t len;
	int rc;

	if (env != NULL && env[0] != '\0') {
		return set_namespace(kc, env, err, errlen);
	}
	if (read_file(KEVENTS_SA_DIR "/namespace", 4096, &data, &len) != 0) {
		return set_namespace(kc, NULL, err, errlen);
	}
	end = data + strlen(data);
	while (end > data && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' ')) {
		*--end = '\0';
	}
	rc = set_namespace(kc, data, err, errlen);
	free(data);
	return rc;
}

/* The service account's token and CA, for what the flags leave open.
 * strict is 0 when --server was given: a missing token or CA then
 * leaves the request as the flags describe it. */
static int
in_cluster_creds(struct kube_config *kc, const struct config_flags *f,
    int strict, char *err, size_t errlen)
{
	const char *token_path = KEVENTS_SA_DIR "/token";
	const char *ca_path = KEVENTS_SA_DIR "/ca.crt";

	if (f->token == NULL && f->client_certificate == NULL) {
		if (access(token_path, F_OK) != 0 && errno == ENOENT) {
			if (strict) {
				return set_err(err, errlen, "no service-"
				    "account token at %s: is "
				    "automountServiceAccountToken false?",
				    token_path);
			}
		} else {
			snprintf(kc->token_file, sizeof kc->token_file, "%s",
			    token_path);
			kc->token = read_token(token_path, err, errlen);
			if (kc->token == NULL) {
				return -1;
			}
		}
	}
	if (f->certificate_authority == NULL && !kc->insecure &&
	    (strict || access(ca_path, F_OK) == 0)) {
		return blob_from_file(&kc->ca, ca_path, err, errlen,
		    "the service-account CA");
	}
	return 0;
}

/* Resolution without kubeconfig: the in-cluster service, or flags. */
static int
from_environment(const struct config_flags *f, struct kube_config *kc,
    char *err, size_t errlen)
{
	const char *host = NULL, *port = NULL;
	int in_cluster = in_cluster_env(&host, &port), n;

	/* A bare IPv6 service address needs brackets in a URL. */
	if (f->server != NULL) {
		n = snprintf(kc->server, sizeof kc->server, "%s", f->server);
		snprintf(kc->origin, sizeof kc->origin, "%s", in_cluster ?
		    "flags and in-cluster" : "flags");
	} else {
		n = snprintf(kc->server, sizeof kc->server, strchr(host, ':')
		    && host[0] != '[' ? "https://[%s]:%s" : "https://%s:%s",
		    host, port);
		snprintf(kc->origin, sizeof kc->origin, "in-cluster");
	}
	if (n < 0 || (size_t)n >= sizeof kc->server) {
		return set_err(err, errlen, "the server URL is too long");
	}
	if (copy_str(kc->tls_server_name, sizeof kc->tls_server_name,
	    f->tls_server_name ? f->tls_server_name : "") != 0) {
		return set_err(err, errlen, "--tls-server-name is too long");
	}
	kc->insecure = f->insecure_skip_tls_verify;

	/* Flags first; what they leave open comes from the service
	 * account when there is one. */
	if (f->token != NULL) {
		if (!token_ok(f->token)) {
			return set_err(err, errlen, "--token holds a control "
			    "character");
		}
		kc->token = strdup(f->token);
		if (kc->token == NULL) {
			return set_err(err, errlen, "out of memory");
		}
	}
	if (load_pem(&kc->client_cert, NULL, "client-certificate",
	    f->client_certificate, err, errlen) != 0 ||
	    load_pem(&kc->client_key, NULL, "client-key", f->client_key, err,
	    errlen) != 0 || (!kc->insecure && load_pem(&kc->ca, NULL,
	    "certificate-authority", f->certificate_authority, err,
	    errlen) != 0)) {
		return -1;
	}
	if (in_cluster && in_cluster_creds(kc, f, f->server == NULL, err,
	    errlen) != 0) {
		return -1;
	}
	if (f->namespace_ != NULL) {
		return set_namespace(kc, f->namespace_, err, errlen);
	}
	if (in_cluster) {
		return in_cluster_namespace(kc, err, errlen);
	}
	return set_namespace(kc, NULL, err, errlen);
}

/* Finds the kubeconfig files in client-go's order; notes what was
 * looked at in tried, for the message when nothing is configured. */
static int
find_files(struct merge *m, const struct config_flags *f, char *tried,
    size_t tried_len, char *err, size_t errlen)
{
	const char *list = getenv("KUBECONFIG"), *home = getenv("HOME");
	const char *start, *end;
	char path[4096];
	size_t len;

	if (f->kubeconfig != NULL) {
		snprintf(tried, tried_len, "--kubeconfig %s defines nothing",
		    f->kubeconfig);
		return load_file(m, f->kubeconfig, 1, err, errlen) < 0 ?
		    -1 : 0;
	}

	/* Every file of the list, in order; missing ones are skipped. */
	if (list != NULL && list[0] != '\0') {
		for (start = list; *start != '\0'; start = end) {
			end = strchr(start, ':');
			if (end == NULL) {
				end = start + strlen(start);
			}
			len = (size_t)(end - start);
			if (*end == ':') {
				end++;
			}
			if (len == 0) {
				continue;
			}
			if (len >= sizeof path) {
				return set_err(err, errlen, "a KUBECONFIG "
				    "path is too long");
			}
			memcpy(path, start, len);
			path[len] = '\0';
			if (load_file(m, path, 0, err, errlen) < 0) {
				return -1;
			}
		}
		snprintf(tried, tried_len, "KUBECONFIG=%s%s", list,
		    m->n_files ? " defines nothing" : " names no existing "
		    "file");
		return 0;
	}

	/* HOME is often unset in a scratch image; nothing else (such as
	 * /etc/passwd) is consulted instead. */
	if (home == NULL || home[0] == '\0') {
		snprintf(tried, tried_len, "KUBECONFIG and HOME are unset");
		return 0;
	}
	if (snprintf(path, sizeof path, "%s%s.kube/config", home,
	    home[strlen(home) - 1] == '/' ? "" : "/") >= (int)sizeof path) {
		return set_err(err, errlen, "HOME is too long");
	}
	if (load_file(m, path, 0, err, errlen) < 0) {
		return -1;
	}
	describe(tried, tried_len, "KUBECONFIG is unset, %s %s", path,
	    m->n_files ? "defines nothing" : "does not exist");
	return 0;
}

int
config_resolve(const struct config_flags *flags, struct kube_config *kc,
    char *err, size_t errlen)
{
	struct merge m;
	char tried[1024] = "";
	const char *host, *port;
	int rc;

	memset(kc, 0, sizeof *kc);
	memset(&m, 0, sizeof m);
	if (errlen > 0) {
		err[0] = '\0';
	}
	m.files = calloc(MAX_FILES, sizeof *m.files);
	if (m.files == NULL) {
		return set_err(err, errlen, "out of memory");
	}

	/* Kubeconfig files win when they say anything; client-go falls
	 * back to in-cluster only when the merged files are empty. */
	rc = find_files(&m, flags, tried, sizeof tried, err, errlen);
	if (rc == 0 && (m.nonempty || (flags->context != NULL &&
	    m.n_files > 0))) {
		rc = from_kubeconfig(&m, flags, kc, err, errlen);
	} else if (rc == 0 && flags->context != NULL) {
		rc = set_err(err, errlen, "context \"%s\" not found: no "
		    "kubeconfig (%s)", flags->context, tried);
	} else if (rc == 0 && (flags->server != NULL ||
	    in_cluster_env(&host, &port))) {
		rc = from_environment(flags, kc, err, errlen);
	} else if (rc == 0) {
		rc = set_err(err, errlen, "no configuration: %s, and "
		    "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
		    "not both set (not in a cluster); give --kubeconfig or "
		    "--server", tried);
	}
	merge_free(&m);
	if (rc != 0) {
		config_free(kc);
		return -1;
	}
	kc->creds_loaded = time(NULL);
	return 0;
}

static int
same_blob(const struct config_blob *b, const char *data, size_t len)
{
	return b->len == len && memcmp(b->data, data, len) == 0;
}

int
config_reload_credentials(struct kube_config *kc, char *err,
    size_t errlen)
{
	char *token = NULL, *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int changed = 0;

	/* Everything is read before anything is replaced: a certificate
	 * must never be paired with the key of another rotation. */
	if (kc->token_file[0] != '\0') {
		token = read_token(kc->token_file, err, errlen);
		if (token == NULL) {
			return -1;
		}
	}
	if (kc->client_cert.path[0] != '\0' && read_file(kc->client_cert.path,
	    MAX_CRED_FILE, &cert, &cert_len) != 0) {
		set_err(err, errlen, "cannot read client certificate %s: %s",
		    kc->client_cert.path, why(errno));
		goto fail;
	}
	if (kc->client_key.path[0] != '\0' && read_file(kc->client_key.path,
	    MAX_CRED_FILE, &key, &key_len) != 0) {
		set_err(err, errlen, "cannot read client key %s: %s",
		    kc->client_key.path, why(errno));
		goto fail;
	}

	/* Swap in what differs. */
	if (token != NULL && (kc->token == NULL ||
	    strcmp(token, kc->token) != 0)) {
		free(kc->token);
		kc->token = token;
		token = NULL;
		changed = 1;
	}
	if (cert != NULL && !same_blob(&kc->client_cert, cert, cert_len)) {
		free(kc->client_cert.data);
		kc->client_cert.data = (uint8_t *)cert;
		kc->client_cert.len = cert_len;
		cert = NULL;
		changed = 1;
	}
	if (key != NULL && !same_blob(&kc->client_key, key, key_len)) {
		free(kc->client_key.data);
		kc->client_key.data = (uint8_t *)key;
		kc->client_key.len = key_len;
		key = NULL;
		changed = 1;
	}
	free(token);
	free(cert);
	free(key);
	kc->creds_loaded = time(NULL);
	return changed;
fail:
	free(token);
	free(cert);
	free(key);
	return -1;
}

void
config_free(struct kube_config *kc)
{
	free(kc->ca.data);
	free(kc->client_cert.data);
	free(kc->client_key.data);
	free(kc->token);
	memset(kc, 0, sizeof *kc);
}
