"""Cloudflare's official Python SDK (PyPI `cloudflare`) against ferry-cloudsim: every endpoint the
emulator serves, called the way Cloudflare's own client calls it, must answer in a shape the SDK
parses (its types are generated from Cloudflare's OpenAPI). Also tuspy, a third-party tus client,
for the bytes of a Stream upload on the emulator's upload origin.

Usage: python sdk_check.py API_BASE ACCOUNT TOKEN IMAGES_ONLY_TOKEN IMAGE VIDEO
Prints one line per endpoint; exits non-zero at the first disagreement.
"""

import sys
import time
import warnings

import cloudflare
from cloudflare import Cloudflare
from tusclient import client as tus


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
    if not ok:
        sys.exit(1)


def refused(call, error_type):
    try:
        call()
    except error_type as e:
        return e
    except cloudflare.APIStatusError as e:
        print(f"FAIL expected {error_type.__name__}, got {type(e).__name__} {e.status_code}: {e.body}")
        sys.exit(1)
    print(f"FAIL expected {error_type.__name__}, the call succeeded")
    sys.exit(1)


def codes(error):
    body = error.body if isinstance(error.body, dict) else {}
    out = []
    for e in body.get("errors", []):
        out.append(e.get("code"))
        out.extend(c.get("code") for c in e.get("error_chain", []))
    return out


