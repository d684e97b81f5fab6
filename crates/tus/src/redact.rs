//! Messages never carry a URL that may hold a secret: tus upload URLs are tokenised (Stream's
//! direct uploads), and signed links carry signatures in their query. A URL in an error becomes
//! its scheme and host, which is all a person needs to tell which server failed.

use url::Url;

/// `https://host[:port]/…` for `url`: no path, no query, no credentials.
pub fn shown(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}/…", url.scheme()),
        (Some(host), None) => format!("{}://{host}/…", url.scheme()),
        _ => format!("{}:…", url.scheme()),
    }
}

/// The text of an HTTP client error with its URL (if it names one) shown as [`shown`].
pub fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    match e.url() {
        Some(url) => text.replace(url.as_str(), &shown(url)),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_only_where_it_goes() {
        let u = Url::parse("https://upload.videodelivery.net/tus/eyJhbGciOiJ?tusv2=true&sig=abc")
            .unwrap();
        assert_eq!(shown(&u), "https://upload.videodelivery.net/…");
        let u = Url::parse("http://user:pw@127.0.0.1:9000/media/1?token=x").unwrap();
        assert_eq!(shown(&u), "http://127.0.0.1:9000/…");
    }

    #[tokio::test]
    async fn an_error_names_the_host_not_the_token() {
        let client = reqwest::Client::new();
        let err = client
            .get("http://127.0.0.1:9/tus/secret-token-123?sig=deadbeef")
            .send()
            .await
            .unwrap_err();
        let text = error_text(&err);
        assert!(
            !text.contains("secret-token-123") && !text.contains("deadbeef"),
            "{text}"
        );
        assert!(text.contains("127.0.0.1:9"), "{text}");
    }
}
