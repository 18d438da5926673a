#!/usr/bin/env python3
"""Fill the model cache volume with one snapshot of a Hugging Face Hub model repository.

Standard library only, so it runs on a stock python:3-slim image without pip or network access beyond the Hub.

Layout written under MODEL_CACHE_DIR (the generators mount it read-only):
  snapshots/<org>--<name>/<commit sha>/...   the repository files, as in the repository
  snapshots/<org>--<name>/<commit sha>/.complete   written last: the snapshot is whole
  current -> snapshots/<org>--<name>/<commit sha>  swapped atomically once the snapshot is complete

Running generators keep the model they loaded; pods started after the swap load the new snapshot.
A rerun for a snapshot that is already complete only moves the `current` link and exits.

Environment: MODEL_REPO (org/name), MODEL_REVISION (branch, tag or commit; default main), MODEL_INCLUDE and
MODEL_EXCLUDE (comma-separated fnmatch globs over repository paths; variant graphs such as unet/model_fp16.onnx and
their external data are always skipped, only each component's model.onnx is kept), MODEL_CACHE_DIR (default /models),
HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (optional, for gated or private repositories).
"""
import fnmatch
import hashlib
import json
import os
import sys
import urllib.parse
import urllib.request

CHUNK = 1 << 20


def log(message):
    print(message, flush=True)


def globs(name, default):
    return [g.strip() for g in os.environ.get(name, default).split(",") if g.strip()]


def request(url, token):
    req = urllib.request.Request(url, headers={"User-Agent": "text-to-image-model-download/1"})
    if token:
        # Unredirected: the token goes to the Hub only, never to the CDN it redirects file downloads to.
        req.add_unredirected_header("Authorization", "Bearer " + token)
    return urllib.request.urlopen(req, timeout=60)


def repository_info(endpoint, repo, revision, token):
    url = "%s/api/models/%s/revision/%s?blobs=true" % (
        endpoint, repo, urllib.parse.quote(revision, safe=""))
    with request(url, token) as response:
        return json.load(response)


def other_graphs(paths):
    """ONNX graphs of a component folder other than its model.onnx: fp16/quantised variants of the weights."""
    return {p for p in paths if p.endswith(".onnx") and "/" in p and not p.endswith("/model.onnx")}


def wanted(path, include, exclude, variants):
    if any(path == v or path.startswith(v) for v in variants):  # the variant graph and its external data
        return False
    return any(fnmatch.fnmatch(path, g) for g in include) and not any(fnmatch.fnmatch(path, g) for g in exclude)


def expected_size_and_sha256(sibling):
    lfs = sibling.get("lfs") or {}
    return lfs.get("size", sibling.get("size")), lfs.get("sha256")


def download(endpoint, repo, sha, sibling, target_dir, token):
    path = sibling["rfilename"]
    size, sha256 = expected_size_and_sha256(sibling)
    target = os.path.join(target_dir, path)
    if size is not None and os.path.isfile(target) and os.path.getsize(target) == size:
        log("  have %s" % path)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = target + ".part"
    url = "%s/%s/resolve/%s/%s" % (endpoint, repo, sha, urllib.parse.quote(path))
    digest = hashlib.sha256()
    written = 0
    with request(url, token) as response, open(partial, "wb") as out:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    if size is not None and written != size:
        raise RuntimeError("%s: got %d bytes, the Hub announced %d" % (path, written, size))
    if sha256 is not None and digest.hexdigest() != sha256:
        raise RuntimeError("%s: sha256 %s differs from the Hub's %s" % (path, digest.hexdigest(), sha256))
    os.replace(partial, target)
    log("  got  %s (%d bytes)" % (path, written))


def point_current_at(cache_dir, relative_snapshot):
    link = os.path.join(cache_dir, "current")
    staging = link + ".new"
    if os.path.lexists(staging):
        os.remove(staging)
    os.symlink(relative_snapshot, staging)
    os.replace(staging, link)  # rename(2) is atomic: a starting generator sees the old or the new snapshot


def main():
    repo = os.environ["MODEL_REPO"]
    revision = os.environ.get("MODEL_REVISION", "main")
    cache_dir = os.environ.get("MODEL_CACHE_DIR", "/models")
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    token = os.environ.get("HF_TOKEN") or None
    include = globs("MODEL_INCLUDE", "*")
    exclude = globs("MODEL_EXCLUDE", "")

    info = repository_info(endpoint, repo, revision, token)
    sha = info["sha"]
    relative_snapshot = os.path.join("snapshots", repo.replace("/", "--"), sha)
    snapshot = os.path.join(cache_dir, relative_snapshot)
    marker = os.path.join(snapshot, ".complete")
    log("model %s@%s is commit %s" % (repo, revision, sha))

    if os.path.isfile(marker):
        log("snapshot already complete in %s" % snapshot)
    else:
        variants = other_graphs([s["rfilename"] for s in info.get("siblings", [])])
        files = [s for s in info.get("siblings", []) if wanted(s["rfilename"], include, exclude, variants)]
        names = [s["rfilename"] for s in files]
        if "model_index.json" not in names:
            raise RuntimeError("no model_index.json among the selected files %s: not a diffusers pipeline, "
                               "or MODEL_INCLUDE/MODEL_EXCLUDE leave it out" % names)
        total = sum(expected_size_and_sha256(s)[0] or 0 for s in files)
        log("downloading %d files, %.1f MB, into %s" % (len(files), total / 1e6, snapshot))
        for sibling in files:
            download(endpoint, repo, sha, sibling, snapshot, token)
        with open(marker, "w") as out:
            json.dump({"repo": repo, "revision": revision, "sha": sha, "files": names}, out)
    point_current_at(cache_dir, relative_snapshot)
    log("%s/current -> %s" % (cache_dir, relative_snapshot))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # one clear line in the Job's log, and a non-zero exit for its retry
        print("model download failed: %s" % error, file=sys.stderr, flush=True)
        sys.exit(1)
