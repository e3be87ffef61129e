#!/usr/bin/env python3
"""Pushes the image in an OCI image layout archive (hack/release.sh's *_image.oci.tar) to a
registry over the OCI distribution API, without a Docker engine: each blob that the registry
lacks (HEAD) is uploaded (POST, then PUT with its digest), then the manifest is PUT under the tag.
Prints the manifest's digest, which is what a node that pulls REFERENCE reports as the image ID.

    push_image.py ARCHIVE HOST[:PORT]/REPOSITORY:TAG [--plain-http]

--plain-http talks HTTP (a registry on loopback); otherwise HTTPS. Credentials, when the registry
asks for them (401 with a Basic or Bearer challenge), come from REGISTRY_USER and REGISTRY_PASSWORD.
"""
import argparse
import base64
import json
import os
import re
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")


def fail(message, code=1):
    """Exit 1: the push failed; 2: the command line is wrong."""
    print("push_image.py: " + message, file=sys.stderr)
    sys.exit(code)


def parse_reference(reference):
    """(host, repository, tag) of HOST[:PORT]/REPOSITORY:TAG."""
    host, _, rest = reference.partition("/")
    repository, colon, tag = rest.rpartition(":")
    if not rest or not colon or "/" in tag or not repository or ("." not in host and ":" not in host and host != "localhost"):
        fail("reference %r: want HOST[:PORT]/REPOSITORY:TAG" % reference, code=2)
    return host, repository, tag


class Registry:
    def __init__(self, base, repository):
        self.base = base
        self.repository = repository
        self.auth = None  # the Authorization header once a challenge was answered

    def request(self, method, url, data=None, headers=None, retried=False):
        req = urllib.request.Request(url if "://" in url else self.base + url, data=data, method=method,
                                     headers=dict(headers or {}))
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            return urllib.request.urlopen(req, timeout=120)
        except urllib.error.HTTPError as e:
            if e.code == 401 and not retried:
                self.answer_challenge(e.headers.get("WWW-Authenticate", ""))
                return self.request(method, url, data, headers, retried=True)
            if e.code == 404 and method == "HEAD":
                return None
            fail("%s %s: HTTP %d %s" % (method, req.full_url, e.code, e.read()[:500].decode(errors="replace")))
        except urllib.error.URLError as e:
            fail("%s %s: %s" % (method, req.full_url, e.reason))

    def answer_challenge(self, challenge):
        user, password = os.environ.get("REGISTRY_USER"), os.environ.get("REGISTRY_PASSWORD")
        if not user or not password:
            fail("the registry asks for credentials (%s): set REGISTRY_USER and REGISTRY_PASSWORD" % challenge)
        basic = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            self.auth = basic
            return
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if scheme.lower() != "bearer" or "realm" not in fields:
            fail("unsupported authentication challenge: %r" % challenge)
        query = {"scope": "repository:%s:pull,push" % self.repository}
        if "service" in fields:
            query["service"] = fields["service"]
        req = urllib.request.Request(fields["realm"] + "?" + urllib.parse.urlencode(query), headers={"Authorization": basic})
        try:
            token = json.load(urllib.request.urlopen(req, timeout=60))
        except (urllib.error.URLError, ValueError) as e:
            fail("token request to %s failed: %s" % (fields["realm"], e))
        self.auth = "Bearer " + (token.get("token") or token.get("access_token") or "")

    def push_blob(self, digest, data):
        path = "/v2/%s/blobs/%s" % (self.repository, digest)
        if self.request("HEAD", path) is not None:
            return False
        started = self.request("POST", "/v2/%s/blobs/uploads/" % self.repository, data=b"")
        location = started.headers["Location"]
        location = urllib.parse.urljoin(self.base + "/", location)
        location += ("&" if "?" in location else "?") + urllib.parse.urlencode({"digest": digest})
        self.request("PUT", location, data=data, headers={"Content-Type": "application/octet-stream"})
        return True

    def push_manifest(self, tag, media_type, data):
        response = self.request("PUT", "/v2/%s/manifests/%s" % (self.repository, tag), data=data,
                                headers={"Content-Type": media_type})
        return response.headers.get("Docker-Content-Digest")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("archive")
    p.add_argument("reference")
    p.add_argument("--plain-http", action="store_true")
    a = p.parse_args()
    host, repository, tag = parse_reference(a.reference)
    registry = Registry(("http://" if a.plain_http else "https://") + host, repository)

    try:
        tar = tarfile.open(a.archive)
    except (OSError, tarfile.TarError) as e:
        fail("%s: %s" % (a.archive, e))
    with tar:
        def blob(digest):
            algorithm, _, hex_digest = digest.partition(":")
            return tar.extractfile("blobs/%s/%s" % (algorithm, hex_digest)).read()
        index = json.load(tar.extractfile("index.json"))
        manifests = [m for m in index.get("manifests", []) if m.get("mediaType") in MANIFEST_TYPES]
        if len(manifests) != 1:
            fail("%s: want one image manifest in index.json, found %d" % (a.archive, len(manifests)))
        descriptor = manifests[0]
        manifest_bytes = blob(descriptor["digest"])
        manifest = json.loads(manifest_bytes)
        uploaded = 0
        for layer in [manifest["config"]] + manifest["layers"]:
            uploaded += registry.push_blob(layer["digest"], blob(layer["digest"]))
        digest = registry.push_manifest(tag, descriptor["mediaType"], manifest_bytes)
    if digest and digest != descriptor["digest"]:
        fail("the registry stored the manifest as %s, not %s" % (digest, descriptor["digest"]))
    print("push_image.py: %s: %d of %d blobs uploaded" % (a.reference, uploaded, 1 + len(manifest["layers"])), file=sys.stderr)
    print(descriptor["digest"])


if __name__ == "__main__":
    main()
