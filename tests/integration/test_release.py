# flavors: static
"""Release checks: two clean builds of the tree are byte-identical (native
and, where the cross toolchain exists, arm64), make install, the arm64
binary under qemu-user against kube-sim, the manual page against --help,
and the deployment files in tools/deploy.

Each missing tool (qemu-aarch64-static, the cross gcc, kubectl, groff)
skips the checks that need it, with the reason.
SPDX-License-Identifier: Apache-2.0
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite, TOP, kevents  # noqa: E402

T = Suite("release")
DEPLOY = os.path.join(TOP, "tools", "deploy")
MANPAGE = os.path.join(TOP, "tools", "kevents.1")
CROSS_ARCH = "aarch64"
QEMU = shutil.which("qemu-aarch64-static")
BUILD_TIMEOUT = 400
POD_START = ("Scheduled", "Pulling", "Pulled", "Created", "Started")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(argv, cwd=None, env=None, timeout=60):
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout}s"


def build_env():
    """The environment for a nested make: none of the outer make's
    jobserver or flags, so each build is as a person would start it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env["LC_ALL"] = "C"
    return env


# Reproducible builds -------------------------------------------------------

def tree_files():
    """The files of the working tree as a commit would take them: tracked
    ones and new ones that .gitignore does not exclude."""
    if not os.path.isdir(os.path.join(TOP, ".git")) or not shutil.which("git"):
        return None
    rc, out, _ = run(["git", "-C", TOP, "ls-files", "-z", "-co",
                      "--exclude-standard"])
    if rc != 0:
        return None
    return [f for f in out.split("\0")
            if f and os.path.isfile(os.path.join(TOP, f))]


def copy_tree(files, dest):
    for f in files:
        d = os.path.join(dest, os.path.dirname(f))
        os.makedirs(d, exist_ok=True)
        shutil.copy2(os.path.join(TOP, f), os.path.join(dest, f))


def git_value(*args, default):
    rc, out, _ = run(["git", "-C", TOP] + list(args))
    return out.strip() if rc == 0 and out.strip() else default


def leaked_paths(binary, roots):
    with open(binary, "rb") as f:
        data = f.read()
    return [r for r in roots if r.encode() in data]


