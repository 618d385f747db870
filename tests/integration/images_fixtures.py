#!/usr/bin/env python3
"""images_fixtures.py KIND OUT [ARG] - archives for t_images.sh.

Image archives, as other tools write them:
  docker-save   Docker's save format: <id>/layer.tar, <config>.json,
                repositories, and manifest.json last (a streaming loader
                must not need it first); RepoTags fixture:1
  docker-xz     the same with an xz-compressed layer.tar, tag fixture:xz
  oci           OCI image layout: oci-layout, index.json, blobs/sha256/
                (manifest, config, gzip layer), named ocitest:1
  oci-zstd      the same with a zstd layer (needs the zstd tool), ocitest:zstd
  hostile-load  Docker's save format whose layer escapes (ARG: the host path)

Hostile layer tars (ARG: the host path they aim at):
  escape        a member "../../../../../../ARG"
  absolute      a member "/ARG"
  symlink       a symlink "evil" -> ARG's directory, then "evil/<name>"
  symlink-rel   a symlink climbing out with "..", then a file through it
  hardlink      a hardlink "pw" -> /etc/passwd, then data written to "pw"
  hardlink-rel  a hardlink "pw" -> ../../../../../../etc/passwd
  huge-header   a pax header of 64 MiB
  truncated     a tar cut in the middle of a member
  not-a-tar     text

It prints the image's config digest (the image ID) for image archives.
"""
import gzip
import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile


def sha(b):
    return hashlib.sha256(b).hexdigest()


def add(tf, name, data, mode=0o644, mtime=0):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = mtime
    tf.addfile(ti, io.BytesIO(data))


def layer_tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        d = tarfile.TarInfo("etc")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        tf.addfile(d)
        for name, data in files:
            add(tf, name, data)
    return buf.getvalue()


def config(diff_ids, labels=None):
    return json.dumps({
        "architecture": "amd64",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"],
                   "Labels": labels},
        "created": "2024-01-02T03:04:05.123456789Z",
        "history": [{"created": "2024-01-02T03:04:05.123456789Z",
                     "created_by": "fixture", "comment": "from a fixture"}],
        "os": "linux",
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + d for d in diff_ids]},
    }, separators=(",", ":")).encode()


def docker_save(out, tag, compress=None, layer=None):
    raw = layer if layer is not None else layer_tar(
        [("etc/fixture", b"made by images_fixtures.py\n")])
    cfg = config([sha(raw)], {"fixture": "yes"})
    stored = raw
    if compress == "xz":
        stored = lzma.compress(raw)
    lid = sha(b"layer " + raw)
    with tarfile.open(out, "w") as tf:
        add(tf, lid + "/VERSION", b"1.0")
        add(tf, lid + "/json", json.dumps({"id": lid}).encode())
        add(tf, lid + "/layer.tar", stored)
        add(tf, sha(cfg) + ".json", cfg)
        repo, _, t = tag.rpartition(":")
        add(tf, "repositories", json.dumps({repo: {t: lid}}).encode())
        add(tf, "manifest.json", json.dumps([{
            "Config": sha(cfg) + ".json", "RepoTags": [tag],
            "Layers": [lid + "/layer.tar"]}]).encode())
    print("sha256:" + sha(cfg))


def oci(out, name, codec):
    raw = layer_tar([("etc/oci", b"an OCI layer\n")])
    if codec == "zstd":
        blob = subprocess.run(["zstd", "-q", "-c"], input=raw,
                              stdout=subprocess.PIPE, check=True).stdout
        mt = "application/vnd.oci.image.layer.v1.tar+zstd"
    else:
        blob = gzip.compress(raw, mtime=0)
        mt = "application/vnd.oci.image.layer.v1.tar+gzip"
    cfg = config([sha(raw)])
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": mt, "digest": "sha256:" + sha(blob),
                    "size": len(blob)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + sha(manifest), "size": len(manifest),
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name":
                            name.rpartition(":")[2]}}],
    }).encode()
    with tarfile.open(out, "w") as tf:
        add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        for b in (blob, cfg, manifest):
            add(tf, "blobs/sha256/" + sha(b), b)
        add(tf, "index.json", index)
    print("sha256:" + sha(cfg))


def hostile(kind, out, target):
    if kind == "not-a-tar":
        with open(out, "wb") as f:
            f.write(b"this is not a tar archive, not even close\n" * 40)
        return
    buf = io.BytesIO()
    tf = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    if kind == "escape":
        add(tf, "../../../../../.." + target, b"escaped\n")
    elif kind == "absolute":
        add(tf, target, b"absolute\n")
    elif kind == "symlink":
        ti = tarfile.TarInfo("evil")
        ti.type = tarfile.SYMTYPE
        ti.linkname = os.path.dirname(target)
        tf.addfile(ti)
        add(tf, "evil/" + os.path.basename(target), b"through a link\n")
    elif kind == "symlink-rel":
        ti = tarfile.TarInfo("evil")
        ti.type = tarfile.SYMTYPE
        ti.linkname = "../../../../../../../.." + os.path.dirname(target)
        tf.addfile(ti)
        add(tf, "evil/" + os.path.basename(target), b"through a link\n")
    elif kind in ("hardlink", "hardlink-rel"):
        ti = tarfile.TarInfo("pw")
        ti.type = tarfile.LNKTYPE
        ti.linkname = "/etc/passwd" if kind == "hardlink" else \
            "../../../../../../../../etc/passwd"
        tf.addfile(ti)
        add(tf, "pw", b"root::0:0:owned:/:/bin/sh\n")
    elif kind == "huge-header":
        ti = tarfile.TarInfo("huge")
        ti.pax_headers = {"comment": "x" * (64 << 20)}
        tf.addfile(ti, io.BytesIO(b""))
    elif kind == "truncated":
        add(tf, "big", os.urandom(256 << 10))
    tf.close()
    data = buf.getvalue()
    if kind == "truncated":
        data = data[:100 << 10]
    with open(out, "wb") as f:
        f.write(data)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    if kind == "docker-save":
        docker_save(out, "fixture:1")
    elif kind == "docker-xz":
        docker_save(out, "fixture:xz", compress="xz")
    elif kind == "oci":
        oci(out, "docker.io/library/ocitest:1", "gzip")
    elif kind == "oci-zstd":
        oci(out, "docker.io/library/ocitest:zstd", "zstd")
    elif kind == "hostile-load":
        layer = io.BytesIO()
        hostile("escape", out + ".layer", arg)
        with open(out + ".layer", "rb") as f:
            layer = f.read()
        os.unlink(out + ".layer")
        docker_save(out, "hostile:1", layer=layer)
    else:
        hostile(kind, out, arg)


if __name__ == "__main__":
    main()
