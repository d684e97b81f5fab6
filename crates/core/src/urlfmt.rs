//! Delivery URLs in the forms teachers paste: raw, Markdown, HTML.

use crate::classify::FileKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlFormat {
    Raw,
    Markdown,
    Html,
    /// Stream's responsive player embed (videos on Stream only).
    Iframe,
}

impl UrlFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlFormat::Raw => "raw",
            UrlFormat::Markdown => "markdown",
            UrlFormat::Html => "html",
            UrlFormat::Iframe => "iframe",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "raw" => Some(UrlFormat::Raw),
            "markdown" | "md" => Some(UrlFormat::Markdown),
            "html" => Some(UrlFormat::Html),
            "iframe" => Some(UrlFormat::Iframe),
            _ => None,
        }
    }
}

/// A Stream player embed, responsive (16:9), as Cloudflare's dashboard suggests.
pub fn iframe(src: &str, title: &str) -> String {
    format!(
        "<div style=\"position:relative;padding-top:56.25%\"><iframe src=\"{}\" title=\"{}\" style=\"border:none;position:absolute;top:0;left:0;height:100%;width:100%\" allow=\"accelerometer; gyroscope; autoplay; encrypted-media; picture-in-picture;\" allowfullscreen=\"true\"></iframe></div>",
        escape(src),
        escape(title)
    )
}

/// `url` in `format`; [`UrlFormat::Iframe`] takes the player URL (a Stream `iframe` link).
pub fn format_url(url: &str, name: &str, kind: FileKind, format: UrlFormat) -> String {
    match format {
        UrlFormat::Raw => url.to_string(),
        UrlFormat::Iframe => iframe(url, name),
        UrlFormat::Markdown => {
            let label = name.replace(['[', ']'], "");
            let target = url.replace(' ', "%20").replace(')', "%29");
            match kind {
                FileKind::Image => format!("![{label}]({target})"),
                _ => format!("[{label}]({target})"),
            }
        }
        UrlFormat::Html => {
            let (u, n) = (escape(url), escape(name));
            match kind {
                FileKind::Image => format!("<img src=\"{u}\" alt=\"{n}\">"),
                FileKind::Video => format!("<video src=\"{u}\" controls></video>"),
                FileKind::Audio => format!("<audio src=\"{u}\" controls></audio>"),
                _ => format!("<a href=\"{u}\">{n}</a>"),
            }
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let url = "https://media.example.com/a/b.png?x=1&y=2";
        let cases = [
            (FileKind::Image, UrlFormat::Raw, url.to_string()),
            (FileKind::Image, UrlFormat::Markdown, format!("![b [1].png]({url})").replace("[1]", "1")),
            (FileKind::Document, UrlFormat::Markdown, format!("[b 1.png]({url})")),
            (FileKind::Image, UrlFormat::Html, "<img src=\"https://media.example.com/a/b.png?x=1&amp;y=2\" alt=\"b &lt;1&gt;.png\">".to_string()),
            (FileKind::Video, UrlFormat::Html, "<video src=\"https://media.example.com/a/b.png?x=1&amp;y=2\" controls></video>".to_string()),
            (FileKind::Document, UrlFormat::Html, "<a href=\"https://media.example.com/a/b.png?x=1&amp;y=2\">b &lt;1&gt;.png</a>".to_string()),
        ];
        for (kind, format, want) in cases {
            let name = match format {
                UrlFormat::Html => "b <1>.png",
                UrlFormat::Markdown if kind == FileKind::Image => "b [1].png",
                _ => "b 1.png",
            };
            assert_eq!(
                format_url(url, name, kind, format),
                want,
                "{kind:?} {format:?}"
            );
        }
    }
}