def check_builds(work):
    """Builds the tree twice in two directories of different depth and
    compares; returns the first copy's directory (for install and the
    arm64 smoke test) or None."""
    bearssl = os.environ.get("BEARSSL_SRC",
                             os.path.join(TOP, "build", "bearssl-0.6"))
    if not os.path.isabs(bearssl):
        bearssl = os.path.join(TOP, bearssl)
    why = None
    if not os.path.isfile(os.path.join(bearssl, "inc", "bearssl.h")):
        why = f"no BearSSL tree at {bearssl}"
    elif not shutil.which("musl-gcc"):
        why = "musl-gcc not found (sh tools/deps.sh musl)"
    files = None if why else tree_files()
    if why is None and files is None:
        why = "not a git work tree: cannot tell which files to copy"
    if why:
        for what in ("two builds of kevents are byte-identical",
                     "make install"):
            T.skip(what, why)
        return None

    cross = (shutil.which(f"{CROSS_ARCH}-linux-musl-gcc") and
             shutil.which(f"{CROSS_ARCH}-linux-gnu-ar"))
    version = git_value("describe", "--tags", "--always", "--dirty",
                        default="0.0.0")
    epoch = git_value("log", "-1", "--format=%ct", default="0")
    env = build_env()
    env["SOURCE_DATE_EPOCH"] = epoch
    dirs = [os.path.join(work, "a"),
            os.path.join(work, "second", "build", "of", "kevents")]
    # The second tree is copied from the first, not from the work tree,
    # so that an edit made meanwhile cannot make the two differ.
    copy_tree(files, dirs[0])
    shutil.copytree(dirs[0], dirs[1], symlinks=True)
    made = []
    for d in dirs:
        common = [f"BEARSSL_SRC={bearssl}", f"VERSION={version}"]
        t0 = time.monotonic()
        rc, out, err = run(["make", "-s", "-j2", "kevents"] + common,
                           cwd=d, env=env, timeout=BUILD_TIMEOUT)
        ok = T.check(f"clean build in {os.path.relpath(d, work)}",
                     rc == 0 and os.path.isfile(os.path.join(d, "kevents")),
                     (out + err)[-800:])
        if ok and cross:
            rc, out, err = run(["make", "-s", "-j2", "cross",
                                f"ARCH={CROSS_ARCH}"] + common,
                               cwd=d, env=env, timeout=BUILD_TIMEOUT)
            T.check(f"clean cross build in {os.path.relpath(d, work)}",
                    rc == 0 and os.path.isfile(
                        os.path.join(d, f"kevents-{CROSS_ARCH}")),
                    (out + err)[-800:])
            m = re.search(r"kevents-%s: .*sha256 ([0-9a-f]{64})" %
                          CROSS_ARCH, out)
            T.check("make cross prints the binary's SHA-256",
                    m is not None and m.group(1) == sha256(
                        os.path.join(d, f"kevents-{CROSS_ARCH}")), out[-400:])
        print(f"     built in {time.monotonic() - t0:.0f}s")
        made.append(ok)
    if not all(made):
        T.skip("two builds of kevents are byte-identical", "a build failed")
        return None

    names = ["kevents"] + ([f"kevents-{CROSS_ARCH}"] if cross else [])
    for name in names:
        a, b = (os.path.join(d, name) for d in dirs)
        if not (os.path.isfile(a) and os.path.isfile(b)):
            T.check(f"two builds of {name} are byte-identical", False,
                    "a binary is missing")
            continue
        T.check(f"two builds of {name} are byte-identical",
                sha256(a) == sha256(b),
                f"{sha256(a)} != {sha256(b)}; compare with cmp -l")
        leaks = leaked_paths(a, [work, TOP, bearssl, "/tmp/"])
        T.check(f"{name} holds no build path", not leaks,
                f"found {leaks}")
    if not cross:
        T.skip(f"two builds of kevents-{CROSS_ARCH} are byte-identical",
               f"no {CROSS_ARCH}-linux-musl-gcc (sh tools/deps.sh cross)")
    return dirs[0]


def check_install(tree, work):
    if tree is None:
        return
    dest = os.path.join(work, "destdir")
    rc, out, err = run(["make", "-s", "install", "PREFIX=/usr/local",
                        f"DESTDIR={dest}"], cwd=tree, env=build_env(),
                       timeout=BUILD_TIMEOUT)
    T.check("make install PREFIX=/usr/local DESTDIR=...", rc == 0,
            (out + err)[-600:])
    binary = os.path.join(dest, "usr", "local", "bin", "kevents")
    man = os.path.join(dest, "usr", "local", "share", "man", "man1",
                       "kevents.1")
    T.check("install: bin/kevents is the built binary, mode 755",
            os.path.isfile(binary) and
            sha256(binary) == sha256(os.path.join(tree, "kevents")) and
            (os.stat(binary).st_mode & 0o777) == 0o755)
    T.check("install: share/man/man1/kevents.1, mode 644",
            os.path.isfile(man) and sha256(man) == sha256(MANPAGE) and
            (os.stat(man).st_mode & 0o777) == 0o644)
    rest = []
    for root, _, fs in os.walk(dest):
        rest += [os.path.relpath(os.path.join(root, f), dest) for f in fs]
    T.check("install: nothing else installed", len(rest) == 2, str(rest))


# The arm64 binary under qemu-user ------------------------------------------

