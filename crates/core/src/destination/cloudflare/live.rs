//! Stream live inputs over the API: `POST|GET /stream/live_inputs`, `GET|DELETE
//! /stream/live_inputs/{uid}`, and the recordings a live input made
//! (`GET /stream/live_inputs/{uid}/videos`). The ingest secrets go straight into [`Secret`]s.

use super::api::Product;
use super::stream::StreamDestination;
use crate::Result;
use crate::credentials::Secret;
use crate::live::{LiveIngest, LiveLesson, NewLiveLesson, Recording};
use serde_json::{Value, json};

impl StreamDestination {
    pub(super) async fn create_live(
        &self,
        new: &NewLiveLesson,
    ) -> Result<(LiveLesson, LiveIngest)> {
        let mut meta = json!({ "name": new.name });
        if let Some(course) = &new.course {
            meta["course"] = json!(course);
        }
        let mut body = json!({
            "meta": meta,
            "recording": { "mode": if new.recording { "automatic" } else { "off" } },
        });
        if let Some(days) = new.delete_after_days {
            body["deleteRecordingAfterDays"] = json!(days);
        }
        let req = self
            .api()
            .http
            .post(self.api().account_url("stream/live_inputs"))
            .json(&body);
        let v = self
            .api()
            .call(req, Product::Stream, "creating the live lesson")
            .await?;
        Ok((lesson_of(&v), ingest_of(&v)))
    }

    pub(super) async fn list_live(&self) -> Result<Vec<LiveLesson>> {
        let req = self
            .api()
            .http
            .get(self.api().account_url("stream/live_inputs"));
        let v = self
            .api()
            .call(req, Product::Stream, "listing the live lessons")
            .await?;
        Ok(v["liveInputs"]
            .as_array()
            .map(|all| all.iter().map(lesson_of).collect())
            .unwrap_or_default())
    }

    pub(super) async fn get_live(&self, uid: &str) -> Result<(LiveLesson, LiveIngest)> {
        let req = self
            .api()
            .http
            .get(self.api().account_url(&format!("stream/live_inputs/{uid}")));
        let v = self
            .api()
            .call(req, Product::Stream, "reading the live lesson")
            .await?;
        Ok((lesson_of(&v), ingest_of(&v)))
    }

    /// Give a live input a new name. Its `meta` goes back whole with the new name, and its
    /// recording settings go back as they are, so a rename changes nothing else whether Stream
    /// treats the update as a patch or a replacement.
    pub(super) async fn rename_live(&self, uid: &str, name: &str) -> Result<LiveLesson> {
        let url = self.api().account_url(&format!("stream/live_inputs/{uid}"));
        let req = self.api().http.get(url.clone());
        let v = self
            .api()
            .call(req, Product::Stream, "reading the live lesson")
            .await?;
        let mut meta = v["meta"].as_object().cloned().unwrap_or_default();
        meta.insert("name".into(), json!(name));
        let mut body = json!({ "meta": meta, "recording": v["recording"] });
        for kept in ["deleteRecordingAfterDays", "defaultCreator"] {
            if !v[kept].is_null() {
                body[kept] = v[kept].clone();
            }
        }
        let req = self.api().http.put(url).json(&body);
        let v = self
            .api()
            .call(req, Product::Stream, "renaming the live lesson")
            .await?;
        Ok(lesson_of(&v))
    }

    pub(super) async fn delete_live(&self, uid: &str) -> Result<()> {
        self.api()
            .delete(
                self.api().account_url(&format!("stream/live_inputs/{uid}")),
                Product::Stream,
                "deleting the live lesson",
            )
            .await
    }

    /// The recordings a live input made.
    pub(super) async fn live_recordings(&self, uid: &str) -> Result<Vec<Recording>> {
        let req = self.api().http.get(
            self.api()
                .account_url(&format!("stream/live_inputs/{uid}/videos")),
        );
        let v = self
            .api()
            .call(req, Product::Stream, "listing the lesson's recordings")
            .await?;
        Ok(v.as_array()
            .map(|all| all.iter().filter_map(recording_of).collect())
            .unwrap_or_default())
    }
}

fn recording_of(v: &Value) -> Option<Recording> {
    Some(Recording {
        uid: v["uid"].as_str()?.to_string(),
        name: v["meta"]["name"].as_str().map(str::to_string),
        ready: v["readyToStream"].as_bool().unwrap_or(false),
        signed: v["requireSignedURLs"].as_bool().unwrap_or(false),
        size: v["size"].as_f64().unwrap_or(0.0) as u64,
        created: v["created"].as_str().unwrap_or_default().to_string(),
    })
}

fn lesson_of(v: &Value) -> LiveLesson {
    let text = |x: &Value| x.as_str().map(str::to_string);
    LiveLesson {
        uid: text(&v["uid"]).unwrap_or_default(),
        name: text(&v["meta"]["name"]).unwrap_or_else(|| "Live lesson".into()),
        course: text(&v["meta"]["course"]),
        // The list leaves `recording` out: read as on when not said.
        recording: v["recording"]["mode"].as_str().is_none_or(|m| m != "off"),
        delete_after_days: v["deleteRecordingAfterDays"].as_f64().map(|d| d as u32),
        status: text(&v["status"]),
        created: text(&v["created"]).unwrap_or_default(),
    }
}

fn ingest_of(v: &Value) -> LiveIngest {
    let text = |x: &Value| x.as_str().unwrap_or_default().to_string();
    LiveIngest {
        rtmps_url: text(&v["rtmps"]["url"]),
        stream_key: Secret::new(text(&v["rtmps"]["streamKey"])),
        srt_url: text(&v["srt"]["url"]),
        srt_stream_id: text(&v["srt"]["streamId"]),
        srt_passphrase: Secret::new(text(&v["srt"]["passphrase"])),
        webrtc_url: Secret::new(text(&v["webRTC"]["url"])),
    }
}