def main():
    # The v1 list is marked deprecated in the SDK (v2 replaces it); Ferry's emulator still serves it.
    warnings.simplefilter("ignore", DeprecationWarning)
    api, account, token, images_only, image, video = sys.argv[1:7]
    cf = Cloudflare(api_token=token, base_url=api, max_retries=0)

    # Tokens.
    v = cf.user.tokens.verify()
    check("user.tokens.verify", v.status == "active", v)
    v = cf.accounts.tokens.verify(account_id=account)
    check("accounts.tokens.verify", v.status == "active", v)
    e = refused(lambda: Cloudflare(api_token="wrong", base_url=api, max_retries=0).images.v1.list(account_id=account).result, cloudflare.AuthenticationError)
    check("a wrong token is 401 with 10000", codes(e) == [10000], codes(e))
    e = refused(lambda: Cloudflare(api_token=images_only, base_url=api, max_retries=0).stream.list(account_id=account), cloudflare.PermissionDeniedError)
    check("a token without Stream is 403 with 10000", codes(e) == [10000], codes(e))
    e = refused(lambda: cf.images.v1.list(account_id=account, extra_headers={"Authorization": "Token x"}).result, cloudflare.BadRequestError)
    check("a malformed header is 6003 with 6111 in its chain", codes(e) == [6003, 6111], codes(e))

    # Images v1: upload with a custom path, get, edit, blob, list, keys.
    with open(image, "rb") as f:
        img = cf.images.v1.create(account_id=account, file=("cover.png", f, "image/png"), id="course/week 1/cover.png", metadata={"ferry_hash": "abc"})
    check("images.v1.create (custom path)", img.id == "course/week 1/cover.png" and img.variants, img)
    got = cf.images.v1.get(img.id, account_id=account)
    check("images.v1.get (custom path)", got.id == img.id, got)
    edited = cf.images.v1.edit(img.id, account_id=account, creator="teacher-7", metadata={"ferry_hash": "abc", "course": "bio"})
    check("images.v1.edit with creator", edited.creator == "teacher-7" and edited.meta["course"] == "bio", edited)
    blob = cf.images.v1.blobs.get(img.id, account_id=account)
    with open(image, "rb") as f:
        check("images.v1.blobs.get returns the bytes", blob.read() == f.read())
    page = cf.images.v1.list(account_id=account, per_page=10)
    listed = [i["id"] if isinstance(i, dict) else i.id for i in page.result.images]
    check("images.v1.list", img.id in listed, listed)
    e = refused(lambda: cf.images.v1.list(account_id=account, per_page=5).result, cloudflare.BadRequestError)
    check("images.v1.list refuses per_page under 10", 400 == e.status_code)
    keys = cf.images.v1.keys.list(account_id=account)
    check("images.v1.keys.list", bool(keys.keys) and keys.keys[0].value, keys)

    # Images v2: list with continuation, direct upload.
    for n in range(11):
        with open(image, "rb") as f:
            cf.images.v1.create(account_id=account, file=(f"p{n}.png", f, "image/png"), metadata={"n": n})
    first = cf.images.v2.list(account_id=account, per_page=10)
    check("images.v2.list gives a continuation token past a page", len(first.images) == 10 and first.continuation_token, first.continuation_token)
    second = cf.images.v2.list(account_id=account, per_page=10, continuation_token=first.continuation_token)
    seen = {i.id for i in first.images} | {i.id for i in second.images}
    check("images.v2.list pages cover every image", len(seen) == 12 and second.continuation_token in (None, ""), len(seen))
    du = cf.images.v2.direct_uploads.create(account_id=account, metadata={"k": "v"})
    check("images.v2.direct_uploads.create", du.id and du.upload_url, du)

    cf.images.v1.delete(img.id, account_id=account)
    e = refused(lambda: cf.images.v1.get(img.id, account_id=account), cloudflare.NotFoundError)
    check("images.v1.delete (custom path)", e.status_code == 404)

    # Stream: tus creation (the SDK's create), the bytes by tuspy on the upload origin.
    size = __import__("os").path.getsize(video)
    raw = cf.stream.with_raw_response.create(account_id=account, tus_resumable="1.0.0", upload_length=size, upload_metadata="name Y2xpcC5tcDQ=", upload_creator="teacher-7")
    location, uid = raw.headers.get("location"), raw.headers.get("stream-media-id")
    check("stream.create (tus) answers 201 with Location and stream-media-id", raw.status_code == 201 and location and uid, dict(raw.headers))
    check("the tus creation reply says when the upload expires", bool(raw.headers.get("upload-expires")))
    check("the upload URL is on another origin than the API", not location.startswith(api.split("/client/v4")[0]), location)
    uploader = tus.TusClient(api + "/accounts/" + account + "/stream", headers={"Authorization": "Bearer " + token}).uploader(video, url=location, chunk_size=5 * 1024 * 1024)
    uploader.upload()
    check("tuspy sends every byte to the upload URL", uploader.offset == size, uploader.offset)

    time.sleep(0.3)
    got = cf.stream.get(uid, account_id=account)
    check("stream.get: ready, with readyToStreamAt", got.ready_to_stream and got.ready_to_stream_at is not None and got.creator == "teacher-7", got)
    listed = cf.stream.list(account_id=account, limit=1, asc=True)
    check("stream.list honours limit", len(list(listed)) == 1)
    check("stream.list honours after", len(list(cf.stream.list(account_id=account, after="2999-01-01T00:00:00Z"))) == 0)
    tok = cf.stream.token.create(uid, account_id=account, exp=int(time.time()) + 3600)
    check("stream.token.create", bool(tok.token), tok)
    # Editing a video after upload.
    ed = cf.stream.edit(uid, account_id=account, require_signed_urls=True, allowed_origins=["lms.example.edu"], thumbnail_timestamp_pct=0.5, meta={"name": "renamed"})
    check("stream.edit", ed.require_signed_urls is True and ed.allowed_origins == ["lms.example.edu"] and ed.thumbnail_timestamp_pct == 0.5 and ed.meta == {"name": "renamed"}, ed)
    e = refused(lambda: cf.stream.edit(uid, account_id=account, thumbnail_timestamp_pct=2), cloudflare.BadRequestError)
    check("a thumbnail moment past 1 is refused", e.status_code == 400)
    e = refused(lambda: cf.stream.edit(uid, account_id=account, scheduled_deletion="2000-01-01T00:00:00Z"), cloudflare.BadRequestError)
    check("a deletion short of 30 days is refused on edit", e.status_code == 400)
    cf.stream.edit(uid, account_id=account, require_signed_urls=False)

    # MP4 downloads: made, read, removed.
    dl = cf.stream.downloads.create(uid, account_id=account)
    check("stream.downloads.create", dl.default is not None and dl.default.status in ("inprogress", "ready") and dl.default.url.endswith("/downloads/default.mp4"), dl)
    time.sleep(0.3)
    got_dl = cf.stream.downloads.get(uid, account_id=account)
    check("stream.downloads.get: ready", got_dl is not None and got_dl.default.status == "ready", got_dl)
    cf.stream.downloads.delete(uid, account_id=account)
    check("stream.downloads.delete", cf.stream.downloads.get(uid, account_id=account).default is None)

    # Captions: upload WebVTT, generate, list, read back, delete.
    cap = cf.stream.captions.language.update("fr", account_id=account, identifier=uid, file="WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nBonjour\n")
    check("stream.captions.language.update (WebVTT)", cap.language == "fr" and cap.label == "Français" and cap.status == "ready" and cap.generated is False, cap)
    e = refused(lambda: cf.stream.captions.language.update("de", account_id=account, identifier=uid, file="not webvtt"), cloudflare.BadRequestError)
    check("a caption that is not WebVTT is refused", e.status_code == 400)
    gen = cf.stream.captions.language.create("en", account_id=account, identifier=uid)
    check("stream.captions.language.create (generate)", gen.generated is True and gen.status == "inprogress", gen)
    e = refused(lambda: cf.stream.captions.language.create("la", account_id=account, identifier=uid), cloudflare.BadRequestError)
    check("generation in a language Stream does not know is refused", e.status_code == 400)
    time.sleep(0.3)
    listed_caps = sorted((c.language, c.status) for c in cf.stream.captions.get(uid, account_id=account))
    check("stream.captions.get lists both, ready", listed_caps == [("en", "ready"), ("fr", "ready")], listed_caps)
    one = cf.stream.captions.language.get("fr", account_id=account, identifier=uid)
    check("stream.captions.language.get", one.language == "fr", one)
    vtt = cf.stream.captions.language.vtt.get("fr", account_id=account, identifier=uid)
    check("stream.captions.language.vtt.get returns the WebVTT", isinstance(vtt, str) and vtt.startswith("WEBVTT") and "Bonjour" in vtt, vtt)
    cf.stream.captions.language.delete("en", account_id=account, identifier=uid)
    check("stream.captions.language.delete", [c.language for c in cf.stream.captions.get(uid, account_id=account)] == ["fr"])

    # Live inputs: create, get (with the ingest details), list (without them), update, delete.
    live = cf.stream.live_inputs.create(account_id=account, meta={"name": "Week 3"}, recording={"mode": "automatic"}, delete_recording_after_days=45)
    check("stream.live_inputs.create", live.uid and live.rtmps.url.startswith("rtmps://") and live.rtmps.stream_key and live.srt.passphrase and live.recording.mode == "automatic", live)
    got_live = cf.stream.live_inputs.get(live.uid, account_id=account)
    check("stream.live_inputs.get", got_live.rtmps.stream_key == live.rtmps.stream_key and got_live.status is None, got_live)
    listed_live = cf.stream.live_inputs.list(account_id=account)
    check("stream.live_inputs.list", [i.uid for i in listed_live.live_inputs] == [live.uid] and listed_live.total == 1, listed_live)
    e = refused(lambda: cf.stream.live_inputs.create(account_id=account, delete_recording_after_days=7), cloudflare.BadRequestError)
    check("a recording deletion under 30 days is refused", e.status_code == 400)
    upd = cf.stream.live_inputs.update(live.uid, account_id=account, recording={"mode": "off"})
    check("stream.live_inputs.update", upd.recording.mode == "off", upd)
    cf.stream.live_inputs.delete(live.uid, account_id=account)
    e = refused(lambda: cf.stream.live_inputs.get(live.uid, account_id=account), cloudflare.NotFoundError)
    check("stream.live_inputs.delete", e.status_code == 404)

    # Direct creator uploads (basic): a one-time URL, the duration limit required.
    du = cf.stream.direct_upload.create(account_id=account, max_duration_seconds=600, creator="ferry-r-check", require_signed_urls=True)
    check("stream.direct_upload.create", du.uid and du.upload_url, du)
    pending = cf.stream.get(du.uid, account_id=account)
    check("a direct upload waits for its file", pending.status.state == "pendingupload" and pending.max_duration_seconds == 600 and pending.creator == "ferry-r-check", pending)
    e = refused(lambda: cf.stream.direct_upload.create(account_id=account, max_duration_seconds=0), cloudflare.BadRequestError)
    check("a direct upload's duration under 1 second is refused", e.status_code == 400)
    cf.stream.delete(du.uid, account_id=account)

    cf.stream.delete(uid, account_id=account)
    e = refused(lambda: cf.stream.get(uid, account_id=account), cloudflare.NotFoundError)
    check("stream.delete", e.status_code == 404)

    # The router: a path the API does not have.
    e = refused(lambda: cf.get(f"/accounts/{account}/images/v3/nothing", cast_to=object), cloudflare.BadRequestError)
    check("an unknown path is the router's 7003 and 7000", codes(e) == [7003, 7000], codes(e))
    print("all SDK checks passed")


if __name__ == "__main__":
    main()