def check_qemu(tree):
    candidates = ([os.path.join(tree, f"kevents-{CROSS_ARCH}")] if tree
                  else []) + [os.path.join(TOP, f"kevents-{CROSS_ARCH}")]
    binary = next((c for c in candidates if os.path.isfile(c)), None)
    whats = (f"kevents-{CROSS_ARCH} --version under qemu",
             f"kevents-{CROSS_ARCH} lists and watches kube-sim under qemu")
    why = None
    if QEMU is None:
        why = "qemu-aarch64-static not found (sh tools/deps.sh qemu)"
    elif binary is None:
        why = (f"no kevents-{CROSS_ARCH} (sh tools/deps.sh cross; "
               f"make cross ARCH={CROSS_ARCH})")
    if why:
        for what in whats:
            T.skip(what, why)
        return
    rc, out, err = run([QEMU, binary, "--version"], env={}, timeout=30)
    T.check(whats[0], rc == 0 and f"linux/{CROSS_ARCH}" in out and
            "static musl" in out, f"rc={rc} {out!r} {err!r}")
    try:
        from kubesim import KubeSim
    except ImportError as e:
        T.skip(whats[1], f"kubesim.py: {e}")
        return
    with KubeSim() as sim:
        sim.scenario("pod-start", pod="web-1", sync=True)
        rc, out, err = run([QEMU, binary, "--kubeconfig", sim.kubeconfig,
                            "--timeout", "5s", "-w", "-n", "default"],
                           env={}, timeout=40)
        missing = [r for r in POD_START if r not in out]
        T.check(whats[1], rc == 0 and not missing,
                f"rc={rc} missing={missing} stdout={out[-400:]!r} "
                f"stderr={err[-400:]!r}")


# The manual page -------------------------------------------------------------

