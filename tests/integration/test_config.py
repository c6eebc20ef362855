# flavors: static
"""In-cluster configuration, end to end: build/drivers/config_dump runs
in a private mount namespace where a temporary directory is bind-mounted
over the service-account directory, with the KUBERNETES_SERVICE_* and
POD_NAMESPACE variables a kubelet sets. Nothing changes on the host:
when the mount point does not exist, a tmpfs over /var/run (inside the
namespace only) holds it.
SPDX-License-Identifier: Apache-2.0
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite, TOP, sanitizer_report  # noqa: E402

SA = "/var/run/secrets/kubernetes.io/serviceaccount"
DRIVER = os.path.join(TOP, "build", "drivers", "config_dump")

# Runs inside the new mount namespace: "$1" is the directory to show at
# the service-account path, the rest is the driver's command line.
NAMESPACE_SCRIPT = r"""
set -e
sa=/var/run/secrets/kubernetes.io/serviceaccount
if [ ! -d "$sa" ]; then
    mount -t tmpfs kevents-test "$(readlink -f /var/run)"
    mkdir -p "$sa"
fi
mount --bind "$1" "$sa"
shift
exec "$@"
"""

suite = Suite("config")


def sha12(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def base_env(extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update(extra)
    return env


def command(sa_dir, args):
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            NAMESPACE_SCRIPT, "sh", sa_dir, DRIVER] + list(args)


def run(sa_dir, env, args=()):
    p = subprocess.run(command(sa_dir, args), env=base_env(env),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = value
    return p.returncode, fields, err


def clean(what, err):
    suite.check(f"{what}: no sanitizer report", not sanitizer_report(err),
                err[-600:])


def make_sa(root, name, token="tok-" + "x" * 40, ca="CA PEM\n",
            namespace="team-a"):
    d = os.path.join(root, name)
    os.mkdir(d)
    for fname, content in (("token", token), ("ca.crt", ca),
                           ("namespace", namespace)):
        if content is not None:
            with open(os.path.join(d, fname), "w") as f:
                f.write(content)
    return d


def main():
    if not os.path.exists(DRIVER):
        suite.check("config_dump driver is built", False,
                    f"{DRIVER} is missing: run `make drivers` "
                    "(make test builds it)")
        suite.done()
    if shutil.which("unshare") is None or os.geteuid() != 0:
        suite.skip("in-cluster configuration", "needs root and unshare "
                   "for a private mount namespace")
        suite.done()
    probe = subprocess.run(["unshare", "-m", "--propagation", "private",
                            "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        suite.skip("in-cluster configuration", "unshare -m is not "
                   "permitted here: " + probe.stderr.decode().strip())
        suite.done()

    existed = os.path.exists("/var/run/secrets")
    root = tempfile.mkdtemp(prefix="kevents-sa-")
    try:
        cases(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    suite.check("nothing left behind on the host",
                os.path.exists("/var/run/secrets") == existed)
    suite.done()


def cases(root):
    v4 = {"KUBERNETES_SERVICE_HOST": "10.96.0.1",
          "KUBERNETES_SERVICE_PORT": "443"}
    token = "eyJhbGciOiJSUzI1NiJ9.payload.sig"
    sa = make_sa(root, "full", token=token + "\n")

    # The usual pod: service address, token, CA and namespace file.
    rc, f, err = run(sa, v4)
    suite.check("in-cluster IPv4 resolves", rc == 0, err)
    suite.check("server is https://10.96.0.1:443",
                f.get("server") == "https://10.96.0.1:443", f)
    suite.check("token is read and trimmed",
                f.get("token") == f"set, {len(token)} bytes, sha256 "
                f"{sha12(token)}", f.get("token"))
    suite.check("token file is kept for rotation",
                f.get("token-file") == SA + "/token", f)
    suite.check("CA comes from ca.crt",
                f.get("ca") == f"7 bytes from {SA}/ca.crt", f.get("ca"))
    suite.check("namespace comes from the namespace file",
                f.get("namespace") == "team-a", f)
    suite.check("origin is in-cluster", f.get("origin") == "in-cluster"
                and f.get("context") == "", f)
    suite.check("the token never appears in the output",
                token not in str(f) and token not in err)
    clean("in-cluster IPv4", err)

    # A bare IPv6 service address is bracketed.
    v6 = {"KUBERNETES_SERVICE_HOST": "fd00::1",
          "KUBERNETES_SERVICE_PORT": "6443"}
    rc, f, err = run(sa, v6)
    suite.check("IPv6 service host gets brackets",
                rc == 0 and f.get("server") == "https://[fd00::1]:6443",
                (rc, f, err))

    # POD_NAMESPACE wins over the file; -n over both.
    rc, f, err = run(sa, dict(v4, POD_NAMESPACE="from-env"))
    suite.check("POD_NAMESPACE wins over the namespace file",
                rc == 0 and f.get("namespace") == "from-env", (f, err))
    rc, f, err = run(sa, dict(v4, POD_NAMESPACE="from-env"),
                     ["-n", "flag-ns"])
    suite.check("-n wins over POD_NAMESPACE",
                rc == 0 and f.get("namespace") == "flag-ns", (f, err))
    nons = make_sa(root, "nons", namespace=None)
    rc, f, err = run(nons, v4)
    suite.check("no namespace file means default",
                rc == 0 and f.get("namespace") == "default", (f, err))

    # automountServiceAccountToken: false leaves no token.
    notoken = make_sa(root, "notoken", token=None)
    rc, f, err = run(notoken, v4)
    want = (f"error: no service-account token at {SA}/token: is "
            "automountServiceAccountToken false?")
    suite.check("a missing token is said plainly",
                rc == 1 and err.strip() == want, err)
    noca = make_sa(root, "noca", ca=None)
    rc, f, err = run(noca, v4)
    suite.check("a missing CA is an error naming it",
                rc == 1 and f"{SA}/ca.crt" in err, err)
    rc, f, err = run(noca, v4, ["--certificate-authority", os.path.join(
        sa, "ca.crt")])
    suite.check("--certificate-authority replaces a missing ca.crt",
                rc == 0 and f.get("ca", "").endswith("full/ca.crt"),
                (f, err))

    # --server: the flags decide; the service account only fills in
    # the token and CA they leave open.
    rc, f, err = run(sa, v4, ["--server", "https://api.example:6443"])
    suite.check("--server in a pod keeps the service-account token",
                rc == 0 and f.get("server") == "https://api.example:6443"
                and f.get("token", "").startswith("set,")
                and f.get("origin") == "flags and in-cluster", (f, err))
    rc, f, err = run(notoken, v4, ["--server", "https://api.example",
                                   "--token", "flagtok"])
    suite.check("--server and --token need no service-account token",
                rc == 0 and f.get("token") == "set, 7 bytes, sha256 " +
                sha12("flagtok"), (f, err))
    rc, f, err = run(sa, {}, ["--server", "https://api.example"])
    suite.check("--server outside a cluster uses the flags alone",
                rc == 0 and f.get("token") == "none"
                and f.get("ca") == "none" and f.get("origin") == "flags",
                (f, err))

    # A kubeconfig wins over in-cluster.
    kc = os.path.join(root, "kubeconfig")
    with open(kc, "w") as fh:
        fh.write("clusters:\n- name: c\n  cluster:\n"
                 "    server: https://kc.example\n"
                 "    insecure-skip-tls-verify: true\n"
                 "contexts:\n- name: c\n  context: {cluster: c}\n"
                 "current-context: c\n")
    rc, f, err = run(sa, dict(v4, KUBECONFIG=kc))
    suite.check("KUBECONFIG wins over in-cluster",
                rc == 0 and f.get("server") == "https://kc.example"
                and f.get("token") == "none", (f, err))

    # Nothing at all: the message lists what was looked at.
    rc, f, err = run(sa, {})
    suite.check("nothing configured lists what was tried",
                rc == 1 and "KUBECONFIG and HOME are unset" in err and
                "KUBERNETES_SERVICE_HOST" in err, err)

    # A rotated token is picked up by a reload (the unit tests cover
    # the failures that keep the old value).
    rot = make_sa(root, "rot", token="first-token")
    p = subprocess.Popen(command(rot, ["--reload"]), env=base_env(v4),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = b""
    while b"token-file:" not in first:
        line = p.stdout.readline()
        if not line:
            break
        first += line
    with open(os.path.join(rot, "token"), "w") as fh:
        fh.write("second-token\n")
    out, err = p.communicate(b"\n", timeout=60)
    out = out.decode()
    suite.check("reload picks up a rotated token",
                "reload: 1" in out and "sha256 " + sha12("second-token")
                in out, (out, err))
    clean("reload", err.decode())


if __name__ == "__main__":
    main()
