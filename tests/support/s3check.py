"""Independent S3 checker for Ferry's end-to-end tests (boto3, not Ferry's code).

Usage: s3check.py ENDPOINT BUCKET COMMAND [ARGS]; credentials from AWS_* variables.
Commands print JSON: create-bucket, list, sha256 KEY, uploads, abort KEY UPLOAD_ID, head KEY, cors, lifecycle,
put-cors JSON, put-lifecycle JSON (the JSON is boto3's CORSRules / Rules list).
"""
import hashlib
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, bucket, command, *args = sys.argv[1:]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    if command == "create-bucket":
        s3.create_bucket(Bucket=bucket)
        out = {"created": bucket}
    elif command == "list":
        out = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            out += [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
    elif command == "sha256":
        h = hashlib.sha256()
        for chunk in s3.get_object(Bucket=bucket, Key=args[0])["Body"].iter_chunks(1 << 20):
            h.update(chunk)
        out = {"sha256": h.hexdigest()}
    elif command == "uploads":
        resp = s3.list_multipart_uploads(Bucket=bucket)
        out = [{"key": u["Key"], "upload_id": u["UploadId"]} for u in resp.get("Uploads", [])]
    elif command == "abort":
        s3.abort_multipart_upload(Bucket=bucket, Key=args[0], UploadId=args[1])
        out = {"aborted": args[1]}
    elif command == "head":
        resp = s3.head_object(Bucket=bucket, Key=args[0])
        out = {"size": resp["ContentLength"], "content_type": resp.get("ContentType"), "content_disposition": resp.get("ContentDisposition"), "metadata": resp.get("Metadata", {})}
    elif command == "cors":
        try:
            out = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchCORSConfiguration":
                raise
            out = []
    elif command == "lifecycle":
        try:
            out = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchLifecycleConfiguration":
                raise
            out = []
    elif command == "put-cors":
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": json.loads(args[0])})
        out = {"written": "cors"}
    elif command == "put-lifecycle":
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": json.loads(args[0])})
        out = {"written": "lifecycle"}
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