def long_options(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", text))


def man_source_text():
    with open(MANPAGE) as f:
        src = f.read()
    # Undo roff escapes that split an option: \- is a minus, \f? a font.
    src = src.replace("\\-", "-")
    return re.sub(r"\\f[BIRP]|\\f\(..|\\&", "", src)


def check_manpage():
    if not os.path.isfile(MANPAGE):
        T.check("tools/kevents.1 exists", False)
        return
    r = kevents(["--help"])
    helped = long_options(r.out)
    T.check("kevents --help lists long options", r.rc == 0 and
            len(helped) > 20, repr(r))
    man = man_source_text()
    in_man = long_options(man)
    T.check("every long option of --help is in the manual page",
            helped <= in_man, str(sorted(helped - in_man)))
    T.check("every long option of the manual page is in --help",
            in_man <= helped, str(sorted(in_man - helped)))
    shorts = set(re.findall(r"^\s+(-[a-zA-Z])[ ,]", r.out, re.M))
    T.check("every short option of --help is in the manual page",
            shorts and all(re.search(r"(?<![\w-])%s\b" % s, man)
                           for s in shorts), str(sorted(shorts)))
    needed = [".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES",
              "KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST",
              "KUBERNETES_SERVICE_PORT", "POD_NAMESPACE", "HTTPS_PROXY",
              "HTTP_PROXY", "NO_PROXY", "~/.kube/config",
              "/var/run/secrets/kubernetes.io/serviceaccount/token",
              "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
              "/var/run/secrets/kubernetes.io/serviceaccount/namespace"]
    T.check("the manual page covers exit status, environment and files",
            all(n in man for n in needed),
            str([n for n in needed if n not in man]))
    statuses = re.search(r"\.SH EXIT STATUS\n(.*?)\n\.SH", man, re.S)
    T.check("the manual page gives exit statuses 0, 1 and 2",
            statuses is not None and all(
                f"\n.B {n}\n" in statuses.group(1) for n in "012"))

    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    if shutil.which("groff"):
        rc, out, err = run(["groff", "-man", "-Tutf8", "-ww", "-z",
                            MANPAGE], env=env)
        T.check("groff -man renders the page without warnings",
                rc == 0 and err.strip() == "", err[-600:])
    else:
        T.skip("groff -man renders the page without warnings",
               "groff not found")
    if shutil.which("man"):
        rc, out, err = run(["man", "--warnings", "-l", MANPAGE], env=env)
        T.check("man -l renders the page without warnings",
                rc == 0 and err.strip() == "" and "--namespace" in out,
                err[-600:])
    else:
        T.skip("man -l renders the page without warnings", "man not found")


# Deployment files ------------------------------------------------------------

def check_dockerfile():
    path = os.path.join(DEPLOY, "Dockerfile")
    if not T.check("tools/deploy/Dockerfile exists", os.path.isfile(path)):
        return
    with open(path) as f:
        lines = [ln.strip() for ln in f
                 if ln.strip() and not ln.lstrip().startswith("#")]
    words = [ln.split(None, 1) for ln in lines]
    ops = [w[0].upper() for w in words]
    T.check("Dockerfile: FROM scratch, one stage",
            ops.count("FROM") == 1 and lines[0].lower() == "from scratch",
            str(lines[:1]))
    copies = [w[1].split() for w in words if w[0].upper() == "COPY"]
    T.check("Dockerfile: the only file is the binary",
            copies == [["kevents", "/kevents"]] and
            not {"ADD", "RUN"} & set(ops), str(lines))
    T.check("Dockerfile: USER 65532:65532",
            "USER 65532:65532" in lines, str(lines))
    entry = [w[1] for w in words if w[0].upper() == "ENTRYPOINT"]
    T.check("Dockerfile: ENTRYPOINT runs /kevents",
            len(entry) == 1 and json.loads(entry[0]) == ["/kevents"],
            str(entry))


def kubectl_objects(kubectl, path, home):
    """The objects of a YAML file as kubectl decodes them. `label --local`
    reads the file, decodes every document and prints it without
    contacting any server (apply --dry-run=client would still ask the
    server for the resource mapping)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "KUBECONFIG": os.path.join(home, "kubeconfig")}
    rc, out, err = run([kubectl, "label", "--local", "-f", path, "-o",
                        "json", "kevents.check=1"], env=env, timeout=30)
    if rc != 0:
        return None, err.strip()
    objs, dec, i = [], json.JSONDecoder(), 0
    while True:
        while i < len(out) and out[i].isspace():
            i += 1
        if i >= len(out):
            break
        obj, i = dec.raw_decode(out, i)
        objs += obj.get("items", [obj]) if obj.get("kind") == "List" \
            else [obj]
    return objs, ""


def by_kind(objs, kind):
    return [o for o in objs if o.get("kind") == kind]


def check_rbac(objs, name, verbs):
    sas, roles, rbs = (by_kind(objs, k) for k in
                       ("ServiceAccount", "Role", "RoleBinding"))
    ok = len(sas) == len(roles) == len(rbs) == 1 and len(objs) == 3
    T.check(f"{name}: one ServiceAccount, Role and RoleBinding", ok,
            str([o.get("kind") for o in objs]))
    if not ok:
        return None
    sa, role, rb = sas[0], roles[0], rbs[0]
    ns = {o["metadata"].get("namespace") for o in (sa, role, rb)}
    T.check(f"{name}: all in one namespace", len(ns) == 1 and None not in ns,
            str(ns))
    rules = role.get("rules", [])
    T.check(f"{name}: Role grants {'/'.join(sorted(verbs))} on core events "
            "and nothing else",
            len(rules) == 1 and rules[0].get("apiGroups") == [""] and
            rules[0].get("resources") == ["events"] and
            set(rules[0].get("verbs", [])) == verbs, str(rules))
    ref, subjects = rb.get("roleRef", {}), rb.get("subjects", [])
    T.check(f"{name}: RoleBinding binds the Role to the ServiceAccount",
            ref.get("kind") == "Role" and
            ref.get("apiGroup") == "rbac.authorization.k8s.io" and
            ref.get("name") == role["metadata"]["name"] and
            subjects == [{"kind": "ServiceAccount",
                          "name": sa["metadata"]["name"],
                          "namespace": sa["metadata"]["namespace"]}],
            f"{ref} {subjects}")
    return sa["metadata"]["name"]


def field_ref(container, var):
    for e in container.get("env", []):
        if e.get("name") == var:
            return e.get("valueFrom", {}).get("fieldRef", {}).get(
                "fieldPath")
    return None


def check_pod(objs, kubectl, home, sa_name):
    pods = by_kind(objs, "Pod")
    if not T.check("pod.yaml: one Pod", len(pods) == 1 and len(objs) == 1,
                   str([o.get("kind") for o in objs])):
        return
    spec = pods[0].get("spec", {})
    side = [c for c in spec.get("containers", []) +
            spec.get("initContainers", [])
            if "pod/$(POD_NAME)" in c.get("args", [])]
    if not T.check("pod.yaml: a kevents container follows pod/$(POD_NAME)",
                   len(side) == 1 and "-w" in side[0].get("args", []),
                   str(spec)[:400]):
        return
    c = side[0]
    T.check("pod.yaml: POD_NAME and POD_NAMESPACE from the downward API",
            field_ref(c, "POD_NAME") == "metadata.name" and
            field_ref(c, "POD_NAMESPACE") == "metadata.namespace",
            str(c.get("env")))
    T.check("pod.yaml: runs as the ServiceAccount of rbac.yaml",
            sa_name is not None and spec.get("serviceAccountName") == sa_name,
            f"{spec.get('serviceAccountName')} vs {sa_name}")
    # `set env --local` decodes into the typed Pod, so a field of the
    # wrong type or shape is an error here, unlike with label.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "KUBECONFIG": os.path.join(home, "kubeconfig")}
    rc, out, err = run([kubectl, "set", "env", "--local", "-f",
                        os.path.join(DEPLOY, "pod.yaml"), "-o", "name",
                        "KEVENTS_CHECK=1"], env=env, timeout=30)
    T.check("pod.yaml: decodes as a typed Pod", rc == 0 and
            out.strip() == "pod/web", err.strip())


def check_manifests(work):
    kubectl = shutil.which("kubectl")
    files = ["rbac.yaml", "rbac-nowatch.yaml", "pod.yaml"]
    for f in files:
        T.check(f"tools/deploy/{f} exists",
                os.path.isfile(os.path.join(DEPLOY, f)))
    if kubectl is None:
        T.skip("deployment manifests decode", "kubectl not found")
        return
    # A kubeconfig that points nowhere, so that nothing could be reached
    # even if kubectl tried.
    home = os.path.join(work, "kubectl-home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "kubeconfig"), "w") as f:
        f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: none\n"
                "  cluster: {server: 'https://127.0.0.1:1'}\n"
                "users:\n- name: none\n  user: {token: none}\n"
                "contexts:\n- name: none\n"
                "  context: {cluster: none, user: none}\n"
                "current-context: none\n")
    decoded = {}
    for f in files:
        objs, err = kubectl_objects(kubectl, os.path.join(DEPLOY, f), home)
        if T.check(f"kubectl decodes tools/deploy/{f} offline",
                   objs is not None, err):
            decoded[f] = objs
    sa_name = None
    if "rbac.yaml" in decoded:
        sa_name = check_rbac(decoded["rbac.yaml"], "rbac.yaml",
                             {"get", "list", "watch"})
    if "rbac-nowatch.yaml" in decoded:
        check_rbac(decoded["rbac-nowatch.yaml"], "rbac-nowatch.yaml",
                   {"get", "list"})
    if "pod.yaml" in decoded:
        check_pod(decoded["pod.yaml"], kubectl, home, sa_name)


def main():
    work = tempfile.mkdtemp(prefix="kevents-release-")
    try:
        check_manpage()
        check_dockerfile()
        check_manifests(work)
        tree = check_builds(work)
        check_install(tree, work)
        check_qemu(tree)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    T.done()


if __name__ == "__main__":
    main()
