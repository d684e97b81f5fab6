//! The object stores: Cloudflare R2, Amazon S3 (or any S3-compatible store) and Google Cloud
//! Storage through its XML API with HMAC keys. Their descriptions, and the one builder of an
//! [`S3Config`] from [`Values`], whichever source the values came from.

use super::{Field, GCS, Provider, R2, S3, Source, Values, Words};
use crate::Result;
use crate::destination::s3::{Flavor, S3Config};

pub const R2_PROVIDER: Provider = Provider {
    id: "r2",
    label: "Cloudflare R2",
    label_fr: "Cloudflare R2",
    destinations: &[R2],
    account: true,
    fields: &[
        Field {
            key: "account_id",
            label: "Account ID",
            help: "The 32-character id in the Cloudflare dashboard's R2 overview; it locates the bucket.",
            fr: Words {
                label: "ID du compte",
                help: "L’identifiant de 32 caractères de la page R2 du tableau de bord Cloudflare ; il situe le bucket.",
            },
            required: true,
            secret: false,
            // R2's own names first: a Cloudflare account id set for Images and Stream may be
            // another account's.
            env: &[
                "CLOUDFLARE_R2_ACCOUNT_ID",
                "R2_ACCOUNT_ID",
                "CLOUDFLARE_ACCOUNT_ID",
            ],
            announces: false,
            env_only: false,
        },
        Field {
            key: "bucket",
            label: "Bucket",
            help: "The bucket files go to.",
            fr: Words {
                label: "Bucket",
                help: "Le bucket où vont les fichiers.",
            },
            required: true,
            secret: false,
            env: &["CLOUDFLARE_R2_BUCKET_NAME", "R2_BUCKET_NAME"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "access_key_id",
            label: "Access key ID",
            help: "From an R2 API token (R2 > Manage API tokens).",
            fr: Words {
                label: "ID de clé d’accès",
                help: "Celui d’un jeton d’API R2 (R2 > Gérer les jetons d’API).",
            },
            required: true,
            secret: false,
            env: &["CLOUDFLARE_R2_ACCESS_KEY_ID", "R2_ACCESS_KEY_ID"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "secret_access_key",
            label: "Secret access key",
            help: "Shown once when the R2 API token is made; kept in the OS keychain.",
            fr: Words {
                label: "Clé d’accès secrète",
                help: "Affichée une seule fois à la création du jeton d’API R2 ; gardée dans le trousseau du système.",
            },
            required: true,
            secret: true,
            env: &["CLOUDFLARE_R2_SECRET_ACCESS_KEY", "R2_SECRET_ACCESS_KEY"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "public_base_url",
            label: "Public base URL",
            help: "The bucket's custom domain or r2.dev address, for links that never expire.",
            fr: Words {
                label: "URL publique de base",
                help: "Le domaine personnalisé du bucket ou son adresse r2.dev, pour des liens qui n’expirent jamais.",
            },
            required: false,
            secret: false,
            env: &[
                "CLOUDFLARE_R2_PUBLIC_BASE_URL",
                "CLOUDFLARE_R2_PUBLIC_URL",
                "R2_PUBLIC_URL",
            ],
            announces: false,
            env_only: false,
        },
        Field {
            key: "endpoint",
            label: "Endpoint",
            help: "Leave empty: Ferry uses your account's own R2 address. Fill in only if Cloudflare gave you another one.",
            fr: Words {
                label: "Point d’accès (endpoint)",
                help: "Laissez vide : Ferry utilise l’adresse R2 de votre compte. À remplir seulement si Cloudflare vous en a donné une autre.",
            },
            required: false,
            secret: false,
            env: &["CLOUDFLARE_R2_ENDPOINT", "R2_ENDPOINT_URL"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "jurisdiction",
            label: "Jurisdiction",
            help: "Leave empty unless the bucket was made in the EU or FedRAMP jurisdiction (its page in the Cloudflare dashboard says so); then eu or fedramp.",
            fr: Words {
                label: "Juridiction",
                help: "Laissez vide, sauf si le bucket a été créé dans la juridiction UE ou FedRAMP (sa page du tableau de bord Cloudflare l’indique) ; écrivez alors eu ou fedramp.",
            },
            required: false,
            secret: false,
            env: &["CLOUDFLARE_R2_JURISDICTION"],
            announces: false,
            env_only: false,
        },
    ],
};

pub const S3_PROVIDER: Provider = Provider {
    id: "s3",
    label: "Amazon S3 or S3-compatible",
    label_fr: "Amazon S3 ou compatible S3",
    destinations: &[S3],
    account: true,
    fields: &[
        Field {
            key: "bucket",
            label: "Bucket",
            help: "The bucket files go to.",
            fr: Words {
                label: "Bucket",
                help: "Le bucket où vont les fichiers.",
            },
            required: true,
            secret: false,
            env: &["S3_BUCKET_NAME"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "access_key_id",
            label: "Access key ID",
            help: "An IAM user's (or the store's) access key.",
            fr: Words {
                label: "ID de clé d’accès",
                help: "La clé d’accès d’un utilisateur IAM (ou du service de stockage).",
            },
            required: true,
            secret: false,
            env: &["AWS_ACCESS_KEY_ID"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "secret_access_key",
            label: "Secret access key",
            help: "Kept in the OS keychain.",
            fr: Words {
                label: "Clé d’accès secrète",
                help: "Gardée dans le trousseau du système.",
            },
            required: true,
            secret: true,
            env: &["AWS_SECRET_ACCESS_KEY"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "region",
            label: "Region",
            help: "The bucket's region, such as eu-west-3 (us-east-1 when unset).",
            fr: Words {
                label: "Région",
                help: "La région du bucket, par exemple eu-west-3 (us-east-1 si vide).",
            },
            required: false,
            secret: false,
            env: &["AWS_REGION", "AWS_DEFAULT_REGION"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "endpoint",
            label: "Endpoint",
            help: "For S3-compatible stores (MinIO, Wasabi, Backblaze B2…); empty for Amazon S3.",
            fr: Words {
                label: "Point d’accès (endpoint)",
                help: "Pour les stockages compatibles S3 (MinIO, Wasabi, Backblaze B2…) ; vide pour Amazon S3.",
            },
            required: false,
            secret: false,
            env: &["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT_URL"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "public_base_url",
            label: "Public base URL",
            help: "A CDN or website address in front of the bucket, for links that never expire.",
            fr: Words {
                label: "URL publique de base",
                help: "L’adresse d’un CDN ou d’un site devant le bucket, pour des liens qui n’expirent jamais.",
            },
            required: false,
            secret: false,
            env: &["S3_PUBLIC_BASE_URL", "S3_BUCKET_URL"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "session_token",
            label: "Session token",
            help: "Temporary credentials' session token (environment only).",
            fr: Words {
                label: "Jeton de session",
                help: "Le jeton de session d’identifiants temporaires (environnement uniquement).",
            },
            required: false,
            secret: true,
            env: &["AWS_SESSION_TOKEN"],
            announces: false,
            env_only: true,
        },
        Field {
            key: "force_path_style",
            label: "Path-style addresses",
            help: "true to address the bucket in the path (most S3-compatible stores).",
            fr: Words {
                label: "Adresses de style chemin",
                help: "true pour désigner le bucket dans le chemin (la plupart des stockages compatibles S3).",
            },
            required: false,
            secret: false,
            env: &["S3_FORCE_PATH_STYLE"],
            announces: false,
            env_only: true,
        },
    ],
};

pub const GCS_PROVIDER: Provider = Provider {
    id: "gcs",
    label: "Google Cloud Storage",
    label_fr: "Google Cloud Storage",
    destinations: &[GCS],
    account: true,
    fields: &[
        Field {
            key: "bucket",
            label: "Bucket",
            help: "The bucket files go to.",
            fr: Words {
                label: "Bucket",
                help: "Le bucket où vont les fichiers.",
            },
            required: true,
            secret: false,
            env: &["GCS_BUCKET_NAME"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "access_key_id",
            label: "HMAC access key",
            help: "An HMAC key of the bucket's service account (Cloud Storage > Settings > Interoperability).",
            fr: Words {
                label: "Clé d’accès HMAC",
                help: "Une clé HMAC du compte de service du bucket (Cloud Storage > Paramètres > Interopérabilité).",
            },
            required: true,
            secret: false,
            env: &["GCS_HMAC_ACCESS_KEY_ID"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "secret_access_key",
            label: "HMAC secret",
            help: "The HMAC key's secret.",
            fr: Words {
                label: "Secret HMAC",
                help: "Le secret de la clé HMAC.",
            },
            required: true,
            secret: true,
            env: &["GCS_HMAC_SECRET"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "endpoint",
            label: "Endpoint",
            help: "Only to reach Cloud Storage at another address.",
            fr: Words {
                label: "Point d’accès (endpoint)",
                help: "Seulement pour joindre Cloud Storage à une autre adresse.",
            },
            required: false,
            secret: false,
            env: &["GCS_ENDPOINT_URL"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "public_base_url",
            label: "Public base URL",
            help: "An address in front of the bucket, for links that never expire.",
            fr: Words {
                label: "URL publique de base",
                help: "Une adresse devant le bucket, pour des liens qui n’expirent jamais.",
            },
            required: false,
            secret: false,
            env: &["GCS_PUBLIC_BASE_URL"],
            announces: false,
            env_only: false,
        },
    ],
};

fn trim_slash(s: &str) -> String {
    s.trim_end_matches('/').to_string()
}

/// The object store these values configure.
pub fn config(v: &Values) -> Result<S3Config> {
    let mut config = match v.provider.id {
        "r2" => r2(v),
        "gcs" => gcs(v),
        _ => s3(v),
    }?;
    config.keys_named = match &v.source {
        Source::Environment => format!(
            "the keys in {} and {}",
            v.name_of("access_key_id"),
            v.name_of("secret_access_key")
        ),
        Source::Account(name) => format!("the keys of account {name} (Accounts)"),
    };
    Ok(config)
}

fn r2(v: &Values) -> Result<S3Config> {
    let bucket = v.need("bucket")?.to_string();
    let access_key_id = v.need("access_key_id")?.to_string();
    let secret_access_key = v.need_secret("secret_access_key")?.clone();
    let endpoint = match (v.get("endpoint"), v.get("account_id")) {
        (Some(endpoint), _) => endpoint.to_string(),
        (None, Some(account)) => {
            let jurisdiction = v
                .get("jurisdiction")
                .map(|j| format!(".{j}"))
                .unwrap_or_default();
            format!("https://{account}{jurisdiction}.r2.cloudflarestorage.com")
        }
        (None, None) => return Err(v.missing("account_id")),
    };
    Ok(S3Config {
        name: R2.into(),
        flavor: Flavor::R2,
        endpoint: Some(trim_slash(&endpoint)),
        region: "auto".into(),
        bucket,
        access_key_id,
        secret_access_key,
        session_token: None,
        path_style: true,
        public_base_url: v.get("public_base_url").map(trim_slash),
        keys_named: String::new(),
    })
}

fn s3(v: &Values) -> Result<S3Config> {
    let endpoint = v.get("endpoint").map(trim_slash);
    let path_style = match v.get("force_path_style") {
        Some("1" | "true" | "yes") => true,
        Some(_) => false,
        None => endpoint.is_some(),
    };
    Ok(S3Config {
        name: S3.into(),
        flavor: if endpoint.is_some() {
            Flavor::Generic
        } else {
            Flavor::Aws
        },
        region: v.get("region").unwrap_or("us-east-1").to_string(),
        bucket: v.need("bucket")?.to_string(),
        access_key_id: v.need("access_key_id")?.to_string(),
        secret_access_key: v.need_secret("secret_access_key")?.clone(),
        session_token: v.secret("session_token").cloned(),
        endpoint,
        path_style,
        public_base_url: v.get("public_base_url").map(trim_slash),
        keys_named: String::new(),
    })
}

fn gcs(v: &Values) -> Result<S3Config> {
    Ok(S3Config {
        name: GCS.into(),
        flavor: Flavor::Gcs,
        endpoint: Some(
            v.get("endpoint")
                .map(trim_slash)
                .unwrap_or_else(|| "https://storage.googleapis.com".into()),
        ),
        region: "auto".into(),
        bucket: v.need("bucket")?.to_string(),
        access_key_id: v.need("access_key_id")?.to_string(),
        secret_access_key: v.need_secret("secret_access_key")?.clone(),
        session_token: None,
        path_style: true,
        public_base_url: v.get("public_base_url").map(trim_slash),
        keys_named: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::PartRules;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn from_env(p: &'static Provider, pairs: &[(&str, &str)]) -> Option<Result<S3Config>> {
        Values::from_env(p, &env(pairs)).map(|v| config(&v))
    }

    #[test]
    fn r2_from_seed_000_names() {
        let cfg = from_env(
            &R2_PROVIDER,
            &[
                ("CLOUDFLARE_ACCOUNT_ID", "acc123"),
                ("CLOUDFLARE_R2_ACCESS_KEY_ID", "AK"),
                ("CLOUDFLARE_R2_SECRET_ACCESS_KEY", "SK-very-secret"),
                ("CLOUDFLARE_R2_BUCKET_NAME", "skillstream-media"),
                (
                    "CLOUDFLARE_R2_PUBLIC_BASE_URL",
                    "https://media.skillstream.world/",
                ),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            cfg.endpoint.as_deref(),
            Some("https://acc123.r2.cloudflarestorage.com")
        );
        assert_eq!(cfg.region, "auto");
        assert_eq!(
            cfg.public_base_url.as_deref(),
            Some("https://media.skillstream.world")
        );
        assert_eq!(cfg.part_rules(), PartRules::R2);
        assert!(cfg.checksums_when_required());
        assert!(!format!("{cfg:?}").contains("SK-very-secret"));
        assert!(!cfg.target().contains("SK-very-secret"));
    }

    #[test]
    fn r2_missing_pieces_are_named() {
        let err = from_env(
            &R2_PROVIDER,
            &[
                ("CLOUDFLARE_R2_ACCESS_KEY_ID", "AK"),
                ("CLOUDFLARE_R2_BUCKET_NAME", "b"),
            ],
        )
        .unwrap()
        .unwrap_err();
        assert!(
            err.message().contains("CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
            "{err}"
        );
        assert!(from_env(&R2_PROVIDER, &[]).is_none());
    }

    #[test]
    fn s3_with_and_without_endpoint() {
        let aws = from_env(
            &S3_PROVIDER,
            &[
                ("S3_BUCKET_NAME", "echcoahing"),
                ("AWS_ACCESS_KEY_ID", "AK"),
                ("AWS_SECRET_ACCESS_KEY", "SK"),
                ("AWS_REGION", "eu-north-1"),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(aws.flavor, Flavor::Aws);
        assert!(!aws.path_style);
        assert!(!aws.checksums_when_required());
        let local = from_env(
            &S3_PROVIDER,
            &[
                ("S3_BUCKET_NAME", "b"),
                ("AWS_ACCESS_KEY_ID", "AK"),
                ("AWS_SECRET_ACCESS_KEY", "SK"),
                ("S3_ENDPOINT_URL", "http://127.0.0.1:9000/"),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            local.flavor,
            Flavor::Generic,
            "S3_ENDPOINT_URL configures too"
        );
        assert!(local.path_style);
        assert_eq!(local.target(), "s3|http://127.0.0.1:9000|b");
    }

    #[test]
    fn refused_keys_are_named_where_the_user_set_them() {
        use crate::destination::s3::errors::{Where, from_status};
        let refused = |v: &Values| {
            let c = config(v).unwrap();
            let at = Where {
                dest: &c.name,
                bucket: &c.bucket,
                keys: &c.keys_named,
            };
            from_status(403, "InvalidAccessKeyId", "", &at, "uploading").to_string()
        };
        let mut account = Values::from_fields(
            &R2_PROVIDER,
            "My school storage",
            [
                ("account_id", "0123456789abcdef0123456789abcdef".to_string()),
                ("bucket", "course-media".to_string()),
                ("access_key_id", "AK".to_string()),
            ],
        )
        .unwrap();
        account.set(R2_PROVIDER.secret_field().unwrap(), "sk".into());
        let said = refused(&account);
        assert!(
            said.contains("the keys of account My school storage"),
            "{said}"
        );
        assert!(!said.contains("CLOUDFLARE_"), "{said}");

        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AK".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("sk".to_string()),
            "S3_BUCKET_NAME" => Some("b".to_string()),
            _ => None,
        };
        let said = refused(&Values::from_env(&S3_PROVIDER, &env).unwrap());
        assert!(
            said.contains("check the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
            "{said}"
        );
    }
}
