//! The independent client: boto3 through `s3check.py`. Nothing of Ferry's code is used to
//! judge Ferry's uploads.

use crate::servers::{ACCESS_KEY, SECRET_KEY};
use serde_json::Value;
use std::process::Command;

pub struct Checker {
    endpoint: String,
    bucket: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
}

impl Checker {
    pub fn new(endpoint: &str, bucket: &str) -> Self {
        Checker {
            endpoint: endpoint.into(),
            bucket: bucket.into(),
        }
    }

    fn call(&self, args: &[&str]) -> Value {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/support/s3check.py");
        let out = Command::new("python3")
            .arg(script)
            .args([&self.endpoint, &self.bucket])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .expect("python3 with boto3");
        assert!(
            out.status.success(),
            "s3check {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("s3check prints JSON")
    }

    /// Create the bucket; `false` when the server could not be asked.
    pub fn try_create_bucket(&self) -> bool {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/support/s3check.py");
        Command::new("python3")
            .arg(script)
            .args([&self.endpoint, &self.bucket, "create-bucket"])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    pub fn create_bucket(&self) {
        self.call(&["create-bucket"]);
    }

    pub fn list(&self) -> Vec<Listed> {
        self.call(&["list"])
            .as_array()
            .expect("list")
            .iter()
            .map(|o| Listed {
                key: o["key"].as_str().unwrap().into(),
                size: o["size"].as_u64().unwrap(),
            })
            .collect()
    }

    pub fn sha256(&self, key: &str) -> String {
        self.call(&["sha256", key])["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn head(&self, key: &str) -> Value {
        self.call(&["head", key])
    }

    /// Multipart uploads started and never completed or aborted.
    pub fn pending_uploads(&self) -> Vec<(String, String)> {
        self.call(&["uploads"])
            .as_array()
            .expect("uploads")
            .iter()
            .map(|u| {
                (
                    u["key"].as_str().unwrap().into(),
                    u["upload_id"].as_str().unwrap().into(),
                )
            })
            .collect()
    }

    /// Abort a multipart upload, as a store's lifecycle rule does to an unfinished one.
    pub fn abort(&self, key: &str, upload_id: &str) {
        self.call(&["abort", key, upload_id]);
    }

    /// The bucket's CORS rules, as boto3 reads them.
    pub fn cors(&self) -> Value {
        self.call(&["cors"])
    }

    /// The bucket's lifecycle rules, as boto3 reads them.
    pub fn lifecycle(&self) -> Value {
        self.call(&["lifecycle"])
    }

    pub fn put_cors(&self, rules: &Value) {
        self.call(&["put-cors", &rules.to_string()]);
    }

    pub fn put_lifecycle(&self, rules: &Value) {
        self.call(&["put-lifecycle", &rules.to_string()]);
    }
}
