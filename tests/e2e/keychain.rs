//! The OS keychain for real: GNOME Keyring's Secret Service in a private D-Bus session
//! (`scripts/with-keyring.sh`, which the test command uses). Secrets are stored, read, updated
//! and deleted per profile; profiles do not see each other's; a missing secret is `None`.

use ferry_core::credentials::Secret;
use ferry_core::keychain::Keychain;

fn keychain() -> Keychain {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the tests through scripts/with-keyring.sh (scripts/test.sh does)"
    );
    let k = Keychain::with_service(&format!("ferry-test-{:08x}", fastrand_u32()));
    k.probe()
        .expect("a Secret Service is reachable and unlocked");
    k
}

fn fastrand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ std::process::id())
        .unwrap_or(7)
}

#[test]
fn secrets_are_stored_read_updated_and_deleted_per_profile() {
    let k = keychain();
    let token = Secret::new("cf-token-Zq93-not-real");
    assert_eq!(k.load("course-cloud", "api_token").unwrap(), None);
    k.store("course-cloud", "api_token", &token).unwrap();
    assert_eq!(
        k.load("course-cloud", "api_token").unwrap(),
        Some(token.clone())
    );

    // Another profile, same field: separate entries.
    let other = Secret::new("cf-token-other-Wp11");
    k.store("second-school", "api_token", &other).unwrap();
    assert_eq!(k.load("course-cloud", "api_token").unwrap(), Some(token));
    assert_eq!(k.load("second-school", "api_token").unwrap(), Some(other));

    // Update in place.
    let rotated = Secret::new("cf-token-rotated-Hh42");
    k.store("course-cloud", "api_token", &rotated).unwrap();
    assert_eq!(k.load("course-cloud", "api_token").unwrap(), Some(rotated));

    // Delete; deleting again says there was nothing.
    assert!(k.remove("course-cloud", "api_token").unwrap());
    assert!(!k.remove("course-cloud", "api_token").unwrap());
    assert_eq!(k.load("course-cloud", "api_token").unwrap(), None);
    assert!(k.remove("second-school", "api_token").unwrap());
}

#[test]
fn the_secret_service_holds_the_value_outside_ferry() {
    // An independent client (libsecret's secret-tool) reads what Ferry stored.
    keychain();
    let service = format!("ferry-test-tool-{:08x}", fastrand_u32());
    let k = Keychain::with_service(&service);
    let secret = Secret::new("r2-secret-key-Ty66-not-real");
    k.store("r2-main", "secret_access_key", &secret).unwrap();
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", &service])
        .output()
        .expect("secret-tool (libsecret-tools)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("secret = r2-secret-key-Ty66-not-real"),
        "{text}"
    );
    assert!(text.contains("r2-main/secret_access_key"), "{text}");
    k.remove("r2-main", "secret_access_key").unwrap();
}

#[test]
fn bad_names_are_refused_before_reaching_the_keychain() {
    let k = Keychain::with_service("ferry-test-names");
    assert!(k.store("a/b", "api_token", &Secret::new("x")).is_err());
    assert!(k.load("", "api_token").is_err());
}
