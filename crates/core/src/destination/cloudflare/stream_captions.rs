//! Stream's caption calls: list, upload (a multipart form with the WebVTT in its `file`
//! field), generate, delete, each under `/accounts/{id}/stream/{uid}/captions` (cloudflare-python
//! `resources/stream/captions`; developers.cloudflare.com/stream/edit-videos/adding-captions/).

use super::api::Product;
use super::stream::StreamDestination;
use crate::Result;
use crate::captions::{Caption, CaptionStatus};
use serde_json::Value;

impl StreamDestination {
    fn captions_url(&self, uid: &str, rest: &str) -> url::Url {
        self.api()
            .account_url(&format!("stream/{uid}/captions{rest}"))
    }

    pub(super) async fn list_captions(&self, uid: &str) -> Result<Vec<Caption>> {
        let req = self.api().http.get(self.captions_url(uid, ""));
        let result = self
            .api()
            .call(req, Product::Stream, "listing the video's captions")
            .await?;
        Ok(result
            .as_array()
            .map(|all| all.iter().filter_map(caption_of).collect())
            .unwrap_or_default())
    }

    pub(super) async fn upload_caption(
        &self,
        uid: &str,
        language: &str,
        webvtt: String,
    ) -> Result<Caption> {
        let part = reqwest::multipart::Part::text(webvtt)
            .file_name(format!("{language}.vtt"))
            .mime_str("text/vtt")
            .expect("text/vtt is a valid media type");
        let form = reqwest::multipart::Form::new().part("file", part);
        let req = self
            .api()
            .http
            .put(self.captions_url(uid, &format!("/{language}")))
            .multipart(form);
        let result = self
            .api()
            .call(req, Product::Stream, "uploading the captions")
            .await?;
        answered(&result, language)
    }

    pub(super) async fn ask_captions(&self, uid: &str, language: &str) -> Result<Caption> {
        let req = self
            .api()
            .http
            .post(self.captions_url(uid, &format!("/{language}/generate")));
        let result = self
            .api()
            .call(req, Product::Stream, "asking for generated captions")
            .await?;
        answered(&result, language)
    }

    pub(super) async fn remove_caption(&self, uid: &str, language: &str) -> Result<()> {
        let req = self
            .api()
            .http
            .delete(self.captions_url(uid, &format!("/{language}")));
        self.api()
            .call(req, Product::Stream, "deleting the captions")
            .await
            .map(|_| ())
    }
}

fn caption_of(v: &Value) -> Option<Caption> {
    let language = v["language"].as_str()?.to_string();
    Some(Caption {
        label: v["label"].as_str().unwrap_or(&language).to_string(),
        generated: v["generated"].as_bool().unwrap_or(false),
        status: CaptionStatus::parse(v["status"].as_str().unwrap_or("ready")),
        language,
    })
}

/// The caption a call answered with; a reply without one still stands for the language asked.
fn answered(result: &Value, language: &str) -> Result<Caption> {
    Ok(caption_of(result).unwrap_or(Caption {
        language: language.to_string(),
        label: language.to_string(),
        generated: false,
        status: CaptionStatus::InProgress,
    }))
}
