#!/usr/bin/env python3
"""Writes a single-layer OCI image archive (an OCI image layout in a tar file) that
`ctr images import` loads, from a root file system directory and/or single files.

There is no Docker engine or registry here, so the local cluster's images are made from local
files with this script, the way `docker save` would hand them over:

    oci_image.py --out IMAGE.tar --name docker.io/library/busybox:1.36 [--name ...] \\
        [--rootfs DIR] [--file SRC:DEST[:MODE]] \\
        [--user 101:101] [--entrypoint '["/entrypoint.sh"]'] [--cmd '["bitcoind"]'] \\
        [--env K=V] [--workdir /] [--label k=v] [--dockerfile Dockerfile]

--dockerfile takes USER, ENTRYPOINT, CMD, ENV, WORKDIR and LABEL from the last stage of a
Dockerfile (JSON forms only), so an image's configuration has one source.

The layer is an uncompressed tar with sorted entries, fixed timestamps and numeric owners, so
the same inputs give the same digest (the cluster tooling imports an image only when its digest
changed).
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import stat
import sys
import tarfile
import tempfile

EPOCH = 0


def fail(message):
    print(f"oci_image.py: {message}", file=sys.stderr)
    sys.exit(2)


def dockerfile_config(path):
    """Configuration from the last stage of a Dockerfile (instructions after the last FROM)."""
    config = {}
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    text = re.sub(r"\\\n", " ", text)
    stage = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage = []
        stage.append((word, rest.strip()))
    for word, rest in stage:
        if word in ("ENTRYPOINT", "CMD"):
            try:
                value = json.loads(rest)
            except ValueError:
                fail(f"{path}: {word} must use the JSON form, got: {rest}")
            config["Entrypoint" if word == "ENTRYPOINT" else "Cmd"] = value
        elif word == "USER":
            config["User"] = rest
        elif word == "WORKDIR":
            config["WorkingDir"] = rest
        elif word == "ENV":
            for item in shlex.split(rest):
                config.setdefault("Env", []).append(item)
        elif word == "LABEL":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                config.setdefault("Labels", {})[key] = value
    return config


class Layer:
    """Entries keyed by their path in the image; later additions replace earlier ones."""

    def __init__(self):
        self.entries = {}

    def add_tree(self, root):
        root = os.path.abspath(root)
        # os.walk lists a symlink to a directory in dirnames without descending into it, and
        # tarfile stores it as a symlink: the tree is copied as it is.
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                self.entries[os.path.relpath(full, root)] = ("path", full, None)

    def add_file(self, src, dest, mode):
        dest = dest.lstrip("/")
        if not os.path.isfile(src):
            fail(f"--file {src}: no such file")
        self._parents(dest)
        self.entries[dest] = ("file", src, mode)

    def _parents(self, dest):
        parts = dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            self.entries.setdefault(parent, ("dir", None, 0o755))

    def write(self, out):
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(self.entries):
                kind, src, mode = self.entries[name]
                if kind == "path":
                    info = tar.gettarinfo(src, arcname=name)
                    info.uname = info.gname = ""
                    info.mtime = EPOCH
                    if info.isreg():
                        with open(src, "rb") as f:
                            tar.addfile(info, f)
                    else:
                        tar.addfile(info)
                    continue
                info = tarfile.TarInfo(name)
                info.mtime = EPOCH
                info.uid = info.gid = 0
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    info.mode = mode
                    tar.addfile(info)
                else:
                    st = os.stat(src)
                    info.size = st.st_size
                    info.mode = mode if mode is not None else stat.S_IMODE(st.st_mode)
                    with open(src, "rb") as f:
                        tar.addfile(info, f)


def blob(directory, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(directory, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def layout_entry(info):
    """An entry of the image layout archive as it is whoever writes it (user, umask): the same
    inputs give the same archive bytes (release SHA256SUMS), not only the same digests."""
    info.mtime = EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--name", action="append", required=True, help="full reference, e.g. docker.io/library/busybox:1.36")
    p.add_argument("--rootfs")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--dockerfile")
    p.add_argument("--user")
    p.add_argument("--entrypoint")
    p.add_argument("--cmd")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir")
    p.add_argument("--label", action="append", default=[])
    a = p.parse_args()

    config = dockerfile_config(a.dockerfile) if a.dockerfile else {}
    if a.user:
        config["User"] = a.user
    for flag, key in (("entrypoint", "Entrypoint"), ("cmd", "Cmd")):
        value = getattr(a, flag)
        if value:
            try:
                config[key] = json.loads(value)
            except ValueError:
                fail(f"--{flag} must be a JSON array, got: {value}")
    if a.env:
        config["Env"] = config.get("Env", []) + a.env
    if not any(e.startswith("PATH=") for e in config.get("Env", [])):
        config.setdefault("Env", []).insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if a.workdir:
        config["WorkingDir"] = a.workdir
    for item in a.label:
        key, _, value = item.partition("=")
        config.setdefault("Labels", {})[key] = value

    layer = Layer()
    if a.rootfs:
        if not os.path.isdir(a.rootfs):
            fail(f"--rootfs {a.rootfs}: not a directory")
        layer.add_tree(a.rootfs)
    for spec in a.file:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            fail(f"--file {spec}: want SRC:DEST[:MODE]")
        layer.add_file(parts[0], parts[1], int(parts[2], 8) if len(parts) == 3 else None)

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(a.out))) as work:
        os.makedirs(os.path.join(work, "blobs", "sha256"))
        with tempfile.TemporaryFile(dir=work) as raw:
            layer.write(raw)
            raw.seek(0)
            layer_bytes = raw.read()
        layer_digest, layer_size = blob(work, layer_bytes)
        del layer_bytes
        image_config = {
            "architecture": "amd64",
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            "history": [{"created_by": "hack/cluster/oci_image.py"}],
        }
        config_digest, config_size = blob(work, json.dumps(image_config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}],
        }
        manifest_digest, manifest_size = blob(work, json.dumps(manifest, sort_keys=True).encode())
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest,
                    "size": manifest_size,
                    "platform": {"architecture": "amd64", "os": "linux"},
                    "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]},
                }
                for name in a.name
            ],
        }
        with open(os.path.join(work, "index.json"), "w") as f:
            json.dump(index, f, sort_keys=True)
        with open(os.path.join(work, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        part = a.out + ".part"
        with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as tar:
            for name in ("oci-layout", "index.json", "blobs"):
                tar.add(os.path.join(work, name), arcname=name, filter=layout_entry)
        os.replace(part, a.out)


if __name__ == "__main__":
    main()
