//! Any tus 1.0 server (destination `tus`): its creation URL and the chunk size to send.

use super::{Field, Provider, TUS, Values, Words};
use crate::{Error, Result};
use url::Url;

pub const TUS_PROVIDER: Provider = Provider {
    id: "tus",
    label: "A tus server",
    label_fr: "Un serveur tus",
    destinations: &[TUS],
    account: false,
    fields: &[
        Field {
            key: "endpoint",
            label: "Creation URL",
            help: "Where the server creates uploads, such as https://uploads.example.edu/files/.",
            fr: Words {
                label: "URL de création",
                help: "Là où le serveur crée les envois, par exemple https://uploads.example.edu/files/.",
            },
            required: true,
            secret: false,
            env: &["FERRY_TUS_ENDPOINT"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "chunk_mib",
            label: "Chunk size (MiB)",
            help: "How much each PATCH sends (32 MiB when unset).",
            fr: Words {
                label: "Taille des morceaux (Mio)",
                help: "Ce que chaque PATCH envoie (32 Mio si vide).",
            },
            required: false,
            secret: false,
            env: &["FERRY_TUS_CHUNK_MIB"],
            announces: false,
            env_only: false,
        },
    ],
};

/// A tus server's settings.
#[derive(Debug, Clone)]
pub struct TusConfig {
    pub endpoint: Url,
    pub chunk_mib: Option<u64>,
}

pub fn config(v: &Values) -> Result<TusConfig> {
    let text = v.need("endpoint")?;
    let endpoint = Url::parse(text).map_err(|e| {
        Error::config(format!(
            "{} {text:?} is not a URL: {e}",
            v.name_of("endpoint")
        ))
    })?;
    Ok(TusConfig {
        endpoint,
        chunk_mib: v.get("chunk_mib").and_then(|m| m.parse().ok()),
    })
}
